"""The read-ahead/write-behind pipeline: windows written in order, every stage's error
raised once nothing runs in the background any more, cancel; and the stack runs built on
it (velocity, east/up time series) leaving nothing behind when cancelled or when the stack
turns out damaged half-way."""

import datetime
import os
import threading
import time

import numpy as np
import pytest
from osgeo import gdal

from insar_decomposition.core.io import pipeline
from insar_decomposition.core.io.reader import ReadError
from insar_decomposition.core.plan.decompose import Request
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import timeseries_decomp_run as tsr
from insar_decomposition.core.runs import velocity_run as vr

WINDOWS = list(range(12))


class Recorder:
    """Stages that record which thread ran them and whether another stage overlapped."""

    def __init__(self, fail_at=None):
        self.fail_at = fail_at or {}
        self.written, self.threads, self.busy = [], {}, 0
        self.max_busy = 0
        self.lock = threading.Lock()

    def _stage(self, name, win):
        with self.lock:
            self.threads.setdefault(name, set()).add(threading.get_ident())
            self.busy += 1
            self.max_busy = max(self.max_busy, self.busy)
        time.sleep(0.005)
        with self.lock:
            self.busy -= 1
        if self.fail_at.get(name) == win:
            raise RuntimeError(f"{name} failed at {win}")

    def read(self, win):
        self._stage("read", win)
        return win * 10

    def compute(self, win, data):
        self._stage("compute", win)
        return data + 1

    def write(self, win, result):
        self._stage("write", win)
        self.written.append((win, result))


def test_every_window_is_written_in_order_with_the_stages_overlapping():
    r = Recorder()
    progress = []
    pipeline.overlapped(WINDOWS, r.read, r.compute, r.write, progress.append)
    assert r.written == [(w, w * 10 + 1) for w in WINDOWS]
    assert progress[-1] == 1.0 and progress == sorted(progress) and len(progress) == len(WINDOWS)
    assert r.threads["compute"] == {threading.get_ident()}
    assert all(len(r.threads[s]) == 1 and r.threads[s] != r.threads["compute"] for s in ("read", "write"))
    assert r.max_busy >= 2  # reading ahead and writing behind really ran beside the computation


@pytest.mark.parametrize("stage", ["read", "compute", "write"])
@pytest.mark.parametrize("at", [0, 5, 11])
def test_an_error_in_any_stage_is_raised_after_the_background_stages_stop(stage, at):
    r = Recorder(fail_at={stage: at})
    with pytest.raises(RuntimeError, match=f"{stage} failed at {at}"):
        pipeline.overlapped(WINDOWS, r.read, r.compute, r.write)
    assert r.busy == 0  # nothing still runs once the error reaches the caller
    written = [w for w, _ in r.written]
    assert written == list(range(len(written)))  # in order, with no gap
    assert all(w < at for w in written)  # nothing at or after the failed window


def test_cancel_stops_before_the_next_window():
    r = Recorder()
    asked = []

    def is_cancelled():
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(pipeline.Cancelled):
        pipeline.overlapped(WINDOWS, r.read, r.compute, r.write, is_cancelled=is_cancelled)
    written = [w for w, _ in r.written]
    assert r.busy == 0 and written == list(range(len(written))) and len(written) <= 3  # the fourth never computed


def test_no_window_is_no_work():
    r = Recorder()
    pipeline.overlapped([], r.read, r.compute, r.write)
    assert r.written == [] and r.threads == {}


# --- the runs built on it ----------------------------------------------------------------

GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)


def write_stack(path, n_epochs, start, heading, size=600):
    """A tiled float32 stack big enough for several windows, linear in time."""
    ds = gdal.GetDriverByName("GTiff").Create(str(path), size, size, n_epochs, gdal.GDT_Float32,
                                              ["TILED=YES", "INTERLEAVE=BAND", "COMPRESS=DEFLATE"])  # fmt: skip
    ds.SetGeoTransform(GT)
    srs = gdal.osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetMetadata({"INSAR_HEADING": str(heading), "INSAR_INCIDENCE": "38", "INSAR_UNIT": "mm"})
    rate = np.linspace(-10, 10, size * size, dtype=np.float32).reshape(size, size)
    for i in range(n_epochs):
        d = start + datetime.timedelta(days=12 * i)
        band = ds.GetRasterBand(i + 1)
        band.SetNoDataValue(float("nan"))
        band.WriteArray(rate * np.float32(12 * i / 365.25))
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None
    return str(path)


def damage(path):
    """Garbage over the middle of the compressed tiles: the file opens (wherever GDAL put
    its directory), and the tiles there fail to decompress when read."""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size * 2 // 5)
        f.write(b"\xff" * (size // 5))


@pytest.fixture()
def stacks(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    asc = write_stack(inputs / "asc.tif", 20, datetime.date(2020, 1, 1), 348.0)
    desc = write_stack(inputs / "desc.tif", 20, datetime.date(2020, 1, 5), 192.0)
    out = tmp_path / "out"
    out.mkdir()
    return asc, desc, out


def velocity_job(path, out):
    return vr.plan(vr.VelocityRequest(path, None, None, 0, [], {vr.VELOCITY: str(out / "v.tif"),
                                                                vr.SIGMA: str(out / "s.tif")}))  # fmt: skip


def timeseries_job(asc, desc, out):
    tracks = [TrackInput("ascending", asc, time_series=True), TrackInput("descending", desc, time_series=True)]
    return tsr.plan(tsr.TimeSeriesRequest(Request(tracks=tracks, outputs={"horizontal": str(out / "e.tif"),
                                                                          "up": str(out / "u.tif")})))  # fmt: skip


def cancel_on(call):
    asked = []

    def is_cancelled():
        asked.append(1)
        return len(asked) >= call

    return is_cancelled


@pytest.mark.parametrize("which", ["velocity", "timeseries"])
def test_a_cancelled_stack_run_leaves_nothing(stacks, which):
    asc, desc, out = stacks
    job = velocity_job(asc, out) if which == "velocity" else timeseries_job(asc, desc, out)
    run = vr.run if which == "velocity" else tsr.run
    with pytest.raises(pipeline.Cancelled):
        run(job, is_cancelled=cancel_on(3))
    assert os.listdir(out) == []


@pytest.mark.parametrize("which", ["velocity", "timeseries"])
def test_a_stack_damaged_half_way_gives_a_read_error_naming_it_and_no_output(stacks, which):
    asc, desc, out = stacks
    job = velocity_job(asc, out) if which == "velocity" else timeseries_job(asc, desc, out)
    damage(asc)  # after planning
    run = vr.run if which == "velocity" else tsr.run
    with pytest.raises(ReadError, match="asc.tif"):
        run(job)
    assert os.listdir(out) == []
