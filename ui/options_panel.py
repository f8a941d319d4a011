"""The options of a decomposition beyond the tracks and the grid: the "Advanced" group (known
north, horizontal azimuth, largest condition number, common reference point, extra tracks)
and the "Outputs" group (files, standard deviations, quality)."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsMapLayerProxyModel,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
    QgsRasterLayer,
)
from qgis.gui import QgsCheckableComboBox, QgsDoubleSpinBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QCheckBox, QLineEdit

from ..provider import names as n
from .panel import Panel
from .tracks_panel import typed_number


def output(widget: QgsFileWidget) -> QgsProcessingOutputLayerDefinition:
    """The output a file widget names (empty: a temporary layer)."""
    path = widget.filePath().strip()
    return QgsProcessingOutputLayerDefinition(path or "TEMPORARY_OUTPUT", QgsProject.instance())


class OptionsPanel(Panel):
    """The "Advanced" and "Outputs" groups; gives their parameters."""

    northVelocity: QgsMapLayerComboBox
    azimuth: QLineEdit
    maxCondition: QgsDoubleSpinBox
    sigmaOutputs: QCheckBox
    qualityOutput: QCheckBox
    referencePoint: QLineEdit
    referenceRadius: QgsDoubleSpinBox
    extraTracks: QgsCheckableComboBox
    eastOutput: QgsFileWidget
    upOutput: QgsFileWidget
    sigmaEastOutput: QgsFileWidget
    sigmaUpOutput: QgsFileWidget
    qualityFile: QgsFileWidget

    def __init__(self, form):
        super().__init__(form)
        for w in (self.eastOutput, self.upOutput, self.sigmaEastOutput, self.sigmaUpOutput, self.qualityFile):
            w.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
            w.setFilter("GeoTIFF (*.tif)")
        for w in (self.sigmaEastOutput, self.sigmaUpOutput, self.qualityFile):
            w.lineEdit().setPlaceholderText("[temporary file]")
        self.sigmaOutputs.toggled.connect(self._enable_outputs)
        self.qualityOutput.toggled.connect(self._enable_outputs)
        self._enable_outputs()
        self.extraTracks.setDefaultText(self.tr("none"))
        self.fill_extra_tracks()
        self.northVelocity.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        self.northVelocity.setAllowEmptyLayer(True)
        self.northVelocity.setLayer(None)
        self.azimuth.setPlaceholderText(self.tr("east"))

    def _enable_outputs(self):
        for w in (self.sigmaEastOutput, self.sigmaUpOutput):
            w.setEnabled(self.sigmaOutputs.isChecked())
        self.qualityFile.setEnabled(self.qualityOutput.isChecked())

    def fill_extra_tracks(self):
        """The project's rasters as extra tracks, keeping those checked."""
        checked = set(self.extraTracks.checkedItemsData())
        self.extraTracks.clear()
        for layer in QgsProject.instance().mapLayers().values():
            if isinstance(layer, QgsRasterLayer):
                self.extraTracks.addItemWithCheckState(
                    layer.name(), Qt.CheckState.Checked if layer.id() in checked else Qt.CheckState.Unchecked,
                    layer.id(),
                )  # fmt: skip

    def azimuth_value(self):
        """The horizontal azimuth typed (None: east)."""
        return typed_number(self.azimuth)

    def parameters(self) -> dict:
        """Known north, azimuth, condition number and the outputs of losdecomp:decompose."""
        params = {
            n.NORTH_VELOCITY: self.northVelocity.currentLayer(),
            n.HORIZONTAL_AZIMUTH: self.azimuth_value(),
            n.MAX_CONDITION: self.maxCondition.value(),
            n.OUTPUT_EAST: output(self.eastOutput),
            n.OUTPUT_UP: output(self.upOutput),
        }
        if self.sigmaOutputs.isChecked():
            params[n.OUTPUT_SIGMA_EAST] = output(self.sigmaEastOutput)
            params[n.OUTPUT_SIGMA_UP] = output(self.sigmaUpOutput)
        if self.qualityOutput.isChecked():
            params[n.OUTPUT_QUALITY] = output(self.qualityFile)
        return params

    def reference_parameters(self, crs: QgsCoordinateReferenceSystem) -> dict:
        """The common reference point in ``crs`` (the grid's), and its radius; {} when none."""
        text = self.referencePoint.text().strip()
        if not text:
            return {}
        try:
            x, y = (float(v) for v in text.replace(";", ",").split(","))
        except ValueError:
            raise ValueError(f"the reference point '{text}' is not 'x, y'") from None
        point = f"{x},{y} [{crs.authid()}]" if crs.isValid() and crs.authid() else f"{x},{y}"
        return {n.REFERENCE_POINT: point, n.REFERENCE_RADIUS: self.referenceRadius.value()}

    def unused_with_one_track(self) -> list:
        """The options given that a one-track projection cannot use, in words."""
        given = {"a common reference point": self.referencePoint.text().strip(),
                 "a known north velocity": self.northVelocity.currentLayer() is not None,
                 "extra tracks": self.extraTracks.checkedItemsData(),
                 "the quality layer": self.qualityOutput.isChecked()}  # fmt: skip
        return [what for what, value in given.items() if value]

    def extra_tracks(self, picked) -> list:
        """The checked extra tracks still in the project, except the ``picked`` layers."""
        extra = [QgsProject.instance().mapLayer(i) for i in self.extraTracks.checkedItemsData()]
        return [lyr for lyr in extra if lyr is not None and lyr not in picked]
