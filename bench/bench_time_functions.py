"""`make bench` (time functions): losdecomp:fit_time_functions through the core API with 8
parameters (quadratic, annual, semi-annual, one step) on a synthetic dated stack, against
reading the stack once window by window as the run reads it, in the same process on the
same stack. Prints the size, the seconds (wall and CPU), their ratio against the issue's
target of 2 and the peak memory of the measuring process; asserts nothing (never a timed
test).

The read and the fit alternate ``--repeats`` times and the fastest of each is kept: on a
shared machine the load changes between two measurements, and the minimum is the figure
least disturbed by it. The stack is generated in a child process, so that the peak memory
printed is the reads' and the runs' alone.

    python bench/bench_time_functions.py                  # 2000 x 2000 x 100 epochs
    python bench/bench_time_functions.py --size 4000      # the issue's 4000 x 4000 x 100

Then the same for ``losdecomp:velocity`` (linear, velocity and sigma outputs) on a stack of
the same size with ``--gaps`` (default 1 %) of its pixel-epochs missing at random (issue 36:
most pixels then have their own pattern of valid epochs), against reading that stack.
Figures: ``time_functions.fit_vs_read`` and ``velocity.gaps1pct_vs_read`` (target 2 each).
"""

import argparse
import datetime
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import figures  # noqa: E402

from bench import plugin_parent, write_tif  # noqa: E402

gdal.UseExceptions()


def generate(path, n, epochs, seed=0, gaps=0.0):
    """A dated stack (mm), band by band: memory stays one band; ``gaps``: the share of
    pixel-epochs set to NaN at random."""
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
        values = values + rng.normal(0, 1, (n, n)).astype(np.float32)
        if gaps:
            values[rng.random((n, n)) < gaps] = np.nan
        band.WriteArray(values)
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None


def timed(call):
    """(wall seconds, CPU seconds of the whole process, its threads included) of ``call()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--gaps",
        type=float,
        default=0.01,
        help="share of pixel-epochs missing at random in the velocity case (0: skip it)",
    )
    parser.add_argument("--generate", help=argparse.SUPPRESS)  # the child process: write the stack and exit
    parser.add_argument("--generate-gaps", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.size, args.epochs, gaps=args.generate_gaps)
        return
    sys.path.insert(0, plugin_parent())
    from insar_decomposition.core.runs import time_functions_run as tfr
    from insar_decomposition.core.runs import velocity_run as vr
    from insar_decomposition.core.solve import time_functions as tf

    work = tempfile.mkdtemp(prefix="bench_tf_")
    try:
        stack = os.path.join(work, "stack.tif")
        _generate(stack, args, 0.0)
        model = tf.Model(2, (1.0, 0.5), (datetime.date(2022, 3, 1),))
        print(f"time functions: {args.size} x {args.size} pixels x {args.epochs} epochs, "
              f"{model.n_parameters} parameters ({tfr.describe(model)}), {os.cpu_count()} CPUs")  # fmt: skip

        def fit():
            out = os.path.join(work, "p.tif")
            tfr.run(tfr.plan(tfr.FitRequest(stack, None, None, model, {tfr.PARAMETERS: out})))
            os.remove(out)

        ratio, peak = compare(stack, args, fit, "fit_time_functions")
        figures.report("time_functions.fit_vs_read", ratio, 2.0,
                       f"{args.size}x{args.size}x{args.epochs}, 8 parameters, fastest of {args.repeats}")  # fmt: skip
        figures.report("time_functions.peak_mb", peak, None, "peak memory of the measuring process", "MB")
        os.remove(stack)
        if args.gaps > 0:
            gappy = os.path.join(work, "gappy.tif")
            _generate(gappy, args, args.gaps)
            print(f"velocity (linear, velocity + sigma outputs) on a stack with {args.gaps:.0%} of its pixel-epochs "
                  "missing at random")  # fmt: skip

            def velocity():
                outs = {vr.VELOCITY: os.path.join(work, "v.tif"), vr.SIGMA: os.path.join(work, "s.tif")}
                vr.run(vr.plan(vr.VelocityRequest(gappy, None, None, 0, [], outs)))
                for path in outs.values():
                    os.remove(path)

            ratio, peak = compare(gappy, args, velocity, "velocity, gaps")
            figures.report(
                "velocity.gaps1pct_vs_read",
                ratio,
                2.0,
                f"{args.size}x{args.size}x{args.epochs}, {args.gaps:.0%} gaps, fastest of {args.repeats}",
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _generate(path, args, gaps):
    """The stack in a child process, so that the peak memory printed is the reads' and the runs' alone."""
    subprocess.run([sys.executable, __file__, "--size", str(args.size), "--epochs", str(args.epochs),
                    "--generate", path, "--generate-gaps", str(gaps)], check=True)  # fmt: skip


def compare(stack, args, run, name):
    """Read ``stack`` once window by window and ``run()``, alternating ``args.repeats``
    times; prints the fastest of each and returns (their wall ratio, peak MB so far)."""
    from insar_decomposition.core.io.grid import raster_info
    from insar_decomposition.core.io.reader import StackReader
    from insar_decomposition.core.runs import time_functions_run as tfr
    from insar_decomposition.core.runs.lifecycle import windows

    grid = raster_info(stack).grid()

    def read_once():
        reader = StackReader(stack, list(range(1, args.epochs + 1)), grid)
        for win in windows(grid, tfr.BLOCK_PIXELS):
            reader.read(*win)
        reader.close()

    floors, runs = [], []
    for _ in range(max(1, args.repeats)):
        floors.append(timed(read_once))
        runs.append(timed(run))
    floor, ours = min(floors), min(runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  read the stack once: {floor[0]:8.2f} s   (CPU {floor[1]:.2f} s), fastest of {len(floors)}")
    print(f"  {name + ':':20s} {ours[0]:8.2f} s   (CPU {ours[1]:.2f} s), fastest of {len(runs)}")
    print(f"  ratio {ours[0] / floor[0]:.2f} (the issue's target: within 2); "
          f"every pair: {', '.join(f'{r[0] / f[0]:.2f}' for f, r in zip(floors, runs))}; "
          f"CPU ratio {ours[1] / floor[1]:.2f}")  # fmt: skip
    print(f"  peak memory of this process: {peak:.0f} MB (the stack: "
          f"{args.size * args.size * args.epochs * 4 / 2**20:.0f} MB)")  # fmt: skip
    return ours[0] / floor[0], peak


if __name__ == "__main__":
    main()
