"""Forward-mode derivatives (tangents) of the batched banded LDL' and its selected inverse
(``joint_banded``) along a symmetric banded direction E, in real arithmetic: from the real
factors of N and E's band, the factors' tangents and the tangent of the diagonal of N^-1,
which is -diag(N^-1 E N^-1). With E the data's normal matrix that is the propagated
covariance's diagonal (N^-1 D N^-1), exactly (no step, no difference of close numbers).

The complex step it replaces computed the same derivative with every operation in complex
arithmetic (about three times the real cost in numpy, the real part included); here the real
factorisation is the one the estimates use and only the tangent recursions are added.
Arrays hold the pixels last, as in ``joint_banded``. numpy only.
"""

import numpy as np


def band_times(band: np.ndarray, v: np.ndarray) -> np.ndarray:
    """N v for symmetric banded N (``band[d, i] = N[i, i - d]``, (w + 1, n, P)) and ``v``
    (n, c, P)."""
    out = band[0][:, None] * v
    for d in range(1, band.shape[0]):
        out[d:] += band[d, d:, None] * v[:-d]
        out[:-d] += band[d, d:, None] * v[d:]
    return out


def ldl_tangent(low: np.ndarray, pivots: np.ndarray, dband: np.ndarray) -> tuple:
    """(dlow, dpivots): the tangents of :func:`joint_banded.ldl`'s factors along the
    symmetric banded direction ``dband`` (its layout), from the real factors. The same
    window moving down the diagonal; with ``a = low[j] pivots[j]`` the column under the
    pivot, ``dlow = (da - low dp) / p`` and the window's tangent loses
    ``dlow a' + low da'``."""
    n, w = low.shape[:2]
    rest = low.shape[2:]
    dlow, dpivots = np.zeros_like(low), np.empty_like(pivots)
    win, spare = np.zeros((w + 1, w + 1) + rest), np.zeros((w + 1, w + 1) + rest)
    tmp, a, inv = np.empty((w, w) + rest), np.empty((w,) + rest), np.empty(rest)
    for i in range(min(w + 1, n)):
        win[i, i] = dband[0, i]
        for b in range(i):
            win[i, b] = win[b, i] = dband[i - b, i]
    for j in range(n):
        dpivots[j] = win[0, 0]
        np.divide(1.0, pivots[j], out=inv)
        np.multiply(low[j], pivots[j], out=a)
        np.multiply(low[j], win[0, 0], out=dlow[j])
        np.subtract(win[1:, 0], dlow[j], out=dlow[j])
        dlow[j] *= inv
        np.multiply(dlow[j][:, None], a[None], out=tmp)
        tmp += low[j][:, None] * win[None, 1:, 0]
        np.subtract(win[1:, 1:], tmp, out=spare[:-1, :-1])
        r = j + w + 1
        if r < n:
            spare[-1, :-1] = spare[:-1, -1] = dband[w:0:-1, r]
            spare[-1, -1] = dband[0, r]
        else:
            spare[-1], spare[:, -1] = 0.0, 0.0
        win, spare = spare, win
    return dlow, dpivots


def selected_inverse_tangent(low: np.ndarray, pivots: np.ndarray, dlow: np.ndarray, dpivots: np.ndarray) -> tuple:
    """(inner, dinner): ``joint_banded.selected_inverse``'s entries N^-1[i, i] and
    N^-1[i + 2, i] ((2, n, P)) and the tangent of the diagonal (n, P), by Takahashi's
    recursion and its derivative side by side (bottom up): the window of Z and its tangent
    are one array ([0] and [1]), so that each step moves both at once."""
    n, w = low.shape[:2]
    rest = low.shape[2:]
    win, spare = np.zeros((2, w, w) + rest), np.zeros((2, w, w) + rest)  # Z[i + 1 + a, i + 1 + b], its tangent
    tmp, tmp1 = np.empty((2, w, w) + rest), np.empty((w, w) + rest)
    col, extra, z = np.empty((2, w) + rest), np.empty((w,) + rest), np.empty((2,) + rest)
    inner, dinner = np.zeros((2, n) + rest), np.zeros((n,) + rest)
    for i in range(n - 1, -1, -1):
        np.multiply(low[i][None, :, None], win, out=tmp)
        np.sum(tmp, axis=1, out=col)  # -Z[i + 1 + b, i] and the part of its tangent along the window's
        np.multiply(dlow[i][:, None], win[0], out=tmp1)
        np.sum(tmp1, axis=0, out=extra)
        col[1] += extra
        np.negative(col, out=col)
        inv = 1.0 / pivots[i]
        z[0] = inv - (low[i] * col[0]).sum(axis=0)
        z[1] = -dpivots[i] * inv * inv - (dlow[i] * col[0] + low[i] * col[1]).sum(axis=0)
        inner[0, i], inner[1, i], dinner[i] = z[0], col[0, 1], z[1]
        spare[:, 1:, 1:] = win[:, :-1, :-1]
        spare[:, 0, 0] = z
        spare[:, 0, 1:] = spare[:, 1:, 0] = col[:, :-1]
        win, spare = spare, win
    return inner, dinner
