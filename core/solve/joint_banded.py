"""Method 1 (the joint time-series method) for many pixels at once, each with its own
geometry and weights: the same least squares as ``timeseries_decomp``'s per-pixel normal
matrices, solved as batched banded systems, with the same decisions and the same sigmas.

The per-pixel solver's unknowns are interval velocities: its normal matrix is dense (an
acquisition's displacement sums every interval before it). Here the unknowns are the
displacements at the output dates since the first (``d = C v``, C the cumulative sum of
the intervals' lengths, invertible): an acquisition's displacement interpolates the two
dates around it and a first-order smoothing row ``v[k+1] - v[k]`` spans three dates, so
the normal matrix is banded (east and up of a date side by side, half-bandwidth
``WIDTH``) with one dense border column per track (its free offset, eliminated by its
Schur complement). The same minimum, solved exactly in another basis: the numbers agree
to rounding. Every array holds the pixels last, so that each step of the factorisation
(an LDL' across the band, column by column) is one numpy operation over all pixels.

Decisions as the per-pixel solver's: it leaves a pixel NaN where its normal matrix in the
velocity basis has condition >= ``MAX_CONDITION``. Here that condition is bounded from
both sides without forming the matrix: trace(N) trace(N^-1) from above, max diag(N) max
diag(N^-1) from below (N positive definite; the diagonal of N^-1 from a selected inverse
of the band). A pixel is solved here only when the upper bound is under the threshold by
``MARGIN``; every other pixel (bounds straddling the threshold, a pivot near zero) is
handed back to the caller, which decides it with the per-pixel normal matrix as before.

Sigmas (the acquisitions' errors propagated through the smoothed estimate: N^-1 D N^-1,
D the data's normal matrix) by a complex step: the factorisation of N + i h D gives
N^-1 in its real part and -h N^-1 D N^-1 in its imaginary part (the derivative of the
inverse along D), exact to rounding for a tiny h, with no difference of close numbers.
numpy only.
"""

import numpy as np

from ..conventions.dates import DAYS_PER_YEAR

#: Half-bandwidth of the normal matrix in the displacement basis (interleaved east/up).
WIDTH = 4
#: The smallest pivot, relative to its diagonal entry, that the batched path accepts.
NEAR_SINGULAR = 1e-9
#: The per-pixel solver's rule: NaN where the velocity-basis normal matrix's condition >= this.
MAX_CONDITION = 1e12
#: Safety factor between the upper bound of the condition and ``MAX_CONDITION``.
MARGIN = 4.0
#: The complex step (relative: it multiplies the data's normal matrix).
STEP = 1e-20


def interpolation(epochs: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """(n, m): an acquisition's displacement since ``dates[0]`` from the displacements at
    ``dates[1:]`` (linear between the two dates around it; zero row outside the span)."""
    m = len(dates) - 1
    A = np.zeros((len(epochs), m + 1))
    rows = np.flatnonzero((epochs >= dates[0]) & (epochs <= dates[-1]))
    k = np.clip(np.searchsorted(dates, epochs[rows], side="right") - 1, 0, m - 1)
    f = (epochs[rows] - dates[k]) / (dates[k + 1] - dates[k])
    A[rows, k] = 1.0 - f
    A[rows, k + 1] += f
    return A[:, 1:]


def smoothing_bands(dates: np.ndarray, regularization: float) -> list:
    """The first-order smoothing ``regularization**2 (D C^-1)'(D C^-1)`` in the displacement
    basis, as its three diagonals (pentadiagonal, symmetric): ``[R[k, k], R[k+1, k],
    R[k+2, k]]``."""
    m = len(dates) - 1
    inv = 1.0 / (np.diff(dates) / DAYS_PER_YEAR)
    out = [np.zeros(m), np.zeros(max(m - 1, 0)), np.zeros(max(m - 2, 0))]
    for k in range(m - 1):  # row k: v[k+1] - v[k] = (d[k+1] - d[k]) / s[k+1] - (d[k] - d[k-1]) / s[k]
        pos = [(k + 1, inv[k + 1]), (k, -inv[k + 1] - inv[k])] + ([(k - 1, inv[k])] if k else [])
        for i, a in pos:
            for j, b in pos:
                if i >= j:
                    out[i - j][j] += regularization**2 * a * b
    return out


def _sparse_rows(a):
    """Per acquisition of an interpolation matrix (n, m): (row, first column, its weight,
    the next column's weight) of the acquisitions inside the span (at most two columns)."""
    out = []
    for i in np.flatnonzero(a.any(axis=1)):
        cols = np.flatnonzero(a[i])
        out.append((i, cols[0], a[i, cols[0]], a[i, cols[0] + 1] if cols[0] + 1 < a.shape[1] else 0.0))
    return out


def _track_products(a, w, wy):
    """A' W A's two diagonals (m, P), (m - 1, P), A' W 1 and A' W y (m, P) of one track,
    acquisition by acquisition (a row of A has at most two entries: no dense product)."""
    m, p = a.shape[1], w.shape[1]
    c0, c1, aw, ay = np.zeros((m, p)), np.zeros((max(m - 1, 0), p)), np.zeros((m, p)), np.zeros((m, p))
    for i, k, lo, hi in _sparse_rows(a):
        c0[k] += (lo * lo) * w[i]
        aw[k] += lo * w[i]
        ay[k] += lo * wy[i]
        if hi:
            c0[k + 1] += (hi * hi) * w[i]
            c1[k] += (lo * hi) * w[i]
            aw[k + 1] += hi * w[i]
            ay[k + 1] += hi * wy[i]
    return c0, c1, aw, ay


def _data_band(terms, A, p, m, t):
    """The data's normal equations: lower band (WIDTH + 1, 2m, P) (``band[d, i] = N[i, i-d]``),
    border (2m, T, P), offsets' block (T, T, P), right-hand sides (2m, P) and (T, P)."""
    n = 2 * m
    band = np.zeros((WIDTH + 1, n, p))
    border, rhs = np.zeros((n, t, p)), np.zeros((n, p))
    offsets, rhs_o = np.zeros((t, t, p)), np.zeros((t, p))
    for j, ((values, valid, w, se, su), a) in enumerate(zip(terms, A)):
        wy = np.where(valid, values, 0.0) * w
        c0, c1, aw, ay = _track_products(a, w, wy)  # same date, consecutive dates
        ee, eu, uu = se * se, se * su, su * su
        band[0, 0::2] += c0 * ee
        band[0, 1::2] += c0 * uu
        band[1, 1::2] += c0 * eu
        band[1, 2::2] += c1 * eu  # east of k + 1, up of k
        band[2, 2::2] += c1 * ee
        band[2, 3::2] += c1 * uu
        band[3, 3::2] += c1 * eu  # up of k + 1, east of k
        border[0::2, j], border[1::2, j] = se * aw, su * aw
        rhs[0::2] += se * ay
        rhs[1::2] += su * ay
        offsets[j, j] = w.sum(axis=0)
        rhs_o[j] = wy.sum(axis=0)
    for j in range(t):  # a track with no acquisition at a pixel: its offset is free and unused
        offsets[j, j] += offsets[j, j] == 0
    return band, border, offsets, rhs, rhs_o


def ldl(band: np.ndarray) -> tuple:
    """LDL' of symmetric banded matrices, pixels last: ``band`` (w + 1, n, ...) with
    ``band[d, i] = N[i, i - d]``; (low (n, w, ...) with ``low[j, k] = L[j + 1 + k, j]``, the
    pivots (n, ...)). Right-looking: a (w + 1)-square window of the updated matrix moves
    down the diagonal (two buffers, every step in place). Rows past n are identity."""
    w, n = band.shape[0] - 1, band.shape[1]
    rest = band.shape[2:]
    low, pivots = np.zeros((n, w) + rest, band.dtype), np.empty((n,) + rest, band.dtype)
    win, spare = np.zeros((w + 1, w + 1) + rest, band.dtype), np.zeros((w + 1, w + 1) + rest, band.dtype)
    tmp = np.empty((w, w) + rest, band.dtype)
    for a in range(w + 1):
        win[a, a] = band[0, a] if a < n else 1.0
        for b in range(a):
            if a < n:
                win[a, b] = win[b, a] = band[a - b, a]
    for j in range(n):
        pivots[j] = win[0, 0]
        np.divide(win[1:, 0], win[0, 0], out=low[j])
        np.multiply(low[j][:, None], win[None, 1:, 0], out=tmp)
        np.subtract(win[1:, 1:], tmp, out=spare[:-1, :-1])
        r = j + w + 1
        if r < n:
            spare[-1, :-1] = spare[:-1, -1] = band[w:0:-1, r]
            spare[-1, -1] = band[0, r]
        else:
            spare[-1], spare[:, -1] = 0.0, 0.0
            spare[-1, -1] = 1.0
        win, spare = spare, win
    return low, pivots


def ldl_solve(low: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve L D L' x = b for ``b`` (n, r, ...) with the factors of :func:`ldl`."""
    n, w = low.shape[:2]
    y = b.copy()
    for j in range(n - 1):
        k = min(w, n - 1 - j)
        y[j + 1 : j + 1 + k] -= low[j, :k, None] * y[j][None]
    y /= pivots[:, None]
    for j in range(n - 2, -1, -1):
        k = min(w, n - 1 - j)
        y[j] -= (low[j, :k, None] * y[j + 1 : j + 1 + k]).sum(axis=0)
    return y


def selected_inverse(low: np.ndarray, pivots: np.ndarray, offsets: tuple = (0, 2)) -> np.ndarray:
    """Entries of N^-1 inside the band from the factors of :func:`ldl` (Takahashi's
    recursion, bottom up): (len(offsets), n, ...) with ``out[o][i] = N^-1[i + d, i]`` for
    ``d = offsets[o]`` (zero past n)."""
    n, w = low.shape[:2]
    rest = low.shape[2:]
    win, spare = np.zeros((w, w) + rest, low.dtype), np.zeros((w, w) + rest, low.dtype)  # Z[i + 1 + a, i + 1 + b]
    tmp, col, zii = np.empty((w, w) + rest, low.dtype), np.empty((w,) + rest, low.dtype), np.empty(rest, low.dtype)
    out = np.zeros((len(offsets), n) + rest, low.dtype)
    for i in range(n - 1, -1, -1):
        np.multiply(low[i][:, None], win, out=tmp)
        np.sum(tmp, axis=0, out=col)
        np.negative(col, out=col)  # Z[i + 1 + b, i]
        np.multiply(low[i], col, out=tmp[0])
        np.subtract(1.0 / pivots[i], tmp[0].sum(axis=0), out=zii)
        for o, d in enumerate(offsets):
            out[o, i] = zii if d == 0 else col[d - 1]
        spare[1:, 1:] = win[:-1, :-1]
        spare[0, 0] = zii
        spare[0, 1:] = spare[1:, 0] = col[:-1]
        win, spare = spare, win
    return out


def dense_solve(S: np.ndarray, b: np.ndarray, scale: np.ndarray) -> tuple:
    """Solve the small symmetric systems S x = b ((T, T, ...), (T, r, ...)) by Gaussian
    elimination column by column; (x, the smallest pivot relative to ``scale`` (T, ...))."""
    t = S.shape[0]
    S = S.copy()
    x = b.copy()
    ratio = np.full(S.shape[2:], np.inf)
    for j in range(t):
        pivot = S[j, j].copy()
        ratio = np.minimum(ratio, np.real(pivot) / np.where(scale[j] > 0, scale[j], 1.0))
        safe = np.where(np.real(pivot) > 0, pivot, 1.0)
        f = S[j + 1 :, j] / safe
        S[j + 1 :, j:] -= f[:, None] * S[j][None, j:]
        x[j + 1 :] -= f[:, None] * x[j][None]
        S[j, j:] /= safe
        x[j] /= safe
    for j in range(t - 2, -1, -1):
        x[j] -= (S[j, j + 1 :, None] * x[j + 1 :]).sum(axis=0)
    return x, ratio


def _velocity_trace(band, dates, offsets):
    """(trace, max diagonal) of the velocity-basis normal matrix C' N C from the diagonals
    0, 2 and 4 of its displacement-basis band (real, (3, 2m, P)): ``C' N C [i, i] = s_i**2``
    times the sum of N over dates >= i, component by component."""
    steps2 = np.square(np.diff(dates) / DAYS_PER_YEAR)
    diag = []
    for c in (0, 1):  # east, up
        m = band.shape[1] // 2
        rows = band[0, c::2] + 2.0 * (_padded(band[1, c + 2 :: 2], m) + _padded(band[2, c + 4 :: 2], m))
        suffix = np.cumsum(rows[::-1], axis=0)[::-1]
        diag.append(steps2[:, None] * suffix)
    o = np.real(np.diagonal(offsets, axis1=0, axis2=1)).T
    full = np.concatenate(diag + [o], axis=0)
    return full.sum(axis=0), full.max(axis=0)


def _padded(x, m):
    """``x`` (at most m rows) padded with zero rows at the end to m rows."""
    return np.concatenate([x, np.zeros((m - x.shape[0],) + x.shape[1:], x.dtype)], axis=0)


def _velocity_inverse_diagonal(inner, dates, s_inv):
    """(trace, max diagonal) of the velocity-basis inverse C^-1 N^-1 C^-T from N^-1's
    entries ``inner`` ([N^-1[i, i], N^-1[i + 2, i]], real, (2, 2m, P)) and the offsets'
    variances ``s_inv`` (T, P): ``v[k] = (d[k] - d[k-1]) / s_k``, d[-1] = 0."""
    steps2 = np.square(np.diff(dates) / DAYS_PER_YEAR)[:, None]
    diag = []
    for c in (0, 1):
        same, next_ = inner[0, c::2], inner[1, c::2]
        var = same.copy()
        var[1:] += same[:-1] - 2.0 * next_[:-1]
        diag.append(var / steps2)
    full = np.concatenate(diag + [s_inv], axis=0)
    return full.sum(axis=0), full.max(axis=0)


def _schur(low, pivots, border, offsets, right):
    """The band's solutions A^-1 ``right`` (2m, r, P), X = A^-1 B (B the border), S^-1
    (T, T, P) (S = C - B'X, the offsets' Schur complement) and S's smallest relative pivot."""
    sol = ldl_solve(low, pivots, np.concatenate([right, border], axis=1))
    r = right.shape[1]
    x, X = sol[:, :r], sol[:, r:]
    S = offsets - _products(border, X)
    t = S.shape[0]
    eye = np.broadcast_to(np.eye(t)[:, :, None], S.shape).astype(S.dtype)
    s_inv, ratio = dense_solve(S, eye, np.real(np.diagonal(offsets).T))
    return x, X, s_inv, ratio


def _reference_vector(dates, reference_days, n, dtype):
    """(2m, 2, 1): the reference date's displacement as a combination of the unknowns,
    east in column 0 and up in column 1 (the displacement at dates[0] is zero)."""
    m = len(dates) - 1
    k = min(int(np.searchsorted(dates, reference_days, side="right")) - 1, m - 1)
    f = (reference_days - dates[k]) / (dates[k + 1] - dates[k])
    r = np.zeros((n, 2, 1), dtype)
    for c in (0, 1):
        for date, coef in ((k, 1.0 - f), (k + 1, f)):
            if date:
                r[2 * (date - 1) + c, c] += coef
    return r


def _sigmas(inner0, z, r, dates, reference_days):
    """(sigma east, sigma up) (m + 1, P) of the displacements since the reference date from
    the complex-step diagonal ``inner0`` (2m, P) of N^-1, the solutions z = N^-1 r (2m, 2, P)
    of the reference vectors r (2m, 2, 1)."""
    out = []
    z = np.broadcast_to(z, r.shape[:2] + inner0.shape[1:])
    for c in (0, 1):
        rr = (r[:, c] * z[:, c]).sum(axis=0)  # r' N^-1 r
        var = np.concatenate([rr[None], inner0[c::2] - 2.0 * z[c::2, c] + rr[None]], axis=0)
        var = np.maximum(-np.imag(var) / STEP, 0.0)
        var[dates == reference_days] = 0.0  # the reference date's own displacement: zero by definition
        out.append(np.sqrt(var))
    return out


def _factor(terms, epochs, dates, regularization, smoothing_scale, sigma):
    """The normal equations (complex-step perturbed when ``sigma``), their LDL' and the
    pixels whose pivots are fine; (trace of the velocity-basis normal matrix, border, offsets,
    rhs, rhs_o, low, pivots, fine). The band itself is not kept (memory)."""
    m, p, t = len(dates) - 1, terms[0][0].shape[1], len(terms)
    A = [interpolation(e, dates) for e in epochs]
    band, border, offsets, rhs, rhs_o = _data_band(terms, A, p, m, t)
    if sigma:
        factor = 1.0 + 1j * STEP
        band, border, offsets = band * factor, border * factor, offsets * factor
    if regularization > 0 and m > 1:
        for d, r in enumerate(smoothing_bands(dates, regularization)):
            for c in (0, 1):
                band[2 * d, 2 * d + c :: 2] += smoothing_scale[None, :] * r[:, None]
    diagonal = np.real(band[0])
    trace, _ = _velocity_trace(np.real(band[:5:2]), dates, offsets)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low, pivots = ldl(band)
    ratio = np.real(pivots) / np.where(diagonal > 0, diagonal, 1.0)
    fine = (ratio >= NEAR_SINGULAR).all(axis=0)
    pivots[:, ~fine] = 1.0  # no inf or NaN from a pixel handed back (its solve is discarded)
    low[:, :, ~fine] = 0.0
    return trace, border, offsets, rhs, rhs_o, low, pivots, fine


def banded_solve(terms: list, epochs: list, dates: np.ndarray, reference_days: float, regularization: float,
                 smoothing_scale: np.ndarray, sigma: bool = False) -> tuple:  # fmt: skip
    """(east, up, handed back[, sigma east, sigma up]): (m + 1, P) displacements at
    ``dates`` since ``reference_days``, (P,) the pixels left to the per-pixel solver (a
    pivot near zero, or a condition that may be >= ``MAX_CONDITION``) and, with ``sigma``,
    the propagated sigmas (m + 1, P).

    ``terms`` per track: (values (n, P), valid (n, P), weights (n, P), s_h (P,), s_up
    (P,)) as the per-pixel solver builds them; ``epochs`` the tracks' days;
    ``smoothing_scale`` (P,) the smoothing rows' weight per pixel."""
    trace, border, offsets, rhs, rhs_o, low, pivots, fine = _factor(terms, epochs, dates, regularization,
                                                                  smoothing_scale, sigma)  # fmt: skip
    n = low.shape[0]
    r = _reference_vector(dates, reference_days, n, low.dtype)
    at_first = not r.any()  # the reference on the first date (the default): no column of N^-1 needed
    right = [rhs[:, None].astype(low.dtype)]
    right += [np.broadcast_to(r, (n, 2, rhs.shape[1]))] if sigma and not at_first else []
    x, X, s_inv, ratio_s = _schur(low, pivots, border, offsets, np.concatenate(right, axis=1))
    fine &= ratio_s >= NEAR_SINGULAR
    o = _times(s_inv, (rhs_o - (border * x[:, :1]).sum(axis=0))[:, None])  # (T, 1, P)
    d = np.real(x[:, 0] - _times(X, o)[:, 0])
    inner = selected_inverse(low, pivots) + _border_correction(X, s_inv)
    trace_inv, _ = _velocity_inverse_diagonal(np.real(inner), dates, np.real(np.diagonal(s_inv).T))
    fine &= trace * trace_inv < MAX_CONDITION / MARGIN
    east, up = (_since_reference(d[c::2].T, dates, reference_days) for c in (0, 1))
    if not sigma:
        return east, up, ~fine
    z = 0.0 if at_first else x[:, 1:3] + _times(X, _times(s_inv, _products(border, x[:, 1:3])))  # offsets out
    return (east, up, ~fine, *_sigmas(inner[0], z, r, dates, reference_days))


def _products(a, b):
    """a' b per pixel: (T, c, P) from (n, T, P) and (n, c, P)."""
    out = np.empty((a.shape[1], b.shape[1]) + a.shape[2:], np.result_type(a, b))
    for i in range(a.shape[1]):
        for j in range(b.shape[1]):
            out[i, j] = (a[:, i] * b[:, j]).sum(axis=0)
    return out


def _times(X, M):
    """X M per pixel: (n, c, P) from (n, T, P) and (T, c, P)."""
    return sum(X[:, a, None] * M[a][None] for a in range(X.shape[1]))


def _border_correction(X, s_inv):
    """The offsets' share of N^-1 inside the band: (X S^-1 X')[i + d, i] for d = 0, 2."""
    Y = _times(X, s_inv)
    same = (Y * X).sum(axis=1)
    two = np.zeros_like(same)
    two[:-2] = (Y[2:] * X[:-2]).sum(axis=1)
    return np.stack([same, two])


def _since_reference(d, dates, reference_days):
    """(m + 1, P) displacements at every date since ``reference_days`` from those at
    ``dates[1:]`` since ``dates[0]`` (P, m)."""
    full = np.concatenate([np.zeros((d.shape[0], 1)), d], axis=1).T
    m = len(dates) - 1
    k = min(int(np.searchsorted(dates, reference_days, side="right")) - 1, m - 1)
    f = (reference_days - dates[k]) / (dates[k + 1] - dates[k])
    return full - (full[k] + f * (full[k + 1] - full[k]))[None, :]


#: Bytes of per-pixel arrays held at once by the batched path.
CHUNK_BYTES = 128 << 20


def solve_pixels(terms: object, pixels: np.ndarray, dates: np.ndarray, reference_days: float, regularization: float,
                 out: list) -> np.ndarray:  # fmt: skip
    """Method 1 for ``pixels`` (indices), a chunk at a time, into ``out`` ([east, up] or
    [east, up, sigma east, sigma up], each (m + 1, P)); returns the pixels handed back.
    ``terms(part)`` gives per track (epochs, values, valid, var, weights, s_h, s_up) of
    the pixels ``part``, as the per-pixel solver builds them; the smoothing rows weigh as
    there (one increment between two acquisitions of the pixel's mean variance)."""
    m = len(dates) - 1
    sigma = len(out) == 4
    chunk = max(1, CHUNK_BYTES // (8 * (2 if sigma else 1) * 48 * m))  # about 48 values per pixel and date
    back = []
    for lo in range(0, pixels.size, chunk):
        part = pixels[lo : lo + chunk]
        tracks = terms(part)
        n_valid = sum(valid.sum(axis=0) for _, _, valid, *_ in tracks)
        variance = sum(valid.sum(axis=0) * var for _, _, valid, var, *_ in tracks)
        increments = sum(np.maximum(valid.sum(axis=0) - 1, 0) for _, _, valid, *_ in tracks)
        mean_var = variance / np.maximum(n_valid, 1)
        scale = 1.0 / (2.0 * np.where(mean_var > 0, mean_var, 1.0))
        ok = increments > 0
        if not ok.any():
            continue
        kept = [(v[:, ok], valid[:, ok], w[:, ok], se[ok], su[ok]) for _, v, valid, _, w, se, su in tracks]
        res = banded_solve(kept, [t[0] for t in tracks], dates, reference_days, regularization, scale[ok], sigma)
        near = res[2]
        solved = part[ok][~near]
        for a, b in zip(out, res[:2] + res[3:]):
            a[:, solved] = b[:, ~near]
        back.append(part[ok][near])
    return np.concatenate(back) if back else np.zeros(0, dtype=int)
