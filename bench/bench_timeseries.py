"""`make bench` (time series): wall time and peak memory of whole processes on synthetic
dated stacks generated here, against the I/O floor measured the same way. Prints figures
and ratios; asserts nothing.

    python bench/bench_timeseries.py                      # velocity 4000 x 4000 x 100, pair 2000 x 2000 x 100
    python bench/bench_timeseries.py --velocity-size 1000 --pair-size 500 --epochs 50
    python bench/bench_timeseries.py --quick                # every case scaled down (under two minutes)
    python bench/bench_timeseries.py --only joint --joint-size 100 --joint-dates 200

Cases (each a separate process: wall seconds and max RSS from wait4):
  floor read stack          every band of the stack read once, window by window, as the run reads it
                            (one read of all bands per window: each block of the file is read once)
  ours core velocity        losdecomp:velocity through the core API (linear model, sigma output)
  ours qgis_process velocity
  floor read pair + write   both stacks read once and two outputs of one band per output date written
  ours core decompose_ts    losdecomp:decompose_timeseries through the core API (method 0, every date)
  ours core decompose_ts, warped  the same with the descending stack a third of a pixel off the ascending grid
                            (warped onto it window by window, as tracks from different frames are)
  floor read gappy stack    as the first floor, on a pair-size stack with 1 % of pixel-epochs missing at random
  ours core velocity, gaps  losdecomp:velocity on it (most pixels then have their own pattern of epochs)
  ours core joint, single geometry    decompose_timeseries METHOD 1 (joint), single-valued geometry, no sigma
  ours core joint, per-pixel geometry the same stacks with per-pixel LOS unit vectors (INSAR_ROLE bands)
  ours core joint, sigma rasters      the single-geometry stacks with a sigma raster per track (per-pixel weights)
  ours core joint, sigma rasters + sigma outputs   the same, writing OUTPUT_SIGMA_EAST and OUTPUT_SIGMA_UP too
  ours core joint, per-pixel geometry + sigmas     per-pixel geometry, sigma rasters and sigma outputs
  (the joint cases: --joint-size pixels square, --joint-dates output dates, every acquisition of either track;
  they run --joint-repeats times in turns (default 3), each keeping its fastest wall time: one try of the
  same case moved by 15 % and more on the shared 2-core machine, as much as the margins judged)

Scaled down (under two minutes on two shared cores): ``--quick`` (sizes printed as it runs).

Inputs are uncompressed tiled float32 GeoTIFFs (the page cache is dropped before no case:
each case after the first reads warm files, as the floors do).
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
from osgeo import gdal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import figures  # noqa: E402

from bench import QGIS_PROCESS, case_runner, plugin_parent, print_cases, write_tif  # noqa: E402

gdal.UseExceptions()


def generate_stack(path, n, epochs, start, heading, seed, gaps=0.0, per_pixel=False):
    """A dated LOS displacement stack (mm) written band by band: memory stays one band;
    ``gaps``: the share of pixel-epochs set to nodata at random; ``per_pixel``: the LOS
    unit vector varies across the swath and is stored in three INSAR_ROLE bands after the
    dated ones (no heading or incidence tag)."""
    rng = np.random.default_rng(seed)
    ve = rng.normal(0, 5, (n, n)).astype(np.float32)
    vu = rng.normal(-3, 5, (n, n)).astype(np.float32)
    s = (0.6, -0.1, 0.78) if heading < 90 or heading > 270 else (-0.6, -0.1, 0.77)
    if per_pixel:  # incidence from 30 to 46 degrees across the swath
        inc = np.radians(np.linspace(30.0, 46.0, n))[None, :] * np.ones((n, 1))
        h = np.radians(heading)
        s = (-np.cos(h) * np.sin(inc), np.sin(h) * np.sin(inc), np.cos(inc))
    dates = [start + datetime.timedelta(days=12 * i) for i in range(epochs)]
    gt = (400000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0)
    tags = {"INSAR_UNIT": "mm"} if per_pixel else {"INSAR_HEADING": str(heading), "INSAR_INCIDENCE": "38",
                                                   "INSAR_UNIT": "mm"}  # fmt: skip
    write_tif(path, np.zeros((n, n), np.float32), gt, tags, bands=epochs + (3 if per_pixel else 0))
    ds = gdal.Open(path, gdal.GA_Update)
    if per_pixel:
        for i, (role, comp) in enumerate(zip(("los_east", "los_north", "los_up"), s), start=epochs + 1):
            ds.GetRasterBand(i).WriteArray(np.ascontiguousarray(comp, dtype=np.float32))
            ds.GetRasterBand(i).SetMetadataItem("INSAR_ROLE", role)
    for i, d in enumerate(dates, start=1):
        t = (d - dates[0]).days / 365.25
        band = ds.GetRasterBand(i)
        values = ((s[0] * ve + s[2] * vu) * np.float32(t)).astype(np.float32)
        if gaps:
            values[rng.random((n, n)) < gaps] = np.nan
        band.WriteArray(values)
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
        band.SetDescription(d.strftime("%Y%m%d"))
    ds = None
    return path


FLOOR_READ = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from osgeo import gdal
    from insar_decomposition.core.runs.engine import windows
    from insar_decomposition.core.io.grid import raster_info
    from insar_decomposition.core.io.reader import StackReader
    block = int(sys.argv[2])
    path = sys.argv[3]
    grid = raster_info(path).grid()
    reader = StackReader(path, list(range(1, gdal.Open(path).RasterCount + 1)), grid)
    for win in windows(grid, block):
        reader.read(*win)
    """
)

FLOOR_PAIR = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from osgeo import gdal
    from insar_decomposition.core.runs.engine import windows
    from insar_decomposition.core.io.grid import raster_info
    from insar_decomposition.core.io.reader import StackReader
    from insar_decomposition.core.io.writer import AtomicGeoTiff, BandSpec
    block, asc, desc, out_e, out_u = int(sys.argv[2]), *sys.argv[3:7]
    grid = raster_info(asc).grid()
    n = gdal.Open(asc).RasterCount
    readers = [StackReader(p, list(range(1, n + 1)), grid) for p in (asc, desc)]
    writers = [AtomicGeoTiff(p, grid, [BandSpec(str(i)) for i in range(2 * n - 1)]) for p in (out_e, out_u)]
    for win in windows(grid, block):
        data = [r.read(*win) for r in readers]
        for w in writers:
            for i in range(2 * n - 1):  # as many output dates as a run on every acquisition writes
                w.write(i + 1, data[0][min(i, n - 1)], win[0], win[1])
            w.flush()
    for w in writers:
        w.commit()
    """
)

CORE_VELOCITY = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import velocity_run as v
    req = v.VelocityRequest(sys.argv[2], None, None, 0, [], {v.VELOCITY: sys.argv[3], v.SIGMA: sys.argv[4]})
    v.run(v.plan(req))
    """
)

CORE_DECOMPOSE_TS = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import timeseries_decomp_run as t
    from insar_decomposition.core.plan.decompose import Request
    from insar_decomposition.core.plan.tracks import TrackInput
    tracks = [TrackInput("ascending", sys.argv[2], time_series=True),
              TrackInput("descending", sys.argv[3], time_series=True)]
    req = t.TimeSeriesRequest(Request(tracks=tracks, outputs={"horizontal": sys.argv[4], "up": sys.argv[5]}))
    t.run(t.plan(req))
    """
)


CORE_JOINT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import timeseries_decomp_run as t
    from insar_decomposition.core.plan.decompose import Request
    from insar_decomposition.core.plan.tracks import TrackInput
    asc, desc, out_e, out_u, sigma_asc, sigma_desc = sys.argv[2:8]
    tracks = [TrackInput("ascending", asc, time_series=True, sigma=None if sigma_asc == "-" else sigma_asc),
              TrackInput("descending", desc, time_series=True, sigma=None if sigma_desc == "-" else sigma_desc)]
    outputs = {"horizontal": out_e, "up": out_u}
    if len(sys.argv) > 8:
        outputs.update(sigma_horizontal=sys.argv[8], sigma_up=sys.argv[9])
    req = t.TimeSeriesRequest(Request(tracks=tracks, outputs=outputs), method=1)
    t.run(t.plan(req))
    """
)


def write_sigma(path, n, value, seed):
    """A one-band sigma raster (mm), varying per pixel around ``value``."""
    rng = np.random.default_rng(seed)
    write_tif(path, (value * (1.0 + 0.2 * rng.random((n, n)))).astype(np.float32),
              (400000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0), {"INSAR_UNIT": "mm"})  # fmt: skip
    return path


def shift_grid(path, dx, dy):
    ds = gdal.Open(path, gdal.GA_Update)
    gt = list(ds.GetGeoTransform())
    ds.SetGeoTransform([gt[0] + dx, gt[1], gt[2], gt[3] + dy, gt[4], gt[5]])
    ds = None


def generated(path, n, epochs, start, heading, seed, gaps=0.0, per_pixel=False):
    """``generate_stack`` in a process of its own: a child forked from a process that wrote a
    big file would inherit its peak memory (Linux keeps the high-water mark across exec)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--generate", path, str(n), str(epochs), start, str(heading),
           str(seed), str(gaps), str(int(per_pixel))]  # fmt: skip
    subprocess.run(cmd, check=True)
    return path


def run(args):
    from insar_decomposition.core.runs import timeseries_decomp_run, velocity_run

    parent = plugin_parent()
    work = os.path.join(args.work, "timeseries")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    py = sys.executable
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    res = {}
    case = case_runner(res, work)

    out = lambda name: os.path.join(work, name)  # noqa: E731
    n, e = args.velocity_size, args.epochs
    if "velocity" in args.only:
        print(f"\n== velocity: {e} epochs x {n} x {n} ({4 * e * n * n / 1e9:.1f} GB): generating", flush=True)
        stack = generated(out("stack.tif"), n, e, "2019-01-01", 348.0, 1)
        case("floor read stack", [py, "-c", FLOOR_READ, parent, str(velocity_run.BLOCK_PIXELS), stack])
        case("ours core velocity", [py, "-c", CORE_VELOCITY, parent, stack, out("o_v.tif"), out("o_s.tif")])
        cmd = [QGIS_PROCESS, "run", "losdecomp:velocity", "--", f"INPUT={stack}", f"OUTPUT={out('o_v.tif')}"]
        case("ours qgis_process velocity", cmd, env=env)
        os.remove(stack)

    n = args.pair_size
    if "pair" in args.only:
        print(f"\n== decompose_timeseries: 2 x {e} epochs x {n} x {n}: generating", flush=True)
        asc = generated(out("asc.tif"), n, e, "2019-01-01", 348.0, 2)
        desc = generated(out("desc.tif"), n, e, "2019-01-05", 192.0, 3)
        block = str(timeseries_decomp_run.BLOCK_PIXELS)
        case("floor read pair + write", [py, "-c", FLOOR_PAIR, parent, block, asc, desc, out("o_e.tif"),
                                         out("o_u.tif")])  # fmt: skip
        case("ours core decompose_ts", [py, "-c", CORE_DECOMPOSE_TS, parent, asc, desc, out("o_e.tif"),
                                        out("o_u.tif")])  # fmt: skip
        shift_grid(desc, 10.0, -7.0)  # a third of a pixel: the descending track is warped onto the ascending grid
        case("ours core decompose_ts, warped", [py, "-c", CORE_DECOMPOSE_TS, parent, asc, desc, out("o_e.tif"),
                                                out("o_u.tif")])  # fmt: skip
        os.remove(desc)
    if "gaps" in args.only:
        print(f"\n== velocity with 1 % of pixel-epochs missing at random (the worst case for the fit): {e} epochs "
              f"x {n} x {n}: generating", flush=True)  # fmt: skip
        gappy = generated(out("gappy.tif"), n, e, "2019-01-01", 348.0, 4, gaps=0.01)
        case("floor read gappy stack", [py, "-c", FLOOR_READ, parent, str(velocity_run.BLOCK_PIXELS), gappy])
        case("ours core velocity, gaps", [py, "-c", CORE_VELOCITY, parent, gappy, out("o_v.tif"), out("o_s.tif")])
    if "joint" in args.only:
        run_joint(args, case, out)
    shutil.rmtree(work, ignore_errors=True)
    return res


def run_joint(args, case, out):
    """The joint method (METHOD 1) on one pair of stacks: single-valued geometry, per-pixel
    geometry, sigma rasters (same dates, same motion)."""
    parent, py = plugin_parent(), sys.executable
    n, e = args.joint_size, (args.joint_dates + 1) // 2  # two tracks, 4 days apart: every acquisition is a date
    print(f"\n== decompose_timeseries METHOD 1 (joint): 2 x {e} epochs ({2 * e} output dates) x {n} x {n}: "
          "generating", flush=True)  # fmt: skip
    stacks = {k: generated(out(f"j_{k}.tif"), n, e, start, heading, seed, per_pixel=pp)
              for k, start, heading, seed, pp in (("asc", "2019-01-01", 348.0, 5, False),
                                                  ("desc", "2019-01-05", 192.0, 6, False),
                                                  ("asc_pp", "2019-01-01", 348.0, 5, True),
                                                  ("desc_pp", "2019-01-05", 192.0, 6, True))}  # fmt: skip
    sigmas = [write_sigma(out("j_sa.tif"), n, 2.0, 7), write_sigma(out("j_sd.tif"), n, 3.0, 8)]
    for attempt in range(max(args.joint_repeats, 1)):  # the cases in turns; each keeps its fastest
        print(f"  try {attempt + 1} of {args.joint_repeats}", flush=True)
        joint_cases(case, out, parent, py, stacks, sigmas)


def joint_cases(case, out, parent, py, stacks, sigmas):
    outputs = [out("o_e.tif"), out("o_u.tif")]
    case("ours core joint, single geometry", [py, "-c", CORE_JOINT, parent, stacks["asc"], stacks["desc"],
                                              *outputs, "-", "-"])  # fmt: skip
    case("ours core joint, per-pixel geometry", [py, "-c", CORE_JOINT, parent, stacks["asc_pp"],
                                                 stacks["desc_pp"], *outputs, "-", "-"])  # fmt: skip
    case("ours core joint, sigma rasters", [py, "-c", CORE_JOINT, parent, stacks["asc"], stacks["desc"], *outputs,
                                            *sigmas])  # fmt: skip
    case("ours core joint, sigma rasters + sigma outputs", [py, "-c", CORE_JOINT, parent, stacks["asc"],
                                                            stacks["desc"], *outputs, *sigmas, out("o_se.tif"),
                                                            out("o_su.tif")])  # fmt: skip
    case("ours core joint, per-pixel geometry + sigmas", [py, "-c", CORE_JOINT, parent, stacks["asc_pp"],
                                                          stacks["desc_pp"], *outputs, *sigmas, out("o_se.tif"),
                                                          out("o_su.tif")])  # fmt: skip


#: (case, reference, target ratio of wall time) of the issue's targets measured here.
TARGETS = (
    ("ours core joint, per-pixel geometry", "ours core joint, single geometry", 3.0),
    ("ours core joint, sigma rasters", "ours core joint, single geometry", 1.5),
    ("ours core joint, sigma rasters + sigma outputs", "ours core joint, single geometry", 1.5),
    ("ours core velocity, gaps", "floor read gappy stack", 2.0),
)


def report(res, joint=""):
    print("\n" + "=" * 78)
    print_cases(
        res,
        (
            ("ours core velocity", "floor read stack"),
            ("ours qgis_process velocity", "floor read stack"),
            ("ours core decompose_ts", "floor read pair + write"),
            ("ours core decompose_ts, warped", "floor read pair + write"),
            ("ours core velocity, gaps", "floor read gappy stack"),
            ("ours core joint, per-pixel geometry", "ours core joint, single geometry"),
            ("ours core joint, sigma rasters", "ours core joint, single geometry"),
            ("ours core joint, sigma rasters + sigma outputs", "ours core joint, single geometry"),
            ("ours core joint, per-pixel geometry + sigmas", "ours core joint, single geometry"),
        ),
    )
    print("  targets (wall time ratio, same run):")
    for a, b, target in TARGETS:
        if a in res and b in res:
            r = res[a][0] / res[b][0]
            print(f"    {a} / {b}: {r:.2f} (target <= {target:g}: {'met' if r <= target else 'NOT met'})")
    for name, (a, b, target) in FIGURES.items():
        if a in res and b in res:
            figures.report(name, res[a][0] / res[b][0], target, f"wall time, {a} / {b}, {joint}")


#: The issue's figures measured here (bench/figures.py): name -> (case, reference, target).
FIGURES = {
    "joint.per_pixel_geometry_vs_single": TARGETS[0],
    "joint.sigma_rasters_vs_none": TARGETS[1],
    "joint.sigma_outputs_vs_none": TARGETS[2],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--velocity-size", type=int, default=4000)
    parser.add_argument("--pair-size", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--joint-size", type=int, default=500)
    parser.add_argument("--joint-dates", type=int, default=200)
    parser.add_argument("--joint-repeats", type=int, default=3,
                        help="tries of the joint cases, in turns; each case's fastest is kept (default 3)")  # fmt: skip
    parser.add_argument(
        "--only",
        nargs="+",
        default=["velocity", "pair", "gaps", "joint"],
        choices=["velocity", "pair", "gaps", "joint"],
        help="the groups of cases to run",
    )
    parser.add_argument("--quick", action="store_true", help="scaled down to run in under two minutes: velocity "
                        "400 x 400, pair 200 x 200, 50 epochs, joint 100 x 100 at 200 dates")  # fmt: skip
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--generate", nargs=8, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        path, n, epochs, start, heading, seed, gaps, per_pixel = args.generate
        generate_stack(path, int(n), int(epochs), datetime.date.fromisoformat(start), float(heading), int(seed),
                       float(gaps), bool(int(per_pixel)))  # fmt: skip
        return
    if args.quick:
        args.velocity_size, args.pair_size, args.epochs, args.joint_size = 400, 200, 50, 100
    sys.path.insert(0, plugin_parent())
    res = run(args)
    report(res, f"{args.joint_size} x {args.joint_size} pixels, {args.joint_dates} dates, fastest of "
                f"{args.joint_repeats} in turns")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
