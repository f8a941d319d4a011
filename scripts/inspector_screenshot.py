"""The time-series inspector on the real desktop (issue 31's "Must show"): QGIS on a virtual
screen of 1366 x 768 with a fresh profile and the plugin from the ZIP of `make package` (the
machinery of scripts/e2e.py, as scripts/screenshots.py uses it).

On the synthetic stack pair (scripts/synthetic_scene.py) with a sigma raster per track,
``losdecomp:decompose_timeseries`` writes east, up and their sigma stacks; both tracks, east,
up and the sigma stacks are loaded, the inspector is opened from the plugin, and a mouse click
is sent to the map canvas. It saves:

- ``inspector_tracks_east_up.png``: the two tracks' LOS series and east/up with sigma bands;
- ``inspector_reference.png``: the same place relative to a reference clicked elsewhere.

The dock's data are checked against the rasters read directly with GDAL at the clicked
pixels (values, sigmas, dates; the referenced series = target - reference date by date):
exit 1 naming what differs, or what did not happen, rather than a picture of it.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

import synthetic_scene as scene  # noqa: E402

SCREEN = "1366x768x24"
PNGS = ("inspector_tracks_east_up", "inspector_reference")
#: The series the dock must show (the sigma stacks go with east and up).
LAYERS = ("ascending LOS", "descending LOS", "east", "up")
#: Where the clicks go, as fractions of the canvas (target, then reference).
TARGET_AT, REFERENCE_AT = (0.68, 0.35), (0.3, 0.7)

# Runs inside QGIS after e2e's start-up hook; steps chained by timers, each guarded.
IN_QGIS = e2e.SCREENSHOT_STEPS + r"""
from qgis.PyQt.QtCore import QPoint, Qt
from qgis.PyQt.QtTest import QTest


def click(at):
    canvas = iface.mapCanvas()
    viewport = canvas.viewport()
    pos = QPoint(int(at[0] * viewport.width()), int(at[1] * viewport.height()))
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    QApplication.processEvents()


def dock_data():
    dock = state["dock"]
    out = {"places": [[t.x, t.y] for t in dock.state.places], "message": dock.message.text(), "series": {}}
    ref = dock.state.reference
    out["reference"] = [ref.x, ref.y] if ref is not None else None
    for _, s in dock.state.data:
        out["series"][s.layer] = {"dates": [d.isoformat() for d in s.dates], "value": [float(v) for v in s.value],
                                  "sigma": [float(v) for v in s.sigma], "unit": s.unit}
    out["files"] = {layer.name: [layer.path, layer.sigma_path] for layer in dock.state.layers}
    out["crs"] = iface.mapCanvas().mapSettings().destinationCrs().authid()
    out["markers"] = len(plugins["insar_decomposition"].inspector[1].markers)
    return out


@step
def decompose():
    import processing

    win = iface.mainWindow()
    win.setGeometry(0, 0, 1366, 768)
    QgsProject.instance().clear()
    d = DATA
    res = processing.run("losdecomp:decompose_timeseries", {
        "ASCENDING": d["asc"], "DESCENDING": d["desc"], "ASC_SIGMA": d["sigma"], "DESC_SIGMA": d["sigma"],
        "OUTPUT_EAST": d["east"], "OUTPUT_UP": d["up"], "OUTPUT_SIGMA_EAST": d["sigma_east"],
        "OUTPUT_SIGMA_UP": d["sigma_up"]})
    result["outputs"] = {k: v for k, v in res.items() if isinstance(v, str)}
    for path, name in ((d["asc"], "ascending LOS"), (d["desc"], "descending LOS"), (d["sigma_east"], "sigma east"),
                       (d["sigma_up"], "sigma up"), (d["east"], "east"), (d["up"], "up")):
        layer = iface.addRasterLayer(path, name)
        if layer is None or not layer.isValid():
            finish(1, f"could not load {path}")
            return
    from insar_decomposition.provider.styling import style_stack

    for layer in QgsProject.instance().mapLayers().values():
        style_stack(layer)
    root = QgsProject.instance().layerTreeRoot()
    for node in root.findLayers():
        node.setItemVisibilityChecked(node.layer().name() == "up")
    up = [l for l in QgsProject.instance().mapLayers().values() if l.name() == "up"][0]
    iface.mapCanvas().setDestinationCrs(up.crs())
    iface.setActiveLayer(up)
    iface.zoomToActiveLayer()
    plugin = plugins["insar_decomposition"]
    plugin.open_inspector()
    dock, tool = plugin.inspector
    state["dock"] = dock
    iface.mainWindow().resizeDocks([dock], [700], Qt.Orientation.Horizontal)
    result["map_tool_is_inspector"] = iface.mapCanvas().mapTool() is tool
    later(2500, target)


def target():
    click(DATA["target_at"])
    result["target"] = dock_data()
    later(2500, shot_target)


def shot_target():
    screen("inspector_tracks_east_up")
    state["dock"].reference_button.click()
    click(DATA["reference_at"])
    result["referenced"] = dock_data()
    later(2500, shot_reference)


def shot_reference():
    screen("inspector_reference")
    finish(0)


QTimer.singleShot(4000, decompose)
"""


def data(work):
    """The stack pair, a sigma raster (1 mm per acquisition) and the outputs' paths."""
    stacks = scene.make_stacks(os.path.join(work, "stacks"))
    ds = gdal.Open(stacks["asc"])
    sigma = os.path.join(work, "stacks", "sigma_1mm.tif")
    scene.write_raster(sigma, np.full((ds.RasterYSize, ds.RasterXSize), 1.0, np.float32), scene.TRUTH_EPSG,
                       ds.GetGeoTransform(), unit="mm")  # fmt: skip
    ds = None
    out = os.path.join(work, "decomposed")
    os.makedirs(out)
    paths = {k: os.path.join(out, f"{k}.tif") for k in ("east", "up", "sigma_east", "sigma_up")}
    return dict(paths, asc=stacks["asc"], desc=stacks["desc"], sigma=sigma, target_at=TARGET_AT,
                reference_at=REFERENCE_AT)  # fmt: skip


def raster_series(path, x, y):
    """{date: value} of every dated band of ``path`` at the pixel under (x, y) (same CRS)."""
    ds = gdal.Open(path)
    x0, dx, _, y0, _, dy = ds.GetGeoTransform()
    col, row = int(np.floor((x - x0) / dx)), int(np.floor((y - y0) / dy))
    out = {}
    for b in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(b)
        when = band.GetMetadataItem("INSAR_DATE")
        value = float(band.ReadAsArray(col, row, 1, 1)[0, 0])
        nodata = band.GetNoDataValue()
        out[f"{when[:4]}-{when[4:6]}-{when[6:]}"] = np.nan if nodata is not None and value == nodata else value
    return out


def _compare(name, got, want, what, problems, tol=1e-4):
    g = np.array(got, dtype=float)
    w = np.array(want, dtype=float)
    bad = ~(np.isclose(g, w, atol=tol, rtol=1e-5) | (np.isnan(g) & np.isnan(w)))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        problems.append(f"{name}: {what} differ from the raster at {int(bad.sum())} dates (first: {g[k]} != {w[k]})")


def check(shown, expected_layers, reference=None):
    """The differences between what the dock shows and the rasters, as sentences."""
    problems = []
    if set(shown["series"]) != set(expected_layers):
        problems.append(f"the dock shows {sorted(shown['series'])}, not {sorted(expected_layers)}")
    x, y = shown["places"][0]
    for name, s in shown["series"].items():
        path, sigma_path = shown["files"].get(name, [None, None])
        if path is None:
            problems.append(f"{name}: no file behind the series")
            continue
        values = raster_series(path, x, y)
        if reference is not None:
            ref = raster_series(path, *reference)
            values = {d: v - ref[d] for d, v in values.items()}
        _compare(name, s["value"], [values[d] for d in s["dates"]], "values", problems)
        if sorted(values) != s["dates"]:
            problems.append(f"{name}: the dock's dates are not the raster's")
        if name in ("east", "up"):
            if not sigma_path:
                problems.append(f"{name}: its sigma stack was not paired")
                continue
            sigmas = raster_series(sigma_path, x, y)
            _compare(name, s["sigma"], [sigmas[d] for d in s["dates"]], "sigmas", problems)
            if not np.isfinite(s["sigma"]).any():
                problems.append(f"{name}: no sigma band drawn")
    return problems


def verify(result):
    """Every problem the run shows, as sentences (empty: the check passed)."""
    if result.get("exit") != 0:
        return [f"QGIS script failed: {result.get('error', '')}"]
    problems = [] if result.get("map_tool_is_inspector") else ["the inspector is not the map tool"]
    if [result.get(k, {}).get("markers") for k in ("target", "referenced")] != [1, 2]:
        problems.append("the map does not mark the clicked place and the reference")
    for key, ref in (("target", None), ("referenced", "reference")):
        shown = result.get(key, {})
        if not shown.get("places"):
            problems.append(f"{key}: the click gave the dock no place ({shown.get('message', '')})")
            continue
        if ref and not shown.get(ref):
            problems.append("the reference click set no reference")
            continue
        problems += [f"{key}: {p}" for p in check(shown, LAYERS, shown.get(ref) if ref else None)]
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", required=True, help="the plugin ZIP of make package")
    parser.add_argument("--out", default="docs/img", help="where the PNGs go")
    parser.add_argument("--work", default="build/inspector_screenshot", help="QGIS's log, the raw screens, result")
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--startup-timeout", type=int, default=120)
    args = parser.parse_args()
    work_out = os.path.abspath(args.work)
    shutil.rmtree(work_out, ignore_errors=True)
    os.makedirs(work_out)
    tmp = tempfile.mkdtemp(prefix="losdecomp-inspector-")
    try:
        e2e.make_profile(args.zip, tmp)
        result = e2e.run_qgis(args, tmp, work_out, data(tmp), code=IN_QGIS, screen=SCREEN)
        problems = verify(result)  # the rasters are read before the folder goes
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({k: result.get(k) for k in ("exit", "error", "steps", "outputs")}, indent=1))
    if problems:
        sys.exit("inspector check failed:\n" + "\n".join(problems) + f"\nlog: {os.path.join(work_out, 'qgis.log')}")
    os.makedirs(args.out, exist_ok=True)
    for name in PNGS:
        src = os.path.join(work_out, name + ".png")
        if not os.path.exists(src) or not os.path.getsize(src):
            sys.exit(f"{name}.png was not taken")
        shutil.copy(src, os.path.join(args.out, name + ".png"))
    print(f"inspector check passed: the dock's data equal the rasters; {', '.join(PNGS)} saved in {args.out}")


if __name__ == "__main__":
    main()
