"""Bad input on the Dask path: a tile missing from a VRT mosaic, a chunk that fails on a
worker (a damaged input), a scheduler that cannot be reached. Each is a clear error and
leaves no output, no store that looks complete and no hidden temporary file."""

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
from osgeo import gdal

from conftest import IMPORT_PARENT, run_cli


def listing(folder):
    return sorted(os.listdir(folder))


def mosaic_with_a_missing_tile(src, folder):
    """A VRT of ``src`` cut into four tiles, the last of which is then deleted."""
    ds = gdal.Open(src)
    w, h = ds.RasterXSize, ds.RasterYSize
    tiles = []
    for k, (c, r) in enumerate(((0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2))):
        path = os.path.join(folder, f"tile{k}.tif")
        gdal.Translate(path, ds, srcWin=[c, r, w - c if c else w // 2, h - r if r else h // 2])
        tiles.append(path)
    vrt = os.path.join(folder, "mosaic.vrt")
    gdal.BuildVRT(vrt, tiles).FlushCache()
    os.remove(tiles[-1])
    return vrt, tiles[-1]


def test_a_missing_tile_of_a_vrt_mosaic_is_named(scene, tmp_path):
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    vrt, missing = mosaic_with_a_missing_tile(scene["asc"], str(tiles))
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = run_cli("decompose", "--ascending", vrt, "--asc-heading", 348, "--asc-incidence", 34,
                             "--descending", scene["desc"], "--output-east",
                             out / "e.tif", "--output-up", out / "u.tif", "--scheduler", "local:2",
                             "--chunks", "64")  # fmt: skip
    assert status == 1
    assert "no output written" in err and os.path.basename(missing) in err
    assert listing(out) == []


def damaged_stack(src, path):
    """A copy of the stack ``src`` (tiled, uncompressed) whose second half is zeroed: its
    header is sound, reading the blocks there fails."""
    gdal.Translate(path, src, creationOptions=["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=DEFLATE"])
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(b"\xff" * (size // 2 - 4096))
    return path


def test_a_chunk_failing_on_a_worker_leaves_no_store(stacks, tmp_path):
    bad = damaged_stack(stacks["desc"], str(tmp_path / "damaged.tif"))
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = run_cli("decompose-timeseries", "--ascending", stacks["asc"], "--descending", bad,
                             "--output-east", out / "east.zarr", "--output-up", out / "up.nc",
                             "--scheduler", "local:2", "--chunks", "16")  # fmt: skip
    assert status == 1, err
    assert "no output written" in err and "damaged.tif" in err
    assert listing(out) == []


def test_an_unreachable_scheduler_is_said_before_any_output(scene, tmp_path):
    start = time.monotonic()
    status, out, err = run_cli("decompose", "--ascending", scene["asc"], "--descending", scene["desc"],
                               "--output-east", tmp_path / "e.tif", "--output-up", tmp_path / "u.tif",
                               "--scheduler", "tcp://127.0.0.1:9")  # fmt: skip
    assert status == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert time.monotonic() - start < 120
    assert listing(tmp_path) == []


def test_a_series_output_needs_a_store_extension(stacks, tmp_path):
    status, _, err = run_cli("decompose-timeseries", "--ascending", stacks["asc"], "--descending", stacks["desc"],
                             "--output-east", tmp_path / "east.h5", "--output-up", tmp_path / "up.zarr",
                             "--scheduler", "local:1")  # fmt: skip
    assert status == 1 and ".zarr (Zarr v2) or .nc (NetCDF-CF)" in err
    assert listing(tmp_path) == []


def test_chunks_without_a_scheduler_are_refused(scene, tmp_path):
    status, _, err = run_cli("decompose", "--ascending", scene["asc"], "--descending", scene["desc"],
                             "--output-east", tmp_path / "e.tif", "--output-up", tmp_path / "u.tif", "--chunks", "64")
    assert status == 1 and "--chunks is a Dask option" in err
    assert np.all([not p.endswith(".tif") for p in listing(tmp_path)])


SETTLE = textwrap.dedent(
    """
    import json, os, sys, time
    import dask
    from distributed import Client, LocalCluster
    from insar_decomposition.cli.dask_run import compute

    folder = sys.argv[1]

    def chunk(i):
        if i % 3 == 0:
            time.sleep(0.3)
            raise OSError("chunk %d failed" % i)
        time.sleep(2.0)
        open(os.path.join(folder, str(i)), "w").close()

    if __name__ == "__main__":
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               silence_logs=50)
        with Client(cluster) as client:
            try:
                compute(client, [[dask.delayed(chunk)(i) for i in range(12)]])
            except OSError as exc:
                error = str(exc)
            at_raise = sorted(os.listdir(folder))
            time.sleep(3.0)
            print(json.dumps({"error": error, "at_raise": at_raise, "later": sorted(os.listdir(folder))}))
        cluster.close()
    """
)


def test_a_failure_waits_for_the_tasks_still_running_on_the_workers(tmp_path):
    """The scheduler forgets a cancelled task at once, but the worker thread running it goes on
    and writes its chunk: compute() raises only once no worker runs or holds a task of the
    graph, so nothing is written after the caller removes its temporary files."""
    env = dict(os.environ, PYTHONPATH=str(IMPORT_PARENT))
    out = subprocess.run([sys.executable, "-c", SETTLE, str(tmp_path)], capture_output=True, text=True, env=env,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["error"].startswith("chunk ") and seen["error"].endswith(" failed")
    assert seen["later"] == seen["at_raise"]
