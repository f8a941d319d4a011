"""The same algorithm inside a graphical-modeler model and through qgis_process.bin."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsProcessingModelAlgorithm

import synthetic_scene as scene
from conftest import QGIS_PROCESS, ROOT, read_band

MODEL = ROOT / "examples" / "decompose_and_fill.model3"


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.model3")), ids=lambda p: p.name)
def test_every_example_model_validates(plugin, path):
    """What the Modeler checks before it runs a model: no mandatory parameter without a source."""
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(path))
    valid, issues = model.validate()
    assert valid, issues
    assert model.childAlgorithms(), "a model with no step"


def test_example_model_runs(plugin, scene_paths, tmp_path):
    import processing

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(MODEL))
    outputs = {p.name(): p for p in model.destinationParameterDefinitions()}
    assert set(outputs) == {"decompose:east", "fill:up_filled"}
    result = processing.run(
        model,
        {
            "ascending": scene_paths["asc"],
            "descending": scene_paths["desc"],
            "decompose:east": str(tmp_path / "east.tif"),
            "fill:up_filled": str(tmp_path / "up_filled.tif"),
        },
    )
    up = read_band(result["fill:up_filled"])
    assert np.isfinite(up).all()  # the scene's decorrelated patches are all within 10 pixels of data
    for path in (result["fill:up_filled"], result["decompose:east"]):
        ds = gdal.Open(path)
        band = ds.GetRasterBand(1)
        assert band.GetUnitType() == "mm/year" and band.GetDescription().endswith("velocity"), path
    filled = gdal.Open(result["fill:up_filled"])
    assert "pixels up to 10 pixels from data" in filled.GetRasterBand(1).GetMetadataItem("INSAR_FILLED")
    te, tu = scene.truth_on_grid(result["fill:up_filled"])
    east = read_band(result["decompose:east"])
    assert np.sqrt(np.nanmean((east - te) ** 2)) < 0.5


@pytest.mark.qgis_process
def test_qgis_process_runs_the_decomposition(qgis_process_env, scene_paths, tmp_path):
    east, up = tmp_path / "east.tif", tmp_path / "up.tif"
    cmd = [QGIS_PROCESS, "run", "losdecomp:decompose", "--json", "--"]
    cmd += [f"ASCENDING={scene_paths['asc']}", f"DESCENDING={scene_paths['desc']}"]
    cmd += [f"OUTPUT_EAST={east}", f"OUTPUT_UP={up}", "RESAMPLING=1"]
    out = subprocess.run(cmd, env=qgis_process_env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout[out.stdout.index("{") :])
    assert result["results"]["OUTPUT_UP"] == str(up)
    te, tu = scene.truth_on_grid(str(up))
    assert np.sqrt(np.nanmean((read_band(str(up)) - tu) ** 2)) < 0.5
    assert "INSAR_HEADING" in out.stdout  # the log says where the angles came from


@pytest.mark.qgis_process
def test_qgis_process_reports_a_clear_error(qgis_process_env, scene_paths, tmp_path):
    bad = tmp_path / "no_angles.tif"
    shutil.copy(scene_paths["desc"], bad)
    ds = gdal.Open(str(bad), gdal.GA_Update)
    ds.SetMetadata({})
    ds = None
    cmd = [QGIS_PROCESS, "run", "losdecomp:decompose", "--"]
    cmd += [f"ASCENDING={scene_paths['asc']}", f"DESCENDING={bad}", f"OUTPUT_UP={tmp_path / 'up.tif'}"]
    cmd += [f"OUTPUT_EAST={tmp_path / 'east.tif'}"]
    out = subprocess.run(cmd, env=qgis_process_env, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "descending track: no heading and no incidence angle given" in out.stdout + out.stderr
    assert not (tmp_path / "up.tif").exists()
