"""Each product convention against independently known values (DESIGN.md section 2)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from insar_decomposition.core.conventions import geometry as g


def test_worked_check_from_design():
    s = np.array(g.from_heading_incidence(348.0, 34.0))
    np.testing.assert_allclose(-s, [0.5470, 0.1163, -0.8290], atol=1e-4)


def test_sentinel1_look_directions_right_looking():
    # Ascending flies north-north-west and looks east: the satellite is west of the pixel.
    asc = g.from_heading_incidence(-12.0, 39.0)
    desc = g.from_heading_incidence(-168.0, 39.0)
    assert asc[0] < -0.5 and desc[0] > 0.5
    assert asc[1] < 0 and desc[1] < 0  # both see a small southward component
    assert asc[2] == pytest.approx(math.cos(math.radians(39.0)))


def test_left_looking_mirrors_the_horizontal_part():
    right = np.array(g.from_heading_incidence(348.0, 30.0, g.RIGHT))
    left = np.array(g.from_heading_incidence(348.0, 30.0, g.LEFT))
    np.testing.assert_allclose(left[:2], -right[:2])
    assert left[2] == right[2]
    assert left[0] > 0  # ascending left-looking looks west: the satellite is east


def test_mintpy_azimuth_sentinel1_ascending_is_about_plus_102():
    assert g.heading_from_mintpy_azimuth(102.0) == pytest.approx(348.0)
    np.testing.assert_allclose(g.from_mintpy_azimuth(102.0, 34.0), g.from_heading_incidence(348.0, 34.0), atol=1e-12)
    # descending: a = 90 - 192 = -102
    np.testing.assert_allclose(g.from_mintpy_azimuth(-102.0, 40.0), g.from_heading_incidence(192.0, 40.0), atol=1e-12)


def test_aria_azimuth_of_the_coso_files():
    # ../shared/data/README.md: ARIA azimuthAngle -170.43 (asc) / -10.21 (desc) mean
    # headings 350.43 / 190.21.
    assert g.heading_from_aria_azimuth(-170.4324669196591) == pytest.approx(350.4324669196591)
    assert g.heading_from_aria_azimuth(-10.21) == pytest.approx(190.21)
    np.testing.assert_allclose(g.from_aria_azimuth(-170.43, 39.21), g.from_heading_incidence(350.43, 39.21), atol=1e-12)


def test_enu_completes_missing_up():
    e, n, u = g.from_enu(-0.6, -0.1)
    assert u == pytest.approx(math.sqrt(1 - 0.36 - 0.01))


def test_hyp3_look_vector():
    # Sentinel-1 ascending, incidence 34: the satellite is seen toward the west-south-west,
    # lv_phi = atan2(sN, sE) from east anticlockwise, lv_theta = 90 - incidence.
    s = g.from_heading_incidence(348.0, 34.0)
    phi = math.atan2(s[1], s[0])
    assert math.degrees(phi) == pytest.approx(-168.0)
    theta = math.radians(90 - 34.0)
    np.testing.assert_allclose(g.from_hyp3_look_vector(theta, phi), s, atol=1e-12)


def test_los_sign():
    assert g.sign_factor(g.TOWARD) == 1.0
    assert g.sign_factor(g.AWAY) == -1.0
    with pytest.raises(ValueError):
        g.sign_factor("up")


def test_bad_look_side_is_refused():
    with pytest.raises(ValueError, match="look side"):
        g.from_heading_incidence(10, 30, "down")


angles = st.floats(min_value=-720, max_value=720, allow_nan=False)
incidences = st.floats(min_value=1, max_value=89)
sides = st.sampled_from(g.LOOK_SIDES)


@given(angles, incidences, sides)
def test_unit_norm_and_round_trip(heading, incidence, side):
    s = g.from_heading_incidence(heading, incidence, side)
    assert np.linalg.norm(s) == pytest.approx(1.0)
    h, t = g.to_heading_incidence(*s, look_side=side)
    assert t == pytest.approx(incidence, abs=1e-9)
    assert math.cos(math.radians(h - heading)) == pytest.approx(1.0, abs=1e-9)


@given(angles, incidences, sides)
def test_every_convention_describes_the_same_vector(heading, incidence, side):
    s = np.array(g.from_heading_incidence(heading, incidence, side))
    # MintPy and ARIA azimuths of this vector, computed from their definitions
    horiz_dir_from_east = math.degrees(math.atan2(s[1], s[0]))
    mintpy_az = horiz_dir_from_east - 90.0  # from north, anticlockwise
    np.testing.assert_allclose(g.from_mintpy_azimuth(mintpy_az, incidence), s, atol=1e-9)
    np.testing.assert_allclose(g.from_aria_azimuth(horiz_dir_from_east, incidence), s, atol=1e-9)
    assert math.cos(math.radians(g.heading_from_mintpy_azimuth(mintpy_az, side) - heading)) == pytest.approx(1.0)
    assert math.cos(math.radians(g.heading_from_aria_azimuth(horiz_dir_from_east, side) - heading)) == pytest.approx(
        1.0
    )
    np.testing.assert_allclose(g.from_enu(s[0], s[1]), s, atol=1e-9)
