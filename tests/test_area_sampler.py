"""The one area sampler (core/samplers/area.py): which pixels an area holds, the numbers of
its valid values, the sigma rule and the look vector, with known answers."""

import math

import numpy as np
import pytest
from osgeo import gdal, osr

from insar_decomposition.core.conventions import uncertainty
from insar_decomposition.core.conventions.errors import ReferenceAreaError
from insar_decomposition.core.io.grid import Grid
from insar_decomposition.core.io.model import RasterRef
from insar_decomposition.core.io.reader import GridReader, StackReader
from insar_decomposition.core.runs import point_grid
from insar_decomposition.core.samplers import area, reference

gdal.UseExceptions()

# 10 x 8 pixels of 10 x 10 units, top-left corner at (0, 100): pixel (row r, col c) has its
# centre at (10 c + 5, 95 - 10 r).
GT = (0.0, 10.0, 0.0, 100.0, 0.0, -10.0)


def utm_wkt():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    return srs.ExportToWkt()


def grid(gt=GT, width=10, height=8):
    return Grid(utm_wkt(), gt, width, height)


def pixels(a):
    """{(row, col)} of the area's pixels on the whole grid."""
    if a is None:
        return set()
    c0, r0, _, _ = a.window
    return {(int(r) + r0, int(c) + c0) for r, c in zip(*np.nonzero(a.mask))}


def brute_force(g, x, y, radius):
    """{(row, col)} of every pixel of the grid whose centre is within ``radius``."""
    x0, dx, _, y0, _, dy = g.geotransform
    rows, cols = np.mgrid[0 : g.height, 0 : g.width]
    d = np.hypot(x0 + (cols + 0.5) * dx - x, y0 + (rows + 0.5) * dy - y)
    return {(int(r), int(c)) for r, c in zip(*np.nonzero(d <= radius))}


class Window:
    """A reader of a fixed array that records the windows asked for."""

    def __init__(self, array):
        self.array, self.asked = np.asarray(array), []

    def read(self, col, row, ncols, nrows):
        self.asked.append((col, row, ncols, nrows))
        return self.array[..., row : row + nrows, col : col + ncols]


class Look:
    """A geometry reader: three components over the grid (or constants)."""

    def __init__(self, *components):
        self.components = components

    def read(self, col, row, ncols, nrows):
        return tuple(c if np.ndim(c) == 0 else c[row : row + nrows, col : col + ncols] for c in self.components)


# --- which pixels ------------------------------------------------------------------------


def test_radius_zero_is_the_pixel_under_the_point():
    a = area.around_point(grid(), 37.0, 71.0, 0.0)  # col 3.7, row 2.9
    assert pixels(a) == {(2, 3)}
    assert a.window == (3, 2, 1, 1)
    assert a.description == "point 37.000000, 71.000000"


def test_a_point_on_a_pixel_edge_belongs_to_the_pixel_after_it():
    g = grid()
    # x = 20 is the edge between columns 1 and 2; y = 60 the edge between rows 3 and 4
    assert pixels(area.around_point(g, 20.0, 55.0, 0.0)) == {(4, 2)}
    assert pixels(area.around_point(g, 20.0, 60.0, 0.0)) == {(4, 2)}
    # a radius too small to reach a centre (they are 5 away) gives the same pixel, not the
    # first of the equally near ones
    assert pixels(area.around_point(g, 20.0, 55.0, 1.0)) == {(4, 2)}
    assert pixels(area.around_point(g, 20.0, 60.0, 4.0)) == {(4, 2)}
    # centres exactly at the radius are in it (distance <= radius)
    assert pixels(area.around_point(g, 20.0, 55.0, 5.0)) == {(4, 1), (4, 2)}
    assert pixels(area.around_point(g, 20.0, 60.0, 5 * math.sqrt(2) + 1e-9)) == {(3, 1), (3, 2), (4, 1), (4, 2)}


def test_a_disc_near_the_raster_edge_is_clipped_to_the_grid():
    g = grid()
    a = area.around_point(g, 5.0, 95.0, 15.0)  # the centre of pixel (0, 0)
    assert a.window == (0, 0, 3, 3)
    assert pixels(a) == {(0, 0), (0, 1), (1, 0), (1, 1)}  # 0, 10, 10 and 14.1 away; 20 is too far
    # a point off the grid: the centres within the radius, else nothing
    assert pixels(area.around_point(g, -3.0, 95.0, 9.0)) == {(0, 0)}
    assert area.around_point(g, -3.0, 95.0, 7.0) is None
    assert area.around_point(g, -3.0, 95.0, 0.0) is None
    assert area.around_point(g, 100.0, 95.0, 0.0) is None  # the right edge of the last column: off
    assert area.around_point(g, math.nan, 95.0, 10.0) is None
    with pytest.raises(ReferenceAreaError, match="outside the common grid"):
        reference.from_point(g, -3.0, 95.0, 0.0)


@pytest.mark.parametrize("gt", [GT, (0.0, 10.0, 0.0, 100.0, 0.0, -4.0), (0.0, 3.0, 0.0, 100.0, 0.0, -10.0)])
def test_the_disc_holds_exactly_the_centres_within_the_radius(gt):
    """Square and non-square pixels: the window reaches as far as the radius on each axis."""
    g = grid(gt, 30, 30)
    rng = np.random.default_rng(5)
    for _ in range(60):
        x = rng.uniform(-10, 30 * gt[1] + 10)
        y = rng.uniform(100 + 30 * gt[5] - 10, 110)
        radius = rng.uniform(0.5, 35.0)
        want = brute_force(g, x, y, radius)
        got = pixels(area.around_point(g, x, y, radius))
        if want:
            assert got == want, (x, y, radius)
        else:  # no centre within the radius: the pixel under the point, when there is one
            on = bool(area.on_grid(g, x, y))
            assert len(got) == (1 if on else 0)


def test_on_grid():
    g = grid()
    x = np.array([0.0, 99.999, 100.0, -0.001, np.nan, 50.0])
    y = np.array([100.0, 20.001, 50.0, 50.0, 50.0, 20.0])  # y = 20 is the bottom edge: off
    assert area.on_grid(g, x, y).tolist() == [True, True, False, False, False, False]


def test_a_polygon_holds_the_pixels_whose_centres_are_inside():
    g = grid()
    # a square from (12, 88) to (38, 62) with a hole around the centre of pixel (2, 2)
    square = "POLYGON ((12 88, 38 88, 38 62, 12 62, 12 88), (22 78, 28 78, 28 72, 22 72, 22 78))"
    a = area.in_polygon(g, square)
    assert pixels(a) == {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)} - {(2, 2)}
    assert a.description == "polygon of 8 pixels"
    # the points-in-polygon test of point tracks agrees on the pixel centres
    rows, cols = np.mgrid[0:8, 0:10]
    x, y = (cols.ravel() + 0.5) * 10.0, 100.0 - (rows.ravel() + 0.5) * 10.0
    inside = area.inside(area.polygon_shape(square), x, y)
    assert {(int(r), int(c)) for r, c in zip(rows.ravel()[inside], cols.ravel()[inside])} == pixels(a)
    order = np.argsort(x, kind="stable")
    ((i, sel),) = list(area.points_in_polygons([area.polygon_shape(square)], x[order], y[order]))
    assert i == 0 and sorted(order[sel].tolist()) == sorted(np.flatnonzero(inside).tolist())


def test_a_polygon_smaller_than_a_pixel_takes_every_pixel_it_touches():
    g = grid()
    assert pixels(area.in_polygon(g, "POLYGON ((31 71, 33 71, 33 69, 31 69, 31 71))")) == {(2, 3), (3, 3)}
    assert area.in_polygon(g, "POLYGON ((200 71, 210 71, 210 69, 200 69, 200 71))") is None
    with pytest.raises(ReferenceAreaError, match="empty"):
        area.in_polygon(g, "POLYGON EMPTY")
    with pytest.raises(ReferenceAreaError, match="outside the common grid"):
        reference.from_polygon_wkt(g, "POLYGON ((200 71, 210 71, 210 69, 200 69, 200 71))")


# --- the numbers of an area -----------------------------------------------------------------

VALUES = np.array([1.0, 2.0, np.nan, 3.0, 10.0])
SIGMAS = np.array([0.5, 1.0, 9.0, np.nan, 2.0])  # 9.0 belongs to the invalid value: left out


def test_mean_and_median_count_and_spread():
    mean = area.summarise(VALUES, uncertainty.MEAN)
    median = area.summarise(VALUES, uncertainty.MEDIAN)
    assert mean.count == median.count == 4
    assert float(mean.value) == 4.0
    assert float(median.value) == 2.5
    # the spread is the standard deviation about the mean, whichever the statistic
    assert float(mean.spread) == float(median.spread) == pytest.approx(math.sqrt(50.0 / 4))
    assert area.SPREAD_HOW == "standard deviation"
    none = area.summarise(np.empty(0), uncertainty.MEAN, np.empty(0))  # a polygon holding no point
    assert int(none.count) == 0 and np.isnan([none.value, none.spread, none.sigma]).all()
    assert area.summarise(np.empty((3, 0))).count.tolist() == [0, 0, 0]
    one = area.summarise(np.array([7.0]))
    assert (float(one.value), int(one.count), float(one.spread)) == (7.0, 1, 0.0)


def test_the_sigma_rule():
    # three valid members with a sigma (0.5, 1, 2), one without: RMS^2 = 5.25 / 3, n = 4
    want = math.sqrt(5.25 / 3 / 4)
    assert float(area.summarise(VALUES, uncertainty.MEAN, SIGMAS).sigma) == pytest.approx(want)
    factor = math.sqrt(math.pi * 4 / (2 * (4 + 1.4)))  # the median of 4: c = 1.4
    assert float(area.summarise(VALUES, uncertainty.MEDIAN, SIGMAS).sigma) == pytest.approx(want * factor)
    assert float(area.summarise(VALUES, uncertainty.MEAN, 2.0).sigma) == pytest.approx(1.0)  # a constant: 2 / sqrt(4)
    assert np.isnan(area.summarise(VALUES, uncertainty.MEAN).sigma)  # no sigma given: unknown, never zero
    assert np.isnan(area.summarise(VALUES, uncertainty.MEAN, np.full(5, np.nan)).sigma)
    # one rule, one place: point gridding keeps its names for it
    assert point_grid.aggregate_sigma is uncertainty.aggregate_sigma
    assert point_grid.median_factor is uncertainty.median_factor
    assert float(uncertainty.median_factor(2)) == 1.0
    with pytest.raises(ValueError, match="unknown statistic"):
        area.summarise(VALUES, 7)


def test_an_all_nodata_area():
    g = grid()
    data = np.full((8, 10), np.nan)
    east = np.full((8, 10), 0.6)
    east[0, 1] = 0.8
    got = area.sample(area.around_point(g, 10.0, 95.0, 6.0), Window(data), uncertainty.MEDIAN, 0.5,
                      Look(east, 0.0, 0.8))  # fmt: skip
    assert int(got.count) == 0
    assert np.isnan([got.value, got.spread, got.sigma]).all()
    # the geometry is known where the value is not: the look vector of the whole area
    want = area.unit_vector(0.7, 0.0, 0.8)
    assert got.s == pytest.approx(tuple(float(c) for c in want))


def test_the_look_vector_is_the_mean_of_the_members_unit_vectors_renormalised():
    s = area.mean_unit_vector([np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.0, 0.0])])
    assert s == pytest.approx((math.sqrt(0.5), math.sqrt(0.5), 0.0))
    assert math.fsum(c * c for c in s) == pytest.approx(1.0)
    # members with an unknown component are left out; ``use`` picks members
    e, n, u = np.array([1.0, 0.0, 0.6]), np.array([0.0, np.nan, 0.0]), np.array([0.0, 1.0, 0.8])
    assert area.mean_unit_vector([e, n, u]) == pytest.approx(tuple(float(c) for c in area.unit_vector(0.8, 0, 0.4)))
    assert area.mean_unit_vector([e, n, u], np.array([False, True, True])) == pytest.approx((0.6, 0.0, 0.8))
    # a constant is its own mean, exactly
    assert area.mean_unit_vector([0.6, 0.0, 0.8], np.array([True, True])) == (0.6, 0.0, 0.8)
    assert all(math.isnan(c) for c in area.mean_unit_vector([e, n, u], np.zeros(3, bool)))
    # the renormalisation: arrays or scalars, NaN where the length is 0 or unknown
    out = area.unit_vector(np.array([3.0, 0.0, np.nan]), np.array([0.0, 0.0, 1.0]), np.array([4.0, 0.0, 1.0]))
    assert np.allclose(out[0][:1], 0.6) and np.allclose(out[2][:1], 0.8)
    assert np.isnan([out[0][1:], out[1][1:], out[2][1:]]).all()


def test_sample_reads_only_the_window_and_uses_the_valid_pixels():
    g = grid()
    data = np.arange(80, dtype=np.float32).reshape(8, 10)
    data[3, 4] = np.nan
    sig = np.full((8, 10), 2.0)
    east = np.zeros((8, 10))
    east[2:5, 3:6] = 1.0
    east[3, 4] = -50.0  # the nodata pixel's look vector is not used
    reader, sigmas = Window(data), Window(sig)
    a = area.around_point(g, 45.0, 65.0, 10.0)  # the centre of (3, 4) and its four neighbours
    got = area.sample(a, reader, uncertainty.MEAN, sigmas, Look(east, 0.0, np.ones((8, 10))))
    assert reader.asked == sigmas.asked == [a.window] == [(3, 2, 3, 3)]
    members = [24.0, 33.0, 35.0, 44.0]
    assert int(got.count) == 4 and float(got.value) == np.mean(members)
    assert float(got.spread) == pytest.approx(np.std(members))
    assert float(got.sigma) == pytest.approx(2.0 / 2.0)
    assert got.s == pytest.approx((math.sqrt(0.5), 0.0, math.sqrt(0.5)))


def test_sample_areas_with_and_without_an_area():
    g = grid()
    data = np.arange(80, dtype=np.float64).reshape(8, 10)
    areas = [area.around_point(g, 5.0, 95.0, 0.0), None, area.around_point(g, 45.0, 65.0, 10.0)]
    got = area.sample_areas(iter(areas), Window(data), uncertainty.MEDIAN, look=Look(0.6, 0.0, 0.8))
    assert got.count.tolist() == [1, 0, 5]
    assert got.value[0] == 0.0 and np.isnan(got.value[1]) and got.value[2] == 34.0
    assert got.s[0].tolist()[0] == 0.6 and np.isnan(got.s[0][1])


def test_a_stack_is_sampled_band_by_band_in_one_windowed_read(tmp_path):
    """The time-series case: every band (date) of a window in one read, one number per band,
    the same as the band sampled alone."""
    rng = np.random.default_rng(3)
    stack = rng.normal(size=(4, 8, 10)).astype(np.float32)
    stack[1, 2:5, 2:5] = np.nan  # a date without data around the point
    stack[2, 3, 3] = np.nan
    path = str(tmp_path / "stack.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 10, 8, 4, gdal.GDT_Float32)
    ds.SetGeoTransform(GT)
    ds.SetProjection(utm_wkt())
    for k in range(4):
        ds.GetRasterBand(k + 1).WriteArray(stack[k])
    ds = None
    g = grid()
    a = area.around_point(g, 35.0, 65.0, 10.0)
    counted = Window(stack)
    got = area.sample(a, counted, uncertainty.MEDIAN)
    assert counted.asked == [a.window]
    assert got.count.tolist() == [5, 0, 4, 5]
    reader = StackReader(path, [1, 2, 3, 4], g, "nearest")
    try:
        many = area.sample_areas([a, None], reader, uncertainty.MEDIAN)
    finally:
        reader.close()
    assert many.value.shape == (2, 4) and many.count[0].tolist() == [5, 0, 4, 5]
    for k in range(4):
        alone = GridReader(RasterRef(path, k + 1, "band"), g, "nearest")
        try:
            one = area.sample(a, alone, uncertainty.MEDIAN)
        finally:
            alone.close()
        same = [float(one.value), float(one.spread)]
        assert np.array_equal([many.value[0, k], many.spread[0, k]], same, equal_nan=True)
        assert np.array_equal([got.value[k], got.spread[k]], same, equal_nan=True)
    assert np.isnan(many.value[1]).all() and (many.count[1] == 0).all()
