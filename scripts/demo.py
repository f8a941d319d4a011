"""`make demo`: a synthetic scene with known truth, decomposed through QGIS's qgis_process.

Writes the two tracks (different CRSs and pixel sizes, partial overlap, holes), runs
``qgis_process.bin run losdecomp:decompose``, then prints the error against truth and
writes a PNG quick-look (truth | result | error for east and up).
"""

import argparse
import os
import subprocess
import sys

import numpy as np
from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_scene as scene  # noqa: E402

QGIS_PROCESS = "/usr/bin/qgis_process.bin"


def run_decomposition(asc, desc, out_dir):
    east, up = os.path.join(out_dir, "east.tif"), os.path.join(out_dir, "up.tif")
    for p in (east, up):
        if os.path.exists(p):
            os.remove(p)
    cmd = [QGIS_PROCESS, "run", "losdecomp:decompose", "--"]
    cmd += [f"ASCENDING={asc}", f"DESCENDING={desc}", f"OUTPUT_EAST={east}", f"OUTPUT_UP={up}"]
    print("$ " + " ".join(cmd), flush=True)
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    print("\n".join("  | " + line for line in out.stdout.strip().splitlines()))
    if out.returncode != 0 or not (os.path.exists(east) and os.path.exists(up)):
        sys.exit(f"qgis_process failed:\n{out.stderr}")
    return east, up


def read(path):
    ds = gdal.Open(path)
    return ds.GetRasterBand(1).ReadAsArray().astype(np.float64)


def diverging_rgb(a, limit):
    """Blue (positive) - white - red (negative); grey for nodata."""
    t = np.clip(np.nan_to_num(a, nan=0.0) / limit, -1, 1)
    r = np.where(t < 0, 1.0, 1.0 - t)
    g = 1.0 - np.abs(t)
    b = np.where(t > 0, 1.0, 1.0 + t)
    rgb = np.stack([r, g, b]) * 255
    rgb[:, np.isnan(a)] = 160
    return rgb.astype(np.uint8)


def quicklook(panels, path, pad=4):
    """Panels: rows of (array, limit); written as one PNG."""
    h = max(a.shape[0] for row in panels for a, _ in row)
    w = max(a.shape[1] for row in panels for a, _ in row)
    ncols = max(len(row) for row in panels)
    canvas = np.full((3, len(panels) * (h + pad) + pad, ncols * (w + pad) + pad), 255, np.uint8)
    for i, row in enumerate(panels):
        for j, (a, limit) in enumerate(row):
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            canvas[:, y : y + a.shape[0], x : x + a.shape[1]] = diverging_rgb(a, limit)
    mem = gdal.GetDriverByName("MEM").Create("", canvas.shape[2], canvas.shape[1], 3, gdal.GDT_Byte)
    for k in range(3):
        mem.GetRasterBand(k + 1).WriteArray(canvas[k])
    gdal.GetDriverByName("PNG").CreateCopy(path, mem)
    aux = path + ".aux.xml"
    if os.path.exists(aux):
        os.remove(aux)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="build/demo")
    args = parser.parse_args()
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    paths = scene.make_scene(out_dir, noise=0.0)
    print(f"synthetic scene: {paths['asc']} (UTM 11N, 100 m), {paths['desc']} (EPSG:4326, 0.0012 deg)")
    east_path, up_path = run_decomposition(paths["asc"], paths["desc"], out_dir)
    east, up = read(east_path), read(up_path)
    te, tu = scene.truth_on_grid(up_path)
    print(f"\noutputs: {east_path}, {up_path}")
    print(f"resolved pixels: {np.isfinite(up).sum()} of {up.size}")
    print("error against truth (mm/year):")
    for name, est, tru in (("east", east, te), ("up", up, tu)):
        err = est - tru
        print(
            f"  {name:4s}  RMS {np.sqrt(np.nanmean(err**2)):.4f}  max |error| {np.nanmax(np.abs(err)):.4f}"
            f"  (signal range {np.nanmin(tru):.1f} to {np.nanmax(tru):.1f})"
        )
    png = os.path.join(out_dir, "quicklook.png")
    lim_e, lim_u = np.nanmax(np.abs(te)), np.nanmax(np.abs(tu))
    quicklook(
        [[(te, lim_e), (east, lim_e), (east - te, lim_e / 10)], [(tu, lim_u), (up, lim_u), (up - tu, lim_u / 10)]],
        png,
    )
    print(f"quick-look (rows east, up; columns truth, result, error x10): {png}")


if __name__ == "__main__":
    main()
