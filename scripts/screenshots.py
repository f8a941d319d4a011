"""`make screenshots`: the pictures in docs/img/, taken from the real QGIS desktop on a
virtual screen of 1366 x 768 (a laptop's) with a fresh profile and the plugin from the ZIP
of `make package` (the same machinery as `make e2e`: scripts/e2e.py).

On synthetic data (scripts/synthetic_scene.py), it saves:

- ``dialog_stacks.png``: the dialog opened on an ascending and a descending stack;
- ``stacks_run.png``: after its run: the map with the named results and the run summary;
- ``gnss_residuals.png``: the GNSS chain (each track referenced to the stations, decomposed,
  compared) with the stations' residual layer on the map;
- ``timeseries_date1.png``, ``timeseries_date2.png``: the vertical displacement time series
  at two dates, switched with the plugin's date slider.

Re-runnable: every run starts from a fresh profile and overwrites the PNGs; it fails (exit 1,
naming the step) rather than saving a picture of something that did not happen.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

import synthetic_scene as scene  # noqa: E402

SCREEN = "1366x768x24"
PNGS = ("dialog_stacks", "stacks_run", "gnss_residuals", "timeseries_date1", "timeseries_date2")

# Runs inside QGIS after e2e's start-up hook; steps chained by timers, each guarded.
IN_QGIS = e2e.SCREENSHOT_STEPS + r"""
abort = qgis.utils.showException.e2e_abort
from qgis.core import QgsVectorLayer


def wait_until(test, then, timeout_s=240, what="a step"):
    state["waited"] = 0

    def poll():
        if test():
            later(300, then)
            return
        state["waited"] += 0.3
        if state["waited"] > timeout_s:
            finish(1, f"timed out waiting for {what}")
            return
        QTimer.singleShot(300, step(poll))
    QTimer.singleShot(300, step(poll))


def main_window():
    win = iface.mainWindow()
    win.setGeometry(0, 0, 1366, 768)
    return win


def tidy_tree(keep_group_first=True):
    root = QgsProject.instance().layerTreeRoot()
    for child in root.children()[1:]:
        child.setItemVisibilityChecked(False)
        if hasattr(child, "setExpanded"):
            child.setExpanded(False)
    if root.children():
        first = root.children()[0]
        first.setItemVisibilityChecked(True)
        if hasattr(first, "setExpanded"):
            first.setExpanded(True)


def zoom_to(layer):
    iface.setActiveLayer(layer)
    iface.zoomToActiveLayer()
    iface.mapCanvas().refresh()


def top_layer():
    root = QgsProject.instance().layerTreeRoot()
    node = root.children()[0]
    while hasattr(node, "children") and not hasattr(node, "layer"):
        node = node.children()[0]
    return node.layer()


# 1. the dialog on two stacks
@step
def stacks_dialog():
    main_window()
    QgsProject.instance().clear()
    for path, name in DATA["stacks"]:
        iface.addRasterLayer(path, name)
    plugin = plugins["insar_decomposition"]
    plugin.action.trigger()
    state["dlg"] = dlg = plugin.dialog
    dlg.move(max(0, 1366 - dlg.frameGeometry().width()), 0)
    later(2000, shot_dialog)


def shot_dialog():
    screen("dialog_stacks")
    dlg = state["dlg"]
    result["dialog_size"] = [dlg.frameGeometry().width(), dlg.frameGeometry().height()]
    dlg.run()
    wait_until(lambda: getattr(dlg, "task", None) is None, stacks_done, what="the stacks run")


def stacks_done():
    dlg = state["dlg"]
    result["stacks_summary"] = dlg.summary.text()[:2000]
    if "Done" not in dlg.summary.text():
        finish(1, "the stacks run did not finish: " + dlg.summary.text()[:1000])
        return
    tidy_tree()
    zoom_to(top_layer())
    later(3000, shot_stacks_run)


def shot_stacks_run():
    screen("stacks_run")
    state["dlg"].hide()
    later(100, gnss_chain)


# 2. the GNSS chain, its residual layer on the map
def gnss_chain():
    import processing

    QgsProject.instance().clear()
    g = DATA["gnss"]
    ref = {}
    for key in ("asc", "desc"):
        ref[key] = processing.run("losdecomp:reference_to_gnss", {"INPUT": g[key], "GNSS": g["csv"],
                                  "OUTPUT": os.path.join(g["work"], f"{key}_ref.tif")})["OUTPUT"]
    dec = processing.runAndLoadResults("losdecomp:decompose", {"ASCENDING": ref["asc"], "DESCENDING": ref["desc"],
                                       "OUTPUT_EAST": "TEMPORARY_OUTPUT", "OUTPUT_UP": "TEMPORARY_OUTPUT"})
    cmp_ = processing.runAndLoadResults("losdecomp:compare_to_gnss", {"EAST": dec["OUTPUT_EAST"],
                                        "UP": dec["OUTPUT_UP"], "GNSS": g["csv"], "OUTPUT": "TEMPORARY_OUTPUT"})
    result["gnss"] = {k: cmp_[k] for k in ("RMS_EAST", "RMS_UP", "COUNT")}
    later(1500, gnss_map)


def gnss_map():
    project = QgsProject.instance()
    points = [l for l in project.mapLayers().values() if isinstance(l, QgsVectorLayer)]
    if not points:
        finish(1, "the GNSS residual layer was not loaded")
        return
    layer = points[0]
    layer.setName("GNSS stations: up residual (decomposition - GNSS, mm/year)")
    from qgis.core import QgsPalLayerSettings, QgsVectorLayerSimpleLabeling
    labels = QgsPalLayerSettings()
    labels.fieldName = "concat(site, ': ', format_number(up_residual, 2))"
    labels.isExpression = True
    layer.setLabeling(QgsVectorLayerSimpleLabeling(labels))
    layer.setLabelsEnabled(True)
    root = project.layerTreeRoot()
    node = root.findLayer(layer.id())
    clone = node.clone()
    root.insertChildNode(0, clone)
    node.parent().removeChildNode(node)
    for child in root.children()[1:]:
        child.setItemVisibilityChecked(True)
    rasters = [l for l in project.mapLayers().values() if l is not layer]
    zoom_to(rasters[0] if rasters else layer)
    iface.setActiveLayer(layer)
    result["gnss_layers"] = sorted(l.name() for l in project.mapLayers().values())
    later(3000, shot_gnss)


def shot_gnss():
    screen("gnss_residuals")
    later(100, timeseries)


# 3. a time series at two dates, with the date slider
def timeseries():
    import processing

    QgsProject.instance().clear()
    s = DATA["ts"]
    processing.runAndLoadResults("losdecomp:decompose_timeseries", {"ASCENDING": s["asc"], "DESCENDING": s["desc"],
                                 "OUTPUT_EAST": "TEMPORARY_OUTPUT", "OUTPUT_UP": "TEMPORARY_OUTPUT"})
    later(1500, timeseries_loaded)


def timeseries_loaded():
    root = QgsProject.instance().layerTreeRoot()
    up = [l for l in QgsProject.instance().mapLayers().values() if l.name().startswith("Vertical displacement")]
    if not up:
        names = [l.name() for l in QgsProject.instance().mapLayers().values()]
        finish(1, f"no vertical displacement layer: {names}")
        return
    layer = up[0]
    for node in root.findLayers():
        node.setItemVisibilityChecked(node.layer() is layer)
    zoom_to(layer)
    plugin = plugins["insar_decomposition"]
    plugin.open_date_slider()
    slider = state["slider"] = plugin.date_slider
    slider.adjustSize()
    slider.move(1366 - slider.frameGeometry().width() - 10, 150)  # the map's top right corner
    slider.slider.setValue(slider.slider.maximum() // 3)
    result["ts_date1"] = slider.date.text()
    later(3000, shot_date1)


def shot_date1():
    screen("timeseries_date1")
    slider = state["slider"]
    slider.slider.setValue(slider.slider.maximum())
    result["ts_date2"] = slider.date.text()
    later(3000, shot_date2)


def shot_date2():
    screen("timeseries_date2")
    finish(0)


QTimer.singleShot(4000, stacks_dialog)
"""


def data(work):
    """The synthetic inputs: a stack pair, and the velocity scene with a GNSS table."""
    stacks = scene.make_stacks(os.path.join(work, "stacks"))
    paths = scene.make_scene(os.path.join(work, "scene"))
    gnss = scene.make_gnss(os.path.join(work, "gnss.csv"))
    out = os.path.join(work, "gnss_work")
    os.makedirs(out)
    return {"stacks": [[stacks["asc"], "asc stack"], [stacks["desc"], "desc stack"]],
            "ts": {"asc": stacks["asc"], "desc": stacks["desc"]},
            "gnss": {"asc": paths["asc"], "desc": paths["desc"], "csv": gnss, "work": out}}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", required=True, help="the plugin ZIP of make package")
    parser.add_argument("--out", default="docs/img", help="where the PNGs go")
    parser.add_argument("--work", default="build/screenshots", help="QGIS's log and the raw screens")
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--startup-timeout", type=int, default=120)
    args = parser.parse_args()
    work_out = os.path.abspath(args.work)
    shutil.rmtree(work_out, ignore_errors=True)
    os.makedirs(work_out)
    tmp = tempfile.mkdtemp(prefix="losdecomp-shots-")
    try:
        e2e.make_profile(args.zip, tmp)
        result = e2e.run_qgis(args, tmp, work_out, data(tmp), code=IN_QGIS, screen=SCREEN)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, indent=1))
    if result.get("exit") != 0:
        sys.exit(f"screenshots failed: {result.get('error', '')}\nlog: {os.path.join(work_out, 'qgis.log')}")
    os.makedirs(args.out, exist_ok=True)
    for name in PNGS:
        src = os.path.join(work_out, name + ".png")
        if not os.path.exists(src) or not os.path.getsize(src):
            sys.exit(f"{name}.png was not taken")
        shutil.copy(src, os.path.join(args.out, name + ".png"))
    print(f"screenshots ({', '.join(PNGS)}) saved in {args.out}")


if __name__ == "__main__":
    main()
