"""North and 3-D in the dialog (issue 34): the components solved (COMPONENTS; east + north +
up offered only where the tracks span 3-D, as ``core.plan.readout`` says), the extra tracks'
geometry entries (with 'along'), the along-track sigma, and the outputs that go with each
choice (north and its sigma, v_UN, the tilt of d). The tracks' kinds are the tracks panel's."""

from qgis.core import QgsProject
from qgis.gui import QgsCheckableComboBox, QgsDoubleSpinBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QLineEdit

from ..core.plan import readout
from ..provider import names as n
from .options_panel import output
from .panel import Panel

EAST_UP, EAST_NORTH_UP, EAST_UP_NORTH = 0, 1, 2


class NorthPanel(Panel):
    """COMPONENTS, EXTRA_GEOMETRY, ALONG_TRACK_SIGMA and the north outputs. Signal:
    ``changed`` when a choice the read-out depends on changes."""

    changed = pyqtSignal()

    components: QComboBox
    extraGeometry: QLineEdit
    alongTrackSigma: QgsDoubleSpinBox
    extraTracks: QgsCheckableComboBox
    northVelocity: QgsMapLayerComboBox
    sigmaOutputs: QCheckBox
    northOutput: QgsFileWidget
    sigmaNorthOutput: QgsFileWidget
    unOutput: QgsFileWidget
    unTiltOutput: QgsFileWidget

    def __init__(self, form):
        super().__init__(form)
        self.components.addItems(list(n.COMPONENTS_OPTIONS))
        self.components.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for w in self._outputs():
            w.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
            w.setFilter("GeoTIFF (*.tif)")
            w.lineEdit().setPlaceholderText("[temporary file]")
        self.components.currentIndexChanged.connect(self._changed)
        self.sigmaOutputs.toggled.connect(self._enable_outputs)
        self.extraGeometry.textChanged.connect(self._changed)
        self.alongTrackSigma.valueChanged.connect(self._changed)
        self.extraTracks.checkedItemsChanged.connect(self._changed)
        self._enable_outputs()

    def _outputs(self):
        return (self.northOutput, self.sigmaNorthOutput, self.unOutput, self.unTiltOutput)

    def _changed(self):
        self._enable_outputs()
        self.changed.emit()

    def _enable_outputs(self):
        c = self.value()
        self.northOutput.setEnabled(c == EAST_NORTH_UP)
        self.sigmaNorthOutput.setEnabled(c == EAST_NORTH_UP and self.sigmaOutputs.isChecked())
        self.unOutput.setEnabled(c == EAST_UP_NORTH)
        self.unTiltOutput.setEnabled(c == EAST_UP_NORTH)

    def value(self) -> int:
        return self.components.currentIndex()

    def offer_3d(self, spans: bool):
        """East + north + up is offered (enabled in the list) only where the tracks span 3-D."""
        self.components.model().item(EAST_NORTH_UP).setEnabled(spans)

    def along_sigma(self):
        """ALONG_TRACK_SIGMA, None when left at 'none'."""
        v = self.alongTrackSigma.value()
        return v if v > 0 else None

    def extra_vectors(self, picked) -> list:
        """(vector or None, note, kind) of each checked extra track, as a run would see it."""
        layers = [QgsProject.instance().mapLayer(i) for i in self.extraTracks.checkedItemsData()]
        paths = [lyr.source() for lyr in layers if lyr is not None and lyr not in picked]
        return readout.extra_track_vectors(paths, self.extraGeometry.text())

    def parameters(self) -> dict:
        """COMPONENTS, EXTRA_GEOMETRY, ALONG_TRACK_SIGMA and the outputs of the components
        chosen: north (and its sigma when sigmas are written) under 1; the tilt of d, and
        v_UN when a known north is given or a file typed, under 2."""
        c = self.value()
        params = {n.COMPONENTS: c, n.EXTRA_GEOMETRY: self.extraGeometry.text().strip() or None,
                  n.ALONG_TRACK_SIGMA: self.along_sigma()}  # fmt: skip
        if c == EAST_NORTH_UP:
            params[n.OUTPUT_NORTH] = output(self.northOutput)
            if self.sigmaOutputs.isChecked():
                params[n.OUTPUT_SIGMA_NORTH] = output(self.sigmaNorthOutput)
        elif c == EAST_UP_NORTH:
            params[n.OUTPUT_UN_TILT] = output(self.unTiltOutput)
            if self.northVelocity.currentLayer() is not None or self.unOutput.filePath().strip():
                params[n.OUTPUT_UN] = output(self.unOutput)
        return params

    def tilt_file_typed(self) -> bool:
        return self.value() == EAST_UP_NORTH and bool(self.unTiltOutput.filePath().strip())

    def unused_with_one_track(self) -> list:
        """The options given that a one-track projection cannot use, in words."""
        given = {"COMPONENTS other than east + up": self.value() != EAST_UP,
                 "the extra tracks' geometry": self.extraGeometry.text().strip(),
                 "the along-track standard deviation": self.along_sigma() is not None}  # fmt: skip
        return [what for what, value in given.items() if value]
