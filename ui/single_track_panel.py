"""The dialog's one-track panel: shown when only the first track is picked, it offers
``losdecomp:project_single_track`` (direction, azimuth, DEM, minimum sensitivity)."""

import inspect

from qgis.core import QgsMapLayerProxyModel
from qgis.gui import QgsDoubleSpinBox, QgsMapLayerComboBox
from qgis.PyQt.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel

from ..core.solve.projection import DEFAULT_MIN_SENSITIVITY, DOWNSLOPE, HORIZONTAL
from ..provider import names as n

EXPLANATION = (
    "One track measures motion along its line of sight only. Projected onto one direction, it "
    "gives that motion <i>if the assumption holds</i>: vertical assumes no horizontal motion, "
    "horizontal assumes no vertical motion, downslope assumes motion parallel to the ground. "
    "The projection multiplies LOS noise by 1/|s·u| (the amplification): pixels where the track "
    "barely sees the direction (|s·u| below the minimum) are left empty."
)


class SingleTrackPanel(QGroupBox):
    """The one-track options; ``parameters()`` gives the algorithm's direction parameters."""

    direction: QComboBox
    dem: QgsMapLayerComboBox
    min_sensitivity: QgsDoubleSpinBox

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("One track only: projection"))
        form = QFormLayout(self)
        text = QLabel(self.tr(EXPLANATION))
        text.setWordWrap(True)
        form.addRow(text)
        self.direction = QComboBox()
        self.direction.addItems(list(n.DIRECTION_OPTIONS))
        form.addRow(self.tr("Direction"), self.direction)
        self.dem = QgsMapLayerComboBox()
        self.dem.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        self.dem.setAllowEmptyLayer(True)
        self.dem.setLayer(None)
        form.addRow(self.tr("DEM (downslope)"), self.dem)
        self.min_sensitivity = QgsDoubleSpinBox()
        self.min_sensitivity.setRange(0.01, 1.0)
        self.min_sensitivity.setSingleStep(0.05)
        self.min_sensitivity.setValue(DEFAULT_MIN_SENSITIVITY)
        form.addRow(self.tr("Minimum sensitivity |s·u|"), self.min_sensitivity)
        for name in inspect.get_annotations(SingleTrackPanel):  # the tests find the controls by name
            getattr(self, name).setObjectName(name)
        self.direction.currentIndexChanged.connect(self._enable)
        self._enable()

    def _enable(self):
        self.dem.setEnabled(self.direction.currentIndex() == DOWNSLOPE)

    def needs_azimuth(self) -> bool:
        return self.direction.currentIndex() == HORIZONTAL

    def parameters(self) -> dict:
        params = {
            n.DIRECTION: self.direction.currentIndex(),
            n.MIN_SENSITIVITY: self.min_sensitivity.value(),
        }
        if self.direction.currentIndex() == DOWNSLOPE and self.dem.currentLayer() is not None:
            params[n.DEM] = self.dem.currentLayer()
        return params
