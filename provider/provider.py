"""The Processing provider ``losdecomp``."""

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .gnss.compare_timeseries_to_gnss import CompareTimeseriesToGnssAlgorithm
from .gnss.compare_to_gnss import CompareToGnssAlgorithm
from .gnss.gnss_to_los import GnssToLosAlgorithm
from .gnss.reference_to_gnss import ReferenceToGnssAlgorithm
from .imports.import_licsbas import ImportLicsbasAlgorithm
from .imports.import_mintpy import ImportMintpyAlgorithm
from .names import PROVIDER_ID
from .points.decompose_polygons import DecomposePolygonsAlgorithm
from .points.grid_points import GridPointsAlgorithm
from .time_series.decompose_timeseries import DecomposeTimeSeriesAlgorithm
from .time_series.export_points_timeseries import ExportPointsTimeSeriesAlgorithm
from .time_series.export_timeseries import ExportTimeSeriesAlgorithm
from .time_series.fit_time_functions import FitTimeFunctionsAlgorithm
from .time_series.sample_timeseries import SampleTimeSeriesAlgorithm
from .time_series.velocity import VelocityAlgorithm
from .velocity_maps.decompose import DecomposeAlgorithm
from .velocity_maps.fill_gaps import FillGapsAlgorithm
from .velocity_maps.merge_frames import MergeFramesAlgorithm
from .velocity_maps.project_single_track import ProjectSingleTrackAlgorithm
from .velocity_maps.remove_plate_motion import RemovePlateMotionAlgorithm

#: Every algorithm of the provider, by group (each group is a folder of provider/).
ALGORITHMS = (
    DecomposeAlgorithm, ProjectSingleTrackAlgorithm, FillGapsAlgorithm,  # velocity_maps
    MergeFramesAlgorithm, RemovePlateMotionAlgorithm,  # velocity_maps: regional maps
    VelocityAlgorithm, DecomposeTimeSeriesAlgorithm, FitTimeFunctionsAlgorithm,  # time_series
    SampleTimeSeriesAlgorithm, ExportPointsTimeSeriesAlgorithm,  # time_series: the inspector's engine
    ExportTimeSeriesAlgorithm,  # time_series: NetCDF-CF / Zarr stores
    ImportMintpyAlgorithm, ImportLicsbasAlgorithm,  # imports
    GnssToLosAlgorithm, ReferenceToGnssAlgorithm, CompareToGnssAlgorithm, CompareTimeseriesToGnssAlgorithm,  # gnss
    GridPointsAlgorithm, DecomposePolygonsAlgorithm,  # points
)  # fmt: skip

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
        for cls in ALGORITHMS:
            self.addAlgorithm(cls())

    def supportedOutputRasterLayerExtensions(self):  # noqa: N802 (QGIS's name)
        return ["tif"]
