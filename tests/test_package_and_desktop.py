"""The plugin ZIP, and the real QGIS desktop on a virtual X screen (Xvfb) installing and running it."""

import shutil
import subprocess
import sys
import zipfile

import pytest

import package
from conftest import ROOT


def test_zip_holds_runtime_files_only(tmp_path):
    path = package.build(str(tmp_path / "insar_decomposition.zip"))
    names = zipfile.ZipFile(path).namelist()
    assert "insar_decomposition/metadata.txt" in names
    assert "insar_decomposition/ui/dialog.ui" in names
    assert "insar_decomposition/icons/icon.svg" in names
    assert all(n.startswith("insar_decomposition/") for n in names)
    assert not [n for n in names if "/tests/" in n or "/scripts/" in n or "/bench/" in n or n.endswith(".pyc")]
    assert not [n for n in names if "Makefile" in n or "requirements" in n or ".ci" in n]


@pytest.mark.e2e
def test_real_qgis_desktop_installs_the_zip_and_runs_the_dialog(tmp_path):
    if not (shutil.which("Xvfb") and shutil.which("qgis")):
        pytest.skip("Xvfb or the qgis desktop is not installed")
    zip_path = package.build(str(tmp_path / "insar_decomposition.zip"))
    out = ROOT / "build" / "e2e"
    # e2e.py stops QGIS itself (with a screenshot, build/e2e/hang.png) well before this
    # timeout: a dialog waiting for a click must fail with what it says, not hang the suite
    cmd = [sys.executable, str(ROOT / "scripts" / "e2e.py"), "--zip", zip_path, "--out", str(out)]
    cmd += ["--timeout", "300", "--startup-timeout", "120"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=420)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "end-to-end check passed" in proc.stdout
    for png in ("scene_1_opened.png", "scene_3_summary.png", "scene_4_map.png"):
        assert (out / png).stat().st_size > 10000
