"""Method 1 solved many pixels at once (core/solve/joint_banded.py) against the per-pixel
dense normal matrices (``joint_solve(..., batched=False)``, today's solver): the same
numbers to 1e-6 relative on random geometries, gaps and sigmas, and the same NaN where a
pixel cannot be solved (parallel looks, a NaN sigma, no data, no smoothing)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from insar_decomposition.core.solve import joint_banded
from insar_decomposition.core.solve import timeseries_decomp as tsd


def _tracks(rng, p, n, gaps, weighted, ntracks=2):
    """``ntracks`` tracks of ``n`` acquisitions 12 days apart (the second 5 days later),
    random per-pixel sensitivities (ascending looks east, descending west; a third track
    steeper), random values and sigmas, ``gaps`` of pixel-acquisitions missing."""
    out = []
    for j in range(ntracks):
        epochs = np.arange(n) * 12.0 + (0.0, 5.0, 9.0)[j]
        y = rng.normal(0, 5, (n, p))
        y[rng.random((n, p)) < gaps] = np.nan
        s_h = (1, -1, 1)[j] * rng.uniform(0.3, 0.7, p)
        s_up = rng.uniform(0.6, 0.95, p)
        sigma = rng.uniform(0.5, 4.0, p) if weighted else None
        out.append((epochs, y, s_h, s_up, sigma))
    return out


def _dates(tracks, mode_regular):
    first = max(t[0][0] for t in tracks)
    last = min(t[0][-1] for t in tracks)
    if mode_regular:
        return np.arange(first, last + 1, 20.0)
    every = np.unique(np.concatenate([t[0] for t in tracks]))
    return every[(every >= first) & (every <= last)]


def _agree(tracks, dates, reference, regularization, with_sigma=False):
    fast = tsd.joint_solve(tracks, dates, reference, regularization, with_sigma=with_sigma)
    slow = tsd.joint_solve(tracks, dates, reference, regularization, with_sigma=with_sigma, batched=False)
    for a, b in zip(fast, slow) if with_sigma else zip(fast[:2], slow[:2]):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        scale = np.nanmax(np.abs(b)) if np.isfinite(b).any() else 1.0
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6 * scale)
    return fast


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000), regularization=st.sampled_from([0.0, 0.02, 0.5, 5.0]),
       weighted=st.booleans(), gaps=st.sampled_from([0.0, 0.05, 0.3]), regular=st.booleans(),
       three=st.booleans(), reference=st.integers(0, 5))  # fmt: skip
def test_property_batched_equals_pixel_by_pixel(seed, regularization, weighted, gaps, regular, three, reference):
    rng = np.random.default_rng(seed)
    tracks = _tracks(rng, 60, 14, gaps, weighted, 3 if three else 2)
    dates = _dates(tracks, regular)
    east, up, _, _ = _agree(tracks, dates, dates[min(reference, len(dates) - 1)], regularization * 12 / 365.25)
    if regularization > 0 and gaps < 0.1:
        assert np.isfinite(up).all()  # the batched path itself was tested, not only NaN against NaN


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000), regularization=st.sampled_from([0.1, 0.5, 5.0]),
       gaps=st.sampled_from([0.0, 0.05, 0.3]), regular=st.booleans(), three=st.booleans(),
       reference=st.integers(0, 30))  # fmt: skip
def test_property_batched_sigmas_equal_pixel_by_pixel(seed, regularization, gaps, regular, three, reference):
    """The propagated sigmas (N^-1 D N^-1 by a complex step, with the offsets eliminated)
    against the per-pixel dense sandwich, per-pixel geometry and sigmas, any reference (on
    an output date, or between two with regular dates). Weak smoothing (REGULARIZATION
    0.02) is left out: there both solvers lose digits to the condition (1e9 to 1e10), each
    its own way (checked against 40-digit arithmetic while writing this). The reference
    date is inside the output span, as ``reference_date`` requires."""
    rng = np.random.default_rng(seed)
    tracks = _tracks(rng, 40, 14, gaps, True, 3 if three else 2)
    dates = _dates(tracks, regular)
    days = np.unique(np.concatenate([dates, tracks[0][0]]))
    days = days[(days >= dates[0]) & (days <= dates[-1])]  # the run's rule: the reference is inside the span
    east, up, s_east, s_up = _agree(tracks, dates, days[min(reference, len(days) - 1)],
                                    regularization * 12 / 365.25, with_sigma=True)  # fmt: skip
    assert s_east is not None and np.isfinite(s_up[:, np.isfinite(up[0])]).all()
    if gaps < 0.1:
        assert np.isfinite(s_up).all() and (s_up > 0).any()


def test_weakly_smoothed_near_singular_pixels_are_nan_in_both():
    """The per-pixel solver leaves a pixel NaN where its normal matrix (velocity basis) has
    condition >= 1e12. With smoothing this weak the condition is past that while the banded
    factorisation's pivots are fine: the batched path must not solve these pixels (it hands
    them back: the bound trace(N) trace(N^-1) is over the threshold); a little more
    smoothing and both solve them."""
    rng = np.random.default_rng(11)
    tracks = _tracks(rng, 20, 12, 0.0, True)
    dates = _dates(tracks, False)
    weak = 1.6e-4 * 12 / 365.25
    east, up, s_east, s_up = _agree(tracks, dates, dates[0], weak, with_sigma=True)
    assert np.isnan(up).all() and np.isnan(s_up).all()
    terms = [(t[1], np.isfinite(t[1]), np.isfinite(t[1]) / t[4] ** 2, t[2], t[3]) for t in tracks]
    epochs = [t[0] for t in tracks]
    scale = np.full(20, 1.0 / (2.0 * np.mean([np.mean(t[4] ** 2) for t in tracks])))
    *_, fine = joint_banded._factor(terms, epochs, dates, weak, scale, False)
    assert fine.all()  # the pivots alone would have let them through
    assert joint_banded.banded_solve(terms, epochs, dates, dates[0], weak, scale)[2].all()
    east, up, _, _ = _agree(tracks, dates, dates[0], 50 * weak)
    assert np.isfinite(up).all()


def test_degenerate_pixels_are_nan_in_both():
    rng = np.random.default_rng(3)
    tracks = _tracks(rng, 8, 12, 0.0, True)
    (ea, ya, ha, ua, sa), (ed, yd, hd, ud, sd) = tracks
    hd[0], ud[0] = -ha[0], -ua[0]  # parallel look vectors (opposite): the guard refuses
    sa[1] = np.nan  # a NaN sigma: the track is left out there, one track cannot resolve
    ya[:, 2] = np.nan
    yd[:, 2] = np.nan  # no data at all
    ya[:, 3] = np.nan  # one track only
    dates = _dates(tracks, False)
    east, up, s_east, s_up = _agree(tracks, dates, dates[2], 0.5 * 12 / 365.25, with_sigma=True)
    assert np.isnan(up[:, :4]).all() and np.isfinite(up[:, 4:]).all()
    assert np.isnan(s_up[:, :4]).all() and np.isfinite(s_up[:, 4:]).all()


def test_without_smoothing_unseen_intervals_are_handed_back_and_stay_nan():
    """Regularization 0: an interval seen by one track only leaves the system singular; the
    batched factorisation hands such pixels back and the per-pixel rule decides (NaN)."""
    rng = np.random.default_rng(5)
    tracks = _tracks(rng, 10, 10, 0.0, False)
    dates = _dates(tracks, False)
    values = [(t[1], np.isfinite(t[1]), np.isfinite(t[1]) * 1.0, t[2], t[3]) for t in tracks]
    _, _, back = joint_banded.banded_solve(values, [t[0] for t in tracks], dates, dates[0], 0.0, np.ones(10))
    assert back.all()
    east, up, _, _ = _agree(tracks, dates, dates[0], 0.0)
    assert np.isnan(up).all()


def test_known_answer_linear_motion_with_per_pixel_geometry():
    """A forward model: constant east and up velocities seen through per-pixel geometry are
    recovered exactly (linear motion fits any smoothing)."""
    rng = np.random.default_rng(8)
    p, n = 50, 20
    ve, vu = rng.normal(0, 10, p), rng.normal(-5, 10, p)
    tracks = []
    for j in range(2):
        epochs = np.arange(n) * 12.0 + 6.0 * j
        s_h, s_up = (1, -1)[j] * rng.uniform(0.3, 0.7, p), rng.uniform(0.6, 0.95, p)
        y = (s_h * ve + s_up * vu)[None, :] * (epochs[:, None] / 365.25) + rng.normal(0, 3, p)  # any offset
        tracks.append((epochs, y, s_h, s_up, None))
    dates = _dates(tracks, False)
    east, up, _, _ = _agree(tracks, dates, dates[0], 1.0 * 12 / 365.25)
    years = (dates - dates[0])[:, None] / 365.25
    np.testing.assert_allclose(east, ve[None, :] * years, atol=1e-8)
    np.testing.assert_allclose(up, vu[None, :] * years, atol=1e-8)


def test_interpolation_matches_the_velocity_design():
    """The displacement basis is the velocity basis times the cumulative intervals:
    interpolation(epochs) @ C == displacement_design(epochs)."""
    dates = np.array([0.0, 10.0, 25.0, 31.0, 60.0])
    epochs = np.array([-3.0, 0.0, 4.0, 10.0, 27.5, 60.0, 70.0])
    steps = np.diff(dates) / 365.25
    C = np.tril(np.ones((4, 4))) * steps[None, :]
    np.testing.assert_allclose(joint_banded.interpolation(epochs, dates) @ C, tsd.displacement_design(epochs, dates),
                               atol=1e-15)  # fmt: skip


def test_condition_bound_uses_the_velocity_basis_traces():
    """The batched path's condition bound is trace(N) trace(N^-1) of the per-pixel solver's
    own normal matrix (velocity basis, smoothing and offsets in): both traces, computed from
    the displacement-basis band and its selected inverse, equal the dense ones; the bound is
    above the condition (and so the rule can only send pixels to the per-pixel solver)."""
    rng = np.random.default_rng(4)
    tracks = _tracks(rng, 6, 10, 0.1, True, 3)
    dates = _dates(tracks, False)
    reg, p, m = 0.5 * 12 / 365.25, 6, len(dates) - 1
    normal, _, mean_var = tsd._joint_normal(tracks, dates, p)
    scale = 1.0 / (2.0 * mean_var)
    D = np.diff(np.eye(m), axis=0)
    for block in (slice(0, m), slice(m, 2 * m)):
        normal[:, block, block] += scale[:, None, None] * reg**2 * (D.T @ D)
    terms = [(t[1], *(tsd._joint_terms(t, dates, p)[i] for i in (1, 3, 4, 5))) for t in tracks]
    trace, border, offsets, rhs, _, low, pivots, fine = joint_banded._factor(terms, [t[0] for t in tracks], dates,
                                                                             reg, scale, False)  # fmt: skip
    _, X, s_inv, _ = joint_banded._schur(low, pivots, border, offsets, rhs[:, None])
    inner = joint_banded.selected_inverse(low, pivots) + joint_banded._border_correction(X, s_inv)
    trace_inv, _ = joint_banded._velocity_inverse_diagonal(inner, dates, np.diagonal(s_inv).T)
    assert fine.all()
    np.testing.assert_allclose(trace, np.trace(normal, axis1=1, axis2=2), rtol=1e-9)
    np.testing.assert_allclose(trace_inv, np.trace(np.linalg.inv(normal), axis1=1, axis2=2), rtol=1e-7)
    assert (trace * trace_inv >= np.linalg.cond(normal)).all()
