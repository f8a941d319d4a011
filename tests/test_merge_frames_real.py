"""Real data: the NAF ascending LiCSBAS frame cut into three overlapping crops, each given an
offset and a ramp, merged back (frame 1 fixed: it carries no error); and the merged frame
decomposed with the descending frame shows no step at the crops' edges."""

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band
from insar_decomposition.core.conventions.schema import ROLE_ENU, TAG_ROLE
from insar_decomposition.core.io.model import PRODUCTS
from insar_decomposition.core.plan import decompose
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine, merge_frames

ASC, DESC = "014A_04939_131313", "094D_04913_101213"
#: Columns of the crops (end exclusive) of the 354 x 268 frame: 40 and 50 pixel overlaps.
CROPS = ((0, 140), (100, 250), (200, 354))
#: Offset (mm/yr) and ramps (mm/yr per degree east and north) added to each crop.
ERRORS = ((0.0, 0.0, 0.0), (4.0, 1.5, -1.0), (-6.0, -2.0, 1.0))


def _crops(folder, data):
    src = {name: gdal.Open(str(data / ASC / f"{name}.geo.tif")) for name in ("vel", "vstd", "E", "N", "U")}
    gt = src["vel"].GetGeoTransform()
    paths = []
    for k, (c0, c1) in enumerate(CROPS):
        arrays = {name: ds.ReadAsArray(c0, 0, c1 - c0, ds.RasterYSize).astype(np.float64) for name, ds in src.items()}
        rows, cols = np.mgrid[0 : arrays["vel"].shape[0], c0:c1]
        lon, lat = gt[0] + (cols + 0.5) * gt[1], gt[3] + (rows + 0.5) * gt[5]
        offset, gx, gy = ERRORS[k]
        vel = arrays["vel"] + offset + gx * (lon - lon.mean()) + gy * (lat - lat.mean())
        stack = np.stack([vel, arrays["vstd"], arrays["E"], arrays["N"], arrays["U"]]).astype(np.float32)
        path = str(folder / f"crop{k + 1}" / "vel.geo.tif")  # LiCSBAS frames all load as vel.geo
        (folder / f"crop{k + 1}").mkdir()
        scene.write_raster(path, stack, 4326, (gt[0] + c0 * gt[1], gt[1], 0, gt[3], 0, gt[5]),
                           metadata={"INSAR_UNIT": "mm/year", "INSAR_LOS_SIGN": "toward"})  # fmt: skip
        ds = gdal.Open(path, gdal.GA_Update)
        for b, role in enumerate(["velocity", "velocity_std", *ROLE_ENU], start=1):
            ds.GetRasterBand(b).SetMetadataItem(TAG_ROLE, role)
        ds = None
        paths.append(path)
    return paths


def test_naf_crops_merged_equal_the_frame(shared_data, tmp_path):
    paths = _crops(tmp_path, shared_data / "naf_licsbas")
    frames = [TrackInput(f"crop {k + 1}", p) for k, p in enumerate(paths)]
    summary = merge_frames.run(merge_frames.plan(merge_frames.MergeRequest(frames, str(tmp_path / "merged.tif"))))
    merged = read_band(summary.outputs[merge_frames.MERGED])
    original = read_band(shared_data / "naf_licsbas" / ASC / "vel.geo.tif")
    assert merged.shape == original.shape
    err = merged - original
    both = np.isfinite(err)
    rms, worst = float(np.sqrt(np.mean(err[both] ** 2))), float(np.max(np.abs(err[both])))
    print(f"\nNAF {ASC}: {both.sum()} pixels, merged - original RMS {rms:.3f} mm/yr, max {worst:.3f} mm/yr")
    print("\n".join(summary.lines))
    assert both.sum() >= 0.999 * np.isfinite(original).sum()  # a pixel without a valid sigma has no weight
    assert rms < 0.3 and worst < 1.5  # against 4-6 mm/yr offsets and ramps of 1-2 mm/yr per degree
    for k, (offset, *_) in enumerate(ERRORS):
        assert summary.offsets[k] == pytest.approx(-offset, abs=0.3)
    east, up = tmp_path / "east.tif", tmp_path / "up.tif"
    tracks = [TrackInput("ascending", summary.outputs[merge_frames.MERGED]),
              TrackInput("descending", str(shared_data / "naf_licsbas" / DESC / "vel.geo.tif"))]  # fmt: skip
    engine.run(decompose.plan(decompose.Request(tracks, {PRODUCTS[0]: str(east), PRODUCTS[1]: str(up)})).job)
    grid = gdal.Open(str(up)).GetGeoTransform()
    src = gdal.Open(paths[0]).GetGeoTransform()
    for path in (east, up):
        values = read_band(path)
        steps = []
        for edge in (CROPS[1][0], CROPS[0][1], CROPS[2][0], CROPS[1][1]):
            c = int(round((src[0] + edge * src[1] - grid[0]) / grid[1]))
            if 2 <= c < values.shape[1] - 1:
                jump = values[:, c] - values[:, c - 1]
                slope = 0.5 * ((values[:, c - 1] - values[:, c - 2]) + (values[:, c + 1] - values[:, c]))
                steps.append(abs(float(np.nanmedian(jump - slope))))
        print(f"{path.name}: |median step| at the crop edges {', '.join(f'{s:.3f}' for s in steps)} mm/yr")
        # the merged frame equals the original to float precision: these steps are the signal's own
        assert steps and max(steps) < 0.5
