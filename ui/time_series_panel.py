"""The dialog's time-series path: shown when the picked layers are stacks (one band per
date). Each track's acquisitions on one timeline, one window (and step dates) for all tracks,
and the choice between a velocity over the window (``losdecomp:velocity`` per track, then
``losdecomp:decompose``: window, model, step dates), east/up time series on common dates
(``losdecomp:decompose_timeseries``: output dates, interval, method, smoothing, reference
date, largest gap), and those fitted by a time-function model over the window
(``losdecomp:fit_time_functions`` on east and on up: time_functions_panel). Only the rows of
the chosen result are shown."""

import datetime
import inspect
from typing import Optional

from qgis.gui import QgsDoubleSpinBox
from qgis.PyQt.QtCore import QPointF, Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor, QPainter, QPen
from qgis.PyQt.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QLineEdit, QSpinBox, QWidget

from ..provider import names as n
from .time_functions_panel import WHY, TimeFunctionRows

#: The width of a closed combo box, in characters (their long choices show when opened).
COMBO_CHARACTERS = 10

VELOCITY, COMMON_DATES, FUNCTIONS = 0, 1, 2
#: DATES and METHOD choices that need more input: a regular interval, the joint method's smoothing
REGULAR, JOINT = 1, 1
MODES = ("Velocity over the window, then decompose", "Time series on common dates (interpolated in time)",
         "Time-function model of east and up over the window (steps, seasons, relaxation)")  # fmt: skip
#: The rows each result shows (2: the result itself; 3-4 window, model and steps; 5-7 common dates; 8-10 time functions)
SHOWN = {VELOCITY: {2, 3, 4}, COMMON_DATES: {2, 5, 6, 7}, FUNCTIONS: {2, 3, 4, 5, 6, 7, 8, 9, 10}}
ROW = 14  # the timeline's height per track, pixels
COLOURS = ("#2166ac", "#b2182b", "#1b7837", "#762a83")


class Timeline(QWidget):
    """Each track's acquisition dates as ticks on one time axis, and the chosen window."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracks = {}
        self.window = (None, None)
        self.setMinimumHeight(24)

    def set_tracks(self, tracks: dict):
        self.tracks = {k: sorted(v) for k, v in tracks.items() if v}
        self.setMinimumHeight(ROW * max(len(self.tracks), 1) + 16)
        self.update()

    def set_window(self, start, end):
        self.window = (start, end)
        self.update()

    def span(self):
        dates = [d for v in self.tracks.values() for d in v]
        return (min(dates), max(dates)) if dates else (None, None)

    def paintEvent(self, event):  # noqa: N802 (Qt's name)
        first, last = self.span()
        if first is None:
            return
        painter = QPainter(self)
        left, right = 150, self.width() - 10
        days = max((last - first).days, 1)

        def x(date):
            return left + (right - left) * (date - first).days / days

        start, end = self.window
        if start and end:
            painter.fillRect(int(x(max(start, first))), 0, int(x(min(end, last)) - x(max(start, first))) + 1,
                             self.height() - 14, QColor(255, 230, 150))  # fmt: skip
        for row, (name, dates) in enumerate(self.tracks.items()):
            y = 8 + ROW * row
            painter.setPen(QPen(QColor("#333")))
            painter.drawText(2, y + 4, f"{name[:17]} ({len(dates)})")
            painter.setPen(QPen(QColor(COLOURS[row % len(COLOURS)]), 1))
            for d in dates:
                painter.drawLine(QPointF(x(d), y - 5), QPointF(x(d), y + 5))
        painter.setPen(QPen(QColor("#333")))
        bottom = self.height() - 2
        painter.drawText(left, bottom, str(first))
        painter.drawText(max(left, right - 70), bottom, str(last))
        painter.end()


def _date(text: str, label: str):
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"the {label} '{text}' is not a YYYY-MM-DD date") from None


class TimeSeriesPanel(QGroupBox):
    """The time-series options; ``velocity_parameters`` and ``timeseries_parameters`` give the
    algorithms' parameters (under their names). Each control's object name is its attribute's."""

    modeChanged = pyqtSignal()

    timeline: Timeline
    note: QLabel
    mode: QComboBox
    start: QLineEdit
    end: QLineEdit
    steps: QLineEdit
    model: QComboBox
    dates: QComboBox
    interval: QSpinBox
    method: QComboBox
    regularization: QgsDoubleSpinBox
    reference_date: QLineEdit
    max_gap: QgsDoubleSpinBox

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("timeSeries")
        self.setTitle(self.tr("Time series: the picked layers are displacement stacks"))
        self.grid = QGridLayout(self)
        self.rows = {}  # row -> its widgets, to show a mode's rows only
        self.timeline = Timeline(self)
        self.grid.addWidget(self.timeline, 0, 0, 1, 4)
        self.mode = self._combo(MODES)
        self._row(2, ("Result", self.mode))
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.grid.addWidget(self.note, 2, 2, 1, 2)
        self.start, self.end = QLineEdit(self), QLineEdit(self)
        self.start.setPlaceholderText(self.tr("YYYY-MM-DD (empty = first)"))
        self.end.setPlaceholderText(self.tr("YYYY-MM-DD (empty = last)"))
        self._row(3, ("Window from", self.start), ("to", self.end))
        self.model = self._combo(n.MODEL_OPTIONS)
        self.steps = QLineEdit(self)
        self.steps.setPlaceholderText(self.tr("YYYY-MM-DD, … (an offset at each)"))
        self.steps.setToolTip(self.tr("An offset is estimated at each step date: co-event jumps"))
        self._row(4, ("Model", self.model), ("Steps", self.steps))
        self._common_dates_rows()
        self.functions = TimeFunctionRows(self, 8)
        self.mode.setItemData(FUNCTIONS, self.tr(WHY), Qt.ItemDataRole.ToolTipRole)
        for name in inspect.get_annotations(TimeSeriesPanel):  # the tests find the controls by name
            getattr(self, name).setObjectName(name)
        self.mode.currentIndexChanged.connect(self._enable)
        self.dates.currentIndexChanged.connect(self._enable)
        self.method.currentIndexChanged.connect(self._enable)
        self.start.textChanged.connect(self._window_changed)
        self.end.textChanged.connect(self._window_changed)
        self._enable()

    def _common_dates_rows(self):
        self.dates = self._combo(n.DATES_OPTIONS)
        self.interval = QSpinBox(self)
        self.interval.setRange(1, 3650)
        self.interval.setValue(n.DEFAULT_INTERVAL_DAYS)
        self.interval.setToolTip(self.tr("The interval of the regular output dates, in days"))
        self._row(5, ("Dates", self.dates), ("every (days)", self.interval))
        self.method = self._combo(n.METHOD_OPTIONS)
        self.regularization = QgsDoubleSpinBox(self)
        self.regularization.setRange(0.0, 1000.0)
        self.regularization.setValue(n.DEFAULT_REGULARIZATION)
        self.regularization.setClearValue(n.DEFAULT_REGULARIZATION)
        self.regularization.setToolTip(
            self.tr(
                "The joint method's temporal smoothing weight (1 = as strong as one "
                "increment spanning the median interval)"
            )
        )
        self._row(6, ("Method", self.method), ("smoothing", self.regularization))
        self.reference_date = QLineEdit(self)
        self.reference_date.setPlaceholderText(self.tr("YYYY-MM-DD (empty = first)"))
        self.reference_date.setToolTip(
            self.tr("The reference date: every track is zero there, the outputs are " "displacements since it")
        )
        self.max_gap = QgsDoubleSpinBox(self)
        self.max_gap.setRange(1.0, 3650.0)
        self.max_gap.setDecimals(0)
        self.max_gap.setValue(n.DEFAULT_MAX_GAP_DAYS)
        self.max_gap.setClearValue(n.DEFAULT_MAX_GAP_DAYS)
        self.max_gap.setToolTip(self.tr("Largest gap between two acquisitions interpolated across (method 0)"))
        self._row(7, ("Zero at", self.reference_date), ("max gap (days)", self.max_gap))

    def _combo(self, options) -> QComboBox:
        """A combo box as narrow as a few words (set before any size is asked: Qt keeps the first)."""
        combo = QComboBox(self)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(COMBO_CHARACTERS)
        combo.addItems(list(options))
        for i, text in enumerate(options):
            combo.setItemData(i, text, Qt.ItemDataRole.ToolTipRole)
        return combo

    def _row(self, row, *fields):
        widgets = []
        for k, (label, widget) in enumerate(fields):
            text = QLabel(self.tr(label), self)
            self.grid.addWidget(text, row, 2 * k)
            self.grid.addWidget(widget, row, 2 * k + 1)
            widgets += [text, widget]
        self.rows[row] = widgets

    def common_dates(self) -> bool:
        """East/up time series on common dates, alone or fitted by time functions (else a
        velocity over the window)."""
        return self.mode.currentIndex() in (COMMON_DATES, FUNCTIONS)

    def time_functions(self) -> bool:
        """The east/up time series fitted by a time-function model over the window."""
        return self.mode.currentIndex() == FUNCTIONS

    def _enable(self):
        shown = SHOWN[self.mode.currentIndex()]
        for row, widgets in self.rows.items():
            for w in widgets:
                w.setVisible(row in shown)
        for w in self.rows[4][:2]:  # the velocity's model: the time functions have their own
            w.setVisible(self.mode.currentIndex() == VELOCITY)
        self.interval.setEnabled(self.dates.currentIndex() == REGULAR)
        self.regularization.setEnabled(self.method.currentIndex() == JOINT)
        self.max_gap.setEnabled(self.method.currentIndex() != JOINT)
        self._window_changed()
        self.modeChanged.emit()

    def _window_changed(self):
        try:
            window = (_date(self.start.text(), "window start"), _date(self.end.text(), "window end"))
        except ValueError:
            window = (None, None)
        self.timeline.set_window(*window if 3 in SHOWN[self.mode.currentIndex()] else (None, None))

    def show_tracks(self, tracks: Optional[dict]):
        """Shown with ``tracks`` (see ``set_tracks``) when the picked layers are stacks,
        hidden when ``tracks`` is None."""
        self.setVisible(tracks is not None)
        if tracks is not None:
            self.set_tracks(tracks)

    def set_tracks(self, tracks: dict):
        """``tracks``: name -> list of acquisition dates. Says the common span (each track's
        acquisitions in a tooltip); the window defaults to the common span."""
        self.timeline.set_tracks(tracks)
        spans = {k: (min(v), max(v)) for k, v in tracks.items() if v}
        if not spans:
            self.note.setText("")
            return
        first = max(s[0] for s in spans.values())
        last = min(s[1] for s in spans.values())
        self.note.setToolTip(
            "<br>".join(f"{k}: {len(tracks[k])} acquisitions, {a} to {b}" for k, (a, b) in spans.items())
        )
        if first < last:
            self.note.setText(self.tr("Common span: {} to {}").format(first, last))
            if not self.start.text().strip() and not self.end.text().strip():
                self.start.setText(str(first))
                self.end.setText(str(last))
        else:
            self.note.setText(self.tr("<b>The tracks share no time span.</b>"))

    def window_text(self) -> str:
        """The window as the result names say it (``2020-01-03 to 2021-12-29``)."""
        return f"{self.start.text().strip() or 'first'} to {self.end.text().strip() or 'last'}"

    def velocity_parameters(self) -> dict:
        """losdecomp:velocity's options (the same window for every track)."""
        _date(self.start.text(), "window start"), _date(self.end.text(), "window end")
        return {n.START_DATE: self.start.text().strip(), n.END_DATE: self.end.text().strip(),
                n.MODEL: self.model.currentIndex(), n.STEP_DATES: self.steps.text().strip()}  # fmt: skip

    def fit_parameters(self) -> dict:
        """losdecomp:fit_time_functions' options: the window, the step dates, the model, the
        reference date (t = 0, the zero of the decomposed stacks) and the uncertainty."""
        _date(self.start.text(), "window start"), _date(self.end.text(), "window end")
        return {n.START_DATE: self.start.text().strip(), n.END_DATE: self.end.text().strip(),
                n.STEP_DATES: self.steps.text().strip(), n.REFERENCE_DATE: self.reference_date.text().strip(),
                **self.functions.parameters()}  # fmt: skip

    def model_text(self) -> str:
        """The time-function model as result names say it."""
        return self.functions.model_text(self.steps.text())

    def timeseries_parameters(self) -> dict:
        """losdecomp:decompose_timeseries's time options: output dates (and their interval),
        method (and its smoothing), reference date, largest gap."""
        _date(self.reference_date.text(), "reference date")
        return {n.DATES: self.dates.currentIndex(), n.INTERVAL_DAYS: self.interval.value(),
                n.METHOD: self.method.currentIndex(), n.REGULARIZATION: self.regularization.value(),
                n.REFERENCE_DATE: self.reference_date.text().strip(), n.MAX_GAP_DAYS: self.max_gap.value()}  # fmt: skip
