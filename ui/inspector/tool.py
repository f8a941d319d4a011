"""The inspector's map tool: a click gives a place (shift-click a second one); in polygon
mode left clicks add vertices and a right click closes the polygon. What a click means
(a target or the reference) is the dock's choice: the tool only reports."""

from qgis.core import QgsGeometry, QgsPointXY, QgsWkbTypes
from qgis.gui import QgsMapTool, QgsRubberBand, QgsVertexMarker
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor

POINT, POLYGON = "point", "polygon"


class InspectorTool(QgsMapTool):
    """Emits ``clicked(x, y, crs_wkt, shift)`` and ``polygonDrawn(wkt, crs_wkt)``, in the
    canvas's CRS."""

    clicked = pyqtSignal(float, float, str, bool)
    polygonDrawn = pyqtSignal(str, str)  # noqa: N815 (Qt's naming of signals)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.mode = POINT
        self.vertices: list = []
        self.band = QgsRubberBand(canvas, QgsWkbTypes.GeometryType.PolygonGeometry)
        self.band.setColor(QColor(220, 60, 30, 90))
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.markers: list = []

    def mark(self, places: list, reference=None) -> None:
        """Markers on the map at the places ((x, y) in the canvas's CRS; A, B...) and the
        reference (a square), in place of the previous ones."""
        for marker in self.markers:
            self.canvas().scene().removeItem(marker)
        self.markers = []
        kinds = [(p, QgsVertexMarker.IconType.ICON_CROSS, QColor(220, 30, 30)) for p in places]
        if reference is not None:
            kinds.append((reference, QgsVertexMarker.IconType.ICON_BOX, QColor(30, 60, 220)))
        for (x, y), icon, colour in kinds:
            marker = QgsVertexMarker(self.canvas())
            marker.setCenter(QgsPointXY(x, y))
            marker.setIconType(icon)
            marker.setColor(colour)
            marker.setIconSize(14)
            marker.setPenWidth(3)
            self.markers.append(marker)

    def crs_wkt(self) -> str:
        return self.canvas().mapSettings().destinationCrs().toWkt()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.reset()

    def reset(self) -> None:
        self.vertices = []
        self.band.reset(QgsWkbTypes.GeometryType.PolygonGeometry)

    def canvasReleaseEvent(self, event):  # noqa: N802 (QGIS's name)
        point = self.toMapCoordinates(event.pos())
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        right = event.button() == Qt.MouseButton.RightButton
        self.handle(point, shift, right)

    def handle(self, point: QgsPointXY, shift: bool = False, right: bool = False) -> None:
        """One click at ``point`` (map CRS): a place, or a polygon's vertex (a right click
        closes the polygon)."""
        if self.mode == POINT:
            self.clicked.emit(point.x(), point.y(), self.crs_wkt(), shift)
            return
        if not right:
            self.vertices.append(QgsPointXY(point))
            self.band.addPoint(QgsPointXY(point))
            return
        if len(self.vertices) >= 3:
            wkt = QgsGeometry.fromPolygonXY([self.vertices + [self.vertices[0]]]).asWkt()
            self.polygonDrawn.emit(wkt, self.crs_wkt())
        self.reset()

    def deactivate(self):
        self.reset()
        self.mark([])  # another map tool: the places' markers go too
        super().deactivate()
