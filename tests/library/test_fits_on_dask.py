"""losdecomp velocity and fit-time-functions on a LocalCluster of 2 give the in-process numbers
bit for bit (each chunk is a whole number of the core's windows, each fitted as in process),
the same band descriptions, units and metadata, the same log counts; bad input leaves nothing."""

import datetime
import os

import numpy as np
import pytest
from osgeo import gdal
from test_bad_input import damaged_stack

from conftest import run_cli
from synthetic_scene import CENTRE, TRUTH_EPSG, write_raster

#: 280 x 300 pixels: the core's windows are 256 x 256, so four of them, four chunks of 256.
HEIGHT, WIDTH, DATES = 280, 300, 36
STEP = "2021-06-15"


def make_gappy_stack(path, seed=7):
    """A dated LOS stack (mm) with a velocity, an annual term, a step, an exponential after it,
    noise, and gaps: 15 % of pixel-dates missing at random, and in a corner every date before
    the step but one missing (the step is dropped there), a strip with no data at all."""
    rng = np.random.default_rng(seed)
    dates = [datetime.date(2021, 1, 3) + datetime.timedelta(days=12 * k) for k in range(DATES)]
    t = np.array([(d - dates[0]).days / 365.25 for d in dates])[:, None, None]
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    vel = 5.0 + 0.02 * xx - 0.01 * yy
    after = (np.array(dates) >= datetime.date.fromisoformat(STEP))[:, None, None]
    tau = 60 / 365.25
    t_step = (datetime.date.fromisoformat(STEP) - dates[0]).days / 365.25
    exp = np.where(after, 1 - np.exp(-np.clip(t - t_step, 0, None) / tau), 0.0)
    data = vel * t + 3 * np.sin(2 * np.pi * t) + after * (8.0 + 0.01 * yy) + 4.0 * exp
    data = data + rng.normal(0, 0.8, data.shape)
    data[rng.random(data.shape) < 0.15] = np.nan
    before = ~after[:, 0, 0]
    data[np.flatnonzero(before)[1:], :40, :50] = np.nan  # one acquisition before the step: dropped there
    data[:, 100:104, :] = np.nan
    gt = (CENTRE[0], 100.0, 0.0, CENTRE[1], 0.0, -100.0)
    write_raster(path, data.astype(np.float32), TRUTH_EPSG, gt, float("nan"), unit="mm")
    ds = gdal.Open(path, gdal.GA_Update)
    for i, d in enumerate(dates, start=1):
        ds.GetRasterBand(i).SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None
    return path


@pytest.fixture(scope="module")
def gappy(tmp_path_factory):
    return make_gappy_stack(str(tmp_path_factory.mktemp("gappy") / "stack.tif"))


def described(path):
    ds = gdal.Open(str(path))
    bands = [ds.GetRasterBand(b) for b in range(1, ds.RasterCount + 1)]
    meta = {k: v for k, v in ds.GetMetadata().items() if k != "INSAR_SIGMA_FILE"}  # each names its own sigma
    return (meta, [(b.GetDescription(), b.GetUnitType(), b.GetMetadata(), repr(b.GetNoDataValue()))
                               for b in bands], ds.GetGeoTransform(), ds.GetProjection())  # fmt: skip


def assert_identical(a, b):
    """Same values bit for bit (NaN where NaN), same descriptions, units, metadata, grid; COGs."""
    da, db = gdal.Open(str(a)), gdal.Open(str(b))
    va, vb = da.ReadAsArray(), db.ReadAsArray()
    assert va.shape == vb.shape and np.isfinite(va).any()
    assert np.array_equal(va, vb, equal_nan=True), f"{b}: max difference {np.nanmax(np.abs(va - vb))}"
    assert described(a) == described(b)
    for ds in (da, db):
        assert ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"


def dropped_lines(err):
    return sorted(line for line in err.splitlines() if "dropped at" in line)


def test_velocity_on_a_local_cluster_equals_in_process(gappy, tmp_path):
    common = ["velocity", "--input", gappy, "--step-dates", STEP, "--model", "1"]
    status, _, err = run_cli(*common, "--output", tmp_path / "v.tif", "--output-sigma", tmp_path / "s.tif")
    assert status == 0, err
    status, out, dask_err = run_cli(*common, "--output", tmp_path / "dv.tif", "--output-sigma", tmp_path / "ds.tif",
                                    "--scheduler", "local:2", "--chunks", "200")  # fmt: skip
    assert status == 0, dask_err
    assert "rounded up to 256 x 256" in dask_err
    assert_identical(tmp_path / "v.tif", tmp_path / "dv.tif")
    assert_identical(tmp_path / "s.tif", tmp_path / "ds.tif")
    assert gdal.Open(str(tmp_path / "dv.tif")).GetMetadataItem("INSAR_SIGMA_FILE") == "ds.tif"
    lines = dropped_lines(err)
    assert lines == dropped_lines(dask_err) and len(lines) == 1
    assert int(lines[0].split("dropped at ")[1].split()[0]) >= 1500  # the corner's 40 x 50 pixels, most fitted
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == ["sigma", "velocity"]
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []


def test_velocity_with_a_chunk_failing_on_a_worker_leaves_nothing(gappy, tmp_path):
    bad = damaged_stack(gappy, str(tmp_path / "damaged.tif"))
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = run_cli("velocity", "--input", bad, "--output", out / "v.tif", "--output-sigma", out / "s.tif",
                             "--scheduler", "local:2", "--chunks", "16")  # fmt: skip
    assert status == 1, err
    assert "no output written" in err and "damaged.tif" in err
    assert os.listdir(out) == []


def test_velocity_of_a_missing_file_is_refused_before_any_work(tmp_path):
    status, out, err = run_cli("velocity", "--input", tmp_path / "nowhere.tif", "--output", tmp_path / "v.tif",
                               "--scheduler", "local:2")  # fmt: skip
    assert status == 1 and out == ""
    assert "no output written" in err and "nowhere.tif" in err
    assert os.listdir(tmp_path) == []


FIT = ["fit-time-functions", "--polynomial", "2", "--periods", "1", "--step-dates", STEP, "--exp", f"{STEP}:60"]


def log_lines(err):
    return sorted(line for line in err.splitlines() if ": dropped at " in line or "AR(1) variance factor" in line)


@pytest.mark.parametrize("uncertainty", ["2", "1"])
def test_fit_time_functions_on_a_local_cluster_equals_in_process(gappy, tmp_path, uncertainty):
    import xarray as xr

    common = [*FIT, "--input", gappy, "--uncertainty", uncertainty, "--bootstrap-count", "20"]
    written = ["--output", tmp_path / "p.tif", "--output-residual-rms", tmp_path / "r.tif", "--output-model",
               tmp_path / "m.tif", "--output-residuals", tmp_path / "e.tif"]  # fmt: skip
    status, _, err = run_cli(*common, *written)
    assert status == 0, err
    status, out, dask_err = run_cli(*common, "--output", tmp_path / "dp.tif", "--output-residual-rms",
                                    tmp_path / "dr.tif", "--output-model", tmp_path / "dm.tif", "--output-residuals",
                                    tmp_path / "de.zarr", "--scheduler", "local:2", "--chunks", "256")  # fmt: skip
    assert status == 0, dask_err
    for name in ("p", "r", "m"):
        assert_identical(tmp_path / f"{name}.tif", tmp_path / f"d{name}.tif")
    residuals = xr.open_zarr(tmp_path / "de.zarr")["residuals"]
    core = gdal.Open(str(tmp_path / "e.tif"))
    assert np.array_equal(residuals.values, core.ReadAsArray(), equal_nan=True)
    assert [str(t)[:10].replace("-", "") for t in residuals["time"].values] == [
        core.GetRasterBand(b).GetMetadataItem("INSAR_DATE") for b in range(1, core.RasterCount + 1)]  # fmt: skip
    lines = log_lines(err)
    assert lines == log_lines(dask_err) and len(lines) == 2 + (uncertainty == "2")  # step, exp (, AR(1))
    step = [line for line in lines if line.startswith("step20210615: dropped at ")]
    assert len(step) == 1 and int(step[0].split("dropped at ")[1].split()[0]) >= 1500  # the corner's 40 x 50
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == ["model", "parameters", "residual_rms",
                                                                          "residuals"]  # fmt: skip
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []


def test_fit_time_functions_with_a_chunk_failing_on_a_worker_leaves_nothing(gappy, tmp_path):
    bad = damaged_stack(gappy, str(tmp_path / "damaged.tif"))
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = run_cli(*FIT, "--input", bad, "--output", out / "p.tif", "--output-model", out / "m.nc",
                             "--output-residuals", out / "e.zarr", "--scheduler", "local:2")  # fmt: skip
    assert status == 1, err
    assert "no output written" in err and "damaged.tif" in err
    assert os.listdir(out) == []


@pytest.mark.parametrize("asked, words", [
    (["--output", "p.zarr"], "p.zarr: the parameters output is a single raster, written as a COG: give a .tif path"),
    (["--output", "p.tif", "--output-model", "m.nc"], "m.nc: in process the model output is a dated GeoTIFF"),
])  # fmt: skip
def test_a_store_where_a_fit_writes_a_geotiff_is_refused_in_words(gappy, tmp_path, asked, words):
    asked = [a if a.startswith("--") else tmp_path / a for a in asked]
    status, out, err = run_cli(*FIT, "--input", gappy, *asked)
    assert status == 1 and out == "" and words in err
    assert os.listdir(tmp_path) == []
