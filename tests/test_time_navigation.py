"""Dated stacks navigable in time: a stack loaded by the plugin draws its last date as a
single-band pseudocolour (not RGB of bands 1-3), with rounded legend limits; the date slider
switches the band drawn (every QGIS); per-band temporal ranges where QGIS has them (3.38+)."""

import datetime

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsDateTimeRange, QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QDate, QDateTime, QTime

import synthetic_scene as scene
from insar_decomposition.provider import styling, temporal
from insar_decomposition.ui.date_slider import DateSlider

D = datetime.date
GT = (420000.0, 100.0, 0.0, 3990000.0, 0.0, -100.0)
# bands out of date order, as a stack may be: band 2 is the last date
DATES = [D(2020, 1, 1), D(2020, 3, 1), D(2020, 1, 13), D(2020, 1, 25)]
LAST_BAND = 2


def write_dated(path, dates=DATES, scale=79.187412):
    """A stack whose band k holds k-dependent values: band b is the displacement at its date,
    growing linearly (zero on the first date, ``scale`` on the last)."""
    days = np.array([(d - min(dates)).days for d in dates], dtype=float)
    ramp = np.linspace(-1.0, 1.0, 20)[None, :] * np.ones((20, 1))
    stack = (days / days.max())[:, None, None] * scale * ramp[None]
    scene.write_raster(str(path), stack.astype(np.float32), 32611, GT, float("nan"), None, "mm")
    ds = gdal.Open(str(path), gdal.GA_Update)
    for i, d in enumerate(dates, start=1):
        ds.GetRasterBand(i).SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None
    return str(path)


@pytest.fixture()
def stack_layer(qgis_new_project, tmp_path):
    layer = QgsRasterLayer(write_dated(tmp_path / "stack.tif"), "stack")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    return layer


@pytest.mark.parametrize(
    "value, up, expected",
    [(79.187412, True, 80), (-79.187412, False, -80), (0.0131, True, 0.014), (0.0131, False, 0.013),
     (3.77, True, 3.8), (0.3, True, 0.3), (1.0, False, 1.0), (123456, True, 130000), (0.0, True, 0.0)],
)  # fmt: skip
def test_legend_limits_round_out_to_two_significant_figures(value, up, expected):
    assert float(f"{styling.round_out(value, up):.12g}") == pytest.approx(expected, rel=1e-12)


def test_band_ranges_follow_the_dates_not_the_band_order():
    ranges = temporal.band_ranges(dict(enumerate(DATES, start=1)))
    assert ranges == {1: (D(2020, 1, 1), D(2020, 1, 13)), 3: (D(2020, 1, 13), D(2020, 1, 25)),
                      4: (D(2020, 1, 25), D(2020, 3, 1)), 2: (D(2020, 3, 1), D(2020, 3, 2))}  # fmt: skip


def test_a_stack_draws_its_last_date_as_pseudocolour_with_rounded_limits(stack_layer):
    assert stack_layer.renderer().type() == "multibandcolor"  # what QGIS does by itself
    assert styling.style_stack(stack_layer)
    renderer = stack_layer.renderer()
    assert renderer.type() == "singlebandpseudocolor"
    assert temporal.rendered_band(stack_layer) == LAST_BAND
    lo, hi = renderer.classificationMin(), renderer.classificationMax()
    assert lo == -hi and hi in (80.0, 79.0)  # 79.19 at most, cut at the 99.9th percentile, rounded out
    labels = [item.label for item in renderer.shader().rasterShaderFunction().colorRampItemList()]
    assert labels[0] == f"{lo:.3g} mm" and labels[-1] == f"{hi:.3g} mm"


def test_an_undated_or_single_band_raster_is_left_alone(qgis_new_project, tmp_path, scene_paths):
    layer = QgsRasterLayer(scene_paths["asc"], "velocity")
    before = layer.renderer().type()
    assert not styling.style_stack(layer) and layer.renderer().type() == before
    assert temporal.band_dates(layer) == {}


def test_the_date_slider_switches_the_band_drawn_and_shows_the_date(stack_layer):
    styling.style_stack(stack_layer)
    limits = (stack_layer.renderer().classificationMin(), stack_layer.renderer().classificationMax())
    slider = DateSlider(None)
    assert slider.set_layer(stack_layer) and slider.slider.isEnabled()
    assert slider.slider.maximum() == 3 and slider.slider.value() == 3  # the band drawn: the last date
    assert "2020-03-01" in slider.date.text()
    slider.slider.setValue(1)  # the second date, band 3
    assert temporal.rendered_band(stack_layer) == 3
    assert "2020-01-13" in slider.date.text() and "band 3" in slider.date.text()
    renderer = stack_layer.renderer()
    assert (renderer.classificationMin(), renderer.classificationMax()) == limits  # dates compare on one ramp
    slider.step(-5)
    assert temporal.rendered_band(stack_layer) == 1 and "2020-01-01" in slider.date.text()


def test_the_date_slider_draws_an_rgb_stack_as_pseudocolour(stack_layer):
    slider = DateSlider(None)
    slider.set_layer(stack_layer)  # QGIS's RGB: the slider starts on the last date, drawn as one band
    assert stack_layer.renderer().type() == "singlebandpseudocolor"
    assert temporal.rendered_band(stack_layer) == LAST_BAND


def test_the_date_slider_waits_for_a_dated_layer(qgis_new_project, scene_paths):
    slider = DateSlider(None)
    assert not slider.set_layer(QgsRasterLayer(scene_paths["asc"], "velocity"))
    assert not slider.slider.isEnabled() and "dated raster" in slider.title.text()
    assert not slider.set_layer(None)


def _qrange(start, end):
    return QgsDateTimeRange(QDateTime(QDate(*start), QTime(0, 0)), QDateTime(QDate(*end), QTime(0, 0)))


@pytest.mark.skipif(temporal.per_band_mode() is None, reason="QGIS before 3.38 has no per-band temporal ranges")
def test_per_band_temporal_ranges_let_the_controller_step_through_the_dates(stack_layer):
    assert temporal.set_band_ranges(stack_layer)
    props = stack_layer.temporalProperties()
    assert props.isActive() and props.mode() == temporal.per_band_mode()
    assert props.bandForTemporalRange(stack_layer, _qrange((2020, 1, 14), (2020, 1, 15))) == 3
    assert props.bandForTemporalRange(stack_layer, _qrange((2020, 3, 1), (2020, 3, 2))) == LAST_BAND
    assert props.bandForTemporalRange(stack_layer, _qrange((2020, 1, 1), (2020, 1, 2))) == 1


@pytest.mark.skipif(temporal.per_band_mode() is not None, reason="this QGIS has per-band temporal ranges")
def test_before_3_38_no_temporal_ranges_are_set_and_nothing_changes(stack_layer):
    assert not temporal.set_band_ranges(stack_layer)
    assert not stack_layer.temporalProperties().isActive()


def test_a_stack_imported_by_the_dialog_draws_its_last_date_with_temporal_ranges(plugin, qgis_new_project, qgis_iface,
                                                                                  qgis_parent, monkeypatch, tmp_path):
    """The dialog's MintPy button loads a dated stack (a timeseries.h5) as Processing loads
    the other dated outputs: its last date in pseudocolour, per-band temporal ranges asked for
    (set where QGIS has them), not band 1 (all zero in a displacement stack)."""
    import processing

    from insar_decomposition.ui.dialog import DecompositionDialog

    def run(alg, params, **kwargs):
        return {"OUTPUT": write_dated(params["OUTPUT"])}

    monkeypatch.setattr(processing, "run", run)
    ranged = []
    monkeypatch.setattr(styling, "set_band_ranges", lambda layer, dates=None: ranged.append((layer.name(), dates)))
    h5 = tmp_path / "timeseries.h5"
    h5.write_bytes(b"")
    dlg = DecompositionDialog(qgis_iface, parent=qgis_parent)
    layer = dlg.add_mintpy_file(str(h5))
    assert layer.renderer().type() == "singlebandpseudocolor" and temporal.rendered_band(layer) == LAST_BAND
    assert ranged == [("timeseries", dict(enumerate(DATES, start=1)))]
    dlg.close()
