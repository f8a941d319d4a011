"""Geodetic latitude and longitude of a grid's pixel centres (WGS 84), window by window: what
a plate's velocity is computed at."""

import numpy as np
from osgeo import osr

from .gdal_mode import raises
from .grid import Grid, srs_from_wkt


def _wgs84():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


class LatLon:
    """(lat, lon) in degrees of the pixel centres of windows of ``grid``."""

    @raises
    def __init__(self, grid: Grid):
        self.grid = grid
        src = srs_from_wkt(grid.crs_wkt)
        wgs84 = _wgs84()
        self._same = bool(src.IsGeographic() and src.IsSame(wgs84, ["CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS"]))
        self._ct = None if self._same else osr.CoordinateTransformation(src, wgs84)

    @raises
    def read(self, col: int, row: int, ncols: int, nrows: int) -> tuple:
        x0, dx, _, y0, _, dy = self.grid.geotransform
        cols, rows = np.meshgrid(col + np.arange(ncols) + 0.5, row + np.arange(nrows) + 0.5)
        x, y = x0 + cols * dx, y0 + rows * dy
        if self._same:
            return y, x
        pts = np.array(self._ct.TransformPoints(np.column_stack([x.ravel(), y.ravel()])))
        return pts[:, 1].reshape(x.shape), pts[:, 0].reshape(x.shape)
