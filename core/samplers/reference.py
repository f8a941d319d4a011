"""Common reference: a point (with a radius) or a polygon on the common grid, where each
track's median LOS value is subtracted before inverting, so that all tracks share one
reference."""

import math
from dataclasses import dataclass

import numpy as np
from osgeo import gdal, ogr, osr

from ..conventions.errors import ReferenceAreaError  # noqa: F401 (re-exported: raised here)
from ..io.gdal_mode import raises
from ..io.grid import Grid, srs_from_wkt


@dataclass
class ReferenceArea:
    """A window of the common grid and a boolean mask of the pixels in it."""

    window: tuple  # col, row, ncols, nrows
    mask: np.ndarray
    description: str


def _clip_window(grid, c0, r0, c1, r1):
    c0, r0 = max(c0, 0), max(r0, 0)
    c1, r1 = min(c1, grid.width), min(r1, grid.height)
    if c1 <= c0 or r1 <= r0:
        raise ReferenceAreaError("the reference area is outside the common grid")
    return c0, r0, c1, r1


def from_point(grid: Grid, x: float, y: float, radius: float = 0.0) -> ReferenceArea:
    """Pixels whose centre lies within ``radius`` (target CRS units) of (x, y); the pixel
    containing the point when ``radius`` is 0 or smaller than a pixel."""
    x0, dx, _, y0, _, dy = grid.geotransform
    col, row = (x - x0) / dx, (y - y0) / dy
    reach = int(math.ceil(radius / abs(dx))) if radius > 0 else 0
    c0, r0, c1, r1 = _clip_window(
        grid, int(math.floor(col)) - reach, int(math.floor(row)) - reach,
        int(math.floor(col)) + reach + 1, int(math.floor(row)) + reach + 1,
    )  # fmt: skip
    cols = x0 + (np.arange(c0, c1) + 0.5) * dx
    rows = y0 + (np.arange(r0, r1) + 0.5) * dy
    dist = np.hypot(cols[None, :] - x, rows[:, None] - y)
    mask = dist <= radius
    if not mask.any():
        mask = np.zeros(dist.shape, bool)
        mask[np.unravel_index(np.argmin(dist), dist.shape)] = True
    text = f"point {x:.6f}, {y:.6f}" + (f" within {radius:g}" if radius > 0 else "")
    return ReferenceArea((c0, r0, c1 - c0, r1 - r0), mask, text)


@raises
def from_polygon_wkt(grid: Grid, wkt: str) -> ReferenceArea:
    """Pixels whose centre lies inside the polygon (WKT in the grid's CRS); every pixel it
    touches when it is smaller than a pixel."""
    geom = ogr.CreateGeometryFromWkt(wkt)
    if geom is None or geom.IsEmpty():
        raise ReferenceAreaError("the reference polygon is empty")
    xmin, xmax, ymin, ymax = geom.GetEnvelope()
    x0, dx, _, y0, _, dy = grid.geotransform
    c0, r0, c1, r1 = _clip_window(
        grid, int(math.floor((xmin - x0) / dx)), int(math.floor((ymax - y0) / dy)),
        int(math.ceil((xmax - x0) / dx)), int(math.ceil((ymin - y0) / dy)),
    )  # fmt: skip
    mem = gdal.GetDriverByName("MEM").Create("", c1 - c0, r1 - r0, 1, gdal.GDT_Byte)
    mem.SetGeoTransform((x0 + c0 * dx, dx, 0.0, y0 + r0 * dy, 0.0, dy))
    mem.SetProjection(grid.crs_wkt)
    ds = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = ds.CreateLayer("ref", srs_from_wkt(grid.crs_wkt), ogr.wkbUnknown)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(geom)
    layer.CreateFeature(feature)
    gdal.RasterizeLayer(mem, [1], layer, burn_values=[1])
    mask = mem.GetRasterBand(1).ReadAsArray().astype(bool)
    if not mask.any():
        gdal.RasterizeLayer(mem, [1], layer, burn_values=[1], options=["ALL_TOUCHED=TRUE"])
        mask = mem.GetRasterBand(1).ReadAsArray().astype(bool)
    return ReferenceArea((c0, r0, c1 - c0, r1 - r0), mask, f"polygon of {mask.sum()} pixels")


@raises
def transform_point(x: float, y: float, from_wkt: str, to_wkt: str) -> tuple:
    ct = osr.CoordinateTransformation(srs_from_wkt(from_wkt), srs_from_wkt(to_wkt))
    p = ct.TransformPoint(x, y)
    return p[0], p[1]


def median_in(values: np.ndarray, area: ReferenceArea) -> "float | None":
    """Median of the finite values of ``values`` (the window's array) inside the mask."""
    v = values[area.mask]
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else None
