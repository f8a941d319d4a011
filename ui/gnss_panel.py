"""GNSS in the dialog: a stations layer to reference each track to (``reference_to_gnss``
before decomposing) and to compare east/up with (``compare_to_gnss`` after), and the
surface removed in the fit."""

from qgis.core import QgsMapLayerProxyModel, QgsProcessingOutputLayerDefinition, QgsProject
from qgis.gui import QgsMapLayerComboBox
from qgis.PyQt.QtWidgets import QComboBox

from ..provider import names as n
from .panel import Panel


class GnssPanel(Panel):
    """The GNSS rows of the "Advanced" group; gives the GNSS steps' parameters."""

    gnssLayer: QgsMapLayerComboBox
    gnssSurface: QComboBox

    def __init__(self, form):
        super().__init__(form)
        self.gnssLayer.setFilters(QgsMapLayerProxyModel.Filter.PointLayer)
        self.gnssLayer.setAllowEmptyLayer(True)
        self.gnssLayer.setLayer(None)
        self.gnssSurface.addItems(list(n.SURFACE_OPTIONS))
        self.gnssSurface.setCurrentIndex(n.DEFAULT_SURFACE)

    def stations(self):
        """The stations layer, None when none is picked."""
        return self.gnssLayer.currentLayer()

    def reference_parameters(self, params: dict, track, gnss) -> dict:
        """losdecomp:reference_to_gnss for one ``track`` (names of ``n.TRACKS``) of the
        decomposition's ``params``, to the stations ``gnss``."""
        return {n.INPUT: params[track.layer], n.BAND: params.get(track.band, 1), n.GNSS: gnss,
                n.MODEL: self.gnssSurface.currentIndex(), n.LOOK_SIDE: params.get(track.look_side, 0),
                n.LOS_SIGN: params.get(n.LOS_SIGN, 0), n.HEADING: params.get(track.heading),
                n.INCIDENCE: params.get(track.incidence), n.OUTPUT: "TEMPORARY_OUTPUT"}  # fmt: skip


def compare_parameters(gnss, name: str, results: dict) -> dict:
    """losdecomp:compare_to_gnss of the decomposition's outputs (step "main" of ``results``);
    its stations with their residuals are loaded as the layer ``name``."""
    stations = QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT", QgsProject.instance())
    stations.destinationName = name
    return {n.EAST: results["main"][n.OUTPUT_EAST], n.UP: results["main"][n.OUTPUT_UP], n.GNSS: gnss,
            n.OUTPUT: stations}  # fmt: skip
