"""`make e2e`: the real QGIS desktop on a virtual X screen (Xvfb) with a throw-away profile.

Installs the plugin from the ZIP built by `make package` into a fresh profile and, for the
synthetic scene and the shared NAF (LiCSBAS) and Coso (MintPy) products, opens the dialog from
the plugin's own toolbar action, runs it and checks what a user sees: no error on opening,
Run enabled, a run summary, the result group with the vertical velocity on top, the loaded
layers by exact name and count (the group's, in order, and the whole project's: nothing
missing, nothing extra), every layer a single-band pseudocolour. Screenshots to ``--out``:
``<scenario>_1_opened``, ``_2_picked``, ``_3_summary`` and ``_4_map``; QGIS's output to
``qgis.log``.

Nobody is there to click, so nothing may wait for a click. QGIS 3.22 shows a Python error
that happens while it starts (a plugin that cannot be imported, for one) in a *blocking*
dialog, before the ``--code`` script runs: the desktop then idles until it is killed. So a
start-up hook turns every Python error QGIS would show into a failure with its traceback, the
script fails on any modal dialog that stays open, and this driver kills QGIS with a screenshot
of the screen (``hang.png``) when the script has not started in ``--startup-timeout`` seconds or
has not finished in ``--timeout``.
"""

import argparse
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_scene as scene  # noqa: E402

PACKAGE = "insar_decomposition"
SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "shared", "data")
NAF_FRAMES = ("014A_04939_131313", "094D_04913_101213")

# QGIS runs a ``startup.py`` in its data folder once qgis.utils is set up and before it loads
# any plugin. It replaces qgis.utils.showException, which QGIS calls for every Python error it
# reports (a plugin that fails to load, an exception escaping a slot), so that the error ends
# the run with its traceback instead of waiting in a dialog for a click that never comes.
STARTUP = r"""
import json, os, sys, traceback
import qgis.utils


def e2e_abort(text):
    with open(os.path.join(os.environ["E2E_OUT"], "result.json"), "w") as f:
        json.dump({"exit": 1, "error": text, "steps": [], "scenarios": {}}, f, indent=1)
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
    os._exit(1)


def e2e_show_exception(type, value, tb, msg=None, *args, **kwargs):
    e2e_abort((msg or "Python error") + "\n" + "".join(traceback.format_exception(type, value, tb)))


e2e_show_exception.e2e_abort = e2e_abort
qgis.utils.showException = e2e_show_exception
"""

# Runs inside QGIS (qgis --code); talks to the outside through environment variables and
# a JSON file.
IN_QGIS = r"""
import json, os, sys, traceback
import qgis.utils

OUT = os.environ["E2E_OUT"]
abort = getattr(qgis.utils.showException, "e2e_abort", None)
if abort is None:  # without the hook an error would wait in a dialog: stop here instead
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump({"exit": 1, "error": "the e2e start-up hook (startup.py) did not run"}, f)
    os._exit(1)
try:
    from qgis.core import QgsApplication, QgsProject, QgsRasterLayer
    from qgis.PyQt.QtCore import QTimer
    from qgis.PyQt.QtWidgets import QApplication, QLabel, QMessageBox, QTextEdit
    from qgis.utils import iface, plugins

    SCENARIOS = json.loads(os.environ["E2E_SCENARIOS"])
except Exception:  # an error here would open QGIS's blocking "Python error" dialog
    abort("the --code script failed to start\n" + traceback.format_exc())
result = {"steps": [], "scenarios": {}}
state = {"i": 0, "modal": 0}
open(os.path.join(OUT, "started"), "w").close()


def watch_modal():
    # Fail on a modal dialog (a message box, an error) that nobody will close.
    dlg = QApplication.activeModalWidget()
    state["modal"] = state["modal"] + 1 if dlg is not None else 0
    if state["modal"] >= 10:
        dlg.grab().save(os.path.join(OUT, "modal.png"))
        texts = [dlg.text()] if isinstance(dlg, QMessageBox) else []
        texts += [w.text() for w in dlg.findChildren(QLabel)]
        texts += [w.toPlainText() for w in dlg.findChildren(QTextEdit)]
        abort(f"a modal dialog stayed open ({type(dlg).__name__}: {dlg.windowTitle()!r}): "
              + " | ".join(dict.fromkeys(t for t in texts if t))[:3000])


modal_timer = QTimer()
modal_timer.timeout.connect(watch_modal)
modal_timer.start(1000)


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
    rep["project_layers"] = sorted(layer.name() for layer in QgsProject.instance().mapLayers().values())
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


#: The in-QGIS prelude of the desktop screenshot scripts (scripts/screenshots.py,
#: scripts/inspector_screenshot.py): their steps are chained by timers and each is guarded;
#: the first failure ends QGIS with the step's traceback in result.json.
SCREENSHOT_STEPS = r"""
import json, os, traceback
import qgis.utils

OUT = os.environ["E2E_OUT"]
DATA = json.loads(os.environ["E2E_SCENARIOS"])
from qgis.core import QgsApplication, QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication
from qgis.utils import iface, plugins

result = {"steps": [], "exit": None}
open(os.path.join(OUT, "started"), "w").close()
state = {}


def finish(code, error=""):
    result["exit"], result["error"] = code, error
    with open(os.path.join(OUT, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    QgsApplication.instance().exit(code)


def step(fn):
    def wrapper():
        try:
            fn()
        except Exception:
            finish(1, f"{fn.__name__}: " + traceback.format_exc())
    return wrapper


def later(ms, fn):
    QTimer.singleShot(ms, step(fn))


def screen(name):
    QApplication.processEvents()
    QApplication.primaryScreen().grabWindow(0).save(os.path.join(OUT, name + ".png"))
    result["steps"].append(name)
"""


def make_profile(zip_path, root):
    """A 'default' profile under ``root`` (QGIS's --profiles-path keeps profiles in
    ``root/profiles``) with the plugin unzipped and enabled, and the start-up hook in QGIS's
    data folder (``root/data-home/QGIS/QGIS3``, with XDG_DATA_HOME set to ``root/data-home``)."""
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
    data_dir = os.path.join(root, "data-home", "QGIS", "QGIS3")
    os.makedirs(data_dir, exist_ok=True)
    with open(os.path.join(data_dir, "startup.py"), "w") as f:
        f.write(STARTUP)
    return plugins


def scenarios(work, shared):
    """The demo scene, and the shared real products when they are there: NAF (two LiCSBAS
    frames, picked from the project) and Coso (two MintPy files, added from the dialog).
    Real products are copied: QGIS writes statistics beside the layers it loads."""
    paths = scene.make_scene(os.path.join(work, "data"))
    out = [{"name": "scene", "layers": [[paths["asc"], "asc"], [paths["desc"], "desc"]],
            "inputs": ["asc", "desc"], "tracks": "asc + desc", "unit": "mm/year"}]
    naf = os.path.join(shared, "naf_licsbas")
    if os.path.isdir(naf):
        frames = []
        for frame in NAF_FRAMES:
            shutil.copytree(os.path.join(naf, frame), os.path.join(work, "naf", frame))
            frames.append([os.path.join(work, "naf", frame, "vel.geo.tif"), "vel.geo"])
        out.append({"name": "naf", "layers": frames, "inputs": [f"{f} vel.geo" for f in NAF_FRAMES],
                    "tracks": " + ".join(NAF_FRAMES), "unit": "mm/year"})
    coso = os.path.join(shared, "coso_mintpy")
    if os.path.isdir(coso):
        os.makedirs(os.path.join(work, "coso"))
        files = []
        for track in ("a064", "d071"):
            files.append(shutil.copy(os.path.join(coso, f"{track}_velocity.h5"), os.path.join(work, "coso")))
        out.append({"name": "coso", "mintpy": files, "inputs": ["a064_velocity", "d071_velocity"],
                    "tracks": "a064_velocity + d071_velocity", "unit": "m/year"})
    return out


#: What each run loads, in the group's order (the quality layer is asked for): (what, with the unit).
RESULTS = (("Vertical velocity", True), ("East velocity", True),
           ("Decomposition quality: condition number of G (geometry only)", False),
           ("Decomposition quality: number of tracks used", False),
           ("Decomposition quality: residual RMS of the LOS fit (3 or more tracks)", True),
           ("Decomposition quality: correlation of the horizontal and vertical estimates", False))  # fmt: skip


def expected_layers(sc) -> list:
    """The result group's layers of scenario ``sc``, by exact name, in order."""
    return [f"{what} ({sc['unit']}) · {sc['tracks']}" if unit else f"{what} · {sc['tracks']}" for what, unit in RESULTS]


def _layer_problems(name, rep, sc) -> list:
    """The result group and the whole project by exact names and counts: nothing missing,
    nothing extra (a layer loaded twice, a stray intermediate), in the group's order."""
    problems = []
    want = expected_layers(sc)
    if rep.get("groups") != [f"East and vertical velocity · {sc['tracks']}"]:
        problems.append(f"{name}: result groups {rep.get('groups')}")
    if rep.get("group_layers") != want:
        problems.append(f"{name}: the result group holds {rep.get('group_layers')}, not {want}")
    everything = sorted(want + sc["inputs"])
    if rep.get("project_layers") != everything:
        problems.append(f"{name}: the project holds {len(rep.get('project_layers', []))} layers "
                        f"{rep.get('project_layers')}, not the {len(everything)} {everything}")  # fmt: skip
    return problems


def check(result, names, runs=None):
    """The failures an end-to-end run shows, as sentences (``runs``: the scenarios, for the
    layers each must load)."""
    runs = {r["name"]: r for r in runs or []}
    if result.get("exit") != 0:  # the rest would only repeat that the run stopped early
        return [f"QGIS script failed: {result.get('error', '')}"]
    problems = []
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
        if name in runs:
            problems += _layer_problems(name, rep, runs[name])
        odd = {k: v for k, v in rep.get("renderers", {}).items() if v != "singlebandpseudocolor"}
        if odd:
            problems.append(f"{name}: layers not drawn as single-band pseudocolour: {odd}")
    return problems


def _die_with_parent():
    """In the child, before exec: killed when this driver dies (even by SIGKILL, as when a
    test's own timeout ends it), so no QGIS or Xvfb outlives the run."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_xvfb(log, screen="1280x800x24"):
    """An Xvfb of its own on a free display (``-displayfd``: no xvfb-run, no xauth, no race
    for a display number); returns the process and the DISPLAY."""
    read, write = os.pipe()
    cmd = ["Xvfb", "-displayfd", str(write), "-screen", "0", screen, "-nolisten", "tcp"]
    proc = subprocess.Popen(cmd, pass_fds=(write,), stdout=log, stderr=log, preexec_fn=_die_with_parent)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()  # written once the server accepts connections
    if not number:
        proc.kill()
        sys.exit("Xvfb did not start")
    return proc, f":{number}"


def screenshot(display, path):
    """The whole virtual screen, with Qt on X (a dialog QGIS waits on shows in it)."""
    code = "import sys; from qgis.PyQt.QtWidgets import QApplication; app = QApplication([]);"
    code += " sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)"
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    try:
        subprocess.run([sys.executable, "-c", code, path], env=env, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        pass
    return path if os.path.exists(path) else "(no screenshot)"


def stop(proc, group=False):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL) if group else proc.kill()
    except ProcessLookupError:
        pass
    proc.wait()


def run_qgis(args, work, out, runs, code=IN_QGIS, screen="1280x800x24"):
    """QGIS with the --code script (``code``) on a fresh Xvfb of ``screen``; the result the
    script wrote, or exits naming why there is none (with a screenshot when QGIS hung)."""
    script = os.path.join(work, "e2e_in_qgis.py")
    with open(script, "w") as f:
        f.write(code)
    log_path = os.path.join(out, "qgis.log")
    result_file = os.path.join(out, "result.json")
    with open(log_path, "w") as log:
        xvfb, display = start_xvfb(log, screen)
        env = dict(os.environ, E2E_OUT=out, E2E_SCENARIOS=json.dumps(runs), HOME=work, DISPLAY=display)
        env["QT_QPA_PLATFORM"] = "xcb"  # a real (virtual) screen, whatever the caller exports (offscreen)
        for var, sub in (("XDG_DATA_HOME", "data-home"), ("XDG_CONFIG_HOME", "config-home"),
                         ("XDG_CACHE_HOME", "cache-home"), ("XDG_RUNTIME_DIR", "runtime")):  # fmt: skip
            env[var] = os.path.join(work, sub)
            os.makedirs(env[var], mode=0o700, exist_ok=True)
        env.pop("XAUTHORITY", None)
        cmd = ["qgis", "--nologo", "--noversioncheck", "--profiles-path", work, "--code", script]
        qgis = None
        try:
            qgis = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, preexec_fn=_die_with_parent)  # fmt: skip
            start = time.monotonic()
            while qgis.poll() is None:
                time.sleep(0.5)
                elapsed = time.monotonic() - start
                started = os.path.exists(os.path.join(out, "started"))
                if elapsed > args.timeout or (not started and elapsed > args.startup_timeout):
                    shot = screenshot(display, os.path.join(out, "hang.png"))
                    stop(qgis, group=True)
                    what = "did not finish" if started else "did not start the --code script"
                    sys.exit(f"QGIS {what} in {elapsed:.0f} s (it waits for something: a dialog?); "
                             f"screen: {shot}\n{tail(log_path)}")  # fmt: skip
        finally:
            stop(qgis, group=True)
            stop(xvfb)
    if not os.path.exists(result_file):
        sys.exit(f"QGIS ended (exit {qgis.returncode}) without a result\n{tail(log_path)}")
    with open(result_file) as f:
        return json.load(f)


def tail(path, chars=3000):
    with open(path, errors="replace") as f:
        return f"--- {path} (end) ---\n{f.read()[-chars:]}"


def missing_from_zip(error, zip_path):
    """A hint when the plugin failed on a module of its own that the ZIP lacks: package.py
    packs git-tracked files only, so a new module not yet added to git is left out."""
    marker = f"No module named '{PACKAGE}."
    if marker not in error:
        return ""
    module = error.split(marker, 1)[1].split("'", 1)[0].replace(".", "/")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with zipfile.ZipFile(zip_path) as z:
        packed = set(z.namelist())
    for rel in (module + ".py", module + "/__init__.py"):
        if os.path.exists(os.path.join(root, rel)) and f"{PACKAGE}/{rel}" not in packed:
            return f"\n{rel} exists but is not in the ZIP: the ZIP holds git-tracked files only (git add it)"
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zip", required=True)
    parser.add_argument("--out", default="build/e2e")
    parser.add_argument("--timeout", type=int, default=300, help="seconds for the whole QGIS run")
    parser.add_argument("--startup-timeout", type=int, default=120,
                        help="seconds for QGIS to start and run the --code script (about 6 s when idle)")  # fmt: skip
    parser.add_argument("--shared", default=SHARED, help="the shared real products (NAF, Coso), when present")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    work = tempfile.mkdtemp(prefix="losdecomp-e2e-")
    try:
        make_profile(args.zip, work)
        runs = scenarios(work, args.shared)
        result = run_qgis(args, work, out, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=1))
    problems = check(result, [r["name"] for r in runs], runs)
    if problems:
        hint = missing_from_zip(result.get("error", ""), args.zip)
        sys.exit("end-to-end check failed:\n" + "\n".join(problems) + hint)
    for png in sorted(f for f in os.listdir(out) if f.endswith(".png")):
        if not os.path.getsize(os.path.join(out, png)):
            sys.exit(f"{png} is empty")
    print(f"end-to-end check passed on {', '.join(r['name'] for r in runs)}; screenshots in {out}")


if __name__ == "__main__":
    main()
