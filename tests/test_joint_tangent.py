"""The sigmas' tangents (core/solve/joint_tangent.py and joint_banded's propagated
covariance) against dense matrices: the derivative of the banded LDL' and of its selected
inverse along a banded direction E is -diag(N^-1 E N^-1); with the offsets' border and the
reference date's columns, diag(Z D Z) and Z D Z r of the whole normal matrix (offsets in)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_joint_batched import _dates, _tracks

from insar_decomposition.core.solve import joint_banded as jb
from insar_decomposition.core.solve import joint_tangent as jt
from insar_decomposition.core.solve import timeseries_decomp as tsd


def _dense(band):
    """(P, n, n) symmetric matrices from their lower bands (w + 1, n, P)."""
    n, p = band.shape[1:]
    out = np.zeros((p, n, n))
    for d in range(band.shape[0]):
        for i in range(d, n):
            out[:, i, i - d] = out[:, i - d, i] = band[d, i]
    return out


def _random_band(rng, n, p, scale):
    """Symmetric banded matrices, positive definite when ``scale`` > 0 (diagonally dominant:
    the 2 WIDTH off-diagonal entries of a row sum to at most 1)."""
    band = rng.uniform(-1, 1, (jb.WIDTH + 1, n, p)) / (2 * jb.WIDTH)
    band[0] = np.abs(band[0]) + scale
    return band


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 14), dominance=st.sampled_from([1.0, 3.0, 100.0]))
def test_property_tangents_equal_dense_derivative(seed, n, dominance):
    """ldl_tangent + selected_inverse_tangent: N^-1's band and -diag(N^-1 E N^-1) as dense
    linear algebra gives them, for any size (shorter than the band too)."""
    rng = np.random.default_rng(seed)
    p = 5
    band, direction = _random_band(rng, n, p, dominance), _random_band(rng, n, p, 0.0)  # E: any sign
    low, pivots = jb.ldl(band)
    inner, d_inner = jt.selected_inverse_tangent(low, pivots, *jt.ldl_tangent(low, pivots, direction))
    Z = np.linalg.inv(_dense(band))
    expected = -np.einsum("pij,pjk,pki->ip", Z, _dense(direction), Z)
    np.testing.assert_allclose(d_inner, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(inner[0], np.einsum("pii->ip", Z), rtol=1e-10)
    if n > 2:
        np.testing.assert_allclose(inner[1, :-2], np.stack([Z[:, i + 2, i] for i in range(n - 2)]), rtol=1e-9,
                                   atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(inner, jb.selected_inverse(low, pivots), rtol=1e-12, atol=1e-15)
    v = rng.normal(0, 1, (n, 3, p))
    np.testing.assert_allclose(jt.band_times(band, v), np.einsum("pij,jcp->icp", _dense(band), v), rtol=1e-12,
                               atol=1e-12)  # fmt: skip


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000), gaps=st.sampled_from([0.0, 0.05, 0.3]), three=st.booleans(),
       regularization=st.sampled_from([0.1, 1.0, 5.0]), position=st.floats(0.0, 1.0))  # fmt: skip
def test_property_propagated_covariance_equals_dense_sandwich(seed, gaps, three, regularization, position):
    """The offsets eliminated: the displacement block of Z D Z (Z the whole normal matrix's
    inverse, D the data's, both with the tracks' offsets) on its diagonal and on the
    reference vectors' columns, for a reference on a date or between two, two or three
    tracks, gaps."""
    rng = np.random.default_rng(seed)
    p = 12
    tracks = _tracks(rng, p, 12, gaps, True, 3 if three else 2)
    dates = _dates(tracks, False)
    reg = regularization * 12 / 365.25
    scale = rng.uniform(0.05, 0.5, p)
    terms = [(t[1], *(tsd._joint_terms(t, dates, p)[i] for i in (1, 3, 4, 5))) for t in tracks]
    *_, border, offsets, _, _, low, pivots, fine, data = jb._factor(terms, [t[0] for t in tracks], dates, reg,
                                                                    scale, True)  # fmt: skip
    assert fine.all()
    n, t = data.shape[1], len(tracks)
    smoothing = np.zeros_like(data)
    for d, r in enumerate(jb.smoothing_bands(dates, reg)):
        for c in (0, 1):
            smoothing[2 * d, 2 * d + c :: 2] += scale[None, :] * r[:, None]
    D = np.zeros((p, n + t, n + t))
    D[:, :n, :n] = _dense(data)
    D[:, :n, n:] = np.transpose(border, (2, 0, 1))
    D[:, n:, :n] = np.transpose(border, (2, 1, 0))
    D[:, n:, n:] = np.transpose(offsets, (2, 0, 1))
    N = D.copy()
    N[:, :n, :n] += _dense(smoothing)
    Z = np.linalg.inv(N)
    sandwich = (Z @ D @ Z)[:, :n, :n]
    reference = dates[0] + position * (dates[-1] - dates[0])
    r = jb._reference_vector(dates, reference, n, float)
    X = jb.ldl_solve(low, pivots, border)
    S = offsets - jb._products(border, X)
    s_inv, _ = jb.dense_solve(S, np.broadcast_to(np.eye(t)[:, :, None], S.shape).copy(), np.ones((t, p)))
    full = (low, pivots, border, offsets, X, s_inv)
    _, d_inverse = jt.selected_inverse_tangent(low, pivots, *jt.ldl_tangent(low, pivots, data))
    diagonal = jb._propagated_diagonal(full, data, d_inverse)
    np.testing.assert_allclose(diagonal, np.einsum("pii->ip", sandwich), rtol=1e-8)
    columns = jb._propagated_columns(full, data, jb.ldl_solve(low, pivots, np.broadcast_to(r, (n, 2, p)).copy()))
    expected = np.einsum("pij,jc->icp", sandwich, r[:, :, 0])
    np.testing.assert_allclose(columns, expected, rtol=1e-8, atol=1e-10 * np.abs(expected).max())
