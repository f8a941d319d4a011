"""core/ must import and work with QGIS and Qt unavailable (DESIGN.md section 5)."""

import subprocess
import sys
import textwrap

from conftest import IMPORT_PARENT, ROOT

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("qgis", "PyQt5", "PyQt6", "sip"):
                raise ImportError("blocked for this test: " + name)

    sys.meta_path.insert(0, Block())
    import insar_decomposition.core as core
    names = [m.name for m in pkgutil.walk_packages(core.__path__, "insar_decomposition.core.")]
    for name in names:
        importlib.import_module(name)
    from insar_decomposition.core.conventions import geometry
    from insar_decomposition.core.solve import inversion
    s = geometry.from_heading_incidence(348, 34)
    assert abs(s[2] - 0.829) < 1e-3
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("qgis", "PyQt5"))
    assert not loaded, loaded
    print("imported", len(names), "core modules")
    """
)


def test_core_imports_with_qgis_blocked():
    core = ROOT / "core"
    expected = len([p for p in core.rglob("*.py") if p.name != "__init__.py"]) + len(
        [p for p in core.rglob("__init__.py") if p.parent != core]
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=str(IMPORT_PARENT),
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(IMPORT_PARENT), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert "imported" in out.stdout
    assert int(out.stdout.split()[1]) == expected
