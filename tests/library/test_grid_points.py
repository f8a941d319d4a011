"""losdecomp grid-points: an EGMS CSV or a folder of EGMS CSV tiles gridded in process (the
core's run, as losdecomp:grid_points calls it) and on a LocalCluster of 2 workers through
dask.dataframe (per-chunk per-cell sums added on the cluster): the same grid."""

import os

import numpy as np
from osgeo import gdal, osr

from conftest import run_cli
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io import points
from insar_decomposition.core.runs import point_grid

X0, Y0 = 4_321_000.0, 3_210_000.0  # EPSG:3035, metres, as EGMS L2a/L2b
SIZE = 2_000.0
DATES = ["20200101", "20200113", "20200125"]
HEADER = "pid,mp_type,easting,northing,height,rmse,mean_velocity,mean_velocity_std,los_east,los_north,los_up"


def egms_rows(count, seed):
    """Points over a 2 km square: velocity from a smooth east/up field, a look vector per
    point (incidence across the swath), a sigma and three dated displacements."""
    rng = np.random.default_rng(seed)
    x, y = X0 + rng.uniform(0.5, SIZE - 0.5, count), Y0 + rng.uniform(0.5, SIZE - 0.5, count)
    s = geometry.from_heading_incidence(348.0, 31.0 + 13.0 * (x - X0) / SIZE + rng.normal(0, 0.01, count))
    v = geometry.forward(s, -4.0 + 0.004 * (x - X0), 0.0, 3.0 - 0.002 * (y - Y0)) + rng.normal(0, 0.5, count)
    t = np.arange(len(DATES)) * 12 / 365.25
    return np.column_stack([x, y, np.full(count, 100.0), np.full(count, 0.8), v, rng.uniform(0.3, 1.0, count),
                            *s, *[v * ti for ti in t]])  # fmt: skip


def write_csv(path, rows, start=0, header=HEADER + ",20200101,20200113,20200125"):
    with open(path, "w") as f:
        f.write(header + "\n")
        for i, row in enumerate(rows, start=start):
            f.write(f"p{i},PS," + ",".join(f"{c:.6f}" for c in row) + "\n")
    return str(path)


def tiles(folder, sizes=(2000, 3000, 14000, 1000)):
    """A folder of EGMS tiles (one of them over 2 MB: several 1 MB chunks) and the same points
    in one CSV."""
    os.makedirs(folder / "tiles")
    parts = [egms_rows(n, seed) for seed, n in enumerate(sizes)]
    first = 0
    for k, rows in enumerate(parts):
        write_csv(folder / "tiles" / f"EGMS_L2a_tile_{k}.csv", rows, first)
        first += len(rows)
    return str(folder / "tiles"), write_csv(folder / "all.csv", np.concatenate(parts))


def core_grid(csv, out, **kw):
    """The plugin's run: the request losdecomp:grid_points builds, planned and run by the core."""
    req = point_grid.GridPointsRequest(points.CsvPoints(csv), str(out), **kw)
    return point_grid.run(point_grid.plan(req)).outputs


def read(path):
    return gdal.Open(str(path)).ReadAsArray()


def bands(path):
    ds = gdal.Open(str(path))
    return [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]


def test_a_folder_of_tiles_on_dask_equals_the_core_run_on_their_points(tmp_path):
    folder, whole = tiles(tmp_path)
    core = core_grid(whole, tmp_path / "core.tif", output_timeseries=str(tmp_path / "core_ts.tif"))
    out = tmp_path / "out"
    out.mkdir()
    status, stdout, err = run_cli("grid-points", "--input", folder, "--output", out / "grid.tif",
                                  "--output-timeseries", out / "ts.tif", "--scheduler", "local:2",
                                  "--chunks", "1")  # fmt: skip
    assert status == 0, err
    assert "20000 of 20000 points" in err
    a, b = read(core["output"]), read(out / "grid.tif")
    assert bands(out / "grid.tif") == bands(core["output"])
    assert a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b))
    count = bands(core["output"]).index("Number of points")
    assert np.array_equal(a[count], b[count]) and np.nansum(a[count]) == 20000
    np.testing.assert_allclose(b, a, rtol=2e-6, atol=1e-6)  # sums added in another order: float32 precision
    np.testing.assert_allclose(read(out / "ts.tif"), read(core["time series"]), rtol=2e-6, atol=1e-6)
    assert gdal.Open(str(out / "grid.tif")).GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"
    assert sorted(os.listdir(out)) == ["grid.tif", "ts.tif"]


def test_in_process_a_csv_is_the_core_run_and_a_folder_its_tiles_in_turn(tmp_path):
    folder, whole = tiles(tmp_path, sizes=(1500, 2500))
    core = core_grid(whole, tmp_path / "core.tif", statistic=point_grid.MEDIAN, min_points=2)
    for name, given in (("file", whole), ("folder", folder)):
        status, _, err = run_cli("grid-points", "--input", given, "--output", tmp_path / f"{name}.tif",
                                 "--statistic", "median", "--min-points", 2)  # fmt: skip
        assert status == 0, err
        assert np.array_equal(read(tmp_path / f"{name}.tif"), read(core["output"]), equal_nan=True)


def test_a_time_series_output_as_a_store(tmp_path):
    _, whole = tiles(tmp_path, sizes=(1500,))
    status, _, err = run_cli("grid-points", "--input", whole, "--output", tmp_path / "g.tif",
                             "--output-timeseries", tmp_path / "ts.nc")  # fmt: skip
    assert status == 0, err
    core = core_grid(whole, tmp_path / "core.tif", output_timeseries=str(tmp_path / "core_ts.tif"))
    nc = gdal.Open(f'NETCDF:"{tmp_path / "ts.nc"}":los')
    assert nc.RasterCount == len(DATES)
    np.testing.assert_array_equal(nc.ReadAsArray(), read(core["time series"])[: len(DATES)])
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_the_median_on_dask_is_refused_in_words_before_any_cluster(tmp_path):
    _, whole = tiles(tmp_path, sizes=(200,))
    status, _, err = run_cli("grid-points", "--input", whole, "--output", tmp_path / "g.tif", "--statistic", "median",
                             "--scheduler", "local:2")  # fmt: skip
    assert status == 1
    assert "needs every point of that cell in one place" in err and "--statistic mean" in err
    assert not os.path.exists(tmp_path / "g.tif")


def test_a_tile_with_other_columns_is_named(tmp_path):
    folder, _ = tiles(tmp_path, sizes=(200, 200))
    write_csv(os.path.join(folder, "EGMS_L2a_tile_9.csv"), egms_rows(10, 9)[:, :9], header=HEADER)
    out = tmp_path / "out"
    out.mkdir()
    status, _, err = run_cli("grid-points", "--input", folder, "--output", out / "g.tif", "--scheduler", "local:1")
    assert status == 1 and "EGMS_L2a_tile_9.csv has other columns" in err
    assert os.listdir(out) == []


def test_a_geographic_grid_on_dask_takes_its_cell_size_from_the_bounds_found_on_the_cluster(tmp_path):
    """No EXTENT, a geographic TARGET_CRS: the cell size in degrees follows the points' centre
    latitude; on Dask the bounding box is computed on the cluster and handed to the core
    (point_grid.settle_cell), giving the in-process run's cells."""
    _, whole = tiles(tmp_path, sizes=(3000,))
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    core = core_grid(whole, tmp_path / "core.tif", target_crs_wkt=wgs84.ExportToWkt())
    status, _, err = run_cli("grid-points", "--input", whole, "--output", tmp_path / "g.tif", "--target-crs",
                             "EPSG:4326", "--scheduler", "local:1")  # fmt: skip
    assert status == 0, err
    assert "square on the ground there" in err and "3000 of 3000 points" in err
    ours, ref = gdal.Open(str(tmp_path / "g.tif")), gdal.Open(core["output"])
    np.testing.assert_allclose(ours.GetGeoTransform(), ref.GetGeoTransform(), rtol=1e-12)
    a, b = read(core["output"]), read(tmp_path / "g.tif")
    assert a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(b, a, rtol=2e-6, atol=1e-6)
