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


def gappy_stack(tmp_path, height=60, width=29):
    """A stack of ``height`` x ``width`` pixels with gaps in its first 15 rows: a pixel nodata
    at every date, others missing some dates (fewer than 4 valid: the few-dates fit), so parts
    differ in what they keep and in which fit each feature takes; the rows below have every
    date (at 60 x 29, 1305 pixels: one group of the block fit in the whole, not in a part)."""
    rng = np.random.default_rng(5)
    k = np.arange(len(DATES))[:, None, None]
    v = 2.0 * k + rng.normal(0.0, 0.3, (len(DATES), height, width))
    v[:, :15][rng.random((len(DATES), 15, width)) < 0.15] = np.nan
    v[:, 4, 6] = np.nan
    v[2:, 9, 1] = np.nan  # two valid dates: VEL from them, no V_STDEV
    gt = (GT[0], 10.0, 0.0, GT[3], 0.0, -10.0)
    return write_stack(tmp_path / "gappy.tif", v, gt=gt)


@pytest.mark.parametrize("step", [1, 2, 3])
def test_export_parts_joined_equal_the_whole_bit_for_bit(tmp_path, monkeypatch, step):
    """Parts of a few rows each (the bound forced small), read in windows 7 pixels wide,
    joined give the very numbers of one part holding every feature read in one window (what
    export held in memory before it streamed)."""
    path = gappy_stack(tmp_path)
    whole = sr.export(sr.ExportRequest(path, step=step))
    monkeypatch.setattr(sr, "READ_COLUMNS", 7)
    row_bytes = 8 * len(DATES) * len(range(0, 29, step))
    parts = list(sr.export_parts(sr.ExportRequest(path, step=step), part_bytes=2 * row_bytes))
    assert len(parts) >= 5 and all(p.values.nbytes <= 2 * row_bytes for p in parts)
    joined = sr.join_parts(parts)
    for name in ("x", "y", "vel", "v_stdev", "values"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(whole, name), err_msg=name)
    assert joined.index == whole.index and joined.log == whole.log and joined.warnings == whole.warnings
    assert len(whole.index) == np.isfinite(np.asarray(whole.values)).any(axis=1).sum() > 0
    assert sum(bool(p.log) for p in parts) == 1  # the log once


def test_export_parts_are_bounded_whatever_the_grid(tmp_path):
    """No part holds more than the bound of values: memory is bounded by a part, not by
    the number of features exported (issue 36)."""
    path = gappy_stack(tmp_path, height=200, width=150)
    bound = 8 * len(DATES) * 150 * 7  # seven rows of values
    parts = list(sr.export_parts(sr.ExportRequest(path, step=1), part_bytes=bound))
    assert max(p.values.nbytes for p in parts) <= bound
    assert sum(p.values.nbytes for p in parts) > 20 * bound  # the whole would not fit
    assert sum(len(p.index) for p in parts) == len(sr.export(sr.ExportRequest(path, step=1)).index)
