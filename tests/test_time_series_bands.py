"""Dates of time-series bands, read by the product registry from band items or descriptions."""

import datetime
import itertools

import numpy as np
import pytest
from osgeo import gdal

from insar_decomposition.core.conventions import dates
from insar_decomposition.core.io import products

D = datetime.date
WGS84 = gdal.osr.SRS_WKT_WGS84_LAT_LONG


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20210304", D(2021, 3, 4)),
        ("2021-03-04", D(2021, 3, 4)),
        ("D20210304", D(2021, 3, 4)),
        ("2021-03-04T23:59:59Z", D(2021, 3, 4)),  # the time of day is dropped
        ("20210304T235959", D(2021, 3, 4)),
        ("20211304", None),
        ("velocity", None),
        ("", None),
    ],
)
def test_dates_are_calendar_days(text, expected):
    assert dates.parse(text) == expected


def test_years_are_of_365_25_days():
    assert dates.years_between(D(2020, 1, 1), D(2021, 1, 1)) == pytest.approx(366 / 365.25)


def write_stack(path, names, items=True):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 4, 3, len(names), gdal.GDT_Float32)
    ds.SetGeoTransform((0, 1, 0, 3, 0, -1))
    ds.SetProjection(WGS84)
    for i, name in enumerate(names, start=1):
        band = ds.GetRasterBand(i)
        band.WriteArray(np.full((3, 4), float(i), np.float32))
        if items:
            band.SetMetadataItem("INSAR_DATE", name)
        else:
            band.SetDescription(name)
    ds = None
    return str(path)


@pytest.mark.parametrize("items", [True, False])
def test_a_stack_says_its_dates(tmp_path, items):
    names = ["20200101", "20200113", "2020-01-25"] if not items else ["20200101", "20200113", "20200125"]
    md = products.read(write_stack(tmp_path / "ts.tif", names, items))
    assert md.dates.value == {1: D(2020, 1, 1), 2: D(2020, 1, 13), 3: D(2020, 1, 25)}


def test_a_single_band_raster_is_no_time_series(tmp_path):
    assert products.read(write_stack(tmp_path / "one.tif", ["20200101"])).dates is None


def test_the_registry_lists_the_files_a_product_reads_beside_it(shared_data):
    frame = shared_data / "naf_licsbas" / "014A_04939_131313"
    found = [p.rsplit("/", 1)[-1] for p in products.siblings(str(frame / "vel.geo.tif"))]
    assert found == ["E.geo.tif", "N.geo.tif", "U.geo.tif", "vstd.geo.tif"]
    assert products.track_label(str(frame / "vel.geo.tif")) == "014A_04939_131313"


@pytest.mark.parametrize("interleave", ["PIXEL", "BAND"])
@pytest.mark.parametrize("tiled", ["YES", "NO"])
def test_a_stack_reader_gives_every_band_of_a_window_as_the_band_readers_do(tmp_path, interleave, tiled):
    from insar_decomposition.core.io.grid import Grid, raster_info
    from insar_decomposition.core.io.model import RasterRef
    from insar_decomposition.core.io.reader import GridReader, StackReader

    rng = np.random.default_rng(5)
    data = rng.normal(size=(6, 300, 520)).astype(np.float32)
    data[2, 10:20, 30:40] = -9999.0
    path = str(tmp_path / "stack.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 520, 300, 6, gdal.GDT_Float32,
                                              [f"TILED={tiled}", f"INTERLEAVE={interleave}"])  # fmt: skip
    ds.SetGeoTransform((1000.0, 10.0, 0.0, 5000.0, 0.0, -10.0))
    ds.SetProjection(WGS84)
    for i in range(6):
        ds.GetRasterBand(i + 1).SetNoDataValue(-9999.0)
        ds.GetRasterBand(i + 1).WriteArray(data[i])
    ds = None
    own = raster_info(path).grid()
    shifted = Grid(own.crs_wkt, (900.0, 10.0, 0.0, 5100.0, 0.0, -10.0), 300, 200)  # partly outside the raster
    warped = Grid(own.crs_wkt, (1003.0, 7.0, 0.0, 4998.0, 0.0, -7.0), 200, 150)
    bands = [2, 3, 5]
    for grid in (own, shifted, warped):
        stack = StackReader(path, bands, grid, scale=2.0)
        singles = [GridReader(RasterRef(path, b, scale=2.0), grid) for b in bands]
        for win in ((0, 0, 256, 256), (256, 0, grid.width - 256, 100), (10, 5, 40, 30)):
            if win[0] + win[2] > grid.width or win[1] + win[3] > grid.height or win[2] <= 0:
                continue
            expected = np.stack([r.read(*win) for r in singles])
            got = stack.read(*win)
            if grid is not warped:
                np.testing.assert_array_equal(got, expected)
                continue
            # warped: every band in one pass, each masked by its own nodata. Where a band's
            # resampling kernel meets its nodata, the single-band warp leaves the pixel out
            # when the nearest source pixel is nodata; the stack weighs the valid neighbours
            both = np.isfinite(got) & np.isfinite(expected)
            np.testing.assert_array_equal(got[both], expected[both])
            differ = np.isnan(got) != np.isnan(expected)
            assert not differ[[0, 2]].any() and np.isnan(expected[differ]).all()
            _, rows, cols = np.nonzero(differ)
            x = (grid.geotransform[0] + grid.geotransform[1] * (win[0] + cols + 0.5) - 1000.0) / 10.0
            y = (5000.0 - grid.geotransform[3] - grid.geotransform[5] * (win[1] + rows + 0.5)) / 10.0
            assert ((x > 29) & (x < 41) & (y > 9) & (y < 21)).all()  # at the edge of band 3's hole
        stack.close()
        for r in singles:
            r.close()


def bilinear_by_hand(data, x, y):
    """One band's bilinear value at source pixel coordinates (x, y) (pixel centres at
    i + 0.5): the valid ones of the four neighbours, weighted; None off the raster or
    with no valid neighbour."""
    rows, cols = data.shape
    if not (0 <= x < cols and 0 <= y < rows):
        return None
    i, j = int(np.floor(x - 0.5)), int(np.floor(y - 0.5))
    fx, fy = x - 0.5 - i, y - 0.5 - j
    total = weight = 0.0
    for di, dj, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        if w > 0 and 0 <= i + di < cols and 0 <= j + dj < rows and np.isfinite(data[j + dj, i + di]):
            total += w * float(data[j + dj, i + di])
            weight += w
    return total / weight if weight > 0 else None


@pytest.mark.parametrize("nodata", [float("nan"), -9999.0])
def test_a_stack_shifted_by_a_fraction_of_a_pixel_is_resampled_as_gdal_warps_it(tmp_path, nodata):
    """Same CRS and pixel size, another origin (two geocoded tracks): the stack reader's own
    bilinear resampling, with holes, scattered nodata and the grid partly outside the
    raster. The same pixels are valid as in GDAL's warp; the values are bilinear by hand,
    and GDAL's inside the raster (near its edge GDAL 3.10 widens its kernel, 3.6 and 3.13
    do not)."""
    from osgeo import osr

    from insar_decomposition.core.io.grid import Grid
    from insar_decomposition.core.io.reader import StackReader, warped_vrt

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    rng = np.random.default_rng(8)
    data = rng.normal(size=(4, 120, 150)).astype(np.float32)
    data[1, 10:20, 30:40] = nodata
    data[2, rng.random((120, 150)) < 0.05] = nodata
    path = str(tmp_path / "stack.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 150, 120, 4, gdal.GDT_Float32, ["TILED=YES"])
    ds.SetGeoTransform((1000.0, 10.0, 0.0, 5000.0, 0.0, -10.0))
    ds.SetProjection(srs.ExportToWkt())
    for i in range(4):
        ds.GetRasterBand(i + 1).SetNoDataValue(nodata)
        ds.GetRasterBand(i + 1).WriteArray(data[i])
    ds = None
    clean = np.where(data == nodata, np.nan, data)
    cases = (((1003.3, 4991.7), (160, 110)), ((996.0, 5002.5), (160, 110)), ((1000.0, 4996.0), (160, 110)),
             ((1003.3, 4991.7), (100, 80)))  # fmt: skip
    for (origin, size), bands in itertools.product(cases, ([2, 3, 4], [4])):  # [4]: no nodata in any block
        grid = Grid(srs.ExportToWkt(), (origin[0], 10.0, 0.0, origin[1], 0.0, -10.0), *size)
        stack = StackReader(path, bands, grid, scale=2.0)
        assert stack._shift is not None  # resampled here, not by GDAL
        src = gdal.Open(path)
        gdal_warp = warped_vrt(src, bands, grid, "bilinear")
        inside = origin[0] >= 1000 and origin[1] <= 5000 and origin[0] + 10 * size[0] <= 2500
        for win in ((0, 0) + size, (37, 11, 50, 60)):
            ours = stack.read(*win)
            theirs = 2.0 * gdal_warp.ReadAsArray(*win).astype(np.float32).reshape(ours.shape)
            np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
            if inside:
                np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
        for k, band in enumerate(bands):
            for r, c in zip(rng.integers(0, win[3], 40), rng.integers(0, win[2], 40)):
                x = (origin[0] + 10.0 * (win[0] + c + 0.5) - 1000.0) / 10.0
                y = (5000.0 - origin[1] + 10.0 * (win[1] + r + 0.5)) / 10.0
                want = bilinear_by_hand(clean[band - 1], x, y)
                if want is None:
                    assert np.isnan(ours[k, r, c])
                else:
                    assert ours[k, r, c] == pytest.approx(2.0 * want, rel=1e-5, abs=1e-5)
        assert np.isnan(ours[0]).any() or inside or bands == [4]
        gdal_warp = src = None
        stack.close()
    # another resampling goes through GDAL's warper
    assert StackReader(path, [2], grid, resampling="cubic")._vrt is not None
