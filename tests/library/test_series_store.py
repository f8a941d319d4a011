"""The plugin's GDAL-only NetCDF-CF / Zarr v2 writer (core.io.series_store, what
losdecomp:export_timeseries runs) gives stores xarray reads: dims, CF time, values, grid."""

import datetime
import os

import numpy as np
import pytest
from osgeo import gdal

from insar_decomposition.cli import stores
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


def _cog_source(tmp_path):
    src = str(tmp_path / "src.tif")
    ds = gdal.GetDriverByName("GTiff").Create(src, 8, 8, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((0, 1, 0, 8, 0, -1))
    ds.GetRasterBand(1).WriteArray(np.ones((8, 8), np.float32))
    ds = None
    return src


def test_outputs_placed_together_leave_all_or_none(tmp_path):
    """Two outputs of one run: a failure after the first is complete leaves neither (nor a
    hidden file); without a failure both are renamed into place when the block ends."""
    src = _cog_source(tmp_path)
    east, up = str(tmp_path / "east.tif"), str(tmp_path / "up.tif")
    with pytest.raises(RuntimeError, match="the second mosaic failed"):
        with stores.placed_together() as placement:
            stores.to_cog(src, east, placement)
            assert not os.path.exists(east)  # complete, but under a hidden name until the block ends
            raise RuntimeError("the second mosaic failed")
    assert sorted(os.listdir(tmp_path)) == ["src.tif"]
    with stores.placed_together() as placement:
        stores.to_cog(src, east, placement)
        stores.to_cog(src, up, placement)
    assert sorted(os.listdir(tmp_path)) == ["east.tif", "src.tif", "up.tif"]
    assert stores.is_cog(east) and stores.is_cog(up)
