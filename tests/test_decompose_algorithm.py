"""losdecomp:decompose through processing.run: known answers, metadata, errors, loading."""

import os

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsProcessingException, QgsProject, QgsSingleBandPseudoColorRenderer

import synthetic_scene as scene
from conftest import read_band

ALG = "losdecomp:decompose"


def run(params):
    import processing

    return processing.run(ALG, params)


def rms(a, b):
    return float(np.sqrt(np.nanmean((a - b) ** 2)))


def test_provider_is_registered(plugin):
    from qgis.core import QgsApplication

    provider = QgsApplication.processingRegistry().providerById("losdecomp")
    assert provider is not None
    ids = {a.id() for a in provider.algorithms()}
    assert {"losdecomp:decompose", "losdecomp:import_mintpy"} <= ids


def typed_angles(scene_paths, folder, name):
    """Parameters with the scene's angles typed in, outputs named ``name``."""
    return {
        "ASCENDING": scene_paths["asc"],
        "DESCENDING": scene_paths["desc"],
        "ASC_HEADING": 348.0,
        "ASC_INCIDENCE": 34.0,
        "DESC_HEADING": 192.0,
        "DESC_INCIDENCE": 39.0,
        "OUTPUT_EAST": str(folder / f"{name}_east.tif"),
        "OUTPUT_UP": str(folder / f"{name}_up.tif"),
    }


def test_known_answer_with_typed_angles_different_crs(plugin, scene_paths, tmp_path):
    out = run(typed_angles(scene_paths, tmp_path, "typed"))
    te, tu = scene.truth_on_grid(out["OUTPUT_UP"])
    up, east = read_band(out["OUTPUT_UP"]), read_band(out["OUTPUT_EAST"])
    assert rms(up, tu) < 0.5 and rms(east, te) < 0.5
    assert np.isfinite(up).mean() > 0.9


def test_angles_read_from_layer_tags_give_the_same_result(plugin, scene_paths, tmp_path):
    typed = run(typed_angles(scene_paths, tmp_path, "typed"))
    tags = run(
        {
            "ASCENDING": scene_paths["asc"],
            "DESCENDING": scene_paths["desc"],
            "OUTPUT_EAST": str(tmp_path / "e2.tif"),
            "OUTPUT_UP": str(tmp_path / "u2.tif"),
        }
    )
    np.testing.assert_array_equal(read_band(typed["OUTPUT_UP"]), read_band(tags["OUTPUT_UP"]))


def test_away_sign_flips_the_answer(plugin, scene_paths, tmp_path):
    base = {"ASCENDING": scene_paths["asc"], "DESCENDING": scene_paths["desc"], "OUTPUT_EAST": "TEMPORARY_OUTPUT"}
    toward = run(dict(base, OUTPUT_UP=str(tmp_path / "t.tif")))
    away = run(dict(base, LOS_SIGN=1, OUTPUT_UP=str(tmp_path / "a.tif")))
    np.testing.assert_allclose(read_band(away["OUTPUT_UP"]), -read_band(toward["OUTPUT_UP"]), atol=1e-5)


def test_target_crs_resolution_extent_and_resampling(plugin, scene_paths, tmp_path):
    out = run(
        {
            "ASCENDING": scene_paths["asc"],
            "DESCENDING": scene_paths["desc"],
            "TARGET_CRS": "EPSG:4326",
            "RESOLUTION": 0.002,
            "EXTENT": "-117.95,-117.85,35.98,36.05 [EPSG:4326]",
            "RESAMPLING": 3,
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        }
    )
    ds = gdal.Open(out["OUTPUT_UP"])
    gt = ds.GetGeoTransform()
    assert gt[1] == pytest.approx(0.002) and gt[5] == pytest.approx(-0.002)
    assert (ds.RasterXSize, ds.RasterYSize) == (50, 35)
    assert "4326" in ds.GetSpatialRef().GetAuthorityCode(None)
    te, tu = scene.truth_on_grid(out["OUTPUT_UP"])
    assert rms(read_band(out["OUTPUT_UP"]), tu) < 1.0


def test_missing_angles_name_the_track(plugin, tmp_path):
    gt = (400000.0, 100.0, 0.0, 4000000.0, 0.0, -100.0)
    a = scene.write_raster(str(tmp_path / "a.tif"), np.ones((20, 20), np.float32), 32611, gt, metadata=None)
    d = scene.write_raster(str(tmp_path / "d.tif"), np.ones((20, 20), np.float32), 32611, gt)
    with pytest.raises(QgsProcessingException, match="descending track: no heading and no incidence"):
        run(
            {
                "ASCENDING": a,
                "DESCENDING": d,
                "ASC_HEADING": 348,
                "ASC_INCIDENCE": 34,
                "OUTPUT_EAST": str(tmp_path / "e.tif"),
                "OUTPUT_UP": str(tmp_path / "u.tif"),
            }
        )
    assert not os.path.exists(tmp_path / "e.tif") and not os.path.exists(tmp_path / "u.tif")


def test_two_ascending_tracks_are_refused_before_running(plugin, scene_paths, tmp_path):
    with pytest.raises(QgsProcessingException, match="all look the same way"):
        run(
            {
                "ASCENDING": scene_paths["asc"],
                "DESCENDING": scene_paths["desc"],
                "DESC_HEADING": 350.0,
                "DESC_INCIDENCE": 44.0,
                "OUTPUT_EAST": str(tmp_path / "e.tif"),
                "OUTPUT_UP": str(tmp_path / "u.tif"),
            }
        )
    assert os.listdir(tmp_path) == []


def _constant_like(path, value, out):
    from osgeo import gdal

    ds = gdal.Translate(str(out), path)
    band = ds.GetRasterBand(1)
    band.WriteArray(band.ReadAsArray() * 0 + value)
    ds = None
    return str(out)


def test_outputs_are_loaded_and_styled_symmetric_about_zero(plugin, scene_paths, qgis_new_project, tmp_path):
    """Every single quantity is a single-band pseudocolour layer named by component, unit and
    tracks; velocities diverge about zero, magnitudes start at their floor, and the quality
    raster loads as one layer per band, each named by its meaning."""
    import processing

    from insar_decomposition.core.io.model import QUALITY_BANDS

    sigmas = {key: _constant_like(scene_paths[key], 2.0, tmp_path / f"{key}_sigma.tif") for key in ("asc", "desc")}
    processing.runAndLoadResults(
        ALG,
        {
            "ASCENDING": scene_paths["asc"],
            "DESCENDING": scene_paths["desc"],
            "ASC_SIGMA": sigmas["asc"],
            "DESC_SIGMA": sigmas["desc"],
            "OUTPUT_EAST": "TEMPORARY_OUTPUT",
            "OUTPUT_UP": "TEMPORARY_OUTPUT",
            "OUTPUT_SIGMA_UP": "TEMPORARY_OUTPUT",
            "OUTPUT_QUALITY": "TEMPORARY_OUTPUT",
        },
    )
    layers = {lyr.name(): lyr for lyr in QgsProject.instance().mapLayers().values()}
    east, up = "East velocity (mm/year) · asc + desc", "Vertical velocity (mm/year) · asc + desc"
    sigma = "Vertical velocity propagated standard deviation (mm/year) · asc + desc"
    quality = [
        f"Decomposition quality: {d[0].lower()}{d[1:]}{' (mm/year)' if u is None else ''} · asc + desc"
        for _, d, u in QUALITY_BANDS
    ]
    assert {east, up, sigma, *quality} == set(layers)
    for layer in layers.values():
        assert layer.renderer().type() == "singlebandpseudocolor", layer.name()
    for name in (east, up):
        renderer = layers[name].renderer()
        assert isinstance(renderer, QgsSingleBandPseudoColorRenderer)
        assert renderer.classificationMin() == pytest.approx(-renderer.classificationMax())
        assert renderer.classificationMax() > 1.0
        items = renderer.shader().rasterShaderFunction().colorRampItemList()
        assert items[0].value == pytest.approx(-items[-1].value)
    assert layers[sigma].renderer().classificationMin() >= 0
    for i, name in enumerate(quality, start=1):
        assert layers[name].renderer().band() == i
    assert layers[quality[0]].renderer().classificationMin() == 1.0  # the condition number's floor
    root = QgsProject.instance().layerTreeRoot()
    group = root.children()[0]
    assert group.name() == "East and vertical velocity · asc + desc"
    order = [child.layer().name() for child in group.children()]
    assert order == [up, east, sigma, *quality]  # vertical on top, auxiliary layers below
    ticked = [child.itemVisibilityChecked() for child in group.children()]
    assert ticked == [True, True] + [False] * (1 + len(quality))
    processing.runAndLoadResults(
        ALG,
        {
            "ASCENDING": scene_paths["asc"],
            "DESCENDING": scene_paths["desc"],
            "OUTPUT_EAST": "TEMPORARY_OUTPUT",
            "OUTPUT_UP": "TEMPORARY_OUTPUT",
        },
    )
    groups = [child.name() for child in root.children()]
    assert groups[:2] == ["East and vertical velocity · asc + desc (2)", "East and vertical velocity · asc + desc"]
