"""A MintPy file as a track: ``losdecomp:import_mintpy`` writes it as a GeoTIFF (kept beside
the .h5, never over a file), the layer is styled (a velocity by its band, a dated stack by its
last date with per-band temporal ranges: ``styling.style_stack``) and added to the project."""

import os

from qgis.core import QgsProcessingException, QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QFileDialog, QPushButton

from ..core.plan import readout
from ..provider import names as n
from ..provider.styling import DIVERGING, BandStyle, apply_style, style_stack
from .feedback import Feedback, reported
from .panel import Panel


def folder_is_writable(folder):
    return os.access(folder, os.W_OK)


class MintPyImport(Panel):
    """The "Add a MintPy .h5 file as a track…" button. Signals: ``imported`` (the layer,
    whether it is descending) once it is in the project, then ``message`` (title, text)."""

    imported = pyqtSignal(object, bool)
    message = pyqtSignal(str, str)

    mintpyButton: QPushButton

    def __init__(self, form):
        super().__init__(form)
        self.mintpyButton.clicked.connect(self.choose_mintpy_file)

    @reported
    def choose_mintpy_file(self):
        path, _ = QFileDialog.getOpenFileName(
            self.parent(), self.tr("MintPy velocity file"), "", self.tr("MintPy HDF5 (*.h5)")
        )
        if path:
            self.add_mintpy_file(path)

    def add_mintpy_file(self, path: str):
        """Import a MintPy file with losdecomp:import_mintpy and add it to the project; says
        whether it is the ascending or descending track by its heading."""
        import processing

        out = self.import_destination(path)
        if not out:
            return None
        feedback = Feedback()
        try:
            result = processing.run(n.IMPORT_MINTPY_ID, {n.INPUT: path, n.OUTPUT: out}, feedback=feedback)
        except QgsProcessingException as exc:
            self.show_error(str(exc))
            return None
        layer = QgsRasterLayer(result[n.OUTPUT], os.path.splitext(os.path.basename(path))[0])
        # a dated stack (timeseries.h5): its last date, per-band temporal ranges where QGIS
        # has them (as Processing's loading gives the dialog's other dated outputs)
        if not style_stack(layer):
            apply_style(layer, BandStyle(1, DIVERGING, layer.name()))
        QgsProject.instance().addMapLayer(layer)
        descending = readout.pass_direction_of(result[n.OUTPUT]) == "descending"
        self.imported.emit(layer, descending)
        self.message.emit(
            "MintPy", f"{os.path.basename(path)} added as the {'descending' if descending else 'ascending'} track, "
            f"saved as {out}",
        )  # fmt: skip
        return layer

    def import_destination(self, path: str) -> str:
        """Where an import is kept: beside the .h5 when that folder is writable (never over
        an existing file), else where the user says; empty when the user declines."""
        stem = os.path.splitext(path)[0]
        if folder_is_writable(os.path.dirname(os.path.abspath(path))):
            out, i = f"{stem}.tif", 2
            while os.path.exists(out):
                out, i = f"{stem}_{i}.tif", i + 1
            return out
        out, _ = QFileDialog.getSaveFileName(
            self.parent(), self.tr("Save the imported layer as"), os.path.basename(stem) + ".tif", "GeoTIFF (*.tif)"
        )
        return out
