"""Bench: merging four overlapping frames (losdecomp:merge_frames in core) against reading every
input band once, the ratio printed. Not a test: run it by hand,
    .venv/bin/python bench/bench_merge_frames.py [SIZE]   (also in `make bench`)
SIZE is each frame's width and height in pixels (default 2000; the issue's target is 5000)."""

import os
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import figures  # noqa: E402

import synthetic_scene as scene  # noqa: E402

sys.path.insert(0, os.path.dirname(ROOT))
PACKAGE = os.path.basename(ROOT)
merge_frames = __import__(f"{PACKAGE}.core.runs.merge_frames", fromlist=["x"])
tracks = __import__(f"{PACKAGE}.core.plan.tracks", fromlist=["x"])

ROLES = ["velocity", "velocity_std", "los_east", "los_north", "los_up"]


def write_frames(folder, size, overlap=200):
    """Four frames in a 2 x 2 layout, each with velocity, sigma and the unit vector as bands."""
    rng, paths = np.random.default_rng(0), []
    s = scene.los_unit_vector(348.0, 39.0)
    for k, (i, j) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        c0, r0 = j * (size - overlap), i * (size - overlap)
        rows, cols = np.mgrid[r0 : r0 + size, c0 : c0 + size].astype(np.float32)
        v = 0.001 * (rows + cols) + k + rng.normal(0, 0.5, (size, size)).astype(np.float32)
        stack = np.stack([v, np.full_like(v, 0.5)] + [np.full_like(v, c) for c in s])
        path = os.path.join(folder, f"frame{k + 1}.tif")
        gt = (500000.0 + c0 * 100, 100.0, 0, 4000000.0 - r0 * 100, 0, -100.0)
        scene.write_raster(path, stack, 32611, gt, metadata={"INSAR_UNIT": "mm/year"})
        ds = gdal.Open(path, gdal.GA_Update)
        for b, role in enumerate(ROLES, start=1):
            ds.GetRasterBand(b).SetMetadataItem("INSAR_ROLE", role)
        ds = None
        paths.append(path)
    return paths


def read_once(paths):
    for path in paths:
        ds = gdal.Open(path)
        for b in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(b)
            bw, bh = band.GetBlockSize()
            for row in range(0, ds.RasterYSize, 512):
                band.ReadAsArray(0, row, ds.RasterXSize, min(512, ds.RasterYSize - row))
        ds = None


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as folder:
        paths = write_frames(folder, size)
        gdal.SetCacheMax(64 << 20)
        t0 = time.perf_counter()
        read_once(paths)
        t_read = time.perf_counter() - t0
        frames = [tracks.TrackInput(f"frame {k + 1}", p) for k, p in enumerate(paths)]
        times = {}
        for compression in ("none", "zstd"):
            req = merge_frames.MergeRequest(frames, os.path.join(folder, f"merged_{compression}.tif"),
                                            compression=compression)  # fmt: skip
            t0 = time.perf_counter()
            summary = merge_frames.run(merge_frames.plan(req))
            times[compression] = time.perf_counter() - t0
    print(f"four {size} x {size} frames (5 bands each), merged grid {2 * size - 200} x {2 * size - 200}")
    print(f"reading every band once: {t_read:.2f} s")
    for compression, t in times.items():
        print(f"merging (plan, overlaps, merged raster written, compression {compression}): {t:.2f} s; "
              f"ratio {t / t_read:.2f}")
    print("\n".join(summary.lines))
    detail = f"four {size} x {size} frames, 5 bands each, merged {{compression}} / reading every band once"
    figures.report("merge_frames.vs_read", times["zstd"] / t_read, 2.0, detail.format(compression="ZSTD (default)"))
    figures.report("merge_frames.vs_read_uncompressed", times["none"] / t_read, None,
                   detail.format(compression="uncompressed"))  # fmt: skip


if __name__ == "__main__":
    main()
