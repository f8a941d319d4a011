"""The speed paths of the batched solve (issue 33's speed must-show, issue 36's gaps target)
change no result: products taken in one-thread slices, groups converted chunk by chunk into
one buffer, columns gathered with ``np.take`` and scattered row by row, against the plain
numpy forms and against the pixel-by-pixel path, on random masks, gaps and dropped steps."""

import datetime

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from insar_decomposition.core.solve import batch_lsq as bl
from insar_decomposition.core.solve import time_functions as tf

D = datetime.date
EPOCHS = [D(2020, 1, 1) + datetime.timedelta(days=12 * i) for i in range(40)]
MODEL = tf.Model(2, (1.0,), (EPOCHS[15] + datetime.timedelta(days=2),), ((EPOCHS[25], 30.0),))


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 20), inner=st.integers(1, 120), cols=st.integers(0, 3000), seed=st.integers(0, 99))
def test_product_in_slices_is_the_matrix_product(rows, inner, cols, seed):
    rng = np.random.default_rng(seed)
    left, right = rng.normal(size=(rows, inner)), rng.normal(size=(inner, cols))
    got = bl.product(left, right)
    assert got.shape == (rows, cols)
    np.testing.assert_allclose(got, left @ right, rtol=1e-12, atol=1e-12 * inner)
    # the slices are real: the widest is under the one-thread bound
    assert max(1, bl.SMALL_PRODUCT // (rows * inner)) * rows * inner <= max(bl.SMALL_PRODUCT, rows * inner)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 12), size=st.integers(1, 400), seed=st.integers(0, 99), as_slice=st.booleans())
def test_put_columns_is_the_fancy_assignment(n, size, seed, as_slice):
    rng = np.random.default_rng(seed)
    idx = slice(size // 3, size) if as_slice else np.sort(rng.choice(size, rng.integers(0, size + 1), replace=False))
    width = len(range(size)[idx]) if as_slice else idx.size
    for values in (rng.random((n, width)) > 0.5, rng.random((n, 1)) > 0.5):
        expected, got = np.zeros((n, size), bool), np.zeros((n, size), bool)
        expected[:, idx] = values
        bl.put_columns(got, idx, values)
        np.testing.assert_array_equal(got, expected)


def _stack(seed, pixels, gaps, shared):
    rng = np.random.default_rng(seed)
    A = tf.design(EPOCHS, MODEL, EPOCHS[0])
    y = (A @ rng.normal(0, 3, (A.shape[1], pixels)) + rng.normal(0, 1, (len(EPOCHS), pixels))).astype(np.float32)
    y[rng.random(y.shape) < gaps] = np.nan
    y[: rng.integers(0, 20), : shared // 2] = np.nan  # a shared pattern: a step dropped there
    y[14:17, shared // 2 : shared] = np.nan  # another, across the step
    return A, y


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 999), gaps=st.sampled_from([0.0, 0.01, 0.2]), shared=st.integers(0, 600),
       method=st.sampled_from([bl.FORMAL, bl.CORRELATED]))  # fmt: skip
@example(seed=847, gaps=0.0, shared=110, method=bl.FORMAL)  # rss and cov 1.2e-7 apart (a clean-clone run)
def test_groups_in_chunks_equal_the_pixel_by_pixel_solve(seed, gaps, shared, method):
    A, y = _stack(seed, 900, gaps, shared)
    terms = tf.terms(EPOCHS, MODEL)
    options = bl.Options(method)
    grouped = bl.fit_terms(y, A, terms, options, group_pixels=50)
    apart = bl.fit_terms(y, A, terms, options, group_pixels=10**9)
    for name in ("count", "kept", "used"):
        np.testing.assert_array_equal(getattr(grouped, name), getattr(apart, name))
    assert_same_fit(grouped, apart, y, ("params", "sigma", "cov", "rss", "factor"))
    assert np.isfinite(grouped.params[0]).any()


def assert_same_fit(got, want, y, names, rtol=1e-7, atol=1e-9):
    """Two solves of the same pixels agree to ``rtol`` relative (``atol`` absolute), the parameters'
    tolerance carried into what the residual sum of squares sets: ``rss = y'y - m'A'y``
    (``_estimate``) is not stationary in m, so parameters 1e-7 apart move it by up to about
    1e-7 m'A'y <= 1e-7 y'y, that is 1e-7 y'y / rss relative, and s^2 = rss / (n - p) carries
    it into the sigmas and covariances. (Seed 847 found 1.2e-7 in rss and cov with the
    parameters 2e-8 apart: an 8-term design's conditioning.)"""
    yy = np.nansum(np.square(y.astype(np.float64)), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        carried = np.where(want.rss > 0, rtol * yy / want.rss, 0.0)
    for name in names:
        a, b = getattr(got, name), getattr(want, name)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=name)
        tol = rtol * np.abs(b) + atol + (carried * np.abs(b) if name in ("sigma", "cov", "rss") else 0.0)
        bad = np.abs(a - b) > tol
        assert not bad[np.isfinite(b)].any(), (name, np.nanmax(np.abs(a - b) / np.maximum(tol, 1e-300)))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 999), gaps=st.sampled_from([0.0, 0.01]), chunk=st.integers(1, 300))
@example(seed=494, gaps=0.0, chunk=1)  # 1.9e-9 relative in a covariance (a clean-clone run found it)
def test_the_chunk_of_a_group_changes_only_rounding(seed, gaps, chunk):
    """The buffer reused chunk after chunk (and the last, shorter chunk) gives what one
    chunk holding every pixel gives, to float64 rounding: BLAS picks its kernel by the
    width of a product (a one-pixel chunk is a matrix-vector product), which moves the last
    bits; the residuals' sum of squares and the 8-term design's conditioning amplify them
    to about 2e-9 relative in the covariances (the tolerance is the grouped-solve test's
    above); as it did before for the last chunk of a block."""
    A, y = _stack(seed, 700, gaps, 300)
    terms, saved = tf.terms(EPOCHS, MODEL), bl.GROUP_CHUNK
    try:
        bl.GROUP_CHUNK = chunk
        small = bl.fit_terms(y, A, terms, group_pixels=50)
        bl.GROUP_CHUNK = 10**6
        whole = bl.fit_terms(y, A, terms, group_pixels=50)
    finally:
        bl.GROUP_CHUNK = saved
    for name in ("count", "kept", "used"):
        np.testing.assert_array_equal(getattr(small, name), getattr(whole, name))
    for name in ("params", "sigma", "cov", "rss"):
        np.testing.assert_allclose(getattr(small, name), getattr(whole, name), rtol=1e-7, atol=1e-9)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 999), gaps=st.sampled_from([0.0, 0.01, 0.2]), shared=st.integers(0, 600),
       group_pixels=st.sampled_from([50, 10**9]), method=st.sampled_from([bl.FORMAL, bl.CORRELATED]))  # fmt: skip
def test_without_the_used_mask_every_number_is_the_same(seed, gaps, shared, group_pixels, method):
    """keep_used=False (the velocity fit) leaves Fit.used None and changes no other bit."""
    A, y = _stack(seed, 900, gaps, shared)
    terms, options = tf.terms(EPOCHS, MODEL), bl.Options(method)
    kept = bl.fit_terms(y, A, terms, options, group_pixels=group_pixels)
    lean = bl.fit_terms(y, A, terms, options, group_pixels=group_pixels, keep_used=False)
    assert lean.used is None and kept.used.any()
    for name in ("params", "sigma", "cov", "count", "kept", "rss", "factor"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(kept, name))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 9999), n=st.integers(1, 60), pixels=st.integers(1, 3000),
       gaps=st.sampled_from([0.0, 0.01, 0.3, 0.9, 1.0]), design=st.sampled_from(["velocity", "any"]),
       width=st.sampled_from([None, 1, 7]))  # fmt: skip
@example(seed=0, n=3, pixels=5, gaps=0.0, design="velocity", width=None)  # under 4 epochs: all NaN
def test_the_closed_form_two_column_fit_is_the_general_solve(seed, n, pixels, gaps, design, width):
    """The linear velocity's own path (sums in closed form, no groups) against the general
    path on the same data: the same decisions (epochs counted, NaN under 4 epochs, at
    condition >= 1e12, at +-inf taken as missing), the same numbers to float64 rounding;
    on any two columns, any gaps, blocks of any width. (Within about 1e-4 of the condition
    threshold the general path's groups, by LAPACK, may decide otherwise, as its own
    pixel-by-pixel route may: the collinear case here is far beyond it.)"""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 10, n))
    A = np.column_stack([np.ones(n), t]) if design == "velocity" else rng.normal(size=(n, 2))
    if design == "any" and n > 1 and seed % 4 == 0:
        A[:, 1] = 3.0 * A[:, 0] * (1 + 1e-14 * rng.normal(size=n))  # condition far over 1e12
    y = (A @ rng.normal(0, 5, (2, pixels)) + rng.normal(0, 2, (n, pixels))).astype(np.float32)
    y[rng.random(y.shape) < gaps] = np.nan
    y[rng.random(y.shape) < 0.002] = np.inf
    saved = bl.GROUP_CHUNK
    try:
        bl.GROUP_CHUNK = width or saved
        fast = bl.fit_terms(y, A, keep_used=False)
    finally:
        bl.GROUP_CHUNK = saved
    general = bl.fit_terms(y, A, keep_used=False, closed_form=False)
    np.testing.assert_array_equal(fast.count, general.count)
    np.testing.assert_array_equal(fast.kept, general.kept)
    scale = np.where(np.isfinite(general.params), np.abs(general.params), 0.0).max(initial=0.0)
    assert_same_fit(fast, general, y, ("params", "sigma", "rss", "factor"), rtol=1e-9, atol=1e-11 * max(scale, 1.0))
    if gaps < 0.9 and n >= 8 and design == "velocity":
        assert np.isfinite(fast.params[1]).any()
        k = int(np.flatnonzero(np.isfinite(fast.params[1]))[0])
        ok = np.isfinite(y[:, k])
        expected = np.linalg.lstsq(A[ok], y[ok, k].astype(np.float64), rcond=None)[0]
        np.testing.assert_allclose(fast.params[:, k], expected, rtol=1e-9, atol=1e-9)


def test_the_closed_form_is_taken_only_where_it_applies():
    """Steps, covariances, another sigma or the used mask asked for: the general path."""
    A, y = _stack(1, 300, 0.01, 0)
    two = A[:, :2]
    calls = []
    real = bl._solve_two_columns
    try:
        bl._solve_two_columns = lambda *args: calls.append(1) or real(*args)
        bl.fit_terms(y, two, keep_used=False)
        assert calls == [1]
        bl.fit_terms(y, two)  # used kept
        bl.fit_terms(y, two, bl.Terms(pairs=[(0, 1)]), keep_used=False)
        bl.fit_terms(y, two, bl.Terms(steps=[(1, 20)]), keep_used=False)
        bl.fit_terms(y, two, options=bl.Options(bl.CORRELATED), keep_used=False)
        bl.fit_terms(y, A, keep_used=False)  # more than two columns
        assert calls == [1]
    finally:
        bl._solve_two_columns = real
