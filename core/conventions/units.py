"""Velocity and displacement units: parsing, and the factor that converts one into another."""

import re
from typing import Optional

_LENGTHS = {"m": 1.0, "meter": 1.0, "metre": 1.0, "meters": 1.0, "metres": 1.0, "cm": 0.01, "mm": 0.001}
_TIMES = {
    "year": 365.25, "years": 365.25, "yr": 365.25, "y": 365.25, "a": 365.25,
    "day": 1.0, "days": 1.0, "d": 1.0,
}  # fmt: skip


def parse(unit: str) -> Optional[tuple]:
    """(metres per length unit, days per time unit or None) of a unit string, or None
    when it is not a length or length-per-time unit (e.g. empty, radians)."""
    if not unit:
        return None
    text = unit.strip().lower().replace(" ", "")
    text = re.sub(r"(\*\*-1|\^-1|-1)$", "", text)
    m = re.fullmatch(r"([a-z]+)(?:/|per)?([a-z]+)?", text)
    if not m:
        return None
    length, time = m.group(1), m.group(2)
    if length not in _LENGTHS:
        return None
    if time is None:
        return (_LENGTHS[length], None)
    if time not in _TIMES:
        return None
    return (_LENGTHS[length], _TIMES[time])


def normalise(unit: str) -> str:
    """A canonical spelling (``mm/year``, ``m/day``, ``m``) or the input unchanged."""
    parsed = parse(unit)
    if parsed is None:
        return unit or ""
    names = {1.0: "m", 0.01: "cm", 0.001: "mm"}
    length = names[parsed[0]]
    if parsed[1] is None:
        return length
    return f"{length}/{'year' if parsed[1] == 365.25 else 'day'}"


def factor(from_unit: str, to_unit: str) -> Optional[float]:
    """Multiply values in ``from_unit`` by this to get ``to_unit``; None when the two are
    unknown or incompatible (a velocity and a displacement)."""
    a, b = parse(from_unit), parse(to_unit)
    if a is None or b is None or (a[1] is None) != (b[1] is None):
        return None
    f = a[0] / b[0]
    if a[1] is not None:
        f *= b[1] / a[1]
    return f


def per_year(unit: str) -> str:
    """The rate of a displacement unit (``mm`` -> ``mm/year``); a rate or an unknown unit
    unchanged: a known north velocity beside displacement time series is a rate."""
    parsed = parse(unit)
    return f"{normalise(unit)}/year" if parsed is not None and parsed[1] is None else (unit or "")
