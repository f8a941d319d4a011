"""The dates of frames that are time-series stacks (one band per acquisition, dated by
``INSAR_DATE`` or a date description): all frames stacks or none, and the dates every frame
has. Frames delivered by one processor usually share their acquisitions, but one may miss a
date (a missing burst, a dropped interferogram): the dates not in every frame are left out
with a warning naming each frame and its dates, rather than refused; no common date is an
error naming every frame's span."""

import datetime
from typing import Optional

from ..conventions import dates as dates_
from ..conventions.errors import FrameError
from ..io.products.timeseries import band_dates


def stack_bands(path: str) -> Optional[dict]:
    """{date: band} of a stack (two or more dated bands), None for a single velocity."""
    found = band_dates(path)
    if len(found) < 2:
        return None
    return {d: b for b, d in sorted(found.items())}


def of_frames(paths: list, labels: list) -> Optional[list]:
    """Each frame's {date: band}, or None when the frames are velocities; FrameError naming
    the first frame that is not like frame 1 (a stack among velocities, or the reverse)."""
    found = [stack_bands(p) for p in paths]
    for k, f in enumerate(found):
        if (f is None) != (found[0] is None):
            what = "a velocity" if f is None else f"a time-series stack ({len(f)} dated bands)"
            raise FrameError(f"frame {k + 1} ({labels[k]}) is {what}, frame 1 is not: merge velocities or "
                             "time-series stacks, not both")  # fmt: skip
    return None if found[0] is None else found


def common(found: list, labels: list, warnings: list) -> list:
    """The dates of every frame, in order; a warning per frame naming the dates left out;
    FrameError with each frame's span when no date is common."""
    shared = set(found[0])
    for f in found[1:]:
        shared &= set(f)
    if not shared:
        spans = "; ".join(f"frame {k + 1} ({labels[k]}): {len(f)} dates, {_text(min(f))} to {_text(max(f))}"
                          for k, f in enumerate(found))  # fmt: skip
        raise FrameError(f"the time-series frames have no date in common: {spans}")
    for k, f in enumerate(found):
        left = sorted(set(f) - shared)
        if left:
            shown = ", ".join(_text(d) for d in left[:10]) + (", ..." if len(left) > 10 else "")
            warnings.append(f"frame {k + 1} ({labels[k]}): {len(left)} date(s) not in every frame left out: {shown}")
    return sorted(shared)


def _text(date: datetime.date) -> str:
    return dates_.compact(date)
