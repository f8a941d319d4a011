"""The block engine on synthetic rasters: grids, warping, nodata, outputs, atomicity."""

import os

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io import model
from insar_decomposition.core.io.grid import GridError, common_grid, raster_info, resolution_in_metres
from insar_decomposition.core.io.model import RasterRef
from insar_decomposition.core.io.reader import GridReader
from insar_decomposition.core.runs import engine


def const_geom(h, t, side=geometry.RIGHT):
    return model.ConstantGeometry(*geometry.from_heading_incidence(h, t, side), source="test")


def make_job(paths, tmp_path, grid=None, resolution=0.0, **kw):
    infos = [raster_info(paths["asc"]), raster_info(paths["desc"])]
    grid = grid or common_grid(infos, resolution=resolution)
    tracks = [
        model.TrackSpec("ascending", RasterRef(paths["asc"]), const_geom(**_hi(scene.ASC))),
        model.TrackSpec("descending", RasterRef(paths["desc"]), const_geom(**_hi(scene.DESC))),
    ]
    outputs = {model.HORIZONTAL: str(tmp_path / "east.tif"), model.UP: str(tmp_path / "up.tif")}
    outputs.update(kw.pop("outputs", {}))
    return model.Job(tracks=tracks, grid=grid, outputs=outputs, unit="mm/year", **kw)


def _hi(d):
    return {"h": d["heading"], "t": d["incidence"]}


def test_common_grid_default_is_first_crs_and_coarsest_pixel(scene_paths):
    infos = [raster_info(scene_paths["asc"]), raster_info(scene_paths["desc"])]
    grid = common_grid(infos)
    assert raster_info(scene_paths["asc"]).crs_wkt == grid.crs_wkt
    # desc pixel is 0.0012 deg, about 133 m N-S and 108 m E-W at 36 N: coarser than 100 m;
    # a square pixel of the same diagonal is about 121 m
    assert grid.pixel_size[0] == pytest.approx(121.2, abs=0.5)
    mx, my = resolution_in_metres(grid)
    assert mx == pytest.approx(grid.pixel_size[0])
    # the intersection: smaller than either input
    assert grid.width < 200 and grid.height < 200


def test_decompose_recovers_truth_across_crs_and_pixel_sizes(scene_paths, tmp_path):
    job = make_job(scene_paths, tmp_path, block_pixels=256 * 256)
    summary = engine.run(job)
    east, up = read_band(summary.outputs["horizontal"]), read_band(summary.outputs["up"])
    te, tu = scene.truth_on_grid(summary.outputs["up"])
    ok = np.isfinite(up)
    assert ok.mean() > 0.9
    # bilinear resampling of a smooth field from ~100 m pixels: sub-mm/year errors
    assert np.sqrt(np.nanmean((up - tu) ** 2)) < 0.5
    assert np.sqrt(np.nanmean((east - te) ** 2)) < 0.5
    # a 121 m grid: both tracks are resampled
    assert sorted(summary.warped_inputs) == sorted([scene_paths["asc"], scene_paths["desc"]])
    # holes in either track are holes in the output, not zeros
    assert (~ok).sum() > 100


def test_identical_grids_are_read_without_warping(tmp_path):
    gt = (400000.0, 50.0, 0.0, 4000000.0, 0.0, -50.0)
    e, u = np.full((64, 80), 3.0), np.full((64, 80), -7.0)
    asc = geometry.forward(geometry.from_heading_incidence(348, 34), e, 0, u).astype(np.float32)
    desc = geometry.forward(geometry.from_heading_incidence(192, 39), e, 0, u).astype(np.float32)
    asc[5, 5] = np.nan
    desc[7, 9] = -32768
    paths = {
        "asc": scene.write_raster(str(tmp_path / "a.tif"), asc, 32611, gt, float("nan")),
        "desc": scene.write_raster(str(tmp_path / "d.tif"), desc, 32611, gt, -32768.0),
    }
    job = make_job(paths, tmp_path)
    summary = engine.run(job)
    assert summary.warped_inputs == []
    assert job.grid.geotransform == gt and (job.grid.width, job.grid.height) == (80, 64)
    up = read_band(summary.outputs["up"])
    assert np.isnan(up[5, 5]) and np.isnan(up[7, 9])
    ok = np.isfinite(up)
    np.testing.assert_allclose(up[ok], -7.0, atol=1e-5)
    np.testing.assert_allclose(read_band(summary.outputs["horizontal"])[ok], 3.0, atol=1e-5)


def test_integer_input_with_nodata_and_shifted_grid(tmp_path):
    gt_a = (400000.0, 50.0, 0.0, 4000000.0, 0.0, -50.0)
    gt_d = (400000.0 + 10 * 50.0, 50.0, 0.0, 4000000.0 - 4 * 50.0, 0.0, -50.0)
    s_a, s_d = geometry.from_heading_incidence(348, 34), geometry.from_heading_incidence(192, 39)
    asc = np.round(geometry.forward(s_a, 10.0, 0, -20.0) * np.ones((40, 40))).astype(np.int16)
    desc = np.round(geometry.forward(s_d, 10.0, 0, -20.0) * np.ones((40, 40))).astype(np.int16)
    asc[0:3, :] = -1
    paths = {
        "asc": scene.write_raster(str(tmp_path / "a.tif"), asc, 32611, gt_a, -1),
        "desc": scene.write_raster(str(tmp_path / "d.tif"), desc, 32611, gt_d, -1),
    }
    job = make_job(paths, tmp_path)
    assert (job.grid.width, job.grid.height) == (30, 36)
    summary = engine.run(job)
    assert summary.warped_inputs == []
    up = read_band(summary.outputs["up"])
    # rows 0-2 of the ascending track are nodata; the grid starts 4 rows lower, so all valid
    assert np.isfinite(up).all()
    np.testing.assert_allclose(up, -20.0, atol=1.5)


def test_outputs_carry_nodata_description_units_and_provenance(scene_paths, tmp_path):
    job = make_job(scene_paths, tmp_path, metadata={"LOSDECOMP_TRACKS": "asc, desc"})
    summary = engine.run(job)
    ds = gdal.Open(summary.outputs["up"])
    b = ds.GetRasterBand(1)
    assert np.isnan(b.GetNoDataValue())
    assert b.GetDescription() == "Vertical (up) velocity"
    assert b.GetUnitType() == "mm/year"
    assert b.DataType == gdal.GDT_Float32
    assert ds.GetMetadataItem("LOSDECOMP_TRACKS") == "asc, desc"
    assert ds.GetMetadataItem("LOSDECOMP_PRODUCT") == "up"
    assert ds.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == "ZSTD"
    assert b.GetBlockSize() == [256, 256]
    assert not [f for f in os.listdir(tmp_path) if "partial" in f]


def test_cancel_leaves_nothing(scene_paths, tmp_path):
    calls = []

    def cancel_on_second():
        calls.append(1)
        return len(calls) >= 2

    job = make_job(scene_paths, tmp_path, grid=None, resolution=20.0, block_pixels=256 * 256)
    with pytest.raises(engine.Cancelled):
        engine.run(job, is_cancelled=cancel_on_second)
    assert os.listdir(tmp_path) == []


def test_output_equal_to_input_is_refused(scene_paths, tmp_path):
    job = make_job(scene_paths, tmp_path, outputs={model.UP: scene_paths["asc"]})
    before = open(scene_paths["asc"], "rb").read()
    with pytest.raises(OSError, match="is one of the inputs"):
        engine.run(job)
    assert open(scene_paths["asc"], "rb").read() == before


def test_layers_that_do_not_overlap_are_refused(tmp_path):
    a = scene.write_raster(str(tmp_path / "a.tif"), np.zeros((10, 10), np.float32), 32611, (0, 10, 0, 100, 0, -10))
    d = scene.write_raster(str(tmp_path / "d.tif"), np.zeros((10, 10), np.float32), 32611, (500, 10, 0, 100, 0, -10))
    with pytest.raises(GridError, match="do not overlap"):
        common_grid([raster_info(a), raster_info(d)])


def test_absurd_resolution_is_refused_with_the_size(scene_paths):
    infos = [raster_info(scene_paths["asc"]), raster_info(scene_paths["desc"])]
    with pytest.raises(GridError, match=r"would be \d+ x \d+ pixels"):
        common_grid(infos, resolution=1e-3)


def test_reader_pads_outside_the_raster_with_nan(tmp_path):
    gt = (0.0, 1.0, 0.0, 10.0, 0.0, -1.0)
    path = scene.write_raster(str(tmp_path / "a.tif"), np.ones((10, 10), np.float32), 32611, gt)
    grid = common_grid([raster_info(path)], extent=(-2.0, 0.0, 10.0, 12.0))
    r = GridReader(RasterRef(path), grid)
    assert not r.warped
    block = r.read(0, 0, grid.width, grid.height)
    assert block.shape == (12, 12)
    assert np.isnan(block[:2, :]).all() and np.isnan(block[:, :2]).all()
    assert (block[2:, 2:] == 1).all()
