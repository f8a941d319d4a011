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
from qgis.gui import (
    QgsCheckableComboBox,
    QgsDoubleSpinBox,
    QgsFileWidget,
    QgsMapLayerComboBox,
    QgsProjectionSelectionWidget,
)
from qgis.PyQt import uic
from qgis.PyQt.QtCore import Qt, pyqtSlot
from qgis.PyQt.QtGui import QGuiApplication
from qgis.PyQt.QtWidgets import QComboBox, QDialog, QFileDialog, QLabel, QLineEdit

from ..core.io.products import GENERIC_STEMS, track_label
from ..core.plan import readout
from ..provider import names as n
from ..provider.layers import crs_wkt
from ..provider.styling import DIVERGING, BandStyle, apply_style
from . import readout_html
from .single_track_panel import SingleTrackPanel
from .time_series_panel import COMMON_DATES, TimeSeriesPanel

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
    """Keeps the log, warnings and errors the algorithm reports, to show them in the dialog."""

    def __init__(self):
        super().__init__()
        self.errors, self.infos, self.warnings = [], [], []

    def reportError(self, error, fatalError=False):  # noqa: N802, N803 (QGIS's names)
        self.errors.append(error)
        super().reportError(error, fatalError)

    def pushInfo(self, info):  # noqa: N802 (QGIS's name)
        self.infos.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802 (QGIS's name)
        self.warnings.append(warning)
        super().pushWarning(warning)


def _file_widget(parent):
    widget = QgsFileWidget(parent)
    widget.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
    widget.setFilter("GeoTIFF (*.tif)")
    widget.lineEdit().setPlaceholderText("[temporary file]")
    return widget


#: What a number field is called in errors.
FIELD_NAMES = {"ascHeading": "ascending heading", "ascIncidence": "ascending incidence",
               "descHeading": "descending heading", "descIncidence": "descending incidence",
               "azimuth": "horizontal azimuth", "referencePoint": "reference point"}  # fmt: skip


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
        self._warnings = {}  # prefix -> likely mistakes the layer shows
        self._blocking = ""  # why Run is disabled, empty when it is not
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.mainLayout.insertWidget(self.mainLayout.indexOf(self.progressBar), self.summary)
        self._add_output_files()
        self._add_reference_and_extra_tracks()

        for combo in (self.ascLayer, self.descLayer):
            combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        # an empty second track offers the one-track projection instead of refusing
        self.descLayer.setAllowEmptyLayer(True)
        self.timeSeries = TimeSeriesPanel(self.scrollContents)
        self.contentsLayout.insertWidget(self.contentsLayout.indexOf(self.geometryGroup), self.timeSeries)
        self.timeSeries.setVisible(False)
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
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
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
        for layer in QgsProject.instance().mapLayers().values():
            name_by_frame(layer)
        QgsProject.instance().layersAdded.connect(self._layers_added)
        self._initial_pick()
        self._layer_changed("asc", self.ascLayer.currentLayer())
        self._layer_changed("desc", self.descLayer.currentLayer())
        self._fit_screen()

    def _fit_screen(self):
        """At 1366 x 768 the whole main path fits without scrolling the window off screen."""
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            avail = screen.availableGeometry()
            self.resize(min(self.width(), avail.width() - 40), min(self.height(), avail.height() - 60))

    def _add_output_files(self):
        self.sigmaEastOutput, self.sigmaUpOutput, self.qualityFile = (_file_widget(self) for _ in range(3))
        self.outputLayout.addRow(self.tr("East standard deviation"), self.sigmaEastOutput)
        self.outputLayout.addRow(self.tr("Vertical standard deviation"), self.sigmaUpOutput)
        self.outputLayout.addRow(self.tr("Quality"), self.qualityFile)
        self.sigmaOutputs.toggled.connect(self._enable_outputs)
        self.qualityOutput.toggled.connect(self._enable_outputs)
        self._enable_outputs()

    def _enable_outputs(self):
        for w in (self.sigmaEastOutput, self.sigmaUpOutput):
            w.setEnabled(self.sigmaOutputs.isChecked())
        self.qualityFile.setEnabled(self.qualityOutput.isChecked())

    def _add_reference_and_extra_tracks(self):
        self.referencePoint = QLineEdit(self)
        self.referencePoint.setPlaceholderText(self.tr("x, y in the target CRS (empty = each track's own)"))
        self.referenceRadius = QgsDoubleSpinBox(self)
        self.referenceRadius.setRange(0.0, 1e7)
        self.referenceRadius.setDecimals(5)
        self.referenceRadius.setSpecialValueText(self.tr("its pixel"))
        self.extraTracks = QgsCheckableComboBox(self)
        self.extraTracks.setDefaultText(self.tr("none"))
        self.advancedLayout.addRow(self.tr("Common reference point"), self.referencePoint)
        self.advancedLayout.addRow(self.tr("Reference radius (target CRS units)"), self.referenceRadius)
        self.advancedLayout.addRow(self.tr("Extra tracks"), self.extraTracks)
        self._fill_extra_tracks()
        self.gnssLayer = QgsMapLayerComboBox(self)
        self.gnssLayer.setFilters(QgsMapLayerProxyModel.Filter.PointLayer)
        self.gnssLayer.setAllowEmptyLayer(True)
        self.gnssLayer.setLayer(None)
        self.gnssLayer.setToolTip(self.tr(
            "Each track is referenced to the stations (reference_to_gnss) before decomposing, and east/up are "
            "compared with them after (compare_to_gnss): the summary gives the RMS, the stations layer the residuals"
        ))  # fmt: skip
        self.gnssSurface = QComboBox(self)
        self.gnssSurface.addItems(list(n.SURFACE_OPTIONS))
        self.gnssSurface.setCurrentIndex(n.DEFAULT_SURFACE)
        self.advancedLayout.addRow(self.tr("GNSS stations (reference each track to them)"), self.gnssLayer)
        self.advancedLayout.addRow(self.tr("Surface removed to fit GNSS"), self.gnssSurface)

    def _fill_extra_tracks(self):
        checked = set(self.extraTracks.checkedItemsData())
        self.extraTracks.clear()
        for layer in QgsProject.instance().mapLayers().values():
            if isinstance(layer, QgsRasterLayer):
                self.extraTracks.addItemWithCheckState(
                    layer.name(), Qt.CheckState.Checked if layer.id() in checked else Qt.CheckState.Unchecked,
                    layer.id(),
                )  # fmt: skip

    def _layers_added(self, layers):
        for layer in layers:
            name_by_frame(layer)
        self._fill_extra_tracks()

    def _initial_pick(self):
        """The likeliest pair: the first layer that says ascending and the first that says
        descending (by heading or look vector); the second slot stays empty rather than
        holding the same layer twice or a layer that says nothing."""
        rasters = [lyr for lyr in QgsProject.instance().mapLayers().values() if isinstance(lyr, QgsRasterLayer)]
        found = {}
        for layer in rasters[:30]:
            if layer.providerType() != "gdal":
                continue
            try:
                md, shown = readout.describe_layer(layer.source())
                direction = readout.pass_direction(md)
            except (RuntimeError, ValueError, OSError):
                continue
            if direction and not shown.warnings:  # not a standard deviation
                found.setdefault(direction, layer)
        desc = found.get("descending")
        asc = found.get("ascending") or next((lyr for lyr in rasters if lyr is not desc), None)
        self.ascLayer.setLayer(asc)
        self.descLayer.setLayer(desc if desc is not asc else None)

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
        other = self.descLayer if prefix == "asc" else self.ascLayer
        if layer is not None and other.currentLayer() is layer:
            other.setLayer(None)  # one layer cannot be both tracks
        _, band, heading, incidence, info = self._widgets(prefix)
        band.setLayer(layer)
        self._metadata.pop(prefix, None)
        self._warnings.pop(prefix, None)
        sigma_label = getattr(self, f"{prefix}SigmaLabel")
        sigma_label.setText(
            self.tr("{} LOS standard deviation").format("Ascending" if prefix == "asc" else "Descending")
        )
        for edit in (heading, incidence):
            self._auto.pop(edit.objectName(), None)
            edit.clear()
        if layer is None:
            info.setText("")
        else:
            slot = "ascending" if prefix == "asc" else "descending"
            try:
                md, shown = readout.describe_layer(layer.source(), max(band.currentBand(), 1), slot)
            except (RuntimeError, ValueError, OSError) as exc:
                info.setText(self.tr("Cannot read this layer's metadata: {}").format(exc))
            else:
                self._metadata[prefix] = md
                self._warnings[prefix] = shown.warnings
                info.setText(readout_html.form_html(shown.rows, shown.warnings))
                if md.sigma is not None:
                    sigma_label.setText(sigma_label.text() + self.tr(" (empty = {})").format(md.sigma.source))
                if md.geometry is None:
                    for edit, found in ((heading, md.heading), (incidence, md.incidence)):
                        if found is not None:
                            text = f"{found.value:.4f}"
                            edit.setText(text)
                            self._auto[edit.objectName()] = text
                else:
                    heading.setPlaceholderText(self.tr("per pixel (from the layer)"))
                    incidence.setPlaceholderText(self.tr("per pixel (from the layer)"))
        self._update_time_series()
        self.update_readout()
        self.update_grid_info()

    def _typed_angle(self, edit):
        """A number the user typed, or None when empty or left as filled from the layer."""
        text = edit.text().strip()
        if not text or self._auto.get(edit.objectName()) == text:
            return None
        try:
            return float(text)
        except ValueError:
            name = FIELD_NAMES.get(edit.objectName(), edit.objectName())
            raise ValueError(f"the {name} '{text}' is not a number") from None

    @reported
    def choose_mintpy_file(self):
        path, _ = QFileDialog.getOpenFileName(self, self.tr("MintPy velocity file"), "", self.tr("MintPy HDF5 (*.h5)"))
        if path:
            self.add_mintpy_file(path)

    def add_mintpy_file(self, path):
        """Import a MintPy file with losdecomp:import_mintpy, add it to the project and pick
        it as the ascending or descending track according to its heading."""
        import processing

        out = self.import_destination(path)
        if not out:
            return None
        feedback = _Feedback()
        try:
            result = processing.run(n.IMPORT_MINTPY_ID, {n.INPUT: path, n.OUTPUT: out}, feedback=feedback)
        except QgsProcessingException as exc:
            self.show_error(str(exc))
            return None
        layer = QgsRasterLayer(result[n.OUTPUT], os.path.splitext(os.path.basename(path))[0])
        apply_style(layer, BandStyle(1, DIVERGING, layer.name()))
        QgsProject.instance().addMapLayer(layer)
        descending = readout.pass_direction_of(result[n.OUTPUT]) == "descending"
        (self.descLayer if descending else self.ascLayer).setLayer(layer)
        self.messageBar.pushMessage(
            "MintPy", f"{os.path.basename(path)} added as the {'descending' if descending else 'ascending'} track, "
            f"saved as {out}", Qgis.MessageLevel.Info, 8,
        )  # fmt: skip
        return layer

    def import_destination(self, path):
        """Where an import is kept: beside the .h5 when that folder is writable (never over
        an existing file), else where the user says; empty when the user declines."""
        stem = os.path.splitext(path)[0]
        if folder_is_writable(os.path.dirname(os.path.abspath(path))):
            out, i = f"{stem}.tif", 2
            while os.path.exists(out):
                out, i = f"{stem}_{i}.tif", i + 1
            return out
        out, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the imported layer as"), os.path.basename(stem) + ".tif", "GeoTIFF (*.tif)"
        )
        return out

    # -- read-outs ---------------------------------------------------------------------------

    def _vector(self, prefix):
        _, _, heading, incidence, _ = self._widgets(prefix)
        side = n.LOOK_SIDE_OPTIONS[getattr(self, f"{prefix}LookSide").currentIndex()][1]
        try:
            h, t = self._typed_angle(heading), self._typed_angle(incidence)
        except ValueError as exc:
            return None, str(exc)
        return readout.track_vector(h, t, side, self._metadata.get(prefix))

    def stacks_mode(self):
        """Both picked layers are time series (one band per date): the time-series path."""
        mds = [self._metadata.get(p) for p in PREFIXES]
        return all(md is not None and md.dates is not None for md in mds)

    def _update_time_series(self):
        stacks = self.stacks_mode()
        self.timeSeries.setVisible(stacks)
        if stacks:
            tracks = {}
            for prefix in PREFIXES:
                layer = getattr(self, f"{prefix}Layer").currentLayer()
                tracks[layer.name()] = list(self._metadata[prefix].dates.value.values())
            self.timeSeries.set_tracks(tracks)

    def single_track_mode(self):
        """Only the first track is picked: the run projects it onto one direction."""
        return self.descLayer.currentLayer() is None and self.ascLayer.currentLayer() is not None

    def _azimuth(self):
        return self._typed_angle(self.azimuth)

    def _single_track_readout(self):
        v, note = self._vector("asc")
        if v is None:
            return f"The track's geometry is not known yet: {note}."
        try:
            az = self._azimuth()
        except ValueError as exc:
            return f"{exc}."
        panel = self.singleTrack
        text = readout.single_track_text(v, panel.direction.currentIndex(), az, panel.min_sensitivity.value())
        return text + (f" Geometry {note}." if note else "")

    @reported
    def update_readout(self):
        self._blocking = ""
        try:
            self._update_readout()
        finally:
            self._update_run_state()

    def _update_run_state(self):
        running = self.task is not None
        self.runButton.setEnabled(not running and not self._blocking)
        self.runButton.setToolTip(self._blocking)

    def _update_readout(self):
        single = self.single_track_mode()
        self.singleTrack.setVisible(single)
        if single:
            self.geometryReadout.setText(self._single_track_readout())
            return
        if self.ascLayer.currentLayer() is None:
            self._blocking = self.tr("pick the ascending track")
            self.geometryReadout.setText(self.tr("Pick the tracks: an ascending and a descending velocity layer."))
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
            az = self._azimuth()
        except ValueError as exc:
            self._blocking = str(exc)
            self.geometryReadout.setText(readout_html.error_html(str(exc)))
            return
        amp = readout.amplification(vectors, az, self.maxCondition.value())
        if not amp.resolvable:
            self._blocking = self.tr("these tracks cannot resolve east and up: {}").format(amp.reason)
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
        text += "".join(f"<br><span style='color:#b35806'>⚠ {w}</span>" for w in self._pair_warnings())
        self.geometryReadout.setText(text)

    def _pair_warnings(self):
        """Mistakes only the two tracks together show: different reference points."""
        mds = [self._metadata.get(p) for p in PREFIXES if self._metadata.get(p) is not None]
        if len(mds) < 2 or self.referencePoint.text().strip():
            return []
        refs = [md.reference for md in mds]
        if all(r is None for r in refs) and all("LiCSBAS" in md.product for md in mds):
            return [self.tr(
                "each LiCSBAS frame is referenced to its own area: give a common reference point (advanced "
                "options), or reference both to GNSS, or east and up carry the difference"
            )]  # fmt: skip
        if all(r is not None for r in refs):
            (x1, y1), (x2, y2) = refs[0].value, refs[1].value
            if max(abs(x1 - x2), abs(y1 - y2)) > 1e-6:
                return [self.tr(
                    "the tracks are referenced to different points ({:.4f}, {:.4f} and {:.4f}, {:.4f}): give a "
                    "common reference point (advanced options) or the velocities differ by a constant"
                ).format(x1, y1, x2, y2)]  # fmt: skip
        return []

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
                if layer.crs().isValid() and not readout.file_crs_wkt(layer.source()):
                    lines.append(self.tr("<i>{}: the file has no CRS; read in {}, the layer's CRS in QGIS (set it "
                                         "in the layer's properties if this is wrong)</i>").format(
                        label, layer.crs().authid() or layer.crs().description()))  # fmt: skip
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
            self.resolution.setValue(float(f"{self._suggested:.6g}"))

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
        if self.sigmaOutputs.isChecked():
            params[n.OUTPUT_SIGMA_EAST] = self._output(self.sigmaEastOutput)
            params[n.OUTPUT_SIGMA_UP] = self._output(self.sigmaUpOutput)
        if self.qualityOutput.isChecked():
            params[n.OUTPUT_QUALITY] = self._output(self.qualityFile)
        params.update(self._reference_parameters())
        extra = [QgsProject.instance().mapLayer(i) for i in self.extraTracks.checkedItemsData()]
        extra = [lyr for lyr in extra if lyr is not None and lyr not in (params[n.ASC.layer], params[n.DESC.layer])]
        if extra:
            params[n.EXTRA_TRACKS] = extra
        return {k: v for k, v in params.items() if v is not None}

    def _reference_parameters(self):
        text = self.referencePoint.text().strip()
        if not text:
            return {}
        try:
            x, y = (float(v) for v in text.replace(";", ",").split(","))
        except ValueError:
            raise ValueError(f"the reference point '{text}' is not 'x, y'") from None
        crs = self.targetCrs.crs()
        if not crs.isValid() and self.ascLayer.currentLayer() is not None:
            crs = self.ascLayer.currentLayer().crs()
        point = f"{x},{y} [{crs.authid()}]" if crs.isValid() and crs.authid() else f"{x},{y}"
        return {n.REFERENCE_POINT: point, n.REFERENCE_RADIUS: self.referenceRadius.value()}

    def show_error(self, text):
        """The whole error in the dialog (the message bar cuts long ones), its start in the bar."""
        self.messageBar.clearWidgets()
        self.messageBar.pushMessage(self.tr("Cannot run"), text, Qgis.MessageLevel.Critical, 0)
        self.summary.setText(readout_html.error_html(text))

    # -- the run: one algorithm, or a chain (time series, GNSS) ------------------------------

    def steps(self):
        """The runs this dialog stands for, in order: (name, algorithm id, parameters from the
        earlier steps' results, whether its layers are loaded)."""
        params = self.parameters()
        stacks = self.stacks_mode()
        gnss = self.gnssLayer.currentLayer() if not self.single_track_mode() else None
        common_dates = stacks and self.timeSeries.mode.currentIndex() == COMMON_DATES
        if common_dates and gnss is not None:
            raise ValueError(
                "GNSS referencing applies to velocities: choose 'velocity over the window, then decompose', or "
                "leave the GNSS layer empty"
            )
        if common_dates:
            ts = {k: v for k, v in params.items() if k != n.OUTPUT_QUALITY}
            ts.update(self.timeSeries.timeseries_parameters())
            return [("main", n.DECOMPOSE_TIMESERIES_ID, lambda r: ts, True)]
        before, last = [], {t.layer: None for t in n.TRACKS}  # the step whose output a track's velocity is
        if stacks:
            window = self.timeSeries.velocity_parameters()
            for t in n.TRACKS:
                p = {n.INPUT: params[t.layer], n.OUTPUT: "TEMPORARY_OUTPUT", **window}
                before.append((t.layer, n.VELOCITY_ID, lambda r, p=p: p, False))
                last[t.layer] = t.layer
        if gnss is not None:
            surface = self.gnssSurface.currentIndex()
            for t in n.TRACKS:
                p = {n.INPUT: params[t.layer], n.BAND: params.get(t.band, 1), n.GNSS: gnss, n.MODEL: surface,
                     n.LOOK_SIDE: params.get(t.look_side, 0), n.LOS_SIGN: params.get(n.LOS_SIGN, 0),
                     n.HEADING: params.get(t.heading), n.INCIDENCE: params.get(t.incidence),
                     n.OUTPUT: "TEMPORARY_OUTPUT"}  # fmt: skip
                before.append((f"{t.layer} GNSS", n.REFERENCE_TO_GNSS_ID,
                               lambda r, p=p, prev=last[t.layer]: _set(_after(p, r, prev)), False))  # fmt: skip
                last[t.layer] = f"{t.layer} GNSS"
        if not before:
            return [("main", self.algorithm_id(), lambda r: params, True)]

        def main(results):
            out = dict(params)
            for t in n.TRACKS:
                out[t.layer], out[t.band] = results[last[t.layer]][n.OUTPUT], 1
            return out

        steps = before + [("main", n.DECOMPOSE_ID, main, True)]
        if gnss is not None:

            def compare(results):
                return {n.EAST: results["main"][n.OUTPUT_EAST], n.UP: results["main"][n.OUTPUT_UP], n.GNSS: gnss,
                        n.OUTPUT: "TEMPORARY_OUTPUT"}  # fmt: skip

            steps.append(("compare", n.COMPARE_TO_GNSS_ID, compare, True))
        return steps

    @reported
    def run(self):
        try:
            steps = self.steps()
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self._chain, self._results, self._step = steps, {}, -1
        self._save_settings()
        self.messageBar.clearWidgets()
        self.summary.setText(self.tr("Running…"))
        self.feedback = _Feedback()
        # a bound slot, not a lambda: the task reports from its own thread and Qt must queue
        # the call to the dialog's thread
        self.feedback.progressChanged.connect(self._progress)
        self._start_next()

    def _start_next(self):
        """Start the next step; False (with the error shown) when its parameters are refused."""
        self._step += 1
        name, alg_id, make, _ = self._chain[self._step]
        params = make(self._results)
        alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
        self.context = QgsProcessingContext()
        self.context.setProject(QgsProject.instance())
        ok, msg = alg.checkParameterValues(params, self.context)
        if not ok:
            self._set_running(False)
            self.show_error(msg if len(self._chain) == 1 else f"{alg.displayName()}: {msg}")
            return False
        self.alg = alg
        self.task = QgsProcessingAlgRunnerTask(alg, params, self.context, self.feedback)
        self.task.executed.connect(self._finished)
        self._set_running(True)
        QgsApplication.taskManager().addTask(self.task)
        return True

    @pyqtSlot(float)
    def _progress(self, percent):
        steps = max(len(getattr(self, "_chain", [])), 1)
        self.progressBar.setValue(int((max(self._step, 0) + percent / 100.0) / steps * 100))

    def _set_running(self, running):
        self.cancelButton.setEnabled(running)
        if running:
            self.runButton.setEnabled(False)
        else:
            self.task = None
            self._update_run_state()

    @reported
    def cancel(self):
        if self.feedback is not None:
            self.feedback.cancel()

    @reported
    def _finished(self, ok, results):
        """A step's end, in the GUI thread: the next step, or the run's summary."""
        self._set_running(False)
        if self.feedback.isCanceled():
            self.messageBar.pushMessage(
                self.tr("Cancelled"), self.tr("nothing was written"), Qgis.MessageLevel.Warning, 5
            )
            self.summary.setText(self.tr("Cancelled: nothing was written."))
            self.progressBar.setValue(0)
            return
        if not ok:
            self.show_error(self.feedback.errors[-1] if self.feedback.errors else "the algorithm failed")
            self.progressBar.setValue(0)
            return
        name, _, _, load = self._chain[self._step]
        self._results[name] = results
        if load:
            from processing.gui.Postprocessing import handleAlgorithmResults

            handleAlgorithmResults(self.alg, self.context, self.feedback, False)
        if self._step + 1 < len(self._chain):
            self._start_next()
            return
        self.progressBar.setValue(100)
        main_id = next(alg_id for step, alg_id, _, _ in self._chain if step == "main")
        what = {n.PROJECT_SINGLE_TRACK_ID: self.tr("the projected track"),
                n.DECOMPOSE_TIMESERIES_ID: self.tr("east and vertical time series")}.get(
            main_id, self.tr("east and vertical velocity"))  # fmt: skip
        self.messageBar.pushMessage(
            self.tr("Done"), self.tr("{} added to the map").format(what), Qgis.MessageLevel.Success, 5
        )
        title = self.tr("Done: {} added to the map, in a group of their own.").format(what)
        infos = list(self.feedback.infos)
        if "compare" in self._results:
            c = self._results["compare"]
            infos.append(f"GNSS: {c[n.COUNT]} stations, east RMS {c[n.RMS_EAST]:.3g}, up RMS {c[n.RMS_UP]:.3g} "
                         "(residuals in the stations layer)")  # fmt: skip
        self.summary.setText(readout_html.summary_html(title, infos, self.feedback.warnings))
        self.last_results = self._results["main"]

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


def name_by_frame(layer):
    """A layer named only by a generic file name (``vel.geo``) gets its frame or folder in
    front, so that two LiCSBAS frames are not two identical ``vel.geo`` in the combos."""
    if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal":
        return
    name = layer.name()
    if name.lower() not in GENERIC_STEMS:
        return
    label = track_label(layer.source())
    if label and label.lower() != name.lower():
        layer.setName(f"{label.split('/')[0]} {name}")


def folder_is_writable(folder):
    return os.access(folder, os.W_OK)


def _set(params):
    """The parameters that were given (None = left empty)."""
    return {k: v for k, v in params.items() if v is not None}


def _after(params, results, step):
    """``params`` reading the output of the earlier ``step`` (None: the layer itself), whose
    velocity band is the first."""
    if step is None:
        return params
    return dict(params, **{n.INPUT: results[step][n.OUTPUT], n.BAND: 1})
