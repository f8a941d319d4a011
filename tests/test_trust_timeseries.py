"""Review findings on the time-series decomposition, each reproduced: the joint method
behind the one geometry guard, a known north and a horizontal azimuth applied (not
ignored), a gap on the reference date, a fractional interval, the slow per-pixel path
announced, and the sigma outputs against Monte Carlo."""

import datetime

import numpy as np
import pytest
from osgeo import gdal
from test_velocity_algorithm import GT, SHAPE, dates_every, write_stack

import synthetic_scene as scene
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.plan.decompose import Request
from insar_decomposition.core.plan.tracks import TrackError, TrackInput
from insar_decomposition.core.runs import timeseries_decomp_run as tsr
from insar_decomposition.core.solve import inversion, resolvable
from insar_decomposition.core.solve import timeseries_decomp as tsd
from insar_decomposition.core.solve.velocity import TimeSeriesError

D = datetime.date
S_ASC = geometry.from_heading_incidence(348.0, 34.0)
S_DESC = geometry.from_heading_incidence(192.0, 39.0)
ASC_TAGS = {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"}
DESC_TAGS = {"INSAR_HEADING": "192", "INSAR_INCIDENCE": "39"}
ASC_DATES = dates_every(12, 30, D(2020, 1, 1))
DESC_DATES = dates_every(12, 30, D(2020, 1, 4))


def years(dates, origin):
    return np.array([(d - origin).days / 365.25 for d in dates])[:, None, None]


ORIGIN = D(2020, 1, 1)


def stack_of(s, dates, ve, vn, vu, offset=0.0):
    t = years(dates, ORIGIN)
    return geometry.forward(s, ve * t, vn * t, vu * t) * np.ones((len(dates),) + SHAPE) + offset


def enu_frame(folder, s):
    folder.mkdir()
    for name, comp in zip("ENU", s):
        scene.write_raster(str(folder / f"{name}.geo.tif"), (comp * np.ones(SHAPE)).astype(np.float32), 32611, GT,
                           float("nan"), None, "")  # fmt: skip
    return folder


def run(tmp, tracks, outputs=("up", "horizontal"), **options):
    base = {k: options.pop(k) for k in list(options) if k in Request.__dataclass_fields__}
    paths = {k: str(tmp / f"{k}.tif") for k in outputs}
    req = tsr.TimeSeriesRequest(Request(tracks=tracks, outputs=paths, **base), **options)
    job = tsr.plan(req)
    tsr.run(job)
    read = {k: gdal.Open(p).ReadAsArray().astype(float) for k, p in paths.items()}
    return job, read


# --- 1. the joint method behind the guard ------------------------------------------------


def test_joint_core_refuses_pixels_whose_tracks_look_the_same_way():
    """Before: two ascending tracks with per-pixel geometry gave smooth east/up under
    method 1 (max |up| 9.3, |east| 12.1 from unit noise), where decompose gives nodata.
    Now: NaN at every date, as method 0 and decompose."""
    rng = np.random.default_rng(0)
    days = np.arange(0.0, 240.0, 12.0)
    p = 50
    s1 = geometry.from_heading_incidence(348.0, np.full(p, 34.0))
    s2 = geometry.from_heading_incidence(350.0, np.full(p, 44.0))  # also ascending: looks the same way
    s3 = geometry.from_heading_incidence(192.0, np.full(p, 39.0))
    values = [rng.normal(0, 1, (days.size, p)) for _ in range(2)]
    same = [(days, values[0], s1[0], s1[2], None), (days + 3, values[1], s2[0], s2[2], None)]
    east, up, _, _ = tsd.joint_solve(same, days, 0.0, 0.1)
    assert np.isnan(east).all() and np.isnan(up).all()
    # opposite looks on half of the pixels: those are solved, the rest stay nodata
    mixed_e = np.where(np.arange(p) < 25, s2[0], s3[0])
    mixed_u = np.where(np.arange(p) < 25, s2[2], s3[2])
    east, up, _, _ = tsd.joint_solve([same[0], (days + 3, values[1], mixed_e, mixed_u, None)], days, 0.0, 0.1)
    assert np.isnan(up[:, :25]).all() and np.isfinite(up[1:, 25:]).all()
    sol = inversion.invert([inversion.TrackBlock(values[0][3], *s1), inversion.TrackBlock(values[1][3], *s2)])
    assert np.isnan(sol.up).all()  # the single-epoch path says the same


def test_joint_core_applies_max_condition():
    """A nearly vertical pair (incidence 5 deg both ways: cond 11.7) is refused by
    decompose at MAX_CONDITION 10; method 1 solved it (before) and now does not."""
    days = np.arange(0.0, 120.0, 12.0)
    sa, sd = geometry.from_heading_incidence(348.0, 5.0), geometry.from_heading_incidence(192.0, 5.0)
    y = np.ones((days.size, 4)) * days[:, None] / 365.25
    tracks = [(days, y, sa[0], sa[2], None), (days + 6, y, sd[0], sd[2], None)]
    ok, cond = resolvable.resolvable_tracks([sa[0], sd[0]], [sa[2], sd[2]])
    assert not ok and cond > 10
    assert np.isnan(tsd.joint_solve(tracks, days, 0.0, 0.1)[1]).all()
    assert np.isfinite(tsd.joint_solve(tracks, days, 0.0, 0.1, max_condition=20.0)[1][1:]).all()


@pytest.mark.parametrize("method", [tsd.INTERPOLATE, tsd.JOINT])
def test_per_pixel_geometry_looking_the_same_way_is_nodata_in_both_methods(tmp_path, method):
    ve, vu = 5.0, -10.0
    a1 = write_stack(tmp_path / "a1.tif", stack_of(S_ASC, ASC_DATES, ve, 0, vu), ASC_DATES)
    frame = enu_frame(tmp_path / "014A_00000_000000", geometry.from_heading_incidence(350.0, 44.0))
    a2 = write_stack(frame / "cum.tif", stack_of(geometry.from_heading_incidence(350.0, 44.0), DESC_DATES, ve, 0, vu),
                     DESC_DATES)  # fmt: skip
    ds = gdal.Open(a1, gdal.GA_Update)
    ds.SetMetadata(ASC_TAGS)
    ds = None
    tracks = [TrackInput("ascending", a1, time_series=True), TrackInput("second ascending", a2, time_series=True)]
    with pytest.raises(Exception, match="no pixel could be resolved"):
        run(tmp_path, tracks, method=method)
    assert not list(tmp_path.glob("up.tif*"))


@pytest.mark.parametrize("method", [tsd.INTERPOLATE, tsd.JOINT])
def test_single_valued_geometry_looking_the_same_way_is_refused_with_the_guard_words(tmp_path, method):
    a1 = write_stack(tmp_path / "a1.tif", stack_of(S_ASC, ASC_DATES, 1, 0, 1), ASC_DATES, ASC_TAGS)
    a2 = write_stack(tmp_path / "a2.tif", stack_of(S_ASC, DESC_DATES, 1, 0, 1), DESC_DATES, ASC_TAGS)
    tracks = [TrackInput("ascending", a1, time_series=True), TrackInput("descending", a2, time_series=True)]
    with pytest.raises(TrackError, match="all look the same way along east: " + resolvable.UNRESOLVED[:40]):
        run(tmp_path, tracks, method=method)


# --- 14. a known north and a horizontal azimuth are applied ------------------------------


@pytest.fixture()
def moving_north(tmp_path):
    """East, north and up all moving: asc/desc see the north a little."""
    ve, vn, vu = 6.0, 20.0, -12.0
    asc = write_stack(tmp_path / "asc.tif", stack_of(S_ASC, ASC_DATES, ve, vn, vu), ASC_DATES, ASC_TAGS)
    desc = write_stack(tmp_path / "desc.tif", stack_of(S_DESC, DESC_DATES, ve, vn, vu), DESC_DATES, DESC_TAGS)
    tracks = [TrackInput("ascending", asc, time_series=True, sigma=1.0),
              TrackInput("descending", desc, time_series=True, sigma=1.0)]  # fmt: skip
    return tracks, (ve, vn, vu), tmp_path


@pytest.mark.parametrize("method", [tsd.INTERPOLATE, tsd.JOINT])
def test_a_known_north_is_removed_not_ignored(moving_north, method):
    """Before: NORTH_VELOCITY in the core request was ignored (up at the last date off by
    2.9 mm after 0.95 years of 20 mm/yr north motion, and the log said 'north motion zero')."""
    tracks, (ve, vn, vu), tmp = moving_north
    job, out = run(tmp, tracks, method=method, north_velocity=vn, regularization=0.01)
    t = np.array([(d - job.reference).days / 365.25 for d in job.dates])[:, None, None]
    np.testing.assert_allclose(out["up"], np.broadcast_to(vu * t, out["up"].shape), atol=2e-3)
    np.testing.assert_allclose(out["horizontal"], np.broadcast_to(ve * t, out["up"].shape), atol=2e-3)
    assert not any("north motion zero" in line for line in job.log)
    assert any("known north velocity removed" in line for line in job.log)
    _, ignored = run(tmp, tracks, method=method, regularization=0.01)
    assert np.abs(ignored["up"][-1] - vu * t[-1]).max() > 2.5  # what ignoring it costs here (2.9)


@pytest.mark.parametrize("method", [tsd.INTERPOLATE, tsd.JOINT])
def test_the_north_sigma_enters_the_sigmas_through_the_response_to_north(moving_north, method):
    """sigma^2 with NORTH_SIGMA = sigma^2 without + (response to a unit north x sigma_N)^2,
    the response measured here by moving the known north by one unit."""
    tracks, (_, vn, _), tmp = moving_north
    outputs = ("up", "horizontal", "sigma_up", "sigma_horizontal")
    kw = dict(method=method, regularization=0.01)
    _, base = run(tmp, tracks, outputs, north_velocity=vn, **kw)
    _, moved = run(tmp, tracks, outputs, north_velocity=vn + 1.0, **kw)
    _, with_sigma = run(tmp, tracks, outputs, north_velocity=vn, north_sigma=3.0, **kw)
    for comp in ("up", "horizontal"):
        response = moved[comp] - base[comp]
        want = np.sqrt(base[f"sigma_{comp}"] ** 2 + (3.0 * response) ** 2)
        np.testing.assert_allclose(with_sigma[f"sigma_{comp}"], want, rtol=1e-3, atol=1e-4)
        assert np.nanmax(with_sigma[f"sigma_{comp}"][-1] - base[f"sigma_{comp}"][-1]) > 5e-4


@pytest.mark.parametrize("method", [tsd.INTERPOLATE, tsd.JOINT])
def test_a_horizontal_azimuth_is_applied_not_ignored(tmp_path, method):
    """Motion along azimuth 30 only (and up): the horizontal output is that motion. Before:
    the azimuth was ignored and the output was an 'east' that mixed north in."""
    az, rate, vu = 30.0, 15.0, -8.0
    ve, vn = rate * np.sin(np.radians(az)), rate * np.cos(np.radians(az))
    asc = write_stack(tmp_path / "asc.tif", stack_of(S_ASC, ASC_DATES, ve, vn, vu), ASC_DATES, ASC_TAGS)
    desc = write_stack(tmp_path / "desc.tif", stack_of(S_DESC, DESC_DATES, ve, vn, vu), DESC_DATES, DESC_TAGS)
    tracks = [TrackInput("ascending", asc, time_series=True), TrackInput("descending", desc, time_series=True)]
    job, out = run(tmp_path, tracks, method=method, horizontal_azimuth=az, regularization=0.01)
    t = np.array([(d - job.reference).days / 365.25 for d in job.dates])[:, None, None]
    np.testing.assert_allclose(out["horizontal"], np.broadcast_to(rate * t, out["up"].shape), atol=2e-3)
    np.testing.assert_allclose(out["up"], np.broadcast_to(vu * t, out["up"].shape), atol=2e-3)
    ds = gdal.Open(str(tmp_path / "horizontal.tif"))
    assert "azimuth 30" in ds.GetRasterBand(2).GetMetadataItem("QUANTITY")


# --- 15. a gap on the reference date --------------------------------------------------


def test_a_gap_on_the_reference_date_loses_no_later_date():
    """Before: a pixel whose first acquisition (the reference date) is missing lost every
    date under method 0. Now the reference value is reached from the next two valid
    acquisitions (both within MAX_GAP_DAYS), for small and large pixel groups alike."""
    epochs = np.arange(0.0, 120.0, 12.0)
    values = np.tile(epochs[:, None] / 12.0, (1, 3000))
    values[0, 1000:] = np.nan  # a large group (shared weights) ...
    values[0, 10] = np.nan  # ... and a lone pixel
    values[3, 10] = np.nan
    targets = np.array([0.0, 6.0, 12.0, 60.0, 108.0])
    disp, var = tsd.since_reference(epochs, values, targets, 0.0, 36.0)
    want = targets / 12.0
    for col in (0, 10, 2000):
        np.testing.assert_allclose(disp[[0, 2, 3, 4], col], want[[0, 2, 3, 4]], atol=1e-12)
    assert np.isnan(disp[1, [10, 2000]]).all()  # 6 days: before the pixel's first valid acquisition
    assert var[0, 10] == 0 and var[2, 10] > 0
    # too far: the next two valid acquisitions more than MAX_GAP_DAYS away stay unresolved
    disp, _ = tsd.since_reference(epochs, values, targets, 0.0, 20.0)
    assert np.isnan(disp[:, 2000]).all()


# --- 8. a fractional interval ---------------------------------------------------------


@pytest.mark.parametrize("interval", [0.5, 12.5, 0])
def test_a_fractional_interval_is_refused_in_words_not_divided_by_zero(interval):
    with pytest.raises(TimeSeriesError, match="positive whole number of days"):
        tsd.output_dates(tsd.REGULAR, [("a", ASC_DATES), ("d", DESC_DATES)], interval)


# --- 5. the slow per-pixel path is announced --------------------------------------------


def test_method1_with_sigma_rasters_warns_when_it_will_be_slow(tmp_path, monkeypatch):
    """Before: method 1 with sigma rasters was about 200 times slower without a word."""
    asc = write_stack(tmp_path / "asc.tif", stack_of(S_ASC, ASC_DATES, 1, 0, 1), ASC_DATES, ASC_TAGS)
    desc = write_stack(tmp_path / "desc.tif", stack_of(S_DESC, DESC_DATES, 1, 0, 1), DESC_DATES, DESC_TAGS)
    sig = str(tmp_path / "sigma.tif")
    scene.write_raster(sig, np.ones(SHAPE, np.float32), 32611, GT, float("nan"), None, "mm")
    tracks = [TrackInput("ascending", asc, time_series=True, sigma=sig),
              TrackInput("descending", desc, time_series=True, sigma=sig)]  # fmt: skip
    monkeypatch.setattr(tsr, "_JOINT_SECONDS_PER_PIXEL_DATE", 1e-2)  # as if the grid were huge
    req = tsr.TimeSeriesRequest(Request(tracks=tracks, outputs={"up": str(tmp_path / "u.tif")}), method=tsd.JOINT)
    warnings = [w for w in tsr.plan(req).warnings if "per-pixel weights" in w]
    assert warnings and "minutes" in warnings[0] and "one system per pixel" in warnings[0]


# --- Monte Carlo: the sigma outputs are the scatter -----------------------------------


def test_method0_sigmas_are_the_scatter_of_1000_noisy_runs():
    """White noise of known sigma on every acquisition of both tracks (with a gap), 1000
    pixels as 1000 repeats: the propagated sigma of each output date equals the scatter
    of east and up within 10 %, through interpolation and the per-date inversion."""
    rng = np.random.default_rng(7)
    p, sig_a, sig_d = 1000, 2.0, 3.0
    ea = np.arange(0.0, 240.0, 12.0)
    ed = np.delete(np.arange(5.0, 240.0, 12.0), [6, 7])  # a 36-day gap
    targets = np.arange(12.0, 228.0, 12.0)
    tracks = []
    for e, s, sig in ((ea, S_ASC, sig_a), (ed, S_DESC, sig_d)):
        y = rng.normal(0, sig, (e.size, p))
        disp, var = tsd.since_reference(e, y, targets, 24.0, 36.0)
        tracks.append(inversion.TrackBlock(disp, *s, sigma=sig * np.sqrt(np.maximum(var, 1e-12))))
    sol = inversion.invert(tracks)
    keep = targets != 24.0  # zero by definition at the reference date
    for est, stated in ((sol.horizontal, sol.sigma_horizontal), (sol.up, sol.sigma_up)):
        scatter = np.std(est[keep], axis=1)
        np.testing.assert_allclose(np.median(stated[keep], axis=1), scatter, rtol=0.10)


def test_decompose_sigmas_with_per_pixel_geometry_are_the_scatter():
    """Three tracks with per-pixel geometry (the per-pixel solver, not the pattern one)."""
    rng = np.random.default_rng(8)
    p = 1000
    geoms = [(348.0, 34.0), (192.0, 39.0), (350.0, 44.0)]
    sigmas = [2.0, 1.0, 4.0]
    tracks = []
    for (h, t), sig in zip(geoms, sigmas):
        s = geometry.from_heading_incidence(h, np.full(p, t) + rng.uniform(-0.01, 0.01, p))
        tracks.append(inversion.TrackBlock(geometry.forward(s, 3.0, 0.0, -7.0) + rng.normal(0, sig, p), *s,
                                           sigma=np.full(p, sig)))  # fmt: skip
    sol = inversion.invert(tracks)
    assert np.median(sol.sigma_horizontal) == pytest.approx(np.std(sol.horizontal), rel=0.10)
    assert np.median(sol.sigma_up) == pytest.approx(np.std(sol.up), rel=0.10)


# --- the spatial options through Processing, and the reference date by date -----------


def test_a_common_reference_removes_per_date_offsets_between_tracks(tmp_path):
    """Each track carries its own offset at every date (a reference of its own, an
    atmosphere): referenced at a common point, date by date, east and up are exact."""
    rng = np.random.default_rng(11)
    ve, vu = rng.normal(4.0, 3.0, SHAPE), rng.normal(-9.0, 3.0, SHAPE)
    asc_off = rng.normal(0, 5, len(ASC_DATES))[:, None, None]
    desc_off = rng.normal(0, 5, len(DESC_DATES))[:, None, None]
    asc = write_stack(tmp_path / "asc.tif", stack_of(S_ASC, ASC_DATES, ve, 0, vu) + asc_off, ASC_DATES, ASC_TAGS)
    desc = write_stack(tmp_path / "desc.tif", stack_of(S_DESC, DESC_DATES, ve, 0, vu) + desc_off, DESC_DATES,
                       DESC_TAGS)  # fmt: skip
    tracks = [TrackInput("ascending", asc, time_series=True), TrackInput("descending", desc, time_series=True)]
    point = (GT[0] + 10.5 * GT[1], GT[3] + 20.5 * GT[5])  # the centre of pixel (20, 10)
    for method in (tsd.INTERPOLATE, tsd.JOINT):
        job, out = run(tmp_path, tracks, method=method, reference_point=point, regularization=0.01)
        t = np.array([(d - job.reference).days / 365.25 for d in job.dates])[:, None, None]
        np.testing.assert_allclose(out["up"], (vu - vu[20, 10]) * t, atol=2e-3)
        np.testing.assert_allclose(out["horizontal"], (ve - ve[20, 10]) * t, atol=2e-3)
        assert any("date by date" in line for line in job.log)
    _, unreferenced = run(tmp_path, tracks, method=tsd.INTERPOLATE)
    assert np.abs(unreferenced["up"][-1] - (vu - vu[20, 10]) * t[-1]).max() > 1.0


def test_the_spatial_options_reach_the_algorithm_with_their_values(plugin, tmp_path):
    """Before: HORIZONTAL_AZIMUTH=30 and NORTH_VELOCITY_CONSTANT=20 were not parameters of
    decompose_timeseries; they reached core as 0 through the shared request."""
    from conftest import run_logged

    az, rate, vu = 30.0, 15.0, -8.0
    ve, vn = rate * np.sin(np.radians(az)), rate * np.cos(np.radians(az))
    asc = write_stack(tmp_path / "asc.tif", stack_of(S_ASC, ASC_DATES, ve, vn, vu), ASC_DATES, ASC_TAGS)
    desc = write_stack(tmp_path / "desc.tif", stack_of(S_DESC, DESC_DATES, ve, vn, vu), DESC_DATES, DESC_TAGS)
    common = {"ASCENDING": asc, "DESCENDING": desc, "OUTPUT_EAST": str(tmp_path / "e.tif"),
              "OUTPUT_UP": str(tmp_path / "u.tif")}
    res, log = run_logged("losdecomp:decompose_timeseries", {**common, "HORIZONTAL_AZIMUTH": az})
    assert "solved along azimuth 30 deg" in log
    ds = gdal.Open(res["OUTPUT_EAST"])
    last = ds.GetRasterBand(ds.RasterCount).ReadAsArray()
    years_last = (ASC_DATES[-1] - DESC_DATES[0]).days / 365.25  # the last output date since the reference
    assert np.nanmax(np.abs(last - rate * years_last)) < 2e-3
    res, log = run_logged("losdecomp:decompose_timeseries", {**common, "NORTH_VELOCITY_CONSTANT": float(vn),
                                                             "OUTPUT_EAST": str(tmp_path / "e2.tif"),
                                                             "OUTPUT_UP": str(tmp_path / "u2.tif")})  # fmt: skip
    assert "known north velocity removed from every track (constant 12.99" in log, log[-3000:]


# --- found in review --------------------------------------------------------------------


def test_method1_does_without_a_track_where_its_geometry_is_nodata():
    """Three tracks, the third's per-pixel geometry nodata on some pixels: method 1 solved
    none of those pixels (a NaN geometry poisoned the guard), though the other two resolve
    them, as invert (method 0) does."""
    days = np.arange(0.0, 240.0, 12.0)
    p = 20
    s3 = [np.full(p, c) for c in geometry.from_heading_incidence(350.0, 44.0)]
    s3[0][:5] = np.nan
    s3[2][:5] = np.nan
    truth_e, truth_u = 4.0, -7.0
    tracks = []
    for s, shift in ((S_ASC, 0.0), (S_DESC, 4.0), (s3, 8.0)):
        t = (days + shift)[:, None] / 365.25
        y = (np.asarray(s[0]) * truth_e + np.asarray(s[2]) * truth_u) * t * np.ones((1, p))
        tracks.append((days + shift, np.nan_to_num(y, nan=1.0), s[0], s[2], None))
    east, up, _, _ = tsd.joint_solve(tracks, days, 0.0, 0.01)
    np.testing.assert_allclose(up[1:], np.broadcast_to(truth_u * days[1:, None] / 365.25, up[1:].shape), atol=1e-3)
    np.testing.assert_allclose(east[1:], np.broadcast_to(truth_e * days[1:, None] / 365.25, up[1:].shape), atol=1e-3)


def test_a_north_raster_in_the_tracks_unit_per_year_is_taken_beside_displacement_stacks(moving_north):
    """The tracks are displacements (mm): a north velocity raster in mm/year was refused as
    not convertible to mm, and one mislabelled mm was taken as it was."""
    tracks, (ve, vn, vu), tmp = moving_north
    for unit, scale in (("mm/year", 1.0), ("m/year", 1e-3)):
        path = str(tmp / f"north_{unit.replace('/', '_')}.tif")
        scene.write_raster(path, np.full(SHAPE, vn * scale, np.float32), 32611, GT, float("nan"), None, unit)
        job, out = run(tmp, tracks, method=tsd.INTERPOLATE, north_velocity=path)
        t = np.array([(d - job.reference).days / 365.25 for d in job.dates])[:, None, None]
        np.testing.assert_allclose(out["up"], np.broadcast_to(vu * t, out["up"].shape), atol=2e-3)


@pytest.mark.parametrize("method", [tsd.INTERPOLATE, tsd.JOINT])
def test_a_north_sigma_alone_is_the_assumed_zeros_uncertainty_not_dropped(moving_north, method):
    """NORTH_SIGMA without a north velocity was ignored in silence: it is now north 0 +/- sigma."""
    tracks, _, tmp = moving_north
    outputs = ("up", "sigma_up")
    job, with_sigma = run(tmp, tracks, outputs, method=method, north_sigma=20.0, regularization=0.01)
    _, without = run(tmp, tracks, outputs, method=method, regularization=0.01)
    assert any("assumed zero with NORTH_SIGMA 20" in line for line in job.log)
    assert np.nanmax(with_sigma["sigma_up"][-1] - without["sigma_up"][-1]) > 0.1


def test_a_date_without_a_valid_reference_pixel_is_said(plugin, tmp_path):
    """With REFERENCE_POINT, a track's date with nodata at the reference was left out in
    silence; it is right to leave it out, and now the run says which dates."""
    from conftest import run_logged

    stack = stack_of(S_ASC, ASC_DATES, 3, 0, -5)
    stack[4, 20, 10] = np.nan  # the reference pixel on the fifth date
    asc = write_stack(tmp_path / "asc.tif", stack, ASC_DATES, ASC_TAGS)
    desc = write_stack(tmp_path / "desc.tif", stack_of(S_DESC, DESC_DATES, 3, 0, -5), DESC_DATES, DESC_TAGS)
    point = f"{GT[0] + 10.5 * GT[1]},{GT[3] + 20.5 * GT[5]} [EPSG:32611]"
    _, log = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": asc, "DESCENDING": desc,
                        "REFERENCE_POINT": point, "OUTPUT_EAST": str(tmp_path / "e.tif"),
                        "OUTPUT_UP": str(tmp_path / "u.tif")})  # fmt: skip
    assert f"WARNING: ascending track: no valid pixel in the reference area on 1 date(s) ({ASC_DATES[4]})" in log
    assert "descending track: no valid pixel in the reference area" not in log
