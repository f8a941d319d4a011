"""losdecomp:sample_timeseries and losdecomp:export_points_timeseries through Processing:
the table and the point layer hold the rasters' known values; bad input is refused by name."""

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from series_stacks import DATES, HOLE, centre, decomposed_pair, truth, write_stack

from conftest import run_logged

gdal.UseExceptions()
F32 = truth().astype(np.float32).astype(np.float64)


def points_file(path, xy, epsg=32611):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("points", srs, ogr.wkbPoint)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for i, (x, y) in enumerate(xy):
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetField("name", f"p{i}")
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({x} {y})"))
        layer.CreateFeature(f)
    ds = None
    return str(path)


def rows_of(path):
    ds = ogr.Open(str(path))
    layer = ds.GetLayer(0)
    return [{k: f.GetField(k) for k in f.keys()} for f in layer]


def test_sample_at_a_point_relative_to_a_reference_point(plugin, tmp_path):
    up, sigma = decomposed_pair(tmp_path)
    asc = write_stack(tmp_path / "asc.tif", truth(offset=2.0))
    x, y = centre(2, 6)
    rx, ry = centre(0, 0)
    params = {"INPUTS": [asc, up, sigma], "POINT": f"{x},{y} [EPSG:32611]",
              "REFERENCE_POINT": f"{rx},{ry} [EPSG:32611]", "OUTPUT": str(tmp_path / "t.gpkg")}  # fmt: skip
    res, log = run_logged("losdecomp:sample_timeseries", params)
    rows = rows_of(res["OUTPUT"])
    assert {r["layer"] for r in rows} == {"asc", "up"} and {r["point_id"] for r in rows} == {1}
    up_rows = sorted((r for r in rows if r["layer"] == "up"), key=lambda r: r["date"])
    assert [r["date"] for r in up_rows] == [d.isoformat() for d in DATES]
    np.testing.assert_allclose([r["value"] for r in up_rows], F32[:, 2, 6] - F32[:, 0, 0], atol=1e-5)
    np.testing.assert_allclose([r["sigma"] for r in up_rows], 0.5 + 0.1 * np.arange(6), rtol=1e-6)
    assert all(r["count"] == 1 and r["spread"] == 0 for r in up_rows)
    assert "sigma: sigma_up (the same run's sigma)" in log


def test_sample_points_skips_nodata_and_names_a_point_outside_every_layer(plugin, tmp_path):
    pytest.importorskip("matplotlib")
    asc = write_stack(tmp_path / "asc.tif", truth())
    pts = points_file(tmp_path / "p.gpkg", [centre(1, 1), centre(*HOLE), (0.0, 0.0)])
    params = {"INPUTS": [asc], "POINTS": pts, "RADIUS": 0, "OUTPUT": str(tmp_path / "t.gpkg"),
              "OUTPUT_PLOT": str(tmp_path / "plots")}  # fmt: skip
    res, log = run_logged("losdecomp:sample_timeseries", params)
    rows = rows_of(res["OUTPUT"])
    assert {r["point_id"] for r in rows} == {1}
    assert "WARNING: point 3 (0, 0) is outside every layer: skipped" in log
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["point_1.png", "point_2.png"]


def test_a_layer_without_dates_is_refused_by_name(plugin, tmp_path):
    asc = write_stack(tmp_path / "asc.tif", truth())
    flat = write_stack(tmp_path / "vel.tif", truth(), dated=False)
    x, y = centre(1, 1)
    params = {"INPUTS": [asc, flat], "POINT": f"{x},{y} [EPSG:32611]", "OUTPUT": str(tmp_path / "t.gpkg")}
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="vel: has no dated band"):
        run_logged("losdecomp:sample_timeseries", params)
    assert not (tmp_path / "t.gpkg").exists()


def test_export_every_nth_pixel_in_the_save_qgis_layout(plugin, tmp_path):
    up = write_stack(tmp_path / "up.tif", truth() / 10.0, unit="cm")
    res, log = run_logged(
        "losdecomp:export_points_timeseries", {"INPUT": up, "STEP": 4, "OUTPUT": str(tmp_path / "e.gpkg")}
    )
    rows = rows_of(res["OUTPUT"])
    assert len(rows) == 2 * 3  # rows 0, 4 x cols 0, 4, 8
    first = rows[0]
    assert list(first)[:3] == ["VEL", "V_STDEV", "D20200101"]
    np.testing.assert_allclose([first["D" + d.strftime("%Y%m%d")] for d in DATES], truth()[:, 0, 0], rtol=1e-5)
    np.testing.assert_allclose(first["VEL"], 1.5 * 365.25 / 12, rtol=1e-4)


def test_export_at_points_copies_their_attributes(plugin, tmp_path):
    up = write_stack(tmp_path / "up.tif", truth())
    pts = points_file(tmp_path / "p.gpkg", [centre(5, 5), centre(*HOLE)])
    res, log = run_logged("losdecomp:export_points_timeseries", {"INPUT": up, "POINTS": pts,
                                                                 "OUTPUT": str(tmp_path / "e.gpkg")})  # fmt: skip
    rows = rows_of(res["OUTPUT"])
    assert [r["name"] for r in rows] == ["p0"] and "point 2 is on nodata" in log
    np.testing.assert_allclose(rows[0]["D20200113"], F32[1, 5, 5], rtol=1e-6)


def test_export_at_points_whose_fields_clash_renames_theirs_and_fills_ours_by_name(plugin, tmp_path):
    """Points from a save_qgis file already have VEL, V_STDEV and DYYYYMMDD fields: theirs
    are kept renamed NAME_in, ours hold this stack's numbers (review 31, item 1)."""
    up = write_stack(tmp_path / "up.tif", truth())
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp_path / "p.gpkg"))
    layer = ds.CreateLayer("points", srs, ogr.wkbPoint)
    for name in ("VEL", "d20200101", "name"):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTString if name == "name" else ogr.OFTReal))
    f = ogr.Feature(layer.GetLayerDefn())
    f.SetField("VEL", -1.0)
    f.SetField("d20200101", -2.0)
    f.SetField("name", "p0")
    f.SetGeometry(ogr.CreateGeometryFromWkt("POINT ({} {})".format(*centre(5, 5))))
    layer.CreateFeature(f)
    ds = None
    res, log = run_logged("losdecomp:export_points_timeseries", {"INPUT": up, "POINTS": str(tmp_path / "p.gpkg"),
                                                                 "OUTPUT": str(tmp_path / "e.gpkg")})  # fmt: skip
    (row,) = rows_of(res["OUTPUT"])
    assert row["VEL_in"] == -1.0 and row["d20200101_in"] == -2.0 and row["name"] == "p0"
    np.testing.assert_allclose(row["D20200101"], F32[0, 5, 5], rtol=1e-6)
    np.testing.assert_allclose(row["D20200113"], F32[1, 5, 5], rtol=1e-6)
    years = np.array([(d - DATES[0]).days / 365.25 for d in DATES])
    rate = np.polyfit(years, F32[:, 5, 5], 1)[0]
    np.testing.assert_allclose(row["VEL"], rate, rtol=1e-4)
    assert row["V_STDEV"] is not None and row["V_STDEV"] < 1.0
    assert "renamed" in log and "VEL -> VEL_in" in log


def test_export_every_pixel_streams_its_parts_into_the_output(plugin, tmp_path, monkeypatch):
    """Parts of one row each (the bound forced small) give the output of the whole: every
    pixel once, in order, the log once."""
    from insar_decomposition.core.runs import series_run

    up = write_stack(tmp_path / "up.tif", truth())
    monkeypatch.setattr(series_run, "PART_BYTES", 8 * len(DATES) * 10)  # one row of 10 pixels
    res, log = run_logged("losdecomp:export_points_timeseries", {"INPUT": up, "OUTPUT": str(tmp_path / "e.gpkg")})
    rows = rows_of(res["OUTPUT"])
    assert len(rows) == 8 * 10 - 1 and log.count("79 features") == 1  # the hole left out
    got = np.array([[r["D" + d.strftime("%Y%m%d")] for d in DATES] for r in rows])
    want = np.delete(F32.reshape(len(DATES), -1), HOLE[0] * 10 + HOLE[1], axis=1).T
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_export_cancelled_between_parts_leaves_no_output(plugin, tmp_path, monkeypatch):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    from insar_decomposition.core.runs import series_run

    up = write_stack(tmp_path / "up.tif", truth())
    monkeypatch.setattr(series_run, "PART_BYTES", 8 * len(DATES) * 10)
    written = []
    real = series_run.export_parts

    def counted(*args, **kwargs):
        for part in real(*args, **kwargs):
            written.append(len(part.index))
            yield part

    monkeypatch.setattr(series_run, "export_parts", counted)
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda p: feedback.cancel() if p > 0 else None)
    out = tmp_path / "e.gpkg"
    result = processing.run("losdecomp:export_points_timeseries", {"INPUT": up, "OUTPUT": str(out)},
                            context=QgsProcessingContext(), feedback=feedback)  # fmt: skip
    assert feedback.isCanceled() and written and written[0] == 10  # a part was written, then cancelled
    assert not result.get("OUTPUT") and not out.exists()


def test_export_failing_part_way_leaves_no_output(plugin, tmp_path, monkeypatch):
    """A part that fails to read after others were written (a damaged tile, a full disk):
    the error is raised and the features already written are not left behind."""
    import processing
    from qgis.core import QgsProcessingException

    from insar_decomposition.core.runs import series_run

    up = write_stack(tmp_path / "up.tif", truth())
    monkeypatch.setattr(series_run, "PART_BYTES", 8 * len(DATES) * 10)
    real = series_run.export_parts

    def failing(*args, **kwargs):
        parts = real(*args, **kwargs)
        yield next(parts)
        raise RuntimeError("up.tif: read failed in a later band of rows")

    monkeypatch.setattr(series_run, "export_parts", failing)
    out = tmp_path / "e.gpkg"
    with pytest.raises(QgsProcessingException, match="read failed"):
        processing.run("losdecomp:export_points_timeseries", {"INPUT": up, "OUTPUT": str(out)})
    assert not out.exists()
