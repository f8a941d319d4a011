"""The losdecomp command line at scale: a single-epoch pair and a time-series pair, in process
and with --scheduler local:1 and local:2; wall time, peak memory (the largest resident set of
the CLI process and, for Dask, of each worker, sampled every 0.2 s) and the ratio to the
in-process path. Also the seconds per chunk of the Dask path, for the cost model in
docs/library.md.

    build/lib-venv/bin/python bench/bench_library.py            # scaled sizes: 6 minutes here under load
    build/lib-venv/bin/python bench/bench_library.py --full     # the issue's 20000 x 20000 and
                                                                # 100-date 4000 x 4000 pairs

The pairs are two tiled float32 GeoTIFFs whose grids differ by a fraction of a pixel (the
descending track is resampled: warped by GDAL for single epochs), with single-valued
geometry in their tags."""

import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import figures  # noqa: E402

SCALED = {"single": 3000, "series": (600, 20)}
FULL = {"single": 20000, "series": (4000, 100)}
ASC, DESC = (348.0, 34.0), (192.0, 39.0)


def _srs(epsg):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def _raster(path, size, bands, heading, incidence, shift=0.0, dates=None):
    """A tiled float32 raster of ``size`` pixels of 20 m (bands of smooth signal), written row block by row block."""
    opts = ["TILED=YES", "COMPRESS=ZSTD", "BIGTIFF=YES", "INTERLEAVE=BAND"]
    ds = gdal.GetDriverByName("GTiff").Create(path, size, size, bands, gdal.GDT_Float32, opts)
    ds.SetGeoTransform((400000.0 + shift, 20.0, 0.0, 4000000.0 - shift, 0.0, -20.0))
    ds.SetProjection(_srs(32611))
    ds.SetMetadata({"INSAR_HEADING": str(heading), "INSAR_INCIDENCE": str(incidence), "INSAR_UNIT": "mm/year"
                    if dates is None else "mm"})  # fmt: skip
    rows = 512
    for b in range(bands):
        band = ds.GetRasterBand(b + 1)
        if dates is not None:
            band.SetMetadataItem("INSAR_DATE", dates[b].strftime("%Y%m%d"))
            band.SetDescription(dates[b].strftime("%Y%m%d"))
        for r in range(0, size, rows):
            n = min(rows, size - r)
            y, x = np.mgrid[r : r + n, 0:size].astype(np.float32)
            band.WriteArray(np.sin(x / 300.0) * np.cos(y / 250.0) * 10 * (b + 1) / bands, 0, r)
    ds = None
    return path


def _peak_rss(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS"):
                        total = max(total, int(line.split()[1]) * 1024)
        except OSError:
            pass
    return total


def _children(pid):
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    kids = [int(p) for p in out.split()]
    return kids + [g for k in kids for g in _children(k)]


def run(args):
    """(seconds, peak RSS of the CLI process, peak RSS of any worker) of ``losdecomp ARGS``."""
    env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH", ""))
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "insar_decomposition.cli.main", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    peaks = {"main": 0, "worker": 0}

    def watch():
        while proc.poll() is None:
            peaks["main"] = max(peaks["main"], _peak_rss([proc.pid]))
            peaks["worker"] = max(peaks["worker"], _peak_rss(_children(proc.pid)))
            time.sleep(0.2)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    _, err = proc.communicate()
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"losdecomp {' '.join(args)} failed:\n{err[-2000:]}")
    return time.monotonic() - start, peaks["main"], peaks["worker"]


def bench(kind, pair, outputs, chunks, schedulers):
    rows = []
    for scheduler in schedulers:
        extra = [] if scheduler is None else ["--scheduler", scheduler, "--chunks", str(chunks)]
        seconds, main, worker = run([kind, *pair, *outputs(scheduler), *extra])
        rows.append({"kind": kind, "scheduler": scheduler or "in process", "seconds": round(seconds, 2),
                     "peak_main_mb": round(main / 2**20), "peak_worker_mb": round(worker / 2**20)})  # fmt: skip
    base = rows[0]["seconds"]
    for row in rows:
        row["ratio_to_in_process"] = round(row["seconds"] / base, 2)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the issue's sizes (hours and about 10 GB of disk)")
    parser.add_argument("--single-size", type=int, help="pixels a side of the single-epoch pair")
    parser.add_argument("--series-size", type=int, help="pixels a side of the time-series pair")
    parser.add_argument("--dates", type=int, help="dates of the time-series pair")
    parser.add_argument("--chunks", type=int, default=1024)
    parser.add_argument("--series-chunks", type=int, default=256)
    parser.add_argument("--work", default=None, help="folder for the data (default: a temporary one)")
    a = parser.parse_args()
    sizes = FULL if a.full else SCALED
    single = a.single_size or sizes["single"]
    series, ndates = a.series_size or sizes["series"][0], a.dates or sizes["series"][1]
    work = a.work or tempfile.mkdtemp(prefix="losdecomp-bench-")
    os.makedirs(work, exist_ok=True)
    schedulers = (None, "local:1", "local:2")
    asc = _raster(os.path.join(work, "asc.tif"), single, 1, *ASC)
    desc = _raster(os.path.join(work, "desc.tif"), single, 1, *DESC, shift=7.0)
    rows = bench("decompose", ["--ascending", asc, "--descending", desc],
                 lambda s: ["--output-east", os.path.join(work, f"e_{s}.tif"),
                            "--output-up", os.path.join(work, f"u_{s}.tif")], a.chunks, schedulers)  # fmt: skip
    d0 = datetime.date(2020, 1, 1)
    da_ = [d0 + datetime.timedelta(days=12 * k) for k in range(ndates)]
    dd_ = [d0 + datetime.timedelta(days=12 * k + 6) for k in range(ndates)]
    tsa = _raster(os.path.join(work, "tsa.tif"), series, ndates, *ASC, dates=da_)
    tsd = _raster(os.path.join(work, "tsd.tif"), series, ndates, *DESC, shift=7.0, dates=dd_)
    rows += bench("decompose-timeseries", ["--ascending", tsa, "--descending", tsd],
                  lambda s: ["--output-up", os.path.join(work, f"ts_u_{s}.tif" if s is None else f"ts_u_{s}.zarr"),
                             "--output-east", os.path.join(work, f"ts_e_{s}.tif" if s is None else f"ts_e_{s}.zarr")],
                  a.series_chunks, schedulers)  # fmt: skip
    chunks_single = math.ceil(single / a.chunks) ** 2
    for row in rows:
        if row["kind"] == "decompose" and row["scheduler"] == "local:1":
            row["seconds_per_chunk"] = round(row["seconds"] / chunks_single, 3)
    print(json.dumps({"single_size": single, "series_size": series, "dates": ndates, "rows": rows}, indent=1))
    for row in rows:
        if row["scheduler"] != "in process":
            size = f"{single} x {single}" if row["kind"] == "decompose" else f"{ndates} x {series} x {series}"
            name = f"library.{row['kind'].replace('-', '_')}_{row['scheduler'].replace(':', '')}_vs_in_process"
            figures.report(name, row["ratio_to_in_process"], None,
                           f"{size}; peak MB per worker {row['peak_worker_mb']}")  # fmt: skip


if __name__ == "__main__":
    main()
