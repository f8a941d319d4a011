"""GNSS time series beside InSAR (issue 32): the defects of the review, each with a known
answer that the first version got wrong: earthquake jumps beside the equipment offsets and
a fit limited to the InSAR span, equipment steps in one data gap, an unknown sigma on one
day, a station with only the reference date, a .tenv3 whose header orders other columns,
the century of YYMMMDD, rasters in 0-360 longitudes, the north note after step removal and
the layer's LOS sign."""

import datetime
import math

import numpy as np
import pytest
from osgeo import gdal, osr

from insar_decomposition.core.conventions.errors import StationError
from insar_decomposition.core.io import gnss_series
from insar_decomposition.core.runs import gnss_series_run as gr
from insar_decomposition.core.solve import gnss_series as gs

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
HEADER = ("site YYMMMDD yyyy.yyyy __MJD week d reflon _e0(m) __east(m) ____n0(m) _north(m) u0(m) ____up(m) "
          "_ant(m) sig_e(m) sig_n(m) sig_u(m) __corr_en __corr_eu __corr_nu _latitude(deg) _longitude(deg) "
          "__height(m)")  # fmt: skip
START = datetime.date(2015, 1, 1)
X0, Y0, PIX, SIZE = -117.60, 36.10, 0.005, 40
HEADING, INCIDENCE = 348.0, 34.0


def s_vector():
    h, t = math.radians(HEADING), math.radians(INCIDENCE)
    return np.array([-math.cos(h) * math.sin(t), math.sin(h) * math.sin(t), math.cos(t)])


def ngl(d):
    return f"{d.year % 100:02d}{MONTHS[d.month - 1]}{d.day:02d}"


def line(site, d, enu, sig, lat, lon):
    mjd = (d - datetime.date(1858, 11, 17)).days
    e0, n0, u0 = (math.floor(v) for v in enu)
    sg = " ".join("NaN" if not np.isfinite(x) else f"{x:.6f}" for x in sig)
    return (f"{site} {ngl(d)} {d.year + 0.5:.4f} {mjd} 2000 1 {lon:.1f} {e0} {enu[0] - e0:.6f} {n0} {enu[1] - n0:.6f} "
            f"{u0} {enu[2] - u0:.6f} 0.0 {sg} 0.0 0.0 0.0 {lat:.10f} {lon:.10f} 100.0")  # fmt: skip


def write_tenv3(path, site, days, enu, lat, lon, sig=None):
    sig = np.full((len(days), 3), 0.001) if sig is None else sig
    rows = [line(site, START + datetime.timedelta(days=int(d)), enu[k], sig[k], lat, lon) for k, d in enumerate(days)]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")


def write_stack(path, cube, dates, sign="toward", x0=X0, tags=True):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), SIZE, SIZE, len(dates), gdal.GDT_Float32)
    ds.SetGeoTransform((x0, PIX, 0.0, Y0, 0.0, -PIX))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.SetProjection(srs.ExportToWkt())
    md = {"INSAR_UNIT": "mm"}
    if tags:
        md.update({"INSAR_HEADING": repr(HEADING), "INSAR_INCIDENCE": repr(INCIDENCE), "INSAR_LOOK_SIDE": "right",
                   "INSAR_LOS_SIGN": sign})  # fmt: skip
    ds.SetMetadata(md)
    for k, d in enumerate(dates):
        band = ds.GetRasterBand(k + 1)
        band.WriteArray(cube[k].astype(np.float32))
        band.SetNoDataValue(float("nan"))
        band.SetDescription(d.strftime("%Y%m%d"))
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
        band.SetUnitType("mm")
    ds = None
    return str(path)


def lonlat(r, c, x0=X0):
    return x0 + (c + 0.5) * PIX, Y0 - (r + 0.5) * PIX


CELLS = [(5, 5), (20, 20), (30, 10)]


def scene(tmp_path, motions, insar_days, dates_of=None, sign=1.0, stack_motion=None):
    """Stations at CELLS with daily positions ``motions[i]`` = (days, enu metres); the stack
    is ``stack_motion[i]`` (default: the motion) in LOS, mm, at the acquisition days."""
    folder = tmp_path / "g"
    folder.mkdir()
    cube = np.full((len(insar_days), SIZE, SIZE), 0.0)
    for i, (days, enu) in enumerate(motions):
        lon, lat = lonlat(*CELLS[i])
        write_tenv3(folder / f"S{i}.tenv3", f"S{i}", days, enu, lat, lon)
        truth = (stack_motion or motions)[i][1]
        at = np.clip(np.searchsorted(days, insar_days), 0, len(days) - 1)
        cube[:, CELLS[i][0], CELLS[i][1]] = sign * (truth[at] @ s_vector()) * 1000
    dates = [START + datetime.timedelta(days=int(d)) for d in insar_days]
    return folder, cube, dates


def run_steps(tmp_path, cube, dates, folder, steps):
    stack = write_stack(tmp_path / "st.tif", cube, dates)
    return gr.compare(gr.SeriesRequest(stack, str(folder), steps_file=str(steps)))


def heaviside(days, day, enu):
    return np.outer(np.asarray(days) >= day, enu)


def test_an_earthquake_jump_does_not_bias_the_equipment_offset(tmp_path):
    days = np.arange(1500)
    linear = np.outer(days / 365.25, [0.0, 0.0, 0.003])
    quake = heaviside(days, 300, [0.0, 0.0, -0.020])
    moved = linear + quake
    measured = moved + heaviside(days, 600, [0.0, 0.0, 0.010])
    quiet = np.zeros((days.size, 3))
    insar_days = np.arange(100, 1400, 12)
    folder, cube, dates = scene(tmp_path, [(days, measured), (days, quiet)], insar_days,
                                stack_motion=[(days, moved), (days, quiet)])  # fmt: skip
    steps = tmp_path / "steps.txt"
    steps.write_text(f"S0 {ngl(START + datetime.timedelta(days=600))} 1 Antenna_Code_Changed\n"
                     f"S0 {ngl(START + datetime.timedelta(days=300))} 2 0.5 12.3 6.1 us1000abcd\n")  # fmt: skip
    out = run_steps(tmp_path, cube, dates, folder, steps)
    s0 = out.stations[[s.site for s in out.stations].index("S0")]
    assert s0.stats.rmse < 0.01  # mm: offset exact, the quake kept in both series


def test_the_step_fit_uses_the_days_near_the_insar_span(tmp_path):
    """A post-seismic decay years before the InSAR span (no trend + annual model fits it)
    must not bias an equipment offset estimated inside the span."""
    days = np.arange(5000)
    decay = np.outer(0.08 * np.exp(-days / 250.0), [0.0, 0.0, 1.0])
    moved = decay + np.outer(days / 365.25, [0.0, 0.0, 0.002])
    measured = moved + heaviside(days, 4300, [0.0, 0.0, 0.010])
    quiet = np.zeros((days.size, 3))
    insar_days = np.arange(4000, 4600, 12)
    folder, cube, dates = scene(tmp_path, [(days, measured), (days, quiet)], insar_days,
                                stack_motion=[(days, moved), (days, quiet)])  # fmt: skip
    steps = tmp_path / "steps.txt"
    steps.write_text(f"S0 {ngl(START + datetime.timedelta(days=4300))} 1 Antenna_Code_Changed\n")
    out = run_steps(tmp_path, cube, dates, folder, steps)
    assert out.stations[0].site == "S0" and out.stations[0].stats.rmse < 0.01


def test_two_equipment_changes_in_one_gap_are_one_offset_and_the_log_says_so(tmp_path):
    days = np.r_[np.arange(100), np.arange(120, 400)]
    measured = heaviside(days, 105, [0.0, 0.0, 0.020]) + heaviside(days, 200, [0.0, 0.0, 0.010])
    quiet = np.zeros((days.size, 3))
    insar_days = np.arange(9, 360, 12)
    folder, cube, dates = scene(tmp_path, [(days, measured), (days, quiet)], insar_days,
                                stack_motion=[(days, quiet), (days, quiet)])  # fmt: skip
    steps = tmp_path / "steps.txt"
    steps.write_text("".join(f"S0 {ngl(START + datetime.timedelta(days=d))} 1 Antenna_Code_Changed\n"
                             for d in (105, 110, 200)))  # fmt: skip
    out = run_steps(tmp_path, cube, dates, folder, steps)
    assert out.stations[0].site == "S0" and out.stations[0].stats.rmse < 0.01
    text = "\n".join(out.log)
    assert "removed at 1 station(s): S0 (3)" in text
    assert "estimated as one offset: S0 (2015-04-16, 2015-04-21)" in text


def test_fit_steps_merges_steps_without_data_between_and_keeps_a_quake_among_them():
    days = np.r_[np.arange(100), np.arange(120, 400)]
    y = (10.0 * (days >= 105) + 5.0 * (days >= 200))[:, None]
    clean, fit = gs.fit_steps(days, y, [105, 110, 200])
    assert [g.days for g in fit.groups] == [[105, 110], [200]] and fit.removed == [105, 110, 200]
    assert fit.offsets[:, 0] == pytest.approx([10.0, 5.0]) and np.ptp(clean) == pytest.approx(0.0, abs=1e-9)
    same, fit = gs.fit_steps(days, y, [105, 200], [110])
    assert [(g.days, g.removed) for g in fit.groups] == [([105, 110], False), ([200], True)]
    assert np.ptp(same[days >= 120]) == pytest.approx(0.0, abs=1e-9)  # only the 200 offset removed


def test_an_unknown_sigma_blanks_only_the_acquisitions_that_use_it():
    sigma = np.ones(10)
    sigma[2] = np.nan
    mean, sig, count = gs.average_at(np.arange(10), np.arange(10.0), sigma, np.array([1, 5, 8]), 0)
    assert mean.tolist() == [1.0, 5.0, 8.0] and sig.tolist() == [1.0, 1.0, 1.0]
    _, sig, _ = gs.average_at(np.arange(10), np.arange(10.0), sigma, np.array([1, 5, 8]), 1)
    assert math.isnan(sig[0]) and sig[1:] == pytest.approx([math.sqrt(3) / 3] * 2)


def test_a_station_with_only_the_reference_date_is_skipped_and_does_not_move_it(tmp_path):
    days = np.arange(300)
    insar_days = np.arange(9, 250, 12)
    moving = np.outer(days / 365.25, [0.01, 0.0, -0.02])
    one = np.array([insar_days[5]])
    folder, cube, dates = scene(tmp_path, [(days, moving), (days, 2 * moving), (one, np.zeros((1, 3)))], insar_days)
    out = gr.compare(gr.SeriesRequest(write_stack(tmp_path / "st.tif", cube, dates), str(folder)))
    assert [s.site for s in out.stations] == ["S0", "S1"] and out.reference_date == dates[0]
    assert all(s.stats.epochs == len(dates) - 1 for s in out.stations)
    assert any("left out" in ln and "S2" in ln and "fewer than two acquisitions" in ln for ln in out.log)


def test_a_station_left_without_residuals_by_the_reference_station_is_named(tmp_path):
    days = np.arange(300)
    insar_days = np.arange(9, 250, 12)
    moving = np.outer(days / 365.25, [0.01, 0.0, -0.02])
    early = days[days <= insar_days[5]]  # the reference station: the first six acquisitions only
    late = np.r_[insar_days[0], days[days >= insar_days[10]]]  # S2: the first one, then from the eleventh
    motions = [(days, moving), (early, moving[: early.size]), (late, 2 * moving[late])]
    folder, cube, dates = scene(tmp_path, motions, insar_days)
    out = gr.compare(gr.SeriesRequest(write_stack(tmp_path / "st.tif", cube, dates), str(folder),
                                      reference_station="S1"))  # fmt: skip
    assert [s.site for s in out.stations] == ["S0"] and out.reference_date == dates[0]
    assert any("no residual besides the reference date" in ln and "S2" in ln for ln in out.log)


def test_tenv3_columns_are_found_by_their_header_names(tmp_path):
    """A header in another order is read by name; NGL's loading layout (no latitude or
    longitude) is refused naming the file, not read as a station at (0, 0)."""
    cols = HEADER.split()
    order = cols[:7] + cols[20:23] + cols[7:20]  # latitude, longitude, height moved forward
    d = datetime.date(2019, 3, 4)
    values = line("ABCD", d, (1.5, 2.25, 3.125), (0.001, 0.002, 0.003), 36.05, -117.55).split()
    path = tmp_path / "ABCD.tenv3"
    path.write_text(" ".join(order) + "\n" + " ".join(values[cols.index(c)] for c in order) + "\n")
    s = gnss_series.read_tenv3(str(path))
    assert (s.lon, s.lat) == pytest.approx((-117.55, 36.05)) and s.enu[0] == pytest.approx([1.5, 2.25, 3.125])
    assert s.sigma[0] == pytest.approx([0.001, 0.002, 0.003]) and str(s.dates[0]) == "2019-03-04"
    load = ("site YYMMMDD yyyy.yyyy __MJD week d reflon _e0(m) __east(m) ____n0(m) _north(m) u0(m) ____up(m) _ant(m) "
            "sig_e(m) sig_n(m) sig_u(m) __corr_en __corr_eu __corr_nu __ee_ntal __nn_ntal __uu_ntal __ee_ntol "
            "__nn_ntol __uu_ntol")  # fmt: skip
    data = ("ANKR 95JUN25 1995.4798 49893  807 0   32.8  -3552 -0.235481   4417023  0.323651   976  0.045141  0.0600 "
            "0.000771 0.001002 0.003364 -0.017130  0.014898 -0.175585 0.0004 -0.0002 0.0011 0.0001 0.0002 0.0003")
    (tmp_path / "ANKR.load.txt").write_text(load + "\n" + data + "\n")
    with pytest.raises(StationError, match=r"ANKR\.load\.txt.*latitude, longitude"):
        gnss_series.read_series(str(tmp_path / "ANKR.load.txt"))


def test_two_digit_years_before_1994_are_the_1900s_and_the_mjd_decides(tmp_path):
    assert gnss_series.yymmmdd("93DEC31") == datetime.date(1993, 12, 31)
    assert gnss_series.yymmmdd("17JAN01") == datetime.date(2017, 1, 1)
    d = datetime.date(1992, 5, 6)
    path = tmp_path / "OLD1.tenv3"
    path.write_text(HEADER + "\n" + line("OLD1", d, (1.0, 2.0, 3.0), (0.001,) * 3, 36.0, -117.5) + "\n")
    assert str(gnss_series.read_tenv3(str(path)).dates[0]) == "1992-05-06"


def test_a_raster_in_0_to_360_longitudes_holds_the_stations(tmp_path):
    """Stations at 180.05 and 180.10 E (read as -179.95, -179.90) on a raster from 179.9 E."""
    x0 = 179.9
    days = np.arange(200)
    insar_days = np.arange(9, 190, 12)
    moving = np.outer(days / 365.25, [0.0, 0.0, 0.02])
    folder = tmp_path / "g"
    folder.mkdir()
    cube = np.zeros((insar_days.size, SIZE, SIZE))
    for i, (r, c) in enumerate(CELLS[:2]):
        lon, lat = lonlat(r, c, x0)
        write_tenv3(folder / f"S{i}.tenv3", f"S{i}", days, (i + 1) * moving, lat, lon)
        cube[:, r, c] = ((i + 1) * moving[insar_days] @ s_vector()) * 1000
    dates = [START + datetime.timedelta(days=int(d)) for d in insar_days]
    out = gr.compare(gr.SeriesRequest(write_stack(tmp_path / "st.tif", cube, dates, x0=x0), str(folder)))
    assert [s.site for s in out.stations] == ["S0", "S1"] and out.rmse < 0.01


def test_the_layer_los_sign_wins_when_no_track_is_given(tmp_path):
    days = np.arange(300)
    insar_days = np.arange(9, 250, 12)
    moving = np.outer(days / 365.25, [0.03, 0.05, -0.02])
    folder, cube, dates = scene(tmp_path, [(days, moving), (days, 2 * moving)], insar_days, sign=-1.0)
    out = gr.compare(gr.SeriesRequest(write_stack(tmp_path / "st.tif", cube, dates, sign="away"), str(folder)))
    assert out.rmse < 0.01 and not any("was chosen" in w for w in out.warnings)


def test_the_north_note_looks_at_the_series_after_the_equipment_steps(tmp_path):
    days = np.arange(600)
    insar_days = np.arange(9, 590, 12)
    still = np.zeros((days.size, 3))
    jumped = heaviside(days, 300, [0.0, 0.030, 0.0])  # a 30 mm north equipment offset, no motion
    folder, _, dates = scene(tmp_path, [(days, jumped), (days, still)], insar_days)
    up = write_stack(tmp_path / "up.tif", np.zeros((insar_days.size, SIZE, SIZE)), dates, tags=False)
    steps = tmp_path / "steps.txt"
    steps.write_text(f"S0 {ngl(START + datetime.timedelta(days=300))} 1 Antenna_Code_Changed\n")
    out = gr.compare(gr.SeriesRequest(up, str(folder), component=gr.UP, steps_file=str(steps)))
    assert out.rmse < 0.01 and not any("north motion" in w for w in out.warnings)
    raw = gr.compare(gr.SeriesRequest(up, str(folder), component=gr.UP))
    assert any("north motion at 1 station(s): S0" in w for w in raw.warnings)
