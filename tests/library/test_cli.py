"""losdecomp on Dask gives the plugin's numbers: the same core run (plan + engine, as the
Processing algorithms call it) against the command line with a LocalCluster of 2 workers, on
the demo pair, the NAF frames and a synthetic time-series pair."""

import glob
import os
import shutil
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
from osgeo import gdal

from conftest import run_cli
from insar_decomposition.core.io.model import HORIZONTAL, UP
from insar_decomposition.core.plan.decompose import Request, plan
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine
from insar_decomposition.core.runs import timeseries_decomp_run as run_ts

#: float32 precision of values of at most a few hundred (mm/year, mm)
TOLERANCE = 1e-4


def read(path, band=None):
    ds = gdal.Open(str(path))
    return ds.ReadAsArray() if band is None else ds.GetRasterBand(band).ReadAsArray()


def assert_same(a, b):
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.isfinite(a).sum() > 0.5 * a.size
    assert np.nanmax(np.abs(a - b)) <= TOLERANCE * max(1.0, np.nanmax(np.abs(a)))


def core_decompose(asc, desc, out, sigma=None):
    """The plugin's run: the Request losdecomp:decompose builds, planned and run by the core."""
    tracks = [TrackInput("ascending", asc), TrackInput("descending", desc)]
    outputs = {HORIZONTAL: str(out / "core_e.tif"), UP: str(out / "core_u.tif")}
    summary = engine.run(plan(Request(tracks=tracks, outputs=outputs)).job)
    return summary.outputs


def is_cog(path):
    ds = gdal.Open(str(path))
    return ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"


def hidden_left(folder):
    return [p for p in os.listdir(folder) if p.startswith(".")]


def test_the_distribution_and_its_entry_point_are_installed():
    dist = metadata.distribution("insar-decomposition")
    assert "dask" in (dist.metadata.get_all("Provides-Extra") or [])
    scripts = [e for e in dist.entry_points if e.group == "console_scripts"]
    assert [(e.name, e.value) for e in scripts] == [("losdecomp", "insar_decomposition.cli.main:main")]
    assert shutil.which("losdecomp", path=os.path.dirname(sys.executable))


# The demo's tracks are warped onto the common grid. GDAL >= 3.7 warps a warped VRT's read by
# the window asked (the whole 151 x 150 grid in process, 64-pixel chunks here): 0.24 mm/yr apart
# on GDAL 3.10 until the readers made every warped read block by block (reader.block_warps,
# tests/test_warp_windows.py): the same numbers on every GDAL.
def test_decompose_demo_pair_in_process_and_on_a_local_cluster(scene, tmp_path):
    expected = core_decompose(scene["asc"], scene["desc"], tmp_path)
    pair = ["--ascending", scene["asc"], "--descending", scene["desc"]]
    status, out, err = run_cli("decompose", *pair, "--output-east", tmp_path / "e.tif", "--output-up",
                               tmp_path / "u.tif")  # fmt: skip
    assert status == 0, err
    status, out, err = run_cli("decompose", *pair, "--output-east", tmp_path / "de.tif", "--output-up",
                               tmp_path / "du.tif", "--scheduler", "local:2", "--chunks", "64")  # fmt: skip
    assert status == 0, err
    for key, a, b in ((HORIZONTAL, "e.tif", "de.tif"), (UP, "u.tif", "du.tif")):
        core = read(expected[key])
        assert_same(core, read(tmp_path / a))
        assert_same(core, read(tmp_path / b))
        assert is_cog(tmp_path / a) and is_cog(tmp_path / b)
    ds = gdal.Open(str(tmp_path / "du.tif"))
    assert ds.GetRasterBand(1).GetDescription() == "Vertical (up) velocity"
    assert ds.GetMetadataItem("LOSDECOMP_PRODUCT") == UP
    assert hidden_left(tmp_path) == []


def test_decompose_naf_frames_on_a_local_cluster(shared_data, tmp_path):
    base = shared_data / "naf_licsbas"
    asc, desc = str(base / "014A_04939_131313" / "vel.geo.tif"), str(base / "094D_04913_101213" / "vel.geo.tif")
    expected = core_decompose(asc, desc, tmp_path)
    status, out, err = run_cli("decompose", "--ascending", asc, "--descending", desc, "--output-east",
                               tmp_path / "e.tif", "--output-up", tmp_path / "u.tif", "--scheduler", "local:2",
                               "--chunks", "256")  # fmt: skip
    assert status == 0, err
    assert_same(read(expected[UP]), read(tmp_path / "u.tif"))
    assert_same(read(expected[HORIZONTAL]), read(tmp_path / "e.tif"))


def test_decompose_timeseries_to_zarr_and_netcdf_on_a_local_cluster(stacks, tmp_path):
    import xarray as xr

    tracks = [TrackInput("ascending", stacks["asc"], time_series=True),
              TrackInput("descending", stacks["desc"], time_series=True)]  # fmt: skip
    outputs = {HORIZONTAL: str(tmp_path / "core_e.tif"), UP: str(tmp_path / "core_u.tif")}
    job = run_ts.plan(run_ts.TimeSeriesRequest(base=Request(tracks=tracks, outputs=outputs)))
    run_ts.run(job)
    status, out, err = run_cli("decompose-timeseries", "--ascending", stacks["asc"], "--descending", stacks["desc"],
                               "--output-east", tmp_path / "east.zarr", "--output-up", tmp_path / "up.nc",
                               "--scheduler", "local:2", "--chunks", "24")  # fmt: skip
    assert status == 0, err
    east = xr.open_zarr(tmp_path / "east.zarr")
    up = xr.open_dataset(tmp_path / "up.nc")
    assert east["east"].dims == ("time", "y", "x") and up["up"].dims == ("time", "y", "x")
    assert [str(t)[:10] for t in up["time"].values] == [d.isoformat() for d in job.dates]
    assert up["up"].attrs["grid_mapping"] == "spatial_ref" and "crs_wkt" in up["spatial_ref"].attrs
    assert_same(read(tmp_path / "core_e.tif"), east["east"].values)
    assert_same(read(tmp_path / "core_u.tif"), up["up"].values)
    # QGIS's GDAL reads both, on the same grid
    core = gdal.Open(str(tmp_path / "core_u.tif"))
    nc = gdal.Open(f'NETCDF:"{tmp_path / "up.nc"}":up')
    assert nc.RasterCount == len(job.dates)
    assert np.allclose(nc.GetGeoTransform(), core.GetGeoTransform())
    zarr_band = gdal.Open(f'ZARR:"{tmp_path / "east.zarr"}":/east:2')
    assert np.allclose(zarr_band.GetGeoTransform(), core.GetGeoTransform())
    assert_same(read(tmp_path / "core_e.tif", 3), zarr_band.ReadAsArray())
    assert hidden_left(tmp_path) == []


def test_in_process_timeseries_store_equals_the_core_geotiff(stacks, tmp_path):
    import xarray as xr

    pair = ["--ascending", stacks["asc"], "--descending", stacks["desc"]]
    status, _, err = run_cli("decompose-timeseries", *pair, "--output-east", tmp_path / "e.tif", "--output-up",
                             tmp_path / "u.zarr")  # fmt: skip
    assert status == 0, err
    status, _, err = run_cli("decompose-timeseries", *pair, "--output-east", tmp_path / "e2.nc", "--output-up",
                             tmp_path / "u2.tif")  # fmt: skip
    assert status == 0, err
    assert_same(read(tmp_path / "u2.tif"), xr.open_zarr(tmp_path / "u.zarr")["up"].values)
    assert_same(read(tmp_path / "e.tif"), xr.open_dataset(tmp_path / "e2.nc")["east"].values)
    assert hidden_left(tmp_path) == []


def test_velocity_in_process_writes_a_cog(stacks, tmp_path):
    status, _, err = run_cli("velocity", "--input", stacks["asc"], "--output", tmp_path / "v.tif", "--output-sigma",
                             tmp_path / "s.tif")  # fmt: skip
    assert status == 0, err
    assert is_cog(tmp_path / "v.tif") and is_cog(tmp_path / "s.tif")
    assert np.isfinite(read(tmp_path / "s.tif")).any()


def test_fit_time_functions_in_process_gives_the_core_run_as_cogs(stacks, tmp_path):
    from insar_decomposition.core.runs import time_functions_run as tfr
    from insar_decomposition.core.solve import time_functions as tf

    model = tf.Model(polynomial=2, periods=(0.5,), steps=(tf.parse_date("2021-06-01", "STEP_DATES"),))
    outputs = {tfr.PARAMETERS: str(tmp_path / "core_p.tif"), tfr.MODEL: str(tmp_path / "core_m.tif"),
               tfr.RESIDUAL_RMS: str(tmp_path / "core_r.tif")}  # fmt: skip
    req = tfr.FitRequest(path=stacks["asc"], start=None, end=tf.parse_date("2021-11-20", "END_DATE"), model=model,
                         outputs=outputs, uncertainty=1, bootstrap_count=20)  # fmt: skip
    tfr.run(tfr.plan(req))
    options = ["--end-date", "2021-11-20", "--polynomial", "2", "--periods", "0.5", "--step-dates", "2021-06-01",
               "--uncertainty", "1", "--bootstrap-count", "20"]  # fmt: skip
    written = ["--output", tmp_path / "p.tif", "--output-model", tmp_path / "m.tif", "--output-residual-rms",
               tmp_path / "r.tif"]  # fmt: skip
    status, out, err = run_cli("fit-time-functions", "--input", stacks["asc"], *options, *written)
    assert status == 0, err
    assert "model: polynomial of degree 2, period 0.5 year(s), step 2021-06-01" in err
    for name in ("p", "m", "r"):
        core, cli = gdal.Open(str(tmp_path / f"core_{name}.tif")), gdal.Open(str(tmp_path / f"{name}.tif"))
        assert cli.RasterCount == core.RasterCount > 0 and is_cog(tmp_path / f"{name}.tif")
        assert np.array_equal(cli.ReadAsArray(), core.ReadAsArray(), equal_nan=True)
        assert [cli.GetRasterBand(b).GetDescription() for b in range(1, cli.RasterCount + 1)] == [
            core.GetRasterBand(b).GetDescription() for b in range(1, core.RasterCount + 1)]  # fmt: skip
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == sorted(outputs)
    assert np.isfinite(read(tmp_path / "p.tif", 3)).mean() > 0.5  # band 3: the velocity


def test_a_local_cluster_listens_on_loopback_only():
    import psutil

    from insar_decomposition.cli.dask_run import client_for

    with client_for("local:2") as client:
        info = client.scheduler_info()
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert len(info["workers"]) == 2
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in info["workers"])
        assert client.dashboard_link.startswith("http://127.0.0.1:")
        me = psutil.Process()
        listening = [c.laddr for p in [me] + me.children(recursive=True) for c in p.net_connections("inet")
                     if c.status == psutil.CONN_LISTEN]  # fmt: skip
        assert len(listening) >= 5  # scheduler, dashboard, 2 workers and their nannies
        assert {a.ip for a in listening} == {"127.0.0.1"}


def test_written_metadata_holds_no_scheduler_address(scene, tmp_path):
    status, _, err = run_cli("decompose", "--ascending", scene["asc"], "--descending", scene["desc"],
                             "--output-east", tmp_path / "e.tif", "--output-up", tmp_path / "u.tif",
                             "--scheduler", "local:1")  # fmt: skip
    assert status == 0, err
    text = Path(tmp_path / "u.tif").read_bytes()
    assert b"tcp://" not in text and b"127.0.0.1" not in text and b"scheduler" not in text.lower()
    assert glob.glob(str(tmp_path / ".*")) == []
