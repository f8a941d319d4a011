"""`make bench` (time functions): losdecomp:fit_time_functions through the core API with 8
parameters (quadratic, annual, semi-annual, one step) on a synthetic dated stack, against
reading the stack once window by window as the run reads it. Prints the size, the seconds
and their ratio; asserts nothing (never a timed test).

    python bench/bench_time_functions.py                  # 2000 x 2000 x 100 epochs
    python bench/bench_time_functions.py --size 4000      # the issue's 4000 x 4000 x 100
"""

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import plugin_parent, write_tif  # noqa: E402

gdal.UseExceptions()


def generate(path, n, epochs, seed=0):
    """A dated stack (mm), band by band: memory stays one band."""
    rng = np.random.default_rng(seed)
    rate = rng.normal(0, 5, (n, n)).astype(np.float32)
    dates = [datetime.date(2021, 1, 3) + datetime.timedelta(days=12 * i) for i in range(epochs)]
    write_tif(path, np.zeros((n, n), np.float32), (400000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0),
              {"INSAR_UNIT": "mm"}, bands=epochs)  # fmt: skip
    ds = gdal.Open(path, gdal.GA_Update)
    for i, d in enumerate(dates, start=1):
        t = (d - dates[0]).days / 365.25
        values = rate * np.float32(t) + np.float32(3 * np.sin(2 * np.pi * t) + 10 * (d >= datetime.date(2022, 3, 1)))
        band = ds.GetRasterBand(i)
        band.WriteArray(values + rng.normal(0, 1, (n, n)).astype(np.float32))
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, plugin_parent())
    from insar_decomposition.core.io.grid import raster_info
    from insar_decomposition.core.io.reader import StackReader
    from insar_decomposition.core.runs import time_functions_run as tfr
    from insar_decomposition.core.runs.lifecycle import windows
    from insar_decomposition.core.solve import time_functions as tf

    work = tempfile.mkdtemp(prefix="bench_tf_")
    try:
        stack = os.path.join(work, "stack.tif")
        generate(stack, args.size, args.epochs)
        model = tf.Model(2, (1.0, 0.5), (datetime.date(2022, 3, 1),))
        print(f"time functions: {args.size} x {args.size} pixels x {args.epochs} epochs, "
              f"{model.n_parameters} parameters ({tfr.describe(model)})")  # fmt: skip
        start = time.perf_counter()
        grid = raster_info(stack).grid()
        reader = StackReader(stack, list(range(1, args.epochs + 1)), grid)
        for win in windows(grid, tfr.BLOCK_PIXELS):
            reader.read(*win)
        reader.close()
        floor = time.perf_counter() - start
        start = time.perf_counter()
        job = tfr.plan(tfr.FitRequest(stack, None, None, model, {tfr.PARAMETERS: os.path.join(work, "p.tif")}))
        tfr.run(job)
        ours = time.perf_counter() - start
        print(f"  read the stack once: {floor:8.2f} s")
        print(f"  fit_time_functions:  {ours:8.2f} s   ratio {ours / floor:.2f} (the issue's target: within 2)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
