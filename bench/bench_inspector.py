"""The inspector's click latency (issue 31: under 0.3 s on a 200-date stack of 5000 x 5000
pixels). Prints figures; asserts nothing (not a timed test).

    python bench/bench_inspector.py                 # 5000 x 5000 x 200
    python bench/bench_inspector.py --size 2000 --dates 100

The stack is made cheaply: one tiled, DEFLATE-compressed GeoTIFF per band would take minutes
to write, so each band is its own tiled compressed GeoTIFF of a gentle ramp written once and
shared through a VRT of ``--dates`` bands (each dated by ``INSAR_DATE``, each band scaled so
the dates differ). A click reads one window of every band, as on a real stack of separate
band files; a real multi-band GeoTIFF interleaved by pixel reads one tile holding every band.

A click is timed as the dock does it: the series of every layer at the place (the core
sampler), then the figure drawn (matplotlib's Agg canvas, as the dock's Qt canvas renders).
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

from insar_decomposition.core.io import series_plot  # noqa: E402
from insar_decomposition.core.runs.series_run import series_at  # noqa: E402
from insar_decomposition.core.samplers import series as ts  # noqa: E402

gdal.UseExceptions()


def make_stack(folder, size, n_dates, files=8):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    bases = []
    for k in range(files):  # a few distinct files, so that bands do not all share one cache
        path = os.path.join(folder, f"base_{k}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(path, size, size, 1, gdal.GDT_Float32,
                                                  ["TILED=YES", "COMPRESS=DEFLATE"])  # fmt: skip
        ds.SetGeoTransform((500000.0, 20.0, 0.0, 4000000.0, 0.0, -20.0))
        ds.SetProjection(srs.ExportToWkt())
        row = np.linspace(0, 1, size, dtype=np.float32)[None, :] * (k + 1)
        for r in range(0, size, 512):
            n = min(512, size - r)
            ds.GetRasterBand(1).WriteArray(np.repeat(row, n, axis=0), 0, r)
        ds = None
        bases.append(path)
    vrt = gdal.BuildVRT(os.path.join(folder, "stack.vrt"), [bases[k % files] for k in range(n_dates)], separate=True)
    start = datetime.date(2017, 1, 1)
    for k in range(n_dates):
        band = vrt.GetRasterBand(k + 1)
        band.SetMetadataItem("INSAR_DATE", (start + datetime.timedelta(days=6 * k)).strftime("%Y%m%d"))
    vrt.SetMetadata({"INSAR_UNIT": "mm"})
    vrt = None
    return os.path.join(folder, "stack.vrt")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=5000)
    ap.add_argument("--dates", type=int, default=200)
    ap.add_argument("--clicks", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        path = make_stack(folder, args.size, args.dates)
        print(f"stack {args.size} x {args.size} x {args.dates}: made in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        layer = ts.open_layer(path, "stack")
        print(f"open (metadata, once per set of layers): {1000 * (time.perf_counter() - t):.0f} ms")
        figure = series_plot.new_figure()
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(figure)
        rng = np.random.default_rng(1)
        sample, total = [], []
        for _ in range(args.clicks):
            col, row = rng.integers(0, args.size, 2)
            target = ts.Target(layer.grid.crs_wkt, 500000.0 + 20 * (col + 0.5), 4000000.0 - 20 * (row + 0.5))
            t0 = time.perf_counter()
            s = series_at(layer, target, None, None)
            t1 = time.perf_counter()
            series_plot.draw(figure, [s], "bench")
            canvas.draw()
            t2 = time.perf_counter()
            sample.append(t1 - t0)
            total.append(t2 - t0)
        for name, v in (("sample (every band, one window)", sample), ("click: sample + draw", total)):
            v = np.array(v) * 1000
            print(f"{name}: median {np.median(v):.0f} ms, max {v.max():.0f} ms over {args.clicks} clicks")


if __name__ == "__main__":
    main()
