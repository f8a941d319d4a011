"""COMPONENTS 2 (east + up-north) with three or more tracks and unequal weights (issue 34,
review r34): the direction d is the eigenvector of the WEIGHTED Schur complement of east,
so v_UN = v . d exactly for any tracks and weights, the d reported (the tilt) is the d
used, and the two-track case is unchanged bit for bit. Also: a horizontal d cannot split
up (two along-track tracks with a known north)."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from osgeo import gdal
from test_north_3d_runs import ASC, DESC, along_track, los_track, outputs, read, truth

from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.io.model import UN_TILT, UP
from insar_decomposition.core.plan import readout
from insar_decomposition.core.plan.decompose import Request, plan
from insar_decomposition.core.plan.tracks import TrackError
from insar_decomposition.core.runs import engine
from insar_decomposition.core.solve import components as comp
from insar_decomposition.core.solve.inversion import TrackBlock


def one_pixel(vectors, v, sigmas=None):
    return [TrackBlock(np.array([float(np.dot(s, v))]), *(np.array([c]) for c in s),
                       sigma=None if sigmas is None else np.array([float(sigmas[i])]))
            for i, s in enumerate(vectors)]  # fmt: skip


def stated_d(sol):
    """(0, dN, dU) from the reported tilt (degrees from the vertical, positive toward north)."""
    t = np.radians(sol.tilt)
    return np.array([np.zeros_like(t), np.sin(t), np.cos(t)])


def weighted_schur_direction(vectors, sigmas):
    """Independent: the largest eigenvector of the Schur complement of east in G'WG, pointing up."""
    G = np.array(vectors, dtype=float)
    n = G.T @ np.diag(1 / np.square(sigmas)) @ G
    s = n[1:, 1:] - np.outer(n[1:, 0], n[0, 1:]) / n[0, 0]
    d = np.linalg.eigh(s)[1][:, 1]
    return d if d[1] > 0 else -d


TRACK = st.tuples(st.floats(0, 360), st.floats(5, 60), st.sampled_from([g.RIGHT, g.LEFT]), st.booleans(),
                  st.floats(0.5, 100.0))  # fmt: skip
SPEED = st.floats(-50, 50)


def vector_of(h, t, side, along, _sigma=None):
    return tuple(float(x) for x in (g.along_track_unit_vector(h) if along else g.from_heading_incidence(h, t, side)))


@settings(max_examples=300, deadline=None)
@given(st.lists(TRACK, min_size=3, max_size=4), st.booleans(), SPEED, SPEED, SPEED)
def test_property_up_north_is_v_dot_the_stated_d_for_any_tracks_and_weights(tracks, weighted, e, n, u):
    vectors = [vector_of(*t) for t in tracks]
    sigmas = [t[4] for t in tracks] if weighted else None
    v = np.array([e, n, u])
    sol = comp.solve(one_pixel(vectors, v, sigmas), comp.EAST_UP_NORTH)
    if not np.isfinite(sol.up_north[0]):
        assert not sol.condition[0] <= 10.0 or not np.isfinite(sol.tilt[0])
        return
    d = stated_d(sol)[:, 0]
    assert sol.up_north[0] == pytest.approx(float(v @ d), abs=1e-9 * (1 + np.abs(v).sum()))
    # the motion normal to d (in the up-north plane) does not leak into v_UN at all
    normal = np.array([0.0, d[2], -d[1]])
    assert abs(comp.solve(one_pixel(vectors, normal, sigmas), comp.EAST_UP_NORTH).up_north[0]) < 1e-9


@pytest.mark.parametrize("vectors, sigmas, v", [
    ([g.from_heading_incidence(*ASC), g.from_heading_incidence(*DESC), g.along_track_unit_vector(348.0)],
     [2.0, 2.0, 60.0], (3.0, 20.0, -5.0)),
    ([g.from_heading_incidence(*ASC), g.from_heading_incidence(*DESC), g.along_track_unit_vector(348.0),
      g.along_track_unit_vector(192.0)], [2.0, 2.0, 60.0, 60.0], (3.0, -12.0, -5.0)),
])  # fmt: skip
def test_weighted_tracks_reviewer_cases(vectors, sigmas, v):
    """The review's cases (asc/desc LOS sigma 2 with one or two along-track tracks sigma 60):
    the old d (unweighted G'G) gave v_UN off v . d by 4 to 30 mm/yr."""
    sol = comp.solve(one_pixel(vectors, np.array(v), sigmas), comp.EAST_UP_NORTH)
    d = weighted_schur_direction(vectors, np.array(sigmas))
    assert stated_d(sol)[1:, 0] == pytest.approx(d, abs=1e-12)
    assert sol.up_north[0] == pytest.approx(float(np.dot(v, [0.0, *d])), abs=1e-10)
    if len(vectors) == 4:
        assert sol.tilt[0] == pytest.approx(-8.71, abs=0.01)  # the review's figure
    # the dialog's read-out states the same tilt
    kinds = [g.ALONG_TRACK if s[2] == 0 else g.LINE_OF_SIGHT for s in vectors]
    ro = readout.components_readout(vectors, kinds, 10.0, 2.0, 60.0)
    assert ro.tilt == pytest.approx(float(sol.tilt[0]), abs=1e-12)


def test_two_tracks_unchanged_bit_for_bit_weighted_or_not():
    """Two tracks: d is their planes' intersection whatever the weights; the weighted solve
    takes it from the unit vectors' G'G exactly as before (bit for bit)."""
    rng = np.random.default_rng(3)
    shape = (30, 30)
    pair = [g.from_heading_incidence(348 + rng.uniform(-3, 3, shape), 30 + 15 * rng.uniform(size=shape)),
            g.along_track_unit_vector(192 + rng.uniform(-3, 3, shape))]  # fmt: skip
    v = [rng.normal(0, 20, shape) for _ in range(3)]
    data = [g.forward(s, *v) for s in pair]
    plain = comp.solve([TrackBlock(d, *s) for d, s in zip(data, pair)], comp.EAST_UP_NORTH)
    sig = [np.full(shape, 2.0), rng.uniform(20, 80, shape)]
    weighted = comp.solve([TrackBlock(d, *s, sigma=x) for d, s, x in zip(data, pair, sig)], comp.EAST_UP_NORTH)
    np.testing.assert_array_equal(weighted.tilt, plain.tilt)
    # the unit vectors' G'G gives it
    gg = comp._Sums([TrackBlock(d, *s) for d, s in zip(data, pair)], False).g
    d_n, d_u = comp.up_north_direction(gg)
    np.testing.assert_array_equal(plain.tilt, np.degrees(np.arctan2(d_n, d_u)))


def test_three_weighted_tracks_through_the_plan_and_engine(tmp_path):
    """The review's run (s4): asc/desc LOS sigma 2 + an ascending along-track track sigma 50,
    COMPONENTS 2: OUTPUT_UP is the true field projected on the per-pixel d of OUTPUT_UN_TILT."""
    tracks = [los_track(tmp_path, "asc", *ASC, sigma=2.0), los_track(tmp_path, "desc", *DESC, sigma=2.0),
              along_track(tmp_path, "asc_azimuth", 348.0)]  # fmt: skip
    out = outputs(tmp_path, UP, UN_TILT)
    p = plan(Request(tracks, out, components=2, along_track_sigma=50.0))
    engine.run(p.job)
    _, vn, vu = truth()
    tilt = np.radians(read(out[UN_TILT]))
    np.testing.assert_allclose(read(out[UP]), vn * np.sin(tilt) + vu * np.cos(tilt), atol=5e-4)
    d = weighted_schur_direction([g.from_heading_incidence(*ASC), g.from_heading_incidence(*DESC),
                                  g.along_track_unit_vector(348.0)], np.array([2.0, 2.0, 50.0]))  # fmt: skip
    md = gdal.Open(out[UP]).GetMetadata()
    assert float(md["LOSDECOMP_UN_TILT_DEG"]) == pytest.approx(np.degrees(np.arctan2(d[0], d[1])), abs=1e-3)


def test_three_track_words_say_exact_and_weighted(tmp_path):
    """The log line, the solver's docstring, the help and the page say v_UN = v . d is exact
    for three or more tracks and that d depends on the weights (they said the reverse)."""
    from insar_decomposition.provider.velocity_maps import north_3d

    tracks = [los_track(tmp_path, "asc", *ASC, sigma=2.0), los_track(tmp_path, "desc", *DESC, sigma=2.0),
              along_track(tmp_path, "asc_azimuth", 348.0)]  # fmt: skip
    log = " ".join(plan(Request(tracks, outputs(tmp_path, UP), components=2, along_track_sigma=50.0)).log)
    for text in (log, comp.__doc__, north_3d.HELP):
        assert "weighted normal matrix" in text and "lie in one plane" not in text
    assert "v_UN = v . d exactly" in log and "v_UN = v . d is exact for any tracks and weights" in north_3d.HELP
    assert "vUN = v . d`` exactly" in comp.__doc__ and "for any tracks" in comp.__doc__
    page = (Path(__file__).resolve().parents[1] / "docs" / "north_3d.md").read_text()
    assert "vUN = v . d exactly for any number of tracks, weighted or not" in page and "mixes in" not in page


def test_two_along_track_tracks_have_no_up_to_split(tmp_path):
    """Two along-track tracks see no up: d is north (tilt 90). With a known north there is
    no up to split: the solver gives up and its sigma both nodata (the sigma was inf), the
    plan refuses before any work, in words."""
    rng = np.random.default_rng(4)
    pair = [g.along_track_unit_vector(348.0), g.along_track_unit_vector(192.0)]
    v = np.array([3.0, -12.0, -5.0])
    tracks = [TrackBlock(np.dot(s, v) + rng.normal(0, 50, 200), *s, sigma=50.0) for s in pair]
    sol = comp.solve(tracks, comp.EAST_UP_NORTH, north_velocity=-12.0, north_sigma=1.0)
    assert (sol.tilt == 90.0).all() and np.isfinite(sol.up_north).all()
    assert np.isnan(sol.up).all() and np.isnan(sol.sigma_up).all()
    free = comp.solve(tracks, comp.EAST_UP_NORTH)
    np.testing.assert_array_equal(free.up, free.up_north)  # without a known north: v_UN, the north
    along = [along_track(tmp_path, "asc_azimuth", 348.0, sigma=50.0),
             along_track(tmp_path, "desc_azimuth", 192.0, sigma=50.0)]  # fmt: skip
    with pytest.raises(TrackError, match="all along-track, which see no up") as info:
        plan(Request(along, outputs(tmp_path, UP), components=2, north_velocity=-12.0, north_sigma=1.0))
    assert "asc_azimuth, desc_azimuth" in str(info.value)
    assert not list(tmp_path.glob("up.tif*"))
    plan(Request(along, outputs(tmp_path, UP), components=2))  # no known north: accepted


def test_single_track_refusal_words_per_kind(tmp_path):
    """DIRECTION 3 (north) from an along-track track flying east (heading 75): refused,
    the words saying the across-flight direction is invisible to it (they said the
    flight direction was)."""
    from insar_decomposition.core.runs import single_track
    from insar_decomposition.core.solve.projection import NORTH as DIRECTION_NORTH

    east_flying = along_track(tmp_path, "az", 75.0, tagged=True)
    req = single_track.ProjectionRequest(east_flying, DIRECTION_NORTH, {single_track.MOTION: str(tmp_path / "n.tif")})
    with pytest.raises(ValueError, match="sensitivity") as info:
        single_track.plan(req)
    assert "across it is invisible" in str(info.value) and "an azimuth along the flight" not in str(info.value)
    los = los_track(tmp_path, "asc", *ASC)
    req = single_track.ProjectionRequest(los, DIRECTION_NORTH, {single_track.MOTION: str(tmp_path / "n2.tif")})
    with pytest.raises(ValueError, match="does not see an azimuth along the flight direction"):
        single_track.plan(req)
    assert not list(tmp_path.glob("n*.tif*"))


def test_page_states_the_cond_of_three_right_looking_tracks():
    """The page's figure for three right-looking near-polar LOS tracks is their cond(G) (it
    said 'in the hundreds')."""
    vectors = [g.from_heading_incidence(*ASC), g.from_heading_incidence(*DESC), g.from_heading_incidence(350.0, 30.0)]
    cond = np.linalg.cond(np.array(vectors))
    page = (Path(__file__).resolve().parents[1] / "docs" / "north_3d.md").read_text()
    assert f"cond(G) {cond:.0f} for 348/34, 192/39, 350/30" in page and "hundreds" not in page
