"""Velocity over a window of a displacement time series, per pixel (DESIGN.md section 3b).

Least squares on the acquisitions inside the window with columns 1, t (years of 365.25
days from the window's first acquisition), optionally sin/cos(2 pi t) (annual),
sin/cos(4 pi t) (semi-annual), and a Heaviside step per step date (an offset from that
date on). Each pixel uses its own valid epochs; a step those do not constrain is dropped
at that pixel (:func:`step_rule`); fewer than (parameters left + 2) epochs gives nodata.
The velocity's sigma is a fit sigma (core/uncertainty.py): ``sqrt(s^2 (A'A)^-1)_vv`` with
``s^2 = RSS / (n - p)``, the residuals assumed independent.
"""

import datetime
from typing import Optional, Sequence

import numpy as np

from ..conventions import dates
from ..conventions.errors import TimeSeriesError  # noqa: F401 (re-exported: raised here)
from .patterns import large_groups

LINEAR, ANNUAL, SEMIANNUAL = 0, 1, 2
MODEL_NAMES = {LINEAR: "linear", ANNUAL: "linear + annual", SEMIANNUAL: "linear + annual + semi-annual"}
VELOCITY_COLUMN = 1



def parse_date(text: str, label: str) -> Optional[datetime.date]:
    """A ``YYYY-MM-DD`` (or ``YYYYMMDD``) date, None when empty; TimeSeriesError otherwise."""
    if text is None or not str(text).strip():
        return None
    date = dates.parse(str(text))
    if date is None:
        raise TimeSeriesError(f"{label}: '{text}' is not a date (YYYY-MM-DD)")
    return date


def parse_dates(text: str, label: str) -> list:
    """Comma-separated dates, sorted."""
    return sorted(parse_date(t, label) for t in (text or "").split(",") if t.strip())


def window(epochs: list, start: Optional[datetime.date], end: Optional[datetime.date], steps: list,
           model: int) -> list:  # fmt: skip
    """Indices of ``epochs`` (sorted dates) inside [start, end], after checking the window,
    the steps and that enough epochs remain for the model."""
    if len(epochs) < 2:
        raise TimeSeriesError("the time series has fewer than two dated acquisitions")
    twice = dates.repeated(epochs)
    if twice:
        raise TimeSeriesError(f"the time series has the same date twice: {', '.join(map(str, twice))}")
    if start and end and start > end:
        raise TimeSeriesError(f"the start date {start} is after the end date {end}")
    inside = [i for i, d in enumerate(epochs) if (start is None or d >= start) and (end is None or d <= end)]
    used = [epochs[i] for i in inside]
    p = n_parameters(model, len(steps))
    if len(inside) < p + 2:
        raise TimeSeriesError(
            f"the window holds {len(inside)} acquisitions; the {MODEL_NAMES[model]} model with {len(steps)} "
            f"step(s) needs at least {p + 2}"
        )
    _check_steps(used, steps)
    return inside


def _check_steps(used: list, steps: list) -> None:
    """Steps the fit can separate, on the window's acquisitions ``used``: each date once and
    at least 2 acquisitions on each side of each step, up to the next step. With fewer, a
    step would be dropped at every pixel (:func:`step_rule`); with none between two steps
    their columns would be the same and the fit singular everywhere."""
    twice = dates.repeated(steps)
    if twice:
        raise TimeSeriesError(f"the step date {', '.join(map(str, twice))} is given twice")
    for step in steps:
        if not (used[0] < step <= used[-1]):
            raise TimeSeriesError(
                f"the step date {step} is not inside the window's acquisitions ({used[0]} to {used[-1]}): "
                "an offset needs acquisitions before and after it"
            )
    edges = [None] + sorted(steps) + [None]
    for a, b in zip(edges, edges[1:]):
        between = [d for d in used if (a is None or d >= a) and (b is None or d < b)]
        if len(between) >= 2:
            continue
        if a is None:
            what = f"the step date {b} has only 1 acquisition of the window before it ({between[0]})"
        elif b is None:
            what = f"the step date {a} has only 1 acquisition of the window from it on ({between[0]})"
        elif between:
            what = f"the step dates {a} and {b} have only 1 acquisition between them ({between[0]})"
        else:
            what = f"the step dates {a} and {b} have no acquisition between them"
        raise TimeSeriesError(
            f"{what}: a step needs at least 2 acquisitions on each side, up to the next step, to be told from "
            "the offset and the velocity"
        )


def repeat_days(epochs: list) -> float:
    """The median interval between consecutive acquisitions, in days (the repeat cycle)."""
    gaps = [(b - a).days for a, b in zip(epochs, epochs[1:])]
    return float(np.median(gaps)) if gaps else 0.0


def window_mismatch(windows: list) -> Optional[str]:
    """A warning when the velocity windows of the tracks ``windows`` ((name, (first, last,
    repeat days))) start or end more than one repeat cycle apart (the longest of theirs;
    12 days when unknown), else None."""
    if len(windows) < 2:
        return None
    cycle = max((w[2] or 12.0) for _, w in windows)
    starts, ends = [w[0] for _, w in windows], [w[1] for _, w in windows]
    off = max((max(starts) - min(starts)).days, (max(ends) - min(ends)).days)
    if off <= cycle:
        return None
    shown = "; ".join(f"{name} {w[0]} to {w[1]}" for name, w in windows)
    return (
        f"the tracks' velocities cover different periods ({shown}): they differ by {off} days, more than one "
        f"repeat cycle ({cycle:g} days); cut them to the same window (losdecomp:velocity START_DATE/END_DATE) "
        "unless the motion is steady"
    )


def n_parameters(model: int, n_steps: int) -> int:
    if model not in MODEL_NAMES:
        raise TimeSeriesError(f"unknown model {model}: 0 linear, 1 + annual, 2 + semi-annual")
    return 2 + 2 * model + n_steps


def design_matrix(epochs: list, model: int, steps: list) -> np.ndarray:
    """A (n epochs x parameters), time in years from the first epoch; column 1 is the velocity."""
    t0 = epochs[0]
    t = np.array([dates.years_between(t0, d) for d in epochs])
    columns = [np.ones_like(t), t]
    for k in range(1, model + 1):
        columns += [np.sin(2 * np.pi * k * t), np.cos(2 * np.pi * k * t)]
    columns += [(np.array(epochs) >= step).astype(float) for step in steps]
    return np.column_stack(columns)


#: Pixels a pattern of valid epochs needs to be fitted as a group: below this, building
#: every pixel's own normal matrix by matrix products costs less than a group's overhead.
FIT_GROUP_PIXELS = 1024


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


def _step_starts(A: np.ndarray, n_steps: int) -> list:
    """The first epoch of each of the last ``n_steps`` columns of ``A`` (Heaviside steps)."""
    starts = []
    for column in A.T[A.shape[1] - n_steps :]:
        on = column > 0.5
        if np.any(on[:-1] > on[1:]) or not np.all((column == 0) | (column == 1)):
            raise ValueError("the last n_steps columns of the design matrix are not steps over sorted epochs")
        starts.append(int(np.argmax(on)) if on.any() else len(on))
    return starts


def fit(y: np.ndarray, A: np.ndarray, n_steps: int = 0, dropped: Optional[np.ndarray] = None) -> tuple:
    """Per-pixel least squares of ``y`` (epochs x pixels, NaN = missing) on ``A``:
    (velocity, sigma, epochs used), NaN where fewer than p + 2 epochs are used.

    The last ``n_steps`` columns of ``A`` are steps: :func:`step_rule` drops, pixel by pixel,
    those its data do not constrain, and the velocity is fitted with the columns left;
    ``dropped`` (one count per step), when given, gains the pixels with a velocity where
    each step was dropped. Pixels that share their pattern of valid epochs share their
    normal matrix (and their steps): large groups are solved with one factorisation each;
    the rest pixel by pixel (vectorised)."""
    velocity = np.full(y.shape[1], np.nan, dtype=np.float32)
    sigma = np.full(y.shape[1], np.nan, dtype=np.float32)
    count = np.zeros(y.shape[1], dtype=int)
    if y.shape[1] == 0:
        return velocity, sigma, count
    starts, base = _step_starts(A, n_steps), A.shape[1] - n_steps
    groups, rest = large_groups(np.isfinite(y), FIT_GROUP_PIXELS)
    for rows, members in groups:
        used, kept = (a[:, 0] for a in step_rule(rows[:, None], starts))
        count[members] = np.count_nonzero(used)
        if used.any():  # else no valid epoch: nodata
            columns = np.concatenate([np.arange(base), base + np.flatnonzero(kept)])
            data = y[:, members] if used.all() else y[np.ix_(used, members)]
            velocity[members], sigma[members] = _fit_pattern(data, A[np.ix_(used, columns)])
            if dropped is not None:
                dropped += ~kept * np.count_nonzero(np.isfinite(velocity[members]))
    if rest.any():
        velocity[rest], sigma[rest], count[rest] = _fit_per_pixel(y[:, rest], A, starts, dropped)
    return velocity, sigma, count


def _fit_pattern(y, A):
    """Every pixel valid at the same epochs: one normal matrix. Pixels are taken in chunks
    that stay in the CPU cache.

    The residual sum of squares is ``y'y - m'A'y`` (no residual matrix: forming it cost
    twice the fit). Its cancellation error is about 1e-14 y'y in float64, below the
    rounding of the float32 input itself, and it is floored at zero."""
    n, p = A.shape
    velocity = np.full(y.shape[1], np.nan, dtype=np.float32)
    sigma = np.full(y.shape[1], np.nan, dtype=np.float32)
    if n < p + 2:
        return velocity, sigma
    normal = A.T @ A
    if not np.linalg.cond(normal) < 1e12:
        return velocity, sigma
    inverse = np.linalg.inv(normal)
    for k in range(0, y.shape[1], _CHUNK):
        chunk = y[:, k : k + _CHUNK].astype(np.float64)
        b = A.T @ chunk
        m = inverse @ b
        rss = np.einsum("ij,ij->j", chunk, chunk) - np.einsum("ij,ij->j", m, b)
        velocity[k : k + _CHUNK] = m[VELOCITY_COLUMN]
        sigma[k : k + _CHUNK] = np.sqrt(np.maximum(rss, 0.0) / (n - p) * inverse[VELOCITY_COLUMN, VELOCITY_COLUMN])
    return velocity, sigma


#: Pixels per chunk of a pattern fit: 100 epochs of float64 in about 12 MB.
_CHUNK = 16384


def _fit_per_pixel(y: np.ndarray, A: np.ndarray, starts: Sequence[int] = (),
                   dropped: Optional[np.ndarray] = None) -> tuple:  # fmt: skip
    """Each pixel its own normal matrix (its own valid epochs and steps, the last
    ``len(starts)`` columns of A), in cache-sized chunks: (velocity, sigma, epochs used)."""
    velocity = np.full(y.shape[1], np.nan, dtype=np.float32)
    sigma = np.full(y.shape[1], np.nan, dtype=np.float32)
    count = np.zeros(y.shape[1], dtype=int)
    for k in range(0, y.shape[1], _CHUNK):
        part = slice(k, k + _CHUNK)
        velocity[part], sigma[part], count[part] = _fit_each(y[:, part], A, starts, dropped)
    return velocity, sigma, count


def _fit_each(y: np.ndarray, A: np.ndarray, starts: Sequence[int], dropped: Optional[np.ndarray]) -> tuple:
    """Each pixel its own normal matrix, all built by two matrix products: the products of
    pairs of columns of A times the epochs used, and A' times the data zero-filled where
    not used (those zeros meet a zero weight: they never enter a sum)."""
    n, p = A.shape
    used, kept = step_rule(np.isfinite(y), starts)
    y0 = np.where(used, y, 0.0).astype(np.float64)
    count = used.sum(axis=0)
    pairs = (A[:, :, None] * A[:, None, :]).reshape(n, p * p)
    normal = (pairs.T @ used.astype(np.float64)).T.reshape(-1, p, p)
    rhs = (A.T @ y0).T
    yy = np.einsum("ij,ij->j", y0, y0)
    n_params = np.full(y.shape[1], p)
    if not kept.all():
        normal, rhs, n_params = _without_dropped(normal, rhs, kept)
    velocity = np.full(y.shape[1], np.nan)
    sigma = np.full(y.shape[1], np.nan)
    ok = np.flatnonzero(count >= n_params + 2)
    if ok.size:
        inverse, cond = _inverse_and_condition(normal[ok])
        keep = np.isfinite(cond) & (cond < 1e12)
        good, inverse = ok[keep], inverse[keep]
        m = np.einsum("kij,kj->ki", inverse, rhs[good])
        # the residual sum of squares from the normal equations, as in _fit_pattern
        rss = yy[good] - np.einsum("ki,ki->k", m, rhs[good])
        velocity[good] = m[:, VELOCITY_COLUMN]
        sigma[good] = np.sqrt(
            np.maximum(rss, 0.0) / (count[good] - n_params[good]) * inverse[:, VELOCITY_COLUMN, VELOCITY_COLUMN]
        )
    if dropped is not None:
        dropped += np.count_nonzero(~kept & np.isfinite(velocity), axis=1)
    return velocity, sigma, count


def _without_dropped(normal: np.ndarray, rhs: np.ndarray, kept: np.ndarray) -> tuple:
    """Normal matrices (k, p, p) and right-hand sides (k, p) with each pixel's dropped
    steps (``kept`` is steps x k, the last columns) taken out: row and column zeroed, the
    diagonal set to the mean of the kept diagonal, and the right-hand side zeroed. The
    solution is then the reduced system's, with 0 for the dropped terms; the inverse is
    block-diagonal, and the condition number is the reduced matrix's (a diagonal entry of
    a symmetric matrix lies between its extreme eigenvalues, and so does their mean).
    Also returns the parameters left per pixel."""
    p = normal.shape[1]
    keep = np.ones(rhs.shape, dtype=bool)
    keep[:, p - len(kept) :] = kept.T
    normal = np.where(keep[:, :, None] & keep[:, None, :], normal, 0.0)
    n_params = keep.sum(axis=1)
    fill = np.einsum("kii->k", normal) / n_params
    diagonal = np.arange(p)
    normal[:, diagonal, diagonal] += np.where(keep, 0.0, fill[:, None])
    return normal, np.where(keep, rhs, 0.0), n_params


def _inverse_and_condition(normal: np.ndarray) -> tuple:
    """Inverses and 2-norm condition numbers of symmetric positive (semi-)definite
    matrices (k, p, p): in closed form for 2 x 2 (the linear model: LAPACK's per-matrix
    overhead cost three times the rest of the fit), by LAPACK otherwise."""
    if normal.shape[1:] != (2, 2):
        cond = np.linalg.cond(normal) if len(normal) else np.zeros(0)
        ok = np.isfinite(cond) & (cond < 1e12)
        inverse = np.full_like(normal, np.nan)
        inverse[ok] = np.linalg.inv(normal[ok])
        return inverse, cond
    a, b, c = normal[:, 0, 0], normal[:, 0, 1], normal[:, 1, 1]
    det = a * c - b * b
    half = 0.5 * (a + c)
    root = np.sqrt(np.maximum(half * half - det, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(det > 0, (half + root) / (half - root), np.inf)
        inverse = np.stack([np.stack([c, -b], axis=-1), np.stack([-b, a], axis=-1)], axis=-2) / det[:, None, None]
    return inverse, cond
