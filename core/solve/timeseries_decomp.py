"""East and up displacement time series from tracks acquired on different days
(DESIGN.md section 3b), per pixel, in numpy.

Method 0 (interpolation): each track's displacement is interpolated linearly in time to
each output date, only between two of its valid acquisitions at most ``max_gap`` days
apart; then every date is inverted like a velocity (``inversion.invert``). Assumes the
motion is close to linear between a track's acquisitions.

Method 1 (joint, the MSBAS family): the unknowns are the east and up velocities in each
interval between consecutive output dates; every increment between consecutive valid
acquisitions of every track is one observation (its LOS projection of the velocities
integrated over its time span); first-order smoothing ``lambda (v[k+1] - v[k]) = 0`` ties
neighbouring intervals. Assumes the velocity is constant within an interval and, through
the smoothing, changes little from one interval to the next; no interpolation.
"""

import datetime
from typing import Optional

import numpy as np

from ..conventions.dates import DAYS_PER_YEAR, repeated
from .joint_banded import MAX_CONDITION, solve_pixels
from .patterns import large_groups
from .resolvable import DEFAULT_MAX_CONDITION, LookGuard
from .velocity import TimeSeriesError

EVERY_ACQUISITION, REGULAR, ASCENDING_DATES = 0, 1, 2
INTERPOLATE, JOINT = 0, 1


def check_track_dates(name: str, epochs: list) -> None:
    """A track's acquisitions, in date order (the one policy for stacks: bands may come in
    any order, every time-series algorithm reads them sorted by date): at least two, and
    no date twice."""
    if len(epochs) < 2:
        raise TimeSeriesError(f"{name} track: a time series needs at least two acquisitions, it has {len(epochs)}")
    twice = repeated(epochs)
    if twice:
        raise TimeSeriesError(f"{name} track: the time series has the same date twice: {', '.join(map(str, twice))}")


def common_span(tracks: list) -> tuple:
    """(first, last) date that every track covers; ``tracks`` is [(name, epochs)]."""
    start = max(e[0] for _, e in tracks)
    end = min(e[-1] for _, e in tracks)
    if start >= end:
        shown = "; ".join(f"{n} {e[0]} to {e[-1]}" for n, e in tracks)
        raise TimeSeriesError(f"the tracks have no common time span ({shown})")
    return start, end


def output_dates(mode: int, tracks: list, interval_days: int = 12) -> list:
    """The output dates inside the common span: every acquisition of any track (0), every
    ``interval_days`` from the first common date (1) or the first track's acquisitions (2)."""
    start, end = common_span(tracks)
    if mode == EVERY_ACQUISITION:
        dates = sorted({d for _, e in tracks for d in e if start <= d <= end})
    elif mode == REGULAR:
        if interval_days is None or interval_days < 1 or float(interval_days) != int(interval_days):
            raise TimeSeriesError(
                f"INTERVAL_DAYS must be a positive whole number of days (output dates are calendar days), "
                f"not {interval_days}"
            )
        n = (end - start).days // int(interval_days)
        dates = [start + datetime.timedelta(days=int(interval_days) * i) for i in range(n + 1)]
    elif mode == ASCENDING_DATES:
        dates = [d for d in tracks[0][1] if start <= d <= end]
    else:
        raise TimeSeriesError(f"unknown DATES option {mode}: 0 every acquisition, 1 regular, 2 the ascending track's")
    if len(dates) < 2:
        raise TimeSeriesError(f"the common span {start} to {end} holds fewer than two output dates")
    return dates


def reference_date(dates: list, reference: Optional[datetime.date]) -> datetime.date:
    """The reference date (the first output date by default), inside the output span."""
    if reference is None:
        return dates[0]
    if not dates[0] <= reference <= dates[-1]:
        raise TimeSeriesError(
            f"REFERENCE_DATE {reference} is outside the common span of the outputs ({dates[0]} to {dates[-1]})"
        )
    return reference


def days_since(dates: list, origin: datetime.date) -> np.ndarray:
    """Whole days from ``origin`` to each of ``dates``, as float64."""
    return np.array([(d - origin).days for d in dates], dtype=np.float64)


def interpolate(epochs: np.ndarray, values: np.ndarray, targets: np.ndarray, max_gap: float,
                reference_last: bool = False) -> tuple:  # fmt: skip
    """Linear interpolation in time, per pixel, between valid acquisitions.

    ``epochs`` (n, days, increasing), ``values`` (n, P) with NaN for missing, ``targets``
    (m, days). Returns (m, P) values and the weights behind them: (i0, i1, w) such that a
    value is ``(1 - w) y[i0] + w y[i1]`` (see :func:`difference_variance`). A target on a
    valid acquisition takes its value; between two valid acquisitions more than
    ``max_gap`` days apart, or outside the track's acquisitions, it is NaN; but with
    ``reference_last`` the last target (the reference date) is reached along the line of
    the two nearest valid acquisitions when both lie within ``max_gap`` of it.
    """
    n, p = values.shape
    valid = np.isfinite(values)
    idx = np.arange(n, dtype=np.int32)[:, None]
    prev_valid = np.maximum.accumulate(np.where(valid, idx, -1), axis=0)
    next_valid = np.minimum.accumulate(np.where(valid, idx, n)[::-1], axis=0)[::-1]
    out = np.full((len(targets), p), np.nan)
    first = np.zeros((len(targets), p), dtype=np.int32)
    second = np.zeros((len(targets), p), dtype=np.int32)
    weight = np.zeros((len(targets), p))
    cols = np.arange(p)
    for k, t in enumerate(targets):
        before = int(np.searchsorted(epochs, t, side="right")) - 1
        after = int(np.searchsorted(epochs, t, side="left"))
        if before < 0 or after >= n:
            continue
        i0, i1 = prev_valid[before], next_valid[after]
        ok = (i0 >= 0) & (i1 < n)
        i0c, i1c = np.where(ok, i0, 0), np.where(ok, i1, 0)
        t0, t1 = epochs[i0c], epochs[i1c]
        span = t1 - t0
        ok &= span <= max_gap
        w1 = np.where(span > 0, (t - t0) / np.where(span > 0, span, 1.0), 0.0)
        y0, y1 = values[i0c, cols], values[i1c, cols]
        out[k] = np.where(ok, y0 + w1 * (y1 - y0), np.nan)
        first[k], second[k], weight[k] = i0c, i1c, w1
    if reference_last and len(targets):
        _reference_beyond_per_pixel(epochs, values, targets[-1], max_gap, (prev_valid, next_valid),
                                    (out[-1], first[-1], second[-1], weight[-1]))  # fmt: skip
        for k in np.flatnonzero(targets[:-1] == targets[-1]):  # zero there, by definition
            out[k], first[k], second[k], weight[k] = out[-1], first[-1], second[-1], weight[-1]
    return out, (first, second, weight)


def _reference_beyond_per_pixel(epochs, values, reference, max_gap, neighbours, row):
    """:func:`_reference_beyond` for the pixels whose reference value is still missing,
    vectorised; fills ``row`` (value, i0, i1, w) in place."""
    n, p = values.shape
    prev_valid, next_valid = neighbours
    value, i0, i1, w = row
    first = next_valid[0]
    second = next_valid[np.minimum(first + 1, n - 1), np.arange(p)]
    second = np.where(first + 1 < n, second, n)
    last = prev_valid[-1]
    before_last = prev_valid[np.maximum(last - 1, 0), np.arange(p)]
    before_last = np.where(last >= 1, before_last, -1)
    early = reference < epochs[np.minimum(first, n - 1)]
    a = np.where(early, first, before_last)
    b = np.where(early, second, last)
    todo = np.isnan(value) & (a >= 0) & (b < n) & (a < b)
    if not todo.any():
        return
    ac, bc = np.where(todo, a, 0), np.where(todo, b, 0)
    t0, t1 = epochs[ac], epochs[bc]
    todo &= (np.maximum(np.abs(t0 - reference), np.abs(t1 - reference)) <= max_gap) & (t1 > t0)
    f = np.where(todo, (reference - t0) / np.where(t1 > t0, t1 - t0, 1.0), 0.0)
    cols = np.arange(p)
    value[todo] = (values[ac, cols] + f * (values[bc, cols] - values[ac, cols]))[todo]
    i0[todo], i1[todo], w[todo] = ac[todo], bc[todo], f[todo]


def since_reference(epochs: np.ndarray, values: np.ndarray, targets: np.ndarray, reference: float,
                    max_gap: float) -> tuple:  # fmt: skip
    """Displacement at ``targets`` relative to ``reference`` (days), each interpolated as
    :func:`interpolate` does, and its variance relative to one acquisition's
    (:func:`difference_variance`): an (m, P) array in the precision of ``values`` and an
    array broadcastable to it ((m, 1) when every pixel shares its acquisitions), NaN where
    the displacement is not interpolable.

    Pixels that share their pattern of valid acquisitions share their interpolation
    weights: large groups are gathered with one set (a stack usually has one or two
    patterns: valid everywhere, or masked); the rest go pixel by pixel (vectorised)."""
    n, p = values.shape
    dtype = values.dtype if values.dtype.kind == "f" else np.dtype(np.float64)
    every = np.append(np.asarray(targets, dtype=np.float64), reference)
    groups, rest = large_groups(np.isfinite(values))
    if len(groups) == 1 and isinstance(groups[0][1], slice):  # every pixel valid at every acquisition
        return _group_since_reference(epochs, values, every, max_gap, groups[0][0], dtype)
    disp = np.full((len(targets), p), np.nan, dtype=dtype)
    var = np.full((len(targets), p), np.nan, dtype=dtype)
    for rows, members in groups:
        disp[:, members], var[:, members] = _group_since_reference(epochs, values[:, members], every, max_gap, rows,
                                                                   dtype)  # fmt: skip
    if rest.any():
        interp, (i0, i1, w) = interpolate(epochs, values[:, rest], every, max_gap, reference_last=True)
        shift = interp[:-1] - interp[-1]
        v = difference_variance((i0[:-1], i1[:-1], w[:-1]), (i0[-1], i1[-1], w[-1]))
        v[np.isnan(shift)] = np.nan
        disp[:, rest], var[:, rest] = shift, v
    return disp, var


def _group_since_reference(epochs, y, every, max_gap, valid, dtype):
    """:func:`since_reference` for pixels all valid at ``valid``: one set of weights,
    applied by gathering whole rows; the variance is (m, 1)."""
    m = len(every) - 1
    weights = _pattern_weights(epochs, valid, every, max_gap)
    if weights is None:
        return np.full((m, y.shape[1]), np.nan, dtype=dtype), np.full((m, 1), np.nan, dtype=dtype)
    (i0, i1, w), ok = weights
    ok = ok[:-1] & ok[-1]
    at = y[i0].astype(dtype, copy=False)
    between = np.flatnonzero(w != 0)  # targets on a valid acquisition need one row only
    if between.size:
        f = w[between].astype(dtype)[:, None]
        at[between] += f * (y[i1[between]] - at[between])
    disp = at[:-1]
    disp -= at[-1]
    disp[~ok] = np.nan
    var = difference_variance((i0[:-1], i1[:-1], w[:-1]), (i0[-1], i1[-1], w[-1]))
    return disp, np.where(ok, var, np.nan).astype(dtype)[:, None]


def _pattern_weights(epochs, valid, targets, max_gap):
    """((i0, i1, w), ok) per target for acquisitions valid where ``valid``: the value at a
    target is (1 - w) y[i0] + w y[i1]; None when no acquisition is valid."""
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return None
    e = epochs[idx]
    before = np.searchsorted(e, targets, side="right") - 1
    after = np.searchsorted(e, targets, side="left")
    ok = (before >= 0) & (after < idx.size)
    i0 = idx[np.clip(before, 0, idx.size - 1)]
    i1 = idx[np.clip(after, 0, idx.size - 1)]
    span = epochs[i1] - epochs[i0]
    ok &= span <= max_gap
    w = np.where(span > 0, (targets - epochs[i0]) / np.where(span > 0, span, 1.0), 0.0)
    if not ok[-1] and idx.size >= 2:
        i0[-1], i1[-1], w[-1], ok[-1] = _reference_beyond(epochs, idx[:2], idx[-2:], targets[-1], max_gap)
        on_reference = np.flatnonzero(targets[:-1] == targets[-1])  # zero there, by definition
        i0[on_reference], i1[on_reference], w[on_reference], ok[on_reference] = i0[-1], i1[-1], w[-1], ok[-1]
    return (i0, i1, np.where(ok, w, 0.0)), ok


def _reference_beyond(epochs, first_two, last_two, reference, max_gap):
    """(i0, i1, w, ok) of a reference date before a pixel's first valid acquisition or
    after its last: reached along the line through the two nearest valid acquisitions,
    when both lie within ``max_gap`` days of it (the interpolation's own rule: motion
    close to linear over that span). A gap on the reference date otherwise loses every
    date of the pixel, though the reference value is as well determined as any other."""
    pair = first_two if reference < epochs[first_two[0]] else last_two
    t0, t1 = epochs[pair[0]], epochs[pair[1]]
    ok = bool(max(abs(t0 - reference), abs(t1 - reference)) <= max_gap and t1 > t0)
    w = (reference - t0) / (t1 - t0) if t1 > t0 else 0.0
    return pair[0], pair[1], w if ok else 0.0, ok


def difference_variance(a: tuple, b: tuple) -> np.ndarray:
    """The variance of (value a - value b), two interpolations of the same track (tuples
    (i0, i1, w) of :func:`interpolate`, broadcastable), relative to that of one acquisition,
    acquisitions being independent: zero when a and b are the same combination."""
    terms_a = ((a[0], 1.0 - a[2]), (a[1], a[2]))
    terms_b = ((b[0], 1.0 - b[2]), (b[1], b[2]))
    var = sum(w * w for _, w in terms_a) + sum(w * w for _, w in terms_b)
    for ia, wa in terms_a:
        for ib, wb in terms_b:
            var = var - 2.0 * wa * wb * (ia == ib)
    return var


def displacement_design(epochs: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """(n, m - 1): the years each span from ``dates[0]`` to an acquisition in ``epochs``
    spends in each interval between consecutive output ``dates`` (all in days); an
    acquisition outside [dates[0], dates[-1]] gets a zero row (it is not used)."""
    lo, hi = dates[None, :-1], np.minimum(epochs[:, None], dates[None, 1:])
    overlap = np.clip(hi - lo, 0.0, None) / DAYS_PER_YEAR
    inside = (epochs >= dates[0]) & (epochs <= dates[-1])
    return overlap * inside[:, None]


def displacement_map(dates: np.ndarray, reference_days: float) -> np.ndarray:
    """(m, m - 1): interval velocities to displacements at ``dates`` since
    ``reference_days`` (displacement is linear inside an interval)."""
    steps = np.diff(dates) / DAYS_PER_YEAR
    m = len(dates) - 1
    cumulative = np.tril(np.ones((m + 1, m)), k=-1) * steps[None, :]
    k = min(int(np.searchsorted(dates, reference_days, side="right")) - 1, m - 1)
    f = (reference_days - dates[k]) / (dates[k + 1] - dates[k])
    return cumulative - (cumulative[k] + f * (cumulative[k + 1] - cumulative[k]))[None, :]


#: Bytes of per-pixel normal matrices held at once by method 1.
JOINT_CHUNK_BYTES = 64 << 20


def joint_solve(tracks: list, dates: np.ndarray, reference_days: float, regularization: float,
                with_sigma: bool = False, max_condition: float = DEFAULT_MAX_CONDITION,
                batched: bool = True) -> tuple:  # fmt: skip
    """Method 1 for one block of P pixels: (east, up, sigma east, sigma up), each (m, P)
    at ``dates`` relative to ``reference_days``; the sigmas are None unless asked for
    and every track has one.

    ``tracks``: [(epochs days (n,), values (n, P), s_h, s_up (scalars or (P,)), sigma
    (scalar, (P,) or None))], ``s_h`` the sensitivity to the solved horizontal direction
    (east, or along an azimuth). A pixel is solved only where the tracks with at least two
    valid acquisitions there pass the one geometry guard (``resolvable.LookGuard``), as in
    every other path; elsewhere it is NaN at every date. Each track's increments between its valid acquisitions are
    fitted with their full covariance (consecutive increments share an acquisition), which
    is fitting its acquisitions with one free offset per track: an offset is no motion,
    and an acquisition between gaps still links the increments on both sides. The
    smoothing rows ``regularization (v[k+1] - v[k]) = 0`` weigh as one increment between
    two acquisitions of the pixel's mean variance. ``regularization`` is in years: the
    caller turns the user's dimensionless REGULARIZATION into it once (times the median
    interval between output dates), so that a row is a displacement like an increment; the
    weighting by the increment's variance here is the row's weight, not a second scaling.
    The sigmas propagate the acquisitions' errors through the smoothed estimate (the
    smoothing's own bias is not in them). NaN
    where a pixel has no increment or its system is singular.

    With single-valued geometry and sigmas, pixels sharing their valid acquisitions share
    their normal matrix: it is factored once per large group. The rest (and per-pixel
    geometry or weights) are solved many pixels at once as banded systems
    (``joint_banded``; ``batched=False``: pixel by pixel with dense normal matrices, the
    reference), sigmas included; a pixel whose condition may be at the threshold of the
    per-pixel rule, or whose pivots come near zero, goes pixel by pixel, so that every pixel
    is decided as here.
    """
    p = tracks[0][1].shape[1]
    weighted = with_sigma and all(t[4] is not None for t in tracks)
    keep = joint_resolvable(tracks, dates, max_condition)
    if keep.all():
        return _joint_solve(tracks, dates, reference_days, regularization, weighted, batched)
    out = [np.full((len(dates), p), np.nan) for _ in range(4 if weighted else 2)]
    if keep.any():
        sub = [(e, v[:, keep], _part(se, keep), _part(su, keep), _part(sg, keep)) for e, v, se, su, sg in tracks]
        for a, b in zip(out, _joint_solve(sub, dates, reference_days, regularization, weighted, batched)):
            if b is not None:
                a[:, keep] = b
    return tuple(out) if weighted else (out[0], out[1], None, None)


def joint_resolvable(tracks: list, dates: np.ndarray, max_condition: float = DEFAULT_MAX_CONDITION) -> np.ndarray:
    """(P,) where the tracks with at least two valid acquisitions inside the output span
    resolve horizontal and vertical motion (the one guard)."""
    p = tracks[0][1].shape[1]
    guard = LookGuard((p,), max_condition)
    for epochs, values, s_h, s_up, _ in tracks:
        inside = (epochs >= dates[0]) & (epochs <= dates[-1])
        seen = np.isfinite(np.asarray(s_h, dtype=float) + np.asarray(s_up, dtype=float))  # nodata geometry: absent
        guard.add(s_h, s_up, (np.count_nonzero(np.isfinite(values[inside]), axis=0) >= 2) & seen)
    return guard.resolvable()


def _joint_solve(tracks, dates, reference_days, regularization, weighted, batched=True):
    p = tracks[0][1].shape[1]
    m = len(dates) - 1
    out = [np.full((m + 1, p), np.nan) for _ in range(4 if weighted else 2)]
    rest = np.ones(p, dtype=bool)
    if all(np.ndim(x) == 0 for _, _, *xs in tracks for x in xs if x is not None):
        rest = _joint_shared(tracks, dates, reference_days, regularization, weighted, out)
    left = np.flatnonzero(rest)
    if batched and left.size:  # batched banded systems
        left = _joint_batched(tracks, left, dates, reference_days, regularization, out)
    chunk = max(1, JOINT_CHUNK_BYTES // (8 * 5 * (2 * m + len(tracks)) ** 2))
    for lo in range(0, left.size, chunk):
        part = left[lo : lo + chunk]
        for a, b in zip(out, _joint_solution(_sub(tracks, part), _sub(tracks, part), dates, reference_days,
                                             regularization, weighted)):  # fmt: skip
            a[:, part] = b
    return tuple(out) if weighted else (out[0], out[1], None, None)


def _sub(tracks, part):
    return [(e, v[:, part], _part(se, part), _part(su, part), _part(sg, part)) for e, v, se, su, sg in tracks]


def _joint_batched(tracks, pixels, dates, reference_days, regularization, out):
    """The pixels ``pixels`` solved many at a time (``joint_banded``), into ``out``; the
    pixels handed back (near singular there), for the per-pixel normal matrices."""

    def terms(part):
        return [(e, sub[1], *_joint_terms(sub, dates, part.size)[1:]) for e, sub in
                zip((t[0] for t in tracks), _sub(tracks, part))]  # fmt: skip

    return solve_pixels(terms, pixels, dates, reference_days, regularization, out)


def _joint_shared(tracks, dates, reference_days, regularization, weighted, out):
    """Single-valued geometry and sigmas: the large groups of pixels sharing their valid
    acquisitions, each solved with one normal matrix, into ``out``; the pixels left."""
    groups, rest = large_groups(np.concatenate([np.isfinite(t[1]) for t in tracks]))
    for _, members in groups:
        sub = [(e, v[:, members], se, su, sg) for e, v, se, su, sg in tracks]
        first = [(e, v[:, :1], se, su, sg) for e, v, se, su, sg in sub]
        for a, b in zip(out, _joint_solution(first, sub, dates, reference_days, regularization, weighted)):
            a[:, members] = b
    return rest


def _part(x, part):
    return x[part] if isinstance(x, np.ndarray) and x.ndim == 1 and x.size > 1 else x


def _joint_terms(track, dates, p):
    """One track's time design H (acquisitions x intervals), its usable acquisitions, their
    variances and weights (acquisitions x pixels), and its sensitivities per pixel."""
    epochs, values, s_east, s_up, sigma = track
    H = displacement_design(epochs, dates)
    inside = (epochs >= dates[0]) & (epochs <= dates[-1])
    var = np.broadcast_to(np.square(sigma) if sigma is not None else 1.0, (p,)).astype(float)
    se = np.broadcast_to(np.asarray(s_east, dtype=float), (p,))
    su = np.broadcast_to(np.asarray(s_up, dtype=float), (p,))
    # a pixel where the track's geometry is nodata does without the track, as in invert
    usable = np.isfinite(se + su + var) & (var > 0)
    valid = np.isfinite(values) & inside[:, None] & usable[None, :]
    se, su, var = (np.where(usable, x, fill) for x, fill in ((se, 0.0), (su, 0.0), (var, 1.0)))
    return H, valid, var, valid / var[None, :], se, su


def _joint_normal(tracks, dates, p):
    """The data's normal matrix over (east velocities, up velocities, one offset per
    track), with the increments and the mean variance behind it, per pixel."""
    m = len(dates) - 1
    q = 2 * m + len(tracks)
    E, U = slice(0, m), slice(m, 2 * m)
    normal = np.zeros((p, q, q))
    increments, acquisitions = np.zeros(p, dtype=int), np.zeros(p, dtype=int)
    variance = np.zeros(p)
    for j, track in enumerate(tracks):
        H, valid, var, w, se, su = _joint_terms(track, dates, p)
        hh = np.einsum("ri,rj,rp->pij", H, H, w)
        hw = np.einsum("ri,rp->pi", H, w)
        c = 2 * m + j
        normal[:, E, E] += (se * se)[:, None, None] * hh
        normal[:, E, U] += (se * su)[:, None, None] * hh
        normal[:, U, U] += (su * su)[:, None, None] * hh
        normal[:, E, c] += se[:, None] * hw
        normal[:, U, c] += su[:, None] * hw
        normal[:, c, c] += w.sum(axis=0)
        n = valid.sum(axis=0)
        increments += np.maximum(n - 1, 0)
        acquisitions += n
        variance += n * var
    normal[:, U, E] = np.transpose(normal[:, E, U], (0, 2, 1))
    normal[:, 2 * m :, : 2 * m] = np.transpose(normal[:, : 2 * m, 2 * m :], (0, 2, 1))
    # a track with no valid acquisition at a pixel: its offset is free and unused
    offsets = np.arange(2 * m, q)
    idle = normal[:, offsets, offsets] == 0
    normal[:, offsets, offsets] += idle
    return normal, increments, variance / np.maximum(acquisitions, 1)


def _joint_rhs(tracks, dates, p):
    """The right-hand side G'W y (pixels x unknowns)."""
    m = len(dates) - 1
    rhs = np.zeros((p, 2 * m + len(tracks)))
    for j, track in enumerate(tracks):
        H, valid, _, w, se, su = _joint_terms(track, dates, p)
        y = np.where(valid, track[1], 0.0) * w
        hy = (H.T @ y).T
        rhs[:, :m] += se[:, None] * hy
        rhs[:, m : 2 * m] += su[:, None] * hy
        rhs[:, 2 * m + j] = y.sum(axis=0)
    return rhs


def _joint_solution(normal_tracks, tracks, dates, reference_days, regularization, weighted):
    """(east, up[, sigma east, sigma up]) of the pixels of ``tracks``, each (m, P), from
    the normal matrices of ``normal_tracks``: one per pixel, or one shared by all."""
    m = len(dates) - 1
    p = tracks[0][1].shape[1]
    normal, increments, mean_var = _joint_normal(normal_tracks, dates, normal_tracks[0][1].shape[1])
    rhs = _joint_rhs(tracks, dates, p)
    data = normal.copy() if weighted else None
    if m > 1 and regularization > 0:
        D = np.diff(np.eye(m), axis=0)
        R = regularization**2 * (D.T @ D)
        scale = (1.0 / (2.0 * np.where(mean_var > 0, mean_var, 1.0)))[:, None, None]
        normal[:, :m, :m] += scale * R
        normal[:, m : 2 * m, m : 2 * m] += scale * R
    ok = increments > 0
    ok[ok] = np.linalg.cond(normal[ok]) < MAX_CONDITION
    shared = len(normal) == 1  # one normal matrix for every pixel
    solved = np.broadcast_to(ok, (p,))
    L = displacement_map(dates, reference_days)
    results = [np.full((m + 1, p), np.nan) for _ in range(4 if weighted else 2)]
    if not ok.any():
        return results
    if shared or weighted:
        inverse = np.linalg.inv(normal[ok])
        x = rhs @ inverse[0].T if shared else np.einsum("pij,pj->pi", inverse, rhs[ok])
    else:
        x = np.linalg.solve(normal[ok], rhs[ok][..., None])[..., 0]
    results[0][:, solved] = L @ x[:, :m].T
    results[1][:, solved] = L @ x[:, m : 2 * m].T
    if weighted:
        cov = inverse @ data[ok] @ inverse
        for k, block in ((2, slice(0, m)), (3, slice(m, 2 * m))):
            var = np.maximum(np.einsum("ki,pij,kj->kp", L, cov[:, block, block], L), 0.0)
            results[k][:, solved] = np.sqrt(var)
    return results
