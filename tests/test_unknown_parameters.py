"""A parameter name an algorithm does not define is said in a warning naming it (qgis_process
and scripts pass it silently otherwise), and the run goes on with the names it knows."""

from conftest import run_logged


def test_a_misspelt_parameter_is_named_in_a_warning(plugin, scene_paths, tmp_path):
    res, log = run_logged("losdecomp:decompose", {
        "ASCENDING": scene_paths["asc"], "DESCENDING": scene_paths["desc"],
        "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif"),
        "HORIZONTAL_AZIMUTHH": 30, "REGULARIZATION": 2,
    })  # fmt: skip
    assert res["OUTPUT_UP"]
    assert "WARNING: HORIZONTAL_AZIMUTHH: not a parameter of losdecomp:decompose; it was ignored" in log
    assert "WARNING: REGULARIZATION: not a parameter of losdecomp:decompose; it was ignored" in log


def test_known_parameters_give_no_such_warning(plugin, scene_paths, tmp_path):
    _, log = run_logged("losdecomp:decompose", {
        "ASCENDING": scene_paths["asc"], "DESCENDING": scene_paths["desc"],
        "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif"), "MAX_CONDITION": 8,
    })  # fmt: skip
    assert "not a parameter of" not in log
