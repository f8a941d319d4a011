"""Qt6 (QGIS 4) readiness, checked on the Qt5 QGIS this machine has: every .ui file loads
under PyQt6's uic, and no Qt5-only (unscoped) enum spelling is left in the code."""

import ast
import importlib
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

UI_FILES = sorted(ROOT.rglob("ui/*.ui"))
CODE = [p for folder in ("core", "provider", "ui") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "plugin.py"]

LOAD_UI = textwrap.dedent(
    """
    import os, re, sys, tempfile
    # QGIS's custom widgets, stubbed by their base class (their own setters accept anything)
    stubs = tempfile.mkdtemp()
    text = open(sys.argv[1]).read()
    pattern = r"<customwidget><class>(\\w+)</class><extends>(\\w+)</extends><header>([\\w./]+)</header>"
    for cls, base, header in re.findall(pattern, text):
        with open(os.path.join(stubs, header.rsplit(".", 1)[0] + ".py"), "w") as f:
            f.write(f"from PyQt6.QtWidgets import {base}\\n\\nclass {cls}({base}):\\n"
                    "    def __getattr__(self, name):\\n"
                    "        if name.startswith('set'):\\n            return lambda *a, **k: None\\n"
                    "        raise AttributeError(name)\\n")
    sys.path.insert(0, stubs)
    from PyQt6 import uic
    from PyQt6.QtWidgets import QApplication, QDialog
    app = QApplication([])
    dialog = QDialog()
    uic.loadUi(sys.argv[1], dialog)
    print(len(dialog.findChildren(object)))
    """
)


@pytest.mark.parametrize("ui", UI_FILES, ids=[p.name for p in UI_FILES])
def test_ui_file_loads_under_pyqt6(ui):
    env_check = subprocess.run([sys.executable, "-c", "import PyQt6.uic"], capture_output=True)
    if env_check.returncode != 0:
        pytest.skip("PyQt6 is not installed (requirements-dev.txt installs it)")
    out = subprocess.run(
        [sys.executable, "-c", LOAD_UI, str(ui)],
        capture_output=True,
        text=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.split()[-1]) > 50  # the whole dialog was built


def _imported_classes(tree):
    """{local name: class} of what a module imports from qgis and Qt."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qgis":
            module = importlib.import_module(node.module)
            for alias in node.names:
                obj = getattr(module, alias.name, None)
                if isinstance(obj, type):
                    names[alias.asname or alias.name] = obj
    return names


def unscoped_enum_uses(path):
    """``Class.MEMBER`` spellings where MEMBER belongs to an enum nested in the class: Qt6
    (PyQt6) only knows ``Class.Enum.MEMBER``."""
    tree = ast.parse(path.read_text())
    classes = _imported_classes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in classes:
            cls = classes[node.value.id]
            value = getattr(cls, node.attr, None)
            enum = type(value)
            nested = getattr(cls, enum.__name__, None) is enum and enum.__name__ != node.attr
            if value is not None and not isinstance(value, type) and nested and not callable(value):
                found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr} -> {enum.__name__}")
    return found


def test_the_enum_check_finds_unscoped_spellings(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from qgis.core import Qgis\n"
        "from qgis.PyQt.QtWidgets import QDialog\n"
        "a = QDialog.Accepted\n"
        "b = QDialog.DialogCode.Accepted\n"
        "c = Qgis.Info\n"
    )
    assert [f.split(" ", 1)[1] for f in unscoped_enum_uses(sample)] == [
        "QDialog.Accepted -> DialogCode",
        "Qgis.Info -> MessageLevel",
    ]


def test_no_qt5_only_enum_spelling_is_left():
    assert [f for path in CODE for f in unscoped_enum_uses(path)] == []
