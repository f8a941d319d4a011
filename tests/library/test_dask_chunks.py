"""Each chunk of the common grid is read, warped and solved once on the Dask path, however
many outputs and counts are taken from it. dask's graph optimisation fuses the chunk's task
into each consumer (an output's store, the resolved count): the chunk was solved twice, the
main cost of the Dask path in bench/bench_library.py, until the graph was built and run
unoptimised (dask_run.as_built, compute). A time series' chunk was solved once per output
store and once for the count, until its stores were written by dask.array.store instead of
xarray's Delayed (stores.empty_store)."""

import math

import pytest

from insar_decomposition.cli import dask_run, main, options
from insar_decomposition.core.plan.decompose import plan
from insar_decomposition.core.runs import timeseries_decomp_run as run_ts

CALLS = []


class counted:  # noqa: N801 (used as a function)
    """The chunk function, each call's window noted in CALLS (a module-level class: pickled by
    reference, so that the in-process worker appends to this module's list, not a copy)."""

    def __init__(self, real):
        self.real = real

    def __call__(self, job, offsets, what, block_info=None):
        CALLS.append(tuple(map(tuple, block_info[None]["array-location"][1:])))
        return self.real(job, offsets, what, block_info=block_info)


@pytest.fixture
def client():
    from distributed import Client, LocalCluster

    # threads in this process: the counting wrapper is this module's, seen by the worker as is
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        with Client(cluster) as c:
            yield c


def chunks_of(grid, size):
    return math.ceil(grid.height / size) * math.ceil(grid.width / size)


def test_a_single_epoch_chunk_is_solved_once(scene, tmp_path, monkeypatch, client):
    monkeypatch.setattr(dask_run, "decompose_chunk", counted(dask_run.decompose_chunk))
    CALLS.clear()
    args = main._parser().parse_args(["decompose", "--ascending", scene["asc"], "--descending", scene["desc"],
                                      "--output-east", str(tmp_path / "e.tif"), "--output-up", str(tmp_path / "u.tif"),
                                      "--output-quality", str(tmp_path / "q.tif")])  # fmt: skip
    job = plan(options.decompose_request(args)).job
    dask_run.decompose(job, client, (64, 64))
    assert len(set(CALLS)) == chunks_of(job.grid, 64) > 4
    assert len(CALLS) == len(set(CALLS))


def test_a_time_series_chunk_is_solved_once(stacks, tmp_path, monkeypatch, client):
    monkeypatch.setattr(dask_run, "series_chunk", counted(dask_run.series_chunk))
    CALLS.clear()
    args = main._parser().parse_args(["decompose-timeseries", "--ascending", stacks["asc"], "--descending",
                                      stacks["desc"], "--output-east", str(tmp_path / "e.zarr"), "--output-up",
                                      str(tmp_path / "u.nc")])  # fmt: skip
    job = run_ts.plan(options.series_request(args))
    dask_run.decompose_timeseries(job, client, (16, 16))
    assert len(set(CALLS)) == chunks_of(job.grid, 16) > 4
    assert len(CALLS) == len(set(CALLS))
