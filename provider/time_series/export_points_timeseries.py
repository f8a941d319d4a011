"""``losdecomp:export_points_timeseries``: a time-series raster as points in the layout of
MintPy's save_qgis and QGIS's InSAR time-series viewers (a thin adapter to
``core.runs.series_run.export``)."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
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
        extra += [(name, DOUBLE, None) for name in result.date_fields]
        own_fields, renamed = renamed_fields(in_fields, [item[0] for item in extra])
        if renamed:
            feedback.pushInfo("the points' fields that clash with the output's are renamed: " + ", ".join(renamed))
        fields = output_fields(own_fields, extra)
        crs = QgsCoordinateReferenceSystem.fromWkt(result.crs_wkt)
        sink, dest = self.parameterAsSink(parameters, n.OUTPUT, context, fields, QgsWkbTypes.Type.Point, crs)
        if sink is None:
            raise QgsProcessingException(f"{n.OUTPUT}: the output cannot be created")
        for k, index in enumerate(result.index):
            feature = QgsFeature(fields)
            feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(result.x[k], result.y[k])))
            own = list(attrs[index]) if index is not None else []
            feature.setAttributes(own + [None] * (fields.count() - len(own)))
            numbers = [result.vel[k], result.v_stdev[k]] + list(result.values[k])
            for item, value in zip(extra, numbers):  # by name: never shifted by the input's fields
                feature.setAttribute(fields.indexFromName(item[0]), _plain(float(value)))
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        return {n.OUTPUT: dest}


def renamed_fields(fields: QgsFields, ours: list) -> tuple:
    """``fields`` with those whose names clash with ``ours`` (case aside, as GeoPackage and
    shapefiles compare them) renamed NAME_in (NAME_in2, ... when that is taken too), and
    the renamings said as "OLD -> NEW"."""
    taken = {name.lower() for name in ours} | {f.name().lower() for f in fields}
    out, said = QgsFields(), []
    for f in fields:
        f = QgsField(f)
        if f.name().lower() in {name.lower() for name in ours}:
            new, k = f"{f.name()}_in", 1
            while new.lower() in taken:
                k += 1
                new = f"{f.name()}_in{k}"
            taken.add(new.lower())
            said.append(f"{f.name()} -> {new}")
            f.setName(new)
        out.append(f)
    return out, said
