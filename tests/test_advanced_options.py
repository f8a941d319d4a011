"""Advanced options of losdecomp:decompose: sigma, quality, known north, azimuth, more tracks."""

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band
from insar_decomposition.core.conventions import geometry as g

GT = (400000.0, 100.0, 0.0, 4000000.0, 0.0, -100.0)
SHAPE = (60, 70)
TRACKS = {  # name: (heading, incidence, look side)
    "asc": (348.0, 34.0, g.RIGHT),
    "desc": (192.0, 39.0, g.RIGHT),
    "asc2": (350.0, 44.0, g.RIGHT),
    "left": (12.0, 30.0, g.LEFT),
}


def run(params):
    import processing

    return processing.run("losdecomp:decompose", params)


@pytest.fixture(scope="module")
def truth():
    rng = np.random.default_rng(11)
    east = rng.normal(0, 10, SHAPE)
    north = rng.normal(0, 10, SHAPE)
    up = rng.normal(0, 10, SHAPE)
    return east, north, up


def write_track(folder, name, truth, with_north=False, holes=None, sigma=None):
    h, t, side = TRACKS[name]
    east, north, up = truth
    los = g.forward(g.from_heading_incidence(h, t, side), east, north if with_north else 0.0, up).astype(np.float32)
    if holes is not None:
        los[holes] = np.nan
    tags = {"INSAR_HEADING": str(h), "INSAR_INCIDENCE": str(t), "INSAR_LOOK_SIDE": side}
    path = scene.write_raster(str(folder / f"{name}.tif"), los, 32611, GT, float("nan"), tags)
    if sigma is not None:
        spath = scene.write_raster(str(folder / f"{name}_std.tif"), np.full(SHAPE, sigma, np.float32), 32611, GT)
        return path, spath
    return path


def test_sigma_outputs_equal_the_analytic_covariance(plugin, truth, tmp_path):
    (a, sa), (d, sd) = write_track(tmp_path, "asc", truth, sigma=2.0), write_track(tmp_path, "desc", truth, sigma=3.0)
    out = run(
        {
            "ASCENDING": a,
            "DESCENDING": d,
            "ASC_SIGMA": sa,
            "DESC_SIGMA": sd,
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
            "OUTPUT_SIGMA_EAST": str(tmp_path / "se.tif"),
            "OUTPUT_SIGMA_UP": str(tmp_path / "su.tif"),
            "OUTPUT_QUALITY": str(tmp_path / "q.tif"),
        }
    )
    s = [g.from_heading_incidence(*TRACKS[n]) for n in ("asc", "desc")]
    G = np.array([[x[0], x[2]] for x in s])
    C = np.linalg.inv(G.T @ np.diag([1 / 4.0, 1 / 9.0]) @ G)
    np.testing.assert_allclose(read_band(out["OUTPUT_SIGMA_EAST"]), np.sqrt(C[0, 0]), rtol=1e-6)
    np.testing.assert_allclose(read_band(out["OUTPUT_SIGMA_UP"]), np.sqrt(C[1, 1]), rtol=1e-6)
    np.testing.assert_allclose(read_band(out["OUTPUT_QUALITY"], 1), np.linalg.cond(G), rtol=1e-6)
    np.testing.assert_array_equal(read_band(out["OUTPUT_QUALITY"], 2), 2)
    assert np.isnan(read_band(out["OUTPUT_QUALITY"], 3)).all()  # no residual with two tracks
    np.testing.assert_allclose(read_band(out["OUTPUT_QUALITY"], 4), C[0, 1] / np.sqrt(C[0, 0] * C[1, 1]), rtol=1e-6)
    np.testing.assert_allclose(read_band(out["OUTPUT_UP"]), truth[2], atol=1e-4)


def test_sigma_outputs_without_sigmas_are_refused(plugin, truth, tmp_path):
    from qgis.core import QgsProcessingException

    a, d = write_track(tmp_path, "asc", truth), write_track(tmp_path, "desc", truth)
    with pytest.raises(QgsProcessingException, match="standard deviation for every track"):
        run(
            {
                "ASCENDING": a,
                "DESCENDING": d,
                "OUTPUT_EAST": "TEMPORARY_OUTPUT",
                "OUTPUT_UP": "TEMPORARY_OUTPUT",
                "OUTPUT_SIGMA_UP": str(tmp_path / "su.tif"),
            }
        )


@pytest.mark.parametrize("as_raster", [True, False])
def test_known_north_is_removed(plugin, truth, tmp_path, as_raster):
    east, north, up = truth
    if not as_raster:
        north = np.full(SHAPE, 7.5)
    t = (east, north, up)
    a, d = write_track(tmp_path, "asc", t, with_north=True), write_track(tmp_path, "desc", t, with_north=True)
    params = {
        "ASCENDING": a,
        "DESCENDING": d,
        "OUTPUT_EAST": str(tmp_path / "e.tif"),
        "OUTPUT_UP": str(tmp_path / "u.tif"),
    }
    ignored = run(dict(params, OUTPUT_UP=str(tmp_path / "u0.tif"), OUTPUT_EAST=str(tmp_path / "e0.tif")))
    assert np.max(np.abs(read_band(ignored["OUTPUT_UP"]) - up)) > 1.0
    if as_raster:
        params["NORTH_VELOCITY"] = scene.write_raster(str(tmp_path / "north.tif"), north.astype(np.float32), 32611, GT)
    else:
        params["NORTH_VELOCITY_CONSTANT"] = 7.5
    out = run(params)
    np.testing.assert_allclose(read_band(out["OUTPUT_UP"]), up, atol=1e-4)
    np.testing.assert_allclose(read_band(out["OUTPUT_EAST"]), east, atol=1e-4)


def test_horizontal_along_an_azimuth_matches_the_forward_model(plugin, tmp_path):
    rng = np.random.default_rng(3)
    v, up = rng.normal(0, 10, SHAPE), rng.normal(0, 10, SHAPE)
    az = 75.0
    t = (v * np.sin(np.radians(az)), v * np.cos(np.radians(az)), up)
    a, d = write_track(tmp_path, "asc", t, with_north=True), write_track(tmp_path, "desc", t, with_north=True)
    out = run(
        {
            "ASCENDING": a,
            "DESCENDING": d,
            "HORIZONTAL_AZIMUTH": az,
            "OUTPUT_EAST": str(tmp_path / "h.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        }
    )
    np.testing.assert_allclose(read_band(out["OUTPUT_EAST"]), v, atol=1e-4)
    np.testing.assert_allclose(read_band(out["OUTPUT_UP"]), up, atol=1e-4)
    ds = gdal.Open(out["OUTPUT_EAST"])
    assert "azimuth 75" in ds.GetRasterBand(1).GetDescription()


def test_four_tracks_with_gaps_and_a_left_looking_one(plugin, truth, tmp_path):
    rng = np.random.default_rng(5)
    holes = {n: rng.random(SHAPE) < 0.25 for n in TRACKS}
    paths = {n: write_track(tmp_path, n, truth, holes=holes[n]) for n in TRACKS}
    out = run(
        {
            "ASCENDING": paths["asc"],
            "DESCENDING": paths["desc"],
            "EXTRA_TRACKS": [paths["asc2"], paths["left"]],
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
            "OUTPUT_QUALITY": str(tmp_path / "q.tif"),
        }
    )
    up, east = read_band(out["OUTPUT_UP"]), read_band(out["OUTPUT_EAST"])
    ok = np.isfinite(up)
    # east-looking: asc, asc2 (right-looking ascending); west-looking: desc and the left-looking ascending
    looks_east = ~holes["asc"] | ~holes["asc2"]
    looks_west = ~holes["desc"] | ~holes["left"]
    np.testing.assert_array_equal(ok, looks_east & looks_west)
    np.testing.assert_allclose(up[ok], truth[2][ok], atol=1e-3)
    np.testing.assert_allclose(east[ok], truth[0][ok], atol=1e-3)
    n = read_band(out["OUTPUT_QUALITY"], 2)
    np.testing.assert_array_equal(n, sum((~holes[k]).astype(int) for k in TRACKS))
    rms = read_band(out["OUTPUT_QUALITY"], 3)
    assert np.nanmax(rms) < 1e-3 and np.isfinite(rms[ok & (n >= 3)]).all()


def test_extra_track_geometry_typed(plugin, truth, tmp_path):
    paths = {n: write_track(tmp_path, n, truth) for n in ("asc", "desc", "left")}
    ds = gdal.Open(paths["left"], gdal.GA_Update)
    ds.SetMetadata({})
    ds = None
    out = run(
        {
            "ASCENDING": paths["asc"],
            "DESCENDING": paths["desc"],
            "EXTRA_TRACKS": [paths["left"]],
            "EXTRA_GEOMETRY": "12,30,left",
            "OUTPUT_EAST": "TEMPORARY_OUTPUT",
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        }
    )
    np.testing.assert_allclose(read_band(out["OUTPUT_UP"]), truth[2], atol=1e-3)
