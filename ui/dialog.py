"""The decomposition dialog: ``dialog.ui`` and the panels working on it (tracks, geometry
read-out, grid, options, MintPy import, time series, single track, GNSS). ``parameters``
turns their state into the parameters of ``losdecomp:decompose`` (or of the chain a time
series or a GNSS layer adds) and ``run_chain`` runs that same algorithm as background tasks.
The panels and the run chain report back by signals; none of them imports this module."""

import os

from qgis.core import Qgis, QgsProject
from qgis.gui import QgsMessageBar
from qgis.PyQt import uic
from qgis.PyQt.QtGui import QGuiApplication
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDialog,
    QGroupBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..provider import names as n
from . import readout_html, run_summary, settings
from .feedback import reported
from .gnss_panel import GnssPanel
from .grid_panel import GridPanel
from .mintpy_panel import MintPyImport
from .mode_panel import ModePanel
from .north_panel import NorthPanel
from .options_panel import OptionsPanel
from .parameters import ALGORITHM, Parameters
from .readout_panel import GeometryReadout
from .regional_panel import RegionalPanel
from .run_chain import RunChain
from .settings import SETTINGS
from .single_track_panel import SingleTrackPanel
from .time_series_panel import TimeSeriesPanel
from .tracks_panel import TracksPanel, name_by_frame

FORM_CLASS, _ = uic.loadUiType(os.path.join(os.path.dirname(__file__), "dialog.ui"))
__all__ = ["ALGORITHM", "SETTINGS", "DecompositionDialog"]
#: The width of a combo box when closed, in characters.
COMBO_CHARACTERS = 10


class DecompositionDialog(QDialog, FORM_CLASS):
    """The decomposition dialog: layers, what they say, grid, options, a background run.
    Every widget of ``dialog.ui`` is an attribute (``ascLayer``, ``upOutput``, …); the
    panels below declare the ones they work on."""

    # widgets of dialog.ui the dialog works on itself
    scrollArea: QScrollArea
    scrollContents: QWidget
    leftColumn: QVBoxLayout
    rightColumn: QVBoxLayout
    geometryGroup: QGroupBox
    messageBar: QgsMessageBar
    summary: QLabel
    progressBar: QProgressBar
    processingButton: QPushButton
    runButton: QPushButton
    cancelButton: QPushButton
    closeButton: QPushButton
    # its parts
    tracks: TracksPanel
    readout: GeometryReadout
    grid: GridPanel
    options: OptionsPanel
    gnss: GnssPanel
    north: NorthPanel
    regional: RegionalPanel
    mintpy: MintPyImport
    modes: ModePanel
    timeSeries: TimeSeriesPanel
    singleTrack: SingleTrackPanel
    builder: Parameters
    chain: RunChain

    def __init__(self, iface, parent=None):
        super().__init__(parent)
        self.setupUi(self)
        self.iface = iface
        self.last_results = None  # the main step's results of the last run
        self._blocking = ""  # why Run is disabled, empty when it is not
        self._add_panels()
        self._connect_panels()
        # bound methods, not lambdas: Qt disconnects them when the dialog is destroyed
        self.runButton.clicked.connect(self.run)
        self.cancelButton.clicked.connect(self.cancel)
        self.closeButton.clicked.connect(self.close)
        self.processingButton.clicked.connect(self.open_processing_dialog)
        settings.restore(self)
        for layer in QgsProject.instance().mapLayers().values():
            name_by_frame(layer)
        QgsProject.instance().layersAdded.connect(self._layers_added)
        self.tracks.initial_pick()
        self.tracks.read_both()
        self._fit_screen()

    def _add_panels(self):
        self.options = OptionsPanel(self)
        self.gnss = GnssPanel(self)
        self.tracks = TracksPanel(self)
        # two columns: the tracks and what they resolve on the left, the time and the options on the right
        self.timeSeries = TimeSeriesPanel(self.scrollContents)
        self.rightColumn.insertWidget(0, self.timeSeries)
        self.timeSeries.setVisible(False)
        self.singleTrack = SingleTrackPanel(self.scrollContents)
        self.leftColumn.insertWidget(self.leftColumn.indexOf(self.geometryGroup) + 1, self.singleTrack)
        self.north = NorthPanel(self)
        self.regional = RegionalPanel(self)
        self.readout = GeometryReadout(self, self.tracks, self.singleTrack, self.north)
        self.modes = ModePanel(self, self.tracks)
        self.grid = GridPanel(self, self.tracks)
        self.mintpy = MintPyImport(self)
        self.builder = Parameters(self.tracks, self.grid, self.options, self.singleTrack, self.timeSeries, self.gnss,
                                  self.north, self.regional)  # fmt: skip
        self.chain = RunChain(self)

    def _connect_panels(self):
        for panel in (self.tracks, self.readout, self.grid, self.options, self.gnss, self.mintpy, self.north):
            panel.error.connect(self.show_error)
        self.tracks.layersChanged.connect(self._layer_changed)
        self.timeSeries.modeChanged.connect(self._show_mode)
        self.tracks.geometryChanged.connect(self.readout.update_readout)
        self.readout.blockingChanged.connect(self._blocking_changed)
        self.mintpy.imported.connect(self.tracks.set_track)
        self.mintpy.message.connect(self._imported)
        self.chain.progressed.connect(self.progressBar.setValue)
        self.chain.runningChanged.connect(self._running_changed)
        self.chain.failed.connect(self.show_error)
        self.chain.cancelled.connect(self._cancelled)
        self.chain.finished.connect(self._finished)

    def _fit_screen(self):
        """At 1366 x 768 the whole main path fits without scrolling the window off screen:
        combos as narrow as a few words (their long choices show when opened), the window no
        larger than the screen."""
        for combo in self.scrollContents.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(COMBO_CHARACTERS)
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            avail = screen.availableGeometry()
            self.resize(min(self.width(), avail.width() - 40), min(self.height(), avail.height() - 60))

    def _layers_added(self, layers):
        for layer in layers:
            name_by_frame(layer)
        self.options.fill_extra_tracks()
        self.regional.fill_frames()

    # -- what the panels say ------------------------------------------------------------------

    @reported
    def _layer_changed(self):
        """A track was picked and read: the time series, the read-out and the grid follow."""
        self.timeSeries.show_tracks(self.tracks.acquisitions())
        self._show_mode()
        self.readout.update_readout()
        self.grid.update_grid_info()

    def _show_mode(self):
        if self.tracks.stacks_mode():
            self.modes.show_mode("dates" if self.timeSeries.common_dates() else "velocity")
        else:
            self.modes.show_mode("single" if self.tracks.single_track_mode() else "pair")

    def _blocking_changed(self, blocking):
        self._blocking = blocking
        self._update_run_state()

    def _update_run_state(self):
        running = self.task is not None
        self.runButton.setEnabled(not running and not self._blocking)
        self.runButton.setToolTip(self._blocking)

    def _imported(self, title, text):
        self.messageBar.pushMessage(title, text, Qgis.MessageLevel.Info, 8)

    def show_error(self, text):
        """The whole error in the dialog (the message bar cuts long ones), its start in the bar."""
        self.messageBar.clearWidgets()
        self.messageBar.pushMessage(self.tr("Cannot run"), text, Qgis.MessageLevel.Critical, 0)
        self.summary.setText(readout_html.error_html(text))

    # -- what the dialog stands for (see the panels and ``parameters``) ------------------------

    def update_readout(self):
        self.readout.update_readout()

    def update_grid_info(self):
        self.grid.update_grid_info()

    def suggest_resolution(self):
        self.grid.suggest_resolution()

    def add_mintpy_file(self, path):
        """Import a MintPy file, add it to the project and pick it as the ascending or
        descending track according to its heading."""
        return self.mintpy.add_mintpy_file(path)

    def stacks_mode(self):
        return self.tracks.stacks_mode()

    def single_track_mode(self):
        return self.tracks.single_track_mode()

    def algorithm_id(self):
        return self.builder.algorithm_id()

    def parameters(self):
        return self.builder.parameters()

    def steps(self):
        return self.builder.steps()

    # -- the run: one algorithm, or a chain (time series, GNSS) --------------------------------

    @property
    def task(self):
        """The background task running now, None when none is."""
        return self.chain.task

    @reported
    def run(self):
        try:
            steps = self.builder.steps()
        except ValueError as exc:
            self.show_error(str(exc))
            return
        settings.save(self)
        self.messageBar.clearWidgets()
        self.summary.setText(self.tr("Running…"))
        self.chain.start(steps)

    @reported
    def cancel(self):
        self.chain.cancel()

    def _running_changed(self, running):
        self.cancelButton.setEnabled(running)
        if running:
            self.runButton.setEnabled(False)
        else:
            self._update_run_state()

    def _cancelled(self):
        self.messageBar.pushMessage(self.tr("Cancelled"), self.tr("nothing was written"), Qgis.MessageLevel.Warning, 5)
        self.summary.setText(self.tr("Cancelled: nothing was written."))
        self.progressBar.setValue(0)

    @reported
    def _finished(self, main_id, results):
        """The chain's end: what was added to the map, and the run's story."""
        what = {n.PROJECT_SINGLE_TRACK_ID: self.tr("the projected track"),
                n.DECOMPOSE_TIMESERIES_ID: self.tr("east and vertical time series")}.get(
            main_id, self.tr("east and vertical velocity"))  # fmt: skip
        if "fit up" in results:
            what = self.tr("east and vertical time series and their time-function models")
        self.messageBar.pushMessage(
            self.tr("Done"), self.tr("{} added to the map").format(what), Qgis.MessageLevel.Success, 5
        )
        title = self.tr("Done: {} added to the map, in a group of their own.").format(what)
        lines = run_summary.story(self.chain.steps, self.chain.logs)
        if "compare" in results:
            lines.append(run_summary.gnss_line(results))
        warnings = list(dict.fromkeys(self.chain.feedback.warnings))  # each once
        self.summary.setText(readout_html.summary_html(title, lines, warnings))
        self.last_results = results["main"]

    @reported
    def open_processing_dialog(self):
        import processing

        try:
            params = self.builder.parameters()
        except ValueError:
            params = {}
        processing.execAlgorithmDialog(self.builder.algorithm_id(), params)

    def closeEvent(self, event):  # noqa: N802 (Qt's name)
        if self.task is not None:
            self.cancel()
        super().closeEvent(event)
