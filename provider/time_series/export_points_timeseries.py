"""``losdecomp:export_points_timeseries``: a time-series raster as points in the layout of
MintPy's save_qgis and QGIS's InSAR time-series viewers (a thin adapter to
``core.runs.series_run.export``)."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsWkbTypes,
)

from ...core.runs import series_run
from .. import names as n
from ..base import LosDecompAlgorithm, report, tr
from ..features import DOUBLE, _plain, output_fields
from ..layers import crs_wkt, layer_path
from ..parameters import RasterFileParameter, integer_parameter
from . import TIME_SERIES
from .series_help import EXPORT_HELP


class ExportPointsTimeSeriesAlgorithm(LosDecompAlgorithm):
    """``losdecomp:export_points_timeseries``."""

    NAME = "export_points_timeseries"
    DISPLAY_NAME = "Export a time series as points (MintPy save_qgis layout)"
    GROUP = TIME_SERIES
    HELP = EXPORT_HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(RasterFileParameter(n.INPUT, tr("Time-series raster (track, east or up)")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            n.POINTS, tr("Points (empty = every STEP-th pixel)"), [QgsProcessing.SourceType.TypeVectorPoint],
            optional=True))  # fmt: skip
        self.addParameter(integer_parameter(n.STEP, "Every n-th pixel (without POINTS)", defaultValue=1, minValue=1))
        self.addParameter(QgsProcessingParameterFeatureSink(
            n.OUTPUT, tr("Points with VEL, V_STDEV and DYYYYMMDD (mm)"),
            QgsProcessing.SourceType.TypeVectorPoint))  # fmt: skip

    def _points(self, parameters, context):
        source = self.parameterAsSource(parameters, n.POINTS, context)
        if source is None:
            return None, "", QgsFields(), []
        points, attrs = [], []
        for f in source.getFeatures():
            p = f.geometry().centroid().asPoint() if not f.geometry().isEmpty() else QgsPointXY(float("nan"), 0)
            points.append((p.x(), p.y()))
            attrs.append(f.attributes())
        return points, crs_wkt(source.sourceCrs()), source.fields(), attrs

    def process(self, parameters, context, feedback):
        path = layer_path(self, parameters, n.INPUT, context, "time-series raster")
        if path is None:
            raise QgsProcessingException("INPUT: no time-series raster given")
        points, wkt, in_fields, attrs = self._points(parameters, context)
        req = series_run.ExportRequest(path, "", points, wkt, self.parameterAsInt(parameters, n.STEP, context))
        result = self.run_with_log([], [], [], lambda progress, cancel: series_run.export(req, progress, cancel),
                                   context, feedback)  # fmt: skip
        if result is None:
            return {}
        report(feedback, result.log, result.warnings)
        extra = [("VEL", DOUBLE, None, "velocity, mm/yr"), ("V_STDEV", DOUBLE, None, "fit standard deviation, mm/yr")]
        fields = output_fields(in_fields, extra + [(name, DOUBLE, None) for name in result.date_fields])
        crs = QgsCoordinateReferenceSystem.fromWkt(result.crs_wkt)
        sink, dest = self.parameterAsSink(parameters, n.OUTPUT, context, fields, QgsWkbTypes.Type.Point, crs)
        if sink is None:
            raise QgsProcessingException(f"{n.OUTPUT}: the output cannot be created")
        for k, index in enumerate(result.index):
            feature = QgsFeature(fields)
            feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(result.x[k], result.y[k])))
            own = list(attrs[index]) if index is not None else []
            numbers = [result.vel[k], result.v_stdev[k]] + list(result.values[k])
            feature.setAttributes(own + [_plain(float(v)) for v in numbers])
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        return {n.OUTPUT: dest}
