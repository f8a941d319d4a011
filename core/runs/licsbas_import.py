"""LiCSBAS ``cum.h5`` / ``cum_filt.h5`` written in the plugin's time-series format
(``losdecomp:import_licsbas``).

The layout LiCSBAS writes (``LiCSBAS13_sb_inv.py``, ``LiCSBAS16_filt_ts.py``): ``cum``
(epochs x rows x columns, mm, each pixel relative to the first epoch and to the
reference area), ``imdates`` (YYYYMMDD integers), ``refarea`` (``x1:x2/y1:y2``, pixel
ranges, end exclusive), ``corner_lat``/``corner_lon`` (the centre of the first pixel: grid
registration) and ``post_lat``/``post_lon`` (pixel spacing, degrees, WGS 84). Positive
toward the satellite. The per-pixel LOS unit vector is read from the frame's ``E``/``N``/
``U`` files when they are found (``E.geo.tif``, ``<frame>.geo.E.tif`` or LiCSBAS's raw
float32 ``E.geo``) beside the file, in its parent folder or in the parent's ``GEOC*``
folders, or from ``E.geo``/``N.geo``/``U.geo`` datasets of the file itself.
"""

import glob
import os
import re
from typing import Callable, Optional

import numpy as np
from osgeo import gdal

from ..conventions import geometry
from ..conventions.errors import LicsbasError  # noqa: F401 (re-exported: raised here)
from ..conventions.schema import TAG_SOURCE, track_tags
from ..io import hdf5
from ..io.gdal_mode import raises
from ..io.grid import Grid, srs_from_user_input
from ..io.products.mintpy import subdataset
from ..io.stack_import import Stack
from .stack_import import write_stack

PRODUCT = "LiCSBAS"
DEFAULT_DATASET = "cum"
UNIT = "mm"



def grid_of(path: str, width: int, height: int) -> Grid:
    label = os.path.basename(path)
    values = {k: hdf5.scalar(path, k) for k in ("corner_lat", "corner_lon", "post_lat", "post_lon")}
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise LicsbasError(f"{label}: not geocoded (no {', '.join(missing)})")
    dlat, dlon = values["post_lat"], values["post_lon"]
    # grid registration: corner_lat/lon is the centre of the first pixel
    gt = (values["corner_lon"] - dlon / 2, dlon, 0.0, values["corner_lat"] - dlat / 2, 0.0, dlat)
    return Grid(srs_from_user_input("EPSG:4326").ExportToWkt(), gt, width, height)


def reference_area(path: str, grid: Grid) -> Optional[tuple]:
    """((x1, x2, y1, y2) in pixels, (x, y) of its centre) or None."""
    text = hdf5.text(path, "refarea")
    parts = [int(p) for p in re.split("[:/]", text or "") if p.strip().lstrip("-").isdigit()]
    if len(parts) != 4:
        return None
    x1, x2, y1, y2 = parts
    gt = grid.geotransform
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    return (x1, x2, y1, y2), (gt[0] + cx * gt[1], gt[3] + cy * gt[5])


def _component_file(path, comp):
    folder = os.path.dirname(os.path.abspath(path))
    parent = os.path.dirname(folder)
    places = [folder, parent] + sorted(glob.glob(os.path.join(glob.escape(parent), "GEOC*")))
    for place in places:
        for pattern in (f"{comp}.geo.tif", f"*.geo.{comp}.tif", f"{comp}.geo"):
            hits = sorted(glob.glob(os.path.join(glob.escape(place), pattern)))
            if hits:
                return hits[0]
    return None


def _read_component(source, grid, label):
    """A component file on ``grid`` as float32, or a reason why not."""
    if source.lower().endswith(".tif"):
        ds = gdal.Open(source)
        if (ds.RasterXSize, ds.RasterYSize) != (grid.width, grid.height):
            return f"{os.path.basename(source)} is {ds.RasterXSize}x{ds.RasterYSize}, not the grid of {label}"
        return ds.GetRasterBand(1).ReadAsArray().astype(np.float32)
    size = os.path.getsize(source)
    if size != 4 * grid.width * grid.height:
        return f"{os.path.basename(source)} holds {size} bytes, not {grid.width}x{grid.height} float32"
    return np.fromfile(source, dtype="<f4").reshape(grid.height, grid.width)


def geometry_of(path: str, grid: Grid, log: Callable) -> Optional[tuple]:
    """(east, north, up) ground-to-satellite unit vector, or None (the log says why)."""
    label = os.path.basename(path)
    inside = [hdf5.read(path, f"{c}.geo") for c in "ENU"]
    if all(isinstance(a, np.ndarray) and a.shape == (grid.height, grid.width) for a in inside):
        log(f"{label}: per-pixel LOS unit vector from its E.geo/N.geo/U.geo datasets")
        return tuple(np.where(a == 0, np.nan, a).astype(np.float32) for a in inside)
    files = [_component_file(path, c) for c in "ENU"]
    if not all(files):
        log(f"{label}: no E/N/U files of the frame found: the angles must be given to the decomposition")
        return None
    comps = [_read_component(f, grid, label) for f in files]
    reasons = [c for c in comps if isinstance(c, str)]
    if reasons:
        log(f"{label}: the frame's E/N/U files are not used: {'; '.join(reasons)}")
        return None
    log(f"{label}: per-pixel LOS unit vector from {', '.join(files)}")
    return tuple(np.where(c == 0, np.nan, c).astype(np.float32) for c in comps)


@raises
def import_file(
    path: str,
    out_path: str,
    dataset: str = DEFAULT_DATASET,
    log: Callable = print,
    progress: Optional[Callable] = None,
    is_cancelled: Optional[Callable] = None,
) -> dict:
    """Write ``dataset`` (``cum``) of the LiCSBAS file ``path`` in the plugin's time-series
    format; returns the tags written."""
    label = os.path.basename(path)
    if "imdates" not in hdf5.names(path):
        raise LicsbasError(f"{label}: not a LiCSBAS time series (no 'imdates' dataset)")
    try:
        ds = gdal.Open(subdataset(path, dataset))
    except RuntimeError:
        ds = None
    if ds is None or ds.RasterCount < 1:
        raise LicsbasError(f"{label}: has no 3-D dataset '{dataset}'")
    texts = [str(int(d)) for d in np.ravel(hdf5.read(path, "imdates"))]
    if ds.RasterCount != len(texts):
        raise LicsbasError(f"{label}: '{dataset}' has {ds.RasterCount} epochs, 'imdates' lists {len(texts)}")
    grid = grid_of(path, ds.RasterXSize, ds.RasterYSize)
    ref = reference_area(path, grid)
    tags = track_tags(None, None, geometry.RIGHT, geometry.TOWARD, UNIT, ref[1] if ref else None)
    tags[TAG_SOURCE] = f"{label}://{dataset}"
    if ref:
        tags["LICSBAS_REFAREA"] = "{}:{}/{}:{}".format(*ref[0])
        log(f"{label}: reference area {tags['LICSBAS_REFAREA']} (pixels), centre {ref[1][0]:.6f}, {ref[1][1]:.6f}")
    stack = Stack(
        label=f"{label}://{dataset}", grid=grid, dates=texts, unit=UNIT, tags=tags,
        read_epoch=lambda i: ds.GetRasterBand(i + 1).ReadAsArray().astype(np.float32),
        geometry=geometry_of(path, grid, log),
    )  # fmt: skip
    return write_stack(stack, out_path, log, progress, is_cancelled)
