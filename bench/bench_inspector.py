"""The inspector's click latency (issue 31: under 0.3 s on a 200-date stack of 5000 x 5000
pixels). Prints figures; asserts nothing (not a timed test).

    python bench/bench_inspector.py                 # 5000 x 5000 x 200
    python bench/bench_inspector.py --size 2000 --dates 100

The stack is a real multi-band GeoTIFF in the plugin's own output layout (core/io/writer:
tiled 256 x 256, band-interleaved, ZSTD): a click reads one tile of every band. Writing all
5000 x 5000 x 200 values (20 GB before compression) would take far longer than the bench,
so only the tiles the clicks fall in are written (``SPARSE_OK``: the others are absent from
the file, as GDAL allows); a click reads and decompresses real tiles of 200 bands, each
click in its own tile (no tile is read twice, so GDAL's block cache does not help).

A click is timed as the dock does it: the series at the place (the core sampler), then the
figure drawn on matplotlib's Agg canvas (the dock's Qt canvas renders through Agg). "before"
rebuilds the figure at each click and measures its layout (as the dock did); "after" is the
dock's SeriesPlot: laid out once, lines updated in place.
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
from insar_decomposition.core.runs.series_run import series_at  # noqa: E402
from insar_decomposition.core.samplers import series as ts  # noqa: E402

gdal.UseExceptions()


def make_stack(folder, size, n_dates, tiles):
    """The stack, with data in the (col, row) ``tiles`` only."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    path = os.path.join(folder, "stack.tif")
    options = writer.creation_options("zstd") + ["SPARSE_OK=TRUE", "BIGTIFF=YES"]
    ds = gdal.GetDriverByName("GTiff").Create(path, size, size, n_dates, gdal.GDT_Float32, options)
    ds.SetGeoTransform((500000.0, 20.0, 0.0, 4000000.0, 0.0, -20.0))
    ds.SetProjection(srs.ExportToWkt())
    ds.SetMetadata({"INSAR_UNIT": "mm"})
    start = datetime.date(2017, 1, 1)
    rng = np.random.default_rng(0)
    for k in range(n_dates):
        band = ds.GetRasterBand(k + 1)
        band.SetMetadataItem("INSAR_DATE", (start + datetime.timedelta(days=6 * k)).strftime("%Y%m%d"))
        band.SetNoDataValue(float("nan"))
    t = writer.TILE
    for col, row in tiles:
        w, h = min(t, size - col * t), min(t, size - row * t)
        ramp = np.linspace(0, 1, w * h, dtype=np.float32).reshape(1, h, w)
        walk = np.cumsum(rng.normal(0, 1, n_dates)).astype(np.float32)[:, None, None]
        block = ramp + walk + rng.normal(0, 0.3, (n_dates, h, w)).astype(np.float32)
        ds.WriteRaster(col * t, row * t, w, h, block.tobytes(), buf_type=gdal.GDT_Float32)
    ds = None
    return path


def clicks(size, count, seed=1):
    """``count`` pixels (col, row), each in its own tile."""
    rng = np.random.default_rng(seed)
    n = -(-size // writer.TILE)
    picked = rng.choice(n * n, size=count, replace=False)
    tiles = [(int(p % n), int(p // n)) for p in picked]
    pixels = [(min(size - 1, c * writer.TILE + int(rng.integers(writer.TILE))),
               min(size - 1, r * writer.TILE + int(rng.integers(writer.TILE)))) for c, r in tiles]  # fmt: skip
    return tiles, pixels


def timed(layer, pixels, draw):
    sample, total = [], []
    for col, row in pixels:
        target = ts.Target(layer.grid.crs_wkt, 500000.0 + 20 * (col + 0.5), 4000000.0 - 20 * (row + 0.5))
        t0 = time.perf_counter()
        s = series_at(layer, target, None, None)
        t1 = time.perf_counter()
        draw(s)
        t2 = time.perf_counter()
        sample.append(t1 - t0)
        total.append(t2 - t0)
    return np.array(sample) * 1000, np.array(total) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=5000)
    ap.add_argument("--dates", type=int, default=200)
    ap.add_argument("--clicks", type=int, default=20)
    args = ap.parse_args()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with tempfile.TemporaryDirectory() as folder:
        tiles, pixels = clicks(args.size, 2 * args.clicks)
        t = time.perf_counter()
        path = make_stack(folder, args.size, args.dates, tiles)
        print(f"stack {args.size} x {args.size} x {args.dates} (GeoTIFF, {len(tiles)} tiles of data): made in "
              f"{time.perf_counter() - t:.1f} s, {os.path.getsize(path) / 1e6:.0f} MB")  # fmt: skip
        t = time.perf_counter()
        layer = ts.open_layer(path, "stack")
        print(f"open (metadata, once per set of layers): {1000 * (time.perf_counter() - t):.0f} ms")
        figure = series_plot.new_figure(6.0, 3.6)
        canvas = FigureCanvasAgg(figure)

        def before(s):
            series_plot.draw(figure, [s], "bench")
            canvas.draw()

        plot = series_plot.SeriesPlot(series_plot.new_figure(6.0, 3.6))
        after_canvas = FigureCanvasAgg(plot.figure)

        def after(s):
            plot.show([s], "bench")
            after_canvas.draw()

        for name, draw, part in (("before", before, pixels[: args.clicks]), ("after", after, pixels[args.clicks :])):
            sample, total = timed(layer, part, draw)
            print(f"{name}: sample (every band, one window) median {np.median(sample):.0f} ms, max {sample.max():.0f}"
                  f" ms; click (sample + draw) median {np.median(total):.0f} ms, max {total.max():.0f} ms over "
                  f"{len(part)} clicks")  # fmt: skip


if __name__ == "__main__":
    main()
