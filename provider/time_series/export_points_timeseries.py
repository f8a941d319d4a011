"""``losdecomp:export_points_timeseries``: a time-series raster as points in the layout of
MintPy's save_qgis and QGIS's InSAR time-series viewers (a thin adapter to
``core.runs.series_run.export_parts``, written a part at a time)."""

import os

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
        out = _Output(self, parameters, context, in_fields, attrs)
        done = self.run_with_log([], [], [], lambda progress, cancel: out.write(
            series_run.export_parts(req, progress, cancel), feedback), context, feedback)  # fmt: skip
        return {} if done is None else {n.OUTPUT: out.dest}


class _Output:
    """The sink, created with the first part (its CRS and dates) and given each part's
    features as it comes (core.runs.series_run.export_parts: a bounded band of rows each);
    on cancel or a failure part-way it is discarded (no partial output)."""

    def __init__(self, algorithm, parameters, context, in_fields, attrs):
        self.algorithm, self.parameters, self.context = algorithm, parameters, context
        self.in_fields, self.attrs = in_fields, attrs
        self.sink = self.dest = self.fields = self.extra = None

    def write(self, parts, feedback) -> bool:
        """Every part's features in order, then the log and warnings (in the last part)."""
        try:
            for part in parts:
                if self.sink is None:
                    self._create(part, feedback)
                self._add(part)
                report(feedback, part.log, part.warnings)
        except BaseException:  # cancelled or failed part-way: no partial output
            self._discard()
            raise
        return True

    def _create(self, part, feedback):
        extra = [("VEL", DOUBLE, None, "velocity, mm/yr"), ("V_STDEV", DOUBLE, None, "fit standard deviation, mm/yr")]
        self.extra = extra + [(name, DOUBLE, None) for name in part.date_fields]
        own_fields, renamed = renamed_fields(self.in_fields, [item[0] for item in self.extra])
        if renamed:
            feedback.pushInfo("the points' fields that clash with the output's are renamed: " + ", ".join(renamed))
        self.fields = output_fields(own_fields, self.extra)
        crs = QgsCoordinateReferenceSystem.fromWkt(part.crs_wkt)
        self.sink, self.dest = self.algorithm.parameterAsSink(
            self.parameters, n.OUTPUT, self.context, self.fields, QgsWkbTypes.Type.Point, crs)  # fmt: skip
        if self.sink is None:
            raise QgsProcessingException(f"{n.OUTPUT}: the output cannot be created")

    def _add(self, part):
        fields = self.fields
        at = [fields.indexFromName(item[0]) for item in self.extra]  # by name: never shifted by the input's fields
        for k, index in enumerate(part.index):
            feature = QgsFeature(fields)
            feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(part.x[k], part.y[k])))
            own = list(self.attrs[index]) if index is not None else []
            feature.setAttributes(own + [None] * (fields.count() - len(own)))
            for i, value in zip(at, [part.vel[k], part.v_stdev[k]] + list(part.values[k])):
                feature.setAttribute(i, _plain(float(value)))
            self.sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)

    def _discard(self):
        """The features written so far dropped: the sink closed and its file removed."""
        if self.sink is None:
            return
        self.sink = None  # closes the file
        path = str(self.dest).split("|")[0]
        for f in (path, path + "-wal", path + "-shm"):
            if os.path.isfile(f):
                os.remove(f)


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
