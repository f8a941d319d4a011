"""losdecomp:merge_frames in core, known answers: a smooth field cut into three overlapping
frames per viewing direction, each given an offset and a ramp; the merged frame equals the
field up to the fixed frame's correction, and the decomposition of merged frames has no step
at the frames' edges."""

import json

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band
from insar_decomposition.core.conventions.errors import FrameError
from insar_decomposition.core.conventions.schema import ROLE_ENU, TAG_ROLE
from insar_decomposition.core.io.model import PRODUCTS
from insar_decomposition.core.plan import decompose
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine, merge_frames
from insar_decomposition.core.solve import frames as solver

EPSG = 32611
PIXEL = 100.0
X0, Y0 = 400_000.0, 3_900_000.0
WIDTH, HEIGHT = 300, 140
NOISE = 0.2  # mm/year
ASC, DESC = (348.0, 34.0), (192.0, 39.0)
#: Columns of the three frames (end exclusive): 30 and 40 pixel overlaps.
SPANS = ((0, 120), (90, 210), (170, 300))
#: Offset (mm/year) and ramps (mm/year per km east and north) added to each frame.
ERRORS = ((0.0, 0.0, 0.0), (5.0, 0.08, -0.05), (-3.0, -0.04, 0.06))


def field(x, y):
    """East, north, up velocity (mm/year): a bowl and a shear zone, smooth over the scene."""
    cx, cy = X0 + 150 * PIXEL, Y0 - 70 * PIXEL
    r2 = ((x - cx) ** 2 + (y - cy) ** 2) / 4e6**1
    up = -12.0 * np.exp(-r2 / 2.0)
    east = 6.0 * np.tanh((y - cy) / 3000.0)
    return east, 0.0 * x, up


def centres(cols, rows):
    return X0 + (cols + 0.5) * PIXEL, Y0 - (rows + 0.5) * PIXEL


def frame_value(x, y, k, heading_incidence, errors=ERRORS):
    s = scene.los_unit_vector(*heading_incidence)
    e, n, u = field(x, y)
    offset, gx, gy = errors[k]
    c0, c1 = SPANS[k]
    xc, yc = X0 + 0.5 * (c0 + c1) * PIXEL, Y0 - 0.5 * HEIGHT * PIXEL
    return s[0] * e + s[1] * n + s[2] * u + offset + gx * (x - xc) / 1000.0 + gy * (y - yc) / 1000.0


def write_frames(folder, heading_incidence, tag, noise=NOISE, errors=ERRORS, spans=SPANS, geometry_bands=True):
    """Three GeoTIFF frames with their LOS unit vector as role bands and a sigma band."""
    paths, rng = [], np.random.default_rng(len(tag))
    s = scene.los_unit_vector(*heading_incidence)
    for k, (c0, c1) in enumerate(spans):
        rows, cols = np.mgrid[0:HEIGHT, c0:c1]
        x, y = centres(cols, rows)
        v = frame_value(x, y, k, heading_incidence, errors) + rng.normal(0, noise, x.shape)
        bands = [v, np.full(x.shape, max(noise, 0.1))]
        if geometry_bands:
            bands += [np.full(x.shape, c) for c in s]
        path = str(folder / f"{tag}_frame{k + 1}.tif")
        gt = (X0 + c0 * PIXEL, PIXEL, 0.0, Y0, 0.0, -PIXEL)
        md = {"INSAR_UNIT": "mm/year", "INSAR_LOS_SIGN": "toward"}
        if not geometry_bands:
            md.update({"INSAR_HEADING": str(heading_incidence[0]), "INSAR_INCIDENCE": str(heading_incidence[1])})
        scene.write_raster(path, np.stack(bands).astype(np.float32), EPSG, gt, metadata=md)
        ds = gdal.Open(path, gdal.GA_Update)
        roles = ["velocity", "velocity_std"] + (list(ROLE_ENU) if geometry_bands else [])
        for b, role in enumerate(roles, start=1):
            ds.GetRasterBand(b).SetMetadataItem(TAG_ROLE, role)
        ds = None
        paths.append(path)
    return paths


def merge(paths, out, model=solver.PLANE, fixed=1, **kw):
    frames = [TrackInput(f"frame {k + 1}", p) for k, p in enumerate(paths)]
    req = merge_frames.MergeRequest(frames, str(out), model=model, fixed_frame=fixed, **kw)
    return merge_frames.run(merge_frames.plan(req))


def expected(heading_incidence, fixed=0):
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    x, y = centres(cols, rows)
    return frame_value(x, y, fixed, heading_incidence)


def test_merged_frames_equal_the_field_up_to_the_fixed_frame(tmp_path):
    paths = write_frames(tmp_path, ASC, "asc")
    summary = merge(paths, tmp_path / "merged.tif")
    merged = read_band(summary.outputs[merge_frames.MERGED])
    assert merged.shape == (HEIGHT, WIDTH)  # the union of the frames, on the first frame's lattice
    err = merged - expected(ASC)
    rms = float(np.sqrt(np.nanmean(err**2)))
    print(f"\nsynthetic merge: RMS {rms:.3f} mm/yr, max |error| {np.nanmax(np.abs(err)):.3f} (noise {NOISE})")
    print("\n".join(summary.lines))
    assert rms < 1.5 * NOISE and np.nanmax(np.abs(err)) < 7 * NOISE
    # the reported offsets: what was added to each frame at its centre, the opposite of the error
    # given, within their fit sigmas (the centre lies beyond the overlaps: the plane extrapolates)
    for k, (offset, *_), in enumerate(ERRORS):
        assert abs(summary.offsets[k] + offset) <= 4 * summary.offset_sigmas[k] + 1e-9
        assert summary.offset_sigmas[k] < 0.1
    assert summary.fit.rms_before > 3 and summary.fit.rms_after < 1.5 * NOISE * np.sqrt(2)
    ramp = summary.fit.params[1, 1] * 1000.0  # per metre -> per km
    assert ramp == pytest.approx(-ERRORS[1][1], abs=0.01)
    ds = gdal.Open(summary.outputs[merge_frames.MERGED])
    roles = [ds.GetRasterBand(b).GetMetadataItem(TAG_ROLE) for b in range(1, ds.RasterCount + 1)]
    assert roles == ["velocity", "velocity_std", *ROLE_ENU]
    info = json.loads(ds.GetMetadataItem(merge_frames.TAG_FRAMES))
    assert info["fixed_frame"] == 1 and len(info["frames"]) == 3


def test_offsets_only_and_another_fixed_frame(tmp_path):
    errors = ((1.0, 0, 0), (4.0, 0, 0), (-2.0, 0, 0))
    paths = write_frames(tmp_path, DESC, "desc", errors=errors, geometry_bands=False)
    summary = merge(paths, tmp_path / "m.tif", model=solver.OFFSET, fixed=2)
    assert summary.offsets == pytest.approx([3.0, 0.0, 6.0], abs=0.05)
    merged = read_band(summary.outputs[merge_frames.MERGED])
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    assert np.nanmax(np.abs(merged - frame_value(*centres(cols, rows), 1, DESC, errors))) < 5 * NOISE


def _edge_steps(values, edges):
    """|jump| across each frame edge column beyond the local gradient, row by row (max)."""
    out = []
    for c in edges:
        jump = values[:, c] - values[:, c - 1]
        slope = 0.5 * ((values[:, c - 1] - values[:, c - 2]) + (values[:, c + 1] - values[:, c]))
        out.append(float(np.nanmax(np.abs(np.nanmedian(jump - slope)))))
    return out


def test_decomposition_of_merged_frames_has_no_step_at_the_edges(tmp_path):
    outs = {}
    for tag, hi in (("asc", ASC), ("desc", DESC)):
        outs[tag] = merge(write_frames(tmp_path, hi, tag), tmp_path / f"{tag}.tif").outputs[merge_frames.MERGED]
        naive = write_frames(tmp_path, hi, f"naive{tag}")
    east, up = tmp_path / "east.tif", tmp_path / "up.tif"
    req = decompose.Request([TrackInput("ascending", outs["asc"]), TrackInput("descending", outs["desc"])],
                            {PRODUCTS[0]: str(east), PRODUCTS[1]: str(up)})  # fmt: skip
    engine.run(decompose.plan(req).job)
    edges = [SPANS[1][0], SPANS[0][1], SPANS[2][0], SPANS[1][1]]
    for path in (east, up):
        steps = _edge_steps(read_band(str(path)), edges)
        print(f"\n{path.name}: |step| at the frame edges {', '.join(f'{s:.3f}' for s in steps)} mm/yr")
        assert max(steps) < NOISE
    # the frames stitched without correction show the steps the merge removes
    stitched = np.full((HEIGHT, WIDTH), np.nan)
    for k, p in enumerate(naive):
        stitched[:, SPANS[k][0] : SPANS[k][1]] = read_band(p)
    assert min(_edge_steps(stitched, [SPANS[1][0], SPANS[2][0]])) > 2.0


def test_a_frame_overlapping_no_other_is_refused_by_index_and_path(tmp_path):
    spans = ((0, 100), (90, 180), (200, 300))
    paths = write_frames(tmp_path, ASC, "gap", spans=spans)
    with pytest.raises(FrameError, match=r"frame 3 \(frame 3: .*gap_frame3.tif\) overlaps no other"):
        merge(paths, tmp_path / "never.tif")
    assert not (tmp_path / "never.tif").exists()


def test_frames_of_both_directions_are_refused(tmp_path):
    paths = write_frames(tmp_path, ASC, "a")[:2] + write_frames(tmp_path, DESC, "d")[2:]
    with pytest.raises(FrameError, match="frame 3 .* one viewing direction"):
        merge(paths, tmp_path / "never.tif")


def test_solver_offsets_from_overlaps_exactly():
    # two frames, overlap values differ by 2.5: the second frame gets -2.5 when the first is fixed
    normals = solver.Normals([(0.0, 0.0), (10.0, 0.0)], solver.OFFSET)
    x = np.linspace(4, 6, 50)
    normals.add(0, 1, x, 0 * x, np.zeros(50), np.full(50, 2.5))
    fit = solver.solve(normals, 0, ["a", "b"])
    assert fit.params[:, 0] == pytest.approx([0.0, -2.5])
    assert fit.rms_before == pytest.approx(2.5) and fit.rms_after == pytest.approx(0.0, abs=1e-9)
