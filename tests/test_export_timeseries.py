"""losdecomp:export_timeseries and core.io.series_store: a dated stack written to NetCDF-CF and
Zarr v2 by GDAL only, then read back as a dated stack (same values, dates, CRS, geotransform),
and the plugin's own time-series run taking a store read back; bad paths refused with no
output left."""

import datetime
import os

import numpy as np
import pytest
from osgeo import gdal, osr

import synthetic_scene as scene
from conftest import run_logged
from insar_decomposition.core.io import series_store
from insar_decomposition.core.io.products.timeseries import band_dates
from insar_decomposition.core.runs import velocity_run

GT = (500100.0, 100.0, 0.0, 4100000.0, 0.0, -50.0)
SHAPE = (33, 70)  # not a multiple of the windows, rectangular pixels
EPOCHS = [datetime.date(2020, 1, 5) + datetime.timedelta(days=12 * k + (k > 3)) for k in range(9)]


def write_stack(path, quantity="up displacement", sigma=False):
    rng = np.random.default_rng(3)
    stack = rng.normal(0, 10, (len(EPOCHS),) + SHAPE).astype(np.float32)
    stack[2, 5:9, 10:20] = np.nan
    stack[:, 0, 0] = -9999.0
    scene.write_raster(str(path), stack, 32611, GT, -9999.0, {"LOSDECOMP_UNIT": "mm"}, "mm")
    ds = gdal.Open(str(path), gdal.GA_Update)
    for i, d in enumerate(EPOCHS, start=1):
        band = ds.GetRasterBand(i)
        band.SetMetadata({"INSAR_DATE": d.strftime("%Y%m%d"), "QUANTITY": quantity,
                          **({"SIGMA_KIND": "propagated"} if sigma else {})})  # fmt: skip
    ds = None
    stack[stack == -9999.0] = np.nan
    return str(path), stack


def assert_same_stack(path, expected):
    ds = gdal.Open(path)
    assert ds.RasterCount == len(EPOCHS)
    got = ds.ReadAsArray()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.nanmax(np.abs(got - expected)) == 0.0
    assert ds.GetGeoTransform() == pytest.approx(GT, abs=1e-6)
    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32611)
    assert osr.SpatialReference(wkt=ds.GetProjection()).IsSame(utm)
    assert list(band_dates(path).values()) == EPOCHS
    assert ds.GetRasterBand(1).GetUnitType() == "mm"


@pytest.mark.parametrize("ext", [".nc", ".zarr"])
def test_a_stack_round_trips_through_a_store(tmp_path, ext):
    src, stack = write_stack(tmp_path / "up.tif")
    out = str(tmp_path / f"series{ext}")
    result = series_store.export(src, out)
    assert result["variable"] == "up" and result["dates"] == EPOCHS
    vrt = series_store.dated_vrt(out, str(tmp_path / "back.vrt"))
    assert_same_stack(vrt, stack)
    if ext == ".nc":  # GDAL's netCDF driver opens the store itself as a dated stack
        assert_same_stack(out, stack)
    assert sorted(os.listdir(tmp_path)) == sorted(["up.tif", f"series{ext}", "back.vrt"])


def test_the_store_is_cf_and_named_after_the_component(tmp_path):
    src, _ = write_stack(tmp_path / "s.tif", "propagated 1-sigma of the east displacement", sigma=True)
    out = str(tmp_path / "s.nc")
    assert series_store.export(src, out)["variable"] == "sigma_east"
    md = gdal.OpenEx(out, gdal.OF_MULTIDIM_RASTER).GetRootGroup()
    var = md.OpenMDArray("sigma_east")
    assert [d.GetName() for d in var.GetDimensions()] == ["time", "y", "x"]
    attrs = gdal.Open(out).GetMetadata()  # every CF attribute, as the netCDF driver lists them
    assert attrs["sigma_east#units"] == "mm" and attrs["sigma_east#grid_mapping"] == "spatial_ref"
    assert attrs["sigma_east#SIGMA_KIND"] == "propagated" and var.GetUnit() == "mm"
    time = md.OpenMDArray("time")
    assert time.GetUnit() == "days since 2020-01-05 00:00:00"
    assert list(time.ReadAsArray()) == [(d - EPOCHS[0]).days for d in EPOCHS]
    crs = {a.GetName(): a.Read() for a in md.OpenMDArray("spatial_ref").GetAttributes()}
    assert crs["grid_mapping_name"] == "transverse_mercator" and "UTM zone 11N" in crs["crs_wkt"]
    assert [float(v) for v in crs["GeoTransform"].split()] == list(GT)


def test_a_store_read_back_feeds_the_velocity_run(tmp_path):
    src, _ = write_stack(tmp_path / "los.tif", "LOS displacement")
    out = str(tmp_path / "los.zarr")
    assert series_store.export(src, out)["variable"] == "los"
    vrt = series_store.dated_vrt(out, str(tmp_path / "los.vrt"))
    results = {}
    for name, path in (("tif", src), ("zarr", vrt), ("nc", series_store.export(src, str(tmp_path / "l.nc"))["path"])):
        outputs = {velocity_run.VELOCITY: str(tmp_path / f"v_{name}.tif")}
        job = velocity_run.plan(velocity_run.VelocityRequest(path=path, start=None, end=None, model=0, steps=[],
                                                             outputs=outputs))  # fmt: skip
        velocity_run.run(job)
        results[name] = gdal.Open(outputs[velocity_run.VELOCITY]).ReadAsArray()
    for name in ("zarr", "nc"):
        assert np.allclose(results[name], results["tif"], equal_nan=True, atol=0)


def test_bad_paths_are_refused_and_nothing_is_left(tmp_path):
    src, _ = write_stack(tmp_path / "up.tif")
    with pytest.raises(OSError, match=r"must end in \.nc \(NetCDF-CF\) or \.zarr"):
        series_store.export(src, str(tmp_path / "up.h5"))
    with pytest.raises(ValueError, match="variable name '1x'"):
        series_store.export(src, str(tmp_path / "up.nc"), "1x")
    plain = str(tmp_path / "plain.tif")
    scene.write_raster(plain, np.zeros((2,) + SHAPE, np.float32), 32611, GT, float("nan"))
    with pytest.raises(ValueError, match="no band carries a date"):
        series_store.export(plain, str(tmp_path / "p.nc"))
    assert sorted(os.listdir(tmp_path)) == ["plain.tif", "up.tif"]


def test_a_cancelled_export_leaves_no_store(tmp_path):
    from insar_decomposition.core.conventions.errors import Cancelled

    src, _ = write_stack(tmp_path / "up.tif")
    with pytest.raises(Cancelled):
        series_store.export(src, str(tmp_path / "up.zarr"), cancel=lambda: True)
    assert os.listdir(tmp_path) == ["up.tif"]


@pytest.mark.usefixtures("plugin")
def test_the_algorithm_exports_both_formats(tmp_path):
    src, stack = write_stack(tmp_path / "up.tif")
    for ext in (".nc", ".zarr"):
        out = str(tmp_path / f"up{ext}")
        res, log = run_logged("losdecomp:export_timeseries", {"INPUT": src, "OUTPUT": out})
        assert res["OUTPUT"] == out
        assert "variable 'up', 9 dates 2020-01-05" in log
        assert_same_stack(series_store.dated_vrt(out, str(tmp_path / f"b{ext}.vrt")), stack)


@pytest.mark.usefixtures("plugin")
def test_the_algorithm_refuses_another_extension(tmp_path):
    from qgis.core import QgsProcessingException

    src, _ = write_stack(tmp_path / "up.tif")
    with pytest.raises(QgsProcessingException, match=r"\.nc \(NetCDF-CF\) or \.zarr"):
        run_logged("losdecomp:export_timeseries", {"INPUT": src, "OUTPUT": str(tmp_path / "up.h5")})
    assert os.listdir(tmp_path) == ["up.tif"]
