"""The decomposition dialog: picks layers, shows what they say, builds the parameters of
``losdecomp:decompose`` and runs that same algorithm as a background task."""

import functools
import inspect
import os

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapLayerProxyModel,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
    QgsRasterLayer,
    QgsSettings,
)
from qgis.gui import QgsFileWidget, QgsProjectionSelectionWidget
from qgis.PyQt import uic
from qgis.PyQt.QtCore import pyqtSlot
from qgis.PyQt.QtWidgets import QDialog, QFileDialog

from ..core import readout
from ..provider import names as n
from ..provider.layers import crs_wkt
from .single_track_panel import SingleTrackPanel

FORM_CLASS, _ = uic.loadUiType(os.path.join(os.path.dirname(__file__), "dialog.ui"))
ALGORITHM = n.DECOMPOSE_ID
SETTINGS = "insar_decomposition/dialog/"
PREFIXES = ("asc", "desc")
TRACK_PARAMS = dict(zip(PREFIXES, n.TRACKS))


def reported(slot):
    """A slot whose exceptions are shown in the dialog: an exception escaping a Qt slot
    would abort QGIS."""

    takes = len(inspect.signature(slot).parameters) - 1  # signals may pass more than a slot takes

    @functools.wraps(slot)
    def wrapper(self, *args):
        try:
            return slot(self, *args[:takes])
        except Exception as exc:  # noqa: BLE001 (any failure is reported, none may escape)
            self.show_error(f"{slot.__name__.strip('_').replace('_', ' ')}: {exc}")
            return None

    return wrapper


class _Feedback(QgsProcessingFeedback):
    """Keeps the errors the algorithm reports, to show them in the dialog."""

    def __init__(self):
        super().__init__()
        self.errors = []

    def reportError(self, error, fatalError=False):  # noqa: N802, N803 (QGIS's names)
        self.errors.append(error)
        super().reportError(error, fatalError)


class DecompositionDialog(QDialog, FORM_CLASS):
    """The decomposition dialog: layers, what they say, grid, options, a background run."""

    def __init__(self, iface, parent=None):
        super().__init__(parent)
        self.setupUi(self)
        self.iface = iface
        self.task = None
        self.feedback = None
        self.context = None
        self._auto = {}  # angle field -> text filled from the layer
        self._metadata = {}  # prefix -> TrackMetadata

        for combo in (self.ascLayer, self.descLayer):
            combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        # an empty second track offers the one-track projection instead of refusing
        self.descLayer.setAllowEmptyLayer(True)
        self.singleTrack = SingleTrackPanel(self.scrollContents)
        self.contentsLayout.insertWidget(self.contentsLayout.indexOf(self.geometryGroup) + 1, self.singleTrack)
        self.singleTrack.direction.currentIndexChanged.connect(self.update_readout)
        self.singleTrack.min_sensitivity.valueChanged.connect(self.update_readout)
        for combo in (self.ascSigma, self.descSigma, self.northVelocity):
            combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
            combo.setAllowEmptyLayer(True)
            combo.setLayer(None)
        for combo in (self.ascLookSide, self.descLookSide):
            combo.addItems([o[0] for o in n.LOOK_SIDE_OPTIONS])
        self.losSign.addItems([o[0] for o in n.LOS_SIGN_OPTIONS])
        self.resampling.addItems(list(n.RESAMPLING_OPTIONS))
        self.resampling.setCurrentIndex(n.DEFAULT_RESAMPLING_INDEX)
        self.resolution.setMinimum(0.0)
        self.resolution.setSpecialValueText(self.tr("automatic (the coarsest input pixel)"))
        self.resolution.setClearValue(0.0)
        self.targetCrs.setOptionVisible(QgsProjectionSelectionWidget.CrsOption.CrsNotSet, True)
        self.targetCrs.setNotSetText(self.tr("the ascending layer's CRS"))
        self.targetCrs.setCrs(QgsCoordinateReferenceSystem())
        for w in (self.eastOutput, self.upOutput):
            w.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
            w.setFilter("GeoTIFF (*.tif)")
        for edit in (self.ascHeading, self.ascIncidence, self.descHeading, self.descIncidence, self.azimuth):
            edit.setPlaceholderText(self.tr("from the layer"))
        self.azimuth.setPlaceholderText(self.tr("east"))

        # bound methods, not lambdas: Qt disconnects them when the dialog is destroyed
        self.ascLayer.layerChanged.connect(self._asc_changed)
        self.descLayer.layerChanged.connect(self._desc_changed)
        for edit in (self.ascHeading, self.ascIncidence, self.descHeading, self.descIncidence, self.azimuth):
            edit.textChanged.connect(self.update_readout)
        for combo in (self.ascLookSide, self.descLookSide):
            combo.currentIndexChanged.connect(self.update_readout)
        self.maxCondition.valueChanged.connect(self.update_readout)
        self.targetCrs.crsChanged.connect(self.update_grid_info)
        self.resolution.valueChanged.connect(self.update_grid_info)
        self.suggestButton.clicked.connect(self.suggest_resolution)
        self.runButton.clicked.connect(self.run)
        self.cancelButton.clicked.connect(self.cancel)
        self.closeButton.clicked.connect(self.close)
        self.processingButton.clicked.connect(self.open_processing_dialog)
        self.mintpyButton.clicked.connect(self.choose_mintpy_file)

        self._restore_settings()
        self._layer_changed("asc", self.ascLayer.currentLayer())
        self._layer_changed("desc", self.descLayer.currentLayer())

    # -- reading layers ----------------------------------------------------------------------

    def _widgets(self, prefix):
        p = prefix
        return (
            getattr(self, f"{p}Layer"),
            getattr(self, f"{p}Band"),
            getattr(self, f"{p}Heading"),
            getattr(self, f"{p}Incidence"),
            getattr(self, f"{p}Info"),
        )

    def _asc_changed(self, layer):
        self._layer_changed("asc", layer)

    def _desc_changed(self, layer):
        self._layer_changed("desc", layer)

    @reported
    def _layer_changed(self, prefix, layer):
        _, band, heading, incidence, info = self._widgets(prefix)
        band.setLayer(layer)
        self._metadata.pop(prefix, None)
        for edit in (heading, incidence):
            self._auto.pop(edit.objectName(), None)
            edit.clear()
        if layer is None:
            info.setText("")
        else:
            try:
                md, text = readout.describe_layer(layer.source(), max(band.currentBand(), 1))
            except (RuntimeError, ValueError, OSError) as exc:
                info.setText(self.tr("Cannot read this layer's metadata: {}").format(exc))
            else:
                self._metadata[prefix] = md
                info.setText(text)
                if md.geometry is None:
                    for edit, found in ((heading, md.heading), (incidence, md.incidence)):
                        if found is not None:
                            text = f"{found.value:.4f}"
                            edit.setText(text)
                            self._auto[edit.objectName()] = text
                else:
                    heading.setPlaceholderText(self.tr("per pixel (from the layer)"))
                    incidence.setPlaceholderText(self.tr("per pixel (from the layer)"))
        self.update_readout()
        self.update_grid_info()

    def _typed_angle(self, edit):
        """A number the user typed, or None when empty or left as filled from the layer."""
        text = edit.text().strip()
        if not text or self._auto.get(edit.objectName()) == text:
            return None
        return float(text)

    @reported
    def choose_mintpy_file(self):
        path, _ = QFileDialog.getOpenFileName(self, self.tr("MintPy velocity file"), "", self.tr("MintPy HDF5 (*.h5)"))
        if path:
            self.add_mintpy_file(path)

    def add_mintpy_file(self, path):
        """Import a MintPy file with losdecomp:import_mintpy, add it to the project and pick
        it as the ascending or descending track according to its heading."""
        import processing

        feedback = _Feedback()
        try:
            result = processing.run(
                n.IMPORT_MINTPY_ID, {n.INPUT: path, n.OUTPUT: "TEMPORARY_OUTPUT"}, feedback=feedback
            )
        except QgsProcessingException as exc:
            self.show_error(str(exc))
            return None
        layer = QgsRasterLayer(result[n.OUTPUT], os.path.splitext(os.path.basename(path))[0])
        QgsProject.instance().addMapLayer(layer)
        descending = readout.pass_direction_of(result[n.OUTPUT]) == "descending"
        (self.descLayer if descending else self.ascLayer).setLayer(layer)
        self.messageBar.pushMessage(
            "MintPy", f"{os.path.basename(path)} added as the {'descending' if descending else 'ascending'} track",
            Qgis.MessageLevel.Info, 5,
        )  # fmt: skip
        return layer

    # -- read-outs ---------------------------------------------------------------------------

    def _vector(self, prefix):
        _, _, heading, incidence, _ = self._widgets(prefix)
        side = n.LOOK_SIDE_OPTIONS[getattr(self, f"{prefix}LookSide").currentIndex()][1]
        try:
            h, t = self._typed_angle(heading), self._typed_angle(incidence)
        except ValueError:
            return None, "an angle is not a number"
        return readout.track_vector(h, t, side, self._metadata.get(prefix))

    def single_track_mode(self):
        """Only the first track is picked: the run projects it onto one direction."""
        return self.descLayer.currentLayer() is None and self.ascLayer.currentLayer() is not None

    def _azimuth(self):
        return float(self.azimuth.text()) if self.azimuth.text().strip() else None

    def _single_track_readout(self):
        v, note = self._vector("asc")
        if v is None:
            return f"The track's geometry is not known yet: {note}."
        try:
            az = self._azimuth()
        except ValueError:
            return "The azimuth is not a number."
        panel = self.singleTrack
        text = readout.single_track_text(v, panel.direction.currentIndex(), az, panel.min_sensitivity.value())
        return text + (f" Geometry {note}." if note else "")

    @reported
    def update_readout(self):
        single = self.single_track_mode()
        self.singleTrack.setVisible(single)
        if single:
            self.geometryReadout.setText(self._single_track_readout())
            return
        vectors, notes = [], []
        for prefix in PREFIXES:
            v, note = self._vector(prefix)
            name = "ascending" if prefix == "asc" else "descending"
            if v is None:
                self.geometryReadout.setText(
                    self.tr("The {} track's geometry is not known yet: {}.").format(name, note)
                )
                return
            vectors.append(v)
            if note:
                notes.append(f"{name}: {note}")
        try:
            az = float(self.azimuth.text()) if self.azimuth.text().strip() else None
        except ValueError:
            self.geometryReadout.setText(self.tr("The azimuth is not a number."))
            return
        amp = readout.amplification(vectors, az, self.maxCondition.value())
        if not amp.resolvable:
            self.geometryReadout.setText(
                f"<b style='color:#b2182b'>These tracks cannot resolve east and up: {amp.reason}.</b>"
            )
            return
        h = "east" if az is None else f"the {az:g}° direction"
        text = (
            f"1 unit of LOS noise becomes ±{amp.sigma_horizontal:.2f} {h} and ±{amp.sigma_up:.2f} up "
            f"(cond(G) = {amp.condition:.2f})."
        )
        if notes:
            text += " Geometry " + "; ".join(notes) + "."
        self.geometryReadout.setText(text)

    def _paths(self):
        layers = [self.ascLayer.currentLayer(), self.descLayer.currentLayer()]
        return [layer.source() for layer in layers if layer is not None]

    def _target_wkt(self):
        return crs_wkt(self.targetCrs.crs())

    @reported
    def update_grid_info(self):
        paths = self._paths()
        lines = []
        for label, layer in (
            ("Ascending", self.ascLayer.currentLayer()),
            ("Descending", self.descLayer.currentLayer()),
        ):
            if layer is not None:
                try:
                    lines.append(readout.layer_grid_text(layer.source(), label))
                except ValueError as exc:
                    lines.append(str(exc))
        if len(paths) == 2:
            try:
                res, (mx, my), units = readout.suggested_grid(paths, self._target_wkt())
                lines.append(f"Suggested resolution: {res:.6g} {units} (about {mx:.0f} x {my:.0f} m).")
                self._suggested = res
            except ValueError as exc:
                lines.append(f"<b>{exc}</b>")
                self._suggested = None
        self.gridInfo.setText("<br>".join(lines))
        self.resolutionMetres.setText(
            readout.resolution_metres_text(paths, self._target_wkt(), self.resolution.value())
        )

    @reported
    def suggest_resolution(self):
        self.update_grid_info()
        if getattr(self, "_suggested", None):
            self.resolution.setValue(self._suggested)

    # -- parameters and run ------------------------------------------------------------------

    def _output(self, widget):
        path = widget.filePath().strip()
        return QgsProcessingOutputLayerDefinition(path or "TEMPORARY_OUTPUT", QgsProject.instance())

    def algorithm_id(self):
        return n.PROJECT_SINGLE_TRACK_ID if self.single_track_mode() else ALGORITHM

    def single_track_parameters(self):
        """The parameters of losdecomp:project_single_track this dialog stands for."""
        layer, band, heading, incidence, _ = self._widgets("asc")
        params = {
            n.INPUT: layer.currentLayer(),
            n.BAND: max(band.currentBand(), 1),
            n.HEADING: self._typed_angle(heading),
            n.INCIDENCE: self._typed_angle(incidence),
            n.LOOK_SIDE: self.ascLookSide.currentIndex(),
            n.LOS_SIGN: self.losSign.currentIndex(),
            n.SIGMA: self.ascSigma.currentLayer(),
            n.HORIZONTAL_AZIMUTH: self._azimuth(),
            n.OUTPUT: self._output(self.upOutput),
            **self.singleTrack.parameters(),
        }
        if self.sigmaOutputs.isChecked():
            params[n.OUTPUT_SIGMA] = QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT", QgsProject.instance())
        return {k: v for k, v in params.items() if v is not None}

    def parameters(self):
        """The parameters of the algorithm this dialog stands for (decompose, or the
        one-track projection when only the first track is picked)."""
        if self.single_track_mode():
            return self.single_track_parameters()
        params = {}
        for prefix, t in TRACK_PARAMS.items():
            layer, band, heading, incidence, _ = self._widgets(prefix)
            params[t.layer] = layer.currentLayer()
            params[t.band] = max(band.currentBand(), 1)
            params[t.heading] = self._typed_angle(heading)
            params[t.incidence] = self._typed_angle(incidence)
            params[t.look_side] = getattr(self, f"{prefix}LookSide").currentIndex()
            params[t.sigma] = getattr(self, f"{prefix}Sigma").currentLayer()
        params[n.LOS_SIGN] = self.losSign.currentIndex()
        crs = self.targetCrs.crs()
        params[n.TARGET_CRS] = crs if crs.isValid() else None
        params[n.RESOLUTION] = self.resolution.value()
        params[n.RESAMPLING] = self.resampling.currentIndex()
        params[n.NORTH_VELOCITY] = self.northVelocity.currentLayer()
        params[n.HORIZONTAL_AZIMUTH] = self._azimuth()
        params[n.MAX_CONDITION] = self.maxCondition.value()
        params[n.OUTPUT_EAST] = self._output(self.eastOutput)
        params[n.OUTPUT_UP] = self._output(self.upOutput)
        optional = []
        if self.sigmaOutputs.isChecked():
            optional += [n.OUTPUT_SIGMA_EAST, n.OUTPUT_SIGMA_UP]
        if self.qualityOutput.isChecked():
            optional.append(n.OUTPUT_QUALITY)
        for key in optional:
            params[key] = QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT", QgsProject.instance())
        return {k: v for k, v in params.items() if v is not None}

    def show_error(self, text):
        self.messageBar.clearWidgets()
        self.messageBar.pushMessage(self.tr("Cannot run"), text, Qgis.MessageLevel.Critical, 0)

    @reported
    def run(self):
        try:
            params = self.parameters()
        except ValueError as exc:
            self.show_error(self.tr("a number field is not a number ({})").format(exc))
            return
        alg = QgsApplication.processingRegistry().createAlgorithmById(self.algorithm_id())
        self.context = QgsProcessingContext()
        self.context.setProject(QgsProject.instance())
        ok, msg = alg.checkParameterValues(params, self.context)
        if not ok:
            self.show_error(msg)
            return
        self._save_settings()
        self.messageBar.clearWidgets()
        self.feedback = _Feedback()
        # a bound slot, not a lambda: the task reports from its own thread and Qt must queue
        # the call to the dialog's thread
        self.feedback.progressChanged.connect(self._progress)
        self.alg = alg
        self.task = QgsProcessingAlgRunnerTask(alg, params, self.context, self.feedback)
        self.task.executed.connect(self._finished)
        self._set_running(True)
        QgsApplication.taskManager().addTask(self.task)

    @pyqtSlot(float)
    def _progress(self, percent):
        self.progressBar.setValue(int(percent))

    def _set_running(self, running):
        self.runButton.setEnabled(not running)
        self.cancelButton.setEnabled(running)
        self.progressBar.setValue(0)

    @reported
    def cancel(self):
        if self.feedback is not None:
            self.feedback.cancel()

    @reported
    def _finished(self, ok, results):
        """The task's end, in the GUI thread."""
        self._set_running(False)
        self.task = None
        if self.feedback.isCanceled():
            self.messageBar.pushMessage(
                self.tr("Cancelled"), self.tr("nothing was written"), Qgis.MessageLevel.Warning, 5
            )
            return
        if not ok:
            self.show_error(self.feedback.errors[-1] if self.feedback.errors else "the algorithm failed")
            return
        from processing.gui.Postprocessing import handleAlgorithmResults

        handleAlgorithmResults(self.alg, self.context, self.feedback, False)
        self.progressBar.setValue(100)
        what = (
            self.tr("the projected track")
            if self.alg.id() == n.PROJECT_SINGLE_TRACK_ID
            else self.tr("east and vertical velocity")
        )
        self.messageBar.pushMessage(
            self.tr("Done"), self.tr("{} added to the map").format(what), Qgis.MessageLevel.Success, 5
        )
        self.last_results = results

    @reported
    def open_processing_dialog(self):
        import processing

        try:
            params = self.parameters()
        except ValueError:
            params = {}
        processing.execAlgorithmDialog(self.algorithm_id(), params)

    # -- settings ----------------------------------------------------------------------------

    def _save_settings(self):
        s = QgsSettings()
        s.setValue(SETTINGS + "los_sign", self.losSign.currentIndex())
        s.setValue(SETTINGS + "resampling", self.resampling.currentIndex())
        s.setValue(SETTINGS + "asc_look_side", self.ascLookSide.currentIndex())
        s.setValue(SETTINGS + "desc_look_side", self.descLookSide.currentIndex())
        s.setValue(SETTINGS + "max_condition", self.maxCondition.value())
        s.setValue(SETTINGS + "sigma_outputs", self.sigmaOutputs.isChecked())
        s.setValue(SETTINGS + "quality_output", self.qualityOutput.isChecked())

    def _restore_settings(self):
        s = QgsSettings()
        self.losSign.setCurrentIndex(int(s.value(SETTINGS + "los_sign", n.DEFAULT_LOS_SIGN)))
        self.resampling.setCurrentIndex(int(s.value(SETTINGS + "resampling", n.DEFAULT_RESAMPLING_INDEX)))
        self.ascLookSide.setCurrentIndex(int(s.value(SETTINGS + "asc_look_side", n.DEFAULT_LOOK_SIDE)))
        self.descLookSide.setCurrentIndex(int(s.value(SETTINGS + "desc_look_side", n.DEFAULT_LOOK_SIDE)))
        self.maxCondition.setValue(float(s.value(SETTINGS + "max_condition", n.DEFAULT_MAX_CONDITION)))
        self.sigmaOutputs.setChecked(s.value(SETTINGS + "sigma_outputs", False, type=bool))
        self.qualityOutput.setChecked(s.value(SETTINGS + "quality_output", False, type=bool))

    def closeEvent(self, event):  # noqa: N802 (Qt's name)
        if self.task is not None:
            self.cancel()
        super().closeEvent(event)
