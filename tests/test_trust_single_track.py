"""One track, trusted: a whole time series in gives a dated time series out with no
misleading warning; the nominal-angle figure in the log is the error relative to the true
motion; the sigma output is labelled a propagated sigma and agrees with a Monte Carlo
scatter; pixels the track cannot see are nodata with a message that counts them."""

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry, uncertainty
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs.single_track import MOTION, SIGMA, ProjectionRequest, plan, run
from insar_decomposition.core.solve import projection

GT = (500000.0, 50.0, 0.0, 4100000.0, 0.0, -50.0)
EPSG = 32611
TAGS = {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"}
DATES = ("20200101", "20200113", "20200125", "20200206")


def write(path, array, metadata=None, unit="mm/year", nodata=float("nan")):
    return scene.write_raster(str(path), np.asarray(array, np.float32), EPSG, GT, nodata, metadata, unit)


def frame(folder, heading, incidence, los_of):
    """A LiCSBAS-like frame: vel.geo.tif beside per-pixel E/N/U.geo.tif."""
    folder.mkdir(parents=True, exist_ok=True)
    s = geometry.from_heading_incidence(heading, incidence)
    for name, comp in zip("ENU", s):
        write(folder / f"{name}.geo.tif", comp, unit="")
    return write(folder / "vel.geo.tif", los_of(s)), s


def dated_stack(path, shape=(20, 30)):
    """Displacement relative to the first date (band 1 all zero), seen by a track whose
    vertical motion is 3 mm per 12 days."""
    s = geometry.from_heading_incidence(348.0, 34.0)
    up = [np.full(shape, 3.0 * k) for k in range(len(DATES))]
    write(path, np.stack([u * s[2] for u in up]), TAGS, unit="mm")
    ds = gdal.Open(str(path), gdal.GA_Update)
    for i, d in enumerate(DATES, start=1):
        ds.GetRasterBand(i).SetMetadataItem("INSAR_DATE", d)
    ds = None
    return str(path), up


# 1. a time series in, a time series out


def test_a_whole_time_series_is_projected_date_by_date_without_a_band_warning(tmp_path):
    path, up = dated_stack(tmp_path / "ts.tif")
    job = plan(
        ProjectionRequest(TrackInput("track", path, None), projection.VERTICAL, {MOTION: str(tmp_path / "o.tif")})
    )
    assert not [w for w in job.warnings if "band 1" in w or "not a velocity" in w], job.warnings
    assert any(f"time series: {len(DATES)} bands" in line for line in job.log)
    run(job)
    out = gdal.Open(str(tmp_path / "o.tif"))
    assert out.RasterCount == len(DATES)
    assert [out.GetRasterBand(i + 1).GetMetadataItem("INSAR_DATE") for i in range(len(DATES))] == list(DATES)
    for i, u in enumerate(up, start=1):
        np.testing.assert_allclose(read_band(tmp_path / "o.tif", i), u, atol=1e-5)


def test_one_band_picked_from_a_time_series_is_still_called_a_displacement(tmp_path):
    path, _ = dated_stack(tmp_path / "ts.tif")
    job = plan(ProjectionRequest(TrackInput("track", path, 3), projection.VERTICAL, {MOTION: str(tmp_path / "o.tif")}))
    assert any("band 3 is the displacement on 2020-01-25" in w for w in job.warnings)
    assert len(job.bands) == 1


def test_processing_projects_a_time_series_without_a_band_warning(plugin, tmp_path):
    path, up = dated_stack(tmp_path / "ts.tif")
    res, log = run_logged(
        "losdecomp:project_single_track", {"INPUT": path, "DIRECTION": 0, "OUTPUT": str(tmp_path / "o.tif")}
    )
    warnings = [line for line in log.splitlines() if line.startswith("WARNING")]
    assert not [w for w in warnings if "band 1" in w or "not a velocity" in w], warnings
    assert gdal.Open(res["OUTPUT"]).RasterCount == len(DATES)
    np.testing.assert_allclose(read_band(res["OUTPUT"], len(DATES)), up[-1], atol=1e-5)


# 2. the nominal-angle figure, relative to the true motion


def _worst_relative_error(sens_true, sens_nominal):
    """Independently: a LOS value d seen with the true sensitivity, the motion from the
    nominal one against the true motion, worst over the scene."""
    d = 7.0 * sens_true  # any motion; the ratio does not depend on it
    m_true, m_est = d / sens_true, d / sens_nominal
    return float(np.max(np.abs(m_est - m_true) / np.abs(m_true))) * 100


def test_the_nominal_incidence_error_is_relative_to_the_true_vertical_motion(tmp_path):
    shape = (40, 80)
    inc = np.linspace(30.0, 45.0, shape[1])[None, :] + np.zeros(shape)
    path, s = frame(tmp_path / "frame", 192.0, inc, lambda s: 5.0 * s[2])
    job = plan(ProjectionRequest(TrackInput("track", path, 1), projection.VERTICAL, {MOTION: str(tmp_path / "v.tif")}))
    nominal = np.median(np.cos(np.radians(inc)))
    worst = _worst_relative_error(np.cos(np.radians(inc)), nominal)
    assert abs(worst - 10.87) < 0.01  # 1 - cos 45 / cos 37.5: the 45 deg edge
    line = next(x for x in job.log if "cos(incidence) varies" in x)
    assert f"a single {np.degrees(np.arccos(nominal)):.1f} deg angle" in line
    assert f"up to {worst:.1f} %" in line, line


def test_the_nominal_geometry_error_is_given_for_a_horizontal_projection(tmp_path):
    shape = (40, 80)
    inc = np.linspace(30.0, 45.0, shape[1])[None, :] + np.zeros(shape)
    heading = np.linspace(186.0, 198.0, shape[0])[:, None] + np.zeros(shape)
    u = projection.horizontal_direction(280.0)
    path, s = frame(tmp_path / "frame", heading, inc, lambda s: 4.0 * projection.sensitivity(s, u))
    req = ProjectionRequest(TrackInput("track", path, 1), projection.HORIZONTAL, {MOTION: str(tmp_path / "h.tif")},
                            horizontal_azimuth=280.0)  # fmt: skip
    job = plan(req)
    sens = projection.sensitivity(s, u)
    worst = _worst_relative_error(sens, np.median(sens))
    assert 15 < worst < 40  # incidence and heading both vary: far from negligible
    line = next((x for x in job.log if "would be off by up to" in x), "")
    assert f"up to {worst:.1f} %" in line, job.log


# 3. the sigma is a propagated sigma, and NaN stays NaN


def test_the_sigma_band_is_a_propagated_sigma_and_nan_stays_nan(tmp_path):
    shape = (20, 30)
    s = geometry.from_heading_incidence(348.0, 34.0)
    path = write(tmp_path / "v.tif", np.full(shape, 4.0 * s[2]), TAGS)
    sd = np.full(shape, 2.0)
    sd[3, 4] = np.nan  # NaN nodata
    sd[5, 6] = -9999.0  # a declared nodata value
    sigma = write(tmp_path / "sd.tif", sd, nodata=-9999.0)
    req = ProjectionRequest(TrackInput("track", path, 1, sigma=sigma), projection.VERTICAL,
                            {MOTION: str(tmp_path / "o.tif"), SIGMA: str(tmp_path / "os.tif")})  # fmt: skip
    job = plan(req)
    run(job)
    ds = gdal.Open(str(tmp_path / "os.tif"))
    description = ds.GetRasterBand(1).GetDescription()
    kind = ds.GetRasterBand(1).GetMetadataItem(uncertainty.TAG_SIGMA_KIND)
    ds = None
    assert description.startswith(uncertainty.label(uncertainty.PROPAGATED, "the vertical velocity")), description
    assert kind == uncertainty.PROPAGATED
    out = read_band(tmp_path / "os.tif")
    assert np.isnan(out[3, 4]) and np.isnan(out[5, 6])
    assert np.count_nonzero(out == 0) == 0
    np.testing.assert_allclose(out[np.isfinite(out)], 2.0 / s[2], rtol=1e-6)
    assert any(uncertainty.OMITS[uncertainty.PROPAGATED] in line for line in job.log)


# 4. Monte Carlo: the stated sigma is the scatter of the projected motion


@pytest.mark.parametrize("direction, azimuth", [(projection.VERTICAL, None), (projection.HORIZONTAL, 100.0)])
def test_the_stated_sigma_is_the_monte_carlo_scatter(tmp_path, direction, azimuth):
    """Each column has its own geometry; its 1000 rows are 1000 noisy repeats of the same
    LOS value (white noise of known sigma): the scatter down a column is the sigma of the
    projected motion at that geometry."""
    repeats, cols, sigma_los = 1000, 24, 3.0
    inc = np.linspace(30.0, 46.0, cols)[None, :] + np.zeros((repeats, cols))
    heading = np.linspace(340.0, 356.0, cols)[None, :] + np.zeros((repeats, cols))
    u = (0.0, 0.0, 1.0) if direction == projection.VERTICAL else projection.horizontal_direction(azimuth)
    noise = np.random.default_rng(7).normal(0.0, sigma_los, (repeats, cols))
    path, s = frame(tmp_path / "frame", heading, inc, lambda s: 6.0 * projection.sensitivity(s, u) + noise)
    req = ProjectionRequest(TrackInput("track", path, 1, sigma=sigma_los), direction,
                            {MOTION: str(tmp_path / "m.tif"), SIGMA: str(tmp_path / "s.tif")},
                            horizontal_azimuth=azimuth)  # fmt: skip
    run(plan(req))
    motion, stated = read_band(tmp_path / "m.tif"), read_band(tmp_path / "s.tif")
    scatter = motion.std(axis=0, ddof=1)
    np.testing.assert_allclose(stated[0], scatter, rtol=0.10)
    np.testing.assert_allclose(np.ptp(stated, axis=0), 0.0, atol=1e-5)  # one geometry per column
    np.testing.assert_allclose(motion.mean(axis=0), 6.0, atol=5 * scatter.max() / np.sqrt(repeats))
    # the check can tell: the LOS sigma itself (unpropagated) would be off by more than 10 %
    assert np.all(np.abs(sigma_los / scatter - 1) > 0.10)


# 5. what the track cannot see is nodata, and the message counts it


def _turning_frame(tmp_path, shape=(30, 60)):
    heading = np.linspace(-60.0, 60.0, shape[1])[None, :] + np.zeros(shape)  # the track turns across the scene
    inc = np.full(shape, 35.0)
    u = projection.horizontal_direction(0.0)  # north: along the flight direction where the heading is 0
    return frame(tmp_path / "frame", heading, inc, lambda s: 5.0 * projection.sensitivity(s, u)), u


def test_pixels_the_track_cannot_see_are_nodata_and_counted(tmp_path):
    (path, s), u = _turning_frame(tmp_path)
    req = ProjectionRequest(TrackInput("track", path, 1), projection.HORIZONTAL, {MOTION: str(tmp_path / "m.tif")},
                            horizontal_azimuth=0.0, min_sensitivity=0.3)  # fmt: skip
    job = plan(req)
    assert any("s.u changes sign across the swath" in line for line in job.log), job.log
    summary = run(job)
    out = read_band(tmp_path / "m.tif")
    blind = np.abs(projection.sensitivity(s, u)) < 0.3
    assert 0 < blind.sum() < blind.size
    assert np.array_equal(np.isnan(out), blind)
    text = " ".join(getattr(summary, "messages", []))
    assert f"{int(blind.sum())} of {blind.size} pixels" in text, text
    assert "|s.u| below the minimum sensitivity 0.3" in text, text


def test_a_direction_the_track_cannot_see_anywhere_is_refused_with_the_count(tmp_path):
    shape = (20, 30)
    path = write(tmp_path / "v.tif", np.ones(shape), TAGS)
    req = ProjectionRequest(TrackInput("track", path, 1), projection.HORIZONTAL, {MOTION: str(tmp_path / "o.tif")},
                            horizontal_azimuth=348.0)  # fmt: skip
    with pytest.raises(ValueError) as info:
        plan(req)
    assert "sensitivity |s.u| of 0.000" in str(info.value)
    assert f"all {shape[0] * shape[1]} pixels would be nodata" in str(info.value)


def test_per_pixel_geometry_blind_everywhere_says_so_with_the_count(tmp_path):
    shape = (20, 30)
    heading = np.linspace(-5.0, 5.0, shape[1])[None, :] + np.zeros(shape)
    path, s = frame(tmp_path / "frame", heading, np.full(shape, 35.0), lambda s: np.ones(shape))
    req = ProjectionRequest(TrackInput("track", path, 1), projection.HORIZONTAL, {MOTION: str(tmp_path / "o.tif")},
                            horizontal_azimuth=0.0)  # fmt: skip
    with pytest.raises(ValueError) as info:
        run(plan(req))
    assert f"all {shape[0] * shape[1]} pixels have |s.u| below the minimum sensitivity" in str(info.value)
    assert not (tmp_path / "o.tif").exists()


def test_processing_warns_with_the_count_of_blind_pixels(plugin, tmp_path):
    (path, s), u = _turning_frame(tmp_path)
    res, log = run_logged(
        "losdecomp:project_single_track",
        {"INPUT": path, "DIRECTION": 1, "HORIZONTAL_AZIMUTH": 0.0, "OUTPUT": str(tmp_path / "m.tif")},
    )
    blind = int((np.abs(projection.sensitivity(s, u)) < 0.3).sum())
    assert f"WARNING: {blind} of {s[0].size} pixels" in log, log
