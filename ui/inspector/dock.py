"""The inspector dock: every loaded time-series raster at the clicked place against a date
axis (sigma bands where sigma stacks are loaded), a second place by shift-click, a
reference from a click or a drawn polygon, a polygon target (median and 5-95 % envelope), a
fitted line with its rate, a read-out table of single-epoch rasters, CSV and picture export.
The numbers come from the core sampler (state.py)."""

import datetime
import os

from qgis.core import QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import QDate
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.samplers.series import Target
from .plot import PlotWidget
from .state import InspectorState
from .tool import POINT, POLYGON

NO_DATA = "No data here: no loaded time series has a valid value at this place."
NO_LAYERS = "No time-series raster is loaded (one band per date, INSAR_DATE)."
HINT = ("Click a place; shift-click a second place (B) to compare: a third shift-click drops place A. "
        "Set reference, then click (or draw a polygon).")
#: What the next click or polygon does.
TARGET, REFERENCE = "target", "reference"


def loaded_rasters(project=None) -> list:
    """(file, name) of every file raster of the project, in the layer tree's order."""
    project = project or QgsProject.instance()
    out = []
    for layer in project.layerTreeRoot().layerOrder():
        if isinstance(layer, QgsRasterLayer) and layer.providerType() == "gdal":
            path = layer.source().split("|")[0]
            if os.path.isfile(path):
                out.append((path, layer.name()))
    return out


class InspectorDock(QDockWidget):
    """The dock; :meth:`connect_tool` wires a map tool's clicks to it."""

    def __init__(self, parent=None, project=None):
        super().__init__("InSAR time-series inspector", parent)
        self.setObjectName("insarTimeSeriesInspector")
        self.project = project
        self.state = InspectorState()
        self.next_click, self.tool = TARGET, None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.plot = PlotWidget(body)
        layout.addWidget(self.plot, 1)
        self.message = QLabel(body)
        self.message.setWordWrap(True)
        self.message.setText(HINT)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons(body))
        layout.addLayout(self._second_row(body))
        self.table = QTableWidget(0, 3, body)
        self.table.setHorizontalHeaderLabels(["layer", "band", "value"])
        self.table.setMaximumHeight(140)
        layout.addWidget(self.table)
        self.setWidget(body)

    def _buttons(self, body):
        row = QHBoxLayout()
        self.reference_button = QPushButton("Set reference", body)
        self.reference_button.setToolTip("The next click (or polygon) becomes the reference, date by date")
        self.reference_button.clicked.connect(lambda: self.set_next(REFERENCE))
        self.polygon_box = QCheckBox("Polygon", body)
        self.polygon_box.setToolTip("Draw a polygon (right click closes it): median and 5-95 % envelope")
        self.polygon_box.toggled.connect(self._polygon_mode)
        self.clear_reference_button = QPushButton("No reference", body)
        self.clear_reference_button.clicked.connect(self.clear_reference)
        self.fit_box = QCheckBox("Fit a line", body)
        self.fit_box.toggled.connect(self.set_fit)
        self.csv_button = QPushButton("CSV...", body)
        self.csv_button.clicked.connect(self._ask_csv)
        self.picture_button = QPushButton("Picture...", body)
        self.picture_button.clicked.connect(self._ask_picture)
        for w in (self.reference_button, self.clear_reference_button, self.polygon_box, self.fit_box,
                  self.csv_button, self.picture_button):  # fmt: skip
            row.addWidget(w)
        return row

    def _second_row(self, body):
        row = QHBoxLayout()
        self.zero_box = QCheckBox("Zero at", body)
        self.zero_box.setToolTip(
            "Every series zero at this date (REFERENCE_DATE): interpolated linearly between its neighbouring "
            "dates; a layer without values on both sides is left out"
        )
        self.zero_date = QDateEdit(QDate.currentDate(), body)
        self.zero_date.setDisplayFormat("yyyy-MM-dd")
        self.zero_date.setCalendarPopup(True)
        self.zero_box.toggled.connect(self._zero_changed)
        self.zero_date.dateChanged.connect(self._date_changed)
        self.date_touched = False  # until the user picks a date, the layers' first is offered
        self.gnss_button = QPushButton("GNSS...", body)
        self.gnss_button.setToolTip("A GNSS series file (.tenv3 or CSV, or a folder): the station nearest the "
                                    "place within the radius, drawn in each layer's line of sight (east/up for "
                                    "decomposed stacks), zero where the layer is zero")  # fmt: skip
        self.gnss_button.clicked.connect(self._ask_gnss)
        self.gnss_radius = QDoubleSpinBox(body)
        self.gnss_radius.setRange(0.0, 1e9)
        self.gnss_radius.setDecimals(0)
        self.gnss_radius.setValue(self.state.gnss_radius)
        self.gnss_radius.setPrefix("within ")
        self.gnss_radius.setSuffix(" m")
        self.gnss_radius.setToolTip("The search radius for a GNSS station, in metres on the ground "
                                    "(whatever the map's units)")
        self.gnss_radius.valueChanged.connect(self._radius_changed)
        self.gnss_label = QLabel("no GNSS", body)
        for w in (self.zero_box, self.zero_date, self.gnss_button, self.gnss_radius, self.gnss_label):
            row.addWidget(w)
        row.addStretch(1)
        return row

    def set_reference_date(self, when) -> None:
        """Every series zero at ``when`` (a datetime.date), or not (None)."""
        self.zero_box.blockSignals(True)
        self.zero_box.setChecked(when is not None)
        self.zero_box.blockSignals(False)
        if when is not None:
            self.zero_date.blockSignals(True)
            self.zero_date.setDate(QDate(when.year, when.month, when.day))
            self.zero_date.blockSignals(False)
            self.date_touched = True
        self._zero_changed()

    def _date_changed(self, *_):
        self.date_touched = True
        self._zero_changed()

    def _zero_changed(self, *_):
        d = self.zero_date.date()
        on = self.zero_box.isChecked()
        self.state.reference_date = datetime.date(d.year(), d.month(), d.day()) if on else None
        self.refresh()

    def set_gnss(self, path: str) -> None:
        """Read a GNSS series file or folder ('' removes it); its problem is shown, not raised."""
        try:
            log = self.state.set_gnss(path)
        except (ValueError, OSError) as exc:
            self.state.set_gnss("")
            self.gnss_label.setText("no GNSS")
            self.message.setText(str(exc))
            return
        count = len(self.state.stations)
        self.gnss_label.setText(f"{os.path.basename(path)}: {count} station(s)" if path else "no GNSS")
        self.gnss_label.setToolTip("\n".join(log))
        self.refresh()

    def _radius_changed(self, value):
        self.state.gnss_radius = float(value)
        self.refresh()

    def _ask_gnss(self):
        path, _ = QFileDialog.getOpenFileName(self, "GNSS series", "", "GNSS series (*.tenv3 *.csv);;All files (*)")
        if path:
            self.set_gnss(path)

    # --- the map tool's reports ----------------------------------------------------------

    def connect_tool(self, tool) -> None:
        self.tool = tool
        tool.clicked.connect(self.on_click)
        tool.polygonDrawn.connect(self.on_polygon)

    def _polygon_mode(self, on):
        if self.tool is not None:
            self.tool.set_mode(POLYGON if on else POINT)

    def set_next(self, what: str) -> None:
        """What the next click or polygon is: a place (TARGET) or the reference."""
        self.next_click = what
        self.message.setText("Click the reference (or draw it with Polygon)" if what == REFERENCE else "")

    def on_click(self, x: float, y: float, crs_wkt: str, shift: bool = False) -> None:
        self._take(Target(crs_wkt, x, y), shift)

    def on_polygon(self, wkt: str, crs_wkt: str) -> None:
        self._take(Target(crs_wkt, polygon_wkt=wkt), False)

    def _take(self, target, shift):
        if self.next_click == REFERENCE:
            self.state.reference, self.next_click = target, TARGET
        else:
            self.state.place(target, add=shift)
        self.refresh()

    def clear_reference(self) -> None:
        self.state.reference = None
        self.refresh()

    def set_fit(self, on: bool) -> None:
        self.state.fit = bool(on)
        self.refresh()

    # --- drawing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Sample every loaded layer at the places and draw."""
        self.state.set_layers(loaded_rasters(self.project))
        if self.state.layers and not self.date_touched:  # offer the layers' first date
            first = min(la.dates[0] for la in self.state.layers)
            self.zero_date.blockSignals(True)
            self.zero_date.setDate(QDate(first.year, first.month, first.day))
            self.zero_date.blockSignals(False)
        if not self.state.places:
            return
        data = self.state.compute()
        empty = "" if data or self.state.reasons else (NO_DATA if self.state.layers else NO_LAYERS)
        note = "; ".join(t for t in [empty] + self.state.notes if t)  # the reasons say why, not "no data here"
        self.message.setText(note)
        self.plot.show_series([s for _, s in data], self._title(), self.state.curves(), note if not data else "")
        self._fill_table(self.state.readout())
        self._mark()

    def _mark(self):
        """The clicked places and the reference on the map (points only)."""
        if self.tool is None:
            return
        ref = self.state.reference
        self.tool.mark([(t.x, t.y) for t in self.state.places if not t.polygon_wkt],
                       (ref.x, ref.y) if ref is not None and not ref.polygon_wkt else None)  # fmt: skip

    def _title(self):
        places = ", ".join(f"{name}: {t.text}" for name, t in zip("AB", self.state.places))
        ref = f"; relative to {self.state.reference.text}" if self.state.reference else ""
        zero = f"; zero at {self.state.reference_date}" if self.state.reference_date else ""
        return places + ref + zero

    def _fill_table(self, rows):
        self.table.setRowCount(len(rows))
        for i, (layer, band, value) in enumerate(rows):
            for j, text in enumerate((layer, band, "no data" if value != value else f"{value:.6g}")):
                self.table.setItem(i, j, QTableWidgetItem(text))

    # --- export --------------------------------------------------------------------------

    def export_csv(self, path: str) -> None:
        self.state.write_csv(path)

    def export_picture(self, path: str) -> None:
        self.plot.save(path)

    def _ask_csv(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export the plotted series", "", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def _ask_picture(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export the picture", "", "PNG (*.png);;SVG (*.svg)")
        if path:
            self.export_picture(path)
