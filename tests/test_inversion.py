"""Known answers from the forward model, Monte-Carlo sigma, degenerate geometry."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.solve.inversion import TrackBlock, condition_number, invert

S1_ASC = (348.0, 34.0)
S1_DESC = (192.0, 39.0)


def tracks_from(geoms, east, north, up, sigma=None, dtype=np.float32):
    """Forward model: ENU velocity -> LOS (toward) for each (heading, incidence, side)."""
    out = []
    for i, (h, t, *side) in enumerate(geoms):
        s = g.from_heading_incidence(h, t, side[0] if side else g.RIGHT)
        los = g.forward(s, east, north, up).astype(dtype)
        out.append(TrackBlock(los, *s, sigma=None if sigma is None else sigma[i]))
    return out


def random_field(rng, shape, scale=30.0):
    return rng.normal(0, scale, shape), rng.normal(0, scale, shape)


@pytest.mark.parametrize(
    "geoms",
    [
        [S1_ASC, S1_DESC],
        [S1_ASC, S1_DESC, (350.0, 44.0)],
        [S1_ASC, S1_DESC, (350.0, 44.0), (190.0, 31.0)],
        [(348.0, 35.0, g.LEFT), (348.0, 35.0, g.RIGHT)],  # NISAR-like left + right ascending
        [(12.0, 30.0, g.LEFT), S1_DESC, (200.0, 45.0, g.LEFT)],
    ],
)
def test_known_answer_recovers_random_velocities(geoms):
    rng = np.random.default_rng(1)
    east, up = random_field(rng, (50, 60))
    sol = invert(tracks_from(geoms, east, 0.0, up))
    # float32 LOS: errors at float32 precision times a geometry amplification of a few
    np.testing.assert_allclose(sol.horizontal, east, atol=2e-5 * 30 * 5)
    np.testing.assert_allclose(sol.up, up, atol=2e-5 * 30 * 5)
    assert np.all(sol.n_tracks == len(geoms))
    if len(geoms) >= 3:
        assert np.nanmax(sol.residual_rms) < 1e-4 * 30
    else:
        assert np.all(np.isnan(sol.residual_rms))


def test_per_pixel_geometry_and_nan_gaps():
    rng = np.random.default_rng(2)
    shape = (40, 30)
    east, up = random_field(rng, shape)
    tracks = []
    for h0, t0 in (S1_ASC, S1_DESC, (350.0, 44.0), (190.0, 31.0)):
        heading = h0 + rng.uniform(-2, 2, shape)
        inc = t0 + np.linspace(-5, 5, shape[1])[None, :] + np.zeros(shape)
        s = g.from_heading_incidence(heading, inc)
        los = g.forward(s, east, 0.0, up).astype(np.float32)
        los[rng.random(shape) < 0.3] = np.nan
        tracks.append(TrackBlock(los, *s))
    sol = invert(tracks)
    n_valid = sum(np.isfinite(t.los).astype(int) for t in tracks)
    np.testing.assert_array_equal(sol.n_tracks, n_valid)
    ok = np.isfinite(sol.up)
    assert ok.sum() > 0.5 * ok.size
    np.testing.assert_allclose(sol.horizontal[ok], east[ok], atol=5e-3)
    np.testing.assert_allclose(sol.up[ok], up[ok], atol=5e-3)
    # a pixel is resolved exactly when an east-looking and a west-looking track have data
    asc_any = np.isfinite(tracks[0].los) | np.isfinite(tracks[2].los)
    desc_any = np.isfinite(tracks[1].los) | np.isfinite(tracks[3].los)
    np.testing.assert_array_equal(ok, asc_any & desc_any)


def test_north_removal_recovers_truth():
    rng = np.random.default_rng(3)
    east, up = random_field(rng, (20, 20))
    north = rng.normal(0, 30, (20, 20))
    geoms = [S1_ASC, S1_DESC]
    biased = invert(tracks_from(geoms, east, north, up))
    assert np.max(np.abs(biased.up - up)) > 1.0  # ignoring north is wrong here
    fixed = invert(tracks_from(geoms, east, north, up), north_velocity=north)
    np.testing.assert_allclose(fixed.horizontal, east, atol=1e-2)
    np.testing.assert_allclose(fixed.up, up, atol=1e-2)


def test_north_sigma_adds_variance():
    geoms = [S1_ASC, S1_DESC]
    base = invert(tracks_from(geoms, 1.0, 0.0, 1.0, sigma=[1.0, 1.0]), north_velocity=0.0)
    more = invert(tracks_from(geoms, 1.0, 0.0, 1.0, sigma=[1.0, 1.0]), north_velocity=0.0, north_sigma=5.0)
    assert more.sigma_up > base.sigma_up and more.sigma_horizontal > base.sigma_horizontal


@pytest.mark.parametrize("azimuth", [90.0, 60.0, 120.0, 250.0])
def test_horizontal_along_an_azimuth(azimuth):
    rng = np.random.default_rng(4)
    v_h, up = random_field(rng, (10, 10))
    phi = np.radians(azimuth)
    east, north = v_h * np.sin(phi), v_h * np.cos(phi)
    sol = invert(tracks_from([S1_ASC, S1_DESC], east, north, up), horizontal_azimuth=azimuth)
    np.testing.assert_allclose(sol.horizontal, v_h, atol=1e-2)
    np.testing.assert_allclose(sol.up, up, atol=1e-2)


def test_azimuth_and_north_together_are_refused():
    with pytest.raises(ValueError, match="cannot be combined"):
        invert(tracks_from([S1_ASC, S1_DESC], 1.0, 0.0, 1.0), north_velocity=1.0, horizontal_azimuth=30.0)


def test_covariance_is_the_analytic_inverse_of_normal_matrix():
    geoms = [S1_ASC, S1_DESC, (350.0, 44.0)]
    sig = [2.0, 3.0, 5.0]
    sol = invert(tracks_from(geoms, 1.0, 0.0, 1.0, sigma=sig))
    G = np.array([[g.from_heading_incidence(h, t)[0], g.from_heading_incidence(h, t)[2]] for h, t in geoms])
    W = np.diag(1 / np.square(sig))
    C = np.linalg.inv(G.T @ W @ G)
    assert sol.sigma_horizontal == pytest.approx(np.sqrt(C[0, 0]))
    assert sol.sigma_up == pytest.approx(np.sqrt(C[1, 1]))
    assert sol.correlation == pytest.approx(C[0, 1] / np.sqrt(C[0, 0] * C[1, 1]))
    assert sol.condition == pytest.approx(np.linalg.cond(G))


@pytest.mark.parametrize(
    "geoms,sig", [([S1_ASC, S1_DESC], [2.0, 3.0]), ([S1_ASC, S1_DESC, (350.0, 44.0)], [1.0, 4.0, 2.0])]
)
def test_sigma_agrees_with_monte_carlo(geoms, sig):
    rng = np.random.default_rng(5)
    n = 200_000
    clean = tracks_from(geoms, 10.0, 0.0, -5.0, dtype=np.float64)
    noisy = [TrackBlock(t.los + rng.normal(0, s, n), t.s_east, t.s_north, t.s_up, sigma=s) for t, s in zip(clean, sig)]
    sol = invert(noisy)
    assert np.std(sol.horizontal) == pytest.approx(sol.sigma_horizontal[0], rel=0.02)
    assert np.std(sol.up) == pytest.approx(sol.sigma_up[0], rel=0.02)
    mc_corr = np.corrcoef(sol.horizontal, sol.up)[0, 1]
    assert mc_corr == pytest.approx(sol.correlation[0], abs=0.01)
    assert np.mean(sol.up) == pytest.approx(-5.0, abs=0.05)


def test_weighted_solution_matches_per_pixel_lstsq():
    rng = np.random.default_rng(6)
    geoms = [S1_ASC, S1_DESC, (350.0, 44.0), (190.0, 31.0)]
    shape = (15, 15)
    los = [rng.normal(0, 10, shape) for _ in geoms]
    sig = [rng.uniform(0.5, 5, shape) for _ in geoms]
    ss = [g.from_heading_incidence(h, t) for h, t in geoms]
    sol = invert([TrackBlock(d, *s, sigma=sd) for d, s, sd in zip(los, ss, sig)])
    for r, c in [(0, 0), (3, 7), (14, 14)]:
        G = np.array([[s[0], s[2]] for s in ss])
        w = np.array([1 / sd[r, c] for sd in sig])
        d = np.array([x[r, c] for x in los])
        m, *_ = np.linalg.lstsq(G * w[:, None], d * w, rcond=None)
        assert sol.horizontal[r, c] == pytest.approx(m[0])
        assert sol.up[r, c] == pytest.approx(m[1])
        res = d - G @ m
        assert sol.residual_rms[r, c] == pytest.approx(np.sqrt(np.mean(res**2)))


def test_same_look_direction_is_nodata_not_huge():
    sol = invert(tracks_from([S1_ASC, (350.0, 44.0)], 5.0, 0.0, 5.0))
    assert np.isnan(sol.horizontal) and np.isnan(sol.up)
    assert np.isfinite(sol.condition)  # reported, to say why


def test_near_degenerate_pair_is_masked_by_the_threshold():
    # An east-looking and a west-looking track, both nearly vertical: resolvable in
    # principle, but cond(G) is huge.
    tracks = tracks_from([(0.0, 1.0), (180.0, 1.0)], 5.0, 0.0, 5.0)
    sol = invert(tracks)
    assert sol.condition > 10 and np.isnan(sol.up)
    loose = invert(tracks, max_condition=1e6)
    assert loose.up == pytest.approx(5.0, abs=1e-3)


def test_fewer_than_two_tracks_and_mixed_sigma_are_refused():
    with pytest.raises(ValueError, match="two tracks"):
        invert(tracks_from([S1_ASC], 1.0, 0.0, 1.0))
    t = tracks_from([S1_ASC, S1_DESC], 1.0, 0.0, 1.0)
    t[0].sigma = 1.0
    with pytest.raises(ValueError, match="every track"):
        invert(t)


def test_invalid_sigma_removes_only_that_track():
    t = tracks_from(
        [S1_ASC, S1_DESC, (350.0, 44.0)], np.ones(3), 0.0, np.ones(3), sigma=[np.array([1.0, 0.0, np.nan]), 1.0, 1.0]
    )
    sol = invert(t)
    np.testing.assert_array_equal(sol.n_tracks, [3, 2, 2])
    np.testing.assert_allclose(sol.up, 1.0, atol=1e-6)


def test_condition_number_closed_form():
    rng = np.random.default_rng(7)
    for _ in range(20):
        G = rng.normal(size=(3, 2))
        M = G.T @ G
        assert condition_number(M[0, 0], M[0, 1], M[1, 1]) == pytest.approx(np.linalg.cond(G))
    assert condition_number(1.0, 1.0, 1.0) == np.inf


asc_headings = st.floats(min_value=330, max_value=370)
desc_headings = st.floats(min_value=170, max_value=210)
incs = st.floats(min_value=20, max_value=50)
vel = st.floats(min_value=-100, max_value=100)


@settings(max_examples=200, deadline=None)
@given(asc_headings, incs, desc_headings, incs, vel, vel, st.sampled_from([g.RIGHT, g.LEFT]))
def test_property_any_opposite_pair_recovers_truth(ha, ta, hd, td, east, up, side):
    tracks = tracks_from([(ha, ta, side), (hd, td, side)], np.float64(east), 0.0, np.float64(up), dtype=np.float64)
    sol = invert(tracks)
    assert sol.horizontal == pytest.approx(east, abs=1e-9)
    assert sol.up == pytest.approx(up, abs=1e-9)
    assert sol.condition >= 1.0 and sol.condition < 10


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 360), st.floats(5, 60), st.sampled_from([g.RIGHT, g.LEFT])), min_size=2, max_size=5
    ),
    vel,
    vel,
)
def test_property_result_is_truth_or_nodata_never_huge(geoms, east, up):
    sol = invert(tracks_from(geoms, np.float64(east), 0.0, np.float64(up), dtype=np.float64))
    if np.isfinite(sol.up):
        assert sol.condition <= 10
        assert sol.horizontal == pytest.approx(east, abs=1e-6)
        assert sol.up == pytest.approx(up, abs=1e-6)
    else:
        assert np.isnan(sol.horizontal)


sides_st = st.sampled_from([g.RIGHT, g.LEFT])


def _fields(sol):
    return ("horizontal", "up", "sigma_horizontal", "sigma_up", "correlation", "condition", "n_tracks", "residual_rms")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 360), st.floats(10, 60), sides_st), min_size=2, max_size=4),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_property_both_code_paths_agree(geoms, weighted, seed):
    """Single-valued geometry is solved once per validity pattern; the same geometry given
    per pixel goes through the per-pixel path. Both must give the same answer."""
    rng = np.random.default_rng(seed)
    shape = (12, 9)
    constant, per_pixel = [], []
    for h, t, side in geoms:
        s = g.from_heading_incidence(h, t, side)
        los = rng.normal(0, 20, shape)
        los[rng.random(shape) < 0.3] = np.nan
        sigma = float(rng.uniform(0.5, 3)) if weighted else None
        constant.append(TrackBlock(los, *s, sigma=sigma))
        per_pixel.append(TrackBlock(los, *(np.full(shape, c) for c in s), sigma=sigma))
    a, b = invert(constant), invert(per_pixel)
    # cond(G) of nearly singular geometries is itself ill-determined: compare it relatively
    # where it means something, and only its being huge elsewhere
    sane = np.nan_to_num(a.condition, nan=np.inf) < 1e4  # relative error grows as eps * cond^2
    np.testing.assert_allclose(a.condition[sane], b.condition[sane], rtol=1e-6, equal_nan=True)
    assert np.all((b.condition[~sane] > 1e3) | np.isnan(b.condition[~sane]))
    for name in _fields(a):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None
            continue
        if name != "condition":
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=name)
