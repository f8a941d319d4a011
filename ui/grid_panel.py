"""The common grid: target CRS, resolution (with the suggested one and its size in metres)
and resampling; what each picked layer's grid is."""

from typing import Optional

from qgis.core import QgsCoordinateReferenceSystem
from qgis.gui import QgsDoubleSpinBox, QgsProjectionSelectionWidget
from qgis.PyQt.QtWidgets import QComboBox, QLabel, QPushButton

from ..core.plan import readout
from ..provider import names as n
from ..provider.layers import crs_wkt
from .feedback import reported
from .panel import Panel
from .tracks_panel import TracksPanel


class GridPanel(Panel):
    """The "Common grid" group; reads the picked layers from the tracks panel."""

    gridInfo: QLabel
    targetCrs: QgsProjectionSelectionWidget
    resolution: QgsDoubleSpinBox
    suggestButton: QPushButton
    resolutionMetres: QLabel
    resampling: QComboBox

    def __init__(self, form, tracks: TracksPanel):
        super().__init__(form)
        self.tracks: TracksPanel = tracks
        self.suggested: Optional[float] = None
        self.resampling.addItems(list(n.RESAMPLING_OPTIONS))
        self.resampling.setCurrentIndex(n.DEFAULT_RESAMPLING_INDEX)
        self.resolution.setMinimum(0.0)
        self.resolution.setSpecialValueText(self.tr("automatic (the coarsest input pixel)"))
        self.resolution.setClearValue(0.0)
        self.targetCrs.setOptionVisible(QgsProjectionSelectionWidget.CrsOption.CrsNotSet, True)
        self.targetCrs.setNotSetText(self.tr("the ascending layer's CRS"))
        self.targetCrs.setCrs(QgsCoordinateReferenceSystem())
        self.targetCrs.crsChanged.connect(self.update_grid_info)
        self.resolution.valueChanged.connect(self.update_grid_info)
        self.suggestButton.clicked.connect(self.suggest_resolution)

    def _paths(self):
        return [layer.source() for layer in self.tracks.layers() if layer is not None]

    def _target_wkt(self):
        return crs_wkt(self.targetCrs.crs())

    def _layer_lines(self, label, layer) -> list:
        lines = []
        try:
            lines.append(readout.layer_grid_text(layer.source(), label))
        except ValueError as exc:
            lines.append(str(exc))
        if layer.crs().isValid() and not readout.file_crs_wkt(layer.source()):
            lines.append(self.tr("<i>{}: the file has no CRS; read in {}, the layer's CRS in QGIS (set it "
                                 "in the layer's properties if this is wrong)</i>").format(
                label, layer.crs().authid() or layer.crs().description()))  # fmt: skip
        return lines

    @reported
    def update_grid_info(self):
        """Each layer's grid, the suggested resolution, the resolution in metres."""
        paths = self._paths()
        lines = []
        for label, layer in zip(("Ascending", "Descending"), self.tracks.layers()):
            if layer is not None:
                lines += self._layer_lines(label, layer)
        if len(paths) == 2:
            try:
                res, (mx, my), units = readout.suggested_grid(paths, self._target_wkt())
                lines.append(f"Suggested resolution: {res:.6g} {units} (about {mx:.0f} x {my:.0f} m).")
                self.suggested = res
            except ValueError as exc:
                lines.append(f"<b>{exc}</b>")
                self.suggested = None
        self.gridInfo.setText("<div style='font-size:small'>" + "<br>".join(lines) + "</div>")
        self.resolutionMetres.setText(
            readout.resolution_metres_text(paths, self._target_wkt(), self.resolution.value())
        )

    @reported
    def suggest_resolution(self):
        self.update_grid_info()
        if self.suggested:
            self.resolution.setValue(float(f"{self.suggested:.6g}"))

    def target_crs(self) -> QgsCoordinateReferenceSystem:
        return self.targetCrs.crs()

    def parameters(self) -> dict:
        """The grid's parameters (no target CRS: the ascending layer's)."""
        crs = self.targetCrs.crs()
        return {
            n.TARGET_CRS: crs if crs.isValid() else None,
            n.RESOLUTION: self.resolution.value(),
            n.RESAMPLING: self.resampling.currentIndex(),
        }
