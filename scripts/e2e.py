"""`make e2e`: the real QGIS desktop under xvfb-run with a throw-away profile.

Installs the plugin from the ZIP built by `make package` into a fresh profile and, for the
synthetic scene and the shared NAF (LiCSBAS) and Coso (MintPy) products, opens the dialog from
the plugin's own toolbar action, runs it and checks what a user sees: no error on opening,
Run enabled, a run summary, the result group with the vertical velocity on top, every layer a
single-band pseudocolour. Screenshots to ``--out``: ``<scenario>_1_opened``, ``_2_picked``,
``_3_summary`` and ``_4_map``.
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
SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "shared", "data")
NAF_FRAMES = ("014A_04939_131313", "094D_04913_101213")

# Runs inside QGIS (qgis --code); talks to the outside through environment variables and
# a JSON file.
IN_QGIS = r"""
import json, os, traceback
from qgis.core import QgsApplication, QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

OUT = os.environ["E2E_OUT"]
SCENARIOS = json.loads(os.environ["E2E_SCENARIOS"])
result = {"steps": [], "scenarios": {}}
state = {"i": 0}


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


def shot(widget, name):
    widget.grab().save(os.path.join(OUT, f"{state['name']}_{name}.png"))


@guarded
def next_scenario():
    if state["i"] >= len(SCENARIOS):
        finish(0)
        return
    sc = SCENARIOS[state["i"]]
    state["i"] += 1
    state["name"], state["sc"] = sc["name"], sc
    state["report"] = result["scenarios"].setdefault(sc["name"], {})
    QgsProject.instance().clear()
    plugin = plugins["insar_decomposition"]
    result["plugins"] = sorted(plugins)
    from qgis.PyQt.QtWidgets import QToolBar
    toolbar = iface.mainWindow().findChild(QToolBar, "insarLosDecompositionToolbar")
    result["toolbar_visible"] = toolbar is not None and toolbar.isVisible()
    for path, name in sc.get("layers", []):
        iface.addRasterLayer(path, name)
    if plugin.dialog is not None:
        plugin.dialog.close()
        plugin.dialog = None
    plugin.action.trigger()
    dlg = plugin.dialog
    state["dlg"] = dlg
    dlg.resize(760, 720)
    QTimer.singleShot(1500, opened)


@guarded
def opened():
    dlg = state["dlg"]
    shot(dlg, "1_opened")
    rep = state["report"]
    rep["opened_asc"] = dlg.ascLayer.currentLayer().name() if dlg.ascLayer.currentLayer() else None
    rep["opened_desc"] = dlg.descLayer.currentLayer().name() if dlg.descLayer.currentLayer() else None
    rep["opened_error"] = "Cannot run" in dlg.summary.text() or "cannot" in dlg.geometryReadout.text().lower()
    for path in state["sc"].get("mintpy", []):
        dlg.add_mintpy_file(path)
    if state["sc"].get("reference"):
        dlg.referencePoint.setText(state["sc"]["reference"])
        dlg.referenceRadius.setValue(state["sc"].get("radius", 0.0))
        dlg.advancedGroup.setCollapsed(False)
    dlg.qualityOutput.setChecked(True)
    dlg.update_readout()
    rep["asc"] = dlg.ascLayer.currentLayer().name()
    rep["desc"] = dlg.descLayer.currentLayer().name()
    rep["readout"] = dlg.geometryReadout.text()
    rep["asc_info"] = dlg.ascInfo.text()
    rep["run_enabled"] = dlg.runButton.isEnabled()
    QTimer.singleShot(1000, picked)


@guarded
def picked():
    dlg = state["dlg"]
    shot(dlg, "2_picked")
    dlg.run()
    result["steps"].append(f"{state['name']}: run started")
    QTimer.singleShot(200, wait)


@guarded
def wait():
    dlg = state["dlg"]
    if dlg.task is not None:
        QTimer.singleShot(200, wait)
        return
    rep = state["report"]
    rep["summary"] = dlg.summary.text()
    dlg.scrollArea.verticalScrollBar().setValue(dlg.scrollArea.verticalScrollBar().maximum())
    QTimer.singleShot(500, summary_shot)


@guarded
def summary_shot():
    dlg = state["dlg"]
    shot(dlg, "3_summary")
    dlg.close()
    rep = state["report"]
    root = QgsProject.instance().layerTreeRoot()
    groups = [c for c in root.children() if c.nodeType() == 0]
    rep["groups"] = [g.name() for g in groups]
    rep["group_layers"] = [c.layer().name() for c in groups[0].children()] if groups else []
    rep["renderers"] = {c.layer().name(): c.layer().renderer().type() for c in groups[0].children()} if groups else {}
    if groups:
        up = groups[0].children()[0].layer()
        for child in root.children():
            if child is not groups[0]:
                child.setItemVisibilityChecked(False)
        groups[0].setExpanded(True)
        iface.mainWindow().resize(1280, 780)
        iface.setActiveLayer(up)
        iface.zoomToActiveLayer()
        iface.mapCanvas().refresh()
    QTimer.singleShot(3000, map_shot)


@guarded
def map_shot():
    iface.mainWindow().grab().save(os.path.join(OUT, f"{state['name']}_4_map.png"))
    result["steps"].append(f"{state['name']}: screenshots saved")
    QTimer.singleShot(500, next_scenario)


QTimer.singleShot(4000, next_scenario)
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


def scenarios(work, shared):
    """The demo scene, and the shared real products when they are there: NAF (two LiCSBAS
    frames, picked from the project) and Coso (two MintPy files, added from the dialog).
    Real products are copied: QGIS writes statistics beside the layers it loads."""
    paths = scene.make_scene(os.path.join(work, "data"))
    out = [{"name": "scene", "layers": [[paths["asc"], "asc"], [paths["desc"], "desc"]]}]
    naf = os.path.join(shared, "naf_licsbas")
    if os.path.isdir(naf):
        frames = []
        for frame in NAF_FRAMES:
            shutil.copytree(os.path.join(naf, frame), os.path.join(work, "naf", frame))
            frames.append([os.path.join(work, "naf", frame, "vel.geo.tif"), "vel.geo"])
        out.append({"name": "naf", "layers": frames})
    coso = os.path.join(shared, "coso_mintpy")
    if os.path.isdir(coso):
        os.makedirs(os.path.join(work, "coso"))
        files = []
        for track in ("a064", "d071"):
            files.append(shutil.copy(os.path.join(coso, f"{track}_velocity.h5"), os.path.join(work, "coso")))
        out.append({"name": "coso", "mintpy": files})
    return out


def check(result, names):
    """The failures an end-to-end run shows, as sentences."""
    problems = []
    if result.get("exit") != 0:
        problems.append(f"QGIS script failed: {result.get('error', '')}")
    if not result.get("toolbar_visible"):
        problems.append("the plugin's toolbar is not visible in a fresh profile")
    for name in names:
        rep = result.get("scenarios", {}).get(name, {})
        if rep.get("opened_error"):
            problems.append(f"{name}: the dialog opened in an error state")
        if not rep.get("run_enabled"):
            problems.append(f"{name}: Run was disabled after picking")
        if "Done" not in rep.get("summary", ""):
            problems.append(f"{name}: no run summary ({rep.get('summary', '')[:300]})")
        layers = rep.get("group_layers", [])
        if not layers or not layers[0].startswith("Vertical velocity ("):
            problems.append(f"{name}: the result group does not have the vertical velocity on top: {layers}")
        odd = {k: v for k, v in rep.get("renderers", {}).items() if v != "singlebandpseudocolor"}
        if odd:
            problems.append(f"{name}: layers not drawn as single-band pseudocolour: {odd}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zip", required=True)
    parser.add_argument("--out", default="build/e2e")
    parser.add_argument("--timeout", type=int, default=400)
    parser.add_argument("--shared", default=SHARED, help="the shared real products (NAF, Coso), when present")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    work = tempfile.mkdtemp(prefix="losdecomp-e2e-")
    try:
        make_profile(args.zip, work)
        runs = scenarios(work, args.shared)
        script = os.path.join(work, "e2e_in_qgis.py")
        with open(script, "w") as f:
            f.write(IN_QGIS)
        env = dict(os.environ, E2E_OUT=out, E2E_SCENARIOS=json.dumps(runs), HOME=work)
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
    problems = check(result, [r["name"] for r in runs])
    if problems:
        sys.exit("end-to-end check failed:\n" + "\n".join(problems))
    for png in sorted(f for f in os.listdir(out) if f.endswith(".png")):
        if not os.path.getsize(os.path.join(out, png)):
            sys.exit(f"{png} is empty")
    print(f"end-to-end check passed on {', '.join(r['name'] for r in runs)}; screenshots in {out}")


if __name__ == "__main__":
    main()
