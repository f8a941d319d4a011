"""losdecomp:grid_points and losdecomp:decompose_polygons, what their numbers can be trusted
for: a missing point sigma is unknown, never zero; a cell's or a polygon's a-priori sigma is
the sigma of the mean of its members (one rule, uncertainty.sigma_of_mean, in both paths),
and Monte Carlo draws of white noise scatter as stated; the spread is never a weight; cells
in a geographic CRS are square on the ground; an extent without a target CRS works through
Processing; parallel look vectors give nodata with the raster decomposition's words."""

import math

import numpy as np
import pytest
from osgeo import gdal, osr

from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry, uncertainty
from insar_decomposition.core.io import points
from insar_decomposition.core.io.model import HORIZONTAL, UP
from insar_decomposition.core.plan.decompose import Request, plan
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine, point_grid, polygons
from insar_decomposition.core.solve import resolvable

X0, Y0 = 4_321_000.0, 3_210_000.0  # EPSG:3035, metres, multiples of 100


def laea():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3035)
    return srs.ExportToWkt()


def bands_by_role(path):
    ds = gdal.Open(path)
    out = {}
    for i in range(1, ds.RasterCount + 1):
        b = ds.GetRasterBand(i)
        out[b.GetMetadataItem("INSAR_ROLE")] = (read_band(path, i), b.GetDescription(), b.GetMetadata())
    return out


def grid_cells(tmp_path, x, y, cols, name="g", **kw):
    """Grid ArrayPoints in EPSG:3035 (heading 348, incidence 35): (summary, {role: (array, description, tags)})."""
    src = points.ArrayPoints(x, y, cols, laea(), "pts", "mm/year")
    req = point_grid.GridPointsRequest(src, str(tmp_path / f"{name}.tif"), heading=348.0, incidence=35.0, **kw)
    summary = point_grid.run(point_grid.plan(req))
    return summary, bands_by_role(summary.outputs["output"])


def cell_of(bands, role, col):
    """The value of ``role`` in the occupied cell of column ``col`` (one row of cells)."""
    return bands[role][0][0, col]


# 1. a missing sigma is unknown, never zero -------------------------------------------------


def test_a_missing_point_sigma_is_not_counted_as_zero(tmp_path):
    """Three cells of two points: sigmas {2, 2}, {2, NaN}, {NaN, NaN}. The point without a
    sigma is taken at the RMS of the others, so the first two cells state the same sigma;
    the third has none (NaN, not 0). Before: 2.0, 1.41 and 0.0."""
    x = X0 + np.array([10.0, 20.0, 110.0, 120.0, 210.0, 220.0])
    y = np.full(6, Y0 + 50.0)
    sigma = np.array([2.0, 2.0, 2.0, np.nan, np.nan, np.nan])
    _, bands = grid_cells(tmp_path, x, y, {"velocity": np.arange(6.0), "sigma": sigma})
    a, b, c = (cell_of(bands, "velocity_std", k) for k in range(3))
    assert b == pytest.approx(a, rel=1e-6)
    assert math.isnan(c)
    assert cell_of(bands, "point_count", 2) == 2 and cell_of(bands, "velocity", 2) == pytest.approx(4.5)


# 2. one rule for the sigma of an aggregate, said in words ----------------------------------


def test_a_cells_sigma_is_the_a_priori_sigma_of_its_mean_and_says_so(tmp_path):
    """Four points of sigmas 1, 2, 2, 4 in one cell: sigma_of_mean = sqrt((1+4+4+16)/4/4) = 1.25
    (was the RMS 2.5, not divided by sqrt(n)); the band is named and tagged a-priori; the
    spread band is called a spread, never a sigma."""
    x = X0 + np.array([10.0, 20.0, 30.0, 40.0])
    y = np.full(4, Y0 + 50.0)
    sigma = np.array([1.0, 2.0, 2.0, 4.0])
    _, bands = grid_cells(tmp_path, x, y, {"velocity": np.array([1.0, 2.0, 3.0, 6.0]), "sigma": sigma})
    expected = float(uncertainty.sigma_of_mean(np.sum(sigma**2), 4, 4))
    assert expected == pytest.approx(1.25)
    assert cell_of(bands, "velocity_std", 0) == pytest.approx(expected, rel=1e-6)
    _, description, tags = bands["velocity_std"]
    assert description.startswith("A-priori standard deviation") and "sqrt(n)" in description
    assert tags[uncertainty.TAG_SIGMA_KIND] == uncertainty.APRIORI
    _, description, tags = bands["velocity_spread"]
    assert description.startswith("Spread") and "sigma" not in description.lower()
    assert tags[uncertainty.TAG_SIGMA_KIND] == uncertainty.SPREAD
    assert cell_of(bands, "velocity_spread", 0) == pytest.approx(np.std([1.0, 2.0, 3.0, 6.0]), rel=1e-6)


def write_raster(path, data, gt, description=""):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(str(path), data.shape[1], data.shape[0], 1, gdal.GDT_Float32)
    ds.SetGeoTransform(gt)
    ds.SetProjection(laea())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(float("nan"))
    band.WriteArray(data.astype(np.float32))
    band.SetDescription(description)
    ds = None
    return str(path)


def square(x0, y0, size):
    return f"POLYGON(({x0} {y0},{x0 + size} {y0},{x0 + size} {y0 + size},{x0} {y0 + size},{x0} {y0}))"


def test_a_polygons_sigma_follows_the_same_rule_from_rasters_and_points(tmp_path):
    """A raster track whose sigma raster holds 1, 2, 3, NaN over the polygon's 4 pixels and a
    point track whose points hold sigmas 1, 2, 3, NaN: each states sigma_of_mean(1+4+9, 3, 4)
    = 1.08 (was the median pixel sigma, 2.0, not divided by sqrt(n))."""
    gt = (X0, 100.0, 0.0, Y0 + 200.0, 0.0, -100.0)
    vel = write_raster(tmp_path / "v.tif", np.array([[1.0, 2.0], [3.0, 4.0]]), gt)
    sig = write_raster(tmp_path / "s.tif", np.array([[1.0, 2.0], [3.0, np.nan]]), gt)
    raster = TrackInput("asc", vel, heading=348.0, incidence=35.0, sigma=sig)
    pts = points.ArrayPoints(X0 + np.array([50.0, 150.0, 50.0, 150.0]), Y0 + np.array([50.0, 50.0, 150.0, 150.0]),
                             {"velocity": np.array([1.0, 2.0, 3.0, 4.0]),
                              "sigma": np.array([1.0, 2.0, 3.0, np.nan])}, laea())  # fmt: skip
    point = polygons.PointTrack("desc", pts, heading=192.0, incidence=40.0)
    expected = float(uncertainty.sigma_of_mean(1.0 + 4.0 + 9.0, 3, 4))
    # the median of 4 normal values scatters sqrt(pi 4 / (2 (4 + 1.4))) = 1.079 times more than their mean
    for statistic, factor in ((point_grid.MEAN, 1.0), (point_grid.MEDIAN, math.sqrt(math.pi * 4 / (2 * 5.4)))):
        req = polygons.PolygonsRequest([square(X0 + 1, Y0 + 1, 198)], laea(), [raster, point], statistic=statistic)
        res = polygons.decompose(req)
        for t in res.tracks:
            assert t.count[0] == 4
            assert t.sigma[0] == pytest.approx(expected * factor, rel=1e-6), t.name
        assert np.isfinite(res.sigma_east[0]) and np.isfinite(res.sigma_up[0])


def test_a_track_without_any_sigma_gives_equal_weights_and_no_sigma_not_the_spread(tmp_path):
    """Three point tracks, one of them without a sigma field: equal weights for every track
    and no sigma outputs, said in the log (before: that track was weighted by its spread /
    sqrt(n) and the other two by their median point sigma, and sigmas were written)."""
    rng = np.random.default_rng(3)
    tracks = []
    for name, heading, inc, with_sigma in (("asc", 348.0, 34.0, True), ("desc", 192.0, 40.0, True),
                                           ("extra", 350.0, 44.0, False)):  # fmt: skip
        x, y = X0 + rng.uniform(5, 395, 60), Y0 + rng.uniform(5, 395, 60)
        s = geometry.from_heading_incidence(heading, inc)
        cols = {"velocity": geometry.forward(s, 3.0, 0.0, -2.0) + rng.normal(0, 1.0, 60)}
        if with_sigma:
            cols["sigma"] = np.full(60, 1.0)
        tracks.append(polygons.PointTrack(name, points.ArrayPoints(x, y, cols, laea()), heading=heading,
                                          incidence=inc))  # fmt: skip
    res = polygons.decompose(polygons.PolygonsRequest([square(X0, Y0, 400)], laea(), tracks, statistic=0))
    assert np.isfinite(res.east[0]) and np.isfinite(res.up[0])
    assert np.isnan(res.sigma_east[0]) and np.isnan(res.sigma_up[0])
    assert any("extra" in line and "equal weights" in line and "no sigma" in line for line in res.log)
    # the values are the equal-weight solution of the three tracks' means
    blocks = [polygons.TrackBlock(t.value, *t.s) for t in res.tracks]
    sol = polygons.invert(blocks)
    assert res.east[0] == pytest.approx(sol.horizontal[0]) and res.up[0] == pytest.approx(sol.up[0])


# 3. square cells in a geographic CRS -------------------------------------------------------


def ground_sides(gt, lon, lat):
    """East-west and north-south lengths in metres of a cell of ``gt`` at (lon, lat), measured
    in a transverse Mercator centred there (scale 1 at its centre)."""
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tm = osr.SpatialReference()
    tm.ImportFromProj4(f"+proj=tmerc +lat_0={lat} +lon_0={lon} +k=1 +ellps=WGS84 +units=m")
    ct = osr.CoordinateTransformation(wgs, tm)
    (x0, y0, _), (x1, _, _), (_, y2, _) = ct.TransformPoints([(lon, lat), (lon + gt[1], lat), (lon, lat - gt[5])])
    return x1 - x0, y2 - y0


@pytest.mark.parametrize("with_extent", [True, False])
def test_cells_in_a_geographic_crs_are_square_on_the_ground_at_60n(tmp_path, with_extent):
    """100 m cells at 60 N: before, 0.000898 degrees on both axes, 50 m east-west by 100 m
    north-south; now the east-west step in degrees is 1/cos(60) times larger."""
    rng = np.random.default_rng(4)
    lon, lat = 10.0 + rng.uniform(0, 0.05, 300), 60.0 + rng.uniform(-0.02, 0.02, 300)
    src = points.ArrayPoints(lon, lat, {"velocity": rng.normal(0, 1, 300)}, points.WGS84_WKT, "pts")
    extent = (9.99, 59.97, 10.06, 60.03) if with_extent else None
    req = point_grid.GridPointsRequest(src, str(tmp_path / "g.tif"), heading=348.0, incidence=35.0, extent=extent)
    job = point_grid.plan(req)
    summary = point_grid.run(job)
    gt = gdal.Open(summary.outputs["output"]).GetGeoTransform()
    ew, ns = ground_sides(gt, 10.025, 60.0)
    assert ew == pytest.approx(ns, rel=0.01) and ns == pytest.approx(100.0, rel=0.01)
    text = "\n".join(job.log + summary.log)
    assert "degrees east-west" in text and "degrees north-south" in text and "100 m" in text


def test_geographic_cells_are_square_for_a_csv_and_a_layer_too(plugin, tmp_path):
    """The points' centre latitude read from a lon/lat CSV (one pass over its coordinates) and
    from a point layer's extent, through Processing."""
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    rng = np.random.default_rng(13)
    lon, lat, v = 10.0 + rng.uniform(0, 0.05, 200), 60.0 + rng.uniform(-0.02, 0.02, 200), rng.normal(0, 1, 200)
    csv = tmp_path / "p.csv"
    rows = "".join(f"{a:.7f},{b:.7f},{c:.3f}\n" for a, b, c in zip(lon, lat, v))
    csv.write_text("longitude,latitude,velocity\n" + rows)
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=velocity:double", "ps", "memory")
    feats = []
    for a, b, c in zip(lon, lat, v):
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(a, b)))
        f.setAttributes([float(c)])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    for name, source in (("csv", str(csv)), ("layer", layer)):
        params = {"INPUT": source, "HEADING": 348.0, "INCIDENCE": 35.0, "OUTPUT": str(tmp_path / f"{name}.tif")}
        res, log = run_logged("losdecomp:grid_points", params)
        ew, ns = ground_sides(gdal.Open(res["OUTPUT"]).GetGeoTransform(), 10.025, 60.0)
        assert ew == pytest.approx(ns, rel=0.01) and ns == pytest.approx(100.0, rel=0.01), name
        assert "degrees east-west" in log


def test_a_projected_crs_in_feet_takes_the_cell_size_in_metres(tmp_path):
    """RESOLUTION is in metres: a CRS in US survey feet gets cells of 100 m = 328.08 ft."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(2227)  # NAD83 / California zone 3 (ftUS)
    rng = np.random.default_rng(5)
    x, y = 6_000_000 + rng.uniform(0, 3000, 200), 2_100_000 + rng.uniform(0, 3000, 200)
    src = points.ArrayPoints(x, y, {"velocity": rng.normal(0, 1, 200)}, srs.ExportToWkt(), "pts")
    req = point_grid.GridPointsRequest(src, str(tmp_path / "g.tif"), heading=348.0, incidence=35.0)
    summary = point_grid.run(point_grid.plan(req))
    gt = gdal.Open(summary.outputs["output"]).GetGeoTransform()
    assert gt[1] == pytest.approx(100.0 / 0.3048006096, rel=1e-6) and gt[5] == pytest.approx(-gt[1])


# 4. an extent without a target CRS through Processing --------------------------------------


def egms_like_csv(path, count, seed, heading=348.0):
    rng = np.random.default_rng(seed)
    x, y = X0 + rng.uniform(0, 2000, count), Y0 + rng.uniform(0, 2000, count)
    s = geometry.from_heading_incidence(heading, 38.0)
    v = geometry.forward(s, 2.0, 0.0, -1.0) + rng.normal(0, 0.5, count)
    with open(path, "w") as f:
        f.write("pid,easting,northing,mean_velocity,mean_velocity_std,los_east,los_north,los_up\n")
        for i in range(count):
            f.write(f"p{i},{x[i]:.3f},{y[i]:.3f},{v[i]:.4f},0.6,{s[0]:.6f},{s[1]:.6f},{s[2]:.6f}\n")
    return str(path)


@pytest.mark.parametrize("crs_suffix", [" [EPSG:3035]", ""])
def test_an_extent_without_a_target_crs_grids_in_the_points_crs(plugin, tmp_path, crs_suffix):
    """EXTENT given, TARGET_CRS empty: before, a Python traceback (parameterAsExtent got no
    CRS); now the extent (in its own CRS, else the points') bounds a grid in the points' CRS."""
    csv = egms_like_csv(tmp_path / "a.csv", 500, 1)
    extent = f"{X0 + 200},{X0 + 1200},{Y0 + 300},{Y0 + 1300}{crs_suffix}"
    res, log = run_logged("losdecomp:grid_points", {"INPUT": csv, "EXTENT": extent, "OUTPUT": str(tmp_path / "g.tif")})
    ds = gdal.Open(res["OUTPUT"])
    gt = ds.GetGeoTransform()
    assert gt[0] == pytest.approx(X0 + 200) and gt[3] == pytest.approx(Y0 + 1300)
    assert (ds.RasterXSize, ds.RasterYSize) == (10, 10)
    srs = osr.SpatialReference(wkt=ds.GetProjection())
    assert srs.GetAuthorityCode(None) == "3035"


def test_an_extent_in_another_crs_is_transformed_to_the_points_crs(plugin, tmp_path):
    csv = egms_like_csv(tmp_path / "a.csv", 500, 2)
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    src = osr.SpatialReference(wkt=laea())
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, wgs)
    (lon0, lat0, _), (lon1, lat1, _) = ct.TransformPoints([(X0 + 300, Y0 + 300), (X0 + 1500, Y0 + 1500)])
    extent = f"{lon0},{lon1},{lat0},{lat1} [EPSG:4326]"
    res, log = run_logged("losdecomp:grid_points", {"INPUT": csv, "EXTENT": extent, "OUTPUT": str(tmp_path / "g.tif")})
    assert "EXTENT given in EPSG:4326: its bounding box in EPSG:3035 is used" in log
    ds = gdal.Open(res["OUTPUT"])
    gt = ds.GetGeoTransform()
    assert osr.SpatialReference(wkt=ds.GetProjection()).GetAuthorityCode(None) == "3035"
    assert gt[1] == 100.0 and abs(gt[0] - (X0 + 300)) < 100 and abs(gt[3] - (Y0 + 1500)) < 100


# 5. Monte Carlo: the stated sigmas are the scatter of white noise --------------------------

DRAWS = 1000


def test_monte_carlo_a_cells_sigma_is_the_scatter_of_its_mean_and_median(tmp_path):
    """1000 cells (one draw each) of the same points: the mean of 7 points of sigmas 0.5 ... 3
    and one without (its noise at the RMS of the others); the median of 8 points of sigma 1.5
    (one without). The stated sigma equals the scatter within 10 %."""
    rng = np.random.default_rng(6)
    for statistic, sig in ((point_grid.MEAN, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, np.nan]),
                           (point_grid.MEDIAN, [1.5] * 7 + [np.nan])):  # fmt: skip
        sig = np.array(sig)
        k = sig.size
        rms = math.sqrt(np.nanmean(sig**2))
        cols = np.repeat(np.arange(DRAWS), k)
        x = X0 + cols * 100.0 + np.tile(np.linspace(5, 95, k), DRAWS)
        y = np.full(x.size, Y0 + 50.0)
        noise = rng.normal(0, 1, x.size) * np.tile(np.where(np.isfinite(sig), sig, rms), DRAWS)
        _, bands = grid_cells(tmp_path, x, y, {"velocity": 7.0 + noise, "sigma": np.tile(sig, DRAWS)},
                              name=f"mc{statistic}", statistic=statistic)  # fmt: skip
        values = bands["velocity"][0][0]
        stated = bands["velocity_std"][0][0]
        assert values.size == DRAWS and np.all(np.isfinite(values))
        assert np.ptp(stated) < 1e-5 * stated[0]
        scatter = float(np.std(values - 7.0))
        assert stated[0] == pytest.approx(scatter, rel=0.10), (point_grid.STATISTICS[statistic], stated[0], scatter)


def mc_polygon_tracks(rng, specs, truth):
    """Point tracks over DRAWS squares of 100 m (one draw each): specs (name, heading,
    incidence, sigmas with NaN for a point without one)."""
    tracks = []
    for name, heading, inc, sig in specs:
        sig = np.array(sig)
        k = sig.size
        rms = math.sqrt(np.nanmean(sig**2))
        poly = np.repeat(np.arange(DRAWS), k)
        x = X0 + (poly % 50) * 200.0 + rng.uniform(10, 90, poly.size)
        y = Y0 + (poly // 50) * 200.0 + rng.uniform(10, 90, poly.size)
        s = geometry.from_heading_incidence(heading, inc)
        noise = rng.normal(0, 1, poly.size) * np.tile(np.where(np.isfinite(sig), sig, rms), DRAWS)
        cols = {"velocity": geometry.forward(s, truth[0], 0.0, truth[1]) + noise, "sigma": np.tile(sig, DRAWS)}
        tracks.append(polygons.PointTrack(name, points.ArrayPoints(x, y, cols, laea()), heading=heading,
                                          incidence=inc))  # fmt: skip
    wkts = [square(X0 + (i % 50) * 200.0, Y0 + (i // 50) * 200.0, 100.0) for i in range(DRAWS)]
    return tracks, wkts


@pytest.mark.parametrize("statistic", [point_grid.MEAN, point_grid.MEDIAN])
def test_monte_carlo_a_polygons_sigma_east_and_up_are_the_scatter(statistic):
    """Three tracks over 1000 polygons, each polygon one draw: the stated sigma_east and
    sigma_up (propagated from each track's sigma of the polygon's mean or median) equal the
    scatter of east and up within 10 %. Before: the median point sigma, not divided by sqrt(n)."""
    rng = np.random.default_rng(7 + statistic)
    if statistic == point_grid.MEAN:
        specs = [("asc", 348.0, 34.0, [0.5, 1.0, 2.0, 2.0, 3.0, np.nan]), ("desc", 192.0, 40.0, [1.0] * 10),
                 ("extra", 350.0, 44.0, [3.0, 3.0, 2.0, 4.0])]  # fmt: skip
    else:
        specs = [("asc", 348.0, 34.0, [2.0] * 9), ("desc", 192.0, 40.0, [1.0] * 9 + [np.nan]),
                 ("extra", 350.0, 44.0, [3.0] * 6)]  # fmt: skip
    truth = (3.0, -2.0)
    tracks, wkts = mc_polygon_tracks(rng, specs, truth)
    res = polygons.decompose(polygons.PolygonsRequest(wkts, laea(), tracks, statistic=statistic))
    assert np.all([t.count == len(s[3]) for t, s in zip(res.tracks, specs)])
    for values, stated, true in ((res.east, res.sigma_east, truth[0]), (res.up, res.sigma_up, truth[1])):
        assert np.all(np.isfinite(values)) and np.ptp(stated) < 1e-6 * stated[0]
        scatter = float(np.std(values - true))
        assert stated[0] == pytest.approx(scatter, rel=0.10), (stated[0], scatter)


# 6. parallel look vectors: nodata, with the raster decomposition's words -------------------


def test_polygons_seen_by_two_tracks_looking_the_same_way_are_null_with_the_rasters_words(tmp_path):
    rng = np.random.default_rng(8)
    tracks = []
    for name, inc in (("asc", 34.0), ("asc2", 34.0)):
        x, y = X0 + rng.uniform(5, 395, 40), Y0 + rng.uniform(5, 395, 40)
        s = geometry.from_heading_incidence(348.0, inc)
        cols = {"velocity": rng.normal(0, 1, 40), "sigma": np.full(40, 1.0), "los_east": np.full(40, s[0]),
                "los_north": np.full(40, s[1]), "los_up": np.full(40, s[2])}  # fmt: skip
        tracks.append(polygons.PointTrack(name, points.ArrayPoints(x, y, cols, laea())))
    gt = (X0, 100.0, 0.0, Y0 + 400.0, 0.0, -100.0)
    vel = write_raster(tmp_path / "v.tif", rng.normal(0, 1, (4, 4)), gt)
    raster = TrackInput("asc3", vel, heading=348.0, incidence=34.0)
    for pair in (tracks, [tracks[0], raster]):
        res = polygons.decompose(polygons.PolygonsRequest([square(X0 + 1, Y0 + 1, 398)], laea(), pair))
        assert all(t.count[0] > 0 for t in res.tracks)
        assert np.isnan(res.east[0]) and np.isnan(res.up[0]) and np.isnan(res.sigma_east[0])
        assert resolvable.nothing_resolved("polygon") in res.warnings


def test_gridded_points_looking_the_same_way_give_the_rasters_refusal(tmp_path):
    """The point path: two tracks gridded with parallel look vectors, then decomposed; the
    engine's own words (nothing resolved), no output."""
    out = {}
    for name in ("a", "b"):
        csv = egms_like_csv(tmp_path / f"{name}.csv", 300, 9 if name == "a" else 10)
        req = point_grid.GridPointsRequest(points.CsvPoints(csv), str(tmp_path / f"{name}.tif"))
        out[name] = point_grid.run(point_grid.plan(req)).outputs["output"]
    res = {HORIZONTAL: str(tmp_path / "e.tif"), UP: str(tmp_path / "u.tif")}
    with pytest.raises(engine.NoResult, match="no pixel could be resolved"):
        engine.run(plan(Request([TrackInput("a", out["a"]), TrackInput("b", out["b"])], res)).job)
    assert not (tmp_path / "e.tif").exists() and not (tmp_path / "u.tif").exists()


def test_polygon_fields_say_which_kind_of_number_they_hold(plugin, tmp_path):
    """Through Processing: each track's a-priori sigma is written (sigma_<track>_los), the
    spread and the propagated sigmas say what they are in their aliases."""
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    asc, desc = egms_like_csv(tmp_path / "a.csv", 400, 11), egms_like_csv(tmp_path / "d.csv", 400, 12, heading=192.0)
    layer = QgsVectorLayer("Polygon?crs=EPSG:3035&field=name:string", "areas", "memory")
    f = QgsFeature(layer.fields())
    f.setGeometry(QgsGeometry.fromWkt(square(X0 + 100, Y0 + 100, 800)))
    f.setAttributes(["one"])
    layer.dataProvider().addFeatures([f])
    params = {"POLYGONS": layer, "ASCENDING": asc, "DESCENDING": desc, "STATISTIC": 0}
    params["OUTPUT"] = str(tmp_path / "p.gpkg")
    res, log = run_logged("losdecomp:decompose_polygons", params)
    out = QgsVectorLayer(res["OUTPUT"], "p", "ogr")
    fields = {fd.name(): fd for fd in out.fields()}
    assert {"asc_los", "asc_spread", "sigma_asc_los", "sigma_desc_los", "sigma_east", "sigma_up"} <= set(fields)
    feature = next(out.getFeatures())
    count = feature["asc_count"]
    assert feature["sigma_asc_los"] == pytest.approx(0.6 / math.sqrt(count), rel=1e-4)
    # GeoPackage written through the sink keeps no alias: the aliases the fields are given
    from insar_decomposition.provider.points import decompose_polygons as points_algorithms

    tracks = [polygons.PointTrack(n, points.CsvPoints(p)) for n, p in (("asc", asc), ("desc", desc))]
    result = polygons.decompose(polygons.PolygonsRequest([square(X0 + 100, Y0 + 100, 800)], laea(), tracks))
    aliases = {item[0]: item[3] for item in points_algorithms._polygon_fields(result, point_grid.MEDIAN)}
    assert aliases["sigma_east"] == "Propagated standard deviation of the east velocity"
    assert aliases["asc_spread"].startswith("Spread of") and "standard deviation" in aliases["asc_spread"]
    assert aliases["sigma_asc_los"].startswith("A-priori standard deviation of the asc track's LOS velocity (median")
    assert "sqrt(n)" in aliases["sigma_asc_los"]
    assert "a-priori sigma over a polygon" in log and "propagated" in log
