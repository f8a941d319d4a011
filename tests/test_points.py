"""Point data: EGMS-format CSVs of a blocky known field gridded then decomposed, per-polygon
decomposition over uniform areas (points, rasters and a mix), the NAF frames sampled to
points and gridded back, and bad input."""

import os

import numpy as np
import pytest
from osgeo import gdal, osr

from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io import points
from insar_decomposition.core.io.model import HORIZONTAL, UP
from insar_decomposition.core.plan.decompose import Request, plan
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine, point_grid, polygons

X0, Y0 = 4_321_000.0, 3_210_000.0  # EPSG:3035, metres
BLOCK = 500.0  # blocks of constant motion, 5 x 5 cells of 100 m
NB = 4


def block_truth(x, y):
    """East and up (mm/year) constant over each 500 m block."""
    bx = np.floor((x - X0) / BLOCK).astype(int)
    by = np.floor((Y0 + NB * BLOCK - y) / BLOCK).astype(int)
    east = -4.0 + 2.5 * bx - 1.0 * by
    up = 3.0 - 2.0 * by + 0.5 * bx
    return east, up


def egms_csv(path, heading, count, seed, dates=None, incidence=(31.0, 44.0)):
    """An EGMS L2a-like CSV: points scattered over the blocks, each with its own look vector."""
    rng = np.random.default_rng(seed)
    x = X0 + rng.uniform(0.5, NB * BLOCK - 0.5, count)
    y = Y0 + rng.uniform(0.5, NB * BLOCK - 0.5, count)
    # the incidence grows across the swath, as it does, with a little scatter between points
    across = (x - X0) / (NB * BLOCK)
    s = geometry.from_heading_incidence(heading, incidence[0] + (incidence[1] - incidence[0]) * across
                                        + rng.normal(0, 0.01, count))  # fmt: skip
    east, up = block_truth(x, y)
    v = geometry.forward(s, east, 0.0, up)
    header = "pid,mp_type,easting,northing,height,rmse,mean_velocity,mean_velocity_std,los_east,los_north,los_up"
    cols = [x, y, np.full(count, 100.0), np.full(count, 0.8), v, np.full(count, 0.6), *s]
    if dates:
        header += "," + ",".join(dates)
        t = np.arange(len(dates)) * 12 / 365.25
        cols += [v * ti for ti in t]
    with open(path, "w") as f:
        f.write(header + "\n")
        body = np.column_stack(cols)
        for i, row in enumerate(body):
            f.write(f"p{i},PS," + ",".join(f"{c:.6f}" for c in row) + "\n")
    return str(path)


def test_egms_csvs_gridded_then_decomposed_equal_the_truth_per_cell(tmp_path):
    asc = egms_csv(tmp_path / "asc.csv", 348.0, 6000, 1, dates=["20200101", "20200113", "20200125"])
    desc = egms_csv(tmp_path / "desc.csv", 192.0, 5000, 2)
    out = {}
    for key, path in (("asc", asc), ("desc", desc)):
        src = points.CsvPoints(path)
        assert src.unit == "mm/year" and "3035" in src.crs_wkt
        ts = str(tmp_path / f"{key}_ts.tif") if key == "asc" else ""
        job = point_grid.plan(point_grid.GridPointsRequest(src, str(tmp_path / f"{key}.tif"), output_timeseries=ts))
        summary = point_grid.run(job)
        assert summary.used == summary.points
        out[key] = summary.outputs["output"]
    g = gdal.Open(out["asc"]).GetGeoTransform()
    assert g[1] == 100.0 and g[0] % 100 == 0 and g[3] % 100 == 0  # cells on multiples of 100 m
    res = {HORIZONTAL: str(tmp_path / "e.tif"), UP: str(tmp_path / "u.tif")}
    p = plan(Request([TrackInput("ascending", out["asc"]), TrackInput("descending", out["desc"])], res))
    assert any("geometry per pixel" in line for line in p.log)
    engine.run(p.job)
    ds = gdal.Open(res[UP])
    gt = ds.GetGeoTransform()
    xc = gt[0] + (np.arange(ds.RasterXSize) + 0.5) * gt[1]
    yc = gt[3] + (np.arange(ds.RasterYSize) + 0.5) * gt[5]
    te, tu = block_truth(*np.meshgrid(xc, yc))
    east, up = read_band(res[HORIZONTAL]), read_band(res[UP])
    ok = np.isfinite(up)
    assert ok.sum() >= 0.9 * up.size
    assert np.allclose(east[ok], te[ok], atol=1e-3) and np.allclose(up[ok], tu[ok], atol=1e-3)
    # the time series: dated bands in the plugin's format, the cells' mean displacement
    ts = gdal.Open(str(tmp_path / "asc_ts.tif"))
    assert [ts.GetRasterBand(i).GetMetadataItem("INSAR_DATE") for i in (1, 2, 3)] == ["20200101", "20200113",
                                                                                       "20200125"]  # fmt: skip
    vel = read_band(out["asc"])
    last = read_band(str(tmp_path / "asc_ts.tif"), 3)
    fin = np.isfinite(vel)
    assert np.allclose(last[fin], vel[fin] * 24 / 365.25, atol=1e-4)


def test_cells_count_spread_sigma_median_and_min_points(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text(
        "latitude,longitude,velocity,vel_std\n"
        "40.00005,30.00005,1,0.5\n40.00006,30.00006,2,0.5\n40.00007,30.00007,9,0.5\n"  # one cell: 1, 2, 9
        "40.00205,30.00205,4,1.5\n"  # a cell of one point
    )
    src = points.CsvPoints(str(path))
    req = point_grid.GridPointsRequest(src, str(tmp_path / "g.tif"), heading=190.0, incidence=39.0,
                                       statistic=point_grid.MEDIAN, min_points=2)  # fmt: skip
    summary = point_grid.run(point_grid.plan(req))
    assert summary.cells == 1
    ds = gdal.Open(summary.outputs["output"])
    roles = {ds.GetRasterBand(i).GetMetadataItem("INSAR_ROLE"): i for i in range(1, ds.RasterCount + 1)}
    assert set(roles) == {"velocity", "velocity_std", "point_count", "velocity_spread"}
    assert float(ds.GetMetadataItem("INSAR_HEADING")) == 190.0
    vals = {r: read_band(summary.outputs["output"], b) for r, b in roles.items()}
    cell = np.isfinite(vals["velocity"])
    assert cell.sum() == 1
    assert vals["velocity"][cell][0] == 2.0
    assert vals["point_count"][cell][0] == 3
    assert vals["velocity_spread"][cell][0] == pytest.approx(np.std([1, 2, 9]), rel=1e-6)
    # the a-priori sigma of the median of three points of sigma 0.5 (uncertainty.sigma_of_mean, median factor)
    want = float(point_grid.aggregate_sigma(3 * 0.5**2, 3, 3, point_grid.MEDIAN))
    assert vals["velocity_std"][cell][0] == pytest.approx(want, rel=1e-6)
    assert 0.5 / np.sqrt(3) < want < 0.5
    # 100 m on the ground at the grid's latitude, on each axis
    mx, my = point_grid.metres_per_unit(osr.SpatialReference(wkt=ds.GetProjection()), 40.00105)
    gt = ds.GetGeoTransform()
    assert gt[1] == pytest.approx(100 / mx, rel=1e-6) and -gt[5] == pytest.approx(100 / my, rel=1e-6)


def test_two_tracks_grid_identically_with_an_extent(tmp_path):
    a = egms_csv(tmp_path / "a.csv", 348.0, 500, 3)
    b = egms_csv(tmp_path / "b.csv", 192.0, 400, 4)
    extent = (X0 - 50.0, Y0 - 50.0, X0 + 2050.0, Y0 + 2050.0)
    grids = []
    for name, path in (("a", a), ("b", b)):
        req = point_grid.GridPointsRequest(points.CsvPoints(path), str(tmp_path / f"{name}.tif"), extent=extent)
        point_grid.run(point_grid.plan(req))
        ds = gdal.Open(str(tmp_path / f"{name}.tif"))
        grids.append((ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize))
    assert grids[0] == grids[1] and grids[0][0][0] == X0 - 50.0 and grids[0][1] == 21


def test_polygons_over_uniform_areas_equal_the_truth_from_points_rasters_and_a_mix(tmp_path):
    asc_csv = egms_csv(tmp_path / "asc.csv", 348.0, 8000, 5)
    desc_csv = egms_csv(tmp_path / "desc.csv", 192.0, 8000, 6)
    desc_grid = point_grid.run(point_grid.plan(point_grid.GridPointsRequest(
        points.CsvPoints(desc_csv), str(tmp_path / "desc.tif")))).outputs["output"]  # fmt: skip
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3035)
    wkts, truth = [], []
    for bx, by in ((0, 0), (1, 2), (3, 1), (2, 3)):
        x0, y1 = X0 + bx * BLOCK + 60, Y0 + (NB - by) * BLOCK - 60
        wkts.append(f"POLYGON(({x0} {y1},{x0 + 380} {y1},{x0 + 380} {y1 - 380},{x0} {y1 - 380},{x0} {y1}))")
        truth.append(block_truth(np.array([x0 + 1]), np.array([y1 - 1])))
    wkts.append(f"POLYGON(({X0 - 900} {Y0 - 900},{X0 - 800} {Y0 - 900},{X0 - 800} {Y0 - 800},{X0 - 900} {Y0 - 900}))")
    for tracks in (
        [
            polygons.PointTrack("asc", points.CsvPoints(asc_csv)),
            polygons.PointTrack("desc", points.CsvPoints(desc_csv)),
        ],  # fmt: skip
        [polygons.PointTrack("asc", points.CsvPoints(asc_csv)), TrackInput("desc", desc_grid)],
    ):
        res = polygons.decompose(polygons.PolygonsRequest(wkts, srs.ExportToWkt(), tracks, statistic=point_grid.MEAN))
        for i, (te, tu) in enumerate(truth):
            assert res.east[i] == pytest.approx(te[0], abs=1e-3) and res.up[i] == pytest.approx(tu[0], abs=1e-3)
            assert res.tracks[0].count[i] > 50
            assert np.isfinite(res.sigma_east[i]) and res.cond[i] < 3
        assert np.isnan(res.east[-1]) and res.tracks[0].count[-1] == 0  # the polygon with no points
        assert any("1 of 5 polygons hold no valid data" in line for line in res.log)


def naf_points(shared_data, frame, fraction, seed):
    """A random subset of a NAF frame's valid pixels as points with velocity and look vector."""
    folder = shared_data / "naf_licsbas" / frame
    ds = gdal.Open(str(folder / "vel.geo.tif"))
    gt = ds.GetGeoTransform()
    v = read_band(folder / "vel.geo.tif")
    e, n, u = (read_band(folder / f"{c}.geo.tif") for c in "ENU")
    ok = np.isfinite(v) & np.isfinite(e) & np.isfinite(u)
    rows, cols = np.nonzero(ok)
    pick = np.random.default_rng(seed).random(rows.size) < fraction
    rows, cols = rows[pick], cols[pick]
    lon = gt[0] + (cols + 0.5) * gt[1]
    lat = gt[3] + (rows + 0.5) * gt[5]
    return points.ArrayPoints(lon, lat, {"vel": v[rows, cols], "look_e": e[rows, cols], "look_n": n[rows, cols],
                                         "look_u": u[rows, cols]}, points.WGS84_WKT, frame, "mm/year")  # fmt: skip


NAF = ("014A_04939_131313", "094D_04913_101213")


def sample_at_centres(path, gt, shape):
    """The raster's pixel under each cell centre of the grid (gt, shape); NaN outside."""
    ds = gdal.Open(path)
    g = ds.GetGeoTransform()
    data = read_band(path)
    xc = gt[0] + (np.arange(shape[1]) + 0.5) * gt[1]
    yc = gt[3] + (np.arange(shape[0]) + 0.5) * gt[5]
    cols, rows = np.floor((xc - g[0]) / g[1]).astype(int), np.floor((yc - g[3]) / g[5]).astype(int)
    out = np.full(shape, np.nan)
    ci, ri = (cols >= 0) & (cols < ds.RasterXSize), (rows >= 0) & (rows < ds.RasterYSize)
    out[np.ix_(ri, ci)] = data[np.ix_(rows[ri], cols[ci])]
    return out


def test_naf_sampled_to_points_gridded_back_agrees_with_the_raster_decomposition(shared_data, tmp_path, capsys):
    cell_deg = 0.03
    extent = (33.5, 39.0, 37.7, 42.0)
    gridded = {}
    for frame, seed in zip(NAF, (1, 2)):
        src = naf_points(shared_data, frame, 0.3, seed)
        req = point_grid.GridPointsRequest(src, str(tmp_path / f"{frame}.tif"), extent=extent, min_points=3,
                                           resolution=cell_deg * point_grid.METRES_PER_DEGREE)  # fmt: skip
        gridded[frame] = point_grid.run(point_grid.plan(req)).outputs["output"]
    out = {HORIZONTAL: str(tmp_path / "pe.tif"), UP: str(tmp_path / "pu.tif")}
    engine.run(plan(Request([TrackInput("a", gridded[NAF[0]]), TrackInput("d", gridded[NAF[1]])], out)).job)
    raster = {HORIZONTAL: str(tmp_path / "re.tif"), UP: str(tmp_path / "ru.tif")}
    vel = [str(shared_data / "naf_licsbas" / f / "vel.geo.tif") for f in NAF]
    ds = gdal.Open(out[UP])
    gt = ds.GetGeoTransform()
    req = Request([TrackInput("a", vel[0]), TrackInput("d", vel[1])], raster, resampling="average",
                  resolution=gt[1], extent=extent)  # fmt: skip
    engine.run(plan(req).job)
    figures = {}
    for key in (HORIZONTAL, UP):
        a, b = read_band(out[key]), sample_at_centres(raster[key], gt, read_band(out[key]).shape)
        ok = np.isfinite(a) & np.isfinite(b)
        d = a[ok] - b[ok]
        figures[key] = (int(ok.sum()), float(np.median(np.abs(d))), float(np.sqrt(np.mean(d**2))),
                        float(np.corrcoef(a[ok], b[ok])[0, 1]))  # fmt: skip
        assert ok.sum() > 1000
        assert figures[key][1] < 1.0 and figures[key][3] > 0.95
    with capsys.disabled():
        for key, (count, med, rms, r) in figures.items():
            print(f"\nNAF points (30 % of pixels) gridded at {cell_deg} deg vs raster decomposition, {key}: {count} "
                  f"cells, median |diff| {med:.3f} mm/yr, RMS {rms:.3f}, correlation {r:.4f}")  # fmt: skip


def test_bad_point_input_is_refused_with_no_output(tmp_path):
    nofield = tmp_path / "nofield.csv"
    nofield.write_text("easting,northing,height\n4321000,3210000,5\n")
    with pytest.raises(points.PointError, match="no velocity field recognised"):
        point_grid.plan(point_grid.GridPointsRequest(points.CsvPoints(str(nofield)), str(tmp_path / "o.tif")))
    nolook = tmp_path / "nolook.csv"
    nolook.write_text("easting,northing,mean_velocity\n4321000,3210000,5\n")
    with pytest.raises(points.PointError, match="no look vector .* give HEADING and INCIDENCE"):
        point_grid.plan(point_grid.GridPointsRequest(points.CsvPoints(str(nolook)), str(tmp_path / "o.tif")))
    a = egms_csv(tmp_path / "a.csv", 348.0, 100, 7)
    req = point_grid.GridPointsRequest(points.CsvPoints(a), str(tmp_path / "o.tif"), extent=(0.0, 0.0, 100.0, 100.0))
    with pytest.raises(points.PointError, match="no points inside the extent"):
        point_grid.run(point_grid.plan(req))
    nocoords = tmp_path / "nocoords.csv"
    nocoords.write_text("x,y,mean_velocity\n1,2,3\n")
    with pytest.raises(points.PointError, match="no easting/northing"):
        points.CsvPoints(str(nocoords))
    assert not os.path.exists(tmp_path / "o.tif")
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tif") or ".tmp" in p]


def test_grid_points_and_decompose_polygons_through_processing(plugin, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    asc = egms_csv(tmp_path / "asc.csv", 348.0, 3000, 8)
    desc = egms_csv(tmp_path / "desc.csv", 192.0, 3000, 9)
    res, log = run_logged("losdecomp:grid_points", {"INPUT": asc, "OUTPUT": str(tmp_path / "a.tif")})
    assert "points in" in log and os.path.exists(res["OUTPUT"])
    layer = QgsVectorLayer("Polygon?crs=EPSG:3035&field=name:string", "slides", "memory")
    feats = []
    for name, (bx, by) in (("one", (0, 0)), ("two", (2, 1)), ("empty", (40, 40))):
        x0, y1 = X0 + bx * BLOCK + 60, Y0 + (NB - by) * BLOCK - 60
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromWkt(
            f"POLYGON(({x0} {y1},{x0 + 380} {y1},{x0 + 380} {y1 - 380},{x0} {y1 - 380},{x0} {y1}))"))  # fmt: skip
        f.setAttributes([name])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    res, log = run_logged("losdecomp:decompose_polygons", {"POLYGONS": layer, "ASCENDING": res["OUTPUT"],
                                                            "DESCENDING": desc, "STATISTIC": 0,
                                                            "OUTPUT": str(tmp_path / "p.gpkg")})  # fmt: skip
    out = QgsVectorLayer(str(tmp_path / "p.gpkg"), "p", "ogr")
    names = [f.name() for f in out.fields()]
    assert {"asc_los", "asc_count", "asc_spread", "desc_los", "east", "up", "sigma_east", "sigma_up", "cond"} <= set(
        names)  # fmt: skip
    by = {f["name"]: f for f in out.getFeatures()}
    te, tu = block_truth(np.array([X0 + 61]), np.array([Y0 + NB * BLOCK - 61]))
    assert by["one"]["east"] == pytest.approx(te[0], abs=1e-3) and by["one"]["up"] == pytest.approx(tu[0], abs=1e-3)
    assert by["empty"]["desc_count"] == 0 and (by["empty"]["east"] is None or by["empty"]["east"].isNull())
    assert "hold no valid data" in log


def test_points_without_geometry_are_refused_with_no_output(plugin, tmp_path):
    from qgis.core import QgsFeature, QgsProcessingException, QgsVectorLayer

    layer = QgsVectorLayer("Point?crs=EPSG:3035&field=mean_velocity:double&field=los_east:double"
                           "&field=los_north:double&field=los_up:double", "ps", "memory")  # fmt: skip
    f = QgsFeature(layer.fields())
    f.setAttributes([1.0, -0.6, -0.1, 0.78])
    layer.dataProvider().addFeatures([f, QgsFeature(f)])
    with pytest.raises(QgsProcessingException, match="no points with coordinates and a velocity .of 2 read"):
        run_logged("losdecomp:grid_points", {"INPUT": layer, "OUTPUT": str(tmp_path / "g.tif")})
    assert os.listdir(tmp_path) == []
