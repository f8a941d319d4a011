"""The dialog's time-series path: shown when the picked layers are stacks (one band per
date). Each track's acquisitions on one timeline, one window (and step dates) for all tracks,
and the choice between a velocity over the window (``losdecomp:velocity`` per track, then
``losdecomp:decompose``) and east/up time series on common dates
(``losdecomp:decompose_timeseries``)."""

import datetime
from typing import Optional

from qgis.gui import QgsDoubleSpinBox
from qgis.PyQt.QtCore import QPointF
from qgis.PyQt.QtGui import QColor, QPainter, QPen
from qgis.PyQt.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from ..provider import names as n

VELOCITY, COMMON_DATES = 0, 1
MODES = ("Velocity over the window, then decompose", "Time series on common dates (interpolated in time)")
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
        self.setMinimumHeight(18 * max(len(self.tracks), 1) + 20)
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
            y = 10 + 18 * row
            painter.setPen(QPen(QColor("#333")))
            painter.drawText(2, y + 4, name[:22])
            painter.setPen(QPen(QColor(COLOURS[row % len(COLOURS)]), 1))
            for d in dates:
                painter.drawLine(QPointF(x(d), y - 6), QPointF(x(d), y + 6))
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
    algorithms' parameters."""

    timeline: Timeline
    note: QLabel
    mode: QComboBox
    start: QLineEdit
    end: QLineEdit
    steps: QLineEdit
    model: QComboBox
    dates: QComboBox
    max_gap: QgsDoubleSpinBox

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("Time series: the picked layers are stacks"))
        form = QFormLayout(self)
        self.timeline = Timeline(self)
        form.addRow(self.timeline)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.mode = QComboBox(self)
        self.mode.addItems(list(MODES))
        form.addRow(self.tr("Result"), self.mode)
        self.start, self.end = QLineEdit(self), QLineEdit(self)
        self.start.setPlaceholderText(self.tr("YYYY-MM-DD (empty = first acquisition)"))
        self.end.setPlaceholderText(self.tr("YYYY-MM-DD (empty = last acquisition)"))
        form.addRow(self.tr("Window start"), self.start)
        form.addRow(self.tr("Window end"), self.end)
        self.steps = QLineEdit(self)
        self.steps.setPlaceholderText(self.tr("YYYY-MM-DD, ... (an offset is estimated at each: co-event jumps)"))
        form.addRow(self.tr("Step dates"), self.steps)
        self.model = QComboBox(self)
        self.model.addItems(list(n.MODEL_OPTIONS))
        form.addRow(self.tr("Model"), self.model)
        self.dates = QComboBox(self)
        self.dates.addItems(list(n.DATES_OPTIONS))
        form.addRow(self.tr("Output dates"), self.dates)
        self.max_gap = QgsDoubleSpinBox(self)
        self.max_gap.setRange(1.0, 3650.0)
        self.max_gap.setDecimals(0)
        self.max_gap.setValue(n.DEFAULT_MAX_GAP_DAYS)
        self.max_gap.setClearValue(n.DEFAULT_MAX_GAP_DAYS)
        form.addRow(self.tr("Largest gap interpolated across (days)"), self.max_gap)
        self.mode.currentIndexChanged.connect(self._enable)
        self.start.textChanged.connect(self._window_changed)
        self.end.textChanged.connect(self._window_changed)
        self._enable()

    def _enable(self):
        velocity = self.mode.currentIndex() == VELOCITY
        for w in (self.steps, self.model, self.start, self.end):
            w.setEnabled(velocity)
        for w in (self.dates, self.max_gap):
            w.setEnabled(not velocity)
        self._window_changed()

    def _window_changed(self):
        try:
            window = (_date(self.start.text(), "window start"), _date(self.end.text(), "window end"))
        except ValueError:
            window = (None, None)
        self.timeline.set_window(*window)

    def show_tracks(self, tracks: Optional[dict]):
        """Shown with ``tracks`` (see ``set_tracks``) when the picked layers are stacks,
        hidden when ``tracks`` is None."""
        self.setVisible(tracks is not None)
        if tracks is not None:
            self.set_tracks(tracks)

    def set_tracks(self, tracks: dict):
        """``tracks``: name -> list of acquisition dates. Says the common span and each
        track's repeat; the window defaults to the common span."""
        self.timeline.set_tracks(tracks)
        spans = {k: (min(v), max(v)) for k, v in tracks.items() if v}
        if not spans:
            self.note.setText("")
            return
        first = max(s[0] for s in spans.values())
        last = min(s[1] for s in spans.values())
        lines = [f"{k}: {len(tracks[k])} acquisitions, {a} to {b}" for k, (a, b) in spans.items()]
        if first < last:
            lines.append(self.tr("Common span: {} to {} (the window shown in yellow)").format(first, last))
            if not self.start.text().strip() and not self.end.text().strip():
                self.start.setText(str(first))
                self.end.setText(str(last))
        else:
            lines.append(self.tr("<b>The tracks share no time span.</b>"))
        self.note.setText("<br>".join(lines))

    def velocity_parameters(self) -> dict:
        """losdecomp:velocity's options (the same window for every track)."""
        _date(self.start.text(), "window start"), _date(self.end.text(), "window end")
        return {n.START_DATE: self.start.text().strip(), n.END_DATE: self.end.text().strip(),
                n.MODEL: self.model.currentIndex(), n.STEP_DATES: self.steps.text().strip()}  # fmt: skip

    def timeseries_parameters(self) -> dict:
        """losdecomp:decompose_timeseries's time options: the output dates span the tracks'
        common span, displacement since its first date."""
        return {n.DATES: self.dates.currentIndex(), n.MAX_GAP_DAYS: self.max_gap.value()}
