"""The one area sampler: the value and the look vector over an area around a place on a
raster's grid (GNSS stations, polygons, reference areas, time series at points), and the one
rule that turns the members of an area, or of a gridded cell, into numbers.

Areas, on a grid (:class:`Area`: a window of the grid and a mask of the pixels in it):

- a point and a radius (:func:`around_point`): the pixels whose centres lie within the
  radius (distance <= radius, in the grid's CRS units; x and y reach follow the pixel's
  width and height). When no centre does (radius 0, or smaller than the distance to the
  nearest centre), the pixel under the point: the one whose ``[col, col + 1) x [row, row +
  1)`` holds it, so a point on the edge between two pixels belongs to the one after it
  (right, and below in a north-up grid). None when that pixel is off the grid.
- a polygon (:func:`in_polygon`): the pixels whose centres lie inside (GDAL's rasteriser);
  every pixel it touches when it holds no centre. None when it holds no pixel of the grid.
- points of a point track in polygons (:func:`points_in_polygons`): the even-odd rule over
  every ring (exterior rings, holes and parts).

Only the area's window is read (:func:`sample`, :func:`sample_areas`): a band gives one
number per area, a stack of bands (a time series, ``(bands, rows, columns)`` per window) one
per band from the same windowed read.

Numbers of an area (:func:`summarise`; a member is valid where its value is finite, band by
band), in float64:

- value: the mean or the median (``uncertainty.MEAN``, ``uncertainty.MEDIAN``) of the valid
  values; count: how many are valid;
- spread: their standard deviation about their mean (``ddof = 0``; 0 for one value),
  whichever the statistic: the definition the outputs have always had (not 1.4826 x the
  median absolute deviation). A dispersion, never a weight (uncertainty.SPREAD);
- a-priori sigma: ``uncertainty.aggregate_sigma`` of the valid members' sigmas (the RMS /
  sqrt(n), times the median factor for the median; NaN where no member has a sigma);
- unit look vector (:func:`mean_unit_vector`): the mean of the members' unit vectors,
  renormalised to unit length (:func:`unit_vector`, the one renormalisation), over the
  members with a valid value (in any band), or over the whole area when none has one (the
  geometry is known where the value is not). A constant vector is its own mean.

Gridded cells (runs/point_grid.py) are streamed sums rather than windows: they take the same
sigma rule (``uncertainty.aggregate_sigma``) and :func:`unit_vector`.
"""

import math
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Sequence

import numpy as np
from osgeo import gdal, ogr

from ..conventions.errors import PointError, ReferenceAreaError
from ..conventions.uncertainty import MEAN, MEDIAN, STATISTICS, aggregate_sigma
from ..io.gdal_mode import raises
from ..io.grid import Grid, crs_units, srs_from_wkt

__all__ = ["MEAN", "MEDIAN", "STATISTICS", "SPREAD_HOW", "Area", "AreaStatistics", "AreaSample", "AreaSamples",
           "around_point", "not_a_distance", "radius_problem", "in_polygon", "on_grid", "members", "summarise",
           "unit_vector", "mean_unit_vector",
           "sample", "sample_areas", "PolygonShape", "polygon_shape", "inside", "points_in_polygons"]  # fmt: skip

#: How an area's spread is defined, for band and field labels.
SPREAD_HOW = "standard deviation"


@dataclass
class Area:
    """A window of a grid (col, row, ncols, nrows) and a boolean mask of the pixels in it."""

    window: tuple
    mask: np.ndarray
    description: str

    @property
    def pixels(self) -> int:
        """The number of pixels in the area."""
        return int(self.mask.sum())


def on_grid(grid: Grid, x: object, y: object) -> np.ndarray:
    """Whether each point (x, y in the grid's CRS) lies on a pixel of the grid (the
    pixel's ``[col, col + 1)`` holds it; NaN coordinates are not on it)."""
    x0, dx, _, y0, _, dy = grid.geotransform
    col, row = (np.asarray(x, dtype=np.float64) - x0) / dx, (np.asarray(y, dtype=np.float64) - y0) / dy
    with np.errstate(invalid="ignore"):
        return np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < grid.width) & (row >= 0) & (row < grid.height)


def _clip(grid, c0, r0, c1, r1):
    """The window clipped to the grid, None when nothing of it is left."""
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, grid.width), min(r1, grid.height)
    return (c0, r0, c1, r1) if c1 > c0 and r1 > r0 else None


#: A radius around a point above this, in degrees, is refused on a geographic grid (about 110 km):
#: metres typed for degrees.
MAX_RADIUS_DEGREES = 1.0


def not_a_distance(radius: float) -> Optional[str]:
    """Words for the error when a radius around points is neither 0 (the pixel holding each
    point) nor a positive distance (negative, NaN, infinite); None when it is one. Checked
    before any grid is known; :func:`radius_problem` adds the grid's bounds."""
    if math.isfinite(radius) and radius >= 0:
        return None
    return f"the radius must be 0 (the pixel holding each point) or a positive distance, not {radius}"


def radius_problem(grid: Grid, radius: float, label: str) -> Optional[str]:
    """Words for the error when a radius around points (in ``grid``'s CRS units) cannot be
    meant: not finite or negative; more than :data:`MAX_RADIUS_DEGREES` on a geographic grid
    (metres typed for degrees would take half a continent); or beyond the raster's diagonal
    (every point would take the whole raster). None when it is usable."""
    units = crs_units(grid.crs_wkt)
    if problem := not_a_distance(radius):
        return problem
    xmin, ymin, xmax, ymax = grid.bounds
    diagonal = math.hypot(xmax - xmin, ymax - ymin)
    if units == "degrees" and radius > MAX_RADIUS_DEGREES:
        return (f"RADIUS {radius:g} is in the {label}'s CRS units, degrees ({radius * 111.2:.4g} km): give degrees "
                f"(500 m is about 0.0045 degrees), at most {MAX_RADIUS_DEGREES:g}")  # fmt: skip
    if radius > diagonal * (1 + 1e-9):  # the diagonal itself, rounded, is not 'more than'
        return (f"RADIUS {radius:g} {units} is more than the whole {label} ({xmax - xmin:.6g} x {ymax - ymin:.6g} "
                f"{units}): every point would take the median of the whole raster")  # fmt: skip
    return None


def around_point(grid: Grid, x: float, y: float, radius: float = 0.0,
                 radius_y: Optional[float] = None) -> Optional[Area]:  # fmt: skip
    """The pixels whose centres lie within ``radius`` (grid CRS units) of (x, y), or with
    ``radius_y`` within the ellipse of semi-axes ``radius`` along x and ``radius_y`` along y
    (a distance on the ground in a geographic grid); the pixel under the point when no centre
    does (radius 0). None when that leaves no pixel of the grid (see the module's docstring for
    the edges)."""
    x0, dx, _, y0, _, dy = grid.geotransform
    col, row = (x - x0) / dx, (y - y0) / dy
    if not (math.isfinite(col) and math.isfinite(row)):
        return None
    ci, ri = int(math.floor(col)), int(math.floor(row))
    wide = radius > 0 and math.isfinite(radius)
    radius_y = radius if radius_y is None or not wide else radius_y
    rx = int(math.ceil(radius / abs(dx))) if wide else 0
    ry = int(math.ceil(radius_y / abs(dy))) if wide else 0
    box = _clip(grid, ci - rx, ri - ry, ci + rx + 1, ri + ry + 1)
    if box is None:
        return None
    c0, r0, c1, r1 = box
    mask = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    if wide:
        cols = x0 + (np.arange(c0, c1) + 0.5) * dx
        rows = y0 + (np.arange(r0, r1) + 0.5) * dy
        if radius_y == radius:
            mask = np.hypot(cols[None, :] - x, rows[:, None] - y) <= radius
        else:
            mask = np.hypot((cols[None, :] - x) / radius, (rows[:, None] - y) / radius_y) <= 1.0
    if not mask.any():
        if not (c0 <= ci < c1 and r0 <= ri < r1):
            return None  # no centre within the radius, and the point is off the grid
        mask[ri - r0, ci - c0] = True
    text = f"point {x:.6f}, {y:.6f}" + (f" within {radius:g}" if wide else "")
    return Area((c0, r0, c1 - c0, r1 - r0), mask, text)


def _geometry(wkt, ct):
    geom = ogr.CreateGeometryFromWkt(wkt) if isinstance(wkt, str) else wkt
    if geom is None or geom.IsEmpty():
        raise ReferenceAreaError("the polygon is empty")
    if ct is not None:
        geom = geom.Clone()
        geom.Transform(ct)
    return geom


@raises
def in_polygon(grid: Grid, wkt: object, ct: object = None) -> Optional[Area]:
    """The pixels whose centres lie inside the polygon (WKT or an ogr.Geometry, in the
    grid's CRS or taken there by the coordinate transformation ``ct``); every pixel it
    touches when it holds no centre. None when it holds no pixel of the grid;
    ReferenceAreaError when it is empty."""
    geom = _geometry(wkt, ct)
    xmin, xmax, ymin, ymax = geom.GetEnvelope()
    x0, dx, _, y0, _, dy = grid.geotransform
    box = _clip(grid, int(math.floor((xmin - x0) / dx)), int(math.floor((ymax - y0) / dy)),
                int(math.ceil((xmax - x0) / dx)), int(math.ceil((ymin - y0) / dy)))  # fmt: skip
    if box is None:
        return None
    c0, r0, c1, r1 = box
    mem = gdal.GetDriverByName("MEM").Create("", c1 - c0, r1 - r0, 1, gdal.GDT_Byte)
    mem.SetGeoTransform((x0 + c0 * dx, dx, 0.0, y0 + r0 * dy, 0.0, dy))
    mem.SetProjection(grid.crs_wkt)
    ds = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = ds.CreateLayer("area", srs_from_wkt(grid.crs_wkt), ogr.wkbUnknown)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(geom)
    layer.CreateFeature(feature)
    gdal.RasterizeLayer(mem, [1], layer, burn_values=[1])
    mask = mem.GetRasterBand(1).ReadAsArray().astype(bool)
    if not mask.any():
        gdal.RasterizeLayer(mem, [1], layer, burn_values=[1], options=["ALL_TOUCHED=TRUE"])
        mask = mem.GetRasterBand(1).ReadAsArray().astype(bool)
    if not mask.any():
        return None
    return Area((c0, r0, c1 - c0, r1 - r0), mask, f"polygon of {mask.sum()} pixels")


def members(window: object, area: Area) -> object:
    """The area's members of a window's array, ``window[..., mask]`` as float64: ``(m,)`` of
    a band, ``(bands, m)`` of a stack; a scalar (a constant over the window) stays a float."""
    a = np.asarray(window, dtype=np.float64)
    if a.ndim == 0:
        return float(a)
    return np.broadcast_to(a, a.shape[:-2] + area.mask.shape)[..., area.mask]


@dataclass
class AreaStatistics:
    """Numbers of the valid values of an area, one per band (shape ``()`` for a band):
    the statistic, the count, the spread (:data:`SPREAD_HOW`) and the a-priori sigma."""

    value: np.ndarray
    count: np.ndarray
    spread: np.ndarray
    sigma: np.ndarray
    statistic: int


def _packed(values):
    """(rows, m) -> (count per row, each row's finite values first in their order, NaN after)."""
    valid = np.isfinite(values)
    order = np.argsort(~valid, axis=1, kind="stable")
    return valid.sum(axis=1), np.take_along_axis(values, order, axis=1), order


def _groups(count):
    """(k, rows holding k values) for every count k > 0: a block ``packed[rows, :k]`` then
    holds exactly each row's values, so that every row gets the numbers it gets alone."""
    for k in np.unique(count[count > 0]):
        yield int(k), np.flatnonzero(count == k)


def _sum_of_squares(sigmas):
    """(sum of the squares of each row's finite sigmas, how many there are)."""
    n, packed, _ = _packed(sigmas)
    total = np.zeros(len(sigmas))
    for k, rows in _groups(n):
        total[rows] = np.square(packed[rows, :k]).sum(axis=1)
    return total, n


def summarise(values: object, statistic: int = MEDIAN, sigmas: object = None) -> AreaStatistics:
    """The one rule over an area's members ``values`` (``(..., m)``, NaN = invalid; the
    leading axes are bands), with their a-priori ``sigmas`` (an array like ``values``, a
    constant or None): see the module's docstring. Every band gets the numbers it gets
    alone, bit for bit, however many bands are summarised at once."""
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}: {MEAN} mean, {MEDIAN} median")
    values = np.asarray(values, dtype=np.float64)
    lead = values.shape[:-1]
    flat = values.reshape(math.prod(lead), values.shape[-1])  # not -1: an area may hold no member
    count, packed, order = _packed(flat)
    value, spread, sigma = (np.full(len(flat), np.nan) for _ in range(3))
    if sigmas is not None:
        sig = np.broadcast_to(np.asarray(sigmas, dtype=np.float64), values.shape).reshape(flat.shape)
        sig = np.take_along_axis(sig, order, axis=1)
    for k, rows in _groups(count):
        block = packed[rows, :k]
        value[rows] = np.median(block, axis=1) if statistic == MEDIAN else block.mean(axis=1)
        spread[rows] = block.std(axis=1)
        if sigmas is not None:
            sigma[rows] = aggregate_sigma(*_sum_of_squares(sig[rows, :k]), k, statistic)
    value, count, spread, sigma = (a.reshape(lead) for a in (value, count, spread, sigma))
    return AreaStatistics(value, count, spread, sigma, statistic)


def unit_vector(east: object, north: object, up: object) -> tuple:
    """(east, north, up) / its length: the one renormalisation of a mean look vector
    (scalars or arrays); NaN where the length is 0 or unknown."""
    e, n, u = (np.asarray(c, dtype=np.float64) for c in (east, north, up))
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.sqrt(e * e + n * n + u * u)
        ok = np.isfinite(norm) & (norm > 0)
        return tuple(np.where(ok, c / np.where(ok, norm, 1.0), np.nan) for c in (e, n, u))


def mean_unit_vector(look: Sequence, use: Optional[np.ndarray] = None) -> tuple:
    """The mean of the members' unit vectors renormalised (:func:`unit_vector`): ``look``
    holds three components, each the members' values ``(m,)`` or a constant (its own mean);
    ``use`` the members to average (all when None). Members with a non-finite component are
    left out; NaN when none is left."""
    arrays = [np.asarray(c, dtype=np.float64) for c in look]
    sized = [a for a in arrays if a.ndim]
    if sized:
        keep = np.ones(sized[0].shape, dtype=bool) if use is None else np.array(use, dtype=bool)
        for a in sized:
            keep &= np.isfinite(a)
        if not keep.any():
            return (math.nan, math.nan, math.nan)
        arrays = [a[keep].mean() if a.ndim else a for a in arrays]
    return tuple(float(c) for c in unit_vector(*arrays))


@dataclass
class AreaSample(AreaStatistics):
    """:class:`AreaStatistics` and the area's unit look vector (None when not asked for)."""

    s: Optional[tuple] = None


def _read(source, area):
    """The area's members of a reader's window (anything with ``read(col, row, ncols,
    nrows)``), or of a constant."""
    if source is None or not hasattr(source, "read"):
        return source
    return members(source.read(*area.window), area)


def sample(area: Area, values: object, statistic: int = MEDIAN, sigma: object = None,
           look: object = None) -> AreaSample:  # fmt: skip
    """The area's numbers, reading only its window: ``values`` a reader of a band (or of a
    stack: one number per band), ``sigma`` a reader of its a-priori sigma, a constant or
    None, ``look`` a reader of the ground-to-satellite unit vector (``read`` giving three
    components, as io.reader.GeometryReader) or None."""
    v = _read(values, area)
    stats = summarise(v, statistic, _read(sigma, area))
    s = None
    if look is not None:
        valid = np.isfinite(v).reshape(-1, v.shape[-1]).any(axis=0)
        s = mean_unit_vector([members(c, area) for c in look.read(*area.window)], valid if valid.any() else None)
    return AreaSample(stats.value, stats.count, stats.spread, stats.sigma, statistic, s)


@dataclass
class AreaSamples:
    """The numbers of several areas: ``value``, ``count``, ``spread`` and ``sigma`` of shape
    (areas,) for a band, (areas, bands) for a stack; ``s`` three arrays (areas,) or None."""

    value: np.ndarray
    count: np.ndarray
    spread: np.ndarray
    sigma: np.ndarray
    s: Optional[tuple]
    statistic: int


def sample_areas(areas: Iterable, values: object, statistic: int = MEDIAN, sigma: object = None,
                 look: object = None) -> AreaSamples:  # fmt: skip
    """:func:`sample` of each area (None: no area, NaN numbers and a count of 0), one
    windowed read per area and reader; ``areas`` may be a generator, so that only one
    area's mask is held at a time."""
    got = [None if a is None else sample(a, values, statistic, sigma, look) for a in areas]
    first = next((g for g in got if g is not None), None)
    bands = getattr(values, "bands", None)  # a stack reader (io.reader.StackReader) names its bands
    lead = first.value.shape if first is not None else ((len(bands),) if bands is not None else ())
    return _gathered(got, lead, statistic, look is not None)


def _gathered(got, lead, statistic, with_look):
    """One :class:`AreaSamples` of the areas' :class:`AreaSample` (None: no area)."""
    out = AreaSamples(*(np.full((len(got),) + lead, np.nan) for _ in range(4)), None, statistic)
    out.count = np.zeros((len(got),) + lead, dtype=np.int64)
    out.s = tuple(np.full(len(got), np.nan) for _ in range(3)) if with_look else None
    for i, g in enumerate(got):
        if g is None:
            continue
        out.value[i], out.count[i], out.spread[i], out.sigma[i] = g.value, g.count, g.spread, g.sigma
        for k in range(3 if with_look else 0):
            out.s[k][i] = g.s[k]
    return out


@dataclass
class PolygonShape:
    """A polygon's rings (each an (n, 2) array of vertices) and its envelope (xmin, xmax,
    ymin, ymax), for points-in-polygon tests."""

    rings: list
    envelope: tuple


def polygon_shape(wkt: str, ct: object = None) -> PolygonShape:
    """The rings of the polygon (WKT; taken to the points' CRS by ``ct`` when given)."""
    geom = ogr.CreateGeometryFromWkt(wkt)
    if geom is None:
        raise PointError("a polygon cannot be read")
    if ct is not None:
        geom.Transform(ct)
    rings = []

    def walk(g):
        if g.GetGeometryCount() == 0 and g.GetPointCount() > 0:
            rings.append(np.array(g.GetPoints(), dtype=np.float64)[:, :2])
        for k in range(g.GetGeometryCount()):
            walk(g.GetGeometryRef(k))

    walk(geom)
    return PolygonShape(rings, geom.GetEnvelope())


def inside(shape: PolygonShape, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each point lies inside: the even-odd rule over every ring at once."""
    result = np.zeros(np.shape(x), dtype=bool)
    for ring in shape.rings:
        xa, ya = ring[:-1, 0], ring[:-1, 1]
        xb, yb = ring[1:, 0], ring[1:, 1]
        for x1, y1, x2, y2 in zip(xa, ya, xb, yb):
            if y1 == y2:
                continue
            crosses = (y1 > y) != (y2 > y)
            xint = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            result ^= crosses & (x < xint)
    return result


def points_in_polygons(shapes: Sequence, x: np.ndarray, y: np.ndarray) -> Iterator:
    """(polygon index, indices of the points inside it) of points sorted by x: each
    polygon looks only at the points within its envelope."""
    for i, shape in enumerate(shapes):
        env = shape.envelope
        a, b = np.searchsorted(x, env[0], "left"), np.searchsorted(x, env[1], "right")
        if a == b:
            continue
        sel = np.arange(a, b)[(y[a:b] >= env[2]) & (y[a:b] <= env[3])]
        yield i, sel[inside(shape, x[sel], y[sel])]
