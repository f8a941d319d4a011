"""The runs of sample_timeseries and export_points_timeseries (core/runs/series_run.py):
known answers, bad input, pictures; no QGIS."""

import datetime

import numpy as np
import pytest
from osgeo import gdal
from series_stacks import DATES, GT, HEIGHT, HOLE, WIDTH, centre, decomposed_pair, truth, utm_wkt, write_stack

from insar_decomposition.core.conventions.errors import TimeSeriesError
from insar_decomposition.core.runs import series_run as sr
from insar_decomposition.core.samplers import series as ts

gdal.UseExceptions()
F32 = truth().astype(np.float32).astype(np.float64)


def test_the_long_table_holds_every_layer_and_date_relative_to_the_reference(tmp_path):
    up, _ = decomposed_pair(tmp_path)
    asc = write_stack(tmp_path / "asc.tif", truth(offset=3.0))
    ref = ts.Target(utm_wkt(), *centre(0, 0))
    inputs = [(asc, ""), (up, ""), (str(tmp_path / "sigma_up.tif"), "")]
    req = sr.SampleRequest(inputs, [(7, *centre(2, 2))], utm_wkt(), reference=ref, reference_date=DATES[1])
    out = sr.sample(req)
    assert {r[1] for r in out.rows} == {"asc", "up"}  # the sigma stack went with its values
    asc_rows = [r for r in out.rows if r[1] == "asc"]
    rel = F32[:, 2, 2] - F32[:, 0, 0]
    np.testing.assert_allclose([r[3] for r in asc_rows], rel - rel[1], atol=1e-5)
    assert [r[2] for r in asc_rows] == [d.isoformat() for d in DATES] and {r[0] for r in out.rows} == {7}
    up_rows = [r for r in out.rows if r[1] == "up"]
    np.testing.assert_allclose([r[4] for r in up_rows], 0.5 + 0.1 * np.arange(6), rtol=1e-6)
    assert all(r[4] is None for r in asc_rows) and all(r[5] == 1 and r[6] == 0 for r in asc_rows)


def test_nodata_gives_no_row_and_a_point_outside_every_layer_is_named(tmp_path):
    asc = write_stack(tmp_path / "asc.tif", truth())
    req = sr.SampleRequest([(asc, "")], [(1, *centre(*HOLE)), (2, -5.0, -5.0), (3, *centre(1, 1))], utm_wkt())
    out = sr.sample(req)
    assert {r[0] for r in out.rows} == {3}
    assert any("point 2 (-5, -5) is outside every layer" in w for w in out.warnings)


def test_layers_in_different_crss_each_get_the_point_in_their_crs(tmp_path):
    asc = write_stack(tmp_path / "asc.tif", truth())
    # the same ground in UTM 11N, described in UTM 12N coordinates: another CRS, another grid
    from osgeo import osr

    a, b = osr.SpatialReference(wkt=utm_wkt()), osr.SpatialReference(wkt=utm_wkt(32612))
    for s in (a, b):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    gdal.Warp(str(tmp_path / "desc.tif"), asc, dstSRS=b.ExportToWkt(), resampleAlg="near").FlushCache()
    x, y = centre(4, 6)
    out = sr.sample(sr.SampleRequest([(asc, ""), (str(tmp_path / "desc.tif"), "")], [(1, x, y)], utm_wkt()))
    by = {name: [r[3] for r in out.rows if r[1] == name] for name in ("asc", "desc")}
    np.testing.assert_allclose(by["asc"], F32[:, 4, 6], rtol=1e-6)
    # reprojected into the other layer: the series of a pixel next to it (nearest-neighbour warp)
    near = [F32[:, r, c] for r in (3, 4, 5) for c in (5, 6, 7)]
    assert any(np.allclose(by["desc"], n, rtol=1e-6) for n in near)


def test_bad_inputs_are_refused_before_any_pixel_is_read(tmp_path):
    asc = write_stack(tmp_path / "asc.tif", truth())
    flat = write_stack(tmp_path / "vel.tif", truth(), dated=False)
    with pytest.raises(TimeSeriesError, match="vel: has no dated band"):
        sr.sample(sr.SampleRequest([(asc, ""), (flat, "")], [(1, *centre(1, 1))], utm_wkt()))
    with pytest.raises(TimeSeriesError, match="asc: REFERENCE_DATE 2021-01-01 is outside"):
        sr.sample(sr.SampleRequest([(asc, "")], [(1, *centre(1, 1))], utm_wkt(),
                                   reference_date=datetime.date(2021, 1, 1)))  # fmt: skip


def test_one_picture_per_point(tmp_path):
    pytest.importorskip("matplotlib")
    up, sigma = decomposed_pair(tmp_path)
    folder = tmp_path / "plots"
    req = sr.SampleRequest([(up, ""), (sigma, "")], [(1, *centre(1, 1)), (2, *centre(5, 5))], utm_wkt(),
                           plot_folder=str(folder), plot_format="svg")  # fmt: skip
    out = sr.sample(req)
    assert sorted(p.name for p in folder.iterdir()) == ["point_1.svg", "point_2.svg"]
    assert out.plots and "<svg" in (folder / "point_1.svg").read_text()[:400]


def test_export_every_nth_pixel_in_mm_with_its_rate(tmp_path):
    path = write_stack(tmp_path / "up.tif", truth() / 1000.0, unit="m")
    out = sr.export(sr.ExportRequest(path, step=3))
    rows, cols = np.mgrid[0:HEIGHT:3, 0:WIDTH:3]
    assert len(out.index) == rows.size  # (3, 3) is no nodata: the hole (3, 4) is not on the lattice
    np.testing.assert_allclose(out.x, GT[0] + (cols.ravel() + 0.5) * 10)
    np.testing.assert_allclose(out.y, GT[3] - (rows.ravel() + 0.5) * 10)
    np.testing.assert_allclose(out.values, truth()[:, rows.ravel(), cols.ravel()].T, rtol=1e-5)
    per_date = 1.5 + 0.003 * (rows.ravel() * cols.ravel() % 7)
    np.testing.assert_allclose(out.vel, per_date * 365.25 / 12, rtol=1e-4)
    assert np.all(out.v_stdev < 1e-2) and out.date_fields[0] == "D20200101"


def test_export_at_points_skips_nodata_and_outside(tmp_path):
    path = write_stack(tmp_path / "up.tif", truth())
    pts = [centre(1, 2), centre(*HOLE), (-1.0, -1.0), centre(6, 8)]
    out = sr.export(sr.ExportRequest(path, points=pts, points_crs_wkt=utm_wkt()))
    assert out.index == [0, 3]
    np.testing.assert_allclose(out.values, [F32[:, 1, 2], F32[:, 6, 8]], rtol=1e-6)
    assert any("point 3" in w and "outside" in w for w in out.warnings)
    assert any("point 2 is on nodata" in w for w in out.warnings)


def test_export_refuses_a_stack_without_a_length_unit(tmp_path):
    path = write_stack(tmp_path / "up.tif", truth(), unit="")
    with pytest.raises(TimeSeriesError, match="up: its unit"):
        sr.export(sr.ExportRequest(path, step=2))
