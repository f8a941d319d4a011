"""Velocity over a window of a displacement time series, per pixel (DESIGN.md section 3b).

Least squares on the acquisitions inside the window with columns 1, t (years of 365.25
days from the window's first acquisition), optionally cos/sin(2 pi t) (annual),
cos/sin(4 pi t) (semi-annual), and a Heaviside step per step date (an offset from that
date on): the time functions' design (time_functions.design) with degree 1, solved by
their one batched solve (batch_lsq.fit_terms). Each pixel uses its own valid epochs; a
step those do not constrain is dropped at that pixel (:func:`step_rule`); fewer than
(parameters left + 2) epochs gives nodata.
The velocity's sigma is a fit sigma (core/uncertainty.py): ``sqrt(s^2 (A'A)^-1)_vv`` with
``s^2 = RSS / (n - p)``, the residuals assumed independent.
"""

import datetime
from typing import Optional, Sequence

import numpy as np

from ..conventions import dates
from ..conventions.errors import TimeSeriesError  # noqa: F401 (re-exported: raised here)
from . import time_functions
from .batch_lsq import Terms, fit_terms, inverse_and_condition, step_rule  # noqa: F401 (step_rule: re-exported)
from .time_functions import check_steps, parse_date, parse_dates  # noqa: F401 (re-exported)

LINEAR, ANNUAL, SEMIANNUAL = 0, 1, 2
MODEL_NAMES = {LINEAR: "linear", ANNUAL: "linear + annual", SEMIANNUAL: "linear + annual + semi-annual"}
VELOCITY_COLUMN = 1


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
    check_steps(used, steps)
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
    """A (n epochs x parameters), time in years from the first epoch; column 1 is the velocity:
    time_functions.design with degree 1, the model's periods and the steps."""
    return time_functions.design(epochs, time_functions.velocity_model(model, steps), epochs[0])


#: Pixels a pattern of valid epochs needs to be fitted as a group: below this, building
#: every pixel's own normal matrix by matrix products costs less than a group's overhead.
FIT_GROUP_PIXELS = 1024


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

    The one solve of the time functions (batch_lsq.fit_terms, formal sigma). The last
    ``n_steps`` columns of ``A`` are steps: :func:`step_rule` drops, pixel by pixel, those
    its data do not constrain, and the velocity is fitted with the columns left;
    ``dropped`` (one count per step), when given, gains the pixels with a velocity where
    each step was dropped. Pixels that share their pattern of valid epochs (at least
    :data:`FIT_GROUP_PIXELS`) share their normal matrix; the rest pixel by pixel."""
    return _fit(y, A, _step_starts(A, n_steps), dropped, FIT_GROUP_PIXELS)


def _fit(y, A, starts, dropped, group_pixels):
    base = A.shape[1] - len(starts)
    terms = Terms(steps=[(base + k, s) for k, s in enumerate(starts)])
    result = fit_terms(y, A, terms, group_pixels=group_pixels, keep_used=False)
    velocity = result.params[VELOCITY_COLUMN].astype(np.float32)
    if dropped is not None:
        dropped += np.count_nonzero(~result.kept[base:] & np.isfinite(velocity), axis=1)
    return velocity, result.sigma[VELOCITY_COLUMN].astype(np.float32), result.count


def _fit_per_pixel(y: np.ndarray, A: np.ndarray, starts: Sequence[int] = (),
                   dropped: Optional[np.ndarray] = None) -> tuple:  # fmt: skip
    """Each pixel its own normal matrix (no groups): (velocity, sigma, epochs used)."""
    return _fit(y, A, list(starts), dropped, np.iinfo(np.int64).max)


_inverse_and_condition = inverse_and_condition
