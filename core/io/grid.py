"""Raster footprints and the common grid the tracks are resampled to (DESIGN.md section 4)."""

import math
import os
import uuid
from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import gdal, osr

from ..conventions.errors import GridError  # noqa: F401 (re-exported: raised here)
from .gdal_mode import raises

#: Largest common grid accepted, in pixels (50000 x 50000): a smaller resolution is
#: almost always a unit mistake (metres typed for a geographic CRS).
MAX_GRID_PIXELS = 2_500_000_000

_EARTH_RADIUS_M = 6371008.8
# Relative tolerance for "same pixel size" and "aligned origin" tests.
_REL_TOL = 1e-9
_ALIGN_TOL = 1e-6



def _srs(fill) -> osr.SpatialReference:
    """A spatial reference filled by ``fill(srs)``, x = easting or longitude."""
    srs = osr.SpatialReference()
    fill(srs)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


@raises
def srs_from_wkt(wkt: str) -> osr.SpatialReference:
    return _srs(lambda srs: srs.ImportFromWkt(wkt))


@raises
def srs_from_user_input(text: str) -> osr.SpatialReference:
    return _srs(lambda srs: srs.SetFromUserInput(text))


@raises
def same_crs(wkt_a: str, wkt_b: str) -> bool:
    return bool(srs_from_wkt(wkt_a).IsSame(srs_from_wkt(wkt_b)))


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: CRS as WKT, GDAL geotransform, size in pixels."""

    crs_wkt: str
    geotransform: tuple
    width: int
    height: int

    @property
    def bounds(self) -> tuple:
        x0, dx, _, y0, _, dy = self.geotransform
        return (x0, y0 + dy * self.height, x0 + dx * self.width, y0)

    @property
    def pixel_size(self) -> tuple:
        return (self.geotransform[1], -self.geotransform[5])


@dataclass(frozen=True)
class RasterInfo:
    """What the grid and reader need to know of one raster dataset."""

    path: str
    crs_wkt: str
    geotransform: tuple
    width: int
    height: int
    band_count: int

    @property
    def north_up(self) -> bool:
        return self.geotransform[2] == 0 and self.geotransform[4] == 0 and self.geotransform[5] < 0

    def grid(self) -> "Grid":
        return Grid(self.crs_wkt, tuple(self.geotransform), self.width, self.height)


@raises
def raster_info(path: str, label: Optional[str] = None) -> "RasterInfo":
    """Open ``path`` with GDAL and describe it; errors name ``label`` (the layer)."""
    label = label or path
    try:
        ds = gdal.Open(path)
    except RuntimeError as exc:
        raise GridError(f"{label}: cannot be opened ({exc})") from None
    if ds is None:
        raise GridError(f"{label}: cannot be opened")
    wkt = ds.GetProjection()
    if not wkt:
        raise GridError(f"{label}: has no coordinate reference system")
    info = RasterInfo(path, wkt, tuple(ds.GetGeoTransform()), ds.RasterXSize, ds.RasterYSize, ds.RasterCount)
    if info.geotransform == (0.0, 1.0, 0.0, 0.0, 0.0, 1.0):
        raise GridError(f"{label}: has no georeferencing")
    return info


def _pixel_to_xy(gt, col, row):
    return (gt[0] + col * gt[1] + row * gt[2], gt[3] + col * gt[4] + row * gt[5])


def transformer(src_wkt: str, dst_wkt: str) -> Optional[osr.CoordinateTransformation]:
    """From one CRS to another, with GIS axis order; None when they are the same CRS."""
    if same_crs(src_wkt, dst_wkt):
        return None
    return osr.CoordinateTransformation(srs_from_wkt(src_wkt), srs_from_wkt(dst_wkt))


def _transform_points(transformer, points):
    if transformer is None:
        return points
    out = transformer.TransformPoints(points)
    return [(p[0], p[1]) for p in out if math.isfinite(p[0]) and math.isfinite(p[1])]


@raises
def footprint(info: "RasterInfo", target_wkt: str, samples: int = 21) -> tuple:
    """Bounding box (xmin, ymin, xmax, ymax) of the raster's outline in ``target_wkt``."""
    gt = info.geotransform
    w, h = info.width, info.height
    edge = []
    for i in range(samples + 1):
        f = i / samples
        edge += [(f * w, 0), (f * w, h), (0, f * h), (w, f * h)]
    points = [_pixel_to_xy(gt, c, r) for c, r in edge]
    points = _transform_points(transformer(info.crs_wkt, target_wkt), points)
    if not points:
        raise GridError(f"{info.path}: its outline cannot be expressed in the target CRS")
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


@raises
def pixel_size_in(info: "RasterInfo", target_wkt: str) -> float:
    """Size of the raster's central pixel expressed in ``target_wkt`` units (a square
    pixel of the same diagonal)."""
    gt = info.geotransform
    if info.north_up and same_crs(info.crs_wkt, target_wkt):
        return max(abs(gt[1]), abs(gt[5]))
    c, r = info.width / 2.0, info.height / 2.0
    pts = [_pixel_to_xy(gt, c, r), _pixel_to_xy(gt, c + 1, r + 1)]
    pts = _transform_points(transformer(info.crs_wkt, target_wkt), pts)
    if len(pts) != 2:
        raise GridError(f"{info.path}: its pixel size cannot be expressed in the target CRS")
    return math.hypot(pts[1][0] - pts[0][0], pts[1][1] - pts[0][1]) / math.sqrt(2.0)


@raises
def resolution_in_metres(grid: "Grid") -> tuple:
    """(east-west, north-south) pixel size in metres at the grid centre."""
    xmin, ymin, xmax, ymax = grid.bounds
    ew, ns = pixel_metres(grid, 0.5 * (ymin + ymax))
    return (float(ew), ns)


@raises
def pixel_metres(grid: "Grid", y: object) -> tuple:
    """(east-west, north-south) pixel size in metres at the grid coordinate(s) ``y``
    (latitudes in a geographic CRS: the east-west size shrinks with cos(latitude))."""
    srs = srs_from_wkt(grid.crs_wkt)
    dx, dy = grid.pixel_size
    if srs.IsGeographic():
        metres_per_degree = math.radians(1.0) * _EARTH_RADIUS_M
        return (dx * metres_per_degree * np.cos(np.radians(y)), dy * metres_per_degree)
    factor = srs.GetLinearUnits() or 1.0
    return (dx * factor + 0 * np.asarray(y, dtype=float), dy * factor)


@raises
def crs_units(wkt: str) -> str:
    srs = srs_from_wkt(wkt)
    if srs.IsGeographic():
        return "degrees"
    return srs.GetLinearUnitsName() or "metres"


def _is_aligned(info, target_wkt, res):
    gt = info.geotransform
    return (
        info.north_up
        and math.isclose(abs(gt[1]), res, rel_tol=_REL_TOL)
        and math.isclose(abs(gt[5]), res, rel_tol=_REL_TOL)
        and same_crs(info.crs_wkt, target_wkt)
    )


@raises
def common_grid(
    infos: list,
    target_wkt: Optional[str] = None,
    resolution: float = 0.0,
    extent: Optional[tuple] = None,
    max_pixels: int = MAX_GRID_PIXELS,
) -> "Grid":
    """The grid all tracks are resampled to.

    CRS: ``target_wkt`` or the first input's. Resolution: ``resolution`` (target CRS
    units) or, when 0, the coarsest input pixel expressed in target units. Extent:
    ``extent`` (xmin, ymin, xmax, ymax in the target CRS) or the intersection of the
    inputs' footprints, snapped outward to whole pixels. The pixel lattice is the first
    input's when it is already in the target CRS at that resolution (so it is read as
    is), otherwise multiples of the resolution.
    """
    if not infos:
        raise GridError("no input rasters")
    target_wkt = target_wkt or infos[0].crs_wkt
    res = _resolution(infos, target_wkt, resolution)
    xmin, ymin, xmax, ymax = _overlap(infos, target_wkt, res) if extent is None else _given_extent(extent)
    if _is_aligned(infos[0], target_wkt, res):
        ax, ay = infos[0].geotransform[0], infos[0].geotransform[3]
    else:
        ax, ay = 0.0, 0.0
    col0 = math.floor((xmin - ax) / res + _ALIGN_TOL)
    col1 = math.ceil((xmax - ax) / res - _ALIGN_TOL)
    row0 = math.floor((ay - ymax) / res + _ALIGN_TOL)
    row1 = math.ceil((ay - ymin) / res - _ALIGN_TOL)
    width, height = max(col1 - col0, 1), max(row1 - row0, 1)
    if width * height > max_pixels:
        raise GridError(
            f"the common grid would be {width} x {height} pixels at resolution {res:.6g} "
            f"({crs_units(target_wkt)}); choose a coarser resolution or a smaller extent"
        )
    gt = (ax + col0 * res, res, 0.0, ay - row0 * res, 0.0, -res)
    return Grid(target_wkt, gt, width, height)


def _resolution(infos, target_wkt, resolution):
    """The given resolution, or the coarsest input pixel in target units when 0."""
    if resolution is None or resolution == 0:
        return max(pixel_size_in(i, target_wkt) for i in infos)
    if not (resolution > 0 and math.isfinite(resolution)):
        raise GridError(f"the resolution must be a positive number, not {resolution}")
    return float(resolution)


def _overlap(infos, target_wkt, res):
    """The intersection of the inputs' footprints in the target CRS, at least a pixel wide."""
    boxes = [footprint(i, target_wkt) for i in infos]
    xmin = max(b[0] for b in boxes)
    ymin = max(b[1] for b in boxes)
    xmax = min(b[2] for b in boxes)
    ymax = min(b[3] for b in boxes)
    if xmin >= xmax or ymin >= ymax:
        raise GridError("the input layers do not overlap")
    if (xmax - xmin) < res * (1 - _ALIGN_TOL) or (ymax - ymin) < res * (1 - _ALIGN_TOL):
        raise GridError(
            f"the input layers overlap by less than one output pixel "
            f"({xmax - xmin:.6g} x {ymax - ymin:.6g} for a {res:.6g} pixel)"
        )
    return xmin, ymin, xmax, ymax


def _given_extent(extent):
    xmin, ymin, xmax, ymax = extent
    if not (xmin < xmax and ymin < ymax):
        raise GridError("the extent is empty")
    return xmin, ymin, xmax, ymax


@raises
def lattice_offset(info: "RasterInfo", grid: "Grid") -> Optional[tuple]:
    """(col, row) of ``grid``'s origin in the raster's pixels, possibly fractional, when
    both have the same CRS, are north-up and have the same pixel size, else None."""
    gt = info.geotransform
    dx, dy = grid.pixel_size
    if not (
        info.north_up
        and math.isclose(gt[1], dx, rel_tol=_REL_TOL)
        and math.isclose(-gt[5], dy, rel_tol=_REL_TOL)
        and same_crs(info.crs_wkt, grid.crs_wkt)
    ):
        return None
    return (grid.geotransform[0] - gt[0]) / dx, (gt[3] - grid.geotransform[3]) / dy


def window_offset(info: "RasterInfo", grid: "Grid") -> Optional[tuple]:
    """(col, row) offset of ``grid`` in the raster when the raster lies on the same
    pixel lattice (same CRS, north-up, same pixel size, whole-pixel shift), else None."""
    offset = lattice_offset(info, grid)
    if offset is None:
        return None
    col, row = offset
    if abs(col - round(col)) > _ALIGN_TOL or abs(row - round(row)) > _ALIGN_TOL:
        return None
    return (int(round(col)), int(round(row)))


@raises
def with_assumed_geographic_crs(path: str, label: str) -> tuple:
    """(path, warning) for an auxiliary raster without a CRS whose coordinates are plausible
    longitudes and latitudes (a GMT grid, typically): a virtual copy tagged WGS 84. Other
    rasters without a CRS are refused."""
    ds = gdal.Open(path)
    if ds is None or ds.GetProjection():
        return path, ""
    gt = ds.GetGeoTransform()
    xs = (gt[0], gt[0] + gt[1] * ds.RasterXSize)
    ys = (gt[3], gt[3] + gt[5] * ds.RasterYSize)
    if not (min(xs) >= -180.5 and max(xs) <= 360.5 and min(ys) >= -90.5 and max(ys) <= 90.5):
        raise GridError(f"{label}: has no coordinate reference system")
    vpath = f"/vsimem/losdecomp_{uuid.uuid4().hex}.vrt"  # one per call: runs may overlap
    gdal.Translate(vpath, ds, format="VRT", outputSRS="EPSG:4326")
    return vpath, f"{label}: has no coordinate reference system; its coordinates look like degrees, read as WGS 84"


@raises
def with_crs(path: str, crs_wkt: str, folder: str) -> Optional[str]:
    """A virtual copy of ``path`` in ``folder`` (named after it) with ``crs_wkt`` as its CRS,
    or None when the file already says that CRS. Used when the user set a layer's CRS in QGIS:
    the file is read directly, so what QGIS knows must travel with it."""
    ds = gdal.Open(path)
    if ds is None or not crs_wkt:
        return None
    own = ds.GetProjection()
    if own and srs_from_wkt(own).IsSame(srs_from_wkt(crs_wkt), ["CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS"]):
        return None
    stem = os.path.splitext(os.path.basename(path))[0]
    out = os.path.join(folder, f"{stem}.vrt")
    gdal.Translate(out, ds, format="VRT", outputSRS=crs_wkt)
    return out
