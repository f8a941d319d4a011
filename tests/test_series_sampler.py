"""The time-series sampler (core/samplers/series.py): known per-date values at a pixel, on a
pixel edge, near the raster edge, on nodata, with a radius, then a reference, then a zero
date; only the window around the point is read."""

import datetime

import numpy as np
import pytest
from osgeo import gdal, osr
from series_stacks import DATES, GT, HOLE, centre, decomposed_pair, truth, utm_wkt, write_stack

from insar_decomposition.core.conventions.errors import ReferenceAreaError, TimeSeriesError
from insar_decomposition.core.io import reader
from insar_decomposition.core.samplers import series as ts

gdal.UseExceptions()


@pytest.fixture
def stack(tmp_path):
    return ts.open_layer(write_stack(tmp_path / "asc.tif", truth()))


def at(layer, x, y, radius=0.0, wkt=None, **kw):
    return ts.sample_series(layer, ts.Target(wkt or layer.grid.crs_wkt, x, y, radius), **kw)


def test_a_pixel_gives_its_values_date_by_date(stack):
    s = at(stack, *centre(2, 6))
    np.testing.assert_allclose(s.value, truth()[:, 2, 6], rtol=1e-6)
    assert s.dates == DATES and stack.name == "asc" and s.unit == "mm"
    assert list(s.count) == [1] * 6 and list(s.spread) == [0.0] * 6
    assert np.isnan(s.sigma).all()  # no sigma stack: empty


def test_a_point_on_a_pixel_edge_belongs_to_the_pixel_after_it(stack):
    x, y = GT[0] + 3 * GT[1], GT[3] + 2 * GT[5]  # corner of (row 2, col 3)
    np.testing.assert_allclose(at(stack, x, y).value, truth()[:, 2, 3], rtol=1e-6)


def test_near_the_raster_edge_the_radius_takes_the_pixels_on_the_raster(stack):
    x, y = centre(7, 9)
    s = at(stack, x, y, radius=10.0)  # (7, 9), (6, 9), (7, 8): the others are off the raster
    t = truth().astype(np.float32).astype(np.float64)  # as stored
    block = np.stack([t[:, 7, 9], t[:, 6, 9], t[:, 7, 8]], axis=-1)
    np.testing.assert_allclose(s.value, np.median(block, axis=-1), rtol=1e-6)
    assert list(s.count) == [3] * 6
    mad = np.median(np.abs(block - np.median(block, axis=-1, keepdims=True)), axis=-1)
    np.testing.assert_allclose(s.spread, 1.4826 * mad, rtol=1e-5)


def test_nodata_gives_no_value(stack):
    s = at(stack, *centre(*HOLE))
    assert not s.valid.any() and list(s.count) == [0] * 6


def test_off_the_raster_is_none(stack):
    assert at(stack, GT[0] - 1.0, GT[3] - 1.0) is None


def test_radius_statistic_then_reference_then_zero(stack):
    x, y = centre(5, 2)
    s = at(stack, x, y, radius=10.0)
    t = truth()
    block = np.stack([t[:, 5, 2], t[:, 4, 2], t[:, 6, 2], t[:, 5, 1], t[:, 5, 3]], axis=-1)
    med = np.median(block, axis=-1)
    ref = ts.reference_values(stack, ts.Target(stack.grid.crs_wkt, *centre(0, 0)))
    np.testing.assert_allclose(ref, t[:, 0, 0], rtol=1e-6)
    rel = ts.referenced(s, ref)
    when = DATES[2] + datetime.timedelta(days=3)  # a quarter of the way to the next date
    zero = ts.zeroed(rel, when)
    expected = med - t[:, 0, 0]
    expected = expected - (0.75 * expected[2] + 0.25 * expected[3])
    np.testing.assert_allclose(zero.value, expected, atol=1e-5)
    assert list(zero.count) == [5] * 6


def test_a_reference_area_is_the_median_of_its_valid_pixels_date_by_date(stack):
    x0, y0 = GT[0], GT[3]
    wkt = f"POLYGON(({x0} {y0},{x0 + 30} {y0},{x0 + 30} {y0 - 20},{x0} {y0 - 20},{x0} {y0}))"
    ref = ts.reference_values(stack, ts.Target(stack.grid.crs_wkt, polygon_wkt=wkt))
    np.testing.assert_allclose(ref, np.median(truth()[:, 0:2, 0:3].reshape(6, -1), axis=-1), rtol=1e-6)


def test_a_polygon_target_has_its_median_and_envelope(stack):
    x0, y0 = GT[0] + 20, GT[3] - 20
    wkt = f"POLYGON(({x0} {y0},{x0 + 40} {y0},{x0 + 40} {y0 - 40},{x0} {y0 - 40},{x0} {y0}))"
    s = ts.sample_series(stack, ts.Target(stack.grid.crs_wkt, polygon_wkt=wkt), envelope=True)
    block = truth()[:, 2:6, 2:6].reshape(6, -1)  # holds the hole: 15 valid pixels
    np.testing.assert_allclose(s.value, np.nanmedian(block, axis=-1), rtol=1e-6)
    np.testing.assert_allclose(s.low, np.nanpercentile(block, 5, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(s.high, np.nanpercentile(block, 95, axis=-1), rtol=1e-5)
    assert list(s.count) == [15] * 6


def test_the_reference_off_the_layer_and_a_date_outside_its_span_are_refused(stack):
    with pytest.raises(ReferenceAreaError, match="asc: the reference"):
        ts.reference_values(stack, ts.Target(stack.grid.crs_wkt, 0.0, 0.0))
    with pytest.raises(TimeSeriesError, match="asc: REFERENCE_DATE 2019-12-31 is outside"):
        ts.check_reference_date(stack, datetime.date(2019, 12, 31))
    ts.check_reference_date(stack, DATES[-1])


def test_a_point_in_another_crs_is_taken_to_the_layer_crs(stack):
    geo = osr.SpatialReference()
    geo.ImportFromEPSG(4326)
    geo.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    utm = osr.SpatialReference(wkt=utm_wkt())
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(utm, geo).TransformPoint(*centre(4, 7))
    s = at(stack, lon, lat, wkt=geo.ExportToWkt())
    np.testing.assert_allclose(s.value, truth()[:, 4, 7], rtol=1e-6)


def test_a_layer_without_dates_is_refused_by_name(tmp_path):
    path = write_stack(tmp_path / "velocity.tif", truth(), dated=False)
    with pytest.raises(TimeSeriesError, match="velocity: has no dated band"):
        ts.open_layer(path)


def test_a_sigma_stack_of_the_same_run_is_paired_and_sampled(tmp_path):
    value, sigma = decomposed_pair(tmp_path)
    layers = ts.pair_sigmas([ts.open_layer(value), ts.open_layer(sigma)])
    assert [la.name for la in layers] == ["up"] and layers[0].sigma_path == sigma
    s = at(layers[0], *centre(1, 1))
    np.testing.assert_allclose(s.sigma, 0.5 + 0.1 * np.arange(6), rtol=1e-6)


def test_a_sigma_stack_alone_is_a_layer_of_its_own(tmp_path):
    _, sigma = decomposed_pair(tmp_path)
    layers = ts.pair_sigmas([ts.open_layer(sigma)])
    assert layers[0].is_sigma and layers[0].name == "sigma_up"


def test_only_the_window_around_the_point_is_read(stack, monkeypatch):
    asked = []
    original = reader.StackReader.read

    def spy(self, col, row, ncols, nrows):
        asked.append((ncols, nrows, len(self.bands)))
        return original(self, col, row, ncols, nrows)

    monkeypatch.setattr(reader.StackReader, "read", spy)
    at(stack, *centre(4, 4), radius=10.0)
    assert asked == [(3, 3, 6)]  # every band, one 3 x 3 window
