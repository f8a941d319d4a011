"""`make demo`: synthetic scenes with known truth, run through QGIS's qgis_process.

Three paths, each printing what it did and its error against the truth:

1. velocity maps: two tracks (different CRSs and pixel sizes, partial overlap, holes) ->
   ``losdecomp:decompose``;
2. GNSS referencing: the same tracks with their own reference offsets and ramps (as
   products referenced to different areas are) -> ``losdecomp:reference_to_gnss`` on each
   -> ``losdecomp:decompose`` -> ``losdecomp:compare_to_gnss`` (with its HTML plot);
3. time series: an ascending and a descending displacement stack on different dates ->
   ``losdecomp:decompose_timeseries`` (east and up on common dates).

Then a quick-look PNG (matplotlib, when installed) with titles, units and colour bars.
qgis_process runs with a HOME of its own under ``--out`` and this checkout on
``QGIS_PLUGINPATH``, so the demo runs this code whatever the default profile holds.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_scene as scene  # noqa: E402

QGIS_PROCESS = "/usr/bin/qgis_process.bin"
PACKAGE = "insar_decomposition"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def qgis_env(out_dir, plugin_path):
    """The environment for qgis_process: its own HOME, this checkout's plugin enabled."""
    if not os.path.isdir(os.path.join(plugin_path, PACKAGE)):
        sys.exit(f"{plugin_path} holds no {PACKAGE} folder (make plugin-path makes it)")
    home = os.path.join(out_dir, "qgis-home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, QGIS_PLUGINPATH=plugin_path)
    env["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run([QGIS_PROCESS, "plugins", "enable", PACKAGE], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"qgis_process could not enable the plugin:\n{out.stdout}{out.stderr}")
    return env


def run(env, alg, params, show=()):
    """Run ``alg`` with ``params``; prints the command and the log lines containing any of
    ``show`` (all when empty); returns the results."""
    for key, value in params.items():
        if key.startswith("OUTPUT") and isinstance(value, str) and os.path.exists(value):
            os.remove(value)
    cmd = [QGIS_PROCESS, "run", alg, "--json", "--"] + [f"{k}={v}" for k, v in params.items()]
    print(f"\n$ qgis_process run {alg} -- " + " ".join(f"{k}={os.path.basename(str(v))}" for k, v in params.items()))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    start = out.stdout.find("{")
    if out.returncode != 0 or start < 0:
        sys.exit(f"qgis_process failed ({alg}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout[start:])
    log = result.get("log", {})
    for line in log.get("info", []) if isinstance(log, dict) else []:
        if not show or any(word in line for word in show):
            print("  | " + line)
    for line in log.get("warning", []) if isinstance(log, dict) else []:
        print("  ! " + line)
    return result["results"]


def read(path, band=1):
    ds = gdal.Open(path)
    return ds.GetRasterBand(band).ReadAsArray().astype(np.float64)


def error_line(name, est, tru, unit):
    err = est - tru
    return (f"  {name:5s} RMS error {np.sqrt(np.nanmean(err**2)):.4f} {unit}, max |error| "
            f"{np.nanmax(np.abs(err)):.4f} (signal {np.nanmin(tru):.1f} to {np.nanmax(tru):.1f} {unit})")  # fmt: skip


def velocity_pair(env, paths, out_dir):
    print("\n== 1. Velocity maps: ascending + descending -> east and up ==")
    print(f"tracks: {paths['asc']} (UTM 11N, 100 m), {paths['desc']} (EPSG:4326, 0.0012 deg)")
    res = run(env, "losdecomp:decompose", {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"],
                                           "OUTPUT_EAST": os.path.join(out_dir, "east.tif"),
                                           "OUTPUT_UP": os.path.join(out_dir, "up.tif")},
              show=("common grid", "resolved"))  # fmt: skip
    east, up = read(res["OUTPUT_EAST"]), read(res["OUTPUT_UP"])
    te, tu = scene.truth_on_grid(res["OUTPUT_UP"])
    print(f"resolved pixels: {np.isfinite(up).sum()} of {up.size}; error against truth:")
    print(error_line("east", east, te, "mm/year"))
    print(error_line("up", up, tu, "mm/year"))
    return {"east": east, "up": up, "te": te, "tu": tu}


def offset_track(path, out, offset, tilt):
    """A copy of a track with a constant offset and an east-west ramp (mm/year), as a product
    referenced to its own area differs from another."""
    ds = gdal.Open(path)
    a = ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
    nodata = ds.GetRasterBand(1).GetNoDataValue()
    ok = np.isfinite(a) & (a != nodata if nodata is not None else True)
    ramp = np.linspace(-1.0, 1.0, a.shape[1])[None, :] * tilt
    a = np.where(ok, a + offset + ramp, a)
    copy = gdal.GetDriverByName("GTiff").CreateCopy(out, ds)
    copy.GetRasterBand(1).WriteArray(a.astype(np.float32))
    copy = None
    return out


def gnss_referencing(env, paths, out_dir):
    print("\n== 2. GNSS referencing: each track tied to the stations, then decomposed and checked ==")
    gnss = scene.make_gnss(os.path.join(out_dir, "gnss.csv"))
    print(f"stations: {gnss} (25 stations, truth + 0.3 mm/year noise)")
    shifted = {"asc": offset_track(paths["asc"], os.path.join(out_dir, "asc_own_ref.tif"), 4.0, 2.0),
               "desc": offset_track(paths["desc"], os.path.join(out_dir, "desc_own_ref.tif"), -3.0, -1.5)}  # fmt: skip
    print("tracks referenced to their own areas: ascending +4 mm/year and a 4 mm/year east-west ramp, "
          "descending -3 mm/year and a 3 mm/year ramp")  # fmt: skip
    referenced = {}
    for key, path in shifted.items():
        res = run(env, "losdecomp:reference_to_gnss",
                  {"INPUT": path, "GNSS": gnss, "OUTPUT": os.path.join(out_dir, f"{key}_gnss_ref.tif")},
                  show=("fitted", "residual"))  # fmt: skip
        referenced[key] = res["OUTPUT"]
    res = run(env, "losdecomp:decompose", {"ASCENDING": referenced["asc"], "DESCENDING": referenced["desc"],
                                           "OUTPUT_EAST": os.path.join(out_dir, "east_gnss.tif"),
                                           "OUTPUT_UP": os.path.join(out_dir, "up_gnss.tif")},
              show=("resolved",))  # fmt: skip
    plot = os.path.join(out_dir, "compare_to_gnss.html")
    cmp_ = run(env, "losdecomp:compare_to_gnss", {"EAST": res["OUTPUT_EAST"], "UP": res["OUTPUT_UP"], "GNSS": gnss,
                                                  "OUTPUT": os.path.join(out_dir, "stations.gpkg"),
                                                  "OUTPUT_PLOT": plot},
               show=("residual",))  # fmt: skip
    up = read(res["OUTPUT_UP"])
    _, tu = scene.truth_on_grid(res["OUTPUT_UP"])
    print(f"stations used: {cmp_['COUNT']}; RMS east {cmp_['RMS_EAST']:.2f} mm/year, up {cmp_['RMS_UP']:.2f} mm/year "
          f"(decomposition - GNSS); plot: {plot}")  # fmt: skip
    print(error_line("up", up, tu, "mm/year"))
    return {"up_gnss": up, "tu_gnss": tu}


def time_series(env, out_dir):
    print("\n== 3. Time series: two displacement stacks -> east and up on common dates ==")
    stacks = scene.make_stacks(os.path.join(out_dir, "stacks"))
    for key in ("asc", "desc"):
        d = stacks[f"{key}_dates"]
        print(f"{key}: {stacks[key]}: {len(d)} dates, {d[0]} to {d[-1]}")
    res = run(env, "losdecomp:decompose_timeseries",
              {"ASCENDING": stacks["asc"], "DESCENDING": stacks["desc"],
               "OUTPUT_EAST": os.path.join(out_dir, "east_ts.tif"), "OUTPUT_UP": os.path.join(out_dir, "up_ts.tif")},
              show=("dates", "reference", "method"))  # fmt: skip
    ds = gdal.Open(res["OUTPUT_UP"])
    dates = [ds.GetRasterBand(b).GetMetadataItem("INSAR_DATE") for b in range(1, ds.RasterCount + 1)]
    print(f"east and up time series: {ds.RasterCount} dates, {dates[0]} to {dates[-1]} "
          f"({res['OUTPUT_EAST']}, {res['OUTPUT_UP']})")  # fmt: skip
    x, y = scene.pixel_centres_in_truth_crs(scene.TRUTH_EPSG, ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize)
    origin = stacks["asc_dates"][0]
    years = [(_date(d) - origin).days / 365.25 for d in dates]
    out = {"ts_dates": dates, "ts_up": [], "ts_tu": []}
    for band in (len(dates) // 2, len(dates)):  # the middle and the last date
        _, u_ref = scene.truth_displacement(x, y, years[0])
        _, u_now = scene.truth_displacement(x, y, years[band - 1])
        got = read(res["OUTPUT_UP"], band)
        out["ts_up"].append((dates[band - 1], got))
        out["ts_tu"].append(u_now - u_ref)
        print(error_line(f"up {dates[band - 1]}", got, u_now - u_ref, "mm") + f" since {dates[0]}")
    return out


def _date(text):
    import datetime

    return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def quicklook(panels, path):
    """Rows of (title, array, limit, unit) panels, each with a colour bar, as one PNG; a clear
    message (and no PNG) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("quick-look skipped: matplotlib is not installed (Debian: apt-get install python3-matplotlib)")
        return None
    rows, cols = len(panels), max(len(r) for r in panels)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.1 * rows), squeeze=False)
    for i, row in enumerate(panels):
        for j in range(cols):
            ax = axes[i][j]
            if j >= len(row):
                ax.axis("off")
                continue
            title, a, limit, unit = row[j]
            im = ax.imshow(a, cmap="RdBu", vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04).set_label(unit, fontsize=8)
    fig.suptitle("make demo: synthetic scenes against their truth (blue: east / up / toward; red: west / down)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build/demo")
    parser.add_argument("--plugin-path", default=os.path.join(ROOT, "build", "pluginpath"),
                        help="a folder holding this plugin as insar_decomposition (make plugin-path)")  # fmt: skip
    args = parser.parse_args()
    out_dir = os.path.abspath(args.out)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    env = qgis_env(out_dir, os.path.abspath(args.plugin_path))
    paths = scene.make_scene(os.path.join(out_dir, "scene"), noise=0.0)
    v = velocity_pair(env, paths, out_dir)
    g = gnss_referencing(env, paths, out_dir)
    t = time_series(env, out_dir)
    le, lu = np.nanmax(np.abs(v["te"])), np.nanmax(np.abs(v["tu"]))
    lt = np.nanmax(np.abs(t["ts_tu"][-1]))
    (d1, up1), (d2, up2) = t["ts_up"]
    png = quicklook([
        [("East velocity: truth", v["te"], le, "mm/year"), ("East velocity: decomposed", v["east"], le, "mm/year"),
         ("East: error (scale 1/10)", v["east"] - v["te"], le / 10, "mm/year")],
        [("Vertical velocity: truth", v["tu"], lu, "mm/year"),
         ("Vertical velocity: decomposed", v["up"], lu, "mm/year"),
         ("Vertical: error (scale 1/10)", v["up"] - v["tu"], lu / 10, "mm/year")],
        [("Vertical, GNSS-referenced tracks", g["up_gnss"], lu, "mm/year"),
         ("GNSS-referenced: error (scale 1/10)", g["up_gnss"] - g["tu_gnss"], lu / 10, "mm/year")],
        [(f"Vertical displacement {d1[:4]}-{d1[4:6]}-{d1[6:]}", up1, lt, "mm"),
         (f"Vertical displacement {d2[:4]}-{d2[4:6]}-{d2[6:]}", up2, lt, "mm"),
         ("Last date: error (scale 1/10)", up2 - t["ts_tu"][-1], lt / 10, "mm")],
    ], os.path.join(out_dir, "quicklook.png"))  # fmt: skip
    if png:
        print(f"\nquick-look (velocity east and up: truth, result, error on a 1/10 colour scale; GNSS-referenced "
              f"up; the up time series at two dates): {png}")  # fmt: skip


if __name__ == "__main__":
    main()
