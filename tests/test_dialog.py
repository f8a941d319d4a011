"""The dialog, driven as a user would: metadata read-out, validation, a real run."""

import shutil
import time

import numpy as np
import pytest
from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsSettings, QgsSingleBandPseudoColorRenderer
from qgis.PyQt.QtCore import QCoreApplication

from conftest import read_band
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io.model import QUALITY_BANDS
from insar_decomposition.ui.dialog import SETTINGS, DecompositionDialog


def wait_for(predicate, timeout=60):
    start = time.time()
    while not predicate():
        QCoreApplication.processEvents()
        if time.time() - start > timeout:
            raise TimeoutError("the dialog's task did not finish")
        time.sleep(0.01)


@pytest.fixture()
def project_layers(plugin, scene_paths, qgis_new_project):
    QgsSettings().remove(SETTINGS.rstrip("/"))
    asc = QgsRasterLayer(scene_paths["asc"], "asc")
    desc = QgsRasterLayer(scene_paths["desc"], "desc")
    assert asc.isValid() and desc.isValid()
    QgsProject.instance().addMapLayers([asc, desc])
    return asc, desc


@pytest.fixture()
def dialog(project_layers, qgis_iface, qgis_parent):
    asc, desc = project_layers
    dlg = DecompositionDialog(qgis_iface, parent=qgis_parent)
    dlg.ascLayer.setLayer(asc)
    dlg.descLayer.setLayer(desc)
    yield dlg
    if dlg.task is not None:
        dlg.cancel()
        wait_for(lambda: dlg.task is None)
    dlg.close()
    dlg.deleteLater()


def test_choosing_a_layer_fills_angles_and_says_where_they_came_from(dialog):
    assert dialog.ascHeading.text() == "348.0000"
    assert dialog.ascIncidence.text() == "34.0000"
    assert dialog.descHeading.text() == "192.0000"
    assert "INSAR_HEADING" in dialog.ascInfo.text()
    # filled values are passed as 'from the layer', so the log names the metadata as source
    params = dialog.parameters()
    assert "ASC_HEADING" not in params and "DESC_INCIDENCE" not in params
    dialog.ascHeading.setText("347.5")
    assert dialog.parameters()["ASC_HEADING"] == 347.5


def test_readout_shows_error_amplification_and_grid(dialog):
    text = dialog.geometryReadout.text()
    assert "1 unit of LOS noise becomes" in text and "cond(G)" in text
    assert "Ascending: WGS 84 / UTM zone 11N" in dialog.gridInfo.text()
    assert "Suggested resolution: 121.236 metre" in dialog.gridInfo.text()
    dialog.suggest_resolution()
    assert dialog.resolution.value() == pytest.approx(121.236, abs=1e-3)


def test_same_look_direction_warns_and_refuses_to_run(dialog):
    dialog.descHeading.setText("350")
    dialog.descIncidence.setText("44")
    assert "cannot resolve east and up" in dialog.geometryReadout.text()
    dialog.run()
    assert dialog.task is None
    messages = [w.text() for w in dialog.messageBar.items()]
    assert any("all look the same way" in m for m in messages)


def test_not_a_number_is_reported_not_raised(dialog):
    dialog.ascHeading.setText("north-ish")
    dialog.run()
    assert dialog.task is None
    assert any("not a number" in w.text() for w in dialog.messageBar.items())


def test_licsbas_layer_shows_per_pixel_geometry(
    plugin, shared_data, qgis_iface, qgis_parent, qgis_new_project, tmp_path
):
    # a copy: QGIS writes statistics beside a layer it loads
    frame = shutil.copytree(shared_data / "naf_licsbas" / "014A_04939_131313", tmp_path / "014A_04939_131313")
    layer = QgsRasterLayer(str(frame / "vel.geo.tif"), "vel")
    QgsProject.instance().addMapLayer(layer)
    dlg = DecompositionDialog(qgis_iface, parent=qgis_parent)
    dlg.ascLayer.setLayer(layer)
    assert dlg.ascHeading.text() == "" and "per pixel" in dlg.ascHeading.placeholderText()
    assert "E.geo.tif, N.geo.tif, U.geo.tif" in dlg.ascInfo.text()
    assert "mm/year" in dlg.ascInfo.text()
    dlg.close()


def test_run_adds_styled_layers_and_remembers_settings(dialog, tmp_path):
    dialog.eastOutput.setFilePath(str(tmp_path / "east.tif"))
    dialog.losSign.setCurrentIndex(0)
    dialog.qualityOutput.setChecked(True)
    n_before = len(QgsProject.instance().mapLayers())
    dialog.run()
    assert dialog.task is not None and not dialog.runButton.isEnabled()
    wait_for(lambda: dialog.task is None)
    layers = {lyr.name(): lyr for lyr in QgsProject.instance().mapLayers().values()}
    east, up = "East velocity (mm/year) · asc + desc", "Vertical velocity (mm/year) · asc + desc"
    assert len(layers) == n_before + 2 + len(QUALITY_BANDS)
    assert {east, up} <= set(layers)
    assert layers[east].source() == str(tmp_path / "east.tif")
    assert isinstance(layers[up].renderer(), QgsSingleBandPseudoColorRenderer)
    assert dialog.progressBar.value() == 100 and dialog.runButton.isEnabled()
    again = DecompositionDialog(dialog.iface, parent=dialog.parent())
    assert again.qualityOutput.isChecked()
    again.close()


def test_cancel_leaves_no_layer_and_no_file(dialog, tmp_path, monkeypatch):
    from insar_decomposition.core.runs import engine

    real_windows = engine.windows

    def slow_windows(grid, block_pixels):
        for w in real_windows(grid, 256 * 256):
            time.sleep(0.2)
            yield w

    monkeypatch.setattr(engine, "windows", slow_windows)
    dialog.resolution.setValue(10.0)  # many windows
    dialog.upOutput.setFilePath(str(tmp_path / "up.tif"))
    n_before = len(QgsProject.instance().mapLayers())
    dialog.run()
    wait_for(lambda: dialog.progressBar.value() > 0 or dialog.task is None, timeout=30)
    dialog.cancel()
    wait_for(lambda: dialog.task is None)
    assert len(QgsProject.instance().mapLayers()) == n_before
    assert list(tmp_path.iterdir()) == []
    assert any("Cancelled" in w.title() for w in dialog.messageBar.items())


def test_plugin_menu_and_toolbar(plugin, qgis_iface, monkeypatch):
    from unittest import mock

    for name in ("addToolBar", "addPluginToRasterMenu", "removePluginRasterMenu"):
        monkeypatch.setattr(qgis_iface, name, mock.Mock(), raising=False)
    plugin.initGui()
    assert plugin.action.text() == "InSAR LOS Decomposition..."
    qgis_iface.addToolBar.assert_called_once()  # its own toolbar, shown even in a fresh profile
    # three actions, each on the toolbar and in the Raster menu: the dialog, the time-series
    # inspector and the date slider
    actions = [plugin.action, plugin.inspector_action, plugin.date_action]
    assert [c.args[0] for c in plugin.toolbar.addAction.call_args_list] == actions
    assert [c.args[1] for c in qgis_iface.addPluginToRasterMenu.call_args_list] == actions
    assert QgsApplication.processingRegistry().providerById("losdecomp") is not None
    plugin.open_dialog()
    assert plugin.dialog.isVisible()
    plugin.unload()
    assert plugin.action is None and plugin.dialog is None
    assert plugin.inspector_action is None and plugin.date_action is None
    assert sorted(map(id, (c.args[1] for c in qgis_iface.removePluginRasterMenu.call_args_list))) == sorted(
        map(id, actions))
    assert QgsApplication.processingRegistry().providerById("losdecomp") is None
    plugin.initProcessing()  # leave the provider registered for the other tests


def test_a_mintpy_file_can_be_added_directly(plugin, shared_data, qgis_iface, qgis_parent, qgis_new_project, tmp_path,
                                             monkeypatch):  # fmt: skip
    """Imports are kept beside the .h5 (never over a file), else where the user says; the
    read-out keeps the product's name; the dialog never holds one layer in both slots."""
    from insar_decomposition.ui import mintpy_panel

    dlg = DecompositionDialog(qgis_iface, parent=qgis_parent)
    assert dlg.ascLayer.currentLayer() is None and dlg.descLayer.currentLayer() is None
    (tmp_path / "a064_velocity.tif").write_bytes(b"someone else's file")
    for track in ("a064", "d071"):
        shutil.copy(shared_data / "coso_mintpy" / f"{track}_velocity.h5", tmp_path)
    dlg.add_mintpy_file(str(tmp_path / "a064_velocity.h5"))
    assert dlg.ascLayer.currentLayer().source() == str(tmp_path / "a064_velocity_2.tif")
    assert dlg.descLayer.currentLayer() is None and "Cannot run" not in dlg.summary.text()
    # a read-only folder: the user is asked
    monkeypatch.setattr(mintpy_panel, "folder_is_writable", lambda folder: False)
    asked = str(tmp_path / "chosen.tif")
    monkeypatch.setattr(mintpy_panel.QFileDialog, "getSaveFileName", lambda *a, **k: (asked, ""))
    dlg.add_mintpy_file(str(tmp_path / "d071_velocity.h5"))
    assert dlg.ascLayer.currentLayer().name() == "a064_velocity"
    assert dlg.descLayer.currentLayer().name() == "d071_velocity"
    assert dlg.descLayer.currentLayer().source() == asked
    assert (tmp_path / "a064_velocity.tif").read_bytes() == b"someone else's file"
    assert dlg.ascHeading.text() == "350.4325" and dlg.descHeading.text() == "190.2123"
    info = dlg.ascInfo.text()
    assert "m/year" in info and "Reference" in info and "imported from a064_velocity.h5" in info
    assert "processing_" not in info
    assert dlg.ascLayer.currentLayer().renderer().type() == "singlebandpseudocolor"
    dlg.close()


def test_one_track_offers_the_projection_and_runs_it(dialog, tmp_path):
    assert not dialog.singleTrack.isVisibleTo(dialog)
    dialog.descLayer.setLayer(None)
    assert dialog.single_track_mode() and dialog.singleTrack.isVisibleTo(dialog)
    # the read-out gives the amplification of the chosen direction, from core
    s_up = geometry.from_heading_incidence(348.0, 34.0)[2]
    assert f"becomes {1 / s_up:.2f} units" in dialog.geometryReadout.text()
    dialog.singleTrack.direction.setCurrentIndex(1)
    dialog.azimuth.setText("348")  # along the flight direction: invisible to the radar
    assert "barely sees that direction" in dialog.geometryReadout.text()
    dialog.run()
    assert dialog.task is None
    assert any("sensitivity |s.u| of 0.000" in w.text() for w in dialog.messageBar.items())
    dialog.singleTrack.direction.setCurrentIndex(0)
    dialog.azimuth.setText("")
    dialog.upOutput.setFilePath(str(tmp_path / "vertical.tif"))
    dialog.run()
    wait_for(lambda: dialog.task is None)
    names = [lyr.name() for lyr in QgsProject.instance().mapLayers().values()]
    assert "Vertical velocity (mm/year) · asc, assuming no horizontal motion" in names
    up = read_band(tmp_path / "vertical.tif")
    assert np.isfinite(up).sum() > 0.9 * up.size


def test_an_exception_in_the_finished_handler_is_shown_not_fatal(dialog, monkeypatch):
    import processing.gui.Postprocessing as post

    def broken(*args, **kwargs):
        raise RuntimeError("no layer tree here")

    monkeypatch.setattr(post, "handleAlgorithmResults", broken)
    dialog.run()
    wait_for(lambda: dialog.task is None)  # the process is still alive to get here
    messages = [w.text() for w in dialog.messageBar.items()]
    assert any("no layer tree here" in m for m in messages)
    assert dialog.runButton.isEnabled()
