"""NGL's step file (``steps.txt``): the dates at which a station's series may jump.

Two kinds of line, whitespace separated:

- code 1, an equipment change: ``site YYMMMDD 1 type`` (e.g. ``Antenna_Code_Changed``);
- code 2, a possible earthquake: ``site YYMMMDD 2 [threshold_km] distance_km magnitude event_id``.

Only code 1 offsets are removed before comparing; code-2 jumps are ground motion and stay
(they are estimated beside the equipment offsets so that a quake does not bias them). A line
that cannot be read is counted, never fatal."""

import datetime
import os
from dataclasses import dataclass, field
from typing import Optional

from ..conventions.errors import StationError
from .gnss_series import yymmmdd
from .gnss_stations import to_number

EQUIPMENT, EARTHQUAKE = 1, 2


@dataclass
class Step:
    """One line of a step file."""

    site: str
    date: datetime.date
    code: int
    kind: str = ""  # the equipment change's type (code 1)
    distance_km: Optional[float] = None  # code 2
    magnitude: Optional[float] = None  # code 2
    event: str = ""  # code 2


@dataclass
class Steps:
    """The steps of a file and what was said about it."""

    steps: list
    log: list = field(default_factory=list)

    def equipment(self, site: str) -> list:
        """The sorted equipment-change (code 1) dates of ``site``."""
        return sorted({s.date for s in self.steps if s.site == site and s.code == EQUIPMENT})

    def earthquakes(self, site: str) -> list:
        """The sorted possible-earthquake (code 2) dates of ``site``: jumps that are ground
        motion, estimated beside the equipment offsets but never removed."""
        return sorted({s.date for s in self.steps if s.site == site and s.code == EARTHQUAKE})


def _step(tokens: list) -> Optional[Step]:
    if len(tokens) < 3:
        return None
    day, code = yymmmdd(tokens[1]), tokens[2]
    if day is None or code not in ("1", "2"):
        return None
    if code == "1":
        return Step(tokens[0], day, EQUIPMENT, " ".join(tokens[3:]))
    if len(tokens) < 6:
        return None
    distance, magnitude = to_number(tokens[-3]), to_number(tokens[-2])
    return Step(tokens[0], day, EARTHQUAKE, "earthquake", distance, magnitude, tokens[-1])


def read_steps(path: str) -> Steps:
    """The steps of ``path``; StationError naming it when it cannot be read or holds no step."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [ln.split() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError as exc:
        raise StationError(f"steps file {name}: cannot be read ({exc.strerror or exc})") from None
    steps = [_step(t) for t in lines]
    bad = sum(s is None for s in steps)
    steps = [s for s in steps if s is not None]
    if not steps:
        raise StationError(f"steps file {name}: no line of NGL's steps.txt layout (site YYMMMDD code ...)")
    n1 = sum(s.code == EQUIPMENT for s in steps)
    log = [f"steps file {name}: {n1} equipment change(s) (code 1, estimated and removed), {len(steps) - n1} "
           "possible earthquake(s) (code 2, ground motion: kept)"]  # fmt: skip
    if bad:
        log.append(f"steps file {name}: {bad} line(s) not in the layout, skipped")
    return Steps(steps, log)
