"""Per-pixel least squares of a stack on one design matrix, batched: the one solve of
``losdecomp:velocity`` and ``losdecomp:fit_time_functions``.

Pixels that share their pattern of valid epochs share their normal matrix (and the terms
their data constrain): a large group is solved with one inverse; the rest pixel by pixel,
each normal matrix built by matrix products. Both end in :func:`_estimate`, which turns a
pixel's inverse ``Q`` (its dropped terms' rows and columns zero) and its data into
parameters, their fit sigmas and the covariances asked for. The linear velocity (two
columns, formal sigma, nothing dropped) takes neither: :func:`_solve_two_columns` solves
every pixel from its sums in closed form, with the same decisions.

Terms a pixel's data do not constrain are dropped at that pixel (:func:`term_rule`): a step
with fewer than 2 valid epochs on one side (:func:`step_rule`, up to the next step), an
onset term (exponential, logarithmic) with fewer than 3 valid epochs after its onset. A
pixel needs at least (terms left + 2) epochs, and a normal matrix with condition < 1e12.

Uncertainty (all "fit" sigmas, core/conventions/uncertainty.py):

- :data:`FORMAL`: ``sqrt(s^2 (A'A)^-1)`` with ``s^2 = RSS / (n - p)`` (MintPy's).
- :data:`BOOTSTRAP`: residual resampling: ``draws`` refits of ``A m + r*``, r* drawn with
  replacement from the pixel's residuals scaled by ``sqrt(n / (n - p))``; the sigma is the
  standard deviation of the refitted parameters. The generator is the caller's (seeded:
  the same input gives the same sigmas).
- :data:`CORRELATED`: the formal covariance times ``(1 + rho) / (1 - rho)``, rho the lag-1
  autocorrelation of the pixel's residuals (consecutive valid epochs) clipped to
  [0, :data:`RHO_MAX`]: the variance of a mean under AR(1) noise, equivalently an
  effective sample size ``n (1 - rho) / (1 + rho)``. Exact for the intercept and close for
  the rate; it overstates the sigma of periodic terms (AR(1) noise has less power at their
  frequencies).
"""

from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import numpy as np

from .patterns import large_groups

FORMAL, BOOTSTRAP, CORRELATED = 0, 1, 2
METHODS = {
    FORMAL: "formal: sqrt(s^2 (A'A)^-1) with s^2 = RSS / (n - p), residuals assumed independent",
    BOOTSTRAP: "bootstrap: residual resampling (residuals scaled by sqrt(n / (n - p)), drawn with replacement, "
    "the fit repeated; a seeded generator, reproducible)",
    CORRELATED: "formal inflated for temporally correlated residuals: s^2 (A'A)^-1 x (1 + rho) / (1 - rho), rho the "
    "lag-1 autocorrelation of the residuals (AR(1), effective sample size n (1 - rho) / (1 + rho))",
}
#: The largest lag-1 autocorrelation used by :data:`CORRELATED` (a factor of 39 on the variance).
RHO_MAX = 0.95
#: Largest condition number of a normal matrix solved.
MAX_COND = 1e12
#: Pixels per chunk of the pixel-by-pixel path: 100 epochs of float64 in about 12 MB.
CHUNK = 16384
#: Pixels per chunk of a group: 100 epochs of float64 in 3 MB, converted into one buffer and
#: used while it is still in cache (larger chunks cost twice as much per pixel).
GROUP_CHUNK = 4096
#: Multiply-adds per matrix product: OpenBLAS runs a product of up to 2^18 on the calling
#: thread; a larger one wakes its other threads, which then spin idle for a while after it
#: (a quarter of a core, measured) on a machine whose cores the read-ahead needs.
SMALL_PRODUCT = 1 << 18


@dataclass
class Terms:
    """What the solve needs to know of the design's columns besides their values."""

    steps: Sequence = ()  # (column, index of the first epoch on or after the step date)
    onsets: Sequence = ()  # (column, index of the first epoch after the onset)
    pairs: Sequence = ()  # (column, column): covariances wanted


@dataclass
class Fit:
    """Per pixel (N): ``params`` and ``sigma`` (p x N, NaN where nodata or the term was
    dropped), ``cov`` (one row per pair), ``count`` (epochs used), ``kept`` (p x N),
    ``used`` (n x N; None when the caller did not ask for it), ``rss`` and ``factor`` (the
    variance factor of :data:`CORRELATED`)."""

    params: np.ndarray
    sigma: np.ndarray
    cov: np.ndarray
    count: np.ndarray
    kept: np.ndarray
    used: np.ndarray
    rss: np.ndarray
    factor: np.ndarray = field(default=None)

    @classmethod
    def empty(cls, n: int, p: int, pixels: int, pairs: int, keep_used: bool = True) -> "Fit":
        nan, used = np.full((p, pixels), np.nan), np.zeros((n, pixels), dtype=bool) if keep_used else None
        return cls(nan, nan.copy(), np.full((pairs, pixels), np.nan), np.zeros(pixels, dtype=int),
                   np.ones((p, pixels), dtype=bool), used, np.full(pixels, np.nan), np.full(pixels, np.nan))


@dataclass
class Options:
    """How the sigmas are made: ``method`` (FORMAL, BOOTSTRAP, CORRELATED), ``draws`` and
    the generator ``rng`` of the bootstrap."""

    method: int = FORMAL
    draws: int = 0
    rng: Optional[np.random.Generator] = None


def step_rule(valid: np.ndarray, starts: Sequence[int]) -> tuple:
    """Which epochs and steps a pixel's data constrain: the rule for every fit with steps.

    ``valid`` (epochs x pixels, bool, epochs sorted); ``starts``: per step, the index of
    the first epoch on or after its date. The epochs between consecutive steps (or the
    window's ends) form a segment. A segment with fewer than 2 valid epochs is not used at
    that pixel: a lone acquisition there could only fit its own offset (keeping it would
    put the jump into the velocity). A step is kept where the segment after it is used and
    some segment before it is; else it is dropped there (its column would be zero, constant,
    or the same as the next step's). Returns (epochs used, steps kept (steps x pixels))."""
    n, pixels = valid.shape
    if len(starts) == 0:
        return valid, np.zeros((0, pixels), dtype=bool)
    edges = np.unique([s for s in starts if 0 < s < n]).astype(int)
    bounds = np.concatenate([[0], edges, [n]])
    # per segment: a count over rows (np.add.reduceat along axis 0 cost 80 times more)
    enough = np.stack([np.count_nonzero(valid[a:b], axis=0) >= 2 for a, b in zip(bounds[:-1], bounds[1:])])
    used = valid & np.repeat(enough, np.diff(bounds), axis=0)
    before = np.logical_or.accumulate(enough, axis=0)
    kept = np.zeros((len(starts), pixels), dtype=bool)
    for k, start in enumerate(starts):
        if 0 < start < n and start not in starts[:k]:  # a repeated step: its first column only
            i = int(np.searchsorted(edges, start))
            kept[k] = enough[i + 1] & before[i]
    return used, kept


#: Valid epochs an onset term (exponential, logarithmic) needs after its onset.
ONSET_EPOCHS = 3


def term_rule(valid: np.ndarray, terms: Terms, p: int) -> tuple:
    """(epochs used (n x pixels), terms kept (p x pixels)): :func:`step_rule` for the steps,
    then an onset term is kept where at least :data:`ONSET_EPOCHS` epochs used follow its
    onset."""
    used, kept_steps = step_rule(valid, [s for _, s in terms.steps])
    keep = np.ones((p, valid.shape[1]), dtype=bool)
    for (column, _), row in zip(terms.steps, kept_steps):
        keep[column] = row
    for column, start in terms.onsets:
        keep[column] = np.count_nonzero(used[start:], axis=0) >= ONSET_EPOCHS
    return used, keep


def fit_terms(y: np.ndarray, A: np.ndarray, terms: Optional[Terms] = None, options: Optional[Options] = None,
              group_pixels: int = 1024, keep_used: bool = True, closed_form: bool = True) -> Fit:  # fmt: skip
    """Per-pixel least squares of ``y`` (epochs x pixels, NaN = missing) on ``A`` (epochs x
    p): see the module. Patterns of at least ``group_pixels`` pixels are solved as groups.
    ``keep_used`` False: ``Fit.used`` is None (its scatter was a sixth of a gappy velocity
    fit, and only the residuals need it). Two columns without steps, onsets, covariances or
    ``used`` (the linear velocity) take :func:`_solve_two_columns` unless ``closed_form`` is
    False (the general path, which the tests compare it with)."""
    terms, options = terms or Terms(), options or Options()
    A = np.asarray(A, dtype=np.float64)  # a float32 design would make a group's normal matrix float32
    n, p = A.shape
    out = Fit.empty(n, p, y.shape[1], len(terms.pairs), keep_used)
    if y.shape[1] == 0:
        return out
    plain = not (terms.steps or terms.onsets or terms.pairs or keep_used) and options.method == FORMAL
    if closed_form and plain and p == 2:
        _solve_two_columns(y, A, out)
        return out
    groups, rest = large_groups(np.isfinite(y), group_pixels)
    for rows, members in groups:
        used, keep = (a[:, 0] for a in term_rule(rows[:, None], terms, p))
        _solve_group(y, A, used, keep, members, out, terms, options)
    others = np.flatnonzero(rest)
    for k in range(0, others.size, CHUNK):
        _solve_pixels(y, A, others[k : k + CHUNK], out, terms, options)
    return out


def product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right`` (2-D), by slices of the columns of ``right`` small enough for one
    thread (:data:`SMALL_PRODUCT`); each element is the same dot product as in one call."""
    width = max(1, SMALL_PRODUCT // max(1, left.shape[0] * left.shape[1]))
    if right.shape[1] <= width:
        return left @ right
    out = np.empty((left.shape[0], right.shape[1]), dtype=np.result_type(left, right))
    for k in range(0, right.shape[1], width):
        np.matmul(left, right[:, k : k + width], out=out[:, k : k + width])
    return out


def put_columns(target: np.ndarray, idx: Union[slice, np.ndarray], values: np.ndarray) -> None:
    """``target[:, idx] = values`` (2-D ``target``), row by row: a scatter along the
    second axis of a 2-D array cost four times as much in numpy (and ``y[:, idx]`` twenty
    times ``np.take(y, idx, axis=1)``)."""
    if isinstance(idx, slice):
        target[:, idx] = values
        return
    for row, value in zip(target, np.broadcast_to(values, (target.shape[0],) + np.shape(values)[1:])):
        row[idx] = value


def _solve_group(y, A, used, keep, members, out, terms, options):
    """Pixels valid at the same epochs: one inverse, on the rows used and the terms kept.
    ``members``: their indices, or slice(None) for every pixel (then taken in slices: a
    column gather of a large block cost more than the fit)."""
    rows, cols = np.flatnonzero(used), np.flatnonzero(keep)
    out.count[members], out.kept[:, members] = rows.size, keep[:, None]
    if out.used is not None:
        put_columns(out.used, members, used[:, None])
    if rows.size < cols.size + 2:
        return
    a = A[np.ix_(rows, cols)]
    normal = a.T @ a
    if not np.linalg.cond(normal) < MAX_COND:
        return
    Q = np.zeros((A.shape[1], A.shape[1]))
    Q[np.ix_(cols, cols)] = np.linalg.inv(normal)
    whole = rows.size == A.shape[0]
    size = y.shape[1] if isinstance(members, slice) else members.size
    step = CHUNK if options.method == BOOTSTRAP else GROUP_CHUNK  # the bootstrap's draws are per chunk: kept
    buffer = np.empty((rows.size, min(size, step)))
    for k in range(0, size, step):
        chunk = slice(k, min(k + step, size)) if isinstance(members, slice) else members[k : k + step]
        if isinstance(chunk, slice) and whole:
            data = buffer[:, : chunk.stop - chunk.start]
            np.copyto(data, y[:, chunk])
        else:
            data = (y[:, chunk] if isinstance(chunk, slice) else np.take(y, chunk, axis=1))[rows].astype(np.float64)
        _estimate(data, A[rows], Q, None, np.full(data.shape[1], cols.size), out, chunk, terms, options)


def _solve_two_columns(y, A, out):
    """Every pixel on a two-column design (formal sigma, no term dropped), by its sums in
    closed form, block by block of contiguous pixels: no pattern search, no gather and no
    normal matrix per pixel in memory (a gappy velocity's fit spent most of its time there).
    The general path's rules: NaN under 4 epochs or at condition >= MAX_COND, the condition
    from the same closed form as its pixel-by-pixel route (so the same decisions as that
    route; its groups take LAPACK's, which can decide otherwise within about 1e-4 of the
    threshold, far from any velocity's design); the same sums in float64, so the numbers agree
    to rounding (tested)."""
    n, pixels = y.shape
    sums = np.stack([np.ones(n), A[:, 0] * A[:, 0], A[:, 0] * A[:, 1], A[:, 1] * A[:, 1]])
    width = min(GROUP_CHUNK, max(1, SMALL_PRODUCT // n))
    buffer = np.empty((n, min(pixels, width)))
    for k in range(0, pixels, width):
        cols = slice(k, min(k + width, pixels))
        data = buffer[:, : cols.stop - cols.start]
        np.copyto(data, y[:, cols])
        valid = np.isfinite(data)
        np.copyto(data, 0.0, where=~valid)
        weights = valid.astype(np.float64)
        # matrix products small enough for one BLAS thread (product): OpenBLAS splits a vector
        # product of this size over its threads, which then spin between the calls against the
        # read-ahead thread (a third more CPU, measured); einsum cost half as much again
        count, a, b, c = product(sums, weights)
        count = count.astype(int)
        right = product(A.T, data)
        det, cond = _two_by_two(a, b, c)
        ok = (count >= 4) & np.isfinite(cond) & (cond < MAX_COND)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.stack([c * right[0] - b * right[1], a * right[1] - b * right[0]]) / det
            rss = np.maximum(np.einsum("ij,ij->j", data, data) - np.einsum("ij,ij->j", m, right), 0.0)
            var = rss / (count - 2) * np.stack([c, a]) / det
        out.count[cols] = count
        out.params[:, cols] = np.where(ok, m, np.nan)
        out.sigma[:, cols] = np.where(ok, np.sqrt(np.where(ok, var, 0.0)), np.nan)
        out.rss[cols], out.factor[cols] = np.where(ok, rss, np.nan), np.where(ok, 1.0, np.nan)


def _solve_pixels(y, A, idx, out, terms, options):
    """Each pixel its own normal matrix, all built by one matrix product: the products of
    pairs of columns of A times the epochs used."""
    n, p = A.shape
    data = np.take(y, idx, axis=1).astype(np.float64)
    used, keep = term_rule(np.isfinite(data), terms, p)
    count = np.count_nonzero(used, axis=0)
    out.count[idx], out.kept[:, idx] = count, keep
    if out.used is not None:
        put_columns(out.used, idx, used)
    pairs = (A[:, :, None] * A[:, None, :]).reshape(n, p * p)
    normal = product(pairs.T, used.astype(np.float64)).T.reshape(-1, p, p)
    n_params = keep.sum(axis=0)
    if not keep.all():
        normal = without_dropped(normal, keep)
    Q = np.full(normal.shape, np.nan)
    ok = np.flatnonzero(count >= n_params + 2)
    if ok.size:
        inverse, cond = inverse_and_condition(normal[ok])
        good = np.isfinite(cond) & (cond < MAX_COND)
        both = keep[:, ok].T[:, :, None] & keep[:, ok].T[:, None, :]
        Q[ok] = np.where(good[:, None, None], np.where(both, inverse, 0.0), np.nan)
    np.copyto(data, 0.0, where=~used)
    _estimate(data, A, Q, used, n_params, out, idx, terms, options)


def without_dropped(normal: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Normal matrices (k, p, p) with each pixel's dropped terms (``keep`` p x k False)
    taken out: row and column zeroed and the diagonal set to the mean of the kept diagonal.
    The inverse is then the reduced system's, block-diagonal with the dropped terms apart
    (their rows of the inverse are zeroed after), and the condition number is the reduced
    matrix's (a diagonal entry of a symmetric matrix lies between its extreme eigenvalues,
    and so does their mean)."""
    p = normal.shape[1]
    kept = keep.T
    normal = np.where(kept[:, :, None] & kept[:, None, :], normal, 0.0)
    fill = np.einsum("kii->k", normal) / kept.sum(axis=1)
    diagonal = np.arange(p)
    normal[:, diagonal, diagonal] += np.where(kept, 0.0, fill[:, None])
    return normal


def _estimate(y0, a, Q, used, n_params, out, idx, terms, options):
    """Parameters and sigmas of pixels ``idx`` from their data ``y0`` (rows of ``a``, zero
    where ``used`` is False; ``used`` None: every row) and inverses ``Q`` ((p, p) shared or
    (k, p, p)). The residual sum of squares is ``y'y - m'A'y`` (no residual matrix for the
    formal sigma: forming it cost twice the fit); its cancellation error is about 1e-14 y'y
    in float64, below the rounding of float32 input, and it is floored at zero."""
    b = product(a.T, y0)
    m = product(Q, b) if Q.ndim == 2 else np.einsum("kij,jk->ik", Q, b)
    count = np.full(y0.shape[1], y0.shape[0]) if used is None else out.count[idx]
    rss = np.maximum(np.einsum("ij,ij->j", y0, y0) - np.einsum("ij,ij->j", m, b), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = rss / (count - n_params)
    diag = np.diag(Q)[:, None] if Q.ndim == 2 else np.einsum("kii->ik", Q)
    var = s2 * diag
    cov = np.array([s2 * (Q[i, j] if Q.ndim == 2 else Q[:, i, j]) for i, j in terms.pairs]).reshape(-1, y0.shape[1])
    factor = np.ones(y0.shape[1])
    if options.method != FORMAL:
        r = y0 - product(a, m)
        r = compact(r, used)
        if options.method == CORRELATED:
            factor = ar1_factor(r, count)
            var, cov = var * factor, cov * factor
        else:
            var, cov = _bootstrap(r, a, Q, count, n_params, terms, options, used)
    kept = out.kept[:, idx]
    out.params[:, idx] = np.where(kept, m, np.nan)
    out.sigma[:, idx] = np.where(kept, np.sqrt(var), np.nan)
    out.cov[:, idx], out.rss[idx], out.factor[idx] = cov, rss + 0.0 * m[0], factor + 0.0 * m[0]


def compact(r: np.ndarray, used: Optional[np.ndarray]) -> np.ndarray:
    """Each column's residuals at its used epochs first, in epoch order, then zeros."""
    if used is None:
        return r
    order = np.argsort(~used, axis=0, kind="stable")
    return np.take_along_axis(np.where(used, r, 0.0), order, axis=0)


def ar1_factor(r: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(1 + rho) / (1 - rho) per column of compacted residuals ``r`` (zeros after the
    ``count`` used ones), rho their lag-1 autocorrelation with the first-order small-sample
    bias of a fitted series taken back, ``+ (1 + 3 rho) / n`` (Marriott and Pope 1954),
    clipped to [0, RHO_MAX]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.einsum("ij,ij->j", r[:-1], r[1:]) / np.einsum("ij,ij->j", r, r)
        rho = rho + (1.0 + 3.0 * rho) / count
    rho = np.clip(np.nan_to_num(rho), 0.0, RHO_MAX)
    return (1.0 + rho) / (1.0 - rho)


def _bootstrap(r, a, Q, count, n_params, terms, options, used):
    """Variances and pair covariances of the parameters over ``options.draws`` refits of
    the model plus resampled residuals (only the change of the parameters is computed: the
    fit is linear)."""
    rng = options.rng if options.rng is not None else np.random.default_rng(0)
    draws = max(2, int(options.draws))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(count / (count - n_params))
    n, k = r.shape
    total, squares = np.zeros((a.shape[1], k)), np.zeros((a.shape[1], k))
    cross = np.zeros((len(terms.pairs), k))
    size = np.maximum(count, 1)
    for _ in range(draws):
        pick = np.minimum((rng.random((n, k)) * size).astype(np.int64), size - 1)
        drawn = np.take_along_axis(r, pick, axis=0) * scale
        if used is not None:
            drawn = np.where(used, drawn, 0.0)
        b = product(a.T, drawn)
        delta = product(Q, b) if Q.ndim == 2 else np.einsum("kij,jk->ik", Q, b)
        total += delta
        squares += delta * delta
        for row, (i, j) in enumerate(terms.pairs):
            cross[row] += delta[i] * delta[j]
    mean = total / draws
    var = (squares - draws * mean * mean) / (draws - 1)
    cov = np.array([(cross[row] - draws * mean[i] * mean[j]) / (draws - 1)
                    for row, (i, j) in enumerate(terms.pairs)]).reshape(-1, k)  # fmt: skip
    return np.maximum(var, 0.0), cov


def inverse_and_condition(normal: np.ndarray) -> tuple:
    """Inverses and 2-norm condition numbers of symmetric positive (semi-)definite
    matrices (k, p, p): in closed form for 2 x 2 (the linear model: LAPACK's per-matrix
    overhead cost three times the rest of the fit), by LAPACK otherwise."""
    if normal.shape[1:] != (2, 2):
        cond = np.linalg.cond(normal) if len(normal) else np.zeros(0)
        ok = np.isfinite(cond) & (cond < MAX_COND)
        inverse = np.full_like(normal, np.nan)
        inverse[ok] = np.linalg.inv(normal[ok])
        return inverse, cond
    a, b, c = normal[:, 0, 0], normal[:, 0, 1], normal[:, 1, 1]
    det, cond = _two_by_two(a, b, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.stack([np.stack([c, -b], axis=-1), np.stack([-b, a], axis=-1)], axis=-2) / det[:, None, None]
    return inverse, cond


def _two_by_two(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple:
    """(determinant, 2-norm condition number; inf unless positive definite) of the
    symmetric matrices [[a, b], [b, c]], from their eigenvalues in closed form."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        det = a * c - b * b
        half = 0.5 * (a + c)
        root = np.sqrt(np.maximum(half * half - det, 0.0))
        return det, np.where(det > 0, (half + root) / (half - root), np.inf)
