"""`make e2e`: the real QGIS desktop under xvfb-run with a throw-away profile.

Installs the plugin from the ZIP built by `make package`, opens the dialog from the
plugin's own action on a synthetic scene, runs it, checks that the east and up layers are in
the project and saves screenshots of the dialog and of the map to ``--out``.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_scene as scene  # noqa: E402

PACKAGE = "insar_decomposition"

# Runs inside QGIS (qgis --code); talks to the outside through environment variables and
# a JSON file.
IN_QGIS = r"""
import json, os, traceback
from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

OUT = os.environ["E2E_OUT"]
result = {"steps": []}
state = {}


def finish(code):
    result["exit"] = code
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    QgsApplication.instance().exit(code)


def guarded(fn):
    def wrapper():
        try:
            fn()
        except Exception:
            result["error"] = traceback.format_exc()
            finish(1)
    return wrapper


@guarded
def open_dialog():
    result["plugins"] = sorted(plugins)
    plugin = plugins["insar_decomposition"]
    asc = iface.addRasterLayer(os.environ["E2E_ASC"], "ascending")
    desc = iface.addRasterLayer(os.environ["E2E_DESC"], "descending")
    plugin.action.trigger()
    dlg = plugin.dialog
    dlg.ascLayer.setLayer(asc)
    dlg.descLayer.setLayer(desc)
    dlg.qualityOutput.setChecked(True)
    state["dlg"] = dlg
    result["steps"].append("dialog opened")
    result["asc_heading_field"] = dlg.ascHeading.text()
    result["readout"] = dlg.geometryReadout.text()
    QTimer.singleShot(1500, run)


@guarded
def run():
    dlg = state["dlg"]
    dlg.grab().save(os.path.join(OUT, "dialog.png"))
    dlg.run()
    result["steps"].append("run started")
    QTimer.singleShot(200, wait)


@guarded
def wait():
    dlg = state["dlg"]
    if dlg.task is not None:
        QTimer.singleShot(200, wait)
        return
    result["steps"].append("run finished")
    result["messages"] = [w.text() for w in dlg.messageBar.items()]
    dlg.grab().save(os.path.join(OUT, "dialog_done.png"))
    dlg.close()
    layers = QgsProject.instance().mapLayers().values()
    result["layers"] = sorted(layer.name() for layer in layers)
    up = [layer for layer in layers if layer.name() == "Vertical velocity"]
    if up:
        result["up_renderer"] = up[0].renderer().type()
        for layer in layers:
            node = QgsProject.instance().layerTreeRoot().findLayer(layer.id())
            node.setItemVisibilityChecked(layer.name() == "Vertical velocity")
        iface.mainWindow().resize(1280, 780)
        iface.setActiveLayer(up[0])
        iface.zoomToActiveLayer()
        iface.mapCanvas().refresh()
    QTimer.singleShot(3000, screenshot)


@guarded
def screenshot():
    iface.mainWindow().grab().save(os.path.join(OUT, "map.png"))
    result["steps"].append("screenshots saved")
    finish(0)


QTimer.singleShot(4000, open_dialog)
"""


def make_profile(zip_path, root):
    """A 'default' profile under ``root`` (QGIS's --profiles-path keeps profiles in
    ``root/profiles``) with the plugin unzipped and enabled."""
    profiles = os.path.join(root, "profiles")
    plugins = os.path.join(profiles, "default", "python", "plugins")
    os.makedirs(plugins, exist_ok=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(plugins)
    ini_dir = os.path.join(profiles, "default", "QGIS")
    os.makedirs(ini_dir, exist_ok=True)
    with open(os.path.join(ini_dir, "QGIS3.ini"), "w") as f:
        f.write("[PythonPlugins]\ninsar_decomposition=true\nprocessing=true\n\n")
        f.write("[qgis]\nshowTips=false\ncheckVersion=false\n")
    return plugins


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zip", required=True)
    parser.add_argument("--out", default="build/e2e")
    parser.add_argument("--timeout", type=int, default=240)
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    work = tempfile.mkdtemp(prefix="losdecomp-e2e-")
    try:
        make_profile(args.zip, work)
        paths = scene.make_scene(os.path.join(work, "data"))
        script = os.path.join(work, "e2e_in_qgis.py")
        with open(script, "w") as f:
            f.write(IN_QGIS)
        env = dict(os.environ, E2E_OUT=out, E2E_ASC=paths["asc"], E2E_DESC=paths["desc"], HOME=work)
        env.pop("QT_QPA_PLATFORM", None)  # a real (virtual) screen
        cmd = ["timeout", str(args.timeout), "xvfb-run", "-a", "-s", "-screen 0 1280x800x24"]
        cmd += ["qgis", "--nologo", "--noversioncheck", "--profiles-path", work]
        cmd += ["--code", script]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        result_file = os.path.join(out, "result.json")
        if not os.path.exists(result_file):
            tail = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            sys.exit(f"QGIS ended (exit {proc.returncode}) without a result\n{tail}")
        with open(result_file) as f:
            result = json.load(f)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=1))
    expected = {"East velocity", "Vertical velocity", "Decomposition quality"}
    if result.get("exit") != 0 or not expected <= set(result.get("layers", [])):
        sys.exit("end-to-end check failed")
    for png in ("dialog.png", "map.png"):
        if not os.path.getsize(os.path.join(out, png)):
            sys.exit(f"{png} is empty")
    print(f"end-to-end check passed; screenshots in {out}")


if __name__ == "__main__":
    main()
