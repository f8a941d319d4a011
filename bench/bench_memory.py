"""`make bench` (time-series memory): the peak memory of every time-series algorithm that
reads its stacks window by window, at 200 dates, each case a process of its own (max RSS
from wait4, core API). Prints a table and, for the largest size, one figure per algorithm
against the issue's target (under 1 GB at 200 dates x 4000 x 4000); asserts nothing.

    python bench/bench_memory.py                          # 256 x 256 and 362 x 362, 200 dates
    python bench/bench_memory.py --sizes 128 --dates 40   # a quick look
    python bench/bench_memory.py --only velocity fit_time_functions export_timeseries

Why these sizes stand for 4000 x 4000: a run holds a bounded number of windows (it reads the
next window and writes the previous one beside the current solve), each at least one
256 x 256 output tile, so peak memory depends on the window, not on the grid. A 256 x 256
grid is one window; 362 x 362 has four, the steady state of a big grid (one window read
ahead, one being written). ``--sizes 4000`` measures the issue's grid itself (12.8 GB of
input per 200-date stack, generated first: long).

Cases (200 dates: one stack of 200 epochs, or two tracks of 100 acquisitions 4 days apart,
every acquisition an output date):
  velocity                      losdecomp:velocity, linear, velocity + sigma outputs
  fit_time_functions            linear + annual + semi-annual, all four outputs (parameters,
                                residual RMS, model and residual stacks)
  export_timeseries_nc / _zarr  losdecomp:export_timeseries to NetCDF-CF / Zarr
  export_points_timeseries_step1  losdecomp:export_points_timeseries's core at STEP 1: every
                                pixel's series, a part at a time (export_parts), each part's
                                features counted and dropped (no vector file written)
  decompose_timeseries_m0       METHOD 0 (interpolate, invert date by date), east and up outputs
  decompose_timeseries_m0_sigmas   the same with a sigma raster per track and the sigma outputs
  decompose_timeseries_m1       METHOD 1 (joint), single-valued geometry
  decompose_timeseries_m1_sigmas   METHOD 1 with sigma rasters and sigma outputs
  decompose_timeseries_m1_per_pixel         METHOD 1, per-pixel LOS unit vectors (INSAR_ROLE bands)
  decompose_timeseries_m1_per_pixel_sigmas  the same with sigma rasters and sigma outputs

Inputs are uncompressed pixel-interleaved tiled float32 GeoTIFFs (bench_timeseries.generate_stack).
"""

import argparse
import os
import shutil
import sys
import textwrap

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import figures  # noqa: E402
from bench_timeseries import CORE_VELOCITY as VELOCITY  # noqa: E402
from bench_timeseries import generated  # noqa: E402

from bench import case_runner, plugin_parent, write_tif  # noqa: E402

TARGET_MB = 1024.0
TILE = 256

FIT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import time_functions_run as f
    from insar_decomposition.core.solve import time_functions as tf
    outputs = dict(zip((f.PARAMETERS, f.RESIDUAL_RMS, f.MODEL, f.RESIDUALS), sys.argv[3:7]))
    f.run(f.plan(f.FitRequest(sys.argv[2], None, None, tf.Model(1, (1.0, 0.5)), outputs)))
    """
)

EXPORT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.io import series_store
    series_store.export(sys.argv[2], sys.argv[3])
    """
)

POINTS = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import series_run as s
    count = sum(len(part.index) for part in s.export_parts(s.ExportRequest(sys.argv[2], step=1)))
    assert count > 0
    """
)

DECOMPOSE = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import timeseries_decomp_run as t
    from insar_decomposition.core.plan.decompose import Request
    from insar_decomposition.core.plan.tracks import TrackInput
    method, asc, desc, sigma_asc, sigma_desc, out_e, out_u = sys.argv[2:9]
    tracks = [TrackInput("ascending", asc, time_series=True, sigma=None if sigma_asc == "-" else sigma_asc),
              TrackInput("descending", desc, time_series=True, sigma=None if sigma_desc == "-" else sigma_desc)]
    outputs = {"horizontal": out_e, "up": out_u}
    if len(sys.argv) > 9:
        outputs.update(sigma_horizontal=sys.argv[9], sigma_up=sys.argv[10])
    t.run(t.plan(t.TimeSeriesRequest(Request(tracks=tracks, outputs=outputs), method=int(method))))
    """
)

CASES = (
    "velocity",
    "fit_time_functions",
    "export_timeseries_nc",
    "export_timeseries_zarr",
    "export_points_timeseries_step1",
    "decompose_timeseries_m0",
    "decompose_timeseries_m0_sigmas",
    "decompose_timeseries_m1",
    "decompose_timeseries_m1_sigmas",
    "decompose_timeseries_m1_per_pixel",
    "decompose_timeseries_m1_per_pixel_sigmas",
)


def sigma_raster(path, n, value, seed):
    """A one-band sigma raster (mm), varying per pixel around ``value``."""
    rng = np.random.default_rng(seed)
    write_tif(path, (value * (1.0 + 0.2 * rng.random((n, n)))).astype(np.float32),
              (400000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0), {"INSAR_UNIT": "mm"})  # fmt: skip
    return path


def inputs(folder, n, dates, only):
    """The stacks the cases of ``only`` need, each generated in a process of its own."""
    half = (dates + 1) // 2
    paths = {}
    if any(c.startswith(("velocity", "fit", "export")) for c in only):
        paths["stack"] = generated(os.path.join(folder, "stack.tif"), n, dates, "2019-01-01", 348.0, 1)
    if any(c.startswith("decompose") and "per_pixel" not in c for c in only):
        paths["asc"] = generated(os.path.join(folder, "asc.tif"), n, half, "2019-01-01", 348.0, 2)
        paths["desc"] = generated(os.path.join(folder, "desc.tif"), n, half, "2019-01-05", 192.0, 3)
    if any("per_pixel" in c for c in only):
        paths["asc_pp"] = generated(os.path.join(folder, "asc_pp.tif"), n, half, "2019-01-01", 348.0, 2, per_pixel=True)
        paths["desc_pp"] = generated(os.path.join(folder, "desc_pp.tif"), n, half, "2019-01-05", 192.0, 3,
                                     per_pixel=True)  # fmt: skip
    if any(c.endswith("sigmas") for c in only):
        paths["sa"] = sigma_raster(os.path.join(folder, "sigma_asc.tif"), n, 2.0, 7)
        paths["sd"] = sigma_raster(os.path.join(folder, "sigma_desc.tif"), n, 3.0, 8)
    return paths


def command(name, paths, out):
    """The process measuring case ``name`` (outputs named ``o_*`` in the work folder, removed
    by the case runner; the stores ``x_*``, a Zarr store being a folder)."""
    py, parent = sys.executable, plugin_parent()
    if name == "velocity":
        return [py, "-c", VELOCITY, parent, paths["stack"], out("o_v.tif"), out("o_s.tif")]
    if name == "fit_time_functions":
        return [py, "-c", FIT, parent, paths["stack"], *(out(f"o_{k}.tif") for k in ("p", "rms", "m", "r"))]
    if name == "export_points_timeseries_step1":
        return [py, "-c", POINTS, parent, paths["stack"]]
    if name.startswith("export_timeseries"):
        return [py, "-c", EXPORT, parent, paths["stack"], out("x_store." + name.rsplit("_", 1)[1])]
    method = "1" if "_m1" in name else "0"
    asc, desc = (paths["asc_pp"], paths["desc_pp"]) if "per_pixel" in name else (paths["asc"], paths["desc"])
    sigmas = [paths["sa"], paths["sd"]] if name.endswith("sigmas") else ["-", "-"]
    cmd = [py, "-c", DECOMPOSE, parent, method, asc, desc, *sigmas, out("o_e.tif"), out("o_u.tif")]
    return cmd + ([out("o_se.tif"), out("o_su.tif")] if name.endswith("sigmas") else [])


def clear_outputs(folder):
    """The stores (``x_*``: the case runner removes ``o_*`` files only)."""
    for f in os.listdir(folder):
        path = os.path.join(folder, f)
        if f.startswith("x_"):
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def measure_size(args, n):
    """{case: (wall s, peak MB)} at ``n`` x ``n``."""
    folder = os.path.join(args.work, "memory", str(n))
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    windows = (-(-n // TILE)) ** 2
    print(f"\n== {n} x {n} ({windows} window{'s' * (windows > 1)} of {TILE} x {TILE}), {args.dates} dates: "
          "generating", flush=True)  # fmt: skip
    paths = inputs(folder, n, args.dates, args.only)
    res = {}
    case = case_runner(res, folder)
    for name in args.only:
        clear_outputs(folder)
        case(name, command(name, paths, lambda f: os.path.join(folder, f)))
    shutil.rmtree(folder, ignore_errors=True)
    return res


def report(all_results, dates):
    sizes = sorted(all_results)
    print("\n" + "=" * 78)
    print(f"peak MB at {dates} dates (wall s in brackets)")
    print(f"  {'case':42s}" + "".join(f"{f'{n} x {n}':>18s}" for n in sizes))
    for name in CASES:
        cells = [all_results[n].get(name) for n in sizes]
        if any(cells):
            print(f"  {name:42s}" + "".join(f"{'':>18s}" if c is None else f"{c[1]:9.0f} ({c[0]:5.1f})" for c in cells))
    n = sizes[-1]
    windows = (-(-n // TILE)) ** 2
    where = f"{windows} windows of {TILE} x {TILE}: the steady state of a big grid" if windows >= 4 else (
        f"{windows} window{'s' * (windows > 1)} of {TILE} x {TILE}: below a big grid's steady state")
    for name, (_, mb) in all_results[n].items():
        detail = f"peak RSS at {n} x {n} x {dates} dates ({where})"
        figures.report(f"memory.{name}_mb", mb, TARGET_MB, detail, " MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 362])
    parser.add_argument("--dates", type=int, default=200)
    parser.add_argument("--only", nargs="+", default=list(CASES), choices=CASES, help="the cases to run")
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    args = parser.parse_args()
    sys.path.insert(0, plugin_parent())
    report({n: measure_size(args, n) for n in args.sizes}, args.dates)


if __name__ == "__main__":
    main()
