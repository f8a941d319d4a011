"""Trust in the GNSS paths (review findings): headerless and NGL MIDAS velocity files are
metres per year whatever the track's unit; a surface fit refuses stations that lie nearly
on a line; GNSS in the line of sight carries a propagated sigma, sqrt(s' C s) with the
correlations, checked by Monte Carlo; a missing sigma stays unknown, and every RMS has a
unit."""

import json

import numpy as np
import pytest
from osgeo import gdal
from test_gnss import centres, field_at, make_field_tracks, ramp, station_pixels, utm_to_lonlat, write
from test_gnss_algorithms import features

from conftest import run_logged
from insar_decomposition.core.io import gnss_plot, gnss_stations
from insar_decomposition.core.io.gnss_stations import StationError
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import gnss_run
from insar_decomposition.core.solve import gnss

#: One station as NGL's MIDAS file gives it (27 columns, metres per year, longitude 0-360).
P123 = (
    "P123 MIDAS5 2008.0000 2023.5000   15.5000   5400   5300   4000 -0.012345  0.004567 -0.001234  0.000210  "
    "0.000180  0.000650 -0.008123  0.002210  0.000910  0.081000  0.075000  0.090000  0.001100  0.001000  "
    "0.003200    2  35.912345  242.456789  1234.56789"
)


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    return make_field_tracks(tmp_path_factory.mktemp("trust_gnss"))


def midas_line(site, v, sigma, lat, lon, height=812.3):
    """A line of NGL's MIDAS velocity file: velocities and sigmas in m/yr, 6 decimals."""
    ve, vn, vu = v
    se, sn, su = sigma
    return (
        f"{site} MIDAS5 2009.1234 2024.0411   14.9177   5201   5087   3920 {ve:9.6f} {vn:9.6f} {vu:9.6f} "
        f"{se:9.6f} {sn:9.6f} {su:9.6f} -0.012000  0.003000  0.001500  0.081000  0.075000  0.090000  "
        f"0.001100  0.001000  0.003200    1 {lat:10.6f} {lon:11.6f} {height:10.5f}"
    )


def station_lonlat(rows, cols):
    x, y = centres()
    sx, sy = x[rows, cols], y[rows, cols]
    lon, lat = utm_to_lonlat(sx, sy)
    return sx, sy, lon, lat


def write_midas(path, rows, cols, drop_sigma_of=None):
    """True field velocities (mm/yr in the tests' field) written in m/yr; every other
    longitude written in 0-360 as NGL may."""
    sx, sy, lon, lat = station_lonlat(rows, cols)
    e, n, u = (c / 1000.0 for c in field_at(sx, sy))
    lines = []
    for i in range(len(rows)):
        su = float("nan") if i == drop_sigma_of else 0.0010
        line = midas_line(f"S{i:03d}", (e[i], n[i], u[i]), (0.0005, 0.0005, su), lat[i],
                          lon[i] + 360.0 * (i % 2))  # fmt: skip
        lines.append(line.replace("      nan", "      NaN"))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# 1. units of headerless tables and the NGL MIDAS file


def test_a_headerless_table_is_metres_per_year_against_a_mm_per_year_track(tracks, tmp_path):
    rows, cols = station_pixels(10, seed=31)
    sx, sy, lon, lat = station_lonlat(rows, cols)
    e, n, u = (c / 1000.0 for c in field_at(sx, sy))
    path = tmp_path / "own.txt"
    path.write_text("".join(f"T{i} {lon[i]:.10f} {lat[i]:.10f} {e[i]:.12f} {n[i]:.12f} {u[i]:.12f} 0.0005 0.0005 "
                            f"0.001\n" for i in range(len(rows))))  # fmt: skip
    stations = gnss_stations.from_table(gnss_stations.read_table(str(path)), {}, unit="")
    cmp_ = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("asc", tracks["asc"]), stations))
    truth = tracks["asc_true"][rows, cols]
    assert np.allclose(cmp_.gnss_los, truth, atol=1e-5), (cmp_.gnss_los / truth)[:3]
    assert np.allclose(cmp_.gnss_sigma, np.hypot(np.hypot(cmp_.samples.s[0] * 0.5, cmp_.samples.s[1] * 0.5),
                                                 cmp_.samples.s[2] * 1.0))  # fmt: skip
    assert any("converted from m/year to mm/year" in line for line in cmp_.log)


def test_the_ngl_midas_file_is_read_with_its_27_columns(tmp_path):
    path = tmp_path / "midas.IGS14.txt"
    path.write_text(P123 + "\n" + midas_line("AB12", (0.001, -0.002, 0.003), (0.0001, 0.0002, 0.0003), -12.5, -60.25))
    stations = gnss_stations.from_table(gnss_stations.read_table(str(path)), {})
    assert stations.names == ["P123", "AB12"]
    assert stations.unit == "m/year"
    v = stations.velocity
    assert (v["ve"][0], v["vn"][0], v["vu"][0]) == (-0.012345, 0.004567, -0.001234)
    assert (v["se"][0], v["sn"][0], v["su"][0]) == (0.000210, 0.000180, 0.000650)
    assert stations.x[0] == pytest.approx(242.456789 - 360.0) and stations.y[0] == pytest.approx(35.912345)
    assert stations.x[1] == pytest.approx(-60.25) and stations.y[1] == pytest.approx(-12.5)
    assert any("MIDAS" in line and "m/year" in line for line in stations.log)


def test_a_midas_file_against_a_mm_per_year_track_and_a_wrong_unit_refused(tracks, tmp_path):
    rows, cols = station_pixels(12, seed=32)
    path = write_midas(tmp_path / "midas.txt", rows, cols)
    stations = gnss_stations.from_table(gnss_stations.read_table(path), {}, unit="")
    cmp_ = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("asc", tracks["asc"]), stations))
    assert cmp_.status == [gnss_run.OK] * 12
    assert np.allclose(cmp_.gnss_los, tracks["asc_true"][rows, cols], atol=2e-3)  # 6 decimals in m/yr
    x, y = centres()
    assert np.allclose(cmp_.residual, ramp(x[rows, cols], y[rows, cols]), atol=2e-3)
    with pytest.raises(StationError, match="MIDAS.*metres per year"):
        gnss_stations.from_table(gnss_stations.read_table(path), {}, unit="mm/year")


def test_a_track_without_a_unit_never_gives_its_unit_to_a_headerless_table(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("A 10.0 45.0 0.001 0.002 0.003\n")
    stations = gnss_stations.from_table(gnss_stations.read_table(str(path)), {})
    assert stations.unit == "m/year"
    factor, line = gnss_stations.unit_factor(stations, "cm/year")
    assert factor == pytest.approx(100.0) and "m/year" in line


# 2. surfaces on stations nearly on a line


def collinear_stations(rng):
    """Six stations within 100 m of a 7 km line across the frame."""
    along = np.linspace(-3500.0, 3500.0, 6)
    across = rng.uniform(-100.0, 100.0, 6)
    a = np.radians(30.0)
    x = 504500.0 + along * np.sin(a) + across * np.cos(a)
    y = 4096500.0 + along * np.cos(a) - across * np.sin(a)
    return x, y


def test_a_plane_on_nearly_collinear_stations_is_refused_in_words():
    rng = np.random.default_rng(7)
    x, y = collinear_stations(rng)
    residual = 4.0 + rng.normal(0.0, 1.0, 6)  # an offset and 1 mm/yr of noise
    with pytest.raises(gnss.SurfaceError) as info:
        fitted = gnss.fit_surface(x, y, residual, gnss.PLANE)
        gx, gy = centres()
        corr = fitted(gx, gy)
        pytest.fail(f"fitted, extrapolating {corr.min():.1f} to {corr.max():.1f} over the frame")
    text = str(info.value)
    assert "plane" in text and "6 stations" in text and "nearly" in text and "line" in text
    assert "offset" in text and "ratio" in text
    with pytest.raises(gnss.SurfaceError, match="quadratic surface"):
        gnss.fit_surface(x, y, residual, gnss.QUADRATIC)
    # an offset has no spatial term: accepted, the mean
    assert gnss.fit_surface(x, y, residual, gnss.OFFSET).coefficients[0] == pytest.approx(residual.mean())


def test_a_plane_on_well_spread_or_elongated_stations_is_recovered():
    rng = np.random.default_rng(8)
    gx, gy = centres()
    truth = gnss.Surface(gnss.PLANE, 504500.0, 4096500.0, 5000.0, (4.0, 1.5, -2.5))
    x, y = 500500.0 + rng.uniform(0, 8000, 8), 4093500.0 + rng.uniform(0, 6000, 8)
    fitted = gnss.fit_surface(x, y, truth(x, y), gnss.PLANE)
    assert np.allclose(fitted(gx, gy), truth(gx, gy), atol=1e-6)
    # two rows of stations, a band four times longer than wide: a usable geometry (ratio 0.35), not a line
    along, across = np.tile(np.linspace(-4000.0, 4000.0, 5), 2), np.repeat([-1000.0, 1000.0], 5)
    assert gnss.spread_ratio(along, across)[0] == pytest.approx(1000.0 / np.sqrt(8e6), rel=1e-9)
    fitted = gnss.fit_surface(504500.0 + along, 4096500.0 + across, truth(504500.0 + along, 4096500.0 + across),
                              gnss.PLANE)  # fmt: skip
    assert np.allclose(fitted(gx, gy), truth(gx, gy), atol=1e-6)


def test_reference_to_gnss_refuses_a_plane_on_collinear_stations_and_writes_nothing(tracks, tmp_path):
    x, y = collinear_stations(np.random.default_rng(9))
    lon, lat = utm_to_lonlat(x, y)
    e, n, u = field_at(x, y)
    columns = {"site": [f"L{i}" for i in range(6)], "ve": e, "vn": n, "vu": u}
    stations = gnss_stations.from_columns(columns, lon, lat, gnss_stations.WGS84_WKT, {}, unit="mm/year")
    out = tmp_path / "never.tif"
    req = gnss_run.ReferenceRequest(TrackInput("a", tracks["asc"]), stations, model=gnss.PLANE, output=str(out))
    with pytest.raises(gnss.SurfaceError, match="plane.*6 stations.*nearly"):
        gnss_run.plan_reference(req)
    assert not out.exists()
    req.model = gnss.OFFSET
    assert gnss_run.plan_reference(req).surface.model == gnss.OFFSET


# 3. and 4. GNSS in the line of sight: a propagated sigma with the correlations


SIGMA = (1.5, 0.6, 2.0)  # mm/yr, east north up
RHO = {"corr_en": 0.3, "corr_eu": -0.7, "corr_nu": 0.2}


def covariance():
    se, sn, su = SIGMA
    r = RHO
    return np.array([
        [se * se, r["corr_en"] * se * sn, r["corr_eu"] * se * su],
        [r["corr_en"] * se * sn, sn * sn, r["corr_nu"] * sn * su],
        [r["corr_eu"] * se * su, r["corr_nu"] * sn * su, su * su],
    ])  # fmt: skip


def correlated_stations(rows, cols, blank=None):
    sx, sy, lon, lat = station_lonlat(rows, cols)
    e, n, u = field_at(sx, sy)
    k = len(rows)
    columns = {"site": [f"C{i}" for i in range(k)], "ve": e, "vn": n, "vu": u,
               "sig_e": [SIGMA[0]] * k, "sig_n": [SIGMA[1]] * k, "sig_u": [SIGMA[2]] * k}  # fmt: skip
    columns.update({name: [value] * k for name, value in RHO.items()})
    if blank:
        columns[blank] = [""] + list(columns[blank][1:])
    return gnss_stations.from_columns(columns, lon, lat, gnss_stations.WGS84_WKT, {}, unit="mm/year")


def test_gnss_los_sigma_is_propagated_with_the_correlations(tracks):
    rows, cols = station_pixels(5, seed=33)
    cmp_ = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("asc", tracks["asc"]), correlated_stations(rows, cols)))
    s = np.column_stack(cmp_.samples.s)
    expect = np.sqrt(np.einsum("ij,jk,ik->i", s, covariance(), s))
    assert np.allclose(cmp_.gnss_sigma, expect, rtol=1e-9), (cmp_.gnss_sigma, expect)
    assert any("correlation" in line for line in cmp_.log)


def test_a_missing_sigma_or_correlation_makes_the_los_sigma_unknown_not_zero(tracks):
    rows, cols = station_pixels(4, seed=34)
    for blank in ("sig_u", "corr_eu"):
        cmp_ = gnss_run.compare_los(
            gnss_run.GnssRequest(TrackInput("asc", tracks["asc"]), correlated_stations(rows, cols, blank))
        )
        assert np.isnan(cmp_.gnss_sigma[0]) and np.isfinite(cmp_.gnss_sigma[1:]).all(), blank
        assert np.isfinite(cmp_.gnss_los).all()


def test_impossible_correlations_give_an_unknown_sigma_not_a_number_of_any_size():
    s = (1.0, 1.0, 1.0)
    assert gnss.los_sigma(s, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0) == pytest.approx(2.0)  # sqrt(3 + 2 * 0.5)
    assert np.isnan(gnss.los_sigma(s, 1.0, 1.0, 1.0, 1.5, 0.0, 0.0))  # |rho| > 1
    assert np.isnan(gnss.los_sigma(s, 1.0, 1.0, 1.0, -0.9, -0.9, -0.9))  # not a covariance: s' C s < 0
    assert np.isnan(gnss.los_sigma(s, 1.0, 1.0, 1.0, np.nan, 0.0, 0.0))


def test_monte_carlo_the_stated_los_sigma_is_the_scatter_of_projected_draws(tracks):
    rows, cols = station_pixels(1, seed=35)
    cmp_ = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("asc", tracks["asc"]), correlated_stations(rows, cols)))
    stations = correlated_stations(rows, cols)
    mean = [stations.velocity[k][0] for k in ("ve", "vn", "vu")]
    draws = np.random.default_rng(2024).multivariate_normal(mean, covariance(), size=1000)
    s = tuple(float(c[0]) for c in cmp_.samples.s)
    scatter = float(np.std(gnss.los(s, draws[:, 0], draws[:, 1], draws[:, 2]), ddof=1))
    stated = float(cmp_.gnss_sigma[0])
    assert stated == pytest.approx(scatter, rel=0.10), (stated, scatter)


def test_statistics_say_spread_and_every_rms_has_a_unit():
    stats = gnss.statistics(np.array([1.0, 2.0, 4.0]))
    text = gnss.describe(stats, "mm/year")
    assert "spread" in text and "RMS 2.646 mm/year" in text
    assert "unit unknown" in gnss.describe(stats, "")
    page = gnss_plot.scatter_html([1.0, 2.0], [1.1, 2.2], ["a", "b"], "t", "", [])
    assert "unit unknown" in page
    _, log = gnss_stations.resolve_fields(["ve", "vn", "vu"], {}, "g")
    assert any("propagated standard deviation is unknown" in line for line in log)


# Through Processing: a MIDAS file with the default unit, the fields' words, NULL sigmas


def test_gnss_to_los_with_a_midas_file_says_propagated_and_leaves_unknown_sigmas_null(plugin, tracks, tmp_path):
    from qgis.core import QgsApplication, QgsFields

    from insar_decomposition.provider import features as gnss_inputs
    from insar_decomposition.provider.gnss.gnss_to_los import GNSS_LOS_SIGMA_ALIAS as ALIAS

    rows, cols = station_pixels(8, seed=36)
    path = write_midas(tmp_path / "midas.txt", rows, cols, drop_sigma_of=2)
    out = tmp_path / "st.gpkg"
    res, log = run_logged("losdecomp:gnss_to_los", {"INPUT": tracks["asc"], "GNSS": path, "OUTPUT": str(out)})
    assert res["COUNT"] == 8
    x, y = centres()
    assert res["RMS"] == pytest.approx(float(np.sqrt(np.mean(ramp(x[rows, cols], y[rows, cols]) ** 2))), abs=2e-3)
    assert "converted from m/year to mm/year" in log
    values, names = features(out)
    by = {v[names.index("site")]: dict(zip(names, v)) for v in values}
    assert by["S002"]["gnss_los_sigma"] is None  # unknown, not 0
    assert by["S001"]["gnss_los_sigma"] > 0
    assert by["S001"]["lon"] > 180  # the file's own column, as written
    # the alias travels with the field where the format keeps one (GeoPackage: QGIS 3.30, GDAL 3.7)
    fields = gnss_inputs.output_fields(QgsFields(), [("gnss_los_sigma", gnss_inputs.DOUBLE, [], ALIAS)])
    assert fields.field("gnss_los_sigma").alias() == ALIAS
    alg = QgsApplication.processingRegistry().algorithmById("losdecomp:gnss_to_los")
    assert "propagated" in alg.shortHelpString() and "s' C s" in alg.shortHelpString()
    assert "MIDAS" in alg.shortHelpString() and "27" in alg.shortHelpString()
    assert "unit" in alg.outputDefinition("RMS").description()
    assert "propagated" in ALIAS.lower()


def test_reference_metadata_states_the_unit_of_its_statistics(tracks, tmp_path):
    rows, cols = station_pixels(12, seed=37)
    path = write_midas(tmp_path / "midas.txt", rows, cols)
    stations = gnss_stations.from_table(gnss_stations.read_table(path), {})
    req = gnss_run.ReferenceRequest(TrackInput("a", tracks["asc"]), stations, model=gnss.PLANE,
                                    output=str(tmp_path / "r.tif"))  # fmt: skip
    out = gnss_run.run_reference(gnss_run.plan_reference(req))
    info = json.loads(gdal.Open(out).GetMetadataItem("LOSDECOMP_GNSS_REFERENCE"))
    assert info["unit"] == "mm/year"
    assert info["after"]["rms"] < 2e-3


def test_north_motion_is_not_judged_against_a_zero_sigma_when_sigma_and_unit_are_unknown(tmp_path):
    x, y = centres()
    e, _, u = field_at(x, y)
    tags = {"LOSDECOMP_CONVENTIONS": "ENU velocity; north assumed zero"}
    east, up = write(tmp_path / "e.tif", e, tags, unit=""), write(tmp_path / "u.tif", u, unit="")
    rows, cols = station_pixels(6, seed=38)
    sx, sy, lon, lat = station_lonlat(rows, cols)
    se, _, su = field_at(sx, sy)
    columns = {"site": [f"N{i}" for i in range(6)], "ve": se, "vn": np.full(6, 0.001), "vu": su}
    stations = gnss_stations.from_columns(columns, lon, lat, gnss_stations.WGS84_WKT, {})
    cmp_ = gnss_run.compare_components(gnss_run.ComponentsRequest(east, up, stations))
    # 0.001 in an unknown unit with no sigma: neither "moving" (against a sigma of 0) nor ignored
    assert not any("GNSS shows north motion" in w for w in cmp_.warnings), cmp_.warnings
    assert any("cannot be judged at 6 station(s)" in w for w in cmp_.warnings), cmp_.warnings
    assert "unit unknown" in "\n".join(cmp_.log)


def test_a_crowded_scatter_names_the_largest_residuals_and_says_so():
    n = gnss_plot.NAMED_MAX + 10
    g = np.arange(n, dtype=float)
    i = g + np.arange(n) * 0.01  # station k's residual grows with k
    page = gnss_plot.scatter_html(g, i, [f"K{k}" for k in range(n)], "t", "mm/year", [], gnss_sigma=np.ones(n))
    assert page.count('class="station"') == gnss_plot.NAMED_MAX and f">K{n - 1}</text>" in page
    assert ">K0</text>" not in page and f"the {gnss_plot.NAMED_MAX} largest" in page
    assert page.count("<circle") == n and page.count("<line") == 1 + n  # every point, every bar
