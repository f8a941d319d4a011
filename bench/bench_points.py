"""`make bench` (points): gridding an EGMS-format CSV of N points, as a whole process (wall
time, peak memory), against the floor of reading the same file's columns with numpy. Prints
figures and points per second; asserts nothing.

    python bench/bench_points.py                 # 10 million points
    python bench/bench_points.py --points 2000000

Cases:
  floor parse               the CSV's coordinate, velocity and look-vector columns parsed in batches
                            by numpy (what gridding must read at least)
  ours grid mean            losdecomp:grid_points in core, mean per 100 m cell
  ours grid median          the same, median per cell (keeps 12 bytes per point)
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
            np.loadtxt(lines, delimiter=",", usecols=(2, 3, 5, 7, 8, 9), ndmin=2)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=10_000_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-points-")
    try:
        csv = os.path.join(folder, "egms.csv")
        print(f"generating {args.points} points ...", flush=True)
        # in a process of its own: measured children must not inherit the generator's memory
        code = f"import sys; sys.path.insert(0, {HERE!r}); import bench_points as b; b.generate({csv!r}, {args.points})"
        subprocess.run([sys.executable, "-c", code], check=True)
        print(f"   {os.path.getsize(csv) / 1e6:.0f} MB of CSV")
        results = {}
        case = case_runner(results, folder)
        parent = plugin_parent()
        case("floor parse", [sys.executable, "-c", FLOOR, csv])
        case("ours grid mean", [sys.executable, "-c", OURS, parent, csv, os.path.join(folder, "o_mean.tif"), "0"])
        case("ours grid median", [sys.executable, "-c", OURS, parent, csv, os.path.join(folder, "o_med.tif"), "1"])
        floor = results["floor parse"][0]
        for name, (seconds, mb) in results.items():
            print(f"{name:20s} {seconds:7.2f} s {mb:7.0f} MB  {args.points / seconds / 1e6:5.2f} M points/s  "
                  f"x{seconds / floor:.2f} the parse floor")  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
