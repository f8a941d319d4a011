"""A date slider for dated stacks (one band per acquisition): it follows the active layer and
switches the band its renderer draws, showing the date. On QGIS 3.38 and later the temporal
controller does the same through per-band temporal ranges; the slider works everywhere."""

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QLabel, QSlider, QVBoxLayout, QWidget

from ..provider.styling import show_band
from ..provider.temporal import band_dates, by_date, per_band_mode, rendered_band

HINT_NEW = "QGIS's temporal controller also steps through these dates (the layer has one range per band)."
HINT_OLD = "This QGIS has no per-band temporal ranges (3.38 and later): the slider switches the band drawn."


class DateSlider(QWidget):
    """Slider over the active dated raster's acquisitions; ``layer`` is the one it drives."""

    def __init__(self, iface, parent=None):
        super().__init__(parent, Qt.WindowType.Tool)
        self.setObjectName("insarDateSlider")
        self.setWindowTitle(self.tr("InSAR dates"))
        self.iface = iface
        self.layer = None
        self.bands = []  # (band, date) in date order
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("dateSlider")
        self.slider.setPageStep(1)
        self.date = QLabel()
        self.date.setObjectName("dateLabel")
        self.hint = QLabel(self.tr(HINT_NEW if per_band_mode() is not None else HINT_OLD))
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.slider, self.date, self.hint):
            layout.addWidget(widget)
        self.slider.valueChanged.connect(self.show_index)
        if iface is not None:
            iface.currentLayerChanged.connect(self.set_layer)
        self.setFixedWidth(440)

    def set_layer(self, layer) -> bool:
        """Drive ``layer`` when it is a dated stack (True); otherwise say so and wait."""
        dates = band_dates(layer)
        if not dates:
            self.layer, self.bands = None, []
            self.title.setText(self.tr("Select a dated raster (one band per acquisition) in the Layers panel."))
            self.date.setText("")
            self.slider.setEnabled(False)
            return False
        self.layer, self.bands = layer, by_date(dates)
        self.title.setText(f"<b>{layer.name()}</b>: {len(self.bands)} dates")
        self.slider.setEnabled(True)
        bands = [band for band, _ in self.bands]
        current = rendered_band(layer)
        index = bands.index(current) if current in bands else len(bands) - 1
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.bands) - 1)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self.show_index(index)
        return True

    def show_index(self, index: int) -> None:
        """Draw the ``index``-th date of the layer and show it."""
        if self.layer is None or not 0 <= index < len(self.bands):
            return
        band, date = self.bands[index]
        if rendered_band(self.layer) != band:
            show_band(self.layer, band)
            view = getattr(self.iface, "layerTreeView", None)
            if view is not None:
                view().refreshLayerSymbology(self.layer.id())  # the legend shows the band drawn
        self.date.setText(f"<b>{date.isoformat()}</b> (band {band}; {index + 1} of {len(self.bands)})")

    def step(self, delta: int) -> None:
        """Move ``delta`` dates (the slider's own keys do the same)."""
        self.slider.setValue(max(0, min(self.slider.maximum(), self.slider.value() + delta)))

    def detach(self) -> None:
        """Stop following the active layer (the plugin calls it when it unloads)."""
        if self.iface is not None:
            try:
                self.iface.currentLayerChanged.disconnect(self.set_layer)
            except TypeError:
                pass
        self.layer = None
