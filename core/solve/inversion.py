"""Weighted least-squares inversion of LOS velocities for a horizontal and a vertical component.

DESIGN.md section 3. For each pixel, the tracks valid there form ``G`` with rows
``(a_i, s_iU)`` where ``a_i`` is the track's sensitivity to the horizontal direction
solved for (``s_iE`` for east, ``s_iE sin(phi) + s_iN cos(phi)`` for an azimuth ``phi``).
The 2x2 normal equations are solved in closed form, vectorised over whole blocks.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .resolvable import (  # noqa: F401 (DEFAULT_MAX_CONDITION, condition_number: part of this module's interface)
    DEFAULT_MAX_CONDITION,
    condition_number,
    decide,
    mark_look_direction,
    resolvable_tracks,
)


@dataclass
class TrackBlock:
    """One track over a block of pixels (arrays broadcastable to a common shape).

    ``los`` is positive toward the satellite, in the common unit; NaN marks nodata.
    ``s_east``, ``s_north``, ``s_up`` is the ground-to-satellite unit vector (scalars
    for single-valued geometry or arrays for per-pixel geometry). ``sigma`` is the LOS
    standard deviation (scalar or array, same unit as ``los``) or None.
    """

    los: np.ndarray
    s_east: object
    s_north: object
    s_up: object
    sigma: object = None


@dataclass
class Solution:
    """Per-pixel results; NaN where the pixel is not resolved."""

    horizontal: np.ndarray
    up: np.ndarray
    sigma_horizontal: Optional[np.ndarray]
    sigma_up: Optional[np.ndarray]
    correlation: np.ndarray
    condition: np.ndarray
    n_tracks: np.ndarray
    residual_rms: np.ndarray


def horizontal_sensitivity(s_east: object, s_north: object, azimuth: Optional[float] = None) -> object:
    """Sensitivity of a track to horizontal motion along ``azimuth`` (degrees clockwise
    from north); east when ``azimuth`` is None."""
    if azimuth is None:
        return s_east
    phi = np.radians(azimuth)
    return s_east * np.sin(phi) + s_north * np.cos(phi)


def invert(
    tracks: list,
    north_velocity: object = None,
    north_sigma: object = None,
    horizontal_azimuth: Optional[float] = None,
    max_condition: float = DEFAULT_MAX_CONDITION,
) -> "Solution":
    """Invert two or more tracks for horizontal and vertical velocity, pixel by pixel.

    ``north_velocity`` (scalar or array, NaN = unknown) is removed from every track
    before inverting; without it the north component is assumed zero. ``north_sigma``
    adds ``(s_N sigma_N)^2`` to each track's variance (only meaningful with weights).
    ``horizontal_azimuth`` solves along that azimuth instead of east (not combinable
    with a north velocity, which would then be counted twice).

    Weights: either every track has a sigma (weighted least squares, sigma outputs) or
    none has (equal weights; sigma outputs are None). A pixel is resolved when at least
    one valid track looks east and one looks west along the solved direction and
    cond(G) <= ``max_condition``.
    """
    if len(tracks) < 2:
        raise ValueError("at least two tracks are needed to resolve two components")
    has_sigma = [t.sigma is not None for t in tracks]
    if any(has_sigma) and not all(has_sigma):
        raise ValueError("either every track has a standard deviation or none has")
    weighted = all(has_sigma)
    if north_velocity is not None and horizontal_azimuth is not None:
        raise ValueError("a known north velocity and a horizontal azimuth cannot be combined")

    if all(_is_scalar(x) for t in tracks for x in (t.s_east, t.s_north, t.s_up, t.sigma)) and all(
        _is_scalar(x) for x in (north_velocity, north_sigma)
    ):
        return _invert_by_pattern(tracks, north_velocity, north_sigma, horizontal_azimuth, max_condition, weighted)

    if len(tracks) == 2:
        return _invert_pair_per_pixel(tracks, north_velocity, north_sigma, horizontal_azimuth, max_condition, weighted)
    return _invert_per_pixel(tracks, north_velocity, north_sigma, horizontal_azimuth, max_condition, weighted)


def _common_dtype(tracks, north_velocity):
    arrays = [x for t in tracks for x in (t.los, t.s_east, t.s_north, t.s_up, t.sigma) if x is not None]
    if north_velocity is not None:
        arrays.append(north_velocity)
    shape = np.broadcast_shapes(*(np.shape(x) for x in arrays))
    dtype = np.result_type(*(np.asarray(x).dtype for x in arrays if np.ndim(x) > 0), np.float32)
    return shape, (dtype if dtype.kind == "f" else np.dtype(np.float64))


def _track_arrays(track, dtype, horizontal_azimuth, north_velocity, north_sigma, weighted):
    """(a, u, d, variance or None, valid) of one track in ``dtype``: horizontal and up
    sensitivities, LOS with the known north removed, and where all of them are usable."""
    s_north = np.asarray(track.s_north, dtype=dtype)
    a = np.asarray(horizontal_sensitivity(np.asarray(track.s_east, dtype), s_north, horizontal_azimuth), dtype)
    u = np.asarray(track.s_up, dtype=dtype)
    d = np.asarray(track.los, dtype=dtype)
    if north_velocity is not None:
        d = d - s_north * np.asarray(north_velocity, dtype=dtype)
    valid = np.isfinite(d + a + u)
    var = None
    if weighted:
        var = np.square(np.asarray(track.sigma, dtype=dtype))
        if north_sigma is not None:
            var = var + np.square(s_north * np.asarray(north_sigma, dtype=dtype))
        valid = valid & np.isfinite(var) & (var > 0)  # not in place: var may have the larger shape
    return a, u, d, var, valid


def _invert_pair_per_pixel(tracks, north_velocity, north_sigma, horizontal_azimuth, max_condition, weighted):
    """Two tracks with per-pixel geometry (the ascending + descending case): G is square,
    so the solution is G^-1 d whatever the weights, in closed form with few array passes."""
    shape, dtype = _common_dtype(tracks, north_velocity)
    a, u, d, var, valid = [], [], [], [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in tracks:
            ai, ui, di, vv, vi = _track_arrays(t, dtype, horizontal_azimuth, north_velocity, north_sigma, weighted)
            if weighted:
                var.append(vv)
            a.append(ai)
            u.append(ui)
            d.append(di)
            valid.append(np.broadcast_to(vi, shape))
        both = valid[0] & valid[1]
        det_g = a[0] * u[1] - a[1] * u[0]
        g00 = a[0] * a[0] + a[1] * a[1]
        g01 = a[0] * u[0] + a[1] * u[1]
        g11 = u[0] * u[0] + u[1] * u[1]
        cond = np.broadcast_to(condition_number(g00, g01, g11, det_g * det_g), shape)
        looks_pos = np.zeros(shape, dtype=bool)
        looks_neg = np.zeros(shape, dtype=bool)
        for vi, ai in zip(valid, a):
            mark_look_direction(looks_pos, looks_neg, vi, ai)
        ok = both & decide(np.int16(2), looks_pos, looks_neg, cond, max_condition)
        inv = np.where(ok, 1 / det_g, np.nan).astype(dtype, copy=False)
        horizontal = (u[1] * d[0] - u[0] * d[1]) * inv
        up = (a[0] * d[1] - a[1] * d[0]) * inv
        var = var if weighted else [dtype.type(1), dtype.type(1)]
        inv2 = inv * inv
        c00 = (u[1] * u[1] * var[0] + u[0] * u[0] * var[1]) * inv2
        c11 = (a[1] * a[1] * var[0] + a[0] * a[0] * var[1]) * inv2
        c01 = -(a[1] * u[1] * var[0] + a[0] * u[0] * var[1]) * inv2
        correlation = np.broadcast_to(c01 / np.sqrt(c00 * c11), shape)
    return Solution(
        horizontal=np.broadcast_to(horizontal, shape),
        up=np.broadcast_to(up, shape),
        sigma_horizontal=np.broadcast_to(np.sqrt(c00), shape) if weighted else None,
        sigma_up=np.broadcast_to(np.sqrt(c11), shape) if weighted else None,
        correlation=correlation,
        condition=np.where(np.isfinite(cond) & both, cond, np.nan).astype(dtype, copy=False),
        n_tracks=(valid[0].astype(np.int16) + valid[1]),
        residual_rms=np.full(shape, np.nan, dtype=dtype),
    )


def _invert_per_pixel(tracks, north_velocity, north_sigma, horizontal_azimuth, max_condition, weighted):
    """Per-pixel geometry (or sigma, or north): 2x2 normal equations accumulated track by
    track over whole arrays, in the inputs' precision (float32 for real rasters)."""
    shape, dtype = _common_dtype(tracks, north_velocity)
    sums = _NormalSums(shape, dtype, weighted, keep=len(tracks) >= 3)  # residuals need the data again
    with np.errstate(divide="ignore", invalid="ignore"):
        for track in tracks:
            arrays = _track_arrays(track, dtype, horizontal_azimuth, north_velocity, north_sigma, weighted)
            sums.add(*_zeroed_outside(*arrays, shape, dtype, weighted))
        return sums.solution(max_condition)


class _NormalSums:
    """The 2x2 normal equations of a block (and G'G for cond, when weighted), the count of
    valid tracks and their look directions, accumulated track by track."""

    def __init__(self, shape, dtype, weighted, keep):
        self.shape, self.dtype, self.weighted = shape, dtype, weighted
        self.n00, self.n01, self.n11, self.b0, self.b1, self.tmp = (np.zeros(shape, dtype=dtype) for _ in range(6))
        # unweighted, G'WG is G'G: cond(G) comes from the same sums
        self.g = tuple(np.zeros(shape, dtype=dtype) for _ in range(3)) if weighted else (self.n00, self.n01, self.n11)
        self.count = np.zeros(shape, dtype=np.int16)
        self.looks_pos = np.zeros(shape, dtype=bool)
        self.looks_neg = np.zeros(shape, dtype=bool)
        self.used = [] if keep else None

    def _accumulate(self, acc, x, y):
        np.multiply(x, y, out=self.tmp)
        acc += self.tmp

    def add(self, a, u, d0, w, valid):
        wa = w * a
        wu = w * u
        self._accumulate(self.n00, wa, a)
        self._accumulate(self.n01, wa, u)
        self._accumulate(self.n11, wu, u)
        self._accumulate(self.b0, wa, d0)
        self._accumulate(self.b1, wu, d0)
        if self.weighted:
            v = valid.astype(self.dtype)
            va = v * a
            self._accumulate(self.g[0], va, a)
            self._accumulate(self.g[1], va, u)
            self._accumulate(self.g[2], v * u, u)
        self.count += valid
        mark_look_direction(self.looks_pos, self.looks_neg, valid, a)
        if self.used is not None:
            self.used.append((d0, a, u, valid))

    def solution(self, max_condition):
        n00, n01, n11, count = self.n00, self.n01, self.n11, self.count
        det = n00 * n11 - n01 * n01
        cond = condition_number(*self.g, None if self.weighted else det)
        ok = decide(count, self.looks_pos, self.looks_neg, cond, max_condition) & (det > 0)
        inv_det = np.where(ok, 1 / det, np.nan).astype(self.dtype, copy=False)
        horizontal = (n11 * self.b0 - n01 * self.b1) * inv_det
        up = (n00 * self.b1 - n01 * self.b0) * inv_det
        correlation = -n01 / np.sqrt(n00 * n11)
        correlation[~ok] = np.nan
        residual_rms = _residual_rms(self.used or [], horizontal, up, ok & (count >= 3), count, self.shape, self.dtype)
        return Solution(
            horizontal=horizontal,
            up=up,
            sigma_horizontal=np.sqrt(n11 * inv_det) if self.weighted else None,
            sigma_up=np.sqrt(n00 * inv_det) if self.weighted else None,
            correlation=correlation,
            condition=np.where(np.isfinite(cond) & (count >= 2), cond, np.nan),
            n_tracks=count,
            residual_rms=residual_rms,
        )


def _zeroed_outside(a, u, d, var, valid, shape, dtype, weighted):
    """(a, u, d, weight, valid) of one track over the block, all zero where the track is
    not valid: its geometry is nodata outside its footprint, and a zero weight times NaN
    would still poison the sums of the tracks that are valid there."""
    w = np.where(valid, 1 / var, 0).astype(dtype, copy=False) if weighted else valid.astype(dtype)
    valid = np.broadcast_to(valid, shape)
    w = np.broadcast_to(w, shape)

    def zeroed(x):
        return np.where(valid, x, 0).astype(dtype, copy=False)

    return zeroed(a), zeroed(u), zeroed(d), w, valid


def _residual_rms(used, horizontal, up, where, count, shape, dtype):
    """RMS of the LOS residuals of the tracks used, where asked (3 or more tracks)."""
    residual_rms = np.full(shape, np.nan, dtype=dtype)
    if used:
        sq_sum = np.zeros(shape, dtype=dtype)
        for d0, a, u, valid in used:
            r = d0 - (a * horizontal + u * up)
            sq_sum += np.where(valid, r * r, 0)
        residual_rms[where] = np.sqrt(sq_sum[where] / count[where])
    return residual_rms


def _is_scalar(x):
    return x is None or np.ndim(x) == 0


def _pattern_solution(a, u, var, max_condition):
    """Closed-form solution matrices for one set of tracks with single-valued geometry:
    (P, C, cond, ok) where m = P d and C is the covariance for the given variances."""
    a, u, var = np.asarray(a, float), np.asarray(u, float), np.asarray(var, float)
    G = np.column_stack([a, u])
    W = 1.0 / var
    N = (G * W[:, None]).T @ G
    det = N[0, 0] * N[1, 1] - N[0, 1] ** 2
    ok, cond = resolvable_tracks(a, u, max_condition)
    ok = ok and det > 0
    if not ok:
        return None, None, cond, False
    C = np.array([[N[1, 1], -N[0, 1]], [-N[0, 1], N[0, 0]]]) / det
    P = C @ (G * W[:, None]).T
    return P, C, cond, True


def _invert_by_pattern(tracks, north_velocity, north_sigma, horizontal_azimuth, max_condition, weighted):
    """Single-valued geometry (and scalar sigmas and north): the solution depends only on
    which tracks are valid at a pixel, so it is computed once per validity pattern and
    applied to all pixels sharing it, vectorised; typically one pattern covers almost
    every pixel."""
    a, u, var = _pattern_geometry(tracks, north_sigma, horizontal_azimuth, weighted)
    d, shape, dtype = _pattern_data(tracks, north_velocity)
    sigma_ok = [not weighted or (np.isfinite(v) and v > 0) for v in var]
    code, patterns, whole = _validity_patterns(d, sigma_ok, shape)
    # one pattern everywhere: every array is written whole once, so none is filled with NaN first
    new = (lambda: np.empty(shape, dtype=dtype)) if whole else (lambda: np.full(shape, np.nan, dtype=dtype))
    sol = Solution(new(), new(), new() if weighted else None, new() if weighted else None, new(), new(),
                   np.zeros(shape, dtype=np.int16), new())  # fmt: skip
    written = set()
    for k in patterns:
        idx = [i for i in range(len(tracks)) if (k >> i) & 1]
        sel = Ellipsis if whole else (code == k)
        sol.n_tracks[sel] = len(idx)
        if len(idx) >= 2:
            written |= _solve_pattern(sol, sel, idx, (a, u, var, d), max_condition, dtype)
    for name in set(SOLVED) - written if whole else ():  # not solved (parallel looks, one track): NaN
        if getattr(sol, name) is not None:
            getattr(sol, name).fill(np.nan)
    return sol


def _validity_patterns(d, sigma_ok, shape):
    """(code, the patterns present, whether one covers every pixel): a pixel's pattern is the
    bit set of the tracks valid there (a finite value and a usable sigma); ``code`` is None
    when every track is valid everywhere (the rule), found without building it."""
    if all(sigma_ok) and all(bool(np.isfinite(di).all()) for di in d):
        return None, [(1 << len(d)) - 1], True
    code = np.zeros(shape, dtype=np.uint32)
    for i, di in enumerate(d):
        if sigma_ok[i]:
            code |= np.isfinite(di).astype(np.uint32) << np.uint32(i)
    counts = np.bincount(code.ravel(), minlength=1 << len(d))
    return code, np.flatnonzero(counts), code.size > 0 and counts[code.ravel()[0]] == code.size


#: The floating-point fields of a Solution that a pattern's solve writes (n_tracks aside).
SOLVED = ("horizontal", "up", "sigma_horizontal", "sigma_up", "correlation", "condition", "residual_rms")


def _pattern_geometry(tracks, north_sigma, horizontal_azimuth, weighted):
    """Per track: horizontal and up sensitivities and the variance (1 unweighted)."""
    a = [float(horizontal_sensitivity(float(t.s_east), float(t.s_north), horizontal_azimuth)) for t in tracks]
    u = [float(t.s_up) for t in tracks]
    var = []
    for t in tracks:
        v = float(t.sigma) ** 2 if weighted else 1.0
        if weighted and north_sigma is not None:
            v += (float(t.s_north) * float(north_sigma)) ** 2
        var.append(v)
    return a, u, var


def _pattern_data(tracks, north_velocity):
    """The tracks' LOS with the known north removed, broadcast to one shape; that shape and
    the solution's dtype."""
    d = []
    for t in tracks:
        di = np.asarray(t.los)
        if di.dtype.kind != "f":
            di = di.astype(np.float64)
        if north_velocity is not None:
            di = di - di.dtype.type(float(t.s_north) * float(north_velocity))
        d.append(di)
    shape = np.broadcast_shapes(*(x.shape for x in d))
    d = [np.broadcast_to(x, shape) for x in d]
    return d, shape, np.result_type(*(x.dtype for x in d), np.float32)


def _combined(weights, arrays, dtype, out=None):
    """sum_j weights[j] arrays[j] in ``dtype``, added in that order (into ``out`` if given)."""
    out = np.multiply(arrays[0], dtype.type(weights[0]), out=out, dtype=dtype)
    scratch = np.empty_like(out) if len(arrays) > 1 else None
    for j in range(1, len(arrays)):
        np.multiply(arrays[j], dtype.type(weights[j]), out=scratch, dtype=dtype)
        out += scratch
    return out


def _solve_pattern(sol, sel, idx, terms, max_condition, dtype):
    """Fill ``sol`` where ``sel`` for the tracks ``idx`` (valid there together); the names of
    the fields written (``SOLVED``)."""
    a, u, var, d = terms
    P, C, cond, ok = _pattern_solution([a[i] for i in idx], [u[i] for i in idx], [var[i] for i in idx], max_condition)
    sol.condition[sel] = cond if np.isfinite(cond) else np.nan
    if not ok:
        return {"condition"}
    dk = [d[i][sel] for i in idx]
    if sel is Ellipsis:  # the whole window: the sums made in place in the solution's arrays
        h, v = _combined(P[0], dk, dtype, sol.horizontal), _combined(P[1], dk, dtype, sol.up)
    else:
        h, v = _combined(P[0], dk, dtype), _combined(P[1], dk, dtype)
        sol.horizontal[sel] = h
        sol.up[sel] = v
    sol.correlation[sel] = C[0, 1] / np.sqrt(C[0, 0] * C[1, 1])
    if sol.sigma_horizontal is not None:
        sol.sigma_horizontal[sel] = np.sqrt(C[0, 0])
        sol.sigma_up[sel] = np.sqrt(C[1, 1])
    if len(idx) >= 3:
        sq = sum((dk[j] - (dtype.type(a[i]) * h + dtype.type(u[i]) * v)) ** 2 for j, i in enumerate(idx))
        sol.residual_rms[sel] = np.sqrt(sq / len(idx))
    return set(SOLVED) - ({"residual_rms"} if len(idx) < 3 else set())
