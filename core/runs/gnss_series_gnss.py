"""The GNSS side of ``losdecomp:compare_timeseries_to_gnss``: each station's daily positions
with the equipment-step offsets estimated (beside the earthquake jumps, which stay) and
removed, projected on the stack's direction and averaged at the acquisition days; and the
note on the stations moving north beside an east or up stack."""

import datetime
import types
from typing import Optional, Sequence

import numpy as np

from ..conventions import units
from ..conventions.errors import StationError
from ..io.gnss_series import Series
from ..io.gnss_steps import Steps
from ..solve import gnss_series as gs
from .gnss_run import NAMES_SHOWN

LOS, EAST, UP = 0, 1, 2
COMPONENT_NAMES = {LOS: "line of sight", EAST: "east", UP: "up"}
#: A station moving north faster than this (mm/year) is named beside an east or up stack.
NORTH_NOTE_MM_PER_YEAR = 1.0
#: The step fit uses the GNSS days within this many days of the InSAR span (+/- AVERAGE_DAYS).
FIT_MARGIN_DAYS = 365


def shown(names: list) -> str:
    """At most NAMES_SHOWN names, and how many more."""
    more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return ", ".join(names[:NAMES_SHOWN]) + more


def unit_factor(series: Series, stack_unit: str) -> float:
    """The factor from the series' unit to the stack's (1 when either is unknown)."""
    f = units.factor(series.unit, stack_unit) if series.unit and stack_unit else None
    if series.unit and stack_unit and f is None:
        raise StationError(f"GNSS {series.source}: its unit {series.unit} cannot be converted to {stack_unit}")
    return 1.0 if f is None else f


def day_numbers(dates: Sequence[datetime.date]) -> np.ndarray:
    """Calendar days as integers (days since 1970-01-01)."""
    return np.array(list(dates), dtype="datetime64[D]").astype(np.int64)


def clean_enu(series: Series, step_dates: Sequence[datetime.date] = (), jump_dates: Sequence[datetime.date] = (),
              window: Optional[tuple] = None) -> tuple:  # fmt: skip
    """(positions (n, 3) with the equipment offsets removed, gs.StepFit): the fit of
    gs.fit_steps over the days within ``window`` (first, last day number; None: all)."""
    days = series.dates.astype(np.int64)
    return gs.fit_steps(days, series.enu, day_numbers(step_dates), day_numbers(jump_dates), window)


def station_los_series(series: Series, s: Sequence[float], sign: float = 1.0, to_unit: str = "",
                       step_dates: Sequence[datetime.date] = (), jump_dates: Sequence[datetime.date] = (),
                       window: Optional[tuple] = None) -> tuple:  # fmt: skip
    """One station's daily positions along the unit vector ``s`` (times ``sign``): (dates as
    datetime64[D], values, propagated sigma sqrt(s' C s)) in ``to_unit`` ('' = as read),
    equipment-step offsets at ``step_dates`` estimated (with the earthquake jumps at
    ``jump_dates``, which stay) and removed first. The one function that puts a GNSS series
    in a line of sight (the inspector dock may reuse it)."""
    enu, _ = clean_enu(series, step_dates, jump_dates, window)
    f = unit_factor(series, to_unit)
    values, sigma = gs.los_series(enu * f, series.sigma * f, series.corr, s, sign)
    return series.dates, values, sigma


def _vector(stack, s, i):
    if stack.geometry is None:
        return (1.0, 0.0, 0.0) if stack.component == EAST else (0.0, 0.0, 1.0)
    return (s[0][i], s[1][i], s[2][i])


def _day(d: int) -> str:
    return str(np.datetime64(int(d), "D"))


def _describe(site: str, fit: gs.StepFit, notes: dict) -> None:
    """What the fit of one station did, into notes[kind] (removed / merged / kept / failed)."""
    if fit.not_estimated:
        notes["failed"].append(f"{site} ({', '.join(_day(d) for d in fit.not_estimated)})")
    for g in fit.groups:
        if len(g.days) > 1:
            key = "merged" if g.removed else "kept"
            notes[key].append(f"{site} ({', '.join(_day(d) for d in g.days)})")
    n = len(fit.removed)
    if n:
        notes["removed"].append(f"{site} ({n})")


def _step_lines(notes: dict) -> tuple:
    """(log lines, warnings) of what the step fits did at every station."""
    log = [f"equipment-step offsets estimated (trend + annual terms + earthquake jumps, GNSS days within "
           f"{FIT_MARGIN_DAYS} days of the InSAR span) and removed at {len(notes['removed'])} station(s): "
           f"{shown(notes['removed']) or 'none inside the fitted days'}"]  # fmt: skip
    if notes["merged"]:
        log.append(f"equipment steps with no GNSS day between them, estimated as one offset: {shown(notes['merged'])}")
    warnings = []
    if notes["kept"]:
        warnings.append(f"equipment steps with no GNSS day between them and an earthquake jump cannot be told "
                        f"apart: not removed (kept as ground motion) at {shown(notes['kept'])}")  # fmt: skip
    if notes["failed"]:
        warnings.append(f"equipment steps not removed (too few GNSS days to estimate them): {shown(notes['failed'])}")
    return log, warnings


def gnss_at_acquisitions(series: list, stack: types.SimpleNamespace, s: Optional[tuple], inside: np.ndarray,
                         average_days: int, steps: Optional[Steps]) -> types.SimpleNamespace:  # fmt: skip
    """gnss (stations, dates) and its propagated sigma: each station's positions, equipment
    steps removed, projected and averaged over each acquisition day +/- n days; the north
    rate of the cleaned positions over the fitted days (the stack's unit per year), the log
    lines and warnings."""
    targets = day_numbers(stack.dates)
    margin = FIT_MARGIN_DAYS + average_days
    window = (int(targets[0]) - margin, int(targets[-1]) + margin)
    out = types.SimpleNamespace(gnss=np.full((len(series), len(targets)), np.nan), log=[], warnings=[])
    out.sigma, out.north_rate = np.full_like(out.gnss, np.nan), np.full(len(series), np.nan)
    notes = {k: [] for k in ("removed", "merged", "kept", "failed")}
    for i, st in enumerate(series):
        vector = _vector(stack, s, i)
        if not inside[i] or not all(np.isfinite(vector)):
            continue
        equipment = steps.equipment(st.site) if steps is not None else []
        quakes = steps.earthquakes(st.site) if steps is not None else []
        enu, fit = clean_enu(st, equipment, quakes, window)
        _describe(st.site, fit, notes)
        f = unit_factor(st, stack.unit)
        values, sig = gs.los_series(enu * f, st.sigma * f, st.corr, vector, stack.sign)
        days = st.dates.astype(np.int64)
        out.gnss[i], out.sigma[i], _ = gs.average_at(days, values, sig, targets, average_days)
        near = (days >= window[0]) & (days <= window[1])
        out.north_rate[i] = gs.rate(days[near], enu[near, 1] * f)
    if steps is not None:
        out.log, out.warnings = _step_lines(notes)
    return out


def north_note(series: list, compared: list, north_rate: np.ndarray, stack: types.SimpleNamespace) -> list:
    """Beside an east or up stack: the stations whose GNSS (steps removed) moves north (the
    decomposition assumed north = 0, so that motion leaks into its east and up)."""
    mm = units.factor("mm", stack.unit) if stack.unit else None
    limit = NORTH_NOTE_MM_PER_YEAR * (mm or 0.001)
    moving = [f"{series[i].site} ({north_rate[i]:+.3g} {stack.unit or '(unit)'}/year)" for i in compared
              if np.isfinite(north_rate[i]) and abs(north_rate[i]) > limit]  # fmt: skip
    if not moving:
        return []
    return [f"GNSS north motion at {len(moving)} station(s): {shown(moving)}; the {COMPONENT_NAMES[stack.component]} "
            "stack assumed north = 0 (unless a north velocity was given to its decomposition), so part of that "
            "motion appears in it and in these residuals"]  # fmt: skip
