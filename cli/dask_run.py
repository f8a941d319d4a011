"""The same core runs on Dask: the core plans the job (the common grid, the tracks, the
reference offsets) on the client; every chunk of the common grid is then a task in which a
worker opens the inputs through the core's readers (GDAL: a raster off the grid is warped
for that window only, VRT mosaics of many tiles included), reads its window and solves it
with the core's own block functions, through ``dask.array.map_blocks``. Nothing is read
whole and nothing but counts comes back to the client: single epochs are written by the
workers as tiles, mosaicked into one COG by GDAL; time series go straight from the workers
into a Zarr v2 or NetCDF-CF store (dask.array.store), renamed into place when complete.

Imports dask (the ``[dask]`` extra); the plugin never imports this module."""

import contextlib
import os
import re
import time
import uuid
from typing import Iterator, Optional

import numpy as np

from ..core.conventions.errors import NoResult
from ..core.io.model import HORIZONTAL, QUALITY, SIGMA_HORIZONTAL, SIGMA_UP, UP, band_specs
from ..core.io.series_store import VARIABLES
from ..core.runs import engine
from ..core.runs import timeseries_decomp_run as run_ts
from ..core.solve.resolvable import nothing_resolved
from . import stores

DEFAULT_CHUNKS = {"single": (1024, 1024), "series": (256, 256)}
_LOCAL = re.compile(r"^local:(\d+)$")


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be started or reached."""


def parse_chunks(text: Optional[str], kind: str) -> tuple:
    """(rows, cols) of a chunk from '512' or '512,1024'; the default for ``kind`` if empty."""
    if not text:
        return DEFAULT_CHUNKS[kind]
    try:
        parts = [int(p) for p in str(text).split(",")]
    except ValueError:
        raise ValueError(f"--chunks {text!r}: give ROWS or ROWS,COLS in pixels") from None
    if len(parts) not in (1, 2) or min(parts) < 16:
        raise ValueError(f"--chunks {text!r}: give ROWS or ROWS,COLS, each at least 16 pixels")
    return (parts[0], parts[-1])


@contextlib.contextmanager
def client_for(scheduler: str, timeout: float = 10.0) -> Iterator[object]:
    """A dask.distributed Client: ``local:N`` starts a LocalCluster of N single-threaded
    worker processes listening on 127.0.0.1 only (scheduler, workers, nannies and the
    dashboard, on a free loopback port); anything else is a
    scheduler address used as written (``tls://`` with the certificates of dask's own
    configuration, ``distributed.comm.tls.*`` or its DASK_* environment variables)."""
    from distributed import Client, LocalCluster

    match = _LOCAL.match(scheduler)
    cluster = None
    try:
        if match:
            n = int(match.group(1))
            if n < 1:
                raise SchedulerError(f"--scheduler {scheduler}: at least one worker")
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", silence_logs=40)  # fmt: skip
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def compute(client, items: list, settle_seconds: float = 600.0) -> list:
    """``items`` computed on the cluster. On a failure the remaining tasks are cancelled and,
    before the error is raised, every worker is let end (or drop) each task of this graph it
    still runs or holds, at most ``settle_seconds``: no worker writes into a temporary file
    or store after the caller removes it.

    The scheduler forgets a cancelled task at once, but a worker thread already running it
    cannot be stopped and goes on writing its chunk; a worker may even start a task before
    the scheduler's release reaches it. So the wait asks the workers, by the graph's keys
    (computed without graph optimisation, so that the keys that run are exactly these)."""
    keys = _graph_keys(items)
    futures = client.compute(items, optimize_graph=False)
    try:
        return client.gather(futures)
    except BaseException:
        client.cancel(futures, force=True)
        _settle(client, keys | {f.key for f in futures}, settle_seconds)
        raise


def as_built():
    """dask's array graph optimisation off while a graph is built and computed: each chunk is
    then read and solved once. Optimising fuses a chunk's task into each of its consumers (every
    output's store, the resolved count), and xarray optimises each store's delayed write on its
    own when it makes it: with two stores and a count, every chunk of a time series was solved
    three times (a single epoch twice), the main cost of the Dask path in bench/bench_library.py.
    (compute() runs the graph unoptimised as well: see there; the time-series stores are written
    by dask.array.store, not by xarray's Delayed: stores.empty_store.)"""
    import dask

    return dask.config.set(array_optimize=False)


def _graph_keys(items: list) -> set:
    import dask
    import dask.base
    from dask.core import flatten

    flat = [x for x in flatten(items) if dask.is_dask_collection(x)]
    if hasattr(dask.base, "collections_to_expr"):  # dask >= 2025
        return set(dask.base.collections_to_expr(flat, False).__dask_graph__())
    return set(dask.base.collections_to_dsk(flat, optimize_graph=False))


def _held(keys: set, dask_worker=None) -> int:
    """How many of ``keys`` a worker still knows (running, cancelled while running, ready,
    in memory): 0 once it has let every one of them go."""
    tasks = dask_worker.state.tasks
    return sum(1 for k in keys if k in tasks)


def _settle(client, keys: set, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            held = client.run(_held, keys, on_error="ignore")
        except Exception:  # noqa: BLE001 - the cluster is gone: nothing of it writes any more
            return
        if not any(held.values()):
            return
        time.sleep(0.25)


def _grid_chunks(grid, chunks: tuple) -> tuple:
    def split(total, size):
        return tuple(min(size, total - k) for k in range(0, total, size))

    return split(grid.height, chunks[0]), split(grid.width, chunks[1])


def _window(block_info) -> tuple:
    """(col, row, ncols, nrows) of the chunk map_blocks is computing."""
    loc = block_info[None]["array-location"]
    (r0, r1), (c0, c1) = loc[-2], loc[-1]
    return c0, r0, c1 - c0, r1 - r0


# --- single epoch ---------------------------------------------------------------------


def _products(job) -> list:
    """(product, number of bands) of the outputs asked, in the core's order."""
    specs = band_specs(job)
    return [(p, len(specs[p])) for p in (HORIZONTAL, UP, SIGMA_HORIZONTAL, SIGMA_UP, QUALITY) if job.outputs.get(p)]


def decompose_chunk(job, offsets: list, products: list, block_info=None) -> np.ndarray:
    """One chunk of the decomposition, all asked bands stacked: the core's readers and block
    inversion (engine.solve_window), exactly as the in-process run does it."""
    win = _window(block_info)
    bands = engine.solution_bands(engine.solve_window(job, offsets, win))
    shape = (win[3], win[2])
    return np.stack([np.broadcast_to(np.asarray(a, dtype=np.float32), shape) for p, _ in products for a in bands[p]])


class _Tiles:
    """A ``dask.array.store`` target: each chunk a small GeoTIFF in ``folder`` (written by
    the worker that computed it; no file is shared between processes)."""

    def __init__(self, folder, grid):
        self.folder, self.grid = folder, grid

    def __setitem__(self, key, block):
        rows, cols = key[-2], key[-1]
        stores.write_tile(self.folder, self.grid, cols.start or 0, rows.start or 0, np.asarray(block))


def decompose(job, client, chunks: tuple) -> dict:
    """The decomposition ``job`` on ``client``'s cluster; {product: COG path}."""
    with as_built():
        return _decompose(job, client, chunks)


def _decompose(job, client, chunks):
    import dask.array as da

    offsets = engine.reference_offsets(job)
    products = _products(job)
    nbands = sum(n for _, n in products)
    ychunks, xchunks = _grid_chunks(job.grid, chunks)
    result = da.map_blocks(decompose_chunk, job, offsets, products, dtype=np.float32,
                           chunks=((nbands,), ychunks, xchunks), name="losdecomp-decompose")  # fmt: skip
    folders, stores_, first = {}, [], 0
    try:
        for product, n in products:
            folders[product] = stores.hidden_sibling(job.outputs[product], "parts")
            os.makedirs(folders[product])
            part = result[first : first + n]
            stores_.append(da.store(part, _Tiles(folders[product], job.grid), lock=False, compute=False))
            first += n
        up = [k for k, (p, _) in enumerate(products) if p == UP]
        resolved = da.isfinite(result[sum(n for _, n in products[: up[0]])]).sum() if up else da.ones(1).sum()
        _, resolved = compute(client, [stores_, resolved])
        if int(resolved) == 0:
            raise NoResult(nothing_resolved())
        specs = band_specs(job)
        with stores.placed_together() as placement:
            return {p: _mosaic(folders[p], job, specs[p], p, placement) for p, _ in products}
    finally:
        for folder in folders.values():
            stores.remove(folder)


def _mosaic(folder, job, specs, product, placement):
    tiles = [os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".tif")]
    meta = dict(job.metadata, LOSDECOMP_PRODUCT=product)
    return stores.tiles_to_cog(tiles, job.grid, specs, meta, job.outputs[product], placement)


# --- time series ----------------------------------------------------------------------


def series_chunk(job, offsets: list, keys: list, block_info=None) -> np.ndarray:
    """One chunk of the time-series decomposition, (products x dates, rows, cols): the
    core's stack readers and window solve (timeseries_decomp_run.solve_window), as in process."""
    win = _window(block_info)
    results = run_ts.solve_window(job, offsets, win, keys)
    return np.concatenate([results[k].reshape(len(job.dates), win[3], win[2]) for k in keys])


def decompose_timeseries(job, client, chunks: tuple) -> dict:
    """The time-series ``job`` on ``client``'s cluster; {product: store path}."""
    with as_built():
        return _decompose_timeseries(job, client, chunks)


def _decompose_timeseries(job, client, chunks):
    import dask.array as da

    for path in job.outputs.values():
        stores.series_format(path)
    offsets = run_ts.reference_offsets(job)
    keys = [k for k in (HORIZONTAL, UP, SIGMA_HORIZONTAL, SIGMA_UP) if job.outputs.get(k)]
    nd = len(job.dates)
    ychunks, xchunks = _grid_chunks(job.grid, chunks)
    result = da.map_blocks(series_chunk, job, offsets, keys, dtype=np.float32,
                           chunks=((nd * len(keys),), ychunks, xchunks), name="losdecomp-series")  # fmt: skip
    specs = run_ts.band_specs(job)
    writes, tmps = [], {}
    try:
        for i, key in enumerate(keys):
            part = result[i * nd : (i + 1) * nd]
            ds = stores.series_dataset(VARIABLES[key], part, job.dates, job.grid, specs[key],
                                       dict(job.tags, LOSDECOMP_PRODUCT=key))  # fmt: skip
            target, tmps[key] = stores.empty_store(ds, job.outputs[key], lock_name=f"losdecomp-{uuid.uuid4().hex}")
            writes.append(da.store(part, target, lock=False, compute=False))
        up = keys.index(UP) * nd if UP in keys else None
        count = da.isfinite(result[up : up + nd]).sum() if up is not None else da.ones(1).sum()
        _, resolved = compute(client, [writes, count])
        if int(resolved) == 0:
            raise NoResult(nothing_resolved(when=" at any date"))
        with stores.placed_together() as placement:
            done = {k: stores.finish_store(tmps[k], job.outputs[k], placement) for k in keys}
        return dict(done, resolved=int(resolved))
    finally:
        for tmp in tmps.values():
            stores.remove(tmp)
