"""North and full 3-D through processing.run (issue 34): the parameters ASC_KIND,
EXTRA_GEOMETRY's 'along', EXTRA_SIGMAS, ALONG_TRACK_SIGMA, COMPONENTS and the new outputs."""

import numpy as np
import pytest
from qgis.core import QgsProcessingException
from test_north_3d_runs import ASC, DESC, SHAPE, along_track, los_track, raster, read, truth

from insar_decomposition.core.conventions import geometry as g


def run(params):
    import processing

    return processing.run("losdecomp:decompose", params)


def test_three_d_with_an_along_track_slot_and_an_extra_along_track_track(plugin, tmp_path):
    asc = los_track(tmp_path, "asc", *ASC, sigma=2.0)
    desc = los_track(tmp_path, "desc", *DESC, sigma=2.0)
    az_asc = along_track(tmp_path, "az_asc", 348.0)
    az_desc = along_track(tmp_path, "az_desc", 192.0)
    out = run({
        "ASCENDING": asc.path, "DESCENDING": desc.path, "ASC_SIGMA": asc.sigma, "DESC_SIGMA": desc.sigma,
        "EXTRA_TRACKS": [az_asc.path, az_desc.path], "EXTRA_GEOMETRY": "348,,along;192,39,along",
        "EXTRA_SIGMAS": [raster(tmp_path / "az_std.tif", np.full(SHAPE, 60.0))], "ALONG_TRACK_SIGMA": 80.0,
        "COMPONENTS": 1, "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif"),
        "OUTPUT_NORTH": str(tmp_path / "n.tif"), "OUTPUT_SIGMA_NORTH": str(tmp_path / "sn.tif"),
    })  # fmt: skip
    e, n, u = truth()
    np.testing.assert_allclose(read(out["OUTPUT_NORTH"]), n, atol=2e-4)
    np.testing.assert_allclose(read(out["OUTPUT_UP"]), u, atol=2e-4)
    np.testing.assert_allclose(read(out["OUTPUT_EAST"]), e, atol=2e-4)
    assert np.isfinite(read(out["OUTPUT_SIGMA_NORTH"])).all()


def test_descending_slot_as_along_track_and_components_two(plugin, tmp_path):
    asc = los_track(tmp_path, "asc", *ASC, sigma=2.0)
    az = along_track(tmp_path, "az", 348.0)
    out = run({"ASCENDING": asc.path, "DESCENDING": az.path, "ASC_SIGMA": asc.sigma, "DESC_KIND": 1,
               "ALONG_TRACK_SIGMA": 50.0, "COMPONENTS": 2, "OUTPUT_EAST": str(tmp_path / "e.tif"),
               "OUTPUT_UP": str(tmp_path / "u.tif"), "OUTPUT_UN_TILT": str(tmp_path / "t.tif")})  # fmt: skip
    s1, s2 = np.array(g.from_heading_incidence(*ASC)), np.array(g.along_track_unit_vector(348.0))
    nrm = np.cross(s1, s2)
    d = np.array([0.0, -nrm[2], nrm[1]]) / np.hypot(nrm[1], nrm[2])
    d = -d if d[2] < 0 else d
    _, n, u = truth()
    np.testing.assert_allclose(read(out["OUTPUT_UP"]), n * d[1] + u * d[2], atol=2e-4)
    assert np.nanmedian(read(out["OUTPUT_UN_TILT"])) < -45  # an ascending LOS + its azimuth offsets: d leans south


def test_along_track_without_sigma_is_refused_in_words(plugin, tmp_path):
    asc = los_track(tmp_path, "asc", *ASC, sigma=2.0)
    az = along_track(tmp_path, "az", 348.0)
    with pytest.raises(QgsProcessingException, match="along-track data need a standard deviation"):
        run({"ASCENDING": asc.path, "DESCENDING": az.path, "ASC_SIGMA": asc.sigma, "DESC_KIND": 1,
             "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif")})  # fmt: skip
    assert not list(tmp_path.glob("[eu].tif*"))


def test_seven_quality_bands_load_as_seven_styled_layers(plugin, qgis_new_project, tmp_path):
    """COMPONENTS 1: the 3-D cond and the east-north and north-up correlations (bands 5-7)
    load and are drawn like bands 1-4; north diverges about zero, its sigma from its floor."""
    import processing
    from qgis.core import QgsProject

    from insar_decomposition.core.io.model import QUALITY_BANDS_3D

    asc, desc = los_track(tmp_path, "asc", *ASC, sigma=2.0), los_track(tmp_path, "desc", *DESC, sigma=2.0)
    az = along_track(tmp_path, "az", 348.0)
    processing.runAndLoadResults("losdecomp:decompose", {
        "ASCENDING": asc.path, "DESCENDING": desc.path, "ASC_SIGMA": asc.sigma, "DESC_SIGMA": desc.sigma,
        "EXTRA_TRACKS": [az.path], "EXTRA_GEOMETRY": "348,,along", "ALONG_TRACK_SIGMA": 50.0, "COMPONENTS": 1,
        "OUTPUT_EAST": "TEMPORARY_OUTPUT", "OUTPUT_UP": "TEMPORARY_OUTPUT", "OUTPUT_QUALITY": "TEMPORARY_OUTPUT",
        "OUTPUT_NORTH": "TEMPORARY_OUTPUT", "OUTPUT_SIGMA_NORTH": "TEMPORARY_OUTPUT",
    })  # fmt: skip
    layers = {lyr.name(): lyr for lyr in QgsProject.instance().mapLayers().values()}
    quality = sorted((n for n in layers if n.startswith("Decomposition quality")),
                     key=lambda n: layers[n].renderer().band())  # fmt: skip
    assert len(quality) == 7 and [layers[n].renderer().band() for n in quality] == list(range(1, 8))
    for name, (_, desc_, _) in zip(quality, QUALITY_BANDS_3D):
        assert desc_[1:] in name
    assert layers[quality[4]].renderer().classificationMin() == 1.0  # the 3-D cond's floor, as band 1's
    for i in (5, 6):  # correlations: symmetric about zero, at most 1, as band 4
        r = layers[quality[i]].renderer()
        assert r.classificationMax() <= 1.0 and r.classificationMin() == pytest.approx(-r.classificationMax())
    north = next(lyr for n, lyr in layers.items() if n.startswith("North velocity ("))
    assert north.renderer().classificationMin() == pytest.approx(-north.renderer().classificationMax())
    sigma = next(lyr for n, lyr in layers.items() if n.startswith("North velocity propagated"))
    assert sigma.renderer().classificationMin() >= 0
