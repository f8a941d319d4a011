"""North and full 3-D through the core plan and engine (issue 34): along-track tracks from
typed kinds and layer tags, COMPONENTS 1 and 2 written to GeoTIFFs, the refusals in words."""

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.io.model import (
    HORIZONTAL,
    NORTH,
    QUALITY,
    SIGMA_HORIZONTAL,
    SIGMA_NORTH,
    SIGMA_UP,
    UN_TILT,
    UP,
    UP_NORTH,
)
from insar_decomposition.core.plan.decompose import Request, check, plan
from insar_decomposition.core.plan.tracks import TrackError, TrackInput
from insar_decomposition.core.runs import engine
from insar_decomposition.core.solve.resolvable import UNRESOLVED_3D

SHAPE = (20, 24)
GT = (500000.0, 100.0, 0.0, 4000000.0, 0.0, -100.0)
ASC, DESC = (348.0, 34.0), (192.0, 39.0)


def truth():
    y, x = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]].astype(float)
    return 3.0 + 0.2 * x, -12.0 + 0.3 * y, -5.0 + 0.1 * (x - y)  # east, north, up: all non-zero


def raster(path, values, tags=None, unit="mm/year"):
    scene.write_raster(str(path), values.astype(np.float32), 32611, GT, float("nan"), tags, unit)
    return str(path)


def los_track(tmp, name, h, t, sigma=None, side=g.RIGHT, sign=1.0):
    e, n, u = truth()
    tags = {"INSAR_HEADING": str(h), "INSAR_INCIDENCE": str(t), "INSAR_LOOK_SIDE": side}
    path = raster(tmp / f"{name}.tif", sign * g.forward(g.from_heading_incidence(h, t, side), e, n, u), tags)
    sig = raster(tmp / f"{name}_std.tif", np.full(SHAPE, sigma)) if sigma else None
    return TrackInput(name, path, sigma=sig)


def along_track(tmp, name, h, tagged=False, sigma=None):
    e, n, u = truth()
    tags = {"INSAR_HEADING": str(h)}
    if tagged:
        tags["INSAR_KIND"] = "along-track"
    path = raster(tmp / f"{name}.tif", g.forward(g.along_track_unit_vector(h), e, n, u), tags)
    return TrackInput(name, path, sigma=sigma, kind=None if tagged else g.ALONG_TRACK)


def outputs(tmp, *products):
    return {p: str(tmp / f"{p}.tif") for p in products}


def read(path, band=1):
    ds = gdal.Open(path)
    return ds.GetRasterBand(band).ReadAsArray().astype(float)


def band_item(path, item, band=1):
    ds = gdal.Open(path)
    return ds.GetRasterBand(band).GetMetadataItem(item)


def band_description(path, band=1):
    ds = gdal.Open(path)
    return ds.GetRasterBand(band).GetDescription()


def test_three_d_from_asc_desc_and_along_track_tracks(tmp_path):
    tracks = [los_track(tmp_path, "asc", *ASC, sigma=2.0), los_track(tmp_path, "desc", *DESC, sigma=2.0),
              along_track(tmp_path, "asc_azimuth", 348.0, tagged=True), along_track(tmp_path, "desc_azimuth", 192.0)]
    out = outputs(tmp_path, HORIZONTAL, UP, NORTH, SIGMA_NORTH, SIGMA_UP, SIGMA_HORIZONTAL, QUALITY)
    p = plan(Request(tracks, out, components=1, along_track_sigma=50.0))
    assert any("kind along-track (layer tag INSAR_KIND)" in line for line in p.log)
    assert any("ALONG_TRACK_SIGMA 50" in line for line in p.log + [p.job.metadata["LOSDECOMP_TRACKS"]])
    engine.run(p.job)
    e, n, u = truth()
    np.testing.assert_allclose(read(out[HORIZONTAL]), e, atol=2e-4)
    np.testing.assert_allclose(read(out[NORTH]), n, atol=2e-4)
    np.testing.assert_allclose(read(out[UP]), u, atol=2e-4)
    sig_n = read(out[SIGMA_NORTH])
    assert np.all((sig_n > 20) & (sig_n < 60))  # north rests on the noisy along-track tracks
    ds = gdal.Open(out[QUALITY])
    assert ds.RasterCount == 7
    descriptions = [ds.GetRasterBand(i).GetDescription() for i in range(1, 8)]
    assert "3-D" in descriptions[0] and "[sE sN sU]" in descriptions[4]
    assert np.all(read(out[QUALITY], 1) < 2)
    assert band_item(out[SIGMA_NORTH], "INSAR_SIGMA_KIND") == "propagated"


def test_components_zero_is_unchanged_bit_for_bit(tmp_path):
    tracks = [los_track(tmp_path, "asc", *ASC), los_track(tmp_path, "desc", *DESC)]
    a = outputs(tmp_path / "a", HORIZONTAL, UP, QUALITY)
    b = outputs(tmp_path / "b", HORIZONTAL, UP, QUALITY)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    engine.run(plan(Request(tracks, a)).job)
    engine.run(plan(Request(tracks, b, components=0)).job)
    for key in a:
        for band in range(1, gdal.Open(a[key]).RasterCount + 1):
            np.testing.assert_array_equal(read(a[key], band), read(b[key], band))
    assert gdal.Open(a[QUALITY]).RasterCount == 4


def test_asc_desc_only_and_components_one_is_refused_in_words(tmp_path):
    tracks = [los_track(tmp_path, "asc", *ASC), los_track(tmp_path, "desc", *DESC)]
    with pytest.raises(TrackError) as info:
        check(Request(tracks, outputs(tmp_path, UP), components=1))
    assert UNRESOLVED_3D in str(info.value)
    tracks.append(los_track(tmp_path, "asc2", 350.0, 44.0))
    with pytest.raises(TrackError) as info:
        check(Request(tracks, outputs(tmp_path, UP), components=1))
    assert UNRESOLVED_3D in str(info.value) and "cond(G)" in str(info.value)
    assert not list(tmp_path.glob("up.tif*"))


def test_up_north_output_tilt_and_split_with_a_known_north(tmp_path):
    tracks = [los_track(tmp_path, "asc", *ASC, sigma=1.0), los_track(tmp_path, "desc", *DESC, sigma=1.0)]
    out = outputs(tmp_path, HORIZONTAL, UP, UN_TILT, SIGMA_UP)
    p = plan(Request(tracks, out, components=2))
    engine.run(p.job)
    s1, s2 = np.array(g.from_heading_incidence(*ASC)), np.array(g.from_heading_incidence(*DESC))
    n = np.cross(s1, s2)
    d = np.array([0.0, -n[2], n[1]]) / np.hypot(n[1], n[2])
    d = -d if d[2] < 0 else d
    e, vn, u = truth()
    np.testing.assert_allclose(read(out[UP]), vn * d[1] + u * d[2], atol=2e-4)
    tilt = np.degrees(np.arctan2(d[1], d[2]))
    np.testing.assert_allclose(read(out[UN_TILT]), tilt, atol=1e-4)
    md = gdal.Open(out[UP]).GetMetadata()
    assert float(md["LOSDECOMP_UN_TILT_DEG"]) == pytest.approx(tilt, abs=1e-3)
    assert "LOSDECOMP_UN_EAST_LEAK" in md
    assert "v_UN" in band_description(out[UP])
    assert any("tilted" in line for line in p.log)
    # with the known north (a raster would do the same): up itself, v_UN to OUTPUT_UN
    north = raster(tmp_path / "north.tif", vn)
    out2 = outputs(tmp_path / "k", UP, UP_NORTH, SIGMA_UP)
    (tmp_path / "k").mkdir()
    engine.run(plan(Request(tracks, out2, components=2, north_velocity=north, north_sigma=2.0)).job)
    np.testing.assert_allclose(read(out2[UP]), u, atol=5e-4)
    conventions = gdal.Open(out2[UP]).GetMetadataItem("LOSDECOMP_CONVENTIONS")
    assert "known north used only to split up from v_UN (not removed from the tracks)" in conventions
    assert "removed" not in conventions.replace("not removed", "")
    assert "no north assumed" in md["LOSDECOMP_CONVENTIONS"] and "assumed zero" not in md["LOSDECOMP_CONVENTIONS"]
    np.testing.assert_allclose(read(out2[UP_NORTH]), vn * d[1] + u * d[2], atol=2e-4)
    sig_without = read(out[SIGMA_UP])
    expected = np.sqrt(sig_without**2 + (d[1] * 2.0) ** 2) / d[2]
    np.testing.assert_allclose(read(out2[SIGMA_UP]), expected, rtol=1e-5)


def test_along_track_refusals_and_options(tmp_path):
    asc, desc = los_track(tmp_path, "asc", *ASC, sigma=2.0), los_track(tmp_path, "desc", *DESC, sigma=2.0)
    azimuth = along_track(tmp_path, "azimuth", 348.0)
    with pytest.raises(TrackError, match="along-track data need a standard deviation"):
        check(Request([asc, desc, azimuth], outputs(tmp_path, UP), components=1))
    plain = [los_track(tmp_path, "a2", *ASC), los_track(tmp_path, "d2", *DESC)]
    with pytest.raises(TrackError, match="every track needs a standard deviation"):
        check(Request(plain + [azimuth], outputs(tmp_path, UP), components=1, along_track_sigma=40.0))
    with pytest.raises(ValueError, match="OUTPUT_NORTH needs COMPONENTS 1"):
        check(Request([asc, desc], outputs(tmp_path, UP, NORTH)))
    with pytest.raises(ValueError, match="COMPONENTS 1 solves north"):
        check(Request([asc, desc, azimuth], outputs(tmp_path, UP), components=1, north_velocity=3.0,
                      along_track_sigma=40.0))  # fmt: skip
    with pytest.raises(ValueError, match="HORIZONTAL_AZIMUTH applies to COMPONENTS 0"):
        check(Request([asc, desc], outputs(tmp_path, UP), components=2, horizontal_azimuth=30.0))
    c = check(Request([asc, desc], outputs(tmp_path, UP), along_track_sigma=40.0))
    assert any("ALONG_TRACK_SIGMA 40 not used" in w for w in c.warnings)
    # incidence and LOS sign do not apply to an along-track track: typed ones change nothing
    typed = TrackInput("azimuth", azimuth.path, incidence=30.0, los_sign=g.AWAY, kind=g.ALONG_TRACK, sigma=40.0)
    c = check(Request([asc, desc, typed], outputs(tmp_path, UP), components=1))
    spec = c.resolved[2].spec
    assert spec.los_sign == g.TOWARD and spec.geometry.s_up == 0.0
    assert any("incidence angle 30 is ignored" in w for w in c.warnings)
    assert any("LOS_SIGN (away) does not apply" in line for line in c.log)


def test_single_track_north_from_along_track_offsets(tmp_path):
    """project_single_track, DIRECTION 3: north = d / cos h from azimuth offsets alone,
    assuming no east motion (stated); the east motion leaks in as tan h x east."""
    from insar_decomposition.core.runs import single_track
    from insar_decomposition.core.solve.projection import NORTH as DIRECTION_NORTH

    e, n, u = truth()
    path = raster(tmp_path / "az.tif", g.forward(g.along_track_unit_vector(192.0), 0.0 * e, n, u),
                  {"INSAR_HEADING": "192", "INSAR_KIND": "along-track"})  # fmt: skip
    req = single_track.ProjectionRequest(TrackInput("az", path, band=1), DIRECTION_NORTH,
                                         {single_track.MOTION: str(tmp_path / "north.tif")})  # fmt: skip
    job = single_track.plan(req)
    assert "assuming no east motion" in job.metadata["INSAR_ASSUMPTION"]
    assert any("never up" in line for line in job.log)
    single_track.run(job)
    np.testing.assert_allclose(read(str(tmp_path / "north.tif")), n, atol=1e-4)
    # a LOS track cannot give north alone: refused, nothing written
    los = los_track(tmp_path, "asc", *ASC)
    with pytest.raises(ValueError, match="sensitivity"):
        single_track.plan(single_track.ProjectionRequest(los, DIRECTION_NORTH, {single_track.MOTION: str(tmp_path /
                                                                                                         "n2.tif")}))
