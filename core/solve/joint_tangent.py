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
    recursion and its derivative side by side (bottom up)."""
    n, w = low.shape[:2]
    rest = low.shape[2:]
    win, spare = np.zeros((w, w) + rest), np.zeros((w, w) + rest)  # Z[i + 1 + a, i + 1 + b]
    dwin, dspare = np.zeros((w, w) + rest), np.zeros((w, w) + rest)
    tmp, col, dcol, zii, dzii = (np.empty(s + rest) for s in ((w, w), (w,), (w,), (), ()))
    inner, dinner = np.zeros((2, n) + rest), np.zeros((n,) + rest)
    for i in range(n - 1, -1, -1):
        np.multiply(low[i][:, None], win, out=tmp)
        np.sum(tmp, axis=0, out=col)
        np.negative(col, out=col)  # Z[i + 1 + b, i]
        np.multiply(dlow[i][:, None], win, out=tmp)
        tmp += low[i][:, None] * dwin
        np.sum(tmp, axis=0, out=dcol)
        np.negative(dcol, out=dcol)
        inv = 1.0 / pivots[i]
        np.subtract(inv, (low[i] * col).sum(axis=0), out=zii)
        np.subtract(-dpivots[i] * inv * inv, (dlow[i] * col + low[i] * dcol).sum(axis=0), out=dzii)
        inner[0, i], inner[1, i], dinner[i] = zii, col[1], dzii
        for z, c, s, wn in ((zii, col, spare, win), (dzii, dcol, dspare, dwin)):
            s[1:, 1:] = wn[:-1, :-1]
            s[0, 0] = z
            s[0, 1:] = s[1:, 0] = c[:-1]
        win, spare, dwin, dspare = spare, win, dspare, dwin
    return inner, dinner
