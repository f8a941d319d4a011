"""`make bench`: wall time and peak memory of whole processes, ours against MintPy and the
I/O floor, on synthetic pairs generated here. Prints figures and ratios; asserts nothing.

    make bench                        # sizes 2000 5000 10000
    make bench BENCH_ARGS="--sizes 2000 20000 --skip-mintpy"

Cases (each a separate process, measured with wait4: wall seconds and max RSS):
  ours qgis_process const   qgis_process.bin run losdecomp:decompose, identical grids, single-valued geometry
  ours core const           the same through the core API (python, no QGIS start-up)
  ours core per-pixel       identical grids, per-pixel LOS unit vectors (LiCSBAS-style E/N/U rasters)
  ours qgis_process per-pixel
  ours core warped          the descending track on another grid (shifted, other pixel size): warped in process
  mintpy const              MintPy asc_desc2horz_vert.py on the same data as HDF5
  mintpy -g                 the same with per-pixel geometry files (MintPy: 20-pixel windows)
  floor read+write          read both inputs and write two outputs like ours, no computation (ZSTD, as ours)
  floor read+write, no compression   the same writing uncompressed outputs
  qgis_process start-up     the same qgis_process.bin run (COMPRESSION=2) on a 16 x 16 pair: the fixed cost
                            of a run (QGIS, its providers and the plugin loaded, the algorithm set up), no data
  floor warp                GDAL warping of both inputs alone to the common grid of the warped case

  ours qgis_process const, no compression   COMPRESSION=2: uncompressed outputs, as MintPy writes

Inputs are uncompressed tiled GeoTIFF (MintPy's HDF5 inputs and outputs are uncompressed
too); our outputs are our default ZSTD-compressed tiled GeoTIFFs unless said otherwise.
Inputs are generated in a separate process, so that the peak memory of each measured
process is its own (a forked child starts with its parent's pages).
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
from osgeo import gdal, osr

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, HERE)
import figures  # noqa: E402

import mintpy_env  # noqa: E402

gdal.UseExceptions()
QGIS_PROCESS = "/usr/bin/qgis_process.bin"
PIXEL = 30.0
ORIGIN = (400000.0, 4000000.0)
GEOMS = {"asc": (348.0, 30.0, 46.0), "desc": (192.0, 31.0, 45.0)}  # heading, near and far incidence


def _srs(epsg=32611):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    return s


def write_tif(path, array, gt, metadata=None, bands=1):
    """``array`` in band 1 of a tiled float32 GeoTIFF with ``bands`` bands (the others left to fill)."""
    ds = gdal.GetDriverByName("GTiff").Create(
        path, array.shape[1], array.shape[0], bands, gdal.GDT_Float32, ["TILED=YES", "BIGTIFF=IF_SAFER"]
    )
    ds.SetGeoTransform(gt)
    ds.SetProjection(_srs().ExportToWkt())
    if metadata:
        ds.SetMetadata(metadata)
    for i in range(1, bands + 1):
        ds.GetRasterBand(i).SetNoDataValue(float("nan"))
    b = ds.GetRasterBand(1)
    for r in range(0, array.shape[0], 1024):
        b.WriteArray(np.ascontiguousarray(array[r : r + 1024]), 0, r)  # no broadcast views for GDAL
    ds = None


def unit_vectors(heading, inc_near, inc_far, n):
    """Per-pixel ground-to-satellite unit vector, incidence varying across the swath."""
    inc = np.radians(np.linspace(inc_near, inc_far, n, dtype=np.float32))[None, :]
    h = math.radians(heading)
    e = (-math.cos(h) * np.sin(inc)).astype(np.float32)
    north = (math.sin(h) * np.sin(inc)).astype(np.float32)
    up = np.cos(inc).astype(np.float32)
    return e, north, up


def generate(folder, n):
    """Inputs for every case; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    x = np.sin(np.arange(n, dtype=np.float32) / 300.0)
    y = np.cos(np.arange(n, dtype=np.float32) / 500.0)
    east = 10.0 * y[:, None] * x[None, :]
    up = -20.0 * (x[None, :] ** 2) * (0.5 + 0.5 * y[:, None])
    gt = (ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL)
    paths = {}
    for name, (h, t0, t1) in GEOMS.items():
        t_mid = 0.5 * (t0 + t1)
        hr, tr = math.radians(h), math.radians(t_mid)
        s = (-math.cos(hr) * math.sin(tr), math.sin(hr) * math.sin(tr), math.cos(tr))
        los = (s[0] * east + s[2] * up).astype(np.float32)
        tags = {"INSAR_HEADING": str(h), "INSAR_INCIDENCE": str(t_mid), "INSAR_UNIT": "mm/year"}
        paths[f"{name}_const"] = os.path.join(folder, f"{name}.tif")
        write_tif(paths[f"{name}_const"], los, gt, tags)
        np.save(os.path.join(folder, f"{name}_const.npy"), los)
        # per pixel: LiCSBAS-style folder
        e, nn, u = unit_vectors(h, t0, t1, n)
        los_pp = (e * east + u * up).astype(np.float32)
        sub = os.path.join(folder, f"{name}_licsbas")
        os.makedirs(sub, exist_ok=True)
        paths[f"{name}_pixel"] = os.path.join(sub, "vel.geo.tif")
        write_tif(paths[f"{name}_pixel"], los_pp, gt)
        for comp, arr in (("E", e), ("N", nn), ("U", u)):
            write_tif(os.path.join(sub, f"{comp}.geo.tif"), np.broadcast_to(arr, (n, n)), gt)
        np.save(os.path.join(folder, f"{name}_pixel.npy"), los_pp)
        inc = np.degrees(np.arccos(u))
        az = np.degrees(np.arctan2(nn, e)) - 90.0  # MintPy convention: from north, anticlockwise
        np.save(os.path.join(folder, f"{name}_inc.npy"), np.broadcast_to(inc, (n, n)).astype(np.float32))
        np.save(os.path.join(folder, f"{name}_az.npy"), np.broadcast_to(az, (n, n)).astype(np.float32))
    # warped case: the descending track on a shifted grid with 10 % larger pixels
    m = int(n / 1.1)
    gt_w = (ORIGIN[0] + 0.37 * PIXEL, PIXEL * 1.1, 0.0, ORIGIN[1] - 0.41 * PIXEL, 0.0, -PIXEL * 1.1)
    desc = np.load(os.path.join(folder, "desc_const.npy"))
    rows = np.minimum((np.arange(m) * 1.1).astype(int), n - 1)
    paths["desc_warped"] = os.path.join(folder, "desc_warped.tif")
    write_tif(paths["desc_warped"], desc[np.ix_(rows, rows)], gt_w, {"INSAR_HEADING": "192", "INSAR_INCIDENCE": "38"})
    return paths


def mintpy_inputs(folder, n):
    """MintPy velocity and geometry HDF5 files holding the same data."""
    out = {}
    for name, (h, t0, t1) in GEOMS.items():
        for kind in ("const", "pixel"):
            out[f"{name}_{kind}"] = os.path.join(folder, f"{name}_{kind}_velocity.h5")
            mintpy_env.run_python(
                """
                import sys, numpy as np, h5py
                npy, out, heading, inc, n, step, x0, y0 = sys.argv[1:9]
                data = np.load(npy)
                attrs = dict(FILE_TYPE="velocity", UNIT="mm/year", WIDTH=n, LENGTH=n, X_FIRST=x0, Y_FIRST=y0,
                             X_STEP=step, Y_STEP="-" + step, X_UNIT="meters", Y_UNIT="meters", EPSG="32611",
                             HEADING=heading, CENTER_INCIDENCE_ANGLE=inc, UTM_ZONE="11N",
                             REF_LAT="36.139", REF_LON="-118.111", REF_Y="0", REF_X="0")
                with h5py.File(out, "w") as f:
                    f.create_dataset("velocity", data=data)
                    for k, v in attrs.items():
                        f.attrs[k] = v
                """,
                os.path.join(folder, f"{name}_{kind}.npy"),
                out[f"{name}_{kind}"],
                str(h),
                str(0.5 * (t0 + t1)),
                str(n),
                str(PIXEL),
                str(ORIGIN[0]),
                str(ORIGIN[1]),
            )
        out[f"{name}_geom"] = os.path.join(folder, f"{name}_geometry.h5")
        mintpy_env.write_geometry(
            out[f"{name}_pixel"],
            out[f"{name}_geom"],
            os.path.join(folder, f"{name}_inc.npy"),
            os.path.join(folder, f"{name}_az.npy"),
        )
    return out


def measure(cmd, env=None, cwd=None):
    """(wall seconds, peak RSS in MB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out[-2000:]}\n{err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024.0


def case_runner(results, folder):
    """``case(name, cmd, **kw)``: measure ``cmd`` into ``results[name]``, print the figures and
    remove the outputs (``o_*``) it left in ``folder``. A name measured again (cases taking
    turns) keeps its fastest time and its largest peak."""

    def case(name, cmd, repeats=1, **kw):
        print(f"   {name} ...", end="", flush=True)
        runs = [measure(cmd, **kw) for _ in range(repeats)]
        before = [results[name]] if name in results else []
        results[name] = (min(r[0] for r in runs + before), max(r[1] for r in runs + before))
        best = f" (fastest of {repeats}: {', '.join(f'{r[0]:.2f}' for r in runs)})" if repeats > 1 else ""
        best += f" (fastest so far {results[name][0]:.2f} s)" if before else ""
        print(f" {min(r[0] for r in runs):.2f} s, {max(r[1] for r in runs):.0f} MB{best}", flush=True)
        for f in os.listdir(folder):
            if f.startswith("o_"):
                os.remove(os.path.join(folder, f))

    return case


CORE_RUN = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from insar_decomposition.core.runs import engine
    from insar_decomposition.core.plan.decompose import Request, plan
    from insar_decomposition.core.plan.tracks import TrackInput
    req = Request(tracks=[TrackInput("ascending", sys.argv[2]), TrackInput("descending", sys.argv[3])],
                  outputs={"horizontal": sys.argv[4], "up": sys.argv[5]})
    engine.run(plan(req).job)
    """
)

FLOOR_IO = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from osgeo import gdal
    from insar_decomposition.core.runs.engine import windows
    from insar_decomposition.core.io.grid import raster_info
    from insar_decomposition.core.io.model import RasterRef
    from insar_decomposition.core.io.reader import GridReader
    from insar_decomposition.core.io.writer import AtomicGeoTiff, BandSpec
    gdal.SetCacheMax(64 * 1024 * 1024)
    compression = sys.argv[2]
    grid = raster_info(sys.argv[3]).grid()
    readers = [GridReader(RasterRef(p), grid) for p in sys.argv[3:5]]
    writers = [AtomicGeoTiff(p, grid, [BandSpec("copy")], compression=compression) for p in sys.argv[5:7]]
    for win in windows(grid, 1 << 19):
        for r, w in zip(readers, writers):
            w.write(1, r.read(*win), win[0], win[1])
    for w in writers:
        w.commit()
    """
)

FLOOR_WARP = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from osgeo import gdal
    from insar_decomposition.core.io.grid import common_grid, raster_info
    from insar_decomposition.core.io.writer import creation_options
    gdal.UseExceptions()
    grid = common_grid([raster_info(p) for p in sys.argv[2:4]])  # the grid our run uses
    for src, dst in ((sys.argv[2], sys.argv[4]), (sys.argv[3], sys.argv[5])):
        gdal.Warp(dst, src, outputBounds=grid.bounds, width=grid.width, height=grid.height,
                  dstSRS=grid.crs_wkt, resampleAlg="bilinear", srcNodata="nan", dstNodata="nan",
                  outputType=gdal.GDT_Float32, creationOptions=creation_options(),
                  warpMemoryLimit=64 * 1024 * 1024)
    """
)


def plugin_parent():
    """A folder holding the plugin under its package name."""
    parent = os.path.join(ROOT, "build", "pluginpath")
    os.makedirs(parent, exist_ok=True)
    link = os.path.join(parent, "insar_decomposition")
    if not os.path.exists(link):
        os.symlink(ROOT, link)
    return parent


def run_size(n, work, skip_mintpy):
    folder = os.path.join(work, str(n))
    shutil.rmtree(folder, ignore_errors=True)
    print(f"\n== {n} x {n}: generating inputs", flush=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--generate", folder, str(n)]
    paths = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    if not skip_mintpy:
        h5 = mintpy_inputs(folder, n)
    py = sys.executable
    parent = plugin_parent()
    out = lambda name: os.path.join(folder, name)  # noqa: E731
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    results = {}
    case = case_runner(results, folder)

    outputs = [out("o_e.tif"), out("o_u.tif")]

    def ours_qgis_process(asc, desc):
        cmd = [QGIS_PROCESS, "run", "losdecomp:decompose", "--", f"ASCENDING={asc}", f"DESCENDING={desc}"]
        return cmd + [f"OUTPUT_EAST={outputs[0]}", f"OUTPUT_UP={outputs[1]}"]

    def script(code, *args):
        return [py, "-c", code, *args, *outputs]

    # The terms of the single-epoch figures (report_figures) are each the fastest of three: a
    # QGIS start-up alone moves by seconds with the machine's load, more than the floor itself.
    case("ours qgis_process const", ours_qgis_process(paths["asc_const"], paths["desc_const"]), repeats=3, env=env)
    uncompressed = ours_qgis_process(paths["asc_const"], paths["desc_const"]) + ["COMPRESSION=2"]
    case("ours qgis_process const, no compression", uncompressed, repeats=3, env=env)
    case("ours core const", script(CORE_RUN, parent, paths["asc_const"], paths["desc_const"]))
    case("ours core per-pixel", script(CORE_RUN, parent, paths["asc_pixel"], paths["desc_pixel"]))
    case("ours qgis_process per-pixel", ours_qgis_process(paths["asc_pixel"], paths["desc_pixel"]), env=env)
    case("ours core warped", script(CORE_RUN, parent, paths["asc_const"], paths["desc_warped"]))
    case("floor read+write", script(FLOOR_IO, parent, "zstd", paths["asc_const"], paths["desc_const"]))
    case("floor read+write, no compression", script(FLOOR_IO, parent, "none", paths["asc_const"], paths["desc_const"]),
         repeats=3)  # fmt: skip
    tiny = json.loads(subprocess.run(cmd[:-2] + [os.path.join(folder, "tiny"), "16"], check=True, capture_output=True,
                                     text=True).stdout)  # fmt: skip
    case("qgis_process start-up", ours_qgis_process(tiny["asc_const"], tiny["desc_const"]) + ["COMPRESSION=2"],
         repeats=3, env=env)  # fmt: skip
    case("floor warp", script(FLOOR_WARP, parent, paths["asc_const"], paths["desc_warped"]))
    if not skip_mintpy:
        mp = [mintpy_env.ensure(), os.path.join(mintpy_env.VENV, "bin", "asc_desc2horz_vert.py")]
        mp_out = ["-o", out("o_hz.h5"), out("o_up.h5")]
        case("mintpy const", mp + [h5["asc_const"], h5["desc_const"]] + mp_out, cwd=folder)
        geom = ["-g", h5["asc_geom"], h5["desc_geom"]]
        case("mintpy -g", mp + [h5["asc_pixel"], h5["desc_pixel"]] + geom + mp_out, cwd=folder)
    shutil.rmtree(folder, ignore_errors=True)
    return results


def ratio(results, a, b, index):
    if a in results and b in results and results[b][index] > 0:
        return results[a][index] / results[b][index]
    return float("nan")


def print_cases(res, pairs):
    """The table of ``res`` ({case: (wall s, peak MB)}) and the ratios of the ``pairs``
    (case, reference) that both ran."""
    print(f"  {'case':42s} {'wall s':>9s} {'peak MB':>9s}")
    for name, (sec, mb) in res.items():
        print(f"  {name:42s} {sec:9.2f} {mb:9.0f}")
    print("  ratios (time, memory):")
    for a, b in pairs:
        t, m = ratio(res, a, b, 0), ratio(res, a, b, 1)
        if not math.isnan(t):
            print(f"    {a} / {b}: time {t:.2f}, memory {m:.2f}")


def report_figures(n, res):
    """The issue's single-epoch figures at the largest size: ours through qgis_process.bin,
    uncompressed, against the floor (reading both inputs and writing two uncompressed outputs)
    plus QGIS's start-up (the same run on a 16 x 16 pair), every term measured in this run (the
    fastest of three of each);
    and what the default ZSTD output costs beside it."""
    need = ("ours qgis_process const", "ours qgis_process const, no compression", "floor read+write, no compression",
            "qgis_process start-up")  # fmt: skip
    if not all(k in res for k in need):
        return
    ours_zstd, ours_raw, floor, start = (res[k][0] for k in need)
    size = f"{n} x {n} pair, single-valued geometry"
    figures.report("single_epoch.vs_floor", ours_raw / (floor + start), 1.1,
                   f"{size}: qgis_process.bin COMPRESSION=2 {ours_raw:.2f} s / (floor read+write uncompressed "
                   f"{floor:.2f} s + start-up, the same run on 16 x 16, {start:.2f} s)")  # fmt: skip
    figures.report("single_epoch.zstd_vs_floor", ours_zstd / (floor + start), None,
                   f"{size}: qgis_process.bin default ZSTD {ours_zstd:.2f} s / the same uncompressed floor + start-up")
    figures.report("single_epoch.zstd_vs_uncompressed", ours_zstd / ours_raw, None,
                   f"{size}: qgis_process.bin default ZSTD / COMPRESSION=2 (what compression costs)")


def report(all_results):
    print("\n" + "=" * 78)
    for n, res in all_results.items():
        print(f"\n{n} x {n} pixels")
        print_cases(
            res,
            (
                ("ours qgis_process const", "mintpy const"),
                ("ours qgis_process const, no compression", "mintpy const"),
                ("ours core const", "mintpy const"),
                ("ours core per-pixel", "mintpy -g"),
                ("ours qgis_process per-pixel", "mintpy -g"),
                ("ours core const", "floor read+write"),
                ("ours qgis_process const, no compression", "floor read+write, no compression"),
                ("ours core warped", "floor warp"),
            ),
        )
    report_figures(max(all_results), all_results[max(all_results)])
    sizes = sorted(all_results)
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print(f"\nscaling from {lo} to {hi} ({(hi / lo) ** 2:.0f}x the pixels):")
        for name in all_results[lo]:
            if name in all_results[hi]:
                t = all_results[hi][name][0] / all_results[lo][name][0]
                m = all_results[hi][name][1] / all_results[lo][name][1]
                print(f"  {name:32s} time x{t:6.1f}   peak memory x{m:5.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000])
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--skip-mintpy", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--generate", nargs=2, metavar=("FOLDER", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:  # the child that writes the inputs
        print(json.dumps(generate(args.generate[0], int(args.generate[1]))))
        return
    if not args.skip_mintpy:
        print("MintPy venv:", mintpy_env.ensure(), flush=True)
    all_results = {n: run_size(n, args.work, args.skip_mintpy) for n in args.sizes}
    report(all_results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(k): v for k, v in all_results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
