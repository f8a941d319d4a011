"""Velocity over a window of a displacement time series, per pixel (DESIGN.md section 3b).

Least squares on the acquisitions inside the window with columns 1, t (years of 365.25
days from the window's first acquisition), optionally sin/cos(2 pi t) (annual),
sin/cos(4 pi t) (semi-annual), and a Heaviside step per step date (an offset from that
date on). Each pixel uses its own valid epochs; fewer than (parameters + 2) gives nodata.
The velocity's sigma is the formal ``sqrt(s^2 (A'A)^-1)_vv`` with ``s^2 = RSS / (n - p)``.
"""

import datetime
from typing import Optional

import numpy as np

from . import dates
from .patterns import large_groups

LINEAR, ANNUAL, SEMIANNUAL = 0, 1, 2
MODEL_NAMES = {LINEAR: "linear", ANNUAL: "linear + annual", SEMIANNUAL: "linear + annual + semi-annual"}
VELOCITY_COLUMN = 1


class TimeSeriesError(ValueError):
    """A time series or a window that cannot give a velocity; names the problem."""


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
    for step in steps:
        if not (used[0] < step <= used[-1]):
            raise TimeSeriesError(
                f"the step date {step} is not inside the window's acquisitions ({used[0]} to {used[-1]}): "
                "an offset needs acquisitions before and after it"
            )
    return inside


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


def fit(y: np.ndarray, A: np.ndarray) -> tuple:
    """Per-pixel least squares of ``y`` (epochs x pixels, NaN = missing) on ``A``:
    (velocity, sigma, epochs used), NaN where fewer than p + 2 epochs are valid.

    Pixels that share their pattern of valid epochs share their normal matrix: large groups
    are solved with one factorisation each; the rest pixel by pixel (vectorised)."""
    valid = np.isfinite(y)
    velocity = np.full(y.shape[1], np.nan, dtype=np.float32)
    sigma = np.full(y.shape[1], np.nan, dtype=np.float32)
    if y.shape[1] == 0:
        return velocity, sigma, np.zeros(0, dtype=int)
    groups, rest = large_groups(valid, FIT_GROUP_PIXELS)
    whole = len(groups) == 1 and not rest.any() and groups[0][0].all()
    count = np.full(y.shape[1], y.shape[0]) if whole else valid.sum(axis=0)
    for rows, members in groups:
        if rows.any():  # else no valid epoch: nodata
            data = y[:, members] if rows.all() else y[np.ix_(rows, members)]
            velocity[members], sigma[members] = _fit_pattern(data, A[rows])
    if rest.any():
        velocity[rest], sigma[rest], _ = _fit_per_pixel(y[:, rest], A)
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


def _fit_per_pixel(y: np.ndarray, A: np.ndarray) -> tuple:
    """Each pixel its own normal matrix (its own valid epochs), in cache-sized chunks."""
    velocity = np.full(y.shape[1], np.nan, dtype=np.float32)
    sigma = np.full(y.shape[1], np.nan, dtype=np.float32)
    count = np.isfinite(y).sum(axis=0)
    for k in range(0, y.shape[1], _CHUNK):
        velocity[k : k + _CHUNK], sigma[k : k + _CHUNK] = _fit_each(y[:, k : k + _CHUNK], A)
    return velocity, sigma, count


def _fit_each(y: np.ndarray, A: np.ndarray) -> tuple:
    """Each pixel its own normal matrix, all built by two matrix products: the products of
    pairs of columns of A times the validity, and A' times the zero-filled data."""
    n, p = A.shape
    valid = np.isfinite(y)
    w = valid.astype(np.float64)
    y0 = np.where(valid, y, 0.0).astype(np.float64)
    count = valid.sum(axis=0)
    pairs = (A[:, :, None] * A[:, None, :]).reshape(n, p * p)
    normal = (pairs.T @ w).T.reshape(-1, p, p)
    rhs = (A.T @ y0).T
    yy = np.einsum("ij,ij->j", y0, y0)
    velocity = np.full(y.shape[1], np.nan)
    sigma = np.full(y.shape[1], np.nan)
    ok = np.flatnonzero(count >= p + 2)
    if ok.size:
        inverse, cond = _inverse_and_condition(normal[ok])
        keep = np.isfinite(cond) & (cond < 1e12)
        good, inverse = ok[keep], inverse[keep]
        m = np.einsum("kij,kj->ki", inverse, rhs[good])
        # the residual sum of squares from the normal equations, as in _fit_pattern
        rss = yy[good] - np.einsum("ki,ki->k", m, rhs[good])
        velocity[good] = m[:, VELOCITY_COLUMN]
        sigma[good] = np.sqrt(np.maximum(rss, 0.0) / (count[good] - p) * inverse[:, VELOCITY_COLUMN, VELOCITY_COLUMN])
    return velocity, sigma


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
