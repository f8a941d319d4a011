"""A MintPy HDF5 dataset written as a georeferenced, tagged float32 GeoTIFF: a ready
input of the decomposition (``losdecomp:import_mintpy``)."""

import math
import os
from typing import Callable, Optional

import numpy as np
from osgeo import gdal

from ..conventions import geometry, units
from ..conventions.schema import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_ROLE, TAG_SOURCE, track_tags
from ..io import hdf5
from ..io.gdal_mode import raises
from ..io.grid import Grid
from ..io.products.mintpy import (
    ARIA,
    MintPyError,
    attributes,
    azimuth_convention,
    grid_of,
    heading_from_azimuth,
    is_mintpy,
    look_side,
    read_dataset,
    reference_pixel,
    reference_xy,
    subdataset,
)
from ..io.stack_import import Stack
from ..io.writer import BandSpec
from .lifecycle import Run
from .stack_import import write_stack

TIMESERIES = "timeseries"

#: MintPy attributes copied into the GeoTIFF's metadata as ``MINTPY_<name>``.
KEPT_ATTRIBUTES = (
    "FILE_TYPE", "PLATFORM", "ORBIT_DIRECTION", "START_DATE", "END_DATE", "REF_DATE", "HEADING",
    "azimuthAngle", "incidenceAngle", "mintpy.load.processor", "REF_LAT", "REF_LON",
)  # fmt: skip


@raises
def import_file(
    path: str,
    out_path: str,
    dataset: str = "velocity",
    geometry_path: Optional[str] = None,
    log: Callable = print,
    progress: Optional[Callable] = None,
    is_cancelled: Optional[Callable] = None,
) -> dict:
    """Write ``dataset`` of the MintPy file ``path`` as a georeferenced float32 GeoTIFF.

    Band 1 is the dataset; a ``<dataset>Std`` dataset, when present, becomes a
    standard-deviation band; per-pixel geometry from ``geometry_path`` (``geometryGeo.h5``)
    becomes three LOS unit-vector bands. Pixels stored as 0 are MintPy's mask and become
    NaN, except the reference pixel. A time series (a 3-D dataset dated by ``date``) is
    written in the plugin's time-series format instead. Returns the tags written.
    """
    label = os.path.basename(path)
    tags = attributes(path)
    if not is_mintpy(tags):
        raise MintPyError(f"{label}: not a geocoded MintPy file (no MintPy attributes)")
    grid = grid_of(tags, label)
    dataset = _chosen_dataset(path, dataset, tags, log)
    unit = units.normalise(tags.get(f"{dataset}_UNIT") or tags.get("UNIT", ""))
    if _epochs(path, dataset) > 1:
        stack = _time_series(path, dataset, tags, grid, unit, geometry_path, log)
        return write_stack(stack, out_path, log, progress, is_cancelled)
    bands = _data_bands(path, dataset, tags, grid, unit, log)
    if geometry_path:
        s = _geometry_bands(geometry_path, tags, grid, log)
        for comp, role in zip(s, ROLE_ENU):
            spec = BandSpec(f"LOS unit vector {role[4:]} (ground to satellite)", "", {TAG_ROLE: role})
            bands.append((comp.astype(np.float32), spec))
    out_tags = _output_tags(tags, label, dataset, unit, log)
    with Run(grid, progress=progress, is_cancelled=is_cancelled) as run_:
        writer = run_.output(out_path, [b for _, b in bands], out_tags)
        for i, (array, _) in enumerate(run_.each(bands), start=1):
            writer.write(i, array, 0, 0)
    return out_tags


def _chosen_dataset(path, dataset, tags, log):
    """``dataset``, or the file's ``timeseries`` when the default ``velocity`` is absent."""
    label = os.path.basename(path)
    if dataset == "velocity" and _epochs(path, dataset) == 0 and _epochs(path, TIMESERIES) > 1:
        log(f"{label}: a time series (FILE_TYPE={tags.get('FILE_TYPE', '?')}): dataset '{TIMESERIES}' imported")
        return TIMESERIES
    return dataset


def _epochs(path, dataset):
    """Bands of ``dataset`` as GDAL sees it (its first dimension for a 3-D one), 0 if absent."""
    try:
        ds = gdal.Open(subdataset(path, dataset))
    except RuntimeError:
        return 0
    return ds.RasterCount if ds is not None else 0


def _time_series(path, dataset, tags, grid, unit, geometry_path, log):
    label = os.path.basename(path)
    texts = hdf5.read(path, "date")
    if texts is None:
        raise MintPyError(f"{label}: dataset '{dataset}' has several epochs but the file has no 'date' dataset")
    ds = gdal.Open(subdataset(path, dataset))
    if (ds.RasterXSize, ds.RasterYSize) != (grid.width, grid.height) or ds.RasterCount != len(texts):
        raise MintPyError(
            f"{label}: dataset '{dataset}' is {ds.RasterCount}x{ds.RasterYSize}x{ds.RasterXSize}; the attributes and "
            f"'date' say {len(texts)}x{grid.height}x{grid.width}"
        )
    geom = None
    if geometry_path:
        geom = tuple(c.astype(np.float32) for c in _geometry_bands(geometry_path, tags, grid, log))
    return Stack(
        label=f"{label}://{dataset}", grid=grid, dates=[str(t).strip() for t in texts],
        read_epoch=lambda i: ds.GetRasterBand(i + 1).ReadAsArray().astype(np.float32), unit=unit,
        tags=_output_tags(tags, label, dataset, unit, log), geometry=geom, zero_is_mask=True,
        keep=reference_pixel(tags, grid),
    )  # fmt: skip


def _data_bands(path, dataset, tags, grid, unit, log):
    """The dataset (0-masked pixels as NaN, the reference pixel kept) and its std, if any."""
    label = os.path.basename(path)
    data = read_dataset(path, dataset)
    if data is None:
        raise MintPyError(f"{label}: has no dataset '{dataset}'")
    if data.shape != (grid.height, grid.width):
        raise MintPyError(
            f"{label}: dataset '{dataset}' is {data.shape}, the attributes say {grid.height}x{grid.width}"
        )
    masked = data == 0
    ref_pixel = reference_pixel(tags, grid)
    if ref_pixel is not None:
        masked[ref_pixel] = False
    data[masked] = np.nan
    log(f"{label}: {int(masked.sum())} pixels stored as 0 (MintPy's mask) set to nodata")
    bands = [(data, BandSpec(dataset, unit, {TAG_ROLE: ROLE_VELOCITY}))]
    std = read_dataset(path, f"{dataset}Std")
    if std is not None:
        if ref_pixel is not None and not std[ref_pixel] > 0 and np.any(std > 0):
            # 0 by construction at the reference pixel; the smallest positive value keeps it usable
            std[ref_pixel] = np.min(std[std > 0])
        std[masked | ~(std > 0)] = np.nan
        bands.append((std, BandSpec(f"{dataset}Std", unit, {TAG_ROLE: ROLE_STD})))
    return bands


def _output_tags(tags, label, dataset, unit, log):
    heading = incidence = None
    if tags.get("azimuthAngle") not in (None, ""):
        heading, conv, why = heading_from_azimuth(tags, float(tags["azimuthAngle"]))
        log(
            f"{label}: azimuthAngle {float(tags['azimuthAngle']):.4f} read in the {conv} convention "
            f"({why}): heading {heading:.4f}"
        )
    elif tags.get("HEADING") not in (None, ""):
        heading = float(tags["HEADING"]) % 360.0
    if tags.get("incidenceAngle") not in (None, ""):
        incidence = float(tags["incidenceAngle"])
    out = track_tags(heading, incidence, look_side(tags), geometry.TOWARD, unit, reference_xy(tags))
    out.update({f"MINTPY_{key}": tags[key] for key in KEPT_ATTRIBUTES if key in tags})
    out[TAG_SOURCE] = f"{label}://{dataset}"
    return out


def _geometry_bands(geometry_path: str, data_tags: dict, grid: Grid, log: Callable) -> tuple:
    label = os.path.basename(geometry_path)
    gtags = attributes(geometry_path)
    ggrid = grid_of(gtags, label)
    if (ggrid.width, ggrid.height) != (grid.width, grid.height) or any(
        not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(ggrid.geotransform, grid.geotransform)
    ):
        raise MintPyError(f"{label}: is not on the grid of the velocity file")
    inc = read_dataset(geometry_path, "incidenceAngle")
    az = read_dataset(geometry_path, "azimuthAngle")
    if inc is None or az is None:
        raise MintPyError(f"{label}: needs the datasets incidenceAngle and azimuthAngle")
    inc = np.where(inc == 0, np.nan, inc).astype(np.float64)
    az = np.where(np.isnan(inc), np.nan, az).astype(np.float64)
    merged = dict(gtags)
    merged.setdefault("HEADING", data_tags.get("HEADING", ""))
    conv, why = azimuth_convention(merged, float(np.nanmedian(az)))
    log(f"{label}: per-pixel azimuthAngle read in the {conv} convention ({why})")
    fn = geometry.from_aria_azimuth if conv == ARIA else geometry.from_mintpy_azimuth
    return fn(az, inc)
