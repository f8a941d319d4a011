"""What a geodesist sees in the dialog: the initial pick, Run only when it can work, the
layers' read-outs as forms with the likely mistakes, and the run's story after it ends."""

import shutil

import pytest
from qgis.core import QgsProject, QgsRasterLayer, QgsSettings
from test_dialog import wait_for

from insar_decomposition.ui.dialog import SETTINGS, DecompositionDialog

NAF = ("014A_04939_131313", "094D_04913_101213")


@pytest.fixture()
def fresh(plugin, qgis_new_project, qgis_iface, qgis_parent):
    QgsSettings().remove(SETTINGS.rstrip("/"))
    opened = []

    def open_dialog():
        dlg = DecompositionDialog(qgis_iface, parent=qgis_parent)
        opened.append(dlg)
        return dlg

    yield open_dialog
    for dlg in opened:
        if dlg.task is not None:
            dlg.cancel()
            wait_for(lambda d=dlg: d.task is None)
        dlg.close()


def _add(path, name):
    layer = QgsRasterLayer(str(path), name)
    assert layer.isValid(), path
    QgsProject.instance().addMapLayer(layer)
    return layer


def test_opens_on_the_likeliest_pair_without_an_error(fresh, scene_paths):
    # the descending layer first: the pick follows the headings, not the order
    desc, asc = _add(scene_paths["desc"], "desc"), _add(scene_paths["asc"], "asc")
    dlg = fresh()
    assert dlg.ascLayer.currentLayer() is asc and dlg.descLayer.currentLayer() is desc
    assert "cannot" not in dlg.geometryReadout.text().lower() and "1 unit of LOS noise" in dlg.geometryReadout.text()
    assert dlg.summary.text() == "" and not dlg.messageBar.items()
    assert dlg.runButton.isEnabled()


def test_one_layer_never_fills_both_slots(fresh, scene_paths):
    asc = _add(scene_paths["asc"], "asc")
    dlg = fresh()
    assert dlg.ascLayer.currentLayer() is asc and dlg.descLayer.currentLayer() is None
    assert dlg.single_track_mode() and dlg.runButton.isEnabled()
    dlg.descLayer.setLayer(asc)
    assert dlg.descLayer.currentLayer() is asc and dlg.ascLayer.currentLayer() is None
    assert not dlg.runButton.isEnabled() and "ascending" in dlg.runButton.toolTip()


def test_a_red_read_out_disables_run(fresh, scene_paths):
    _add(scene_paths["desc"], "desc"), _add(scene_paths["asc"], "asc")
    dlg = fresh()
    dlg.descHeading.setText("350")  # both tracks now look east
    assert "cannot resolve" in dlg.geometryReadout.text()
    assert not dlg.runButton.isEnabled() and "cannot resolve" in dlg.runButton.toolTip()
    dlg.descHeading.setText("192")
    assert dlg.runButton.isEnabled()
    dlg.azimuth.setText("north-east")
    assert not dlg.runButton.isEnabled()
    assert "horizontal azimuth 'north-east' is not a number" in dlg.runButton.toolTip()


def test_naf_frames_are_named_and_mistakes_are_said(fresh, shared_data, tmp_path):
    # copies: QGIS writes statistics (.aux.xml) beside the layers it loads
    for frame in NAF:
        shutil.copytree(shared_data / "naf_licsbas" / frame, tmp_path / frame)
    root = tmp_path
    vel = [_add(root / f / "vel.geo.tif", "vel.geo") for f in NAF]
    std = _add(root / NAF[0] / "vstd.geo.tif", "vstd.geo")
    dlg = fresh()
    assert [lyr.name() for lyr in vel] == [f"{f} vel.geo" for f in NAF]  # not two identical "vel.geo"
    assert dlg.ascLayer.currentLayer() is vel[0] and dlg.descLayer.currentLayer() is vel[1]
    info = dlg.ascInfo.text()
    for field in ("Product", "Geometry", "LOS sign", "Unit", "Standard deviation"):
        assert f"<b>{field}</b>" in info
    assert "(empty = vstd.geo.tif)" in dlg.ascSigmaLabel.text()
    assert "each LiCSBAS frame is referenced to its own area" in dlg.geometryReadout.text()
    dlg.referencePoint.setText("31.0, 40.6")
    dlg.update_readout()
    assert "referenced to its own area" not in dlg.geometryReadout.text()
    dlg.ascLayer.setLayer(std)
    assert "looks like a standard deviation" in dlg.ascInfo.text()
    dlg.ascLayer.setLayer(vel[1])
    assert "says descending, but it is in the ascending slot" in dlg.ascInfo.text()


def test_the_run_tells_its_story_and_every_output_can_be_a_file(fresh, scene_paths, tmp_path):
    _add(scene_paths["asc"], "asc"), _add(scene_paths["desc"], "desc")
    dlg = fresh()
    dlg.sigmaOutputs.setChecked(False)
    assert not dlg.sigmaUpOutput.isEnabled()
    dlg.qualityOutput.setChecked(True)
    dlg.qualityFile.setFilePath(str(tmp_path / "quality.tif"))
    dlg.upOutput.setFilePath(str(tmp_path / "up.tif"))
    dlg.run()
    wait_for(lambda: dlg.task is None)
    text = dlg.summary.text()
    assert "Done" in text and "common grid" in text and "resolved" in text, text
    assert (tmp_path / "quality.tif").exists() and (tmp_path / "up.tif").exists()
    root = QgsProject.instance().layerTreeRoot()
    group = root.children()[0]
    assert group.name().startswith("East and vertical velocity")
    assert group.children()[0].layer().name().startswith("Vertical velocity (mm/year)")


def test_a_long_error_is_shown_whole(fresh, scene_paths, tmp_path):
    _add(scene_paths["asc"], "asc"), _add(scene_paths["desc"], "desc")
    dlg = fresh()
    dlg.referencePoint.setText("1e9, 1e9")
    dlg.run()
    wait_for(lambda: dlg.task is None)
    assert "Cannot run" in dlg.summary.text() and "reference" in dlg.summary.text().lower()


def test_the_crs_set_in_qgis_is_respected(fresh, scene_paths, tmp_path):
    """A track whose file has no CRS is read in the CRS the user gave the layer in QGIS; the
    dialog and the run's warnings say so, and the file is left as it was."""
    import processing
    from osgeo import gdal
    from qgis.core import QgsCoordinateReferenceSystem

    bare = str(tmp_path / "asc_no_crs.tif")
    gdal.Translate(bare, scene_paths["asc"])
    ds = gdal.Open(bare, gdal.GA_Update)
    ds.SetProjection("")
    ds = None
    before = open(bare, "rb").read()
    asc = _add(bare, "asc")
    asc.setCrs(QgsCoordinateReferenceSystem("EPSG:32611"))  # the scene's truth CRS, as the user sets it
    desc = _add(scene_paths["desc"], "desc")
    dlg = fresh()
    dlg.ascLayer.setLayer(asc)
    dlg.descLayer.setLayer(desc)
    assert "the file has no CRS; read in EPSG:32611" in dlg.gridInfo.text()
    result = processing.run(
        "losdecomp:decompose",
        {
            "ASCENDING": asc,
            "DESCENDING": desc,
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        },
    )
    out = gdal.Open(result["OUTPUT_UP"])
    srs = out.GetSpatialRef()
    assert srs is not None and srs.GetAuthorityCode(None) == "32611"
    assert open(bare, "rb").read() == before
