"""Time series in process: the core's run (exactly as in QGIS) writes the plugin's dated
GeoTIFFs; an output asked as ``.zarr`` or ``.nc`` is then copied from a hidden temporary
GeoTIFF into its store chunk by chunk (dask's synchronous scheduler, GDAL reads: memory is
one chunk, not the stack), and renamed into place when complete."""

import os

import numpy as np
from osgeo import gdal

from ..core.io.gdal_mode import raises
from ..core.io.series_store import VARIABLES
from ..core.runs import timeseries_decomp_run as run_ts
from . import stores

#: Chunk of the copy into a store: every date of 256 x 256 pixels.
COPY_CHUNK = 256


def run_in_process(job) -> dict:
    """Run ``job`` with the core; {product: final path} (a store for .zarr/.nc outputs)."""
    finals = dict(job.outputs)
    as_store = {k: p for k, p in finals.items() if os.path.splitext(p.rstrip("/"))[1].lower() in stores.SERIES_FORMATS}
    tmps = {k: stores.hidden_sibling(p, "partial.tif") for k, p in as_store.items()}
    job.outputs = dict(finals, **tmps)
    try:
        result = run_ts.run(job)
        done = {k: result[k] for k in finals if k in result and k not in tmps}
        specs = run_ts.band_specs(job)
        for key, tmp in tmps.items():
            done[key] = _copy(tmp, key, job, specs[key], as_store[key])
        return done
    finally:
        job.outputs = finals
        for tmp in tmps.values():
            stores.remove(tmp)


def _block_reader(path):
    @raises
    def read(block_info=None):
        loc = block_info[None]["array-location"]
        (b0, b1), (r0, r1), (c0, c1) = loc
        ds = gdal.Open(path)
        out = ds.ReadAsArray(c0, r0, c1 - c0, r1 - r0, band_list=list(range(b0 + 1, b1 + 1)),
                             buf_type=gdal.GDT_Float32)  # fmt: skip
        return out.reshape(b1 - b0, r1 - r0, c1 - c0)

    return read


def lazy_stack(path: str, chunk: int = COPY_CHUNK):
    """Every band of ``path`` as a lazy dask array (bands, rows, cols), all bands of a
    ``chunk`` x ``chunk`` window in each chunk, read by GDAL when computed."""
    import dask.array as da

    ds = gdal.Open(path)
    nb, h, w = ds.RasterCount, ds.RasterYSize, ds.RasterXSize

    def split(total):
        return tuple(min(chunk, total - k) for k in range(0, total, chunk))

    return da.map_blocks(_block_reader(path), dtype=np.float32, chunks=((nb,), split(h), split(w)))


def _copy(tmp, key, job, specs, final):
    import dask.array as da

    data = lazy_stack(tmp)
    ds = stores.series_dataset(VARIABLES[key], data, job.dates, job.grid, specs, dict(job.tags, LOSDECOMP_PRODUCT=key))
    target, store_tmp = stores.empty_store(ds, final)
    try:
        da.store(data, target, lock=False, scheduler="synchronous")
        return stores.finish_store(store_tmp, final)
    except BaseException:
        stores.remove(store_tmp)
        raise
