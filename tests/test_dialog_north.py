"""North and 3-D in the dialog (issue 34): east + north + up is offered only when the
tracks (their kinds and the extra tracks included) span 3-D, the read-out gives the
expected sigma of each component for a stated LOS and along-track noise (core's
(G'WG)^-1) and, for east + up-north, the tilt of d and the east leak; the kinds, the
along-track sigma and COMPONENTS reach losdecomp:decompose."""

import numpy as np
import pytest
from qgis.core import QgsProject, QgsRasterLayer
from test_dialog_desktop import fresh  # noqa: F401 (a fixture)
from test_north_3d_runs import ASC, DESC, along_track, los_track

from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.plan import readout


def test_components_readout_is_the_inverse_of_the_weighted_normal_matrix():
    s = [g.from_heading_incidence(*ASC), g.from_heading_incidence(*DESC), g.along_track_unit_vector(348.0)]
    kinds = [g.LINE_OF_SIGHT, g.LINE_OF_SIGHT, g.ALONG_TRACK]
    ro = readout.components_readout(s, kinds, 10.0, 2.0, 60.0)
    G, w = np.array(s), np.diag(1 / np.array([2.0, 2.0, 60.0]) ** 2)
    np.testing.assert_allclose(ro.sigma_enu, np.sqrt(np.diag(np.linalg.inv(G.T @ w @ G))), rtol=1e-9)
    assert ro.spans_3d and ro.condition_3d == pytest.approx(np.linalg.cond(G), rel=1e-6)
    pair = readout.components_readout(s[:2], kinds[:2])
    assert not pair.spans_3d and np.isnan(pair.sigma_enu).all()
    n = np.cross(s[0], s[1])
    d = np.array([-n[2], n[1]]) * (1 if n[1] > 0 else -1)  # (dN, dU) pointing up
    assert pair.tilt == pytest.approx(np.degrees(np.arctan2(d[0], d[1])), abs=1e-6)
    lines, blocking = readout.components_text(pair, 1)
    assert "do not span 3-D" in blocking and "nodata" in lines[0]


def test_three_d_offered_with_an_along_track_extra_track_and_its_sigmas_shown(fresh, tmp_path):  # noqa: F811
    tracks = [los_track(tmp_path, "asc", *ASC), los_track(tmp_path, "desc", *DESC),
              along_track(tmp_path, "az", 348.0, tagged=True)]  # fmt: skip
    layers = [QgsRasterLayer(t.path, t.name) for t in tracks]
    QgsProject.instance().addMapLayers(layers)
    dlg = fresh()
    dlg.ascLayer.setLayer(layers[0])
    dlg.descLayer.setLayer(layers[1])
    item = dlg.components.model().item(1)
    assert not item.isEnabled()  # asc/desc LOS alone: north is not offered
    assert "span 3-D" not in dlg.geometryReadout.text()
    dlg.extraTracks.setItemCheckState(dlg.extraTracks.findData(layers[2].id()), 2)
    dlg.alongTrackSigma.setValue(50.0)  # the stated along-track noise follows the field
    assert item.isEnabled()
    text = dlg.geometryReadout.text()
    assert "These tracks span 3-D" in text and "along-track sigma of 50" in text and "north" in text
    dlg.components.setCurrentIndex(1)
    assert dlg.runButton.isEnabled() and dlg.northOutput.isEnabled()
    params = dlg.builder.parameters()
    assert params["COMPONENTS"] == 1 and params["ALONG_TRACK_SIGMA"] == 50.0 and "OUTPUT_NORTH" in params
    dlg.extraTracks.deselectAllOptions()
    assert not item.isEnabled() and not dlg.runButton.isEnabled()  # chosen, then no longer resolvable: Run says why
    dlg.components.setCurrentIndex(2)
    text = dlg.geometryReadout.text()
    assert "tilted -8.70° from the vertical" in text and "x the north velocity" in text
    assert dlg.runButton.isEnabled() and "OUTPUT_UN_TILT" in dlg.builder.parameters()


def test_a_track_kind_makes_the_descending_slot_along_track(fresh, tmp_path):  # noqa: F811
    asc, az = los_track(tmp_path, "asc", *ASC), along_track(tmp_path, "az", 348.0)
    layers = [QgsRasterLayer(asc.path, "asc"), QgsRasterLayer(az.path, "az")]
    QgsProject.instance().addMapLayers(layers)
    dlg = fresh()
    dlg.ascLayer.setLayer(layers[0])
    dlg.descLayer.setLayer(layers[1])
    dlg.descKind.setCurrentIndex(2)
    assert dlg.tracks.kind("desc") == g.ALONG_TRACK
    v, _ = dlg.tracks.vector("desc")
    np.testing.assert_allclose(v, g.along_track_unit_vector(348.0))
    dlg.components.setCurrentIndex(2)
    assert "tilted" in dlg.geometryReadout.text()
    assert dlg.builder.parameters()["DESC_KIND"] == 1
