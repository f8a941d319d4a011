"""North and full 3-D (issue 34): along-track tracks, COMPONENTS 1 (east + north + up) and
COMPONENTS 2 (east + up-north), known answers from the forward model, Monte-Carlo sigmas,
the one guard over random geometries, degenerate inputs."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.solve import components as comp
from insar_decomposition.core.solve import resolvable
from insar_decomposition.core.solve.inversion import TrackBlock, invert

ASC = (348.0, 34.0)
DESC = (192.0, 39.0)
RNG_SHAPE = (40, 50)


def los_vector(h, t, side=g.RIGHT):
    return g.from_heading_incidence(h, t, side)


def field(seed=1, shape=RNG_SHAPE, scale=20.0):
    rng = np.random.default_rng(seed)
    return tuple(rng.normal(0, scale, shape) for _ in range(3))


def blocks(vectors, east, north, up, sigmas=None):
    """Forward model: every track's value is s . v (LOS toward the satellite, or along the flight)."""
    return [TrackBlock(g.forward(s, east, north, up), *s, sigma=None if sigmas is None else sigmas[i])
            for i, s in enumerate(vectors)]  # fmt: skip


# -- the along-track unit vector and its sign ------------------------------------------------


def test_along_track_unit_vector_is_the_flight_direction():
    s = np.array(g.along_track_unit_vector(348.0))
    np.testing.assert_allclose(s, [np.sin(np.radians(348)), np.cos(np.radians(348)), 0.0])
    assert s[1] > 0.97 and s[0] < 0  # ascending flies north-north-west
    d = np.array(g.along_track_unit_vector(192.0))
    assert d[1] < -0.97  # descending flies south
    # positive along the flight: ground moving north is positive for an ascending pass, negative descending
    assert g.forward(tuple(s), 0.0, 10.0, 0.0) > 9 and g.forward(tuple(d), 0.0, 10.0, 0.0) < -9
    # and it is horizontal and perpendicular to the LOS of the same pass (the radar looks sideways)
    assert abs(np.dot(s, los_vector(348.0, 34.0))) < 1e-12
    assert abs(np.dot(s, los_vector(348.0, 34.0, g.LEFT))) < 1e-12


@pytest.mark.parametrize("text,kind", [("0", g.LINE_OF_SIGHT), ("los", g.LINE_OF_SIGHT), (1, g.ALONG_TRACK),
                                       ("along-track", g.ALONG_TRACK), ("Along", g.ALONG_TRACK)])  # fmt: skip
def test_track_kind_names(text, kind):
    assert g.track_kind(text) == kind


def test_unknown_track_kind_is_refused():
    with pytest.raises(ValueError, match="track kind"):
        g.track_kind("range")


# -- COMPONENTS 1: east + north + up ----------------------------------------------------------

THREE_D_SETS = {
    "asc + desc LOS + ascending along-track": [los_vector(*ASC), los_vector(*DESC), g.along_track_unit_vector(348.0)],
    "asc + desc LOS + both along-track": [los_vector(*ASC), los_vector(*DESC), g.along_track_unit_vector(348.0),
                                          g.along_track_unit_vector(192.0)],
    "asc + desc right + left-looking": [los_vector(*ASC), los_vector(*DESC), los_vector(348.0, 40.0, g.LEFT)],
}


@pytest.mark.parametrize("name", list(THREE_D_SETS))
def test_three_d_known_answer_to_float_precision(name):
    east, north, up = field()
    sol = comp.solve(blocks(THREE_D_SETS[name], east, north, up), comp.EAST_NORTH_UP)
    for got, want in ((sol.horizontal, east), (sol.north, north), (sol.up, up)):
        np.testing.assert_allclose(got, want, atol=1e-9 * 20 * sol.condition.max() ** 2)
    assert np.all(sol.n_tracks == len(THREE_D_SETS[name]))
    assert np.isfinite(sol.condition_3d).all() and (sol.condition_3d <= resolvable.DEFAULT_MAX_CONDITION).all()


def test_sign_conventions_checked_both_ways():
    """A wrong along-track sign (positive against the flight) or a LOS away sign does not
    recover the truth: the signs matter and are the documented ones."""
    east, north, up = field(2)
    vectors = THREE_D_SETS["asc + desc LOS + ascending along-track"]
    good = blocks(vectors, east, north, up)
    flipped = list(good)
    flipped[2] = TrackBlock(-good[2].los, *vectors[2])  # the offsets read positive against the flight
    sol = comp.solve(flipped, comp.EAST_NORTH_UP)
    assert np.nanmax(np.abs(sol.north - north)) > 1.0
    away = list(good)
    away[0] = TrackBlock(-good[0].los, *vectors[0])  # a LOS given as range change, unconverted
    sol = comp.solve(away, comp.EAST_NORTH_UP)
    assert np.nanmax(np.abs(sol.up - up)) > 1.0


def test_three_d_per_pixel_geometry_and_gaps():
    east, north, up = field(3)
    rng = np.random.default_rng(4)
    vectors = []
    for h, t in (ASC, DESC):
        vectors.append(los_vector(h + rng.uniform(-2, 2, RNG_SHAPE), t + np.linspace(-5, 5, RNG_SHAPE[1])))
    vectors.append(g.along_track_unit_vector(348.0 + rng.uniform(-1, 1, RNG_SHAPE)))
    tracks = blocks(vectors, east, north, up)
    tracks[1].los = np.where(rng.uniform(size=RNG_SHAPE) < 0.2, np.nan, tracks[1].los)
    sol = comp.solve(tracks, comp.EAST_NORTH_UP)
    gap = np.isnan(tracks[1].los)
    assert np.isnan(sol.north[gap]).all() and np.isnan(sol.up[gap]).all() and np.isnan(sol.horizontal[gap]).all()
    np.testing.assert_allclose(sol.north[~gap], north[~gap], atol=1e-7)
    np.testing.assert_allclose(sol.up[~gap], up[~gap], atol=1e-7)
    np.testing.assert_allclose(sol.horizontal[~gap], east[~gap], atol=1e-7)


@pytest.mark.parametrize("name", ["asc + desc LOS + both along-track", "asc + desc right + left-looking"])
def test_three_d_sigmas_equal_monte_carlo_scatter(name):
    vectors = THREE_D_SETS[name]
    sigmas = [2.0, 2.5, 60.0, 80.0][: len(vectors)] if "along" in name else [2.0, 2.5, 3.0]
    rng = np.random.default_rng(5)
    n = 4000
    truth = (3.0, -7.0, 5.0)
    tracks = []
    for s, sig in zip(vectors, sigmas):
        los = g.forward(s, *truth) + rng.normal(0, sig, n)
        tracks.append(TrackBlock(los, *s, sigma=sig))
    sol = comp.solve(tracks, comp.EAST_NORTH_UP)
    for est, sig, true in ((sol.horizontal, sol.sigma_horizontal, truth[0]), (sol.north, sol.sigma_north, truth[1]),
                           (sol.up, sol.sigma_up, truth[2])):  # fmt: skip
        assert np.std(est) == pytest.approx(float(sig[0]), rel=0.05)
        assert abs(np.mean(est) - true) < 4 * sig[0] / np.sqrt(n)
    emp = np.corrcoef([sol.horizontal, sol.north, sol.up])
    assert emp[0, 1] == pytest.approx(float(sol.correlation_en[0]), abs=0.05)
    assert emp[1, 2] == pytest.approx(float(sol.correlation_nu[0]), abs=0.05)
    assert emp[0, 2] == pytest.approx(float(sol.correlation[0]), abs=0.05)


def test_asc_desc_only_is_nodata_for_three_components_with_the_words():
    east, north, up = field(6)
    sol = comp.solve(blocks([los_vector(*ASC), los_vector(*DESC), los_vector(350.0, 44.0)], east, north, up),
                     comp.EAST_NORTH_UP)  # fmt: skip
    # three right-looking near-polar LOS tracks: north is barely seen, cond far above the threshold
    assert np.isnan(sol.north).all() and np.isnan(sol.up).all() and np.isnan(sol.horizontal).all()
    assert (sol.condition > resolvable.DEFAULT_MAX_CONDITION).all()
    with pytest.raises(ValueError, match="at least 3 tracks"):
        comp.solve(blocks([los_vector(*ASC), los_vector(*DESC)], east, north, up), comp.EAST_NORTH_UP)
    assert "never resolve north" in resolvable.UNRESOLVED_3D


def test_left_looking_third_track_resolves_north_where_the_geometry_allows():
    """Right-looking asc/desc and a left-looking track whose incidence runs across the
    swath: north is solved where cond is below the threshold, nodata elsewhere, cond reported."""
    east, north, up = field(7, (1, 200))
    incidence = np.linspace(1.0, 45.0, 200)[None, :]  # near nadir the left-looking track sees almost only up
    vectors = [los_vector(*ASC), los_vector(*DESC), los_vector(348.0, incidence, g.LEFT)]
    sol = comp.solve(blocks(vectors, east, north, up), comp.EAST_NORTH_UP, max_condition=10.0)
    ok = sol.condition <= 10.0
    assert ok.any() and (~ok).any()
    assert np.isfinite(sol.condition).all()
    np.testing.assert_allclose(sol.north[ok], north[ok], atol=1e-8)
    assert np.isnan(sol.north[~ok]).all() and np.isnan(sol.up[~ok]).all()
    assert (np.diff(sol.condition[0]) < 0).all()  # the larger the left track's incidence, the better north is seen


# -- COMPONENTS 2: east + up-north -----------------------------------------------------------


def cross_direction(s1, s2):
    n = np.cross(np.asarray(s1, dtype=float).T, np.asarray(s2, dtype=float).T).T
    d = np.array([np.zeros_like(n[0]), -n[2], n[1]])
    d = d / np.linalg.norm(d, axis=0)
    level = np.abs(d[2]) < 1e-12  # horizontal d (two along-track tracks): pointing north
    return np.where((d[2] < 0) & ~level | level & (d[1] < 0), -d, d)


@pytest.mark.parametrize("pair", [
    [los_vector(*ASC), los_vector(*DESC)],
    [los_vector(350.0, 44.0), los_vector(190.0, 31.0)],
    [los_vector(*ASC), g.along_track_unit_vector(348.0)],
    [los_vector(*ASC), los_vector(348.0, 40.0, g.LEFT)],
])  # fmt: skip
def test_up_north_equals_the_true_field_projected_on_d(pair):
    east, north, up = field(8)
    sol = comp.solve(blocks(pair, east, north, up), comp.EAST_UP_NORTH)
    d = cross_direction(*pair)
    np.testing.assert_allclose(sol.up_north, north * d[1] + up * d[2], atol=1e-8)
    np.testing.assert_allclose(sol.up, sol.up_north)
    np.testing.assert_allclose(sol.tilt, np.degrees(np.arctan2(d[1], d[2])), atol=1e-8)
    # the east estimate: east plus the stated leak of everything off the resolved plane
    n = np.cross(pair[0], pair[1])
    n = n / np.linalg.norm(n)
    leak_e = east - n[0] * (n[1] * north + n[2] * up) / (1 - n[0] ** 2)
    np.testing.assert_allclose(sol.horizontal, leak_e, atol=1e-8)
    np.testing.assert_allclose(sol.east_per_north, -n[0] * n[1] / (1 - n[0] ** 2), atol=1e-10)


def test_up_north_per_pixel_direction_matches_the_cross_product():
    rng = np.random.default_rng(9)
    shape = (30, 30)
    east, north, up = field(9, shape)
    pair = [los_vector(348 + rng.uniform(-3, 3, shape), 30 + 15 * rng.uniform(size=shape)),
            los_vector(192 + rng.uniform(-3, 3, shape), 30 + 15 * rng.uniform(size=shape))]  # fmt: skip
    sol = comp.solve(blocks(pair, east, north, up), comp.EAST_UP_NORTH)
    d = cross_direction(*pair)
    np.testing.assert_allclose(sol.up_north, north * d[1] + up * d[2], atol=1e-8)
    assert np.nanmax(np.abs(sol.tilt)) < 20  # Sentinel-1-like: d within a few degrees of the vertical


def test_up_split_with_a_known_north_and_its_sigma():
    rng = np.random.default_rng(10)
    n = 4000
    truth = (4.0, 9.0, -6.0)
    pair = [los_vector(*ASC), los_vector(*DESC)]
    north_sigma = 3.0
    tracks = [TrackBlock(g.forward(s, *truth) + rng.normal(0, 1.5, n), *s, sigma=1.5) for s in pair]
    north_known = truth[1] + rng.normal(0, north_sigma, n)
    sol = comp.solve(tracks, comp.EAST_UP_NORTH, north_velocity=north_known, north_sigma=north_sigma)
    assert np.mean(sol.up) == pytest.approx(truth[2], abs=0.1)
    assert np.std(sol.up) == pytest.approx(float(sol.sigma_up[0]), rel=0.05)
    assert np.std(sol.up_north) == pytest.approx(float(sol.sigma_up_north[0]), rel=0.05)
    # the same split made by hand from the stated direction
    d = cross_direction(*pair)
    np.testing.assert_allclose(sol.up, (sol.up_north - d[1] * north_known) / d[2])


def test_three_tracks_in_one_plane_keep_the_exact_projection():
    """Three tracks whose look vectors lie in one plane (a LOS track and two along-track
    tracks flying the same line both ways) see only that plane: vUN = v . d still."""
    east, north, up = field(11)
    s1, s2 = np.array(los_vector(*ASC)), np.array(los_vector(*DESC))
    s3 = (0.3 * s1 + 0.7 * s2) / np.linalg.norm(0.3 * s1 + 0.7 * s2)
    sol = comp.solve(blocks([tuple(s1), tuple(s2), tuple(s3)], east, north, up), comp.EAST_UP_NORTH)
    d = cross_direction(s1, s2)
    np.testing.assert_allclose(sol.up_north, north * d[1] + up * d[2], atol=1e-8)
    assert np.nanmax(sol.residual_rms) < 1e-8


def test_components_zero_is_untouched_by_along_track_rows():
    """COMPONENTS 0 with an along-track track: a row (sE, 0) in the east/up solve, north assumed zero."""
    east, _, up = field(12)
    vectors = [los_vector(*ASC), los_vector(*DESC), g.along_track_unit_vector(348.0)]
    sol = invert([TrackBlock(b.los, b.s_east, b.s_north, b.s_up) for b in blocks(vectors, east, 0.0, up)])
    np.testing.assert_allclose(sol.horizontal, east, atol=1e-6)
    np.testing.assert_allclose(sol.up, up, atol=1e-6)


# -- the one guard over random geometries, degenerate inputs -----------------------------------

unit_angles = st.tuples(st.floats(0, 360), st.floats(5, 60), st.sampled_from([g.RIGHT, g.LEFT]),
                        st.booleans())  # fmt: skip


def vector_of(h, t, side, along):
    return tuple(float(x) for x in (g.along_track_unit_vector(h) if along else los_vector(h, t, side)))


@settings(max_examples=150, deadline=None)
@given(st.lists(unit_angles, min_size=3, max_size=5), st.floats(-30, 30), st.floats(-30, 30), st.floats(-30, 30))
@example([(0.0, 5.0, g.RIGHT, True), (0.0, 6.0, g.RIGHT, False), (0.5, 6.0, g.RIGHT, False)], 0.0, 0.0, 0.0)  # cond 5e5
def test_property_three_d_is_truth_exactly_where_the_guard_says_and_nodata_elsewhere(geoms, e, n_, u):
    vectors = [vector_of(*x) for x in geoms]
    sol = comp.solve(blocks(vectors, np.array([e]), np.array([n_]), np.array([u])), comp.EAST_NORTH_UP)
    ok, cond = resolvable.resolvable_tracks([s[0] for s in vectors], [s[2] for s in vectors], 10.0,
                                            north=[s[1] for s in vectors])  # fmt: skip
    s = np.array(vectors)
    if np.isfinite(cond):
        # the guard's cond comes from G'G, whose rounding grows with cond squared (1e-6 relative
        # up to cond ~ 3e4; 5e-5 at 5e5, far past any MAX_CONDITION)
        assert cond == pytest.approx(np.linalg.cond(s), rel=max(1e-6, 1e-15 * np.linalg.cond(s) ** 2))
    if ok:
        np.testing.assert_allclose([sol.horizontal[0], sol.north[0], sol.up[0]], [e, n_, u], atol=1e-6)
    else:
        assert np.isnan(sol.horizontal[0]) and np.isnan(sol.north[0]) and np.isnan(sol.up[0])


@settings(max_examples=150, deadline=None)
@given(unit_angles, unit_angles, st.floats(-30, 30), st.floats(-30, 30), st.floats(-30, 30))
def test_property_up_north_is_the_projection_or_nodata(a, b, e, n_, u):
    pair = [vector_of(*a), vector_of(*b)]
    sol = comp.solve(blocks(pair, np.array([e]), np.array([n_]), np.array([u])), comp.EAST_UP_NORTH)
    if np.isfinite(sol.up_north[0]):
        assert sol.condition[0] <= 10.0
        d = cross_direction(*pair)
        assert sol.up_north[0] == pytest.approx(n_ * d[1][()] + u * d[2][()], abs=1e-6)
    else:
        assert not sol.condition[0] <= 10.0


def test_degenerate_inputs():
    east, north, up = field(13, (5, 5))
    s = los_vector(*ASC)
    # parallel look vectors: nothing solved in either mode, no huge values
    for components in (comp.EAST_NORTH_UP, comp.EAST_UP_NORTH):
        sol = comp.solve(blocks([s, s, s], east, north, up), components)
        assert np.isnan(sol.horizontal).all() and np.isnan(sol.up).all()
    # a NaN sigma removes that track only where it is NaN
    sig = np.full((5, 5), 60.0)
    sig[0, 0] = np.nan
    vectors = THREE_D_SETS["asc + desc LOS + ascending along-track"]
    sol = comp.solve(blocks(vectors, east, north, up, [1.0, 1.0, sig]), comp.EAST_NORTH_UP)
    assert np.isnan(sol.north[0, 0]) and sol.n_tracks[0, 0] == 2
    np.testing.assert_allclose(sol.north[1:], north[1:], atol=1e-8)
    with pytest.raises(ValueError, match="every track has a standard deviation"):
        comp.solve(blocks(vectors, east, north, up, [1.0, 1.0, None]), comp.EAST_NORTH_UP)
    with pytest.raises(ValueError, match="COMPONENTS 1 solves north"):
        comp.solve(blocks(vectors, east, north, up), comp.EAST_NORTH_UP, north_velocity=1.0)
