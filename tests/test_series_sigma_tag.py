"""A decomposed time series names its sigma stack (INSAR_SIGMA_FILE), as losdecomp:velocity
does, so that the sampler (and the inspector) pair them without guessing from
LOSDECOMP_PRODUCT; the guess stays the fallback for files written before."""

import os

import numpy as np
from osgeo import gdal
from series_stacks import decomposed_pair
from test_decompose_timeseries import SHAPE, ts_pair, write_stack  # noqa: F401 (a fixture)

from conftest import run_logged
from insar_decomposition.core.samplers import series as ts

gdal.UseExceptions()


def test_east_and_up_name_their_sigma_outputs_and_the_sampler_finds_them(plugin, ts_pair):  # noqa: F811
    paths, _, _, tmp = ts_pair
    sigma = str(tmp / "sigma.tif")
    write_stack(sigma, np.full((1,) + SHAPE, 2.0), [])
    (tmp / "sig").mkdir()
    res, _ = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"],
                        "ASC_SIGMA": sigma, "DESC_SIGMA": sigma, "OUTPUT_EAST": str(tmp / "e.tif"),
                        "OUTPUT_UP": str(tmp / "u.tif"), "OUTPUT_SIGMA_UP": str(tmp / "sig" / "su.tif"),
                        "OUTPUT_SIGMA_EAST": str(tmp / "se.tif")})  # fmt: skip
    tag = {k: gdal.Open(res[k]).GetMetadataItem("INSAR_SIGMA_FILE") for k in ("OUTPUT_UP", "OUTPUT_EAST")}
    assert tag == {"OUTPUT_UP": os.path.join("sig", "su.tif"), "OUTPUT_EAST": "se.tif"}
    for k in ("OUTPUT_SIGMA_UP", "OUTPUT_SIGMA_EAST"):  # a sigma stack names nothing
        assert gdal.Open(res[k]).GetMetadataItem("INSAR_SIGMA_FILE") is None
    loaded = ts.pair_sigmas([ts.open_layer(res[k], k) for k in ("OUTPUT_UP", "OUTPUT_SIGMA_UP", "OUTPUT_EAST")])
    assert [la.name for la in loaded] == ["OUTPUT_UP", "OUTPUT_EAST"]  # the named sigma is not drawn apart
    up = ts.open_layer(res["OUTPUT_UP"], "up")  # alone: no sigma layer loaded beside it
    assert os.path.samefile(up.sigma_path, res["OUTPUT_SIGMA_UP"]) and "INSAR_SIGMA_FILE" in up.sigma_source
    target = ts.Target(up.grid.crs_wkt, *_centre(up.grid, 1, 2))
    got = ts.sample_series(up, target)
    ds = gdal.Open(res["OUTPUT_SIGMA_UP"])
    sigma_band = np.array([ds.GetRasterBand(b).ReadAsArray()[1, 2] for b in up.sigma_bands])
    np.testing.assert_allclose(got.sigma, sigma_band, rtol=1e-6)
    assert np.isfinite(got.sigma).sum() > len(got.sigma) // 2  # not a NaN column compared with itself


def test_without_the_tag_the_same_runs_sigma_is_still_paired(tmp_path):
    up, sigma = decomposed_pair(tmp_path)
    layers = ts.pair_sigmas([ts.open_layer(up, "up"), ts.open_layer(sigma, "sigma_up")])
    assert [la.name for la in layers] == ["up"] and layers[0].sigma_path == sigma


def test_without_the_tag_the_value_alone_has_no_sigma(tmp_path):
    up, _ = decomposed_pair(tmp_path)
    assert ts.open_layer(up, "up").sigma_path is None


def _centre(grid, row, col):
    x0, dx, _, y0, _, dy = grid.geotransform
    return x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy
