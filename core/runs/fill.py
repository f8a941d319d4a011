"""Gaps filled by inverse-distance interpolation (GDAL's FillNodata), keeping everything the
raster says about itself: band descriptions, units, band and dataset metadata, the other
bands. QGIS's own 'Fill NoData cells' and 'Fill nodata' write a bare band, so a model that
filled a velocity lost its name and unit."""

import os
import uuid
from typing import Callable

import numpy as np
from osgeo import gdal

from ..io.gdal_mode import detached, raises
from ..io.writer import DEFAULT_COMPRESSION, OutputError, creation_options, write_failure
from .engine import Cancelled

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
    complete; a cancel raises :class:`engine.Cancelled` and leaves nothing."""
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
    tmp = os.path.join(os.path.dirname(os.path.abspath(out)), f".{uuid.uuid4().hex}.tif")
    try:
        ds = gdal.Translate(tmp, src, format="GTiff", creationOptions=creation_options(compression))
        target = ds.GetRasterBand(band)
        if target.GetNoDataValue() is None:
            target.SetNoDataValue(float("nan"))
        before = _valid(target)

        def callback(done, *_):
            progress(done)
            return 0 if is_cancelled() else 1

        try:
            gdal.FillNodata(target, None, float(max_distance), int(iterations), callback=callback)
        except RuntimeError:
            if is_cancelled():
                raise Cancelled() from None
            raise
        filled = _valid(target) - before
        note = f"band {band}: {filled} pixels up to {max_distance:g} pixels from data interpolated (GDAL FillNodata"
        target.SetMetadataItem(TAG_FILLED, note + f", {iterations} smoothing iterations)")
        ds.FlushCache()
        ds = None
        os.replace(tmp, out)
    except BaseException as exc:
        ds = None
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(exc, OSError):
            raise OutputError(write_failure(out, detached(exc))) from None
        raise
    return filled


@raises
def band_description(path: str, band: int) -> str:
    """The band's description, else ``Band N``."""
    ds = gdal.Open(path)
    return ds.GetRasterBand(band).GetDescription() or f"Band {band}"
