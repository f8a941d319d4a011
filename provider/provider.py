"""The Processing provider ``losdecomp``."""

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .decompose_algorithm import DecomposeAlgorithm
from .decompose_timeseries_algorithm import DecomposeTimeSeriesAlgorithm
from .fill_algorithm import FillGapsAlgorithm
from .gnss_algorithms import CompareToGnssAlgorithm, GnssToLosAlgorithm, ReferenceToGnssAlgorithm
from .import_licsbas_algorithm import ImportLicsbasAlgorithm
from .import_mintpy_algorithm import ImportMintpyAlgorithm
from .names import PROVIDER_ID
from .points_algorithms import DecomposePolygonsAlgorithm, GridPointsAlgorithm
from .project_single_track_algorithm import ProjectSingleTrackAlgorithm
from .velocity_algorithm import VelocityAlgorithm

ICON = os.path.join(os.path.dirname(os.path.dirname(__file__)), "icons", "icon.svg")


class LosDecompProvider(QgsProcessingProvider):
    """The ``losdecomp`` provider: every algorithm of the plugin."""

    def id(self):
        return PROVIDER_ID

    def name(self):
        return "InSAR LOS decomposition"

    def longName(self):  # noqa: N802 (QGIS's name)
        return "InSAR line-of-sight decomposition"

    def icon(self):
        return QIcon(ICON)

    def svgIconPath(self):  # noqa: N802 (QGIS's name)
        return ICON

    def loadAlgorithms(self):  # noqa: N802 (QGIS's name)
        self.addAlgorithm(DecomposeAlgorithm())
        self.addAlgorithm(DecomposeTimeSeriesAlgorithm())
        self.addAlgorithm(ImportMintpyAlgorithm())
        self.addAlgorithm(ImportLicsbasAlgorithm())
        self.addAlgorithm(ProjectSingleTrackAlgorithm())
        self.addAlgorithm(VelocityAlgorithm())
        self.addAlgorithm(GnssToLosAlgorithm())
        self.addAlgorithm(ReferenceToGnssAlgorithm())
        self.addAlgorithm(CompareToGnssAlgorithm())
        self.addAlgorithm(GridPointsAlgorithm())
        self.addAlgorithm(DecomposePolygonsAlgorithm())
        self.addAlgorithm(FillGapsAlgorithm())

    def supportedOutputRasterLayerExtensions(self):  # noqa: N802 (QGIS's name)
        return ["tif"]
