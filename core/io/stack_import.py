"""A displacement time series of another product written in the plugin's time-series
format: one float32 band per acquisition, by date, each with ``INSAR_DATE`` and a
``YYYYMMDD`` description, the track's tags on the dataset and, when the product has
per-pixel geometry, three LOS unit-vector bands (DESIGN.md section 3b). The stack as read
here; ``runs.stack_import`` writes it."""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..conventions import dates as dates_
from ..conventions.errors import TimeSeriesError
from ..conventions.schema import ROLE_ENU, TAG_DATE, TAG_ROLE
from .grid import Grid
from .writer import BandSpec


@dataclass
class Stack:
    """A time series as another product holds it."""

    label: str
    grid: Grid
    dates: list  # the product's date texts, in its epoch order
    read_epoch: Callable  # epoch index -> 2-D array on ``grid``
    unit: str
    tags: dict
    geometry: Optional[tuple] = None  # (east, north, up) ground-to-satellite, 2-D arrays
    zero_is_mask: bool = False  # pixels 0 at every epoch lie outside the data (MintPy)
    keep: Optional[tuple] = None  # (row, col) never masked: the reference pixel


def parse_dates(texts: list, label: str) -> list:
    """The acquisition dates; TimeSeriesError naming the product when one cannot be read
    or two are the same day."""
    if not texts:
        raise TimeSeriesError(f"{label}: holds no acquisition dates")
    out = []
    for text in texts:
        date = dates_.parse(str(text))
        if date is None:
            raise TimeSeriesError(f"{label}: '{text}' is not an acquisition date (YYYYMMDD)")
        out.append(date)
    twice = dates_.repeated(out)
    if twice:
        raise TimeSeriesError(f"{label}: the same acquisition date twice: {', '.join(map(str, twice))}")
    if len(out) < 2:
        raise TimeSeriesError(f"{label}: a time series needs at least two acquisitions, it has {len(out)}")
    return out


def band_specs(epochs: list, unit: str, with_geometry: bool) -> list:
    """One band per epoch (its date as description and ``INSAR_DATE``), then the three
    LOS unit-vector bands when the stack has per-pixel geometry."""
    specs = [BandSpec(dates_.compact(d), unit, {TAG_DATE: dates_.compact(d)}) for d in epochs]
    if with_geometry:
        specs += [BandSpec(f"LOS unit vector {r[4:]} (ground to satellite)", "", {TAG_ROLE: r}) for r in ROLE_ENU]
    return specs


def outside(stack: Stack, n: int) -> np.ndarray:
    """Pixels 0 (or NaN) at every one of the ``n`` epochs (the reference pixel never): a
    first pass over the stack."""
    out = np.ones((stack.grid.height, stack.grid.width), dtype=bool)
    for i in range(n):
        data = stack.read_epoch(i)
        out &= ~(np.isfinite(data) & (data != 0))
    if stack.keep is not None:
        out[stack.keep] = False
    return out
