"""The plugin's GDAL-only NetCDF-CF / Zarr v2 writer (core.io.series_store, what
losdecomp:export_timeseries runs) gives stores xarray reads: dims, CF time, values, grid."""

import datetime

import numpy as np
import pytest
from osgeo import gdal

from insar_decomposition.core.io import series_store
from insar_decomposition.core.io.products.timeseries import band_dates


@pytest.mark.parametrize("ext", [".nc", ".zarr"])
def test_xarray_reads_a_store_the_plugin_wrote(stacks, tmp_path, ext):
    import xarray as xr

    out = str(tmp_path / f"asc{ext}")
    assert series_store.export(stacks["asc"], out)["variable"] == "los"
    ds = xr.open_zarr(out) if ext == ".zarr" else xr.open_dataset(out)
    assert ds["los"].dims == ("time", "y", "x")
    epochs = list(band_dates(stacks["asc"]).values())
    assert [datetime.date.fromisoformat(str(t)[:10]) for t in ds["time"].values] == epochs
    src = gdal.Open(stacks["asc"])
    expected = src.ReadAsArray().astype(np.float32)
    got = ds["los"].values
    assert np.array_equal(np.isnan(got), np.isnan(expected)) and np.nanmax(np.abs(got - expected)) == 0.0
    gt = src.GetGeoTransform()
    assert np.allclose(ds["x"].values, gt[0] + (np.arange(src.RasterXSize) + 0.5) * gt[1])
    assert np.allclose(ds["y"].values, gt[3] + (np.arange(src.RasterYSize) + 0.5) * gt[5])
    assert ds["los"].attrs.get("grid_mapping", ds["los"].encoding.get("grid_mapping")) == "spatial_ref"
    assert "crs_wkt" in ds["spatial_ref"].attrs
