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


def _agree(tracks, dates, reference, regularization):
    fast = tsd.joint_solve(tracks, dates, reference, regularization)
    slow = tsd.joint_solve(tracks, dates, reference, regularization, batched=False)
    for a, b in zip(fast[:2], slow[:2]):
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
    east, up, _, _ = _agree(tracks, dates, dates[2], 0.5 * 12 / 365.25)
    assert np.isnan(up[:, :4]).all() and np.isfinite(up[:, 4:]).all()


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
