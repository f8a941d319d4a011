"""The inspector's plot: a matplotlib Figure on matplotlib's Qt canvas (backend_qtagg,
which works with Qt5 and Qt6), imported only when the dock is shown; a message in its place
when matplotlib is missing. The drawing is core/io/series_plot.SeriesPlot, the same as the
pictures of losdecomp:sample_timeseries; made once, laid out once, its lines updated in place
at each click (a click redraws, it does not rebuild the figure)."""

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.io import series_plot


class PlotWidget(QWidget):
    """The canvas, or a label saying why there is none; ``message`` over an empty plot."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.label)
        self.figure, self.canvas, self.missing = None, None, ""
        try:
            from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        except ImportError:
            self.missing = series_plot.MISSING
            self.label.setText(self.missing)
            return
        self.figure = series_plot.new_figure(6.0, 3.6)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.drawing = series_plot.SeriesPlot(self.figure)
        self.canvas.setParent(self)
        layout.addWidget(self.canvas, 1)
        self.label.setText("Click a pixel on the map with the inspector tool")

    def show_series(self, series: list, title: str, curves: list, note: str) -> None:
        """Draw the series (none: clear, and say ``note``)."""
        if self.figure is None:
            return
        self.drawing.show(series, title, curves)
        self.label.setText(note)
        self.label.setVisible(bool(note))
        self.canvas.draw_idle()

    def save(self, path: str) -> None:
        """The picture as PNG or SVG (by the file's extension)."""
        if self.figure is None:
            raise RuntimeError(self.missing)
        self.figure.savefig(path)
