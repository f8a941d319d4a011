"""The time-series inspector (ui/inspector/): a simulated click on the map gives the dock the
rasters' values (from the core sampler), relative to a reference, with sigma stacks paired,
a second place, a polygon's envelope, a fitted rate, a read-out of single-epoch rasters,
"no data here" on nodata, and CSV and picture export."""

import csv

import numpy as np
import pytest
from osgeo import gdal
from series_stacks import DATES, GT, HOLE, centre, decomposed_pair, truth, write_stack

gdal.UseExceptions()
F32 = truth().astype(np.float32).astype(np.float64)
pytest.importorskip("matplotlib")


@pytest.fixture
def project(qgis_canvas, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem, QgsProject, QgsRasterLayer, QgsRectangle

    up, sigma = decomposed_pair(tmp_path)
    asc = write_stack(tmp_path / "asc.tif", truth(offset=2.0))
    vel = write_stack(tmp_path / "vel.tif", truth()[:1] * 0 + 7.0, dated=False)
    project = QgsProject()  # not the instance: the session's own project stays untouched
    layers = [QgsRasterLayer(p, name) for p, name in ((asc, "asc"), (up, "up"), (sigma, "sigma_up"), (vel, "vel"))]
    project.addMapLayers(layers)
    qgis_canvas.resize(600, 400)
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:32611"))
    qgis_canvas.setLayers(layers)
    qgis_canvas.setExtent(QgsRectangle(GT[0], GT[3] - 80, GT[0] + 100, GT[3]))
    qgis_canvas.refresh()
    yield project
    project.removeAllMapLayers()


@pytest.fixture
def dock(qgis_canvas, project):
    from insar_decomposition.ui.inspector.dock import InspectorDock
    from insar_decomposition.ui.inspector.tool import InspectorTool

    d = InspectorDock(project=project)
    tool = InspectorTool(qgis_canvas)
    d.connect_tool(tool)
    qgis_canvas.setMapTool(tool)
    yield d, tool
    qgis_canvas.unsetMapTool(tool)
    d.deleteLater()


def click(tool, x, y, shift=False, right=False):
    from qgis.core import QgsPointXY

    tool.handle(QgsPointXY(x, y), shift, right)


def by_layer(d):
    return {s.layer: s for _, s in d.state.data}


def test_a_mouse_release_on_the_canvas_gives_the_rasters_values(qgis_canvas, dock):
    from qgis.core import QgsPointXY
    from qgis.gui import QgsMapMouseEvent
    from qgis.PyQt.QtCore import QEvent, QPoint, Qt

    d, tool = dock
    x, y = centre(2, 6)
    pixel = qgis_canvas.getCoordinateTransform().transform(QgsPointXY(x, y))
    left, release = Qt.MouseButton.LeftButton, QEvent.Type.MouseButtonRelease
    at = QPoint(int(pixel.x()), int(pixel.y()))
    event = QgsMapMouseEvent(qgis_canvas, release, at, left, left, Qt.KeyboardModifier.NoModifier)
    tool.canvasReleaseEvent(event)
    got = by_layer(d)
    assert set(got) == {"asc", "up"}  # the sigma stack went with up; vel is single-epoch
    np.testing.assert_allclose(got["up"].value, F32[:, 2, 6], rtol=1e-6)
    np.testing.assert_allclose(got["asc"].value, F32[:, 2, 6] + 2.0, rtol=1e-6)
    np.testing.assert_allclose(got["up"].sigma, 0.5 + 0.1 * np.arange(6), rtol=1e-6)
    assert got["up"].dates == DATES and got["up"].unit == "mm"
    assert d.table.rowCount() == 1 and d.table.item(0, 2).text() == "7"


def test_a_point_on_a_pixel_edge_and_near_the_raster_edge(dock):
    d, tool = dock
    click(tool, GT[0] + 3 * GT[1], GT[3] + 2 * GT[5])  # corner: the pixel right of and below it
    np.testing.assert_allclose(by_layer(d)["up"].value, F32[:, 2, 3], rtol=1e-6)
    click(tool, *centre(7, 9))
    np.testing.assert_allclose(by_layer(d)["up"].value, F32[:, 7, 9], rtol=1e-6)


def test_nodata_says_no_data_here(dock):
    from insar_decomposition.ui.inspector.dock import NO_DATA

    d, tool = dock
    click(tool, *centre(*HOLE))
    assert d.state.data == [] and d.message.text().startswith(NO_DATA)


def test_a_reference_click_then_a_target_then_a_second_place(dock):
    d, tool = dock
    d.reference_button.click()
    click(tool, *centre(0, 0))
    click(tool, *centre(4, 7))
    np.testing.assert_allclose(by_layer(d)["up"].value, F32[:, 4, 7] - F32[:, 0, 0], atol=1e-5)
    click(tool, *centre(6, 1), shift=True)
    got = by_layer(d)
    assert set(got) == {"asc (A)", "up (A)", "asc (B)", "up (B)"}
    np.testing.assert_allclose(got["up (B)"].value, F32[:, 6, 1] - F32[:, 0, 0], atol=1e-5)
    d.clear_reference_button.click()
    np.testing.assert_allclose(by_layer(d)["up (B)"].value, F32[:, 6, 1], rtol=1e-6)


def test_a_drawn_polygon_gives_its_median_and_envelope_and_the_fit_its_rate(dock):
    d, tool = dock
    d.polygon_box.setChecked(True)
    x0, y0 = GT[0] + 20, GT[3] - 20
    for x, y in ((x0, y0), (x0 + 40, y0), (x0 + 40, y0 - 40), (x0, y0 - 40)):
        click(tool, x, y)
    click(tool, x0, y0, right=True)
    s = by_layer(d)["up"]
    block = F32[:, 2:6, 2:6].reshape(6, -1)
    np.testing.assert_allclose(s.value, np.nanmedian(block, axis=-1), rtol=1e-6)
    np.testing.assert_allclose(s.low, np.nanpercentile(block, 5, axis=-1), rtol=1e-5)
    d.fit_box.setChecked(True)
    labels = [c[0] for c in d.state.curves()]
    assert any(label.startswith("up line: ") and "mm/yr" in label for label in labels)


def test_export_csv_and_pictures(dock, tmp_path):
    d, tool = dock
    click(tool, *centre(1, 1))
    d.export_csv(str(tmp_path / "s.csv"))
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    up = [r for r in rows if r["layer"] == "up"]
    np.testing.assert_allclose([float(r["value"]) for r in up], F32[:, 1, 1], rtol=1e-6)
    d.export_picture(str(tmp_path / "s.png"))
    d.export_picture(str(tmp_path / "s.svg"))
    assert (tmp_path / "s.png").stat().st_size > 1000 and "<svg" in (tmp_path / "s.svg").read_text()[:500]


def test_a_second_click_updates_the_same_axes_in_place(dock):
    import matplotlib.dates as mdates

    d, tool = dock
    click(tool, *centre(1, 1))
    ax, lines = d.plot.drawing.ax, list(d.plot.drawing.lines)
    click(tool, *centre(5, 8))
    assert d.plot.figure.axes == [ax] and d.plot.drawing.lines[: len(lines)] == lines
    shown = {line.get_label(): line for line in ax.get_lines() if line.get_visible()}
    assert set(shown) == {"asc", "up"}
    x, y = shown["up"].get_data()
    np.testing.assert_allclose(y, F32[:, 5, 8], rtol=1e-6)
    assert [mdates.num2date(v).date() for v in mdates.date2num(x)] == DATES
    assert len(ax.collections) == 1  # up's sigma band, the first click's band removed
    click(tool, *centre(*HOLE))
    assert not [line for line in ax.get_lines() if line.get_visible()] and not ax.collections


def test_the_map_marks_the_places_and_the_reference(dock):
    d, tool = dock
    click(tool, *centre(1, 1))
    assert len(tool.markers) == 1
    click(tool, *centre(2, 2), shift=True)
    d.reference_button.click()
    click(tool, *centre(0, 0))
    assert len(tool.markers) == 3
    (x, y), marked = centre(0, 0), tool.markers[-1].center()
    assert (marked.x(), marked.y()) == (x, y)
    tool.deactivate()
    assert tool.markers == []


def test_a_reference_date_zeroes_every_series_and_outside_a_span_is_said(dock):
    d, tool = dock
    click(tool, *centre(4, 2))
    d.set_reference_date(DATES[2])
    np.testing.assert_allclose(by_layer(d)["up"].value, F32[:, 4, 2] - F32[2, 4, 2], atol=1e-5)
    assert "zero at 2020-01-25" in d.plot.drawing.ax.get_title()
    d.set_reference_date(DATES[-1] + (DATES[1] - DATES[0]))  # after every layer's last date
    assert d.state.data == [] and "no value on both sides of" in d.message.text()
    d.set_reference_date(None)
    np.testing.assert_allclose(by_layer(d)["up"].value, F32[:, 4, 2], rtol=1e-6)


def test_a_gnss_file_draws_the_nearest_station_beside_the_series(dock, tmp_path):
    from osgeo import osr
    from series_stacks import utm_wkt
    from test_series_gnss import RATE, START, write_station

    d, tool = dock
    x, y = centre(2, 6)
    utm, geo = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromWkt(utm_wkt())
    geo.ImportFromEPSG(4326)
    geo.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(utm, geo).TransformPoint(x + 30.0, y)
    d.set_gnss(write_station(tmp_path / "NEAR.tenv3", "NEAR", lon, lat))
    assert d.gnss_label.text() == "NEAR.tenv3: 1 station(s)"
    d.gnss_radius.setValue(50.0)
    click(tool, x, y)
    (curve,) = d.state.gnss  # asc states no geometry: no line of sight, no GNSS for it
    assert curve.label.startswith("up GNSS NEAR (up, 30 m away)")  # metres on the ground, from UTM
    days = np.array([(when - START).days for when in curve.dates])
    np.testing.assert_allclose(curve.values, 1000 * RATE[2] * days / 365.25, atol=2e-3)
    assert curve.label in [line.get_label() for line in d.plot.drawing.ax.get_lines() if line.get_visible()]
    d.gnss_radius.setValue(10.0)
    assert d.state.gnss == [] and "no GNSS station within 10 m" in d.message.text()
    d.set_gnss(str(tmp_path / "missing.tenv3"))
    assert d.gnss_label.text() == "no GNSS" and "missing.tenv3" in d.message.text()


def test_the_zero_date_offers_the_layers_first_date(dock):
    d, tool = dock
    click(tool, *centre(1, 1))
    got = d.zero_date.date()
    assert (got.year(), got.month(), got.day()) == (DATES[0].year, DATES[0].month, DATES[0].day)
    assert not d.zero_box.isChecked() and d.state.reference_date is None


def test_a_reference_on_nodata_is_said_not_no_data_here(dock):
    """Review 31, item 6: the clicked place has data; the reference has none."""
    from insar_decomposition.ui.inspector.dock import NO_DATA

    d, tool = dock
    d.reference_button.click()
    click(tool, *centre(*HOLE))
    click(tool, *centre(4, 7))
    text = d.message.text()
    assert d.state.data == [] and NO_DATA not in text
    assert "up: the reference (point 1045, 1965) has no data on any date" in text


def test_the_hint_says_a_third_shift_click_drops_place_a(dock):
    d, tool = dock
    assert "a third shift-click drops place A" in d.message.text()
    click(tool, *centre(1, 1))
    for col in (2, 3):
        click(tool, *centre(1, col), shift=True)
    assert [(t.x, t.y) for t in d.state.places] == [centre(1, 2), centre(1, 3)]
