"""Acquisition dates of time-series bands: parsed as calendar days (any time of day is
dropped) and turned into decimal years of 365.25 days."""

import datetime
import re
from typing import Optional

_PATTERNS = (
    re.compile(r"^D?(\d{4})(\d{2})(\d{2})(?:[T_ ]?\d{2}:?\d{2}(?::?\d{2}(?:\.\d+)?)?Z?)?$"),
    re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$"),
)
DAYS_PER_YEAR = 365.25


def parse(text: str) -> Optional[datetime.date]:
    """A date from ``YYYYMMDD``, ``DYYYYMMDD`` or ``YYYY-MM-DD`` (a time of day after it is
    ignored); None when the text is not a date."""
    text = (text or "").strip()
    for pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def repeated(dates: list) -> list:
    """The dates that occur more than once, sorted."""
    seen, twice = set(), set()
    for d in dates:
        (twice if d in seen else seen).add(d)
    return sorted(twice)


def compact(date: datetime.date) -> str:
    """``YYYYMMDD``, the plugin's ``INSAR_DATE`` form."""
    return date.strftime("%Y%m%d")


def years_between(start: datetime.date, end: datetime.date) -> float:
    """Time from ``start`` to ``end`` in years of 365.25 days."""
    return (end - start).days / DAYS_PER_YEAR
