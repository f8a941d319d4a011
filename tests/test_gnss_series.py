"""GNSS time series beside an InSAR time series (issue 32), core only (no QGIS): NGL .tenv3,
steps.txt and CSV readers on files written here in their real layouts, the series in the line
of sight, equipment steps, referencing, per-station RMSE, the pairwise requirement test, and
bad input. Known answers from a forward model: a dozen stations with trend + annual + steps +
noise, a stack equal to their LOS projection plus a known per-date offset and noise."""

import datetime
import math

import numpy as np
import pytest
from osgeo import gdal, osr

from insar_decomposition.core.conventions.errors import StationError
from insar_decomposition.core.io import gnss_series, gnss_stations, gnss_steps
from insar_decomposition.core.runs import gnss_series_run as gr
from insar_decomposition.core.solve import gnss_series as gs

HEADING, INCIDENCE = 348.0, 34.0
X0, Y0, PIX, SIZE = -117.60, 36.10, 0.005, 60
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
GNSS_START, GNSS_DAYS = datetime.date(2019, 1, 1), 900
INSAR_DATES = [datetime.date(2019, 1, 5) + datetime.timedelta(days=12 * i) for i in range(70)]
SIGMA_INSAR, SIGMA_GNSS = 3.0, 0.5  # mm; GNSS per component
EQUIPMENT_STEP = (datetime.date(2020, 3, 1), (0.020, -0.010, 0.030))  # metres, at station 1
QUAKE = (datetime.date(2020, 6, 10), (0.000, 0.000, -0.015))  # a real jump at station 2 (code 2)
HEADER = ("site YYMMMDD yyyy.yyyy __MJD week d reflon _e0(m) __east(m) ____n0(m) _north(m) u0(m) ____up(m) "
          "_ant(m) sig_e(m) sig_n(m) sig_u(m) __corr_en __corr_eu __corr_nu _latitude(deg) _longitude(deg) "
          "__height(m)")  # fmt: skip


def s_vector():
    """Ground to satellite, right-looking (DESIGN.md section 2), written out independently."""
    h, t = math.radians(HEADING), math.radians(INCIDENCE)
    return (-math.cos(h) * math.sin(t), math.sin(h) * math.sin(t), math.cos(t))


def ngl_date(d):
    return f"{d.year % 100:02d}{MONTHS[d.month - 1]}{d.day:02d}"


def tenv3_line(site, d, enu, sig, corr, lat, lon):
    mjd = (d - datetime.date(1858, 11, 17)).days
    e0, n0, u0 = (math.floor(v) for v in enu)
    return (f"{site} {ngl_date(d)} {d.year + (d.timetuple().tm_yday - 0.5) / 365.25:.4f} {mjd} "
            f"{(mjd - 44244) // 7:4d} {(mjd - 44244) % 7} {lon:.1f} {e0:d} {enu[0] - e0:.6f} {n0:d} "
            f"{enu[1] - n0:.6f} {u0:d} {enu[2] - u0:.6f} 0.0083 {sig[0]:.6f} {sig[1]:.6f} {sig[2]:.6f} "
            f"{corr[0]:.6f} {corr[1]:.6f} {corr[2]:.6f} {lat:.10f} {lon:.10f} 1234.56789")  # fmt: skip


def truth(i, days):
    """True ground motion of station i (metres, east/north/up) on day numbers from GNSS_START."""
    t = np.asarray(days) / 365.25
    rate = np.array([0.004 + 0.001 * i, -0.003 + 0.0005 * i, -0.002 - 0.0007 * i])
    annual = np.array([0.001, 0.0005, 0.004])
    enu = rate[None] * t[:, None] + annual[None] * np.sin(2 * np.pi * t + i)[:, None]
    if i == 2:
        enu += np.outer(np.asarray(days) >= (QUAKE[0] - GNSS_START).days, QUAKE[1])
    return enu


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """12 stations (.tenv3 in a folder), steps.txt, and the stack (mm, tagged geometry)."""
    root = tmp_path_factory.mktemp("gnss_series")
    rng = np.random.default_rng(32)
    cells = rng.choice(SIZE * SIZE, 12, replace=False)
    rows, cols = cells // SIZE, cells % SIZE
    lon, lat = X0 + (cols + 0.5) * PIX, Y0 - (rows + 0.5) * PIX
    folder = root / "tenv3"
    folder.mkdir()
    days = np.arange(GNSS_DAYS)
    written = {}
    for i in range(12):
        enu = truth(i, days) + rng.normal(0, SIGMA_GNSS / 1000, (GNSS_DAYS, 3)) + np.array([1234.0, -56.0, 7.0])
        if i == 1:
            enu += np.outer(days >= (EQUIPMENT_STEP[0] - GNSS_START).days, EQUIPMENT_STEP[1])
        written[f"S{i:03d}"] = enu
        lines = [HEADER] + [
            tenv3_line(f"S{i:03d}", GNSS_START + datetime.timedelta(days=int(d)), enu[d], (0.0005,) * 3,
                       (0.2, -0.1, 0.3), lat[i], lon[i] + (360.0 if i % 3 == 0 else 0.0))
            for d in days
        ]  # fmt: skip
        (folder / f"S{i:03d}.tenv3").write_text("\n".join(lines) + "\n")
    steps = root / "steps.txt"
    steps.write_text(f"S001 {ngl_date(EQUIPMENT_STEP[0])} 1 Antenna_Code_Changed\n"
                     f"S002 {ngl_date(QUAKE[0])} 2 0.2876 12.345 5.6 ci38457511\n"
                     f"S003 {ngl_date(datetime.date(2012, 1, 1))} 1 Receiver_Code_Changed\n")  # fmt: skip
    s = s_vector()
    offset = rng.normal(0, 20.0, len(INSAR_DATES))  # mm, the same everywhere on a date
    noise = rng.normal(0, SIGMA_INSAR, (12, len(INSAR_DATES)))
    noise[:, 0] = 0.0  # noise on the other dates: the first (the default reference) is exact
    cube = np.zeros((len(INSAR_DATES), SIZE, SIZE)) + offset[:, None, None]
    idays = np.array([(d - GNSS_START).days for d in INSAR_DATES])
    for i in range(12):
        los = truth(i, idays) @ np.array(s) * 1000.0
        cube[:, rows[i], cols[i]] += los + noise[i]
    path = str(root / "stack.tif")
    write_stack(path, cube, INSAR_DATES, unit="mm")
    return dict(folder=str(folder), steps=str(steps), stack=path, lon=lon, lat=lat, rows=rows, cols=cols,
                written=written, cube=cube, offset=offset, root=root)  # fmt: skip


def write_stack(path, cube, dates, unit="mm", tags=True):
    ds = gdal.GetDriverByName("GTiff").Create(path, cube.shape[2], cube.shape[1], cube.shape[0], gdal.GDT_Float32)
    ds.SetGeoTransform((X0, PIX, 0.0, Y0, 0.0, -PIX))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.SetProjection(srs.ExportToWkt())
    if tags:
        ds.SetMetadata({"INSAR_HEADING": repr(HEADING), "INSAR_INCIDENCE": repr(INCIDENCE), "INSAR_LOOK_SIDE": "right",
                        "INSAR_LOS_SIGN": "toward", "INSAR_UNIT": unit})  # fmt: skip
    for k, d in enumerate(dates):
        band = ds.GetRasterBand(k + 1)
        band.WriteArray(cube[k].astype(np.float32))
        band.SetNoDataValue(float("nan"))
        band.SetDescription(d.strftime("%Y%m%d"))
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
        band.SetUnitType(unit)
    ds = None
    return path


# readers


def test_tenv3_reads_positions_as_integer_plus_fraction_and_wraps_longitude(scene):
    series = gnss_series.read_tenv3(f"{scene['folder']}/S000.tenv3")
    assert series.site == "S000" and len(series) == GNSS_DAYS and series.unit == "m"
    assert series.dates[0] == np.datetime64("2019-01-01") and series.dates[-1] == np.datetime64(
        GNSS_START + datetime.timedelta(days=GNSS_DAYS - 1))
    assert np.allclose(series.enu, scene["written"]["S000"], atol=6e-7)
    assert series.lon == pytest.approx(scene["lon"][0]) and -180 <= series.lon < 180  # written as lon + 360
    assert np.allclose(series.corr, [0.2, -0.1, 0.3]) and np.allclose(series.sigma, 0.0005)


def test_dates_are_calendar_days_even_from_the_mjd_alone(tmp_path):
    assert gnss_series.yymmmdd("17JAN01") == datetime.date(2017, 1, 1)
    assert gnss_series.yymmmdd("98DEC31") == datetime.date(1998, 12, 31)
    assert gnss_series.mjd_date(58849.5) == datetime.date(2020, 1, 1)  # 12:00 UTC -> that day
    line = tenv3_line("AAAA", datetime.date(2020, 1, 1), (1.5, 2.5, 3.5), (0.001,) * 3, (0, 0, 0), 35.0, -117.0)
    path = tmp_path / "a.tenv3"
    path.write_text(HEADER + "\n" + line.replace("20JAN01", "xxxxxxx") + "\n")
    assert gnss_series.read_tenv3(str(path)).dates[0] == np.datetime64("2020-01-01")


def test_gaps_truncated_lines_and_unknown_columns_are_counted_and_named(tmp_path):
    d0 = datetime.date(2020, 1, 1)
    lines = [HEADER + " extra_col"] + [tenv3_line("GAPS", d0 + datetime.timedelta(days=k), (0.1 * k, 0, 0),
                                                  (0.001,) * 3, (0, 0, 0), 35, -117) for k in (0, 1, 5, 9)]  # fmt: skip
    lines.insert(3, lines[3][:40])  # truncated
    lines.append(lines[1])  # a day given twice
    path = tmp_path / "GAPS.tenv3"
    path.write_text("\n".join(lines) + "\n")
    series = gnss_series.read_tenv3(str(path))
    assert len(series) == 4 and series.enu[:, 0].tolist() == pytest.approx([0, 0.1, 0.5, 0.9])
    text = " ".join(series.log)
    assert "1 line(s) truncated" in text and "extra_col" in text and "1 unknown column" in text
    assert "given twice" in text
    csv = tmp_path / "sites.csv"
    csv.write_text("site,date,east,north,up,sig_e,colour,lon,lat\nA,2020-01-01,1,2,3,0.1,red,10,45\n"
                   "A,2020-01-03,1,2\nB,20200102,4,5,6,,blue,11,46\n")  # fmt: skip
    got = gnss_series.read_series(str(csv), "mm")
    assert [s.site for s in got.series] == ["A", "B"] and got.series[0].unit == "mm"
    assert np.isnan(got.series[1].sigma[0, 0]) and got.series[0].sigma[0, 0] == 0.1
    assert any("colour" in line for line in got.log) and any("1 line(s) truncated" in line for line in got.log)


def test_a_folder_keeps_the_readable_stations_and_names_the_others(tmp_path):
    (tmp_path / "bad.tenv3").write_text(HEADER + "\nnot a line\n")
    (tmp_path / "notes.md").write_text("x")
    line = tenv3_line("OKOK", datetime.date(2020, 1, 1), (1, 2, 3), (0.001,) * 3, (0, 0, 0), 35, -117)
    (tmp_path / "ok.tenv3").write_text(HEADER + "\n" + line + "\n")
    got = gnss_series.read_series(str(tmp_path))
    assert [s.site for s in got.series] == ["OKOK"]
    text = " ".join(got.log)
    assert "bad.tenv3" in text and "1 unreadable" in text and "notes.md" in text
    (tmp_path / "ok.tenv3").unlink()
    with pytest.raises(gnss_series.GnssSeriesError, match="no usable station"):
        gnss_series.read_series(str(tmp_path))
    with pytest.raises(gnss_series.GnssSeriesError, match="neither a file nor a folder"):
        gnss_series.read_series(str(tmp_path / "missing"))


def test_steps_file_codes(scene):
    steps = gnss_steps.read_steps(scene["steps"])
    assert steps.equipment("S001") == [EQUIPMENT_STEP[0]] and steps.equipment("S002") == []
    quake = [s for s in steps.steps if s.code == gnss_steps.EARTHQUAKE][0]
    assert (quake.distance_km, quake.magnitude, quake.event) == (12.345, 5.6, "ci38457511")
    assert steps.steps[0].kind == "Antenna_Code_Changed"


def test_a_real_midas_line_is_metres_per_year_whatever_the_track_unit(tmp_path):
    """A line in the layout NGL's MIDAS files have (27 columns: site, label, first and last
    epoch, duration, epochs, good epochs, pairs, ve vn vu, their sigmas, e0 n0 u0, outlier
    fractions, pair sigmas, steps, lat, lon 0-360, height)."""
    line = ("P595 MIDAS5 2006.2355 2024.1205 17.8850  6410  6297  5361 -0.026118  0.029342 -0.001004  0.000324 "
            " 0.000294  0.001062  0.012743 -0.030612  0.007118  0.106900  0.085130  0.139280  0.001823  0.001716 "
            " 0.005431    3  33.247713  242.713472  -17.85361")  # fmt: skip
    path = tmp_path / "midas.IGS14.txt"
    path.write_text(line + "\n")
    st = gnss_stations.from_table(gnss_stations.read_table(str(path)), {}, unit="")
    assert st.unit == "m/year" and st.velocity["ve"][0] == -0.026118 and st.velocity["su"][0] == 0.001062
    assert st.x[0] == pytest.approx(242.713472 - 360) and st.y[0] == pytest.approx(33.247713)
    assert gnss_stations.unit_factor(st, "mm/year")[0] == pytest.approx(1000.0)


# solve


def test_los_sigma_includes_the_correlations():
    enu, sig = np.zeros((1, 3)), np.array([[1.0, 2.0, 3.0]])
    corr = np.array([[0.5, -0.2, 0.1]])
    s = s_vector()
    C = np.diag(sig[0]) @ np.array([[1, 0.5, -0.2], [0.5, 1, 0.1], [-0.2, 0.1, 1]]) @ np.diag(sig[0])
    _, sigma = gs.los_series(enu, sig, corr, s)
    assert sigma[0] == pytest.approx(math.sqrt(np.array(s) @ C @ np.array(s)))


def test_remove_steps_finds_the_offset_and_ignores_steps_outside():
    rng = np.random.default_rng(1)
    days = np.arange(800)
    t = days / 365.25
    y = 3 * t + 2 * np.sin(2 * np.pi * t) + 10.0 * (days >= 400) + rng.normal(0, 0.5, days.size)
    clean, offsets, used = gs.remove_steps(days, y[:, None], [400, 2000, -5])
    assert used == [400] and offsets[0, 0] == pytest.approx(10.0, abs=0.15)
    assert np.abs(np.diff(clean[398:402, 0])).max() < 3
    same, none, used = gs.remove_steps(days, y[:, None], [900])
    assert used == [] and np.array_equal(same, y[:, None])


def test_averaging_over_days():
    mean, sig, count = gs.average_at(np.array([0, 1, 2, 5]), np.array([1.0, 2, 3, 4]), np.array([1.0, 1, 1, 1]),
                                     np.array([1, 4, 9]), 1)  # fmt: skip
    assert mean[:2].tolist() == [2.0, 4.0] and math.isnan(mean[2]) and count.tolist() == [3, 1, 0]
    assert sig[0] == pytest.approx(math.sqrt(3) / 3)


# the run: known answers


def run(scene, **kw):
    req = gr.SeriesRequest(scene["stack"], scene["folder"], **kw)
    return gr.compare(req)


def haversine(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_per_station_rmse_is_the_noise_and_the_offset_vanishes_after_referencing(scene):
    out = run(scene, steps_file=scene["steps"], reference_station="S000")
    assert out.reference_date == INSAR_DATES[0] and out.reference_station == "S000"
    assert [s.site for s in out.stations] == [f"S{i:03d}" for i in range(1, 12)]
    s = np.array(s_vector())
    gnss_los = math.sqrt(np.sum((s * SIGMA_GNSS) ** 2))
    # per epoch: InSAR noise of the station and of the reference (none on other dates' zero), GNSS noise of
    # both on that date and on the reference date
    expected = math.sqrt(2 * SIGMA_INSAR**2 + 4 * gnss_los**2)
    n = len(INSAR_DATES) - 1
    for st in out.stations:
        assert st.stats.epochs == n
        assert abs(st.stats.rmse - expected) < 4 * expected / math.sqrt(2 * n), (st.site, st.stats.rmse)
        assert abs(st.stats.bias) < 4 * expected / math.sqrt(n) + 1.0
        assert st.stats.correlation > 0.4  # the differential motion is a few times the noise
        assert abs(st.stats.velocity_difference) < 2.0  # mm/year, noise only
    assert out.rmse == pytest.approx(expected, rel=0.15)
    assert out.median_station_rmse == pytest.approx(np.median([st.stats.rmse for st in out.stations]))
    # without the reference station the per-date offset stays in the residuals
    plain = run(scene, steps_file=scene["steps"])
    assert plain.rmse > 3 * out.rmse and len(plain.stations) == 12


def test_the_equipment_step_is_removed_when_asked_and_the_earthquake_stays(scene):
    with_steps = {s.site: s for s in run(scene, steps_file=scene["steps"], reference_station="S000").stations}
    without = {s.site: s for s in run(scene, reference_station="S000").stations}
    s = np.array(s_vector())
    step_los = float(np.dot(EQUIPMENT_STEP[1], s)) * 1000.0
    assert abs(step_los) > 10
    assert without["S001"].stats.rmse > 2.5 * with_steps["S001"].stats.rmse
    after = np.array(INSAR_DATES) >= EQUIPMENT_STEP[0]
    jump = np.nanmean(without["S001"].residual[after]) - np.nanmean(without["S001"].residual[~after][1:])
    assert jump == pytest.approx(-step_los, abs=1.5)
    assert with_steps["S002"].stats.rmse == pytest.approx(without["S002"].stats.rmse)  # code 2 kept
    assert with_steps["S002"].stats.rmse < 6


def test_table_values_equal_a_direct_computation(scene):
    out = run(scene, reference_station="S000")
    s = np.array(s_vector())
    idays = [(d - GNSS_START).days for d in INSAR_DATES]
    r, c = scene["rows"], scene["cols"]
    g = {i: scene["written"][f"S{i:03d}"][idays] @ s * 1000 for i in (0, 4)}
    ins = {i: scene["cube"][:, r[i], c[i]] for i in (0, 4)}
    st = next(x for x in out.stations if x.site == "S004")
    direct_g = (g[4] - g[4][0]) - (g[0] - g[0][0])
    direct_i = (ins[4] - ins[4][0]) - (ins[0] - ins[0][0])
    assert np.allclose(st.gnss, direct_g, atol=1e-3) and np.allclose(st.insar, direct_i, atol=1e-3)
    corr = np.array([[1, 0.2, -0.1], [0.2, 1, 0.3], [-0.1, 0.3, 1]]) * 0.5**2
    one = math.sqrt(s @ corr @ s)
    assert np.allclose(st.gnss_sigma, math.sqrt(2) * one)  # in quadrature with the reference station's
    table = out.table()
    rows = [k for k, site in enumerate(table["site"]) if site == "S004"]
    assert [table["date"][k] for k in rows] == [d.isoformat() for d in INSAR_DATES]
    assert np.allclose([table["residual"][k] for k in rows], direct_i - direct_g, atol=1e-3)


def test_pairwise_residuals_and_bin_fractions_equal_a_direct_computation(scene):
    out = run(scene, steps_file=scene["steps"], reference_station="S000", bins=5, max_distance_km=40.0)
    st = out.stations
    direct = []
    for a in range(len(st)):
        for b in range(a + 1, len(st)):
            d = haversine(st[a].lon, st[a].lat, st[b].lon, st[b].lat)
            for k in range(1, len(INSAR_DATES)):
                res = abs((st[a].insar[k] - st[b].insar[k]) - (st[a].gnss[k] - st[b].gnss[k]))
                direct.append((st[a].site, st[b].site, d, res, INSAR_DATES[k].isoformat()))
    rows = out.pair_rows()
    got = list(zip(rows["site_i"], rows["site_j"], rows["distance_km"], rows["residual"], rows["date"]))
    assert len(got) == len(direct)
    for x, y in zip(sorted(got), sorted(direct)):
        assert x[:2] == y[:2] and x[4] == y[4]
        assert x[2] == pytest.approx(y[2], rel=1e-9) and x[3] == pytest.approx(y[3], abs=1e-9)
    edges = np.linspace(0, 40, 6)
    for b in range(5):
        inside = [r for r in direct if edges[b] <= r[2] < edges[b + 1] or (b == 4 and r[2] == 40)]
        under = [r for r in inside if r[3] <= 3 * (1 + math.sqrt(r[2]))]
        assert out.bins.count[b] == len(inside)
        if inside:
            assert out.bins.fraction[b] == pytest.approx(len(under) / len(inside))
            assert out.bins.passed[b] == (len(under) / len(inside) > 0.683)


def test_the_secular_requirement_uses_the_rate_differences(scene):
    out = run(scene, steps_file=scene["steps"], reference_station="S000", requirement=gs.SECULAR)
    vd = {s.site: s.stats.velocity_difference for s in out.stations}
    rows = out.pair_rows()
    assert set(rows["date"]) == {""}
    for a, b, r in zip(rows["site_i"], rows["site_j"], rows["residual"]):
        assert r == pytest.approx(abs(vd[a] - vd[b]))
    full = out.bins.count > 0
    assert full[:5].all() and out.bins.passed[full].all()  # noise only: well under 5 mm/year
    assert not out.bins.passed[~full].any()  # a bin without pairs never passes


def test_east_and_up_stacks_and_the_north_note(scene, tmp_path):
    idays = np.array([(d - GNSS_START).days for d in INSAR_DATES])
    cube = np.zeros((len(INSAR_DATES), SIZE, SIZE))
    for i in range(12):
        cube[:, scene["rows"][i], scene["cols"][i]] = truth(i, idays)[:, 2] * 1000
    path = write_stack(str(tmp_path / "up.tif"), cube, INSAR_DATES, unit="mm", tags=False)
    out = gr.compare(gr.SeriesRequest(path, scene["folder"], component=gr.UP, steps_file=scene["steps"]))
    assert out.rmse < 3 * SIGMA_GNSS
    assert any("north motion" in w and "assumed north = 0" in w for w in out.warnings)


# bad input


def test_stations_outside_or_without_epochs_are_named_and_the_others_compared(scene, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i in range(3):
        (folder / f"S{i:03d}.tenv3").write_text(open(f"{scene['folder']}/S{i:03d}.tenv3").read())
    old = [tenv3_line("OLD1", datetime.date(2010, 1, 1) + datetime.timedelta(days=k), (0, 0, 0), (0.001,) * 3,
                      (0, 0, 0), float(scene["lat"][0]), float(scene["lon"][0])) for k in range(30)]  # fmt: skip
    (folder / "OLD1.tenv3").write_text(HEADER + "\n" + "\n".join(old) + "\n")
    far = [tenv3_line("FAR1", GNSS_START + datetime.timedelta(days=k), (0, 0, 0), (0.001,) * 3, (0, 0, 0), 10.0,
                      20.0) for k in range(100)]  # fmt: skip
    (folder / "FAR1.tenv3").write_text(HEADER + "\n" + "\n".join(far) + "\n")
    out = gr.compare(gr.SeriesRequest(scene["stack"], str(folder)))
    assert [s.site for s in out.stations] == ["S000", "S001", "S002"]
    text = "\n".join(out.log)
    assert "1 station(s) left out, outside the raster: FAR1" in text
    assert "1 station(s) left out, no GNSS epoch within the InSAR acquisitions" in text and "OLD1" in text


def test_nothing_usable_is_a_clear_error(scene, tmp_path):
    far = [tenv3_line("FAR1", GNSS_START + datetime.timedelta(days=k), (0, 0, 0), (0.001,) * 3, (0, 0, 0), 10.0,
                      20.0) for k in range(10)]  # fmt: skip
    path = tmp_path / "FAR1.tenv3"
    path.write_text(HEADER + "\n" + "\n".join(far) + "\n")
    with pytest.raises(StationError, match="no GNSS station has both.*outside the raster"):
        gr.compare(gr.SeriesRequest(scene["stack"], str(path)))
    with pytest.raises(StationError, match="REFERENCE_STATION NOPE: no such station"):
        run(scene, reference_station="NOPE")
    with pytest.raises(StationError, match="REFERENCE_DATE 2019-01-06: not an acquisition date"):
        run(scene, reference_date=datetime.date(2019, 1, 6))
    with pytest.raises(StationError, match="AVERAGE_DAYS"):
        run(scene, average_days=-1)


def test_averaging_days_and_a_given_reference_date(scene):
    out = run(scene, reference_station="S000", steps_file=scene["steps"], average_days=3,
              reference_date=INSAR_DATES[5])  # fmt: skip
    assert out.reference_date == INSAR_DATES[5]
    st = out.stations[0]
    assert st.insar[5] == 0 and st.gnss[5] == 0 and st.stats.epochs == len(INSAR_DATES) - 1
    # 7 days averaged: the GNSS sigma is that of a mean of 7 days
    s = np.array(s_vector())
    one = math.sqrt(s @ (np.array([[1, 0.2, -0.1], [0.2, 1, 0.3], [-0.1, 0.3, 1]]) * 0.5**2) @ s)
    assert np.allclose(st.gnss_sigma[1:], math.sqrt(2) * one / math.sqrt(7))


def test_station_los_series_is_the_reusable_projection(scene):
    series = gnss_series.read_tenv3(f"{scene['folder']}/S003.tenv3")
    dates, values, sigma = gr.station_los_series(series, s_vector(), 1.0, "mm")
    assert np.allclose(values, scene["written"]["S003"] @ np.array(s_vector()) * 1000, atol=1e-3)
    assert dates.dtype == np.dtype("datetime64[D]") and np.isfinite(sigma).all()


# through Processing


def test_the_algorithm_writes_stations_table_pairs_and_plots(plugin, scene, tmp_path):
    from test_gnss_algorithms import features

    from conftest import run_logged

    out, table, pairs, plots = (tmp_path / f for f in ("st.gpkg", "table.csv", "pairs.csv", "plots"))
    res, log = run_logged("losdecomp:compare_timeseries_to_gnss", {
        "INPUT": scene["stack"], "COMPONENT": 0, "GNSS": scene["folder"], "STEPS_FILE": scene["steps"],
        "REFERENCE_STATION": "S000", "OUTPUT": str(out), "OUTPUT_TABLE": str(table), "OUTPUT_PAIRS": str(pairs),
        "OUTPUT_PLOT": str(plots), "BINS": 5, "MAX_DISTANCE_KM": 40.0})  # fmt: skip
    core = run(scene, steps_file=scene["steps"], reference_station="S000", bins=5, max_distance_km=40.0)
    assert res["STATIONS"] == 11 and res["RMSE"] == pytest.approx(core.rmse)
    assert res["MEDIAN_STATION_RMSE"] == pytest.approx(core.median_station_rmse)
    assert res["REQUIREMENT_BINS"] == int((core.bins.count > 0).sum())
    assert res["REQUIREMENT_BINS_PASSED"] == int(core.bins.passed.sum())
    values, names = features(out)
    assert [x for x in names if x != "fid"] == ["site", "rmse", "bias", "correlation", "epochs", "velocity_difference"]
    rows, tnames = features(table)
    assert [x for x in tnames if x != "fid"] == ["site", "date", "gnss", "insar", "residual", "gnss_sigma"]
    assert len(rows) == 11 * len(INSAR_DATES)
    prow, pnames = features(pairs)
    assert {"site_i", "site_j", "distance_km", "residual"} <= set(pnames) and len(prow) == core.pairs.residual.size
    assert (plots / "stations.png").stat().st_size > 1000 and (plots / "pairs.png").stat().st_size > 1000
    assert "reference station S000" in log and "pairwise test" in log


def test_the_algorithm_refuses_nothing_usable_and_leaves_no_output(plugin, scene, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    far = [tenv3_line("FAR1", GNSS_START + datetime.timedelta(days=k), (0, 0, 0), (0.001,) * 3, (0, 0, 0), 10.0,
                      20.0) for k in range(10)]  # fmt: skip
    path = tmp_path / "FAR1.tenv3"
    path.write_text(HEADER + "\n" + "\n".join(far) + "\n")
    out = tmp_path / "st.gpkg"
    with pytest.raises(QgsProcessingException, match="no GNSS station has both"):
        processing.run("losdecomp:compare_timeseries_to_gnss", {"INPUT": scene["stack"], "GNSS": str(path),
                       "OUTPUT": str(out), "OUTPUT_TABLE": str(tmp_path / "t.csv")})  # fmt: skip
    assert not out.exists()
