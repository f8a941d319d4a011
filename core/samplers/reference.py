"""Common reference: a point (with a radius) or a polygon on the common grid, where each
track's median LOS value is subtracted before inverting, so that all tracks share one
reference. The area is the one of every sampler (samplers/area.py)."""

import numpy as np
from osgeo import osr

from ..conventions.errors import ReferenceAreaError  # noqa: F401 (re-exported: raised here)
from ..io.gdal_mode import raises
from ..io.grid import Grid, srs_from_wkt
from .area import Area, around_point, in_polygon

#: The reference area: a window of the common grid and a boolean mask of the pixels in it.
ReferenceArea = Area

_OUTSIDE = "the reference area is outside the common grid"


def from_point(grid: Grid, x: float, y: float, radius: float = 0.0) -> ReferenceArea:
    """Pixels whose centre lies within ``radius`` (target CRS units) of (x, y); the pixel
    holding the point when none does (``area.around_point``)."""
    area = around_point(grid, x, y, radius)
    if area is None:
        raise ReferenceAreaError(_OUTSIDE)
    return area


def from_polygon_wkt(grid: Grid, wkt: str) -> ReferenceArea:
    """Pixels whose centre lies inside the polygon (WKT in the grid's CRS); every pixel it
    touches when it holds no centre (``area.in_polygon``)."""
    try:
        area = in_polygon(grid, wkt)
    except ReferenceAreaError:
        raise ReferenceAreaError("the reference polygon is empty") from None
    if area is None:
        raise ReferenceAreaError(_OUTSIDE)
    return area


@raises
def transform_point(x: float, y: float, from_wkt: str, to_wkt: str) -> tuple:
    """(x, y) from the CRS ``from_wkt`` to ``to_wkt``."""
    ct = osr.CoordinateTransformation(srs_from_wkt(from_wkt), srs_from_wkt(to_wkt))
    p = ct.TransformPoint(x, y)
    return p[0], p[1]


def median_in(values: np.ndarray, area: ReferenceArea) -> "float | None":
    """Median of the finite values of ``values`` (the window's array) inside the mask, in
    the window's own precision (float32 for a track's LOS): the decomposition's reference
    offset, kept as it was rather than ``area.summarise`` (float64), so that referenced
    outputs do not move by a float32 rounding."""
    v = values[area.mask]
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else None
