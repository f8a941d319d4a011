"""Gaps filled by inverse-distance interpolation (GDAL's FillNodata), keeping everything the
raster says about itself: band descriptions, units, band and dataset metadata, the other
bands. QGIS's own 'Fill NoData cells' and 'Fill nodata' write a bare band, so a model that
filled a velocity lost its name and unit."""

import os
from typing import Callable

import numpy as np
from osgeo import gdal

from ..io.gdal_mode import raises
from ..io.writer import DEFAULT_COMPRESSION, AtomicCopy, OutputError
from .lifecycle import Run

DEFAULT_MAX_DISTANCE = 10  # pixels
TAG_FILLED = "INSAR_FILLED"


def _valid(band) -> int:
    values = band.ReadAsArray()
    nodata = band.GetNoDataValue()
    ok = np.isfinite(values)
    if nodata is not None and np.isfinite(nodata):
        ok &= values != nodata
    return int(np.count_nonzero(ok))


@raises
def fill_gaps(path: str, out: str, band: int = 1, max_distance: float = DEFAULT_MAX_DISTANCE,
              iterations: int = 0, compression: str = DEFAULT_COMPRESSION,
              progress: Callable = lambda f: None, is_cancelled: Callable = lambda: False) -> int:  # fmt: skip
    """Write ``path`` to ``out`` with the gaps of ``band`` up to ``max_distance`` pixels from
    valid data interpolated; returns the number of pixels filled. ``out`` appears only when
    complete; a cancel raises :class:`Cancelled` and leaves nothing."""
    src = gdal.Open(path)
    if src is None:
        raise ValueError(f"{path}: not a raster GDAL can read")
    if not 1 <= band <= src.RasterCount:
        raise ValueError(f"{os.path.basename(path)}: has no band {band} (it has {src.RasterCount})")
    if max_distance <= 0:
        raise ValueError(f"the largest distance must be positive, not {max_distance:g} pixels")
    if iterations < 0:
        raise ValueError(f"the smoothing iterations must be zero or more, not {iterations}")
    if os.path.realpath(out) == os.path.realpath(path):
        raise OutputError(f"{out}: is the input; choose another output file")
    with Run(progress=progress, is_cancelled=is_cancelled) as run_:
        # the whole raster copied (every band, its names, units and metadata), then filled in place
        ds = run_.add(out, AtomicCopy(out, src, compression)).dataset
        target = ds.GetRasterBand(band)
        if target.GetNoDataValue() is None:
            target.SetNoDataValue(float("nan"))
        before = _valid(target)
        try:
            gdal.FillNodata(target, None, float(max_distance), int(iterations), callback=run_.gdal_progress())
        except RuntimeError:
            run_.check()  # stopped by a cancel: that is what is reported
            raise
        filled = _valid(target) - before
        note = f"band {band}: {filled} pixels up to {max_distance:g} pixels from data interpolated (GDAL FillNodata"
        target.SetMetadataItem(TAG_FILLED, note + f", {iterations} smoothing iterations)")
        target = ds = None
    return filled


@raises
def band_description(path: str, band: int) -> str:
    """The band's description, else ``Band N``."""
    ds = gdal.Open(path)
    return ds.GetRasterBand(band).GetDescription() or f"Band {band}"
