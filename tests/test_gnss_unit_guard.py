"""The unit guard of merge_frames (``solve.gnss.unit_mismatch``) in every GNSS algorithm that
compares stations with InSAR values: gnss_to_los and reference_to_gnss (``compare_los``),
compare_to_gnss (``compare_components``) and compare_timeseries_to_gnss (``gnss_series_run``).
A station table in mm/year read as m/year (or the reverse) is 1000 times off: refused with the
guard's words and no output; the right unit gives the forward model's answer; a nearly stable
area (GNSS and InSAR both tiny, of the same size) is not mistaken for a unit mistake."""

import datetime
import math
import re

import numpy as np
import pytest
from osgeo import gdal, osr
from test_gnss import centres, field_at, make_field_tracks, ramp, station_pixels, true_stations, write
from test_gnss_algorithms import features, memory_layer, write_csv

from conftest import run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.conventions.errors import StationError
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import gnss_run
from insar_decomposition.core.runs import gnss_series_run as gr
from insar_decomposition.core.solve import gnss


def ratio(text):
    """The ratio GNSS / InSAR the error states."""
    return float(re.search(r"are (\S+) times the InSAR", text).group(1))


WORDS = r"times the InSAR values at the stations.*a unit mistake.*nothing was written"


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    return make_field_tracks(tmp_path_factory.mktemp("unit_guard"))


def refused(algorithm, params, *names):
    """The run's error (QgsProcessingException) with the guard's words and each of ``names``."""
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=WORDS) as caught:
        run_logged(algorithm, params)
    for name in names:
        assert name in str(caught.value)
    return str(caught.value)


def test_the_guard_is_one_function_with_each_callers_words():
    g, d = np.array([3.0, -5.0, 4.0]), np.array([0.003, -0.005, 0.004])
    words = gnss.unit_mismatch(g, d, "m/year", "mm/year")  # merge_frames' default words
    assert "are 1e+03 times" in words and "check the frames' units" in words
    words = gnss.unit_mismatch(d, g, "mm", "m", what="displacements", example="mm against m", advice="check it")
    assert words.startswith("the GNSS displacements, read as mm, are 0.001 times") and words.endswith("check it")
    # a nearly stable area: both tiny, of the same size; and a plate-motion sized ratio (30)
    assert gnss.unit_mismatch(d * 1e-3, 2 * d * 1e-3, "mm/year", "mm/year") is None
    assert gnss.unit_mismatch(30 * d, d, "mm/year", "mm/year") is None


def test_gnss_to_los_and_reference_to_gnss_refuse_mm_per_year_read_as_m_per_year(plugin, tracks, tmp_path):
    rows, cols = station_pixels(20, seed=12)
    csv = write_csv(tmp_path / "mm.csv", rows, cols)  # mm/year values
    out = tmp_path / "out"
    out.mkdir()
    text = refused("losdecomp:gnss_to_los", {"INPUT": tracks["asc"], "GNSS": csv, "GNSS_UNIT": 2,
                                             "OUTPUT": str(out / "s.gpkg")}, "GNSS table mm.csv", " track")  # fmt: skip
    assert "against the asc/vel.geo track" in text and "read as m/year, are" in text and 500 < ratio(text) < 5000
    refused("losdecomp:reference_to_gnss", {"INPUT": tracks["asc"], "GNSS": csv, "GNSS_UNIT": 2, "MODEL": 1,
                                            "OUTPUT": str(out / "r.tif")}, "GNSS table mm.csv")  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == []
    # the right unit: the forward model's residuals (the ramp added to the track), then its removal
    res, _ = run_logged("losdecomp:gnss_to_los", {"INPUT": tracks["asc"], "GNSS": csv, "GNSS_UNIT": 1,
                                                   "OUTPUT": str(out / "s.gpkg")})  # fmt: skip
    x, y = centres()
    values, fields = features(out / "s.gpkg")
    got = {v[fields.index("site")]: v[fields.index("residual")] for v in values}
    assert res["COUNT"] == 20
    assert np.allclose([got[f"S{i:02d}"] for i in range(20)], ramp(x[rows, cols], y[rows, cols]), atol=1e-4)
    res, _ = run_logged("losdecomp:reference_to_gnss", {"INPUT": tracks["asc"], "GNSS": csv, "GNSS_UNIT": 1,
                                                         "MODEL": 1, "OUTPUT": str(out / "r.tif")})  # fmt: skip
    assert res["COUNT"] == 20 and res["RMS"] < 1e-4


def test_a_layer_in_metres_per_year_read_as_mm_per_year_is_refused(plugin, tracks, tmp_path):
    rows, cols = station_pixels(15, seed=13)
    params = {"INPUT": tracks["desc"], "GNSS": memory_layer(rows, cols), "VE_FIELD": "E_rate", "VN_FIELD": "N_rate",
              "VU_FIELD": "U_rate", "GNSS_UNIT": 1, "OUTPUT": str(tmp_path / "o.gpkg")}  # fmt: skip
    text = refused("losdecomp:gnss_to_los", params, "GNSS layer", "desc track")
    assert "read as mm/year, are" in text and 1 / 5000 < ratio(text) < 1 / 500
    assert not (tmp_path / "o.gpkg").exists()
    res, _ = run_logged("losdecomp:gnss_to_los", dict(params, GNSS_UNIT=2))
    assert res["COUNT"] == int((rows >= 5).sum())  # the descending track's nodata strip: rows < 5


def test_compare_to_gnss_refuses_mm_per_year_read_as_m_per_year(plugin, tmp_path):
    x, y = centres()
    e, _, u = field_at(x, y)
    east, up = write(tmp_path / "e.tif", e), write(tmp_path / "u.tif", u)  # a decomposition equal to the field
    rows, cols = station_pixels(25, seed=14)
    csv = write_csv(tmp_path / "g.csv", rows, cols)
    params = {"EAST": east, "UP": up, "GNSS": csv, "GNSS_UNIT": 2, "OUTPUT": str(tmp_path / "c.gpkg"),
              "OUTPUT_PLOT": str(tmp_path / "c.html")}  # fmt: skip
    text = refused("losdecomp:compare_to_gnss", params, "GNSS table g.csv", "e.tif", "u.tif")
    assert "check the decomposition's unit" in text
    assert not (tmp_path / "c.gpkg").exists() and not (tmp_path / "c.html").exists()
    res, _ = run_logged("losdecomp:compare_to_gnss", dict(params, GNSS_UNIT=1))
    assert res["COUNT"] == 25 and res["RMS_EAST"] < 1e-4 and res["RMS_UP"] < 1e-4


def test_a_nearly_stable_area_still_runs_in_core(tracks, tmp_path):
    """GNSS and InSAR both about a thousandth of a mm/year, of the same size: compared, referenced
    (the residuals are the small ramp added), and a decomposition checked, with no refusal."""
    x, y = centres()
    e, n, u = (c * 1e-3 for c in field_at(x, y))
    s = tracks["s_asc"]
    folder = tmp_path / "stable"  # the ascending track's layout: per-pixel E/N/U beside vel.geo.tif
    folder.mkdir()
    for k, name in enumerate("ENU"):
        write(folder / f"{name}.geo.tif", s[k], unit="")
    track = TrackInput("stable", write(folder / "vel.geo.tif", geometry.forward(s, e, n, u) + 1e-3 * ramp(x, y)))
    rows, cols = station_pixels(20, seed=15)
    stations = true_stations(rows, cols, scale=1e-3)
    cmp_ = gnss_run.compare_los(gnss_run.GnssRequest(track, stations))
    assert np.nanmedian(np.abs(cmp_.gnss_los)) < 0.01
    assert np.allclose(cmp_.residual, 1e-3 * ramp(x[rows, cols], y[rows, cols]), atol=1e-6)
    job = gnss_run.plan_reference(gnss_run.ReferenceRequest(track, stations, output=str(tmp_path / "r.tif")))
    assert job.after["rms"] < 1e-6
    east, up = write(tmp_path / "e.tif", e), write(tmp_path / "u.tif", u)
    got = gnss_run.compare_components(gnss_run.ComponentsRequest(east, up, stations))
    assert got.stats_east["rms"] < 1e-6 and got.stats_up["rms"] < 1e-6
    with pytest.raises(StationError, match=WORDS):  # the same stable area, declared in m/year: 1000 times off
        gnss_run.compare_los(gnss_run.GnssRequest(track, true_stations(rows, cols, unit="m/year", scale=1e-3)))


# the time-series comparison: judged on the displacements referenced to the reference date

X0, Y0, PIX, SIZE = -117.60, 36.10, 0.005, 40
HEADING, INCIDENCE = 348.0, 34.0
DATES = [datetime.date(2020, 1, 4) + datetime.timedelta(days=12 * k) for k in range(30)]


def s_vector():
    h, t = math.radians(HEADING), math.radians(INCIDENCE)
    return np.array([-math.cos(h) * math.sin(t), math.sin(h) * math.sin(t), math.cos(t)])


def series_scene(root, scale=1.0, seed=16, positions_in_metres=False):
    """Six stations moving (scale * a few mm/year), their positions in mm on every acquisition
    day in a CSV, and an mm stack equal to their line of sight plus known
    noise (none on the first date, the reference): the residuals are that noise."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(SIZE * SIZE, 6, replace=False)
    rows, cols = cells // SIZE, cells % SIZE
    lon, lat = X0 + (cols + 0.5) * PIX, Y0 - (rows + 0.5) * PIX
    t = np.array([(d - DATES[0]).days for d in DATES]) / 365.25
    rates = scale * rng.uniform(-8.0, 8.0, (6, 3))  # mm/year
    enu = rates[:, None, :] * t[None, :, None] + np.array([1.0e6, -2.0e5, 3.0e3])  # positions, mm
    f = 1e-3 if positions_in_metres else 1.0
    lines = ["site,date,east,north,up,lon,lat"] + [
        f"S{i},{d},{f * enu[i, k, 0]:.9f},{f * enu[i, k, 1]:.9f},{f * enu[i, k, 2]:.9f},{lon[i]:.6f},{lat[i]:.6f}"
        for i in range(6) for k, d in enumerate(DATES)
    ]  # fmt: skip
    csv = root / "series.csv"
    csv.write_text("\n".join(lines) + "\n")
    noise = scale * rng.normal(0.0, 2.0, (6, len(DATES)))
    noise[:, 0] = 0.0
    cube = np.zeros((len(DATES), SIZE, SIZE))
    for i in range(6):
        cube[:, rows[i], cols[i]] += (enu[i] - enu[i, 0]) @ s_vector() + noise[i]
    stack = str(root / "stack.tif")
    ds = gdal.GetDriverByName("GTiff").Create(stack, SIZE, SIZE, len(DATES), gdal.GDT_Float64)
    ds.SetGeoTransform((X0, PIX, 0.0, Y0, 0.0, -PIX))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetMetadata({"INSAR_HEADING": repr(HEADING), "INSAR_INCIDENCE": repr(INCIDENCE), "INSAR_LOOK_SIDE": "right",
                    "INSAR_LOS_SIGN": "toward", "INSAR_UNIT": "mm"})  # fmt: skip
    for k, d in enumerate(DATES):
        band = ds.GetRasterBand(k + 1)
        band.WriteArray(cube[k])
        band.SetNoDataValue(float("nan"))
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
        band.SetUnitType("mm")
    ds = None
    return str(csv), stack, float(np.sqrt(np.mean(noise[:, 1:] ** 2)))


def test_compare_timeseries_to_gnss_refuses_mm_positions_read_as_metres(plugin, tmp_path):
    csv, stack, rmse = series_scene(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    params = {"INPUT": stack, "COMPONENT": 0, "GNSS": csv, "GNSS_UNIT": 3, "OUTPUT": str(out / "st.gpkg"),
              "OUTPUT_TABLE": str(out / "t.csv"), "OUTPUT_PAIRS": str(out / "p.csv")}  # fmt: skip
    text = refused("losdecomp:compare_timeseries_to_gnss", params, f"GNSS {csv}", f"InSAR stack {stack}")
    assert "GNSS displacements (referenced to the reference date), read as m, are" in text and 500 < ratio(text) < 2000
    assert sorted(p.name for p in out.iterdir()) == []
    res, _ = run_logged("losdecomp:compare_timeseries_to_gnss", dict(params, GNSS_UNIT=1))
    assert res["STATIONS"] == 6 and res["RMSE"] == pytest.approx(rmse, rel=1e-6)


def test_a_stable_area_time_series_still_runs_and_metres_read_as_mm_are_refused(tmp_path):
    stable, mm = tmp_path / "stable", tmp_path / "mm"
    stable.mkdir()
    mm.mkdir()
    csv, stack, rmse = series_scene(stable, scale=1e-3)  # micrometres: both series tiny, of the same size
    got = gr.compare(gr.SeriesRequest(stack, csv, gnss_unit="mm"))
    assert len(got.stations) == 6 and got.rmse == pytest.approx(rmse, rel=1e-4)
    csv, stack, _ = series_scene(mm, positions_in_metres=True)
    with pytest.raises(StationError, match=WORDS) as caught:
        gr.compare(gr.SeriesRequest(stack, csv, gnss_unit="mm"))
    assert "read as mm, are" in str(caught.value) and 1 / 2000 < ratio(str(caught.value)) < 1 / 500
    got = gr.compare(gr.SeriesRequest(stack, csv, gnss_unit="m"))
    assert len(got.stations) == 6


def test_a_track_referenced_at_its_stations_is_not_taken_for_a_unit_mistake():
    """One or two stations: not judged (a track referenced at its one GNSS station is about 0
    there by construction). Several stations, most near the reference: GNSS too large is
    judged against the InSAR values' spread too, not their small median alone."""
    itrf = np.array([20.0, 15.0, 18.0, 16.0, 17.0])  # mm/year in the line of sight, correct
    assert gnss.unit_mismatch(itrf[:1], np.array([0.02]), "mm/year", "mm/year") is None
    assert gnss.unit_mismatch(itrf[:2], np.array([0.02, -0.01]), "mm/year", "mm/year") is None
    near = np.array([0.02, -0.03, 0.01, 2.5, -3.0])  # three stations by the reference, two away
    assert gnss.unit_mismatch(itrf, near, "mm/year", "mm/year") is None
    # the same stations' mm/year read as m/year: still refused, against the spread as well
    assert "a unit mistake" in gnss.unit_mismatch(itrf * 1000, near, "m/year", "mm/year")
    # and m/year read as mm/year against a track 10 mm/year off (judged on magnitudes: 1/590)
    assert "a unit mistake" in gnss.unit_mismatch(itrf / 1000, near + 10.0, "mm/year", "mm/year")
