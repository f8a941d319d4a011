"""Test set-up: the plugin is importable as ``insar_decomposition`` whatever the checkout's
folder is called, and the helper scripts (synthetic scenes) are importable too."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
PACKAGE = "insar_decomposition"
QGIS_PROCESS = "/usr/bin/qgis_process.bin"


def _make_importable():
    if ROOT.name == PACKAGE:
        parent = ROOT.parent
    else:
        parent = Path(tempfile.mkdtemp(prefix="losdecomp-import-"))
        (parent / PACKAGE).symlink_to(ROOT, target_is_directory=True)
    sys.path.insert(0, str(parent))
    sys.path.insert(0, str(ROOT / "scripts"))  # synthetic scenes, packaging
    return parent


IMPORT_PARENT = _make_importable()


def pytest_report_header(config):
    lines = []
    try:
        from osgeo import gdal

        lines.append(f"GDAL {gdal.__version__}")
    except ImportError:
        lines.append("GDAL not importable")
    try:
        from qgis.core import Qgis
        from qgis.PyQt.QtCore import QT_VERSION_STR

        lines.append(f"QGIS {Qgis.QGIS_VERSION}, Qt {QT_VERSION_STR}")
    except ImportError:
        lines.append("QGIS not importable")
    return ", ".join(lines)


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real products folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def layer_tree_view(qgis_iface):
    """A real layer tree view on pytest-qgis's stand-in iface: QGIS 3.40 and later load
    Processing results through ``iface.layerTreeView()``, which the stand-in lacks."""
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsLayerTreeView

    view = QgsLayerTreeView()
    view.setModel(QgsLayerTreeModel(QgsProject.instance().layerTreeRoot()))
    if not hasattr(qgis_iface, "layerTreeView"):
        qgis_iface.layerTreeView = lambda: view
    return view


@pytest.fixture(scope="session")
def plugin(qgis_iface, qgis_processing, layer_tree_view):
    """The plugin loaded as QGIS loads it: metadata.txt parsed, classFactory, initProcessing."""
    import configparser
    import importlib

    meta = configparser.ConfigParser()
    meta.read(ROOT / "metadata.txt")
    assert meta["general"]["hasProcessingProvider"] == "yes"
    module = importlib.import_module(PACKAGE)
    instance = module.classFactory(qgis_iface)
    instance.initProcessing()
    yield instance
    instance.unload()


@pytest.fixture(scope="module")
def scene_paths(tmp_path_factory):
    import synthetic_scene

    return synthetic_scene.make_scene(str(tmp_path_factory.mktemp("scene")))


def run_logged(algorithm, params):
    """processing.run with a feedback that keeps what the algorithm logs: (results, log).
    Warnings are kept as ``WARNING: ...`` lines and errors as ``ERROR: ...`` lines, so that
    tests can tell which channel a message took."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    class Feedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.lines = []

        def pushInfo(self, info):  # noqa: N802 (QGIS's name)
            self.lines.append(info)

        def pushWarning(self, warning):  # noqa: N802 (QGIS's name)
            self.lines.append(f"WARNING: {warning}")

        def reportError(self, error, fatalError=False):  # noqa: N802, N803 (QGIS's names)
            self.lines.append(f"ERROR: {error}")

    feedback = Feedback()
    result = processing.run(algorithm, params, context=QgsProcessingContext(), feedback=feedback)
    return result, "\n".join(feedback.lines)


def read_band(path, band=1):
    """A band of a raster as float64 (the dataset is kept alive while its band is read)."""
    import numpy as np
    from osgeo import gdal

    ds = gdal.Open(str(path))
    return ds.GetRasterBand(band).ReadAsArray().astype(np.float64)


@pytest.fixture(scope="session")
def qgis_process_env(tmp_path_factory):
    """The environment in which ``qgis_process.bin`` finds and enables this plugin."""
    if not os.path.exists(QGIS_PROCESS):
        pytest.skip(f"{QGIS_PROCESS} is not installed")
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ, HOME=str(home), QGIS_PLUGINPATH=str(IMPORT_PARENT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([QGIS_PROCESS, "plugins", "enable", PACKAGE], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return env
