"""The dialog's regional options (issue 35), run through its chain: two overlapping ascending
frames (the second with an offset and a ramp) merged by losdecomp:merge_frames before the
decomposition with one descending frame, and a plate whose motion decompose removes."""

import numpy as np
from osgeo import gdal
from qgis.core import QgsProject, QgsRasterLayer
from test_dialog import wait_for
from test_dialog_desktop import fresh  # noqa: F401 (a fixture)
from test_merge_frames import ASC, DESC, NOISE, WIDTH, _edge_steps, write_frames

from conftest import read_band

#: Two ascending frames overlapping over 40 columns, the second 5 mm/yr off with a ramp.
ASC_SPANS, ASC_ERRORS = ((0, 170), (130, 300)), ((0.0, 0.0, 0.0), (5.0, 0.08, -0.05))


def _add(paths, names):
    layers = [QgsRasterLayer(str(p), name) for p, name in zip(paths, names)]
    assert all(lyr.isValid() for lyr in layers)
    QgsProject.instance().addMapLayers(layers)
    return layers


def _run(dlg):
    dlg.run()
    wait_for(lambda: dlg.task is None and ("Done" in dlg.summary.text() or "Cannot" in dlg.summary.text()), 120)
    assert "Done" in dlg.summary.text(), dlg.summary.text()


def _pair(tmp_path):
    asc = write_frames(tmp_path, ASC, "asc", spans=ASC_SPANS, errors=ASC_ERRORS)
    desc = write_frames(tmp_path, DESC, "desc", spans=((0, WIDTH),), errors=((0.0, 0.0, 0.0),))
    return _add(asc + desc, ["asc1", "asc2", "desc"])


def test_two_ascending_frames_are_merged_before_the_decomposition(fresh, tmp_path):  # noqa: F811
    asc1, asc2, desc = _pair(tmp_path)
    dlg = fresh()
    dlg.ascLayer.setLayer(asc1)
    dlg.descLayer.setLayer(desc)
    dlg.ascFrames.setItemCheckState(dlg.ascFrames.findData(asc2.id()), 2)
    _run(dlg)
    steps = [(s.algorithm, s.name) for s in dlg.chain.steps]
    assert steps == [("losdecomp:merge_frames", "ascending frames"), ("losdecomp:decompose", "main")]
    merged = dlg.chain.results["ascending frames"]
    assert merged["RMS_BEFORE"] > 2.0 and merged["RMS_AFTER"] < 2 * NOISE
    offsets = [float(v) for v in merged["OFFSETS"].split(",")]
    assert offsets[0] == 0.0 and abs(offsets[1] + ASC_ERRORS[1][0]) < 1.0  # the picked frame is held fixed
    # the summary says each frame's offset and the overlap RMS before and after
    text = dlg.summary.text()
    assert "ascending frames: frame 1 (" in text and "ascending frames: frame 2 (" in text, text
    assert "offset" in text and "overlaps:" in text and "before" in text and "after" in text, text
    # no step in east or up at the edges of the second frame's overlap
    for key in ("OUTPUT_EAST", "OUTPUT_UP"):
        steps = _edge_steps(read_band(dlg.last_results[key]), [ASC_SPANS[1][0], ASC_SPANS[0][1]])
        assert max(steps) < NOISE, (key, steps)
    names = sorted(lyr.name() for lyr in QgsProject.instance().mapLayers().values())
    assert "East velocity (mm/year) · asc1 (merged 2 frames) + desc" in names, names
    assert "Vertical velocity (mm/year) · asc1 (merged 2 frames) + desc" in names, names


def test_the_plate_chosen_reaches_decompose(fresh, tmp_path):  # noqa: F811
    asc1, _, desc = _pair(tmp_path)
    dlg = fresh()
    dlg.ascLayer.setLayer(asc1)
    dlg.descLayer.setLayer(desc)
    dlg.plate.setCurrentIndex(dlg.plate.findData("ITRF2014-PMM:NorthAmerica"))
    assert dlg.parameters()["PLATE"] == "ITRF2014-PMM:NorthAmerica" and "EULER_POLE" not in dlg.parameters()
    _run(dlg)
    assert "plate motion:" in dlg.summary.text(), dlg.summary.text()
    md = gdal.Open(dlg.last_results["OUTPUT_EAST"]).GetMetadataItem("LOSDECOMP_PLATE_MODEL")
    assert md and "ITRF2014" in md and "NorthAmerica" in md.replace(" ", ""), md
    # both a plate and a pole are refused in words, and nothing runs
    dlg.eulerPole.setText("55,-100,0.2")
    dlg.run()
    assert "not both" in dlg.summary.text() and np.isfinite(read_band(dlg.last_results["OUTPUT_EAST"])).any()
