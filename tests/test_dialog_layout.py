"""The dialog fits a laptop screen: at 1366 x 768, less the window's decorations and a panel,
its default state (a velocity pair) and its stack mode need no scrolling, vertical or
horizontal, and the geometry read-out is on screen."""

import pytest
from qgis.core import QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QCoreApplication
from test_decompose_timeseries import ts_pair  # noqa: F401 (a fixture)
from test_dialog_desktop import fresh  # noqa: F401 (a fixture)

#: 1366 x 768 less a title bar and borders (about 30 + 2 x 4 px) and a desktop panel (40 px)
SCREEN = (1366 - 8, 768 - 30 - 40)


def _add(paths, names):
    layers = [QgsRasterLayer(str(p), name) for p, name in zip(paths, names)]
    assert all(lyr.isValid() for lyr in layers)
    QgsProject.instance().addMapLayers(layers)


def _shown(dlg):
    dlg.resize(*SCREEN)
    dlg.show()
    for _ in range(5):
        QCoreApplication.processEvents()
    assert dlg.width() <= SCREEN[0] and dlg.height() <= SCREEN[1], (dlg.width(), dlg.height())
    return dlg


def _needs_no_scrolling(dlg):
    area = dlg.scrollArea
    vertical, horizontal = area.verticalScrollBar(), area.horizontalScrollBar()
    content = dlg.scrollContents.sizeHint()
    assert vertical.maximum() == 0, f"{vertical.maximum()} px of vertical scrolling (content {content})"
    assert horizontal.maximum() == 0, f"{horizontal.maximum()} px of horizontal scrolling (content {content})"
    readout = dlg.geometryGroup
    bottom = readout.mapTo(dlg, readout.rect().bottomLeft()).y()
    assert readout.isVisible() and bottom <= area.mapTo(dlg, area.rect().bottomLeft()).y()


def test_the_default_state_fits_1366_by_768(fresh, scene_paths):  # noqa: F811
    _add([scene_paths["asc"], scene_paths["desc"]], ["asc", "desc"])
    dlg = _shown(fresh())
    assert not dlg.stacks_mode() and "1 unit of LOS noise" in dlg.geometryReadout.text()
    _needs_no_scrolling(dlg)


@pytest.mark.parametrize("mode", [0, 1], ids=["velocity", "common dates"])
def test_stack_mode_fits_1366_by_768(fresh, ts_pair, mode):  # noqa: F811
    paths, _, _, _ = ts_pair
    _add([paths["asc"], paths["desc"]], ["asc_stack", "desc_stack"])
    dlg = fresh()
    dlg.timeSeries.mode.setCurrentIndex(mode)
    _shown(dlg)
    assert dlg.stacks_mode() and dlg.timeSeries.isVisible()
    _needs_no_scrolling(dlg)
