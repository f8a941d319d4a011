"""The inspector's click latency (issue 31: under 0.3 s on a 200-date stack of 5000 x 5000
pixels), and what the block size of a dated stack costs elsewhere. Prints figures; asserts
nothing (not a timed test).

    python bench/bench_inspector.py                 # 5000 x 5000 x 200, full reads on 768 x 768 x 200
    python bench/bench_inspector.py --size 2000 --dates 100 --full-size 1024

Clicks: for each layout (block size, interleave) a real multi-band GeoTIFF of 5000 x 5000 x
200 with the plugin's creation options (core/io/writer.creation_options(stack=True), ZSTD)
but that block size. Writing all 5000 x 5000 x 200 values (20 GB before compression) would
take far longer than the bench, so only the blocks the clicks fall in are written
(``SPARSE_OK``: the others are absent from the file, as GDAL allows; the file still holds
the whole index of blocks); a click reads and decompresses real blocks of 200 bands, each
click in its own block (no block is read twice, so GDAL's block cache does not help).

A click is timed as the dock does it: the series at the place (the core sampler: open, one
window of every band), then the figure drawn on matplotlib's Agg canvas (the dock's Qt
canvas renders through Agg) by the dock's SeriesPlot (laid out once, lines updated in place).

Full reads, the other side of the choice: a dense stack of ``--full-size`` pixels square and
the same dates in each layout, written window by window as the engines write (core/runs/
lifecycle.windows), then read once whole as the engines read it (StackReader, windows of
velocity_run.BLOCK_PIXELS: losdecomp:velocity, fit_time_functions, decompose_timeseries),
and one band read whole (what drawing one date of the layer reads); the file size.
"""

import argparse
import datetime
import os
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal, osr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.basename(ROOT) != "insar_decomposition":  # importable whatever the checkout is called
    LINK = tempfile.mkdtemp(prefix="losdecomp-bench-")
    os.symlink(ROOT, os.path.join(LINK, "insar_decomposition"))
    sys.path.insert(0, LINK)
else:
    sys.path.insert(0, os.path.dirname(ROOT))

from insar_decomposition.core.io import series_plot, writer  # noqa: E402
from insar_decomposition.core.io.grid import Grid, raster_info  # noqa: E402
from insar_decomposition.core.io.reader import StackReader  # noqa: E402
from insar_decomposition.core.runs.lifecycle import windows  # noqa: E402
from insar_decomposition.core.runs.series_run import series_at  # noqa: E402
from insar_decomposition.core.runs.velocity_run import BLOCK_PIXELS  # noqa: E402
from insar_decomposition.core.samplers import series as ts  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import figures  # noqa: E402

gdal.UseExceptions()
GEOTRANSFORM = (500000.0, 20.0, 0.0, 4000000.0, 0.0, -20.0)
#: (block side, interleave) compared; the plugin's own stack layout is marked in the output.
LAYOUTS = ((256, "BAND"), (128, "BAND"), (64, "BAND"), (64, "PIXEL"))


def layout_options(block, interleave):
    """The plugin's stack creation options with this block size and interleave."""
    keep = [o for o in writer.creation_options("zstd", stack=True) if not o.startswith(("BLOCK", "INTERLEAVE"))]
    return keep + [f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}", f"INTERLEAVE={interleave}"]


def plugin_layout():
    options = writer.creation_options("zstd", stack=True)
    block = int(next(o for o in options if o.startswith("BLOCKXSIZE=")).split("=")[1])
    return block, next(o for o in options if o.startswith("INTERLEAVE=")).split("=")[1]


def create(path, size, n_dates, options):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ds = gdal.GetDriverByName("GTiff").Create(path, size, size, n_dates, gdal.GDT_Float32, options)
    ds.SetGeoTransform(GEOTRANSFORM)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetMetadata({"INSAR_UNIT": "mm"})
    start = datetime.date(2017, 1, 1)
    for k in range(n_dates):
        band = ds.GetRasterBand(k + 1)
        band.SetMetadataItem("INSAR_DATE", (start + datetime.timedelta(days=6 * k)).strftime("%Y%m%d"))
        band.SetNoDataValue(float("nan"))
    return ds


def make_sparse(path, size, n_dates, block, interleave, pixels, noise):
    """The stack, with data in the block under each of ``pixels`` only."""
    ds = create(path, size, n_dates, layout_options(block, interleave) + ["SPARSE_OK=TRUE", "BIGTIFF=YES"])
    rng = np.random.default_rng(0)
    for col, row in pixels:
        c0, r0 = col // block * block, row // block * block
        w, h = min(block, size - c0), min(block, size - r0)
        walk = np.cumsum(rng.normal(0, 1, n_dates)).astype(np.float32)[:, None, None]
        data = np.ascontiguousarray(noise[:, :h, :w] + walk)
        ds.WriteRaster(c0, r0, w, h, data.tobytes(), buf_type=gdal.GDT_Float32)
    ds = None


def clicks(size, count, seed=1):
    """``count`` pixels (col, row), each in its own 256 x 256 block (so in its own block of
    every layout compared)."""
    rng = np.random.default_rng(seed)
    n = -(-size // 256)
    picked = rng.choice(n * n, size=count, replace=False)
    return [(min(size - 1, int(p % n) * 256 + int(rng.integers(256))),
             min(size - 1, int(p // n) * 256 + int(rng.integers(256)))) for p in picked]  # fmt: skip


def timed(layer, pixel, draw):
    """(sample, click) milliseconds of one click at ``pixel`` (col, row)."""
    col, row = pixel
    target = ts.Target(layer.grid.crs_wkt, 500000.0 + 20 * (col + 0.5), 4000000.0 - 20 * (row + 0.5))
    t0 = time.perf_counter()
    s = series_at(layer, target, None, None)
    t1 = time.perf_counter()
    draw(s)
    t2 = time.perf_counter()
    return 1000 * (t1 - t0), 1000 * (t2 - t0)


def make_dense(path, size, n_dates, block, interleave):
    """A dense stack written window by window, every band of a window in turn, then flushed
    (as the engines write); returns the seconds spent in GDAL (the values are made before)."""
    rng = np.random.default_rng(2)
    rate = rng.normal(0, 5, (size, size)).astype(np.float32)
    t = (np.arange(n_dates, dtype=np.float32) * 6 / 365.25)[:, None, None]
    noise = rng.normal(0, 1, (n_dates, 256, 256)).astype(np.float32)
    t0 = time.perf_counter()
    ds = create(path, size, n_dates, layout_options(block, interleave))
    spent = time.perf_counter() - t0
    for col, row, w, h in windows(Grid(ds.GetProjection(), GEOTRANSFORM, size, size), BLOCK_PIXELS):
        values = rate[row : row + h, col : col + w] * t + noise[:, :h, :w]
        t0 = time.perf_counter()
        for k in range(n_dates):
            ds.GetRasterBand(k + 1).WriteArray(values[k], col, row)
        for k in range(n_dates):
            ds.GetRasterBand(k + 1).FlushCache()
        spent += time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = None
    return spent + time.perf_counter() - t0


def read_whole(path, n_dates):
    grid = raster_info(path).grid()
    reader = StackReader(path, list(range(1, n_dates + 1)), grid)
    t0 = time.perf_counter()
    for win in windows(grid, BLOCK_PIXELS):
        reader.read(*win)
    seconds = time.perf_counter() - t0
    reader.close()
    return seconds


def read_band(path):
    """Band 1 whole, from a dataset opened anew (no block of it in GDAL's cache)."""
    t0 = time.perf_counter()
    ds = gdal.Open(path)
    ds.GetRasterBand(1).ReadAsArray()
    ds = None
    return time.perf_counter() - t0


def click_figures(folder, args):
    """Every layout made, then clicked in turns (one click on each, again), so that the
    machine's changing load falls alike on all."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    plot = series_plot.SeriesPlot(series_plot.new_figure(6.0, 3.6))
    canvas = FigureCanvasAgg(plot.figure)

    def draw(s):
        plot.show([s], "bench")
        canvas.draw()

    pixels = clicks(args.size, len(LAYOUTS) * args.clicks + 1)
    noise = np.random.default_rng(3).normal(0, 0.3, (args.dates, 256, 256)).astype(np.float32)
    layers, made = {}, {}
    for i, (block, interleave) in enumerate(LAYOUTS):
        path = os.path.join(folder, f"sparse_{block}_{interleave}.tif")
        t = time.perf_counter()
        make_sparse(path, args.size, args.dates, block, interleave, pixels[i :: len(LAYOUTS)], noise)
        made[block, interleave] = time.perf_counter() - t
        t = time.perf_counter()
        layers[block, interleave] = ts.open_layer(path, "stack"), 1000 * (time.perf_counter() - t)
    timed(layers[LAYOUTS[0]][0], pixels[-1], draw)  # the first draw of a figure costs more: not counted
    # (pixels[-1] falls to the first layout in make_sparse's share: its own block)
    times = {layout: [] for layout in LAYOUTS}
    for i in range(args.clicks):
        for k, layout in enumerate(LAYOUTS):
            times[layout].append(timed(layers[layout][0], pixels[i * len(LAYOUTS) + k], draw))
    ours, medians = plugin_layout(), {}
    for (block, interleave), rows in times.items():
        sample, total = np.array(rows).T
        mark = " (the plugin's stacks)" if (block, interleave) == ours else ""
        print(f"{block:>3} x {block:<3} {interleave.lower():<5}{mark}: made in {made[block, interleave]:.0f} s; "
              f"open {layers[block, interleave][1]:.0f} ms; sample median {np.median(sample):.0f} ms "
              f"(max {sample.max():.0f}); click (sample + draw) median {np.median(total):.0f} ms "
              f"(max {total.max():.0f}) over {len(rows)} clicks")  # fmt: skip
        medians[block, interleave] = np.median(total)
    return medians


def full_figures(folder, args):
    """Every layout written, then read in turns (``--rounds``), the best of each kept: the
    machine's load changes less between layouts than from one run to the next."""
    print(f"full reads: {args.full_size} x {args.full_size} x {args.dates}, dense (best of {args.rounds})")
    paths, written = {}, {}
    for layout in LAYOUTS:
        paths[layout] = os.path.join(folder, "dense_{}_{}.tif".format(*layout))
        written[layout] = make_dense(paths[layout], args.full_size, args.dates, *layout)
    whole, band = ({layout: [] for layout in LAYOUTS} for _ in range(2))
    for _ in range(args.rounds):
        for layout, path in paths.items():
            whole[layout].append(read_whole(path, args.dates))
            band[layout].append(read_band(path))
    for (block, interleave), path in paths.items():
        layout = (block, interleave)
        print(f"{block:>3} x {block:<3} {interleave.lower():<5}: written in {written[layout]:.1f} s; read whole "
              f"{min(whole[layout]):.2f} s; one band {1000 * min(band[layout]):.0f} ms; "
              f"{os.path.getsize(path) / 1e6:.0f} MB")  # fmt: skip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=5000)
    ap.add_argument("--dates", type=int, default=200)
    ap.add_argument("--clicks", type=int, default=10)
    ap.add_argument("--full-size", type=int, default=768)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"clicks on a stack of {args.size} x {args.size} x {args.dates} (GeoTIFF, ZSTD)")
        medians = click_figures(folder, args)
        full_figures(folder, args)
    block, interleave = plugin_layout()
    click = medians[(block, interleave)]
    print(f"the plugin's stacks ({block} x {block}, {interleave.lower()} interleaved): click median {click:.0f} ms; "
          f"target 300 ms: {'met' if click < 300 else 'NOT met'}")  # fmt: skip
    figures.report("inspector.click_ms", float(click), 300.0, f"median of {args.clicks} clicks (sample + draw), "
                   f"{args.size} x {args.size} x {args.dates} stack, {block} x {block} {interleave.lower()}", " ms")


if __name__ == "__main__":
    main()
