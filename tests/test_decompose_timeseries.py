"""East and up time series from tracks acquired on different days: the core methods
against a known history, the algorithm on GeoTIFF stacks, MintPy-written stacks end to end
through qgis_process.bin, and bad input refused with no output."""

import datetime
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from osgeo import gdal
from test_time_series_products import MINTPY_ATTRS, compact, every
from test_velocity_algorithm import SHAPE, dates_every, los_stack, stacks, write_stack  # noqa: F401 (a fixture)

import mintpy_env
from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io.writer import STACK_TILE
from insar_decomposition.core.solve import inversion
from insar_decomposition.core.solve import timeseries_decomp as tsd
from insar_decomposition.core.solve.velocity import TimeSeriesError

D = datetime.date
S_ASC = geometry.from_heading_incidence(348.0, 34.0)
S_DESC = geometry.from_heading_incidence(192.0, 39.0)
ORIGIN = D(2020, 1, 1)


def years_since(dates, origin=ORIGIN):
    return np.array([(d - origin).days / 365.25 for d in dates])


def asc_desc_dates():
    asc = every(12, 40, D(2020, 1, 1))
    desc = every(12, 40, D(2020, 1, 4))  # three days later
    del desc[10:14]  # a 60-day gap, longer than MAX_GAP_DAYS (36)
    return asc, desc


def history(east_rate, up_rate, dates, seasonal=0.0):
    t = years_since(dates)[:, None]
    return east_rate[None] * t, up_rate[None] * t + seasonal * np.sin(2 * np.pi * t)


def track_values(s, east, up, offset):
    return s[0] * east + s[2] * up + offset


def method0(asc, desc, ya, yd, dates, reference, max_gap=36.0):
    """The per-date inversion as the run does it, on one block."""
    days = [np.array([(d - dates[0]).days for d in x], float) for x in (asc, desc, dates)]
    ref_day = np.array([(reference - dates[0]).days], float)
    out = []
    for s, e, y in ((S_ASC, days[0], ya), (S_DESC, days[1], yd)):
        interp, _ = tsd.interpolate(e, y, np.concatenate([days[2], ref_day]), max_gap)
        out.append((s, interp[:-1] - interp[-1]))
    east, up = [], []
    for k in range(len(dates)):
        sol = inversion.invert([inversion.TrackBlock(v[k], s[0], s[1], s[2]) for s, v in out])
        east.append(sol.horizontal)
        up.append(sol.up)
    return np.array(east), np.array(up)


def test_interpolation_is_exact_for_linear_motion_and_respects_the_gap_rule():
    asc, desc = asc_desc_dates()
    rng = np.random.default_rng(0)
    ve, vu = rng.normal(0, 10, 60), rng.normal(0, 10, 60)
    dates = tsd.output_dates(tsd.EVERY_ACQUISITION, [("ascending", asc), ("descending", desc)])
    assert dates[0] == D(2020, 1, 4) and dates[-1] == asc[-1]  # the common span
    assert dates == sorted(set(d for d in asc + desc if dates[0] <= d <= dates[-1]))
    ya = track_values(S_ASC, *history(ve, vu, asc), offset=3.0)  # each track its own offset
    yd = track_values(S_DESC, *history(ve, vu, desc), offset=-7.0)
    east, up = method0(asc, desc, ya, yd, dates, dates[0])
    t = years_since(dates, dates[0])[:, None]
    in_gap = np.array([desc[9] < d < desc[10] for d in dates])
    assert in_gap.sum() == 5 and np.isnan(up[in_gap]).all()  # the ascending dates in the 60-day gap
    np.testing.assert_allclose(up[~in_gap], (vu * t)[~in_gap], atol=1e-9)
    np.testing.assert_allclose(east[~in_gap], (ve * t)[~in_gap], atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    shift=st.integers(1, 11),
    gap_at=st.integers(2, 25),
    gap_len=st.integers(1, 5),
    max_gap=st.sampled_from([12.0, 24.0, 36.0, 48.0]),
    ref=st.integers(0, 20),
)
def test_property_exact_on_every_date_the_gap_rule_allows(shift, gap_at, gap_len, max_gap, ref):
    asc = every(12, 35, D(2021, 3, 1))
    desc = every(12, 35, D(2021, 3, 1) + datetime.timedelta(days=shift))
    gap = (desc[gap_at - 1], desc[gap_at + gap_len])
    del desc[gap_at : gap_at + gap_len]
    ve, vu = np.array([4.0, -12.0]), np.array([-25.0, 6.0])
    dates = tsd.output_dates(tsd.EVERY_ACQUISITION, [("a", asc), ("d", desc)])
    reference = dates[ref]
    ya = track_values(S_ASC, *history(ve, vu, asc), offset=0.0)
    yd = track_values(S_DESC, *history(ve, vu, desc), offset=1.0)
    east, up = method0(asc, desc, ya, yd, dates, reference, max_gap)
    t = (years_since(dates) - years_since([reference])[0])[:, None]
    # a date in the gap is nodata when the gap is longer than allowed; so is every date when
    # the reference date itself falls in such a gap
    long_gap = (gap[1] - gap[0]).days > max_gap
    blocked = np.array([long_gap and gap[0] < d < gap[1] for d in dates])
    if long_gap and gap[0] < reference < gap[1]:
        assert np.isnan(up).all()
        return
    assert np.isnan(up[blocked]).all()
    np.testing.assert_allclose(up[~blocked], (vu * t)[~blocked], atol=1e-8)
    np.testing.assert_allclose(east[~blocked], (ve * t)[~blocked], atol=1e-8)


def per_pixel_since_reference(epochs, values, targets, reference, max_gap):
    interp, (i0, i1, w) = tsd.interpolate(epochs, values, np.append(targets, reference), max_gap,
                                      reference_last=True)  # fmt: skip
    disp = interp[:-1] - interp[-1]
    var = tsd.difference_variance((i0[:-1], i1[:-1], w[:-1]), (i0[-1], i1[-1], w[-1]))
    return disp, np.where(np.isnan(disp), np.nan, var)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), big_gap=st.integers(0, 30), ref=st.integers(0, 39),
       max_gap=st.sampled_from([12.0, 30.0, 36.0, 100.0]), masked=st.booleans())  # fmt: skip
def test_property_grouped_interpolation_equals_pixel_by_pixel(seed, big_gap, ref, max_gap, masked):
    """Pixels sharing a pattern of valid acquisitions take one set of weights: the result
    must equal the per-pixel interpolation for every pattern, large or small, whatever the
    reference date (inside a gap too) and the gap limit."""
    rng = np.random.default_rng(seed)
    epochs = np.cumsum(rng.choice([6.0, 12.0, 24.0], 40)) - 6.0
    targets = np.sort(rng.uniform(epochs[0] - 5, epochs[-1] + 5, 25))
    values = rng.normal(0, 10, (40, 700))
    values[big_gap : big_gap + 4, 100:300] = np.nan  # a large group with a gap
    values[:, 300:380] = np.nan if masked else values[:, 300:380]  # a masked area: no valid epoch
    values[rng.integers(0, 40, 300), rng.integers(380, 700, 300)] = np.nan  # scattered: small groups
    values[:38, 699] = np.nan  # two acquisitions left
    reference = float(targets[ref % len(targets)])
    disp, var = tsd.since_reference(epochs, values, targets, reference, max_gap)
    want_disp, want_var = per_pixel_since_reference(epochs, values, targets, reference, max_gap)
    np.testing.assert_array_equal(np.isnan(disp), np.isnan(want_disp))
    np.testing.assert_allclose(disp, want_disp, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, want_var, rtol=1e-12, atol=1e-12)
    assert np.isfinite(disp[:, :100]).any() or not np.isfinite(want_disp[:, :100]).any()


def test_method1_recovers_a_smooth_history_and_agrees_with_method0_on_linear_motion():
    asc = every(12, 60, D(2020, 1, 1))
    desc = every(12, 60, D(2020, 1, 7))
    ve, vu = np.array([5.0, -3.0, 0.0]), np.array([-20.0, 10.0, 4.0])
    dates = tsd.output_dates(tsd.EVERY_ACQUISITION, [("a", asc), ("d", desc)])
    days = [np.array([(d - dates[0]).days for d in x], float) for x in (asc, desc, dates)]
    # linear: both methods exact, whatever the smoothing weight
    ya = track_values(S_ASC, *history(ve, vu, asc), 2.0)
    yd = track_values(S_DESC, *history(ve, vu, desc), -1.0)
    e0, u0 = method0(asc, desc, ya, yd, dates, dates[0])
    for weight in (0.01, 1.0, 100.0):  # without smoothing, intervals seen by one track are not resolved
        pair = [(days[0], ya, S_ASC[0], S_ASC[2], None), (days[1], yd, S_DESC[0], S_DESC[2], None)]
        e1, u1, *_ = tsd.joint_solve(pair, days[2], 0.0, weight)
        np.testing.assert_allclose(u1, u0, atol=1e-8)
        np.testing.assert_allclose(e1, e0, atol=1e-8)
    # a seasonal up history (8 mm amplitude): recovered within 0.5 mm at moderate smoothing
    ya = track_values(S_ASC, *history(ve, vu, asc, seasonal=8.0), 0.0)
    yd = track_values(S_DESC, *history(ve, vu, desc, seasonal=8.0), 0.0)
    truth_e, truth_u = history(ve, vu, dates, seasonal=8.0)
    truth_u, truth_e = truth_u - truth_u[0], truth_e - truth_e[0]
    errors = {}
    for weight in (0.01, 0.1, 1.0, 10.0):
        pair = [(days[0], ya, S_ASC[0], S_ASC[2], None), (days[1], yd, S_DESC[0], S_DESC[2], None)]
        e1, u1, *_ = tsd.joint_solve(pair, days[2], 0.0, weight * 6 / 365.25)
        errors[weight] = np.abs(u1 - truth_u).max()
    assert errors[0.1] < 0.5
    assert errors[10.0] > errors[0.1]  # too strong a smoothing flattens the season


@pytest.mark.parametrize("regularization", [0.0, 1.0, 20.0])
def test_method1_sigmas_match_the_scatter_of_noisy_repeats(regularization):
    """The formal sigmas of method 1 against Monte Carlo: 4000 pixels with the same
    motion and independent acquisition noise (2 mm ascending, 3 mm descending; one
    descending acquisition missing everywhere). The scatter of the estimates is what the
    sigmas claim, within 8 % (the scatter's own uncertainty is about 1 %), at every date;
    zero at the reference date."""
    rng = np.random.default_rng(11)
    asc = every(12, 16, D(2020, 1, 1))
    desc = every(12, 16, D(2020, 1, 6))
    p = 4000
    ve, vu = np.full(p, 6.0), np.full(p, -15.0)
    ya = track_values(S_ASC, *history(ve, vu, asc), 0.0) + rng.normal(0, 2.0, (16, p))
    yd = track_values(S_DESC, *history(ve, vu, desc), 4.0) + rng.normal(0, 3.0, (16, p))
    yd[7] = np.nan
    dates = tsd.output_dates(tsd.REGULAR, [("a", asc), ("d", desc)], 30)
    days = [np.array([(d - dates[0]).days for d in x], float) for x in (asc, desc, dates)]
    ref = 2
    lam = regularization * 30 / 365.25
    pair = [(days[0], ya, S_ASC[0], S_ASC[2], 2.0), (days[1], yd, S_DESC[0], S_DESC[2], 3.0)]
    east, up, s_e, s_u = tsd.joint_solve(pair, days[2], days[2][ref], lam, with_sigma=True)
    assert np.isfinite(up).all() and np.isfinite(s_u).all()
    np.testing.assert_allclose(s_u, np.broadcast_to(s_u[:, :1], s_u.shape))  # the same for every pixel
    others = np.arange(len(dates)) != ref
    for est, sig in ((east, s_e), (up, s_u)):
        ratio = est.std(axis=1)[others] / sig[others, 0]
        assert np.all(np.abs(ratio - 1) < 0.08), ratio
        assert np.abs(est[ref]).max() < 1e-9 and sig[ref, 0] < 1e-9
    if regularization == 0:  # unsmoothed: unbiased, and each interval is seen by both tracks
        truth = (vu[0] * (years_since(dates) - years_since([dates[ref]])[0]))[:, None]
        assert np.abs(up.mean(axis=1)[:, None] - truth).max() < 4 * s_u.max() / np.sqrt(p)
    # without sigmas asked for, none are computed
    assert tsd.joint_solve([(days[0], ya[:, :5], S_ASC[0], S_ASC[2], 2.0),
                            (days[1], yd[:, :5], S_DESC[0], S_DESC[2], 3.0)], days[2], 0.0, lam)[2] is None  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), regularization=st.sampled_from([0.0, 0.05, 1.0]), weighted=st.booleans())
def test_property_method1_shared_factorisation_equals_pixel_by_pixel(seed, regularization, weighted):
    """Single-valued geometry: pixels sharing their valid acquisitions share one factored
    normal matrix. The same geometry given per pixel (arrays of one value) is solved pixel
    by pixel: both must agree, for large groups, small ones and masked pixels."""
    rng = np.random.default_rng(seed)
    asc = every(12, 14, D(2020, 1, 1))
    desc = every(12, 14, D(2020, 1, 1) + datetime.timedelta(days=int(rng.integers(1, 11))))
    p = 300
    ya, yd = rng.normal(0, 5, (14, p)), rng.normal(0, 5, (14, p))
    ya[3:5, 100:200] = np.nan  # a large group with a gap
    yd[:, 200:230] = np.nan  # no descending acquisition at all
    ya[rng.integers(0, 14, 40), rng.integers(230, 300, 40)] = np.nan  # small groups
    dates = tsd.output_dates(tsd.EVERY_ACQUISITION, [("a", asc), ("d", desc)])
    days = [np.array([(d - dates[0]).days for d in x], float) for x in (asc, desc, dates)]
    sa, sd = (2.0, 3.0) if weighted else (None, None)

    def solve(per_pixel):
        def value(x):
            return np.full(p, x) if per_pixel and x is not None else x

        tracks = [(days[0], ya, value(S_ASC[0]), value(S_ASC[2]), value(sa)),
                  (days[1], yd, value(S_DESC[0]), value(S_DESC[2]), value(sd))]  # fmt: skip
        return tsd.joint_solve(tracks, days[2], days[2][3], regularization * 12 / 365.25, with_sigma=weighted)

    shared, each = solve(False), solve(True)
    for a, b in zip(shared, each):
        if a is None:
            assert b is None
            continue
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7)
    if regularization > 0:  # unsmoothed, an interval seen by one track only is not resolved
        assert np.isfinite(shared[1][:, :100]).all()


@pytest.mark.parametrize(
    "tracks, kwargs, message",
    [
        ([("a", [D(2020, 1, 1), D(2020, 2, 1)]), ("d", [D(2020, 3, 1), D(2020, 4, 1)])], {}, "no common time span"),
        ([("a", [D(2020, 1, 1), D(2020, 2, 1)]), ("d", [D(2020, 1, 5), D(2020, 3, 1)])],
         {"mode": tsd.REGULAR, "interval_days": 0}, "INTERVAL_DAYS must be a positive"),
    ],
)  # fmt: skip
def test_output_dates_refuse_bad_spans_and_intervals(tracks, kwargs, message):
    with pytest.raises(TimeSeriesError, match=message):
        tsd.output_dates(kwargs.get("mode", 0), tracks, kwargs.get("interval_days", 12))


def test_regular_and_ascending_dates():
    asc, desc = asc_desc_dates()
    tracks = [("ascending", asc), ("descending", desc)]
    regular = tsd.output_dates(tsd.REGULAR, tracks, 6)
    assert regular[0] == D(2020, 1, 4) and all((b - a).days == 6 for a, b in zip(regular, regular[1:]))
    assert regular[-1] <= asc[-1] and (asc[-1] - regular[-1]).days < 6
    assert tsd.output_dates(tsd.ASCENDING_DATES, tracks) == asc[1:]
    with pytest.raises(TimeSeriesError, match="REFERENCE_DATE 2019-12-01 is outside"):
        tsd.reference_date(regular, D(2019, 12, 1))


# --- the algorithm --------------------------------------------------------------------


@pytest.fixture()
def ts_pair(tmp_path):
    asc, desc = asc_desc_dates()
    rng = np.random.default_rng(3)
    ve, vu = rng.normal(0, 8, SHAPE), rng.normal(-5, 8, SHAPE)

    def stack(s, dates, offset):
        t = years_since(dates)[:, None, None]
        return (s[0] * ve + s[2] * vu)[None] * t + offset

    tags = {"asc": {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"},
            "desc": {"INSAR_HEADING": "192", "INSAR_INCIDENCE": "39"}}  # fmt: skip
    paths = {
        "asc": write_stack(tmp_path / "asc.tif", stack(S_ASC, asc, 0.0), asc, tags["asc"]),
        "desc": write_stack(tmp_path / "desc.tif", stack(S_DESC, desc, 2.0), desc, tags["desc"], unit="mm"),
    }
    return paths, (asc, desc), (ve, vu), tmp_path


def test_the_algorithm_writes_dated_bands_exact_for_linear_motion(plugin, ts_pair):
    paths, (asc, desc), (ve, vu), tmp = ts_pair
    res, log = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"],
                          "OUTPUT_EAST": str(tmp / "e.tif"), "OUTPUT_UP": str(tmp / "u.tif")})  # fmt: skip
    dates = tsd.output_dates(0, [("a", asc), ("d", desc)])
    ds = gdal.Open(res["OUTPUT_UP"])
    assert ds.RasterCount == len(dates)
    for i, d in enumerate(dates, start=1):
        band = ds.GetRasterBand(i)
        assert band.GetMetadataItem("INSAR_DATE") == band.GetDescription() == d.strftime("%Y%m%d")
        assert band.GetUnitType() == "mm"
        t = (d - dates[0]).days / 365.25
        up = read_band(res["OUTPUT_UP"], i)
        if desc[9] < d < desc[10]:
            assert np.isnan(up).all()
        else:
            np.testing.assert_allclose(up, vu * t, atol=1e-3)
            np.testing.assert_allclose(read_band(res["OUTPUT_EAST"], i), ve * t, atol=1e-3)
    assert "interpolated linearly in time" in ds.GetMetadataItem("INSAR_ASSUMPTION")
    assert "at most 36 days apart" in log and f"output dates: {len(dates)}, 2020-01-04" in log
    for key in ("OUTPUT_EAST", "OUTPUT_UP"):  # dated stacks: the inspector's blocks (issue 31's latency)
        assert gdal.Open(res[key]).GetRasterBand(1).GetBlockSize() == [STACK_TILE, STACK_TILE]


def test_sigma_outputs_follow_the_interpolation_and_the_reference_date(plugin, ts_pair):
    paths, (asc, desc), _, tmp = ts_pair
    sigma = str(tmp / "sigma.tif")
    write_stack(sigma, np.full((1,) + SHAPE, 2.0), [])  # 2 mm per acquisition, both tracks
    res, _ = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"],
                        "ASC_SIGMA": sigma, "DESC_SIGMA": sigma, "DATES": 2, "REFERENCE_DATE": "2020-03-01",
                        "OUTPUT_EAST": str(tmp / "e.tif"), "OUTPUT_UP": str(tmp / "u.tif"),
                        "OUTPUT_SIGMA_UP": str(tmp / "su.tif")})  # fmt: skip
    ds = gdal.Open(res["OUTPUT_SIGMA_UP"])
    dates = [ds.GetRasterBand(i).GetDescription() for i in range(1, ds.RasterCount + 1)]
    assert dates == [d.strftime("%Y%m%d") for d in asc[1:]]  # the ascending dates in the common span
    # 2020-10-27 (day 300 of 2020): ascending acquires that day and on the reference date
    # (day 60): variance 1 + 1; descending is interpolated between days 291 and 303 (weights
    # 3/12, 9/12) and, at the reference date, between days 51 and 63 (3/12, 9/12)
    var_asc = 2.0
    var_desc = 2 * ((3 / 12) ** 2 + (9 / 12) ** 2)
    G = np.array([[S_ASC[0], S_ASC[2]], [S_DESC[0], S_DESC[2]]])
    Gi = np.linalg.inv(G)
    cov = Gi @ np.diag([4.0 * var_asc, 4.0 * var_desc]) @ Gi.T
    band = dates.index("20201027") + 1
    np.testing.assert_allclose(read_band(res["OUTPUT_SIGMA_UP"], band), np.sqrt(cov[1, 1]), rtol=1e-5)
    # at the reference date itself the displacement and its sigma are zero
    ref_band = dates.index("20200301") + 1
    np.testing.assert_allclose(read_band(res["OUTPUT_UP"], ref_band), 0.0, atol=1e-4)
    np.testing.assert_allclose(read_band(res["OUTPUT_SIGMA_UP"], ref_band), 0.0, atol=1e-4)


def test_per_pixel_geometry_and_a_third_track_with_its_own_footprint(plugin, stacks):  # noqa: F811
    """All dates inverted at once must still follow each pixel's geometry and each
    pixel-date's own set of valid tracks: a third track covering only the left half (and
    missing some epochs) adds to the pair there and takes nothing away elsewhere."""
    asc, desc, east_rate, up_rate, tmp = stacks
    epochs = dates_every(12, 60, D(2019, 1, 7))
    s3 = geometry.from_heading_incidence(200.0, 30.0)
    third = los_stack(s3, epochs, east_rate, up_rate)
    third[:, :, SHAPE[1] // 2 :] = np.nan
    third[20:24, :10] = np.nan  # 48 days missing in part of its footprint: longer than MAX_GAP_DAYS
    path = write_stack(tmp / "third.tif", third, epochs, {"INSAR_HEADING": "200", "INSAR_INCIDENCE": "30"})
    res, _ = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": asc, "DESCENDING": desc,
                        "EXTRA_TRACKS": [path], "DATES": 1, "INTERVAL_DAYS": 30,
                        "OUTPUT_EAST": str(tmp / "e.tif"), "OUTPUT_UP": str(tmp / "u.tif")})  # fmt: skip
    ds = gdal.Open(res["OUTPUT_UP"])
    first = D.fromisoformat(ds.GetMetadataItem("LOSDECOMP_REFERENCE_DATE"))
    for i in range(1, ds.RasterCount + 1):
        d = D.fromisoformat(dates_iso(ds.GetRasterBand(i).GetDescription()))
        t = (d - first).days / 365.25
        np.testing.assert_allclose(read_band(res["OUTPUT_UP"], i), up_rate * t, atol=1e-3)
        np.testing.assert_allclose(read_band(res["OUTPUT_EAST"], i), east_rate * t, atol=1e-3)


def test_method1_with_per_pixel_geometry_warns_when_it_will_be_slow(plugin, stacks, monkeypatch):  # noqa: F811
    from insar_decomposition.core.plan.decompose import Request
    from insar_decomposition.core.plan.tracks import TrackInput
    from insar_decomposition.core.runs import timeseries_decomp_run as tsr

    asc, desc, _, _, tmp = stacks
    tracks = [TrackInput("ascending", asc, time_series=True), TrackInput("descending", desc, time_series=True)]

    def warnings(method):
        req = tsr.TimeSeriesRequest(Request(tracks=tracks, outputs={"up": str(tmp / "u.tif")}), method=method)
        return [w for w in tsr.plan(req).warnings if "per-pixel geometry" in w]

    assert warnings(1) == []  # 2000 pixels: seconds
    monkeypatch.setattr(tsr, "_JOINT_SECONDS_PER_PIXEL_DATE", 1e-2)  # as if the grid were huge
    said = warnings(1)[0]
    assert "one system per pixel (many pixels at a time)" in said and "on its own" not in said
    assert "minutes for 118 output dates" in said and warnings(0) == []
    minutes = float(said.split("about ")[1].split(" minutes")[0])
    job = tsr.plan(tsr.TimeSeriesRequest(Request(tracks=tracks, outputs={"up": str(tmp / "u.tif")}), method=1))
    assert minutes == pytest.approx(job.grid.width * job.grid.height * 118 * 1e-2 / 60, abs=0.5)  # shown rounded


def dates_iso(compact_date):
    return f"{compact_date[:4]}-{compact_date[4:6]}-{compact_date[6:]}"


def test_method1_sigma_outputs_through_the_algorithm(plugin, ts_pair):
    paths, (asc, desc), (ve, vu), tmp = ts_pair
    sigma = str(tmp / "sigma.tif")
    write_stack(sigma, np.full((1,) + SHAPE, 2.0), [])
    res, log = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"],
                          "ASC_SIGMA": sigma, "DESC_SIGMA": sigma, "METHOD": 1, "DATES": 1, "INTERVAL_DAYS": 48,
                          "OUTPUT_EAST": str(tmp / "e.tif"), "OUTPUT_UP": str(tmp / "u.tif"),
                          "OUTPUT_SIGMA_UP": str(tmp / "su.tif")})  # fmt: skip
    dates = tsd.output_dates(tsd.REGULAR, [("a", asc), ("d", desc)], 48)
    days = [np.array([(d - dates[0]).days for d in x], float) for x in (asc, desc, dates)]
    one = [(days[0], np.zeros((len(asc), 1)), S_ASC[0], S_ASC[2], 2.0),
           (days[1], np.zeros((len(desc), 1)), S_DESC[0], S_DESC[2], 2.0)]  # fmt: skip
    _, _, _, want = tsd.joint_solve(one, days[2], 0.0, 48 / 365.25, with_sigma=True)
    for i in range(len(dates)):
        band = read_band(res["OUTPUT_SIGMA_UP"], i + 1)
        np.testing.assert_allclose(band, want[i, 0], rtol=1e-5, atol=1e-7)
        t = (dates[i] - dates[0]).days / 365.25
        np.testing.assert_allclose(read_band(res["OUTPUT_UP"], i + 1), vu * t, atol=1e-3)
    assert want[0, 0] == 0 and (want[1:, 0] > 0.5).all()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"INTERVAL_DAYS": 0, "DATES": 1}, "INTERVAL_DAYS must be a positive"),
        ({"REFERENCE_DATE": "2019-01-01"}, "REFERENCE_DATE 2019-01-01 is outside"),
        ({"DESCENDING": "late"}, "no common time span"),
        ({"DESCENDING": "one"}, "descending track: a time series needs at least two acquisitions, it has 1"),
        ({"DESCENDING": "twice"}, "descending track: the time series has the same date twice: 2020-01-16"),
    ],
)
def test_bad_input_gets_a_clear_error_and_no_output(plugin, ts_pair, change, message):
    from qgis.core import QgsProcessingException

    paths, (asc, desc), _, tmp = ts_pair
    stack = np.ones((6,) + SHAPE)
    late = every(12, 6, D(2023, 1, 1))
    paths["late"] = write_stack(tmp / "late.tif", stack, late, {"INSAR_HEADING": "192", "INSAR_INCIDENCE": "39"})
    one = write_stack(tmp / "one.tif", np.ones((2,) + SHAPE), [D(2020, 1, 4), D(2020, 1, 16)],
                      {"INSAR_HEADING": "192", "INSAR_INCIDENCE": "39"})  # fmt: skip
    ds = gdal.Open(one, gdal.GA_Update)
    ds.GetRasterBand(2).SetMetadataItem("INSAR_DATE", "")
    ds = None
    paths["one"] = one
    twice = [D(2020, 1, 4), D(2020, 1, 16), D(2020, 1, 16)] + every(12, 3, D(2020, 2, 9))
    paths["twice"] = write_stack(tmp / "twice.tif", stack, twice, {"INSAR_HEADING": "192",
                                 "INSAR_INCIDENCE": "39"})  # fmt: skip
    paths["sigma"] = str(tmp / "sigma.tif")
    gdal.Translate(
        paths["sigma"], gdal.Translate("/vsimem/s.tif", paths["asc"], bandList=[1], scaleParams=[[0, 1, 1, 1]])
    )
    out = tmp / "out"
    out.mkdir()
    params = {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"], "OUTPUT_EAST": str(out / "e.tif"),
              "OUTPUT_UP": str(out / "u.tif")}  # fmt: skip
    params.update({k: paths.get(v, str(out / v) if str(v).endswith(".tif") else v) for k, v in change.items()})
    with pytest.raises(QgsProcessingException) as info:
        run_logged("losdecomp:decompose_timeseries", params)
    assert message in str(info.value)
    assert os.listdir(out) == []


def test_bands_out_of_date_order_are_read_by_date_as_velocity_reads_them(plugin, ts_pair):
    """One date-order policy for stacks: decompose_timeseries refused a stack whose bands
    were not in date order, which losdecomp:velocity accepted (sorting by date)."""
    paths, (asc, desc), _, tmp = ts_pair
    ds = gdal.Open(paths["desc"])
    stack = ds.ReadAsArray()
    order = np.random.default_rng(1).permutation(len(desc))
    shuffled = write_stack(tmp / "shuffled.tif", stack[order], [desc[i] for i in order], {"INSAR_HEADING": "192",
                           "INSAR_INCIDENCE": "39"})  # fmt: skip
    ds = None
    outputs = {}
    for name, path in (("sorted", paths["desc"]), ("shuffled", shuffled)):
        files = {"OUTPUT_EAST": str(tmp / f"e_{name}.tif"), "OUTPUT_UP": str(tmp / f"u_{name}.tif")}
        res, _ = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": paths["asc"], "DESCENDING": path, **files})
        outputs[name] = gdal.Open(res["OUTPUT_UP"]).ReadAsArray()
    np.testing.assert_array_equal(outputs["sorted"], outputs["shuffled"])


@pytest.mark.qgis_process
def test_a_mintpy_pair_decomposed_end_to_end_through_qgis_process(qgis_process_env, tmp_path):
    from test_time_series_products import qgis_process

    rng = np.random.default_rng(4)
    shape = (20, 24)
    ve, vu = rng.normal(0, 0.01, shape), rng.normal(-0.005, 0.01, shape)
    imported = {}
    for name, start, heading, inc in (("asc", D(2020, 1, 2), -12.0, 33.0), ("desc", D(2020, 1, 6), -168.0, 41.0)):
        dates = every(12, 30, start)
        s = geometry.from_heading_incidence(heading % 360.0, inc)
        t = years_since(dates, D(2020, 1, 2))[:, None, None]
        stack = (s[0] * ve + s[2] * vu)[None] * t
        np.save(tmp_path / f"{name}.npy", (stack - stack[0]).astype(np.float32))
        attrs = dict(MINTPY_ATTRS, HEADING=str(heading), incidenceAngle=str(inc), REF_Y="0", REF_X="0")
        attrs.pop("azimuthAngle")
        h5 = str(tmp_path / f"{name}_timeseries.h5")
        mintpy_env.write_timeseries(h5, str(tmp_path / f"{name}.npy"), compact(dates), attrs)
        out = qgis_process(
            qgis_process_env, "losdecomp:import_mintpy", {"INPUT": h5, "OUTPUT": tmp_path / f"{name}.tif"}
        )
        imported[name] = out["results"]["OUTPUT"]
    out = qgis_process(qgis_process_env, "losdecomp:decompose_timeseries",
                       {"ASCENDING": imported["asc"], "DESCENDING": imported["desc"],
                        "OUTPUT_EAST": tmp_path / "e.tif", "OUTPUT_UP": tmp_path / "u.tif"})  # fmt: skip
    ds = gdal.Open(out["results"]["OUTPUT_UP"])
    dates = [D.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in
             (ds.GetRasterBand(i).GetDescription() for i in range(1, ds.RasterCount + 1))]  # fmt: skip
    assert dates[0] == D(2020, 1, 6) and ds.RasterCount == 29 + 29  # each track's dates in the common span
    assert ds.GetRasterBand(1).GetUnitType() == "m"
    for i in (1, 20, 58):
        t = (dates[i - 1] - dates[0]).days / 365.25
        np.testing.assert_allclose(read_band(out["results"]["OUTPUT_UP"], i), vu * t, atol=1e-6)


def test_geometry_bands_of_one_file_are_read_together():
    """Per-pixel geometry stored as INSAR_ROLE bands of the stack's own file: one read of the
    three bands (one dataset: a pixel-interleaved tile is decoded once, not once per
    component), in the components' order; bands of separate files are read one by one."""
    from insar_decomposition.core.io.model import RasterGeometry, RasterRef
    from insar_decomposition.core.io.reader import GeometryReader

    e, n, u = np.full((2, 3), 0.6), np.full((2, 3), -0.1), np.linspace(0.7, 0.8, 6).reshape(2, 3)
    opened = []

    class Bands:
        def __init__(self, ref, bands):
            opened.append((ref.path, list(bands)))

        def read(self, *win):
            return np.stack([e, n, u])

    def one_band(ref):
        raise AssertionError(f"band {ref.band} read on its own")

    refs = tuple(RasterRef("stack.tif", b, "stack", 1.0) for b in (101, 102, 103))
    s = GeometryReader(RasterGeometry("enu", refs), one_band, open_stack=Bands).read(0, 0, 3, 2)
    assert opened == [("stack.tif", [101, 102, 103])]
    for got, want in zip(s, geometry.unit_vector("enu", e, n, u)):
        np.testing.assert_allclose(got, want)
    apart = tuple(RasterRef(f"{c}.tif", 1, c, 1.0) for c in "ENU")
    with pytest.raises(AssertionError, match="on its own"):
        GeometryReader(RasterGeometry("enu", apart), one_band, open_stack=Bands)


def _stack_with_roles(path, epochs, s, east_rate, up_rate):
    """A dated LOS stack (mm) whose per-pixel unit vector is in three INSAR_ROLE bands after
    the dated ones (pixel-interleaved, tiled: how the geometry's read matters)."""
    from osgeo import osr

    rows, cols = east_rate.shape
    ds = gdal.GetDriverByName("GTiff").Create(str(path), cols, rows, len(epochs) + 3, gdal.GDT_Float32,
                                              ["TILED=YES", "INTERLEAVE=PIXEL"])  # fmt: skip
    ds.SetGeoTransform((500000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetMetadata({"INSAR_UNIT": "mm"})
    for i, d in enumerate(epochs, start=1):
        t = (d - epochs[0]).days / 365.25
        band = ds.GetRasterBand(i)
        band.WriteArray(((s[0] * east_rate + s[2] * up_rate) * t).astype(np.float32))
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
        band.SetDescription(d.strftime("%Y%m%d"))
    for i, (role, comp) in enumerate(zip(("los_east", "los_north", "los_up"), s), start=len(epochs) + 1):
        ds.GetRasterBand(i).WriteArray(np.ascontiguousarray(comp, dtype=np.float32))
        ds.GetRasterBand(i).SetMetadataItem("INSAR_ROLE", role)
    ds = None
    return str(path)


@pytest.mark.parametrize("method", [tsd.INTERPOLATE, tsd.JOINT])
def test_geometry_in_the_stacks_own_bands_known_answer(tmp_path, method):
    """Linear east and up motion seen through per-pixel geometry stored in each stack's own
    INSAR_ROLE bands comes back exactly, by both methods."""
    from insar_decomposition.core.plan.decompose import Request
    from insar_decomposition.core.plan.tracks import TrackInput
    from insar_decomposition.core.runs import timeseries_decomp_run as tsr

    rng = np.random.default_rng(5)
    east_rate, up_rate = rng.normal(0, 8, (6, 9)), rng.normal(-5, 8, (6, 9))
    inc = np.radians(np.linspace(30.0, 46.0, 9))[None, :] + np.zeros((6, 1))
    paths = []
    for name, heading, first in (("asc", 348.0, datetime.date(2019, 1, 1)), ("desc", 192.0, datetime.date(2019, 1, 5))):
        h = np.radians(heading)
        s = (-np.cos(h) * np.sin(inc), np.sin(h) * np.sin(inc), np.cos(inc))
        epochs = [first + datetime.timedelta(days=12 * i) for i in range(10)]
        paths.append(_stack_with_roles(tmp_path / f"{name}.tif", epochs, s, east_rate, up_rate))
    tracks = [TrackInput("ascending", paths[0], time_series=True), TrackInput("descending", paths[1], time_series=True)]
    out = {"horizontal": str(tmp_path / "e.tif"), "up": str(tmp_path / "u.tif")}
    job = tsr.plan(tsr.TimeSeriesRequest(Request(tracks=tracks, outputs=out), method=method))
    tsr.run(job)
    for i, d in enumerate(job.dates, start=1):
        t = (d - job.reference).days / 365.25
        np.testing.assert_allclose(read_band(out["up"], i), up_rate * t, atol=1e-3)
        np.testing.assert_allclose(read_band(out["horizontal"], i), east_rate * t, atol=1e-3)
