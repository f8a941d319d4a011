"""The library's tests (make test-library, in build/lib-venv): the losdecomp command line run
in a Python where qgis and PyQt cannot be imported. In the QGIS venv (no dask) this folder
is not collected at all."""

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
    import xarray  # noqa: F401
except ImportError:  # the QGIS venv: the library's extra is not installed there
    collect_ignore_glob = ["*.py"]

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
PACKAGE = "insar_decomposition"

#: Runs the CLI with qgis and PyQt made unimportable, and checks none was loaded.
RUNNER = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("qgis", "PyQt5", "PyQt6", "sip"):
                raise ImportError("blocked for this test: " + name)

    sys.meta_path.insert(0, Block())
    from insar_decomposition.cli.main import main
    status = main(sys.argv[1:])
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("qgis", "PyQt5", "PyQt6"))
    assert not loaded, loaded
    sys.exit(status)
    """
)


def _import_parent():
    if ROOT.name == PACKAGE:
        return ROOT.parent
    parent = Path(tempfile.mkdtemp(prefix="losdecomp-lib-"))
    (parent / PACKAGE).symlink_to(ROOT, target_is_directory=True)
    return parent


IMPORT_PARENT = _import_parent()
sys.path.insert(0, str(ROOT / "scripts"))


def run_cli(*args, timeout=300):
    """(exit status, stdout, stderr) of ``losdecomp ARGS`` in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(IMPORT_PARENT))
    out = subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], capture_output=True, text=True,
                         env=env, timeout=timeout)  # fmt: skip
    return out.returncode, out.stdout, out.stderr


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real products folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def scene(tmp_path_factory):
    import synthetic_scene

    return synthetic_scene.make_scene(str(tmp_path_factory.mktemp("scene")))


@pytest.fixture(scope="session")
def stacks(tmp_path_factory):
    import synthetic_scene

    return synthetic_scene.make_stacks(str(tmp_path_factory.mktemp("stacks")), size_km=12.0)
