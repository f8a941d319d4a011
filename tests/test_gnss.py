"""GNSS beside InSAR in core: known answers from a synthetic 3-D field seen by two tracks
with an offset and a ramp added, stations with the true velocities; field recognition,
text tables, units, signs, surfaces, and stations that cannot be used."""

import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from osgeo import gdal, osr

import synthetic_scene as scene
from conftest import read_band
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.conventions.schema import track_tags
from insar_decomposition.core.io import gnss_stations
from insar_decomposition.core.io.gnss_stations import StationError
from insar_decomposition.core.io.model import HORIZONTAL, UP
from insar_decomposition.core.plan.decompose import Request, plan
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine, gnss_run
from insar_decomposition.core.solve import gnss

EPSG = 32611
GT = (500000.0, 100.0, 0.0, 4100000.0, 0.0, -100.0)
SHAPE = (70, 90)
ASC_HEADING, DESC_HEADING = 348.0, 192.0


def centres(gt=GT, shape=SHAPE):
    x = gt[0] + (np.arange(shape[1]) + 0.5) * gt[1]
    y = gt[3] + (np.arange(shape[0]) + 0.5) * gt[5]
    return np.meshgrid(x, y)


def field_at(x, y):
    """A smooth 3-D velocity field (mm/year) with north motion."""
    xs, ys = (x - 504500.0) / 4000.0, (y - 4096500.0) / 4000.0
    return 3.0 + 2.0 * np.sin(xs), -1.5 + 0.8 * ys, -6.0 * np.exp(-(xs**2 + ys**2))


def ramp(x, y, offset=4.0, ax=1.5, ay=-2.5):
    return offset + ax * (x - 504000.0) / 5000.0 + ay * (y - 4097000.0) / 5000.0


def write(path, array, metadata=None, unit="mm/year"):
    return scene.write_raster(str(path), np.asarray(array, np.float32), EPSG, GT, float("nan"), metadata, unit)


@pytest.fixture(scope="module")
def field_tracks(tmp_path_factory):
    return make_field_tracks(tmp_path_factory.mktemp("gnss"))


def make_field_tracks(root):
    """An ascending frame with per-pixel E/N/U (incidence varying across the swath) and a
    descending track with tagged single angles, each with an offset and a ramp added."""
    x, y = centres()
    e, n, u = field_at(x, y)
    asc = root / "asc"
    asc.mkdir()
    inc = np.linspace(31.0, 45.0, SHAPE[1])[None, :] + np.zeros(SHAPE)
    s_asc = geometry.from_heading_incidence(ASC_HEADING, inc)
    for name, comp in zip("ENU", s_asc):
        write(asc / f"{name}.geo.tif", comp, unit="")
    asc_true = geometry.forward(s_asc, e, n, u)
    asc_path = write(asc / "vel.geo.tif", asc_true + ramp(x, y))
    s_desc = geometry.from_heading_incidence(DESC_HEADING, 38.0)
    desc_true = geometry.forward(s_desc, e, n, u)
    desc_data = desc_true + ramp(x, y, -2.0, -1.0, 0.7)
    desc_data[:5, :] = np.nan  # a nodata strip
    tags = track_tags(DESC_HEADING, 38.0, "right", "toward", "mm/year")
    desc_path = write(root / "desc.tif", desc_data, tags)
    return {"root": root, "asc": asc_path, "desc": desc_path, "asc_true": asc_true, "desc_true": desc_true,
            "s_asc": s_asc, "s_desc": s_desc}  # fmt: skip


def utm_to_lonlat(x, y):
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(EPSG)
    dst.ImportFromEPSG(4326)
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    pts = osr.CoordinateTransformation(src, dst).TransformPoints(np.column_stack([x, y]).tolist())
    return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])


def station_pixels(count, seed=1):
    rng = np.random.default_rng(seed)
    rows = rng.integers(8, SHAPE[0] - 3, count)
    cols = rng.integers(3, SHAPE[1] - 3, count)
    return rows, cols


def true_stations(rows, cols, unit="mm/year", scale=1.0, sigma=0.5):
    """Stations at pixel centres (given in WGS 84) with the true velocities."""
    x, y = centres()
    sx, sy = x[rows, cols], y[rows, cols]
    e, n, u = field_at(sx, sy)
    lon, lat = utm_to_lonlat(sx, sy)
    columns = {"site": [f"S{i:02d}" for i in range(len(rows))], "ve": e * scale, "vn": n * scale, "vu": u * scale,
               "se": np.full(len(rows), sigma * scale), "sn": np.full(len(rows), sigma * scale),
               "su": np.full(len(rows), 2 * sigma * scale)}  # fmt: skip
    return gnss_stations.from_columns(columns, lon, lat, gnss_stations.WGS84_WKT, {}, unit=unit)


def test_gnss_los_is_the_projection_and_residuals_are_the_offset_and_ramp(field_tracks):
    rows, cols = station_pixels(25)
    stations = true_stations(rows, cols)
    cmp_ = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("ascending", field_tracks["asc"]), stations))
    assert cmp_.status == [gnss_run.OK] * 25
    s = tuple(c[rows, cols] for c in field_tracks["s_asc"])
    assert np.allclose(cmp_.samples.s, s, atol=1e-6)
    assert np.allclose(cmp_.gnss_los, field_tracks["asc_true"][rows, cols], atol=1e-5)
    x, y = centres()
    assert np.allclose(cmp_.residual, ramp(x[rows, cols], y[rows, cols]), atol=1e-4)
    # sigma^2 = sum (s_k sigma_k)^2
    expect = np.sqrt((s[0] * 0.5) ** 2 + (s[1] * 0.5) ** 2 + (s[2] * 1.0) ** 2)
    assert np.allclose(cmp_.gnss_sigma, expect)
    assert cmp_.stats["count"] == 25
    assert math.isclose(cmp_.stats["bias"], float(np.mean(ramp(x[rows, cols], y[rows, cols]))), rel_tol=1e-5)


def test_units_and_the_away_sign_convention(field_tracks, tmp_path):
    rows, cols = station_pixels(12, seed=3)
    in_metres = true_stations(rows, cols, unit="m/year", scale=1e-3)
    ref = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("d", field_tracks["desc"]), true_stations(rows, cols)))
    got = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("d", field_tracks["desc"]), in_metres))
    assert np.allclose(got.gnss_los, ref.gnss_los, atol=1e-9)
    assert any("converted from m/year to mm/year" in line for line in got.log)
    same = true_stations(rows, cols, unit="mm/year")
    assert gnss_stations.unit_factor(same, "mm/year") == (1.0, "GNSS: velocities in mm/year, as the track")
    assert not any("converted" in line for line in gnss_run.compare_los(
        gnss_run.GnssRequest(TrackInput("d", field_tracks["desc"]), same)).log)  # fmt: skip
    # the same data stored as range increase: GNSS is projected with the track's sign
    away = write(
        tmp_path / "away.tif", -read_band(field_tracks["desc"]), track_tags(DESC_HEADING, 38.0, "right", "away")
    )
    flipped = gnss_run.compare_los(
        gnss_run.GnssRequest(TrackInput("d", away, los_sign=geometry.AWAY), true_stations(rows, cols))
    )
    assert np.allclose(flipped.gnss_los, -ref.gnss_los, atol=1e-9)
    assert np.allclose(flipped.residual, -ref.residual, atol=1e-4, equal_nan=True)


def test_referencing_removes_the_ramp_and_decompose_reads_the_result_unaided(field_tracks, tmp_path):
    rows, cols = station_pixels(30, seed=5)
    stations = true_stations(rows, cols)
    outputs = {}
    for name, key in (("ascending", "asc"), ("descending", "desc")):
        req = gnss_run.ReferenceRequest(TrackInput(name, field_tracks[key]), stations, model=gnss.PLANE,
                                        output=str(tmp_path / f"{key}_gnss.tif"))  # fmt: skip
        job = gnss_run.plan_reference(req)
        outputs[key] = gnss_run.run_reference(job)
        assert job.after["rms"] < 1e-4
        assert job.comparison.stats["rms"] > 1.0
        got = read_band(outputs[key])
        truth = field_tracks[f"{key}_true"]
        ok = np.isfinite(got)
        assert ok.sum() > 0.9 * truth.size
        assert np.allclose(got[ok], truth[ok], atol=2e-4)
    # decompose reads the referenced tracks with no angle typed: per-pixel E/N/U bands for the
    # ascending one, heading/incidence tags for the descending one
    out = {HORIZONTAL: str(tmp_path / "east.tif"), UP: str(tmp_path / "up.tif")}
    p = plan(Request([TrackInput("ascending", outputs["asc"]), TrackInput("descending", outputs["desc"])], out))
    assert any("geometry per pixel" in line for line in p.log)
    engine.run(p.job)
    x, y = centres()
    e, n, u = field_at(x, y)
    # decompose assumes north zero: the north motion leaks into its east as the 2x2 solve says
    s_a, s_d = field_tracks["s_asc"], field_tracks["s_desc"]
    d_a, d_d = field_tracks["asc_true"], field_tracks["desc_true"]
    det = s_a[0] * s_d[2] - s_a[2] * s_d[0]
    east_expect = (d_a * s_d[2] - d_d * s_a[2]) / det
    got = read_band(out[HORIZONTAL])
    ok = np.isfinite(got)
    assert ok.sum() > 0.8 * got.size
    assert np.allclose(got[ok], east_expect[ok], atol=1e-3)


def test_an_offset_is_removed_exactly(field_tracks, tmp_path):
    path = write(tmp_path / "shifted.tif", field_tracks["desc_true"] - 7.5, track_tags(DESC_HEADING, 38.0))
    rows, cols = station_pixels(4, seed=9)
    req = gnss_run.ReferenceRequest(TrackInput("d", path), true_stations(rows, cols), model=gnss.OFFSET,
                                    output=str(tmp_path / "tied.tif"))  # fmt: skip
    job = gnss_run.plan_reference(req)
    assert job.surface.coefficients[0] == pytest.approx(-7.5, abs=1e-4)
    assert np.allclose(read_band(gnss_run.run_reference(job)), field_tracks["desc_true"], atol=2e-4)


def test_a_quadratic_surface_is_removed_exactly(field_tracks, tmp_path):
    x, y = centres()
    xs, ys = (x - 504000.0) / 5000.0, (y - 4097000.0) / 5000.0
    curved = field_tracks["desc_true"] + 1.0 + 0.5 * xs - 0.3 * ys + 0.8 * xs**2 - 0.4 * xs * ys + 0.2 * ys**2
    path = write(tmp_path / "curved.tif", curved, track_tags(DESC_HEADING, 38.0, "right", "toward", "mm/year"))
    rows, cols = station_pixels(20, seed=8)
    req = gnss_run.ReferenceRequest(TrackInput("d", path), true_stations(rows, cols), model=gnss.QUADRATIC,
                                    output=str(tmp_path / "flat.tif"))  # fmt: skip
    out = gnss_run.run_reference(gnss_run.plan_reference(req))
    assert np.allclose(read_band(out), field_tracks["desc_true"], atol=2e-4)
    ds = gdal.Open(out)
    assert ds.GetRasterBand(1).GetUnitType() == "mm/year"
    assert "quadratic surface" in ds.GetMetadataItem("LOSDECOMP_GNSS_REFERENCE")
    assert float(ds.GetMetadataItem("INSAR_HEADING")) == pytest.approx(DESC_HEADING)


def test_the_radius_takes_the_median_of_the_valid_pixels(field_tracks):
    rows, cols = station_pixels(6, seed=11)
    stations = true_stations(rows, cols)
    near = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("a", field_tracks["asc"]), stations, radius=0.0))
    wide = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("a", field_tracks["asc"]), stations, radius=250.0))
    assert (near.samples.count == 1).all()
    assert (wide.samples.count == 21).all()  # pixel centres within 2.5 pixels: 21 of a 5x5 window
    data = read_band(field_tracks["asc"])
    r, c = int(rows[0]), int(cols[0])
    win = data[r - 2 : r + 3, c - 2 : c + 3]
    dy, dx = np.mgrid[-2:3, -2:3]
    assert wide.samples.value[0] == pytest.approx(float(np.median(win[np.hypot(dx, dy) <= 2.5])), abs=1e-6)
    assert wide.samples.spread[0] == pytest.approx(float(win[np.hypot(dx, dy) <= 2.5].std()), abs=1e-5)
    assert (near.samples.spread == 0).all()


def test_stations_outside_on_nodata_or_incomplete_are_reported_not_fatal(field_tracks):
    x, y = centres()
    sx = np.array([x[20, 20], x[2, 30], GT[0] - 5000.0, x[40, 40], x[30, 10]])
    sy = np.array([y[20, 20], y[2, 30], y[10, 10], y[40, 40], y[30, 10]])
    e, n, u = field_at(sx, sy)
    u = u.copy()
    columns = {"name": ["in", "strip", "away", "noup", "in2"], "east": e, "north": n,
               "up": [u[0], u[1], u[2], "", u[4]]}  # fmt: skip
    stations = gnss_stations.from_columns(columns, sx, sy, scene.srs_of(EPSG).ExportToWkt(), {}, unit="mm/year")
    cmp_ = gnss_run.compare_los(gnss_run.GnssRequest(TrackInput("d", field_tracks["desc"]), stations))
    assert cmp_.status == [gnss_run.OK, gnss_run.NO_DATA, gnss_run.OUTSIDE, gnss_run.MISSING, gnss_run.OK]
    text = "\n".join(cmp_.log)
    assert "1 station(s) left out, on nodata: strip" in text
    assert "1 station(s) left out, outside the raster: away" in text
    assert "1 station(s) left out, missing GNSS values: noup" in text
    assert cmp_.stats["count"] == 2
    assert np.isnan(cmp_.gnss_sigma).all()  # no sigma fields
    assert any("standard deviation is unknown" in line for line in cmp_.log)


def test_no_station_inside_is_an_error_and_writes_nothing(field_tracks, tmp_path):
    columns = {"ve": [1.0, 2.0], "vn": [0.0, 0.0], "vu": [1.0, 1.0]}
    far = gnss_stations.from_columns(columns, [10.0, 11.0], [45.0, 46.0], gnss_stations.WGS84_WKT, {})
    out = tmp_path / "never.tif"
    req = gnss_run.ReferenceRequest(TrackInput("d", field_tracks["desc"]), far, output=str(out))
    with pytest.raises(StationError, match="no station has both GNSS and d track values .*2 outside"):
        gnss_run.plan_reference(req)
    assert not out.exists() and os.listdir(tmp_path) == []


def test_field_recognition_and_named_fields():
    fields, _ = gnss_stations.resolve_fields(
        ["Site", "VE (mm/yr)", "v_n", "Vel_Up", "sig_e", "SN", "Up_Sigma"], {}, "g"
    )
    assert fields == {"ve": "VE (mm/yr)", "vn": "v_n", "vu": "Vel_Up", "se": "sig_e", "sn": "SN", "su": "Up_Sigma"}
    fields, _ = gnss_stations.resolve_fields(["a", "b", "c"], {"ve": "a", "vn": "b", "vu": "c"}, "g")
    assert fields["ve"] == "a" and fields["se"] is None
    with pytest.raises(StationError, match="has no field 'vx_wrong'"):
        gnss_stations.resolve_fields(["ve", "vn", "vu"], {"ve": "vx_wrong"}, "g")
    with pytest.raises(StationError, match="no field recognised for the up velocity"):
        gnss_stations.resolve_fields(["ve", "vn", "height"], {}, "g")


def test_text_tables_with_a_header_and_midas_style(tmp_path):
    csv = tmp_path / "gnss.csv"
    csv.write_text(
        "# a comment\nstation,longitude,latitude,ve,vn,vu\nAAAA,30.1,40.2,0.01,0.002,-0.003\nBBBB,30.3,40.4,,1,2\n"
    )
    st_ = gnss_stations.from_table(gnss_stations.read_table(str(csv)), {}, unit="m/year")
    assert st_.names == ["AAAA", "BBBB"] and st_.x.tolist() == [30.1, 30.3]
    assert st_.complete().tolist() == [True, False]
    midas = tmp_path / "midas.txt"
    midas.write_text("P123  -117.5  35.9  0.0123 -0.0045 0.0011 0.0002 0.0002 0.0008\nP124 -117.6 36.0 1 2 3 4 5 6\n")
    st_ = gnss_stations.from_table(gnss_stations.read_table(str(midas)), {})
    assert st_.names == ["P123", "P124"]
    assert st_.velocity["ve"][0] == 0.0123 and st_.velocity["su"][1] == 6.0
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3\n")
    with pytest.raises(StationError, match="no header line and 3 columns"):
        gnss_stations.read_table(str(bad))
    nolonlat = tmp_path / "xy.csv"
    nolonlat.write_text("easting,northing,ve,vn,vu\n1,2,3,4,5\n")
    with pytest.raises(StationError, match="no longitude/latitude columns"):
        gnss_stations.from_table(gnss_stations.read_table(str(nolonlat)), {})


def test_surfaces_need_enough_well_spread_stations():
    with pytest.raises(gnss.SurfaceError, match="needs at least 3 stations"):
        gnss.fit_surface([0, 1], [0, 1], [1, 2], gnss.PLANE)
    with pytest.raises(gnss.SurfaceError, match="lie on a line"):
        gnss.fit_surface([0, 1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 4], gnss.PLANE)


@settings(max_examples=60, deadline=None)
@given(
    coef=st.lists(st.floats(-10, 10), min_size=6, max_size=6),
    model=st.sampled_from([gnss.OFFSET, gnss.PLANE, gnss.QUADRATIC]),
    seed=st.integers(0, 10_000),
    origin=st.sampled_from([(0.0, 0.0), (30.0, 40.0), (500000.0, 4100000.0)]),
    extent=st.sampled_from([0.1, 1.0, 50000.0]),
)
def test_a_surface_is_recovered_from_stations_anywhere(coef, model, seed, origin, extent):
    rng = np.random.default_rng(seed)
    x = origin[0] + rng.uniform(-extent, extent, 15)
    y = origin[1] + rng.uniform(-extent, extent, 15)
    truth = gnss.Surface(model, origin[0], origin[1], extent, tuple(coef[: gnss.TERMS[model]]))
    fitted = gnss.fit_surface(x, y, truth(x, y), model)
    gx = origin[0] + rng.uniform(-extent, extent, 50)
    gy = origin[1] + rng.uniform(-extent, extent, 50)
    assert np.allclose(fitted(gx, gy), truth(gx, gy), atol=1e-6 * (1 + max(abs(c) for c in coef)))


@settings(max_examples=60, deadline=None)
@given(
    heading=st.floats(0, 360), incidence=st.floats(15, 50), side=st.sampled_from(geometry.LOOK_SIDES),
    v=st.tuples(*[st.floats(-50, 50)] * 3), sign=st.sampled_from(geometry.LOS_SIGNS),
)  # fmt: skip
def test_gnss_los_matches_the_forward_model(heading, incidence, side, v, sign):
    s = geometry.from_heading_incidence(heading, incidence, side)
    expect = geometry.sign_factor(sign) * float(geometry.forward(s, *v))
    assert gnss.los(s, *v, geometry.sign_factor(sign)) == pytest.approx(expect, abs=1e-9)


def test_compare_components_and_the_north_caveat(field_tracks, tmp_path):
    x, y = centres()
    e, n, u = field_at(x, y)
    east = write(tmp_path / "east.tif", e, {"LOSDECOMP_CONVENTIONS": "ENU velocity; north assumed zero"})
    up = write(tmp_path / "up.tif", u + 0.5)
    rows, cols = station_pixels(15, seed=21)
    cmp_ = gnss_run.compare_components(gnss_run.ComponentsRequest(east, up, true_stations(rows, cols)))
    assert np.allclose(cmp_.east_residual, 0, atol=1e-5)
    assert np.allclose(cmp_.up_residual, 0.5, atol=1e-5)
    assert cmp_.stats_up["rms"] == pytest.approx(0.5, abs=1e-5)
    assert any("GNSS shows north motion" in w for w in cmp_.warnings)  # the field moves north
    # along an azimuth: GNSS projected on it
    east_az = write(tmp_path / "h30.tif", e * math.sin(math.radians(30)) + n * math.cos(math.radians(30)),
                    {"LOSDECOMP_OPTIONS": '{"horizontal_azimuth": 30}'})  # fmt: skip
    cmp_ = gnss_run.compare_components(gnss_run.ComponentsRequest(east_az, up, true_stations(rows, cols)))
    assert np.allclose(cmp_.east_residual, 0, atol=1e-5)
