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
