"""`make bench` (points): gridding an EGMS-format CSV of N points, as a whole process (wall
time, peak memory), against the floor of reading the same file's columns with numpy. Prints
figures and points per second; asserts nothing.

    python bench/bench_points.py                 # 2 million points (scaled)
    python bench/bench_points.py --full          # 10 million points (the issue's size)
    python bench/bench_points.py --csv FILE      # an existing EGMS-format CSV (not removed)

Cases:
  floor parse               the CSV's coordinate, velocity, velocity-sigma and look-vector columns
                            parsed in batches by numpy (what gridding must read at least)
  ours grid mean            losdecomp:grid_points in core, mean per 100 m cell
  ours grid median          the same, median per cell (12 bytes per point spilled to a temporary
                            folder, sorted a block of cells at a time)

Targets (issue 36): each within 1.3x the parse floor's time, peak memory under 400 MB.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import case_runner, plugin_parent  # noqa: E402

HEADER = "pid,mp_type,easting,northing,height,mean_velocity,mean_velocity_std,los_east,los_north,los_up\n"


def generate(path, count, seed=0, chunk=1_000_000):
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(HEADER)
        for start in range(0, count, chunk):
            n = min(chunk, count - start)
            x = 4_000_000 + rng.uniform(0, 100_000, n)  # a 100 km x 40 km burst mosaic
            y = 3_000_000 + rng.uniform(0, 40_000, n)
            t = np.radians(30 + 15 * (x - 4_000_000) / 100_000)
            h = np.radians(348.0)
            e, nn, u = -np.cos(h) * np.sin(t), np.sin(h) * np.sin(t), np.cos(t)
            v = rng.normal(0, 5, n)
            body = np.column_stack([x, y, np.full(n, 100.0), v, np.full(n, 0.7), e, nn, u])
            ids = np.char.add("p", np.arange(start, start + n).astype(str))
            lines = [f"{i},PS," for i in ids]
            text = np.char.add(lines, [",".join(r) for r in np.char.mod("%.4f", body)])
            f.write("\n".join(text) + "\n")


FLOOR = textwrap.dedent(
    """
    import itertools, sys
    import numpy as np
    with open(sys.argv[1]) as f:
        f.readline()
        while True:
            lines = list(itertools.islice(f, 1 << 18))
            if not lines:
                break
            np.loadtxt(lines, delimiter=",", usecols=(2, 3, 5, 6, 7, 8, 9), ndmin=2)
    """
)

OURS = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import point_grid
    from insar_decomposition.core.io import points
    req = point_grid.GridPointsRequest(points.CsvPoints(sys.argv[2]), sys.argv[3], statistic=int(sys.argv[4]))
    s = point_grid.run(point_grid.plan(req))
    print(s.used, s.cells)
    """
)


TIME_TARGET, MEMORY_TARGET_MB = 1.3, 400.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=2_000_000)
    parser.add_argument("--full", action="store_true", help="10 million points (the issue's size)")
    parser.add_argument("--csv", help="an existing EGMS-format CSV to grid instead of generating one")
    args = parser.parse_args()
    count = 10_000_000 if args.full else args.points
    folder = tempfile.mkdtemp(prefix="bench-points-")
    try:
        csv = args.csv or os.path.join(folder, "egms.csv")
        if not args.csv:
            print(f"generating {count} points ...", flush=True)
            # in a process of its own: measured children must not inherit the generator's memory
            code = f"import sys; sys.path.insert(0, {HERE!r}); import bench_points as b; b.generate({csv!r}, {count})"
            subprocess.run([sys.executable, "-c", code], check=True)
        else:
            with open(csv) as f:
                count = sum(1 for _ in f) - 1
        print(f"   {count} points, {os.path.getsize(csv) / 1e6:.0f} MB of CSV")
        results = {}
        case = case_runner(results, folder)
        parent = plugin_parent()
        case("floor parse", [sys.executable, "-c", FLOOR, csv])
        case("ours grid mean", [sys.executable, "-c", OURS, parent, csv, os.path.join(folder, "o_mean.tif"), "0"])
        case("ours grid median", [sys.executable, "-c", OURS, parent, csv, os.path.join(folder, "o_med.tif"), "1"])
        report(results, count)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _verdict(ok):
    return "met" if ok else "NOT met"


def report(results, count):
    floor = results["floor parse"][0]
    for name, (seconds, mb) in results.items():
        ratio = seconds / floor
        line = f"{name:20s} {seconds:7.2f} s {mb:7.0f} MB  {count / seconds / 1e6:5.2f} M points/s  x{ratio:.2f}"
        if name.startswith("ours"):
            line += (
                f" the parse floor (target <= {TIME_TARGET}x: {_verdict(ratio <= TIME_TARGET)}), "
                f"peak {mb:.0f} MB (target < {MEMORY_TARGET_MB:.0f}: {_verdict(mb < MEMORY_TARGET_MB)})"
            )
        print(line)


if __name__ == "__main__":
    main()
