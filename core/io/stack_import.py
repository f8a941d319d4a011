"""A displacement time series of another product written in the plugin's time-series
format: one float32 band per acquisition, by date, each with ``INSAR_DATE`` and a
``YYYYMMDD`` description, the track's tags on the dataset and, when the product has
per-pixel geometry, three LOS unit-vector bands (DESIGN.md section 3b)."""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..conventions import dates as dates_
from ..conventions.errors import Cancelled, TimeSeriesError
from ..conventions.schema import ROLE_ENU, TAG_DATE, TAG_ROLE
from .grid import Grid
from .writer import AtomicGeoTiff, BandSpec


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
    specs = [BandSpec(dates_.compact(d), unit, {TAG_DATE: dates_.compact(d)}) for d in epochs]
    if with_geometry:
        specs += [BandSpec(f"LOS unit vector {r[4:]} (ground to satellite)", "", {TAG_ROLE: r}) for r in ROLE_ENU]
    return specs


def _outside(stack, n):
    """Pixels 0 (or NaN) at every epoch: a first pass over the stack."""
    outside = np.ones((stack.grid.height, stack.grid.width), dtype=bool)
    for i in range(n):
        data = stack.read_epoch(i)
        outside &= ~(np.isfinite(data) & (data != 0))
    if stack.keep is not None:
        outside[stack.keep] = False
    return outside


def write_stack(
    stack: Stack,
    out_path: str,
    log: Callable = print,
    progress: Optional[Callable] = None,
    is_cancelled: Optional[Callable] = None,
) -> dict:
    """Write ``stack`` to ``out_path`` (nothing is left on failure); returns the tags."""
    epochs = parse_dates(stack.dates, stack.label)
    order = sorted(range(len(epochs)), key=epochs.__getitem__)
    if order != list(range(len(epochs))):
        log(f"{stack.label}: acquisitions written in date order (the product does not list them so)")
    outside = _outside(stack, len(epochs)) if stack.zero_is_mask else None
    if outside is not None:
        log(f"{stack.label}: {int(outside.sum())} pixels are 0 at every acquisition (outside the data): nodata")
    specs = band_specs([epochs[i] for i in order], stack.unit, stack.geometry is not None)
    tags = dict(stack.tags)
    writer = AtomicGeoTiff(out_path, stack.grid, specs, tags)
    try:
        for k, i in enumerate(order, start=1):
            if is_cancelled is not None and is_cancelled():
                raise Cancelled("cancelled")
            data = np.asarray(stack.read_epoch(i), dtype=np.float32)
            if outside is not None:
                data = np.where(outside, np.nan, data)
            writer.write(k, data, 0, 0)
            writer.flush()
            if progress is not None:
                progress(k / (len(order) + 1))
        for k, comp in enumerate(stack.geometry or (), start=len(order) + 1):
            writer.write(k, comp, 0, 0)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    log(f"{stack.label}: {len(epochs)} acquisitions {min(epochs)} to {max(epochs)}, in {stack.unit or 'its unit'}")
    return tags
