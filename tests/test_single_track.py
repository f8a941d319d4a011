"""One track only: vertical, horizontal and downslope projections against known answers,
the sensitivity mask, time series, bad input, and NAF against the two-track decomposition."""

import os

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs.single_track import MOTION, SIGMA, ProjectionRequest, plan, run
from insar_decomposition.core.solve import projection

GT = (500000.0, 50.0, 0.0, 4100000.0, 0.0, -50.0)
SHAPE = (60, 80)
EPSG = 32611


def write(path, array, metadata=None, unit="mm/year", gt=GT):
    return scene.write_raster(str(path), np.asarray(array, np.float32), EPSG, gt, float("nan"), metadata, unit)


def licsbas_frame(folder, heading, incidence_range, los_of):
    """vel.geo.tif beside E/N/U.geo.tif with incidence varying across the swath."""
    folder.mkdir(parents=True, exist_ok=True)
    inc = np.linspace(*incidence_range, SHAPE[1])[None, :] + np.zeros(SHAPE)
    s = geometry.from_heading_incidence(heading, inc)
    for name, comp in zip("ENU", s):
        write(folder / f"{name}.geo.tif", comp, unit="")
    return write(folder / "vel.geo.tif", los_of(s)), s


def project_file(path, direction, out, **kw):
    band = kw.pop("band", 1)
    req = ProjectionRequest(TrackInput("track", path, band), direction, {MOTION: str(out)}, **kw)
    job = plan(req)
    return job, run(job)


def test_vertical_with_per_pixel_incidence_is_exact(tmp_path):
    up = np.random.default_rng(1).normal(0, 10, SHAPE)
    path, s = licsbas_frame(tmp_path / "frame", 192.0, (30.0, 45.0), lambda s: s[2] * up)
    job, _ = project_file(path, projection.VERTICAL, tmp_path / "v.tif")
    np.testing.assert_allclose(read_band(tmp_path / "v.tif"), up, atol=1e-4)
    # the log quantifies the one-nominal-angle shortcut over this 30..45 deg swath
    cos = np.cos(np.radians([30.0, 45.0]))
    assert any(f"{cos[1]:.3f}..{cos[0]:.3f}" in line for line in job.log)


def test_horizontal_along_an_azimuth_is_exact(tmp_path):
    azimuth, speed = 75.0, np.linspace(-20, 20, SHAPE[1])[None, :] + np.zeros(SHAPE)
    s = geometry.from_heading_incidence(348.0, 34.0)
    u = projection.horizontal_direction(azimuth)
    path = write(tmp_path / "h.tif", geometry.forward(s, speed * u[0], speed * u[1], 0.0),
                 {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"})  # fmt: skip
    _, summary = project_file(path, projection.HORIZONTAL, tmp_path / "out.tif", horizontal_azimuth=azimuth)
    np.testing.assert_allclose(read_band(tmp_path / "out.tif"), speed, atol=1e-4)
    assert summary.resolved == speed.size


def planar_dem(tmp_path, gx=0.25, gy=-0.4):
    """z = 2000 + gx * east + gy * north (metres): a plane whose downslope azimuth and
    slope are known."""
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    east, north = cols * GT[1], -rows * GT[1]
    return write(tmp_path / "dem.tif", 2000 + gx * east + gy * north, unit="m"), gx, gy


def test_downslope_on_a_planar_slope_is_exact_away_from_the_edges(tmp_path):
    dem, gx, gy = planar_dem(tmp_path)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, -gy)  # downhill azimuth, clockwise from north
    u = projection.downslope_direction(np.array(slope), np.array(aspect))
    assert abs(np.degrees(aspect) % 360 - 327.99) < 0.01  # down to the north-west
    speed = np.random.default_rng(2).uniform(1, 30, SHAPE)
    s = geometry.from_heading_incidence(192.0, 39.0)
    los = geometry.forward(s, speed * u[0], speed * u[1], speed * u[2])
    path = write(tmp_path / "los.tif", los, {"INSAR_HEADING": "192", "INSAR_INCIDENCE": "39"})
    project_file(path, projection.DOWNSLOPE, tmp_path / "ds.tif", dem=dem)
    out = read_band(tmp_path / "ds.tif")
    np.testing.assert_allclose(out[1:-1, 1:-1], speed[1:-1, 1:-1], rtol=1e-5)
    assert np.isnan(out[0]).all() and np.isnan(out[:, -1]).all()  # no slope without neighbours


def test_the_sensitivity_mask_is_where_it_should_be(tmp_path):
    heading = np.linspace(330, 30, SHAPE[1])[None, :] + np.zeros(SHAPE)  # the track turns across the scene
    inc = np.full(SHAPE, 35.0)
    s = geometry.from_heading_incidence(heading, inc)
    folder = tmp_path / "frame"
    folder.mkdir()
    for name, comp in zip("ENU", s):
        write(folder / f"{name}.geo.tif", comp, unit="")
    azimuth = 60.0
    u = projection.horizontal_direction(azimuth)
    path = write(folder / "vel.geo.tif", geometry.forward(s, 7.0 * u[0], 7.0 * u[1], 0.0))
    project_file(path, projection.HORIZONTAL, tmp_path / "m.tif", horizontal_azimuth=azimuth, min_sensitivity=0.3)
    out = read_band(tmp_path / "m.tif")
    sens = np.abs(projection.sensitivity(s, u))
    assert 0 < (sens < 0.3).sum() < sens.size
    assert np.array_equal(np.isnan(out), sens < 0.3)
    np.testing.assert_allclose(out[sens >= 0.3], 7.0, rtol=1e-4)


def test_sigma_is_divided_by_the_sensitivity(tmp_path):
    up = np.full(SHAPE, 4.0)
    s = geometry.from_heading_incidence(348.0, 34.0)
    tags = {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"}
    path = write(tmp_path / "v.tif", s[2] * up, tags)
    sigma = write(tmp_path / "sd.tif", np.full(SHAPE, 2.0))
    req = ProjectionRequest(TrackInput("track", path, 1, sigma=sigma), projection.VERTICAL,
                            {MOTION: str(tmp_path / "o.tif"), SIGMA: str(tmp_path / "os.tif")})  # fmt: skip
    run(plan(req))
    np.testing.assert_allclose(read_band(tmp_path / "os.tif"), 2.0 / s[2], rtol=1e-6)


def test_a_time_series_is_projected_band_by_band_with_its_dates(tmp_path):
    s = geometry.from_heading_incidence(348.0, 34.0)
    stack = np.stack([np.full(SHAPE, k * s[2]) for k in (0.0, 3.0, 6.0)])
    path = write(tmp_path / "ts.tif", stack, {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"}, unit="mm")
    ds = gdal.Open(path, gdal.GA_Update)
    for i, d in enumerate(("20200101", "20200113", "20200125"), start=1):
        ds.GetRasterBand(i).SetMetadataItem("INSAR_DATE", d)
    ds = None
    job, _ = project_file(path, projection.VERTICAL, tmp_path / "o.tif", band=None)
    out = gdal.Open(str(tmp_path / "o.tif"))
    assert out.RasterCount == 3
    assert [out.GetRasterBand(i).GetMetadataItem("INSAR_DATE") for i in (1, 2, 3)] == [
        "20200101",
        "20200113",
        "20200125",
    ]
    assert out.GetRasterBand(2).GetDescription() == "Vertical displacement 2020-01-13"
    np.testing.assert_allclose(read_band(tmp_path / "o.tif", 3), 6.0, rtol=1e-6)
    assert out.GetMetadataItem("INSAR_ASSUMPTION") == "assuming no horizontal motion"


@pytest.fixture()
def tagged(tmp_path):
    s = geometry.from_heading_incidence(348.0, 34.0)
    return write(tmp_path / "t.tif", np.full(SHAPE, s[2]), {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"})


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"direction": projection.DOWNSLOPE}, "a DEM is needed"),
        ({"direction": projection.VERTICAL, "min_sensitivity": 0.0}, "must be in (0, 1]"),
        ({"direction": projection.VERTICAL, "min_sensitivity": 1.5}, "must be in (0, 1]"),
        ({"direction": projection.HORIZONTAL}, "give the azimuth"),
        ({"direction": projection.HORIZONTAL, "horizontal_azimuth": 348.0}, "sensitivity |s.u| of 0.000"),
        ({"direction": projection.HORIZONTAL, "horizontal_azimuth": 168.0}, "sensitivity |s.u| of 0.000"),
    ],
)
def test_bad_input_is_refused_before_any_output(tagged, tmp_path, kw, message):
    out = tmp_path / "out"
    out.mkdir()
    direction = kw.pop("direction")
    req = ProjectionRequest(TrackInput("track", tagged, 1), direction, {MOTION: str(out / "o.tif")}, **kw)
    with pytest.raises(ValueError) as info:
        plan(req)
    assert message in str(info.value)
    assert os.listdir(out) == []


def test_a_dem_that_does_not_overlap_is_refused(tagged, tmp_path):
    far = (900000.0, 50.0, 0.0, 4100000.0, 0.0, -50.0)
    dem = write(tmp_path / "far_dem.tif", np.ones(SHAPE), unit="m", gt=far)
    req = ProjectionRequest(
        TrackInput("track", tagged, 1), projection.DOWNSLOPE, {MOTION: str(tmp_path / "o.tif")}, dem=dem
    )
    with pytest.raises(ValueError, match="DEM: it does not overlap the track"):
        plan(req)


def test_naf_vertical_differs_from_the_decomposition_by_the_east_leakage(plugin, shared_data, tmp_path):
    """One track projected to vertical sees east motion as vertical: d / sU = up + (sE / sU) east.
    With the decomposition's up and east on the same pixels the identity holds exactly."""
    from insar_decomposition.core.io.grid import raster_info

    naf = shared_data / "naf_licsbas"
    asc = naf / "014A_04939_131313" / "vel.geo.tif"
    res, log = run_logged(
        "losdecomp:project_single_track", {"INPUT": str(asc), "DIRECTION": 0, "OUTPUT": str(tmp_path / "v.tif")}
    )
    assert "cos(incidence) varies" in log and "assuming no horizontal motion" in log
    dec, _ = run_logged(
        "losdecomp:decompose",
        {"ASCENDING": str(asc), "DESCENDING": str(naf / "094D_04913_101213" / "vel.geo.tif"),
         "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif")},
    )  # fmt: skip
    single_info, dec_info = raster_info(res["OUTPUT"]), raster_info(dec["OUTPUT_UP"])
    col = round((dec_info.geotransform[0] - single_info.geotransform[0]) / single_info.geotransform[1])
    row = round((dec_info.geotransform[3] - single_info.geotransform[3]) / single_info.geotransform[5])
    window = (slice(row, row + dec_info.height), slice(col, col + dec_info.width))
    single = read_band(res["OUTPUT"])[window]
    up, east = read_band(dec["OUTPUT_UP"]), read_band(dec["OUTPUT_EAST"])
    s_east = read_band(naf / "014A_04939_131313" / "E.geo.tif")[window]
    s_up = read_band(naf / "014A_04939_131313" / "U.geo.tif")[window]
    both = np.isfinite(single) & np.isfinite(up)
    assert both.sum() > 10000
    s_norm = np.sqrt(s_east**2 + read_band(naf / "014A_04939_131313" / "N.geo.tif")[window] ** 2 + s_up**2)
    leakage = (s_east / s_norm) / (s_up / s_norm) * east
    np.testing.assert_allclose(single[both], up[both] + leakage[both], atol=2e-3)
    diff = single[both] - up[both]
    p5, p95 = np.percentile(diff, [5, 95])
    rms = np.sqrt(np.mean(diff**2))
    print(f"NAF ascending, vertical-only minus decomposed up: median {np.median(diff):.2f}, RMS {rms:.2f}, "
          f"5-95 % {p5:.2f}..{p95:.2f} mm/year")  # fmt: skip
