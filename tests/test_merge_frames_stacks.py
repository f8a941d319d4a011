"""losdecomp:merge_frames on time-series stacks: three synthetic stack frames of one direction,
each referenced on its own date by date (a different offset and ramp per frame and per date);
merged on the common dates, the stack equals the field's displacement since the first common
date (frame 1 held fixed), and each date's offsets are recovered."""

import datetime
import json

import numpy as np
import pytest
from osgeo import gdal
from test_merge_frames import ASC, HEIGHT, PIXEL, SPANS, WIDTH, X0, Y0, centres, field

import synthetic_scene as scene
from conftest import read_band, run_logged
from insar_decomposition.core.conventions.errors import FrameError
from insar_decomposition.core.conventions.schema import ROLE_ENU, TAG_DATE, TAG_ROLE
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import merge_frames

NOISE = 0.2  # mm
DATES = [datetime.date(2020, 1, 1) + datetime.timedelta(days=36 * i) for i in range(6)]
EXTRA = datetime.date(2020, 2, 1)  # only frame 2 has it: left out with a warning
RNG = np.random.default_rng(35)
#: per frame, per date: offset (mm) and ramps (mm per km east and north); frame 1 has none
ERRORS = np.concatenate([np.zeros((1, len(DATES), 3)),
                         RNG.normal(0, [8.0, 0.05, 0.05], (2, len(DATES), 3))])  # fmt: skip


def years(d):
    return (d - DATES[0]).days / 365.25


def los_field(x, y):
    s = scene.los_unit_vector(*ASC)
    e, n, u = field(x, y)
    return s[0] * e + s[1] * n + s[2] * u  # mm/yr


def write_stacks(folder, tag="stk", spans=SPANS, extra=True):
    paths = []
    s = scene.los_unit_vector(*ASC)
    for k, (c0, c1) in enumerate(spans):
        rows, cols = np.mgrid[0:HEIGHT, c0:c1]
        x, y = centres(cols, rows)
        xc, yc = X0 + 0.5 * (c0 + c1) * PIXEL, Y0 - 0.5 * HEIGHT * PIXEL
        dates = sorted(DATES + ([EXTRA] if extra and k == 1 else []))
        bands = []
        for d in dates:
            i = DATES.index(d) if d in DATES else 0
            off, gx, gy = ERRORS[k, i] if d in DATES else (50.0, 0.0, 0.0)
            value = los_field(x, y) * years(d) + off + gx * (x - xc) / 1e3 + gy * (y - yc) / 1e3
            bands.append(value + RNG.normal(0, NOISE, x.shape))
        bands += [np.full(x.shape, c) for c in s]
        path = str(folder / f"{tag}_frame{k + 1}.tif")
        gt = (X0 + c0 * PIXEL, PIXEL, 0.0, Y0, 0.0, -PIXEL)
        scene.write_raster(path, np.stack(bands).astype(np.float32), 32611, gt,
                           metadata={"INSAR_UNIT": "mm", "INSAR_LOS_SIGN": "toward"}, unit="mm")  # fmt: skip
        ds = gdal.Open(path, gdal.GA_Update)
        for b, d in enumerate(dates, start=1):
            ds.GetRasterBand(b).SetMetadataItem(TAG_DATE, d.strftime("%Y%m%d"))
            ds.GetRasterBand(b).SetDescription(d.strftime("%Y%m%d"))
        for b, role in enumerate(ROLE_ENU, start=len(dates) + 1):
            ds.GetRasterBand(b).SetMetadataItem(TAG_ROLE, role)
        ds = None
        paths.append(path)
    return paths


def merge(paths, out):
    frames = [TrackInput(f"frame {k + 1}", p) for k, p in enumerate(paths)]
    job = merge_frames.plan(merge_frames.MergeRequest(frames, str(out)))
    return job, merge_frames.run(job)


def test_stacks_merge_date_by_date_on_the_common_dates(tmp_path):
    job, summary = merge(write_stacks(tmp_path), tmp_path / "merged.tif")
    assert job.dates == DATES
    assert any("frame 2" in w and "20200201" in w and "left out" in w for w in job.warnings)
    ds = gdal.Open(summary.outputs[merge_frames.MERGED])
    assert ds.RasterCount == len(DATES) + 3
    assert [ds.GetRasterBand(b + 1).GetMetadataItem(TAG_DATE) for b in range(len(DATES))] == [
        d.strftime("%Y%m%d") for d in DATES
    ]
    assert [ds.GetRasterBand(len(DATES) + b).GetMetadataItem(TAG_ROLE) for b in (1, 2, 3)] == list(ROLE_ENU)
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    x, y = centres(cols, rows)
    for i, d in enumerate(DATES):
        merged = read_band(summary.outputs[merge_frames.MERGED], i + 1)
        rms = float(np.sqrt(np.nanmean((merged - los_field(x, y) * years(d)) ** 2)))
        assert np.isfinite(merged).all() and rms < 1.5 * NOISE * np.sqrt(2), (d, rms)
    # each date's offsets: what was added at each frame's centre, the opposite of the error given
    # there relative to the first date
    for i in range(len(DATES)):
        for k in range(3):
            want = -(ERRORS[k, i, 0] - ERRORS[k, 0, 0])
            assert abs(summary.offsets[i][k] - want) <= 4 * summary.offset_sigmas[i][k] + 0.02, (i, k)
    assert summary.rms_before > 3 and summary.rms_after < 1.5 * NOISE * 2
    info = json.loads(ds.GetMetadataItem(merge_frames.TAG_FRAMES))
    assert [e["date"] for e in info["dates"]] == [d.strftime("%Y%m%d") for d in DATES]
    lines = "\n".join(summary.lines)
    second, last = DATES[1].strftime("%Y%m%d"), DATES[-1].strftime("%Y%m%d")
    assert f"{second}: frame 2" in lines and f"{last}: frame 3" in lines and "20200101: the first common" in lines


def test_stacks_and_velocities_together_are_refused(tmp_path):
    from test_merge_frames import write_frames

    paths = write_stacks(tmp_path)[:2] + write_frames(tmp_path, ASC, "vel")[2:]
    with pytest.raises(FrameError, match="frame 3 .*is a velocity, frame 1 is not"):
        merge(paths, tmp_path / "never.tif")
    assert not (tmp_path / "never.tif").exists()


def test_stacks_without_a_common_date_are_refused(tmp_path):
    paths = write_stacks(tmp_path)
    ds = gdal.Open(paths[2], gdal.GA_Update)
    for b in range(1, len(DATES) + 1):
        ds.GetRasterBand(b).SetMetadataItem(TAG_DATE, f"2021{b:02d}01")
        ds.GetRasterBand(b).SetDescription(f"2021{b:02d}01")
    ds = None
    with pytest.raises(FrameError, match="no date in common: .*frame 3 .*20210101 to 20210601"):
        merge(paths, tmp_path / "never.tif")


def test_merge_frames_algorithm_on_stacks(plugin, tmp_path):
    out = str(tmp_path / "m.tif")
    result, log = run_logged("losdecomp:merge_frames", {"INPUTS": write_stacks(tmp_path), "OUTPUT": out})
    groups = result["OFFSETS"].split(";")
    assert len(groups) == len(DATES) and all(len(g.split(",")) == 3 for g in groups)
    assert "WARNING: frame 2" in log and result["RMS_AFTER"] < 1.0 < result["RMS_BEFORE"]
