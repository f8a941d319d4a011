"""losdecomp:merge_frames, a scientist's review of issue 35: the output grid is the first
frame's lattice (the first frame never resampled), a sigma that is not a positive number is an
unknown sigma (no pixel wiped), the frame without valid overlap pixels is the one named, the
merged sigma says it takes the frames as independent, and frames tagged with different LOS
signs are refused."""

import os

import numpy as np
import pytest
from osgeo import gdal, osr

import synthetic_scene as scene
from insar_decomposition.core.conventions.errors import FrameError
from insar_decomposition.core.conventions.schema import ROLE_ENU, TAG_ROLE
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import merge_frames
from insar_decomposition.core.solve import frames as solver

S = scene.los_unit_vector(348.0, 34.0)
P = 100.0
X0, Y0 = 400_000.0, 3_900_000.0


def field(x, y):
    """A linear LOS field (mm/year): exactly reproduced by bilinear resampling."""
    return 1e-3 * (x - X0) - 2e-3 * (Y0 - y)


def xy(c0, c1, r0, r1, px=P, ox=X0):
    cols, rows = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
    return ox + cols * px, Y0 - rows * px


def frame(folder, name, epsg, gt, v, sigma=None, sign="toward", unit="mm/year"):
    bands = [v] + ([sigma] if sigma is not None else []) + [np.full(v.shape, c) for c in S]
    path = os.path.join(folder, name + ".tif")
    md = {"INSAR_UNIT": unit, "INSAR_LOS_SIGN": sign}
    scene.write_raster(path, np.stack(bands).astype(np.float32), epsg, gt, metadata=md)
    ds = gdal.Open(path, gdal.GA_Update)
    roles = ["velocity"] + (["velocity_std"] if sigma is not None else []) + list(ROLE_ENU)
    for b, role in enumerate(roles, 1):
        ds.GetRasterBand(b).SetMetadataItem(TAG_ROLE, role)
    ds = None
    return path


def merge(folder, paths, model=solver.PLANE, fixed=1, **kw):
    out = os.path.join(folder, "merged.tif")
    frames = [TrackInput(f"f{k + 1}", p) for k, p in enumerate(paths)]
    job = merge_frames.plan(merge_frames.MergeRequest(frames, out, model, fixed, **kw))
    summary = merge_frames.run(job)
    ds = gdal.Open(out)
    return job, summary, ds.ReadAsArray(), ds.GetGeoTransform(), ds


def test_finer_first_frame_keeps_its_pixel_and_origin(tmp_path):
    # frame 1: 50 m pixels, origin 25 m off the 100 m lattice; frame 2: 100 m pixels
    x1, y1 = xy(0, 120, 0, 100, 50.0, X0 + 25)
    x2, y2 = xy(40, 100, 0, 50)
    p1 = frame(tmp_path, "b1", 32611, (X0 + 25, 50.0, 0, Y0, 0, -50.0), field(x1, y1))
    p2 = frame(tmp_path, "b2", 32611, (X0 + 40 * P, P, 0, Y0, 0, -P), field(x2, y2) + 5)
    _, summary, arr, gt, _ = merge(tmp_path, [p1, p2], model=solver.OFFSET)
    assert gt == pytest.approx((X0 + 25, 50.0, 0, Y0, 0, -50.0))
    assert arr.shape[1:] == (100, 200)  # the union: 25 m to 10 000 m east on 50 m pixels
    # the held-fixed first frame is read as is: the merged map equals it where it alone has values
    assert np.array_equal(arr[0, :, :70], field(x1, y1).astype(np.float32)[:, :70])
    assert summary.offsets[1] == pytest.approx(-5.0, abs=5e-3)


def test_first_frame_in_another_crs_is_not_resampled(tmp_path):
    utm, geo = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(32611)
    geo.ImportFromEPSG(4326)
    for srs in (utm, geo):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon0, lat0, _ = osr.CoordinateTransformation(utm, geo).TransformPoint(X0 + 4000, Y0)
    d = 0.001
    lons, lats = np.meshgrid(lon0 + (np.arange(70) + 0.5) * d, lat0 - (np.arange(50) + 0.5) * d)
    pts = np.array(
        osr.CoordinateTransformation(geo, utm).TransformPoints(np.column_stack([lons.ravel(), lats.ravel()]))
    )
    v2 = field(pts[:, 0], pts[:, 1]).reshape(lons.shape) + 5
    x1, y1 = xy(0, 60, 0, 50)
    p1 = frame(tmp_path, "c1", 32611, (X0, P, 0, Y0, 0, -P), field(x1, y1))
    p2 = frame(tmp_path, "c2", 4326, (lon0, d, 0, lat0, 0, -d), v2)
    _, summary, arr, gt, _ = merge(tmp_path, [p1, p2], model=solver.PLANE)
    assert gt[:2] == pytest.approx((X0, P)) and gt[3:] == pytest.approx((Y0, 0, -P))
    assert np.array_equal(arr[0, :50, :35], field(x1, y1).astype(np.float32)[:, :35])
    assert summary.offsets[1] == pytest.approx(-5.0, abs=0.01)  # frame 2 resampled: edge pixels


def test_given_resolution_still_uses_the_common_grid(tmp_path):
    x1, y1 = xy(0, 60, 0, 50)
    x2, y2 = xy(40, 100, 0, 50)
    p1 = frame(tmp_path, "r1", 32611, (X0, P, 0, Y0, 0, -P), field(x1, y1))
    p2 = frame(tmp_path, "r2", 32611, (X0 + 40 * P, P, 0, Y0, 0, -P), field(x2, y2))
    _, _, arr, gt, _ = merge(tmp_path, [p1, p2], model=solver.OFFSET, resolution=200.0)
    assert gt[1] == 200.0 and arr.shape[1:] == (25, 50)


def _two_weighted(tmp_path, sigma1, sigma2):
    x1, y1 = xy(0, 60, 0, 50)
    x2, y2 = xy(40, 100, 0, 50)
    p1 = frame(tmp_path, "s1", 32611, (X0, P, 0, Y0, 0, -P), field(x1, y1), sigma1(x1.shape))
    p2 = frame(tmp_path, "s2", 32611, (X0 + 40 * P, P, 0, Y0, 0, -P), field(x2, y2) + 5, sigma2(x2.shape))
    return [p1, p2]


def test_zero_sigma_is_an_unknown_sigma_not_an_infinite_weight(tmp_path):
    def zero_at_one_overlap_pixel(shape):
        s = np.full(shape, 0.5)
        s[10, 45] = 0.0  # MintPy's velocityStd is 0 at its reference pixel
        return s

    paths = _two_weighted(tmp_path, zero_at_one_overlap_pixel, lambda shape: np.full(shape, 0.5))
    _, summary, arr, _, _ = merge(tmp_path, paths, model=solver.OFFSET)
    xx, yy = xy(0, 100, 0, 50)
    assert np.isfinite(arr[0]).all()
    assert np.nanmax(np.abs(arr[0] - field(xx, yy))) < 1e-3
    assert arr[1][10, 45] == pytest.approx(0.5)  # frame 2's sigma alone there
    assert arr[1][10, 50] == pytest.approx(0.5 / np.sqrt(2))


def test_pixels_without_a_valid_sigma_keep_their_value(tmp_path):
    def zero_outside_the_overlap(shape):
        s = np.full(shape, 0.5)
        s[:, 30:] = 0.0  # frame 2's columns 70 to 99 of the grid: no other frame there
        return s

    paths = _two_weighted(tmp_path, lambda shape: np.full(shape, 0.5), zero_outside_the_overlap)
    _, _, arr, _, _ = merge(tmp_path, paths, model=solver.OFFSET)
    xx, yy = xy(0, 100, 0, 50)
    assert np.isfinite(arr[0]).all()
    assert np.nanmax(np.abs(arr[0] - field(xx, yy))) < 1e-3
    assert np.isnan(arr[1][:, 70:]).all() and np.isfinite(arr[1][:, :70]).all()


def test_merge_solver_ignores_non_positive_weights_only_where_another_frame_has_one():
    values = [np.array([1.0, 1.0, 1.0], np.float32), np.array([3.0, 3.0, np.nan], np.float32)]
    weights = [np.array([np.inf, 1.0, 0.0], np.float32), np.array([4.0, 0.0, 1.0], np.float32)]
    mean, sigma, _ = solver.merge(values, weights)
    assert mean == pytest.approx([3.0, 1.0, 1.0])
    assert sigma[:2] == pytest.approx([0.5, 1.0]) and np.isnan(sigma[2])


def test_the_frame_without_valid_overlap_pixels_is_named(tmp_path):
    paths = []
    for k, (c0, c1) in enumerate([(0, 60), (40, 120), (100, 160)]):
        x, y = xy(c0, c1, 0, 50)
        v = field(x, y) if k != 1 else np.full(x.shape, np.nan)
        paths.append(frame(tmp_path, f"n{k}", 32611, (X0 + c0 * P, P, 0, Y0, 0, -P), v))
    with pytest.raises(FrameError, match=r"frame 2 \(f2: .*n1.tif\) has no valid pixel in its overlaps"):
        merge(tmp_path, paths, model=solver.OFFSET)
    assert not (tmp_path / "merged.tif").exists()


def test_merged_sigma_says_it_takes_the_frames_as_independent(tmp_path):
    paths = _two_weighted(tmp_path, lambda shape: np.full(shape, 0.5), lambda shape: np.full(shape, 0.5))
    *_, ds = merge(tmp_path, paths, model=solver.OFFSET)
    text = ds.GetRasterBand(2).GetDescription()
    assert "independent" in text and "shar" in text
    doc = open(os.path.join(os.path.dirname(__file__), "..", "docs", "uncertainty.md"), encoding="utf-8").read()
    assert "merge_frames" in doc and "share acquisitions" in doc


def test_frames_tagged_with_different_los_signs_are_refused(tmp_path):
    x1, y1 = xy(0, 60, 0, 50)
    x2, y2 = xy(40, 100, 0, 50)
    p1 = frame(tmp_path, "t1", 32611, (X0, P, 0, Y0, 0, -P), field(x1, y1))
    p2 = frame(tmp_path, "t2", 32611, (X0 + 40 * P, P, 0, Y0, 0, -P), -(field(x2, y2) + 5), sign="away")
    with pytest.raises(FrameError, match=r"frame 2 \(f2: .*t2.tif\) says LOS positive away.*frame 1"):
        merge(tmp_path, [p1, p2], model=solver.OFFSET)


def test_the_frame_without_a_known_sigma_in_its_overlaps_is_named(tmp_path):
    paths = _two_weighted(tmp_path, lambda shape: np.full(shape, 0.5), lambda shape: np.full(shape, np.nan))
    with pytest.raises(FrameError, match=r"frame 2 \(f2: .*s2.tif\) has no valid pixel in its overlaps"):
        merge(tmp_path, paths, model=solver.OFFSET)
