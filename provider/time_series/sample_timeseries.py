"""``losdecomp:sample_timeseries``: every time-series layer's series at points, as a long
table and one picture per point (a thin adapter to ``core.runs.series_run``)."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterPoint,
    QgsWkbTypes,
)

from ...core.runs import series_run
from ...core.samplers.series import Target
from ...core.solve.velocity import parse_date
from .. import names as n
from ..base import LosDecompAlgorithm, advanced, report, tr
from ..features import DOUBLE, INTEGER, TEXT, output_fields
from ..layers import crs_wkt, layer_paths
from ..parameters import RasterFilesParameter, enum_parameter, number_parameter, text_parameter
from . import TIME_SERIES
from .series_help import SAMPLE_HELP

#: The table's fields, in order.
FIELDS = (("point_id", INTEGER), ("layer", TEXT), ("date", TEXT), ("value", DOUBLE), ("sigma", DOUBLE),
          ("count", INTEGER), ("spread", DOUBLE))  # fmt: skip


class SampleTimeSeriesAlgorithm(LosDecompAlgorithm):
    """``losdecomp:sample_timeseries``."""

    NAME = "sample_timeseries"
    DISPLAY_NAME = "Sample time series at points"
    GROUP = TIME_SERIES
    HELP = SAMPLE_HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(
            RasterFilesParameter(n.INPUTS, tr("Time-series rasters"), QgsProcessing.SourceType.TypeRaster)
        )
        self.addParameter(QgsProcessingParameterFeatureSource(
            n.POINTS, tr("Points"), [QgsProcessing.SourceType.TypeVectorPoint], optional=True))  # fmt: skip
        self.addParameter(QgsProcessingParameterPoint(n.POINT, tr("One map point (instead of POINTS)"), optional=True))
        self.addParameter(number_parameter(n.RADIUS, "Radius (layer CRS units; 0 = the pixel under the point)",
                                           defaultValue=0.0, minValue=0.0))  # fmt: skip
        self.addParameter(QgsProcessingParameterPoint(n.REFERENCE_POINT, tr("Reference point"), optional=True))
        self.addParameter(number_parameter(n.REFERENCE_RADIUS, "Radius around the reference point (0 = its pixel)",
                                           defaultValue=0.0, minValue=0.0))  # fmt: skip
        self.addParameter(QgsProcessingParameterFeatureSource(
            n.REFERENCE_AREA, tr("Reference area (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon],
            optional=True))  # fmt: skip
        self.addParameter(text_parameter(n.REFERENCE_DATE, "Reference date (YYYY-MM-DD; every series zero there)",
                                         optional=True))  # fmt: skip
        self.addParameter(QgsProcessingParameterFeatureSink(
            n.OUTPUT, tr("Time series table"), QgsProcessing.SourceType.TypeVector))  # fmt: skip
        self.addParameter(QgsProcessingParameterFolderDestination(
            n.OUTPUT_PLOT, tr("Folder of pictures, one per point"), optional=True, createByDefault=False))  # fmt: skip
        self.addParameter(advanced(enum_parameter(n.PLOT_FORMAT, "Picture format", n.PLOT_FORMAT_OPTIONS, 0)))

    def _points(self, parameters, context):
        if parameters.get(n.POINT) not in (None, ""):
            p = self.parameterAsPoint(parameters, n.POINT, context)
            return [(1, p.x(), p.y())], crs_wkt(self.parameterAsPointCrs(parameters, n.POINT, context))
        source = self.parameterAsSource(parameters, n.POINTS, context)
        if source is None:
            raise QgsProcessingException("give POINTS (a point layer) or POINT (one map point)")
        points = []
        for f in source.getFeatures():
            if not f.geometry().isEmpty():
                p = f.geometry().centroid().asPoint()
                points.append((int(f.id()), p.x(), p.y()))
        return points, crs_wkt(source.sourceCrs())

    def _reference(self, parameters, context):
        if parameters.get(n.REFERENCE_POINT) not in (None, ""):
            p = self.parameterAsPoint(parameters, n.REFERENCE_POINT, context)
            crs = self.parameterAsPointCrs(parameters, n.REFERENCE_POINT, context)
            radius = self.parameterAsDouble(parameters, n.REFERENCE_RADIUS, context)
            return Target(crs_wkt(crs), p.x(), p.y(), radius)
        source = self.parameterAsSource(parameters, n.REFERENCE_AREA, context)
        if source is None:
            return None
        parts = [QgsGeometry(f.geometry()) for f in source.getFeatures() if not f.geometry().isEmpty()]
        if not parts:
            raise QgsProcessingException("REFERENCE_AREA: the layer has no polygon")
        return Target(crs_wkt(source.sourceCrs()), polygon_wkt=QgsGeometry.unaryUnion(parts).asWkt())

    def _request(self, parameters, context):
        points, wkt = self._points(parameters, context)
        folder = self.parameterAsString(parameters, n.OUTPUT_PLOT, context) if parameters.get(n.OUTPUT_PLOT) else ""
        return series_run.SampleRequest(
            inputs=layer_paths(self, parameters, n.INPUTS, context, "time-series raster"),
            points=points,
            points_crs_wkt=wkt,
            radius=self.parameterAsDouble(parameters, n.RADIUS, context),
            reference=self._reference(parameters, context),
            reference_date=parse_date(self.parameterAsString(parameters, n.REFERENCE_DATE, context), n.REFERENCE_DATE),
            plot_folder=folder,
            plot_format=n.PLOT_FORMAT_OPTIONS[self.parameterAsEnum(parameters, n.PLOT_FORMAT, context)].lower(),
        )

    def process(self, parameters, context, feedback):
        req = self._request(parameters, context)
        fields = output_fields(QgsFields(), [(name, kind, None) for name, kind in FIELDS])
        result = self.run_with_log([], [], [], lambda progress, cancel: series_run.sample(req, progress, cancel),
                                   context, feedback)  # fmt: skip
        if result is None:
            return {}
        report(feedback, result.log, result.warnings)
        sink, dest = self.parameterAsSink(parameters, n.OUTPUT, context, fields, QgsWkbTypes.Type.NoGeometry,
                                          QgsCoordinateReferenceSystem())  # fmt: skip
        if sink is None:
            raise QgsProcessingException(f"{n.OUTPUT}: the output cannot be created")
        for row in result.rows:
            feature = QgsFeature(fields)
            feature.setAttributes(list(row))
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        return {n.OUTPUT: dest, n.OUTPUT_PLOT: req.plot_folder or None}
