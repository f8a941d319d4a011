"""losdecomp:gnss_to_los, reference_to_gnss and compare_to_gnss through Processing: a station
table and a point layer in another CRS, the outputs' fields, the plot, qgis_process, bad
input; and the NAF frames against pseudo-stations sampled from the GNSS velocity grids."""

import json
import os
import subprocess

import numpy as np
import pytest
from osgeo import gdal
from test_gnss import centres, field_at, make_field_tracks, ramp, station_pixels, utm_to_lonlat

from conftest import QGIS_PROCESS, read_band, run_logged
from insar_decomposition.core.io import gnss_stations


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    return make_field_tracks(tmp_path_factory.mktemp("gnss_alg"))


def write_csv(path, rows, cols, drop_up_of=None, extra_rows=()):
    x, y = centres()
    sx, sy = x[rows, cols], y[rows, cols]
    e, n, u = field_at(sx, sy)
    lon, lat = utm_to_lonlat(sx, sy)
    lines = ["site,lon,lat,vel_e,vel_n,vel_u,sig_e,sig_n,sig_u"]
    for i in range(len(rows)):
        up = "" if i == drop_up_of else f"{u[i]:.9f}"
        lines.append(f"S{i:02d},{lon[i]:.10f},{lat[i]:.10f},{e[i]:.9f},{n[i]:.9f},{up},0.5,0.5,1.0")
    lines += list(extra_rows)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def memory_layer(rows, cols, crs="EPSG:3857"):
    """A point layer in Web Mercator with oddly named fields."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsPointXY,
        QgsProject,
        QgsVectorLayer,
    )

    layer = QgsVectorLayer(f"Point?crs={crs}&field=code:string&field=E_rate:double&field=N_rate:double"
                           "&field=U_rate:double", "stations", "memory")  # fmt: skip
    x, y = centres()
    sx, sy = x[rows, cols], y[rows, cols]
    e, n, u = field_at(sx, sy)
    ct = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:32611"), QgsCoordinateReferenceSystem(crs), QgsProject.instance()
    )
    feats = []
    for i in range(len(rows)):
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(ct.transform(QgsPointXY(sx[i], sy[i]))))
        f.setAttributes([f"M{i}", float(e[i]) / 1000, float(n[i]) / 1000, float(u[i]) / 1000])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    return layer


def features(path):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(str(path), "out", "ogr")
    assert layer.isValid(), path

    def plain(v):  # QGIS's NULL is a null QVariant
        return None if v is None or (hasattr(v, "isNull") and v.isNull()) else v

    return [[plain(v) for v in f.attributes()] for f in layer.getFeatures()], [f.name() for f in layer.fields()]


def test_gnss_to_los_from_a_table_writes_stations_statistics_and_a_plot(plugin, tracks, tmp_path):
    rows, cols = station_pixels(20, seed=2)
    csv = write_csv(tmp_path / "gnss.csv", rows, cols, drop_up_of=3,
                    extra_rows=["FAR,10.0,45.0,1,1,1,0.5,0.5,1"])  # fmt: skip
    out, plot = tmp_path / "st.gpkg", tmp_path / "plot.html"
    res, log = run_logged("losdecomp:gnss_to_los", {"INPUT": tracks["asc"], "GNSS": csv, "GNSS_UNIT": 1,
                                                     "OUTPUT": str(out), "OUTPUT_PLOT": str(plot)})  # fmt: skip
    values, names = features(out)
    assert names[-7:] == ["gnss_los", "gnss_los_sigma", "insar_los", "insar_count", "insar_spread", "residual",
                          "status"]  # fmt: skip
    assert names[:3] == ["fid", "site", "lon"] or names[:2] == ["site", "lon"]
    by = {v[names.index("site")]: dict(zip(names, v)) for v in values}
    assert by["FAR"]["status"] == "outside the raster" and by["FAR"]["residual"] is None
    assert by["S03"]["status"] == "missing GNSS values"
    assert res["COUNT"] == 19
    x, y = centres()
    expect = ramp(x[rows, cols], y[rows, cols])
    got = np.array([by[f"S{i:02d}"]["residual"] for i in range(20) if i != 3], dtype=float)
    assert np.allclose(got, np.delete(expect, 3), atol=1e-4)
    assert res["BIAS"] == pytest.approx(float(np.delete(expect, 3).mean()), abs=1e-4)
    assert "1 station(s) left out, outside the raster: FAR" in log
    text = plot.read_text()
    assert "<svg" in text and text.count("<circle") == 19 and "RMS" in text
    # names written beside the points (not only on hover), +/-1 sigma bars of GNSS in the LOS
    assert text.count('class="station"') == 19 and ">S00</text>" in text
    assert text.count("<line") == 1 + 19 and "propagated standard deviation" in text.lower()  # 1:1 line + 19 bars


def test_a_point_layer_in_another_crs_with_named_fields_in_metres(plugin, tracks, tmp_path):
    rows, cols = station_pixels(15, seed=4)
    layer = memory_layer(rows, cols)
    params = {"INPUT": tracks["desc"], "GNSS": layer, "VE_FIELD": "E_rate", "VN_FIELD": "N_rate",
              "VU_FIELD": "U_rate", "GNSS_UNIT": 2, "OUTPUT": str(tmp_path / "o.gpkg")}  # fmt: skip
    res, log = run_logged("losdecomp:gnss_to_los", params)
    values, names = features(tmp_path / "o.gpkg")
    assert "code" in names and "E_rate" in names
    x, y = centres()
    ok = rows >= 5  # the descending track has a nodata strip on its first rows
    assert res["COUNT"] == int(ok.sum())
    got = {v[names.index("code")]: v[names.index("residual")] for v in values}
    expect = ramp(x[rows, cols], y[rows, cols], -2.0, -1.0, 0.7)
    for i in np.flatnonzero(ok):
        assert got[f"M{i}"] == pytest.approx(expect[i], abs=1e-4)
    assert "converted from m/year to mm/year" in log


def test_reference_then_decompose_then_compare(plugin, tracks, tmp_path):
    rows, cols = station_pixels(30, seed=6)
    csv = write_csv(tmp_path / "g.csv", rows, cols)
    referenced = {}
    for key in ("asc", "desc"):
        res, log = run_logged("losdecomp:reference_to_gnss", {"INPUT": tracks[key], "GNSS": csv, "MODEL": 1,
                                                               "OUTPUT": str(tmp_path / f"{key}.tif")})  # fmt: skip
        referenced[key] = res["OUTPUT"]
        assert res["RMS"] < 1e-4 and res["COUNT"] == 30
        assert "fitted plane" in log
        got = read_band(res["OUTPUT"])
        ok = np.isfinite(got)
        assert ok.sum() > 0.9 * got.size and np.allclose(got[ok], tracks[f"{key}_true"][ok], atol=2e-4)
    dec, log = run_logged("losdecomp:decompose", {"ASCENDING": referenced["asc"], "DESCENDING": referenced["desc"],
                                                   "OUTPUT_EAST": str(tmp_path / "e.tif"),
                                                   "OUTPUT_UP": str(tmp_path / "u.tif")})  # fmt: skip
    assert "geometry per pixel" in log
    plot = tmp_path / "compare.html"
    res, log = run_logged("losdecomp:compare_to_gnss", {"EAST": dec["OUTPUT_EAST"], "UP": dec["OUTPUT_UP"],
                                                         "GNSS": csv, "OUTPUT": str(tmp_path / "c.gpkg"),
                                                         "OUTPUT_PLOT": str(plot)})  # fmt: skip
    assert res["OUTPUT_PLOT"] == str(plot)
    page = plot.read_text()
    # two scatters (east, up), every station named beside its point in each, bars from the
    # stations' a-priori sigmas (0.5 east, 1.0 up: 30 of each), the residual statistics with units
    assert page.count("<svg") == 2 and page.count("<circle") == 60 and page.count('class="station"') == 60
    assert page.count(">S07</text>") == 2 and page.count("<line") - page.count("stroke-dasharray") == 60
    assert "East: decomposition against GNSS" in page and "Up residual (decomposition - GNSS)" in page
    assert "RMS" in page and "mm/year" in page and "a-priori" in page.lower()
    values, names = features(tmp_path / "c.gpkg")
    assert {"east_gnss", "east_insar", "east_residual", "up_gnss", "up_insar", "up_residual"} <= set(names)
    assert res["COUNT"] == 30
    # the field moves north and decompose assumed north = 0: the caveat is stated, and the
    # residuals are exactly the north leakage of the 2x2 solve
    assert "GNSS shows north motion" in log
    sa = tuple(c[rows, cols] for c in tracks["s_asc"])
    sd = tuple(np.broadcast_to(c, rows.shape) if np.ndim(c) == 0 else c[rows, cols] for c in tracks["s_desc"])
    x, y = centres()
    e, n, u = field_at(x[rows, cols], y[rows, cols])
    d_a, d_d = (s[0] * e + s[1] * n + s[2] * u for s in (sa, sd))
    det = sa[0] * sd[2] - sa[2] * sd[0]
    leak_east = (d_a * sd[2] - d_d * sa[2]) / det - e
    leak_up = (sa[0] * d_d - sd[0] * d_a) / det - u
    by = {v[names.index("site")]: dict(zip(names, v)) for v in values}
    got_e = np.array([by[f"S{i:02d}"]["east_residual"] for i in range(30)])
    got_u = np.array([by[f"S{i:02d}"]["up_residual"] for i in range(30)])
    assert np.allclose(got_e, leak_east, atol=1e-3) and np.allclose(got_u, leak_up, atol=1e-3)
    assert res["RMS_EAST"] == pytest.approx(float(np.sqrt(np.mean(leak_east**2))), rel=1e-3)


def test_no_station_inside_is_refused_with_no_output(plugin, tracks, tmp_path):
    from qgis.core import QgsProcessingException

    far = tmp_path / "far.txt"
    far.write_text("A 10.0 45.0 1 1 1\nB 11.0 46.0 1 1 1\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(QgsProcessingException, match=r"no station has both GNSS and (\S+) track values") as caught:
        run_logged("losdecomp:reference_to_gnss", {"INPUT": tracks["desc"], "GNSS": str(far),
                                                   "OUTPUT": str(out / "r.tif")})  # fmt: skip
    named = os.path.splitext(os.path.basename(tracks["desc"]))[0]
    assert f"{named} track values" in str(caught.value) and "track track" not in str(caught.value)
    with pytest.raises(QgsProcessingException, match="no field recognised for the up velocity"):
        bad = tmp_path / "bad.csv"
        bad.write_text("lon,lat,ve,vn\n-117,37,1,2\n")
        run_logged("losdecomp:gnss_to_los", {"INPUT": tracks["desc"], "GNSS": str(bad),
                                             "OUTPUT": str(out / "s.gpkg")})  # fmt: skip
    assert os.listdir(out) == []


@pytest.mark.qgis_process
def test_reference_to_gnss_through_qgis_process_with_a_midas_table(qgis_process_env, tracks, tmp_path):
    rows, cols = station_pixels(12, seed=7)
    x, y = centres()
    sx, sy = x[rows, cols], y[rows, cols]
    e, n, u = field_at(sx, sy)
    lon, lat = utm_to_lonlat(sx, sy)
    table = tmp_path / "midas.txt"
    table.write_text("".join(f"ST{i:02d} {lon[i]:.10f} {lat[i]:.10f} {e[i] / 1000:.12f} {n[i] / 1000:.12f} "
                             f"{u[i] / 1000:.12f} 0.0005 0.0005 0.001\n" for i in range(len(rows))))  # fmt: skip
    out = tmp_path / "ref.tif"
    cmd = [QGIS_PROCESS, "run", "losdecomp:reference_to_gnss", "--json", "--", f"INPUT={tracks['desc']}",
           f"GNSS={table}", "GNSS_UNIT=2", "MODEL=1", f"OUTPUT={out}"]  # fmt: skip
    proc = subprocess.run(cmd, env=qgis_process_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(proc.stdout[proc.stdout.index("{") :])["results"]
    assert results["RMS"] < 1e-4
    got = read_band(out)
    ok = np.isfinite(got)
    assert ok.sum() > 0.9 * got.size and np.allclose(got[ok], tracks["desc_true"][ok], atol=2e-4)
    assert gdal.Open(str(out)).GetMetadataItem("INSAR_HEADING") is not None


NAF = ("014A_04939_131313", "094D_04913_101213")


def naf_pseudo_stations(shared_data, path, step=0.1):
    """Points every ``step`` degrees with the GNSS grids' east and north (mm/year); up 0, as the
    grids have none (stated in the closing note)."""
    folder = shared_data / "naf_licsbas" / "GNSS"
    ds_e, ds_n = gdal.Open(str(folder / "interp_E.grd")), gdal.Open(str(folder / "interp_N.grd"))
    gt = ds_e.GetGeoTransform()
    east, north = (d.GetRasterBand(1).ReadAsArray().astype(float) for d in (ds_e, ds_n))
    lon, lat = np.meshgrid(np.arange(33.6, 37.5, step), np.arange(39.4, 41.9, step))
    lon, lat = lon.ravel(), lat.ravel()
    c, r = ((lon - gt[0]) / gt[1]).astype(int), ((lat - gt[3]) / gt[5]).astype(int)
    lines = ["station,lon,lat,ve,vn,vu"] + [
        f"P{i:04d},{lon[i]:.4f},{lat[i]:.4f},{east[r[i], c[i]]:.4f},{north[r[i], c[i]]:.4f},0" for i in range(lon.size)
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_naf_frames_against_pseudo_stations_before_and_after_referencing(plugin, shared_data, tmp_path, capsys):
    csv = naf_pseudo_stations(shared_data, tmp_path / "naf_gnss.csv")
    figures, referenced = {}, {}
    for frame in NAF:
        vel = str(shared_data / "naf_licsbas" / frame / "vel.geo.tif")
        before, _ = run_logged("losdecomp:gnss_to_los", {"INPUT": vel, "GNSS": csv, "GNSS_UNIT": 1, "RADIUS": 0.03,
                                                          "OUTPUT": str(tmp_path / f"{frame}.gpkg")})  # fmt: skip
        params = {"INPUT": vel, "GNSS": csv, "GNSS_UNIT": 1, "RADIUS": 0.03, "MODEL": 1,
                  "OUTPUT": str(tmp_path / f"{frame}_ref.tif")}  # fmt: skip
        after, log = run_logged("losdecomp:reference_to_gnss", params)
        referenced[frame] = after["OUTPUT"]
        figures[frame] = (before["COUNT"], before["BIAS"], before["RMS"], after["RMS"])
        assert before["COUNT"] > 300
        assert after["RMS"] < 0.6 * before["RMS"]
        assert "geometry per pixel" in log  # the frame's E/N/U files
    dec, _ = run_logged("losdecomp:decompose", {"ASCENDING": referenced[NAF[0]], "DESCENDING": referenced[NAF[1]],
                                                 "OUTPUT_EAST": str(tmp_path / "e.tif"),
                                                 "OUTPUT_UP": str(tmp_path / "u.tif")})  # fmt: skip
    raw, _ = run_logged("losdecomp:decompose", {
        "ASCENDING": str(shared_data / "naf_licsbas" / NAF[0] / "vel.geo.tif"),
        "DESCENDING": str(shared_data / "naf_licsbas" / NAF[1] / "vel.geo.tif"),
        "OUTPUT_EAST": str(tmp_path / "e_raw.tif"), "OUTPUT_UP": str(tmp_path / "u_raw.tif")})  # fmt: skip
    east = {}
    for key, d in (("referenced", dec), ("own reference areas", raw)):
        params = {"EAST": d["OUTPUT_EAST"], "UP": d["OUTPUT_UP"], "GNSS": csv, "GNSS_UNIT": 1, "RADIUS": 0.03,
                  "OUTPUT": str(tmp_path / f"c_{len(east)}.gpkg")}  # fmt: skip
        res, log = run_logged("losdecomp:compare_to_gnss", params)
        east[key] = (res["COUNT"], res["RMS_EAST"], res["RMS_UP"])
    assert east["referenced"][1] < east["own reference areas"][1]
    with capsys.disabled():
        for frame, (count, bias, rms0, rms1) in figures.items():
            print(f"\nNAF {frame}: {count} pseudo-stations, LOS residual bias {bias:.2f} mm/yr, RMS {rms0:.2f} -> "
                  f"{rms1:.2f} mm/yr after a plane")  # fmt: skip
        for key, (count, rms_e, rms_u) in east.items():
            print(f"NAF decomposition ({key}): {count} stations, east RMS {rms_e:.2f}, up RMS {rms_u:.2f} mm/yr")
    gnss_stations.read_table(csv)  # the written table reads back
