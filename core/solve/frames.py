"""Frames of one viewing direction tied together (numpy only): each frame k gets a correction
c_k(x, y) = a_k (MODEL 0, an offset) or a_k + b_k (x - x_k) + c_k (y - y_k) (MODEL 1, an
offset and a plane), x, y the common grid's coordinates and (x_k, y_k) the frame's centre, so
that a_k is the value added to the frame at its centre. Wherever frames i and j both have a
value, (d_i + c_i) - (d_j + c_j) should vanish: the corrections are estimated from all
overlaps jointly by weighted least squares (weights 1 / (sigma_i^2 + sigma_j^2) when the frames
have a-priori sigmas), with the fixed frame's correction held at zero, or (GNSS held fixed)
with no frame fixed and one more condition per station inside a frame: d_k + c_k = the
station's velocity in the frame's line of sight (``Normals.add_stations``). The normal
equations are accumulated window by window, so memory does not grow with the frames.
"""

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..conventions.errors import FrameError

OFFSET, PLANE = 0, 1
MODELS = {OFFSET: "an offset per frame", PLANE: "an offset and a plane per frame"}


def n_params(model: int) -> int:
    """Unknowns per frame."""
    if model not in MODELS:
        raise FrameError(f"MODEL {model} is unknown: 0 (offset) or 1 (offset and plane)")
    return 1 if model == OFFSET else 3


@dataclass
class FrameFit:
    """The corrections: ``params[k]`` = (a_k[, b_k, c_k]) with b, c per grid coordinate unit,
    their fit sigmas, the pixels and RMS of the overlaps before and after."""

    params: np.ndarray
    sigmas: np.ndarray
    overlap_pixels: int
    rms_before: float
    rms_after: float
    pair_pixels: dict = field(default_factory=dict)
    #: GNSS held fixed: one residual (frame value + correction - GNSS in the line of sight) per
    #: station row, before and after the correction (empty when a frame is held fixed)
    gnss_before: np.ndarray = field(default_factory=lambda: np.zeros(0))
    gnss_after: np.ndarray = field(default_factory=lambda: np.zeros(0))
    gnss_stations: int = 0
    #: GNSS held fixed: the variance factors of the overlaps and of the station rows (Helmert's
    #: estimation), whether the stations' was estimated, and the stations' redundancy
    variance: dict = field(default_factory=dict)


class Normals:
    """Normal equations of the overlap conditions, accumulated window by window.

    ``centres[k]`` = (x_k, y_k); ``scale`` divides coordinate differences (conditioning only:
    the results are given per coordinate unit)."""

    def __init__(self, centres: list, model: int, scale: float = 1.0):
        self.p = n_params(model)
        self.centres = [tuple(map(float, c)) for c in centres]
        self.scale = float(scale) or 1.0
        size = len(centres) * self.p
        self.weighted = np.zeros((size, size))
        self.rhs = np.zeros(size)
        self.rr = 0.0
        self.plain = np.zeros((size, size))  # unweighted, for the RMS
        self.plain_rhs = np.zeros(size)
        self.plain_rr = 0.0
        self.count = 0
        self.weight_sum = 0.0
        self.pair_pixels: dict = {}
        self.frame_pixels: dict = {}  # valid pixels of each frame in its overlaps
        # station rows (GNSS held fixed): d_k + c_k = g at each station inside frame k
        self.station_normal = np.zeros((size, size))
        self.station_rhs = np.zeros(size)
        self.station_rr = 0.0
        self.station_rows: list = []  # (k, basis rows, g - d_k, weights, station ids)
        self.gnss_stations = 0  # distinct stations behind the rows (reported only)
        #: True when the station weights are 1/(a-priori variances) (their variance factor is 1
        #: a-priori), False when they weigh as an overlap pixel (a-priori, the overlaps' factor)
        self.station_apriori = False

    def seen(self, k: int, count: int) -> None:
        """``count`` more valid pixels of frame k in its overlaps (with or without a partner)."""
        self.frame_pixels[k] = self.frame_pixels.get(k, 0) + count

    def basis(self, k: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(n, p) columns of frame k's correction at the points (x, y)."""
        one = np.ones_like(x, dtype=np.float64)
        if self.p == 1:
            return one[:, None]
        xc, yc = self.centres[k]
        return np.column_stack([one, (x - xc) / self.scale, (y - yc) / self.scale])

    def add(self, i: int, j: int, x: np.ndarray, y: np.ndarray, di: np.ndarray, dj: np.ndarray,
            weight: Optional[np.ndarray] = None) -> None:  # fmt: skip
        """The overlap of frames i and j at the points (x, y), their values di, dj there."""
        if x.size == 0:
            return
        a = np.hstack([self.basis(i, x, y), -self.basis(j, x, y)])
        r = np.asarray(dj, dtype=np.float64) - np.asarray(di, dtype=np.float64)
        w = np.ones_like(r) if weight is None else np.asarray(weight, dtype=np.float64)
        cols = np.r_[i * self.p : (i + 1) * self.p, j * self.p : (j + 1) * self.p]
        aw = a * w[:, None]
        self.weighted[np.ix_(cols, cols)] += aw.T @ a
        self.rhs[cols] += aw.T @ r
        self.rr += float(np.sum(w * r * r))
        self.plain[np.ix_(cols, cols)] += a.T @ a
        self.plain_rhs[cols] += a.T @ r
        self.plain_rr += float(r @ r)
        self.count += int(x.size)
        self.weight_sum += float(np.sum(w))
        key = (min(i, j), max(i, j))
        self.pair_pixels[key] = self.pair_pixels.get(key, 0) + int(x.size)


    def add_stations(self, k: int, x: np.ndarray, y: np.ndarray, dk: np.ndarray, g: np.ndarray,
                     weight: np.ndarray, ids: Optional[np.ndarray] = None) -> None:  # fmt: skip
        """Stations inside frame k at the points (x, y): the frame's value ``dk`` there plus its
        correction should equal ``g``, the stations' velocity in the frame's line of sight
        (``ids``: the stations' indices, which tell a station's rows in several frames apart
        from other stations'; default: a new station per row)."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.size == 0:
            return
        b = self.basis(k, x, y)
        r = np.asarray(g, dtype=np.float64) - np.asarray(dk, dtype=np.float64)
        w = np.asarray(weight, dtype=np.float64)
        cols = slice(k * self.p, (k + 1) * self.p)
        bw = b * w[:, None]
        self.station_normal[cols, cols] += bw.T @ b
        self.station_rhs[cols] += bw.T @ r
        self.station_rr += float(np.sum(w * r * r))
        if ids is None:
            start = sum(row[4].size for row in self.station_rows)
            ids = np.arange(start, start + x.size) + 10**9  # distinct from any given index
        self.station_rows.append((k, b, r, w, np.asarray(ids)))

    @property
    def mean_weight(self) -> float:
        """The mean weight of an overlap pixel (1 with equal weights; 1 when none was added)."""
        return self.weight_sum / self.count if self.count else 1.0


def connected(n: int, pairs: list) -> list:
    """The frames (0-based) in the same group as frame 0, given the overlapping pairs."""
    seen, todo = {0}, [0]
    while todo:
        k = todo.pop()
        for i, j in pairs:
            for a, b in ((i, j), (j, i)):
                if a == k and b not in seen:
                    seen.add(b)
                    todo.append(b)
    return sorted(seen)


def check_overlaps(n: int, pairs: list, names: list, where: str = "") -> None:
    """FrameError naming a frame (1-based index and name) that overlaps no other, or the
    frames cut off from the first when the overlaps form separate groups (``where`` qualifies
    the overlaps: by footprint when empty)."""
    touched = {k for pair in pairs for k in pair}
    for k in range(n):
        if k not in touched:
            raise FrameError(f"frame {k + 1} ({names[k]}) overlaps no other frame{where}: it cannot be tied to them")
    group = connected(n, pairs)
    if len(group) < n:
        apart = ", ".join(f"{k + 1} ({names[k]})" for k in range(n) if k not in group)
        raise FrameError(f"frames {apart} overlap none of the frames tied to frame 1{where}: the frames form "
                         "separate groups")  # fmt: skip


def check_valid(normals: Normals, names: list) -> None:
    """FrameError naming the first frame with no valid pixel in any of its overlaps (nodata
    there, or no known sigma): it, not its neighbours, is what cannot be tied. Frames never
    ``seen`` (the solver used without counts) are not checked."""
    for k in sorted(normals.frame_pixels):
        if normals.frame_pixels[k] == 0:
            raise FrameError(
                f"frame {k + 1} ({names[k]}) has no valid pixel in its overlaps (nodata there, or "
                "weighted, a sigma that is not a positive number): it cannot be tied to the others"
            )


def _check_determined(nf: np.ndarray, fixed: Optional[int]) -> None:
    """FrameError in words when the normal matrix is (numerically) singular: its condition
    number after scaling each unknown to a unit diagonal (Jacobi) above 1e12."""
    if fixed is not None:
        if np.linalg.cond(nf) > 1e12:
            raise FrameError("the overlaps do not determine every frame's plane (overlaps too small or on a line): "
                             "use MODEL 0 (offsets only)")  # fmt: skip
        return
    d = np.sqrt(np.diag(nf))
    if not (np.all(d > 0) and np.linalg.cond(nf / np.outer(d, d)) <= 1e12):
        raise FrameError("the GNSS stations and the overlaps together do not fix every frame's correction (the "
                         "normal matrix is rank-deficient): add stations, or use MODEL 0 (offsets only)")  # fmt: skip


def _pooled(normals: Normals, free: np.ndarray, nf: np.ndarray) -> tuple:
    """(solution, covariance of the free unknowns): one variance factor from every row (a frame
    held fixed: the overlaps only)."""
    full, rhs = normals.weighted + normals.station_normal, normals.rhs + normals.station_rhs
    x = np.zeros(full.shape[0])
    x[free] = np.linalg.solve(nf, rhs[free])
    rss_w = normals.rr + normals.station_rr - 2 * x @ rhs + x @ full @ x
    rows = sum(r.size for _, _, r, _, _ in normals.station_rows)
    dof = max(normals.count + rows - free.size, 1)
    return x, np.linalg.inv(nf) * max(rss_w, 0.0) / dof


def _rss(rr: float, rhs: np.ndarray, normal: np.ndarray, x: np.ndarray) -> float:
    return max(float(rr - 2 * x @ rhs + x @ normal @ x), 0.0)


def station_count(normals: Normals) -> int:
    """Distinct stations behind the station rows."""
    return int(np.unique(np.concatenate([ids for *_, ids in normals.station_rows])).size)


def _components(normals: Normals, free: np.ndarray) -> tuple:
    """(solution, covariance, variance factors): two variance components, the overlaps' and
    the stations', by Helmert's estimation (each group's weighted residual sum of squares over
    its own redundancy, iterated). The stations' factor is estimated only when the stations
    over-determine the datum (more stations than the datum's unknowns: 1, or 3 with planes);
    else it keeps its a-priori value: 1 with a-priori station sigmas, the overlaps' factor when
    a station row weighs as an overlap pixel."""
    no, bo = normals.weighted[np.ix_(free, free)], normals.rhs[free]
    ns, bs = normals.station_normal[np.ix_(free, free)], normals.station_rhs[free]
    rows = sum(r.size for _, _, r, _, _ in normals.station_rows)
    estimable = station_count(normals) > normals.p
    f_o, f_s = 1.0, 1.0
    for _ in range(30):
        inv = np.linalg.inv(no / f_o + ns / f_s)
        xf = inv @ (bo / f_o + bs / f_s)
        red_o = normals.count - np.trace(inv @ no) / f_o
        red_s = rows - np.trace(inv @ ns) / f_s
        new_o = _rss(normals.rr, bo, no, xf) / red_o if red_o > 0.5 else f_o
        new_s = _rss(normals.station_rr, bs, ns, xf) / red_s if estimable and red_s > 0.5 else None
        if new_s is None:
            new_s = 1.0 if normals.station_apriori else new_o
        if not (new_o > 0 and new_s > 0):
            break  # residuals of zero (exact data): the current weights are as good as any
        done = abs(new_o / f_o - 1) < 1e-4 and abs(new_s / f_s - 1) < 1e-4
        f_o, f_s = new_o, new_s
        if done:
            break
    inv = np.linalg.inv(no / f_o + ns / f_s)
    x = np.zeros(normals.weighted.shape[0])
    x[free] = inv @ (bo / f_o + bs / f_s)
    info = {"overlaps": float(f_o), "stations": float(f_s), "stations_estimated": bool(estimable),
            "station_redundancy": float(rows - np.trace(inv @ ns) / f_s), "stations_apriori": normals.station_apriori}
    info["leave_one_out"] = leave_one_out(normals, no / f_o + ns / f_s, bo / f_o + bs / f_s, f_s, free)
    return x, inv, info  # fmt: skip


def leave_one_out(normals: Normals, full: np.ndarray, rhs: np.ndarray, f_s: float, free: np.ndarray) -> np.ndarray:
    """Per station row, the residual (frame + correction - GNSS) when its station (all its
    rows) is left out of the fit (``full``, ``rhs``: the final normal equations, the station
    rows scaled by 1/``f_s``); NaN where the others cannot fix the datum without it."""
    p, pos = normals.p, {int(k): i for i, k in enumerate(free)}
    ids = np.concatenate([row[4] for row in normals.station_rows])
    out = np.full(ids.size, np.nan)
    if np.unique(ids).size <= p:
        return out  # the stations only just fix the datum: none can be left out
    for sid in np.unique(ids):
        n_i, b_i = full.copy(), rhs.copy()
        for k, b, r, w, row_ids in normals.station_rows:
            on = row_ids == sid
            if on.any():
                cols = [pos[c] for c in range(k * p, (k + 1) * p)]
                bw = b[on] * (w[on] / f_s)[:, None]
                n_i[np.ix_(cols, cols)] -= bw.T @ b[on]
                b_i[cols] -= bw.T @ r[on]
        d = np.sqrt(np.abs(np.diag(n_i)))
        if not (np.all(d > 0) and np.linalg.cond(n_i / np.outer(d, d)) <= 1e12):
            continue
        x = np.linalg.solve(n_i, b_i)
        start = 0
        for k, b, r, _, row_ids in normals.station_rows:
            on = row_ids == sid
            cols = [pos[c] for c in range(k * p, (k + 1) * p)]
            out[start : start + r.size][on] = (b @ x[cols] - r)[on]
            start += r.size
    return out


def solve(normals: Normals, fixed: Optional[int], names: list) -> FrameFit:
    """The corrections with frame ``fixed`` (0-based) held at zero (one variance factor), or,
    ``fixed`` None, with no frame held fixed and the stations' rows (``Normals.add_stations``)
    fixing the reference (two variance components, ``_components``); FrameError when the
    overlaps (and stations) do not determine them (a frame without overlap, a plane on a line,
    too few stations)."""
    n, p = len(normals.centres), normals.p
    check_valid(normals, names)
    check_overlaps(n, [k for k, c in normals.pair_pixels.items() if c > 0], names, " where both have a value")
    free = np.array([k for k in range(n * p) if k // p != fixed])
    nf = (normals.weighted + normals.station_normal)[np.ix_(free, free)]
    _check_determined(nf, fixed)
    variance = {}
    if fixed is None and normals.station_rows:
        x, cov_free, variance = _components(normals, free)
    else:
        x, cov_free = _pooled(normals, free, nf)
    cov = np.zeros((n * p, n * p))
    cov[np.ix_(free, free)] = cov_free
    rss = normals.plain_rr - 2 * x @ normals.plain_rhs + x @ normals.plain @ x
    unscale = np.array([1.0] + [1.0 / normals.scale] * (p - 1))
    params = x.reshape(n, p) * unscale
    sigmas = np.sqrt(np.clip(np.diag(cov), 0, None)).reshape(n, p) * unscale
    count = max(normals.count, 1)
    fit = FrameFit(params, sigmas, normals.count, float(np.sqrt(normals.plain_rr / count)),
                   float(np.sqrt(max(rss, 0.0) / count)), dict(normals.pair_pixels))  # fmt: skip
    if normals.station_rows:  # residual = InSAR (+ correction) - GNSS = -(g - d) (+ b . x)
        fit.gnss_before = np.concatenate([-r for _, _, r, _, _ in normals.station_rows])
        fit.gnss_after = np.concatenate([b @ x[k * p : (k + 1) * p] - r for k, b, r, _, _ in normals.station_rows])
        fit.gnss_stations = normals.gnss_stations
        fit.variance = variance
    return fit


def correction(params: np.ndarray, centre: tuple, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A frame's correction at the points (x, y) (broadcast), from its ``FrameFit.params`` row."""
    out = params[0] + 0.0 * x + 0.0 * y
    if params.size == 3:
        out = out + params[1] * (x - centre[0]) + params[2] * (y - centre[1])
    return out


def _valid_weight(v: np.ndarray, weight, shape: tuple) -> tuple:
    """(weight where valid else 0, mask of values without a valid weight or None): a weight is
    valid when finite and positive (a sigma of 0 or NaN is an unknown sigma, not an exact one)."""
    ok = np.isfinite(v)
    if weight is None:
        return ok.astype(np.float32), None
    w = np.broadcast_to(np.asarray(weight, np.float32), shape)
    with np.errstate(invalid="ignore"):
        good = ok & np.isfinite(w) & (w > 0)
    return np.where(good, w, np.float32(0)), ok & ~good


def merge(values: list, weights: Optional[list] = None, extras: Optional[list] = None) -> tuple:
    """Per pixel, the weighted mean of the frames' values (NaN where none has one); with
    weights 1/sigma^2, the propagated sigma 1/sqrt(sum of weights) (else None); and the mean of
    each frame's ``extras`` (a tuple of arrays or constants, e.g. its unit vector) with the same
    weights, where the frame has a value. A value whose weight is not finite and positive (its
    sigma 0 or NaN: unknown) is left out where another frame has a valid weight, and kept where
    none has (the plain mean of such values there, with a NaN sigma): no value is dropped.
    float32 throughout: one pass per frame."""
    shape = values[0].shape
    total, wsum = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    plain, count = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    n_extra = len(extras[0]) if extras else 0
    sums = [np.zeros(shape, np.float32) for _ in range(n_extra)]
    plain_sums = [np.zeros(shape, np.float32) for _ in range(n_extra)]
    for k, v in enumerate(values):
        w, unknown = _valid_weight(v, None if weights is None else weights[k], shape)
        total += w * np.where(w > 0, v, np.float32(0))
        wsum += w
        if unknown is not None:
            plain += np.where(unknown, v, np.float32(0))
            count += unknown
        for c, extra in enumerate(extras[k] if extras else ()):
            e = np.nan_to_num(np.asarray(extra, np.float32))
            sums[c] += w * e
            if unknown is not None:
                plain_sums[c] += unknown * e
    with np.errstate(invalid="ignore", divide="ignore"):
        some, rest = wsum > 0, count > 0
        mean = np.where(some, total / wsum, np.where(rest, plain / count, np.float32(np.nan)))
        sigma = None if weights is None else np.where(some, 1.0 / np.sqrt(wsum), np.float32(np.nan))
        extra_means = [np.where(some, c / wsum, np.where(rest, p / count, np.float32(np.nan)))
                       for c, p in zip(sums, plain_sums)]  # fmt: skip
    return mean, sigma, extra_means
