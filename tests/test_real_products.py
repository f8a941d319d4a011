"""Real products from other software (../shared/data): MintPy HDF5 (Coso) and LiCSBAS (NAF),
decomposed end to end with no angle typed by hand, checked against independent computations."""

import numpy as np
import pytest
from osgeo import gdal

from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry

COSO = {"a064": (350.4324669196591, 39.21362590603896), "d071": (190.212328990944, 38.08736113884195)}


def run(alg, params):
    return run_logged(alg, params)


@pytest.fixture(scope="module")
def coso(shared_data, plugin, tmp_path_factory):
    out = tmp_path_factory.mktemp("coso")
    imported, logs = {}, {}
    for name in COSO:
        res, log = run(
            "losdecomp:import_mintpy",
            {"INPUT": str(shared_data / "coso_mintpy" / f"{name}_velocity.h5"), "OUTPUT": str(out / f"{name}.tif")},
        )
        imported[name], logs[name] = res["OUTPUT"], log
    res, log = run(
        "losdecomp:decompose",
        {
            "ASCENDING": imported["a064"],
            "DESCENDING": imported["d071"],
            "OUTPUT_EAST": str(out / "east.tif"),
            "OUTPUT_UP": str(out / "up.tif"),
            "OUTPUT_SIGMA_EAST": str(out / "sig_e.tif"),
            "OUTPUT_SIGMA_UP": str(out / "sig_u.tif"),
        },
    )
    return imported, logs, res, log


def test_coso_import_reads_aria_convention_and_mask(coso, shared_data):
    from insar_decomposition.core.io.products import mintpy

    imported, logs, _, _ = coso
    attrs = mintpy.attributes(str(shared_data / "coso_mintpy" / "a064_velocity.h5"))
    assert mintpy.azimuth_convention(attrs, float(attrs["azimuthAngle"]))[0] == mintpy.ARIA
    for name, path in imported.items():
        ds = gdal.Open(path)
        assert ds.GetMetadataItem("INSAR_HEADING") == repr(COSO[name][0])
        assert ds.GetMetadataItem("INSAR_UNIT") == "m/year"
        gt = ds.GetGeoTransform()
        assert gt[0] == pytest.approx(-118.10125) and gt[3] == pytest.approx(36.25125)
        assert gt[1] == pytest.approx(1 / 1200, rel=1e-6)
        v = read_band(path)
        assert not np.any(v == 0) or np.count_nonzero(v == 0) == 1  # only the reference pixel
        assert v[531, 403] == 0.0


def test_coso_runs_with_the_right_angles_on_the_input_grid(coso):
    from insar_decomposition.core.plan.tracks import TrackInput, resolve

    imported, _, res, _ = coso
    for name, (heading, incidence) in COSO.items():
        spec = resolve(TrackInput(name, imported[name])).spec
        s = geometry.from_heading_incidence(heading, incidence)
        assert (spec.geometry.s_east, spec.geometry.s_north, spec.geometry.s_up) == pytest.approx(s, abs=1e-9)
        assert spec.sigma is not None  # velocityStd found beside the velocity
    for key in ("OUTPUT_UP", "OUTPUT_SIGMA_UP"):
        out = gdal.Open(res[key])
        assert out.GetGeoTransform() == pytest.approx(gdal.Open(imported["a064"]).GetGeoTransform())


def test_coso_matches_an_independent_solution(coso):
    imported, _, res, _ = coso
    s_a = geometry.from_aria_azimuth(-170.4324669196591, COSO["a064"][1])
    s_d = geometry.from_aria_azimuth(-10.212328990943998, COSO["d071"][1])
    G = np.array([[s_a[0], s_a[2]], [s_d[0], s_d[2]]])
    d = np.stack([read_band(imported["a064"]).ravel(), read_band(imported["d071"]).ravel()])
    m = np.linalg.solve(G, d)
    east, up = read_band(res["OUTPUT_EAST"]).ravel(), read_band(res["OUTPUT_UP"]).ravel()
    ok = np.isfinite(m).all(axis=0)
    np.testing.assert_array_equal(np.isfinite(up), ok)
    np.testing.assert_allclose(east[ok], m[0, ok], atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(up[ok], m[1, ok], atol=1e-6, rtol=1e-5)
    assert np.nanmin(up) < -0.01  # Coso geothermal field subsides by more than 1 cm/year
    sig = read_band(res["OUTPUT_SIGMA_UP"])
    assert np.nanmedian(sig) > 0


@pytest.fixture(scope="module")
def naf(shared_data, plugin, tmp_path_factory):
    out = tmp_path_factory.mktemp("naf")
    base = shared_data / "naf_licsbas"
    params = {
        "ASCENDING": str(base / "014A_04939_131313" / "vel.geo.tif"),
        "DESCENDING": str(base / "094D_04913_101213" / "vel.geo.tif"),
        "OUTPUT_EAST": str(out / "east.tif"),
        "OUTPUT_UP": str(out / "up.tif"),
        "OUTPUT_SIGMA_EAST": str(out / "sig_e.tif"),
        "OUTPUT_SIGMA_UP": str(out / "sig_u.tif"),
        "OUTPUT_QUALITY": str(out / "quality.tif"),
    }
    res, log = run("losdecomp:decompose", params)
    return base, res, log


def test_naf_uses_per_pixel_enu_and_reports_it(naf):
    _, _, log = naf
    assert log.count("geometry per pixel, per-pixel LOS unit vector from E.geo.tif, N.geo.tif, U.geo.tif") == 2
    assert "resampled to the common grid: descending track" in log
    assert "vstd.geo.tif" in log


def _warp(path, grid_path):
    ref = gdal.Open(grid_path)
    gt = ref.GetGeoTransform()
    bounds = (gt[0], gt[3] + gt[5] * ref.RasterYSize, gt[0] + gt[1] * ref.RasterXSize, gt[3])
    ds = gdal.Warp(
        "", path, format="MEM", outputBounds=bounds, width=ref.RasterXSize, height=ref.RasterYSize,
        dstSRS=ref.GetProjection(), resampleAlg="bilinear", srcNodata="nan", dstNodata="nan",
        outputType=gdal.GDT_Float32,
    )  # fmt: skip
    return ds.GetRasterBand(1).ReadAsArray().astype(np.float64)


def test_naf_matches_an_independent_per_pixel_computation(naf):
    base, res, _ = naf
    grid = res["OUTPUT_UP"]
    G, d = [], []
    for frame in ("014A_04939_131313", "094D_04913_101213"):
        enu = np.stack([_warp(str(base / frame / f"{c}.geo.tif"), grid) for c in "ENU"])
        enu /= np.linalg.norm(enu, axis=0)
        G.append(enu[[0, 2]])
        vel = _warp(str(base / frame / "vel.geo.tif"), grid)
        vstd = _warp(str(base / frame / "vstd.geo.tif"), grid)
        vel[~(vstd > 0)] = np.nan  # weighted inversion: a track without a sigma there is not used
        d.append(vel)
    # per pixel 2x2 system [[aE, aU], [dE, dU]] m = [d_a, d_d]
    mats = np.stack([np.stack([G[0][0], G[0][1]], -1), np.stack([G[1][0], G[1][1]], -1)], -2)
    rhs = np.stack(d, -1)
    ok = np.isfinite(mats).all(axis=(-1, -2)) & np.isfinite(rhs).all(-1)
    m = np.full(rhs.shape, np.nan)
    m[ok] = np.linalg.solve(mats[ok], rhs[ok][..., None])[..., 0]
    east, up = read_band(res["OUTPUT_EAST"]), read_band(res["OUTPUT_UP"])
    np.testing.assert_array_equal(np.isfinite(up), ok)
    np.testing.assert_allclose(east[ok], m[ok, 0], atol=1e-3)
    np.testing.assert_allclose(up[ok], m[ok, 1], atol=1e-3)
    assert ok.sum() > 10000


def test_naf_sigma_and_quality_layers(naf):
    _, res, _ = naf
    sig = read_band(res["OUTPUT_SIGMA_UP"])
    up = read_band(res["OUTPUT_UP"])
    assert np.isfinite(sig[np.isfinite(up)]).mean() > 0.99
    assert np.nanmin(sig) > 0
    q = gdal.Open(res["OUTPUT_QUALITY"])
    assert q.RasterCount == 4
    assert q.GetRasterBand(1).GetDescription().startswith("Condition number")
    cond = read_band(res["OUTPUT_QUALITY"], 1)
    n = read_band(res["OUTPUT_QUALITY"], 2)
    assert np.nanmax(cond[np.isfinite(up)]) < 2.0  # Sentinel-1 asc + desc is well conditioned
    assert set(np.unique(n[np.isfinite(up)])) == {2.0}


def test_naf_with_the_gnss_north_field(shared_data, plugin, tmp_path, naf):
    base, without, _ = naf
    res, log = run(
        "losdecomp:decompose",
        {
            "ASCENDING": str(base / "014A_04939_131313" / "vel.geo.tif"),
            "DESCENDING": str(base / "094D_04913_101213" / "vel.geo.tif"),
            "NORTH_VELOCITY": str(base / "GNSS" / "interp_N.grd"),
            "OUTPUT_EAST": str(tmp_path / "east.tif"),
            "OUTPUT_UP": str(tmp_path / "up.tif"),
        },
    )
    assert "WARNING: north velocity: has no coordinate reference system; its coordinates look like degrees" in log
    assert "ERROR:" not in log
    assert "north: known north velocity removed from every track" in log
    assert "track has per-pixel geometry; it sees |sN| times the north velocity" in log
    up, up0 = read_band(res["OUTPUT_UP"]), read_band(without["OUTPUT_UP"])
    diff = up - up0
    ok = np.isfinite(diff)
    assert ok.sum() > 10000
    # the GNSS field is a few mm/year north; |sN| is about 0.1: a sub-mm/year correction
    assert 0.01 < np.nanmedian(np.abs(diff)) < 2.0
