"""The fits over time (``velocity``, ``fit-time-functions``) on Dask. A chunk holds every date
of a window of the grid (chunked in space only) and is a whole number of the core's own
windows: the worker fits each of those windows with the core's window function
(``velocity_run.solve_window``, ``time_functions_run.solve_window``), exactly as the
in-process run fits it (same pixels per solve, same groups of pixels sharing a normal matrix,
same bootstrap draws, seeded by the window's origin), so the numbers are those of in process
bit for bit. The worker writes its chunk itself (raw tiles, mosaicked into COGs by GDAL, or
the chunk's region of a Zarr/NetCDF store) and returns only its counts (pixels fitted, terms
dropped, AR(1) factor samples), which the client adds into the log the core would write.

Imports dask (the ``[dask]`` extra); the plugin never imports this module."""

import os
import uuid

import numpy as np

from ..core.runs import velocity_run
from . import dask_run, stores


def chunk_shape(window: tuple, chunks: tuple) -> tuple:
    """``chunks`` (rows, cols) rounded up to whole multiples of the core's ``window`` (rows,
    cols)."""
    return tuple(-(-c // w) * w for c, w in zip(chunks, window))


def chunk_windows(grid, chunks: tuple) -> list:
    """(col, row, ncols, nrows) of every chunk of ``grid``."""
    return [(c, r, min(chunks[1], grid.width - c), min(chunks[0], grid.height - r))
            for r in range(0, grid.height, chunks[0]) for c in range(0, grid.width, chunks[1])]  # fmt: skip


def sub_windows(win: tuple, window: tuple) -> list:
    """The core's windows (``window`` = rows, cols) inside the chunk ``win``."""
    col, row, ncols, nrows = win
    return [(c, r, min(window[1], col + ncols - c), min(window[0], row + nrows - r))
            for r in range(row, row + nrows, window[0]) for c in range(col, col + ncols, window[1])]  # fmt: skip


def rounded_chunks(window: tuple, chunks: tuple, say) -> tuple:
    """The chunk shape used, said when it differs from ``chunks``."""
    shape = chunk_shape(window, chunks)
    if shape != tuple(chunks):
        say([f"chunks: {chunks[0]} x {chunks[1]} rounded up to {shape[0]} x {shape[1]}, whole windows of the core "
             f"({window[0]} x {window[1]}): each is fitted as in process"])  # fmt: skip
    return shape


class Targets:
    """Where a chunk's bands go, per output: a tiles folder (a COG at the end) or a store
    (``dask.array.store``-like target, ``target[bands, rows, cols] = block``)."""

    def __init__(self):
        self.tiles, self.stores, self.temporary = {}, {}, []

    def add_tiles(self, key: str, final: str) -> None:
        folder = stores.hidden_sibling(final, "parts")
        self.temporary.append(folder)
        os.makedirs(folder)
        self.tiles[key] = folder

    def write(self, grid, win: tuple, key: str, block: np.ndarray) -> None:
        col, row, ncols, nrows = win
        if key in self.tiles:
            stores.write_tile(self.tiles[key], grid, col, row, block)
        else:
            self.stores[key][:, row : row + nrows, col : col + ncols] = block

    def cleanup(self) -> None:
        for path in self.temporary:
            stores.remove(path)


def run_chunks(client, work, job, targets: Targets, wins: list) -> list:
    """``work(job, win, targets)`` for every chunk ``win`` on the cluster; their results
    (the counts), in order. Built as one graph, computed once (dask_run.compute: a failure
    cancels the rest and waits until no worker still writes)."""
    import dask

    token = uuid.uuid4().hex[:12]
    tasks = [dask.delayed(work, pure=False)(job, win, targets, dask_key_name=f"losdecomp-fit-{token}-{i}")
             for i, win in enumerate(wins)]  # fmt: skip
    with dask_run.as_built():
        return dask_run.compute(client, tasks)


def mosaic(targets: Targets, job, key: str, specs: list, placement: stores.Placement) -> str:
    folder = targets.tiles[key]
    tiles = [os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".tif")]
    meta = dict(job.tags, LOSDECOMP_PRODUCT=key)
    return stores.tiles_to_cog(tiles, job.grid, specs, meta, job.outputs[key], placement)


# --- velocity ---------------------------------------------------------------------------


def velocity_chunk(job, win: tuple, targets: Targets) -> tuple:
    """One chunk of ``losdecomp velocity``: each core window in it fitted by
    velocity_run.solve_window, the chunk's bands written; (pixels with a velocity, pixels
    where each step was dropped)."""
    nb = 1 + (3 if job.geometry is not None else 0)
    shape = (win[3], win[2])
    vel = np.full((nb,) + shape, np.nan, dtype=np.float32)
    sig = np.full((1,) + shape, np.nan, dtype=np.float32)
    dropped = np.zeros(len(job.steps), dtype=np.int64)
    for sub in sub_windows(win, velocity_run.window_shape(job)):
        v, s, comps = velocity_run.solve_window(job, sub, dropped)
        at = (slice(sub[1] - win[1], sub[1] - win[1] + sub[3]), slice(sub[0] - win[0], sub[0] - win[0] + sub[2]))
        part = (sub[3], sub[2])
        vel[(0,) + at] = v.reshape(part)
        for k, comp in enumerate(comps or (), start=1):
            vel[(k,) + at] = np.broadcast_to(comp, part)
        sig[(0,) + at] = s.reshape(part)
    targets.write(job.grid, win, velocity_run.VELOCITY, vel)
    if velocity_run.SIGMA in job.outputs:
        targets.write(job.grid, win, velocity_run.SIGMA, sig)
    return int(np.count_nonzero(np.isfinite(vel[0]))), dropped


def velocity(job, client, chunks: tuple, say) -> dict:
    """``losdecomp velocity`` of the planned ``job`` on ``client``'s cluster: {output: COG
    path} and the core's counts and log (``resolved``, ``steps_dropped``, ``log``)."""
    chunks = rounded_chunks(velocity_run.window_shape(job), chunks, say)
    targets = Targets()
    try:
        for key in job.outputs:
            targets.add_tiles(key, job.outputs[key])
        counts = run_chunks(client, velocity_chunk, job, targets, chunk_windows(job.grid, chunks))
        resolved = sum(r for r, _ in counts)
        dropped = np.sum([d for _, d in counts], axis=0) if job.steps else np.zeros(0, dtype=np.int64)
        summary = velocity_run.summary(job, resolved, dropped)
        specs = velocity_run.band_specs(job)
        with stores.placed_together() as placement:
            return dict(summary, **{key: mosaic(targets, job, key, specs[key], placement) for key in job.outputs})
    finally:
        targets.cleanup()


# --- fit-time-functions -----------------------------------------------------------------


def _buffers(job, win: tuple, keys: list) -> dict:
    from ..core.runs import time_functions_run as tfr

    specs = tfr.band_specs(job)
    return {k: np.full((len(specs[k]), win[3], win[2]), np.nan, dtype=np.float32) for k in keys}


def fit_chunk(job, win: tuple, targets: Targets) -> tuple:
    """One chunk of ``losdecomp fit-time-functions``: each core window in it fitted by
    time_functions_run.solve_window (its bootstrap draws seeded by the window's origin, as in
    process), the chunk's bands written; (pixels fitted, per column the pixels where that term
    was dropped, the AR(1) factor samples)."""
    from ..core.runs import time_functions_run as tfr

    keys = list(job.outputs)
    out = _buffers(job, win, keys)
    resolved, dropped, factors = 0, np.zeros(job.design.shape[1], dtype=np.int64), []
    for sub in sub_windows(win, tfr.window_shape(job)):
        result, counts = tfr.solve_window(job, sub, keys)
        at = (slice(None), slice(sub[1] - win[1], sub[1] - win[1] + sub[3]),
              slice(sub[0] - win[0], sub[0] - win[0] + sub[2]))  # fmt: skip
        for key in keys:
            out[key][at] = np.asarray(result[key], dtype=np.float32).reshape(-1, sub[3], sub[2])
        resolved, dropped = resolved + counts.resolved, dropped + counts.dropped
        if counts.factor is not None:
            factors.append(counts.factor)
    for key in keys:
        targets.write(job.grid, win, key, out[key])
    return resolved, dropped, factors


def dated_store(job, key: str, chunks: tuple, spec_words: str):
    """(target, temporary path) of a dated output (model, residuals) asked as .zarr or .nc:
    the store's metadata, coordinates and grid mapping written, its chunks to come."""
    import dask.array as da

    from ..core.runs import time_functions_run as tfr

    nd = len(job.bands)
    data = da.empty((nd, job.grid.height, job.grid.width), chunks=(nd,) + tuple(chunks), dtype=np.float32)
    specs = [type(s)(s.description, s.unit, dict(s.metadata, QUANTITY=spec_words)) for s in tfr.band_specs(job)[key]]
    ds = stores.series_dataset(key, data, [d for _, d in job.bands], job.grid, specs,
                               dict(job.tags, LOSDECOMP_PRODUCT=key))  # fmt: skip
    return stores.empty_store(ds, job.outputs[key], lock_name=f"losdecomp-{uuid.uuid4().hex}")


#: The quantity of the dated outputs' stores (long_name).
DATED_WORDS = {"model": "time-function model", "residuals": "residual: data - time-function model"}


def fit_time_functions(job, client, chunks: tuple, say) -> dict:
    """``losdecomp fit-time-functions`` of the planned ``job`` on ``client``'s cluster:
    {output: path} (COGs; the model and residuals as COGs of one band per date, or stores by
    extension) and the core's counts and log."""
    from ..core.runs import time_functions_run as tfr

    chunks = rounded_chunks(tfr.window_shape(job), chunks, say)
    targets, store_tmps = Targets(), {}
    try:
        for key, path in job.outputs.items():
            if os.path.splitext(path.rstrip("/"))[1].lower() in stores.SERIES_FORMATS and key in DATED_WORDS:
                targets.stores[key], store_tmps[key] = dated_store(job, key, chunks, DATED_WORDS[key])
                targets.temporary.append(store_tmps[key])
            else:
                targets.add_tiles(key, path)
        counts = run_chunks(client, fit_chunk, job, targets, chunk_windows(job.grid, chunks))
        dropped = np.sum([d for _, d, _ in counts], axis=0)
        summary = tfr.summary(job, sum(r for r, _, _ in counts), dropped, [f for _, _, fs in counts for f in fs])
        specs = tfr.band_specs(job)
        with stores.placed_together() as placement:
            done = {k: mosaic(targets, job, k, specs[k], placement) for k in targets.tiles}
            done.update({k: stores.finish_store(tmp, job.outputs[k], placement) for k, tmp in store_tmps.items()})
        return dict(summary, **done)
    finally:
        targets.cleanup()
