"""Method 1 (the joint time-series method) for many pixels at once, each with its own
geometry and weights: the same least squares as ``timeseries_decomp``'s per-pixel normal
matrices, solved as batched block-tridiagonal systems.

The per-pixel solver's unknowns are interval velocities: its normal matrix is dense (an
acquisition's displacement sums every interval before it). Here the unknowns are the
displacements at the output dates since the first (``d = C v``, C the cumulative sum of
the intervals' lengths, invertible): an acquisition's displacement interpolates the two
dates around it and a first-order smoothing row ``v[k+1] - v[k]`` spans three dates, so
the normal matrix is banded (east and up of a date side by side, half-bandwidth five)
with one dense border column per track (its free offset). The same minimum, solved
exactly in another basis: the numbers agree to rounding. Dates are grouped a few at a time
into blocks, the band becomes block-tridiagonal, and the pixels of a block of the raster
go through each step together (a Cholesky factorisation written across the pixels).

A pixel whose factorisation comes near singular (a relative pivot under
``NEAR_SINGULAR``) is handed back to the caller, which decides it with the per-pixel
normal matrix as before (its condition-number rule). numpy only.
"""

import numpy as np

from ..conventions.dates import DAYS_PER_YEAR

#: Output dates per diagonal block (at least two: a smoothing row spans three dates).
DATES_PER_BLOCK = 2
#: The smallest pivot, relative to its diagonal entry, that the batched path accepts.
NEAR_SINGULAR = 1e-9


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
    basis, as its three diagonals (pentadiagonal, symmetric)."""
    m = len(dates) - 1
    steps = np.diff(dates) / DAYS_PER_YEAR
    c_inv = (np.eye(m) - np.eye(m, k=-1)) / steps[:, None]
    rows = np.diff(c_inv, axis=0) if m > 1 else np.zeros((0, m))
    R = regularization**2 * (rows.T @ rows)
    return [np.diagonal(R, offset=k).copy() if k < m else np.zeros(0) for k in range(3)]


def _blocks(bands, p, m, s):
    """Diagonal and upper off-diagonal blocks (P, nb, 2s, 2s) from the 2 x 2 blocks of the
    band, ``bands[d]`` (P, m - d, 2, 2) between dates k and k + d; padding dates are
    identity."""
    nb = -(-m // s)
    pad = nb * s
    diag = np.zeros((p, nb, 2 * s, 2 * s))
    upper = np.zeros((p, nb, 2 * s, 2 * s))
    full = []
    for d, band in enumerate(bands):
        x = np.zeros((p, pad, 2, 2))
        x[:, : band.shape[1]] = band
        if d == 0:
            x[:, m:] = np.eye(2)
        full.append(x)
    for i in range(s):
        for d, x in enumerate(full):
            src = x[:, i::s]
            j = i + d
            if j < s:
                diag[:, :, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = src
                if d:
                    diag[:, :, 2 * j : 2 * j + 2, 2 * i : 2 * i + 2] = np.swapaxes(src, -1, -2)
            else:
                upper[:, :, 2 * i : 2 * i + 2, 2 * (j - s) : 2 * (j - s) + 2] = src
    return diag, upper


def cholesky_solve(S: np.ndarray, B: np.ndarray, diag_entries: np.ndarray) -> tuple:
    """Solve the symmetric systems S X = B ((P, k, k), (P, k, r)) by a Cholesky
    factorisation written column by column across all P systems at once (numpy's stacked
    ``solve`` costs microseconds per small matrix); (X, the smallest squared pivot relative
    to ``diag_entries`` (P, k), the original matrices' diagonals). A system that is not
    positive definite has ratio 0 and a meaningless X."""
    k = S.shape[-1]
    L = np.zeros_like(S)
    ratio = np.full(S.shape[0], np.inf)
    for j in range(k):
        row = L[:, j, :j]
        pivot = S[:, j, j] - np.einsum("pi,pi->p", row, row)
        scale = diag_entries[:, j]
        ratio = np.minimum(ratio, np.where(pivot > 0, pivot, 0.0) / np.where(scale > 0, scale, 1.0))
        root = np.sqrt(np.where(pivot > 0, pivot, 1.0))
        L[:, j, j] = root
        if j + 1 < k:
            L[:, j + 1 :, j] = (S[:, j + 1 :, j] - np.einsum("pij,pj->pi", L[:, j + 1 :, :j], row)) / root[:, None]
    y = np.empty_like(B)
    for i in range(k):
        y[:, i] = (B[:, i] - np.einsum("pj,pjr->pr", L[:, i, :i], y[:, :i])) / L[:, i, i, None]
    x = np.empty_like(B)
    for i in range(k - 1, -1, -1):
        x[:, i] = (y[:, i] - np.einsum("pj,pjr->pr", L[:, i + 1 :, i], x[:, i + 1 :])) / L[:, i, i, None]
    return x, ratio


def block_tridiagonal_solve(diag: np.ndarray, upper: np.ndarray, rhs: np.ndarray) -> tuple:
    """Solve the symmetric block-tridiagonal systems (P, nb, k, k) with right-hand sides
    (P, nb, k, r); (solution (P, nb, k, r), smallest relative pivot (P,))."""
    nb, k = diag.shape[1], diag.shape[2]
    gains, partial = [], []
    ratio = np.full(diag.shape[0], np.inf)
    for b in range(nb):
        S, y = diag[:, b], rhs[:, b]
        if b:
            lower = np.swapaxes(upper[:, b - 1], -1, -2)
            S = S - lower @ gains[-1]
            y = y - lower @ partial[-1]
        sol, r = cholesky_solve(S, np.concatenate([upper[:, b], y], axis=-1),
                                np.diagonal(diag[:, b], axis1=-2, axis2=-1))  # fmt: skip
        ratio = np.minimum(ratio, r)
        gains.append(sol[..., :k])
        partial.append(sol[..., k:])
    x = [partial[-1]]
    for b in range(nb - 2, -1, -1):
        x.append(partial[b] - gains[b] @ x[-1])
    return np.stack(x[::-1], axis=1), ratio


def _track_sums(terms, A, p, m, t):
    """The band (three (P, m - d, 2, 2) arrays), border (P, 2m, T), offsets' block
    (P, T, T) and right-hand sides ((P, 2m), (P, T)) of the data's normal equations."""
    bands = [np.zeros((p, m - d, 2, 2)) for d in range(3)]
    border, rhs = np.zeros((p, 2 * m, t)), np.zeros((p, 2 * m))
    offsets, rhs_o = np.zeros((p, t, t)), np.zeros((p, t))
    for j, ((values, valid, w, se, su), a) in enumerate(zip(terms, A)):
        geo = np.stack([np.stack([se * se, se * su], -1), np.stack([se * su, su * su], -1)], -2)  # (P, 2, 2)
        bands[0] += ((a * a).T @ w).T[..., None, None] * geo[:, None]
        bands[1] += ((a[:, :-1] * a[:, 1:]).T @ w).T[..., None, None] * geo[:, None]
        aw = (a.T @ w).T  # (P, m)
        border[:, 0::2, j], border[:, 1::2, j] = se[:, None] * aw, su[:, None] * aw
        wy = np.where(valid, values, 0.0) * w
        ay = (a.T @ wy).T
        rhs[:, 0::2] += se[:, None] * ay
        rhs[:, 1::2] += su[:, None] * ay
        offsets[:, j, j] = w.sum(axis=0)
        rhs_o[:, j] = wy.sum(axis=0)
    idle = np.diagonal(offsets, axis1=1, axis2=2) == 0  # a track with no acquisition at a pixel: offset free
    offsets[:, np.arange(t), np.arange(t)] += idle
    return bands, border, offsets, rhs, rhs_o


def banded_solve(terms: list, epochs: list, dates: np.ndarray, reference_days: float, regularization: float,
                 smoothing_scale: np.ndarray) -> tuple:  # fmt: skip
    """(east, up, handed back): (m + 1, P) displacements at ``dates`` since
    ``reference_days`` and (P,) the pixels left to the per-pixel solver (near singular).

    ``terms`` per track: (values (n, P), valid (n, P), weights (n, P), s_h (P,), s_up
    (P,)) as the per-pixel solver builds them; ``epochs`` the tracks' days;
    ``smoothing_scale`` (P,) the smoothing rows' weight per pixel."""
    m, p, t = len(dates) - 1, terms[0][0].shape[1], len(terms)
    A = [interpolation(e, dates) for e in epochs]
    bands, border, offsets, rhs, rhs_o = _track_sums(terms, A, p, m, t)
    if regularization > 0 and m > 1:
        for d, r in enumerate(smoothing_bands(dates, regularization)):
            bands[d] += (smoothing_scale[:, None] * r[None, :])[..., None, None] * np.eye(2)
    s = DATES_PER_BLOCK
    diag, upper = _blocks(bands, p, m, s)
    nb = diag.shape[1]
    right = np.zeros((p, nb * 2 * s, 1 + t))
    right[:, : 2 * m, 0], right[:, : 2 * m, 1:] = rhs, border
    x, ratio = block_tridiagonal_solve(diag, upper, right.reshape(p, nb, 2 * s, 1 + t))
    x = x.reshape(p, nb * 2 * s, 1 + t)[:, : 2 * m]
    schur = offsets - np.swapaxes(border, 1, 2) @ x[..., 1:]
    o, r = cholesky_solve(schur, (rhs_o - np.einsum("pkt,pk->pt", border, x[..., 0]))[..., None],
                          np.diagonal(offsets, axis1=1, axis2=2))  # fmt: skip
    ratio = np.minimum(ratio, r)
    o = o[..., 0]
    d = x[..., 0] - np.einsum("pkt,pt->pk", x[..., 1:], o)
    east, up = _since_reference(d[:, 0::2], dates, reference_days), _since_reference(d[:, 1::2], dates,
                                                                                     reference_days)  # fmt: skip
    return east, up, ~(ratio >= NEAR_SINGULAR)


def _since_reference(d, dates, reference_days):
    """(m + 1, P) displacements at every date since ``reference_days`` from those at
    ``dates[1:]`` since ``dates[0]`` (P, m)."""
    full = np.concatenate([np.zeros((d.shape[0], 1)), d], axis=1).T
    m = len(dates) - 1
    k = min(int(np.searchsorted(dates, reference_days, side="right")) - 1, m - 1)
    f = (reference_days - dates[k]) / (dates[k + 1] - dates[k])
    return full - (full[k] + f * (full[k + 1] - full[k]))[None, :]


#: Bytes of per-pixel arrays held at once by the batched path.
CHUNK_BYTES = 64 << 20


def solve_pixels(terms: object, pixels: np.ndarray, dates: np.ndarray, reference_days: float, regularization: float,
                 out: list) -> np.ndarray:  # fmt: skip
    """Method 1 for ``pixels`` (indices), a chunk at a time, into ``out`` ([east, up, ...]
    (m + 1, P)); returns the pixels handed back (near singular). ``terms(part)`` gives per
    track (epochs, values, valid, var, weights, s_h, s_up) of the pixels ``part``, as the
    per-pixel solver builds them; the smoothing rows weigh as there (one increment between
    two acquisitions of the pixel's mean variance)."""
    m = len(dates) - 1
    chunk = max(1, CHUNK_BYTES // (8 * 80 * m))  # about 80 values per pixel and date (bands, blocks, sweeps)
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
        east, up, near = banded_solve(kept, [t[0] for t in tracks], dates, reference_days, regularization, scale[ok])
        solved = part[ok][~near]
        out[0][:, solved], out[1][:, solved] = east[:, ~near], up[:, ~near]
        back.append(part[ok][near])
    return np.concatenate(back) if back else np.zeros(0, dtype=int)
