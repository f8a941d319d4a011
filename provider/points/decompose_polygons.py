"""``losdecomp:grid_points`` and ``losdecomp:decompose_polygons``: thin adapters to
``core.point_grid`` and ``core.polygons``."""

import os

import numpy as np
from osgeo import gdal
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsRasterLayer,
    QgsVectorLayer,
)

from ..core.conventions import uncertainty
from ..core.io import points
from ..core.io.gnss_stations import to_number
from ..core.io.writer import COMPRESSIONS
from ..core.plan.naming import layer_name
from ..core.plan.tracks import TrackInput
from ..core.runs import point_grid, polygons
from . import names as n
from .base import LosDecompAlgorithm, advanced, tr
from .gnss_inputs import DOUBLE, INTEGER, StationInput, write_features
from .layers import crs_wkt
from .parameters import (
    PointsOrTableParameter,
    TrackLayerParameter,
    compression_parameter,
    is_table_file,
    look_side_parameter,
    los_sign_parameter,
)
from .styling import SIGNED, register_outputs, register_product

NUMBER = QgsProcessingParameterNumber.Type.Double


class LayerPoints(points.PointSource):
    """The features of a QGIS point layer, read in batches (only the wanted fields)."""

    def __init__(self, source, label: str, batch_size: int = 1 << 18):
        self.source, self.label, self.batch_size = source, label, batch_size
        self.names = [f.name() for f in source.fields()]
        self.crs_wkt = crs_wkt(source.sourceCrs())
        self.unit = ""

    def batches(self, wanted, progress=None):
        request = QgsFeatureRequest().setSubsetOfAttributes(wanted, self.source.fields())
        total = max(self.source.featureCount(), 1)
        xs, ys, cols, done = [], [], {k: [] for k in wanted}, 0
        for feature in self.source.getFeatures(request):
            geom = feature.geometry()
            p = None if geom.isEmpty() else geom.centroid().asPoint()
            xs.append(p.x() if p else float("nan"))  # no geometry: counted as read, not used
            ys.append(p.y() if p else float("nan"))
            for k in wanted:
                cols[k].append(to_number(feature[k]))
            if len(xs) == self.batch_size:
                done += len(xs)
                yield self._batch(xs, ys, cols)
                xs, ys, cols = [], [], {k: [] for k in wanted}
                if progress is not None:
                    progress(min(done / total, 1.0))
        if xs:
            yield self._batch(xs, ys, cols)

    def bounds(self):
        rect = self.source.sourceExtent()
        box = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
        if rect.isNull() or not all(np.isfinite(box)):
            return super().bounds()  # the provider does not know it: read the coordinates
        return box

    @staticmethod
    def _batch(xs, ys, cols):
        return points.PointBatch(
            np.array(xs), np.array(ys), {k: np.array(v, dtype=np.float64) for k, v in cols.items()}
        )


def point_source(alg, parameters, name, context, label):
    """A PointSource of a point layer or a table file (EGMS CSV)."""
    value = parameters.get(name)
    if is_table_file(value):
        return points.CsvPoints(value, label=f"{label} ({os.path.basename(value)})")
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(f"{label}: no point layer given")
    return LayerPoints(source, label)


def _field_parameters(parent):
    return [
        advanced(QgsProcessingParameterField(name, tr(f"{points.ROLE_NAMES[role].capitalize()} field (empty = "
                                                       "recognised)"), None, parent, optional=True))
        for name, role in n.POINT_FIELDS.items()
    ]  # fmt: skip


def _given_fields(alg, parameters, context):
    return {role: alg.parameterAsString(parameters, name, context) for name, role in n.POINT_FIELDS.items()}


class GridPointsAlgorithm(LosDecompAlgorithm):
    """``losdecomp:grid_points``."""

    NAME = "grid_points"
    DISPLAY_NAME = "Grid point InSAR data (EGMS, PS) for decomposition"
    HELP = (
        "Averages the points of one track (a point layer, or an EGMS L2a/L2b CSV given as a file: easting/northing "
        "in EPSG:3035, mean_velocity in mm/year) on a regular grid, as EGMS builds its Ortho product. Each cell "
        "holds the mean or median LOS velocity of its points, their mean LOS unit vector (as per-pixel geometry), "
        "the number of points, the spread of their velocities (their standard deviation: never a weight) and, when "
        "the points have a velocity standard deviation, the a-priori standard deviation of the cell's velocity: "
        "the RMS of its points' sigmas divided by the square root of their count (points without a sigma taken at "
        "that RMS; times sqrt(pi n / (2 (n + c))), about 1.25, for the median; nodata when no point has one). The "
        "points are assumed independent: that sigma omits the spatially correlated noise they share (atmosphere, "
        "reference), so it is a lower bound where that noise dominates. losdecomp:decompose reads the result with "
        "no angle typed and weighs with that sigma.\n\n"
        "Fields are recognised (mean_velocity, velocity, vel...; mean_velocity_std...; los_east, los_north, "
        "los_up) unless named. Without a look vector, give HEADING and INCIDENCE. RESOLUTION is in metres on the "
        "ground whatever the target CRS's unit: in a geographic CRS, a cell spans 1/cos(latitude) more degrees of "
        "longitude than of latitude, square on the ground at the grid's centre (the log gives both in degrees). "
        "EXTENT is in its own CRS when it carries one, else in the grid's (TARGET_CRS, else the points'). Cells "
        "align on EXTENT's corner when given, else on multiples of the cell size, so that two tracks gridded alike "
        "share their cells (in a geographic CRS, only with the same EXTENT). Cells with fewer than MIN_POINTS "
        "points are nodata. With OUTPUT_TIMESERIES, the date columns (YYYYMMDD) become a time series in the "
        "plugin's format (the cells' mean displacement per date).\n\n"
        "The mean is streamed (memory follows the occupied cells); the median keeps 12 bytes per point."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(PointsOrTableParameter(n.INPUT, tr("Points of one track (layer or EGMS CSV)"),
                                                 [QgsProcessing.SourceType.TypeVectorPoint]))  # fmt: skip
        for p in _field_parameters(n.INPUT):
            self.addParameter(p)
        self.addParameter(
            QgsProcessingParameterNumber(
                n.HEADING, tr("Heading (degrees; only when the points carry no look vector)"), NUMBER, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                n.INCIDENCE, tr("Incidence (degrees; only when the points carry no look vector)"), NUMBER, optional=True
            )
        )
        self.addParameter(advanced(look_side_parameter()))
        self.addParameter(los_sign_parameter())
        self.addParameter(
            QgsProcessingParameterCrs(n.TARGET_CRS, tr("Target CRS (empty = the points')"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                n.RESOLUTION,
                tr("Cell size in metres (on the ground, whatever the CRS)"),
                NUMBER,
                defaultValue=point_grid.DEFAULT_RESOLUTION_M,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent(n.EXTENT, tr("Grid extent (empty = the points')"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                n.STATISTIC, tr("Statistic of each cell"), list(n.STATISTIC_OPTIONS), defaultValue=point_grid.MEAN
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                n.MIN_POINTS,
                tr("Minimum number of points per cell"),
                QgsProcessingParameterNumber.Type.Integer,
                defaultValue=1,
                minValue=1,
            )
        )
        self.addParameter(advanced(compression_parameter()))
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Gridded track")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            n.OUTPUT_TIMESERIES, tr("Gridded time series (from the date columns)"), optional=True,
            createByDefault=False))  # fmt: skip

    def _extent(self, parameters, context, src, target):
        """(xmin, ymin, xmax, ymax) of EXTENT in the grid's CRS (TARGET_CRS, else the points'),
        or None; and what was done with it. An extent that carries its own CRS is transformed
        (its bounding box); one that does not is taken in the grid's CRS."""
        if not parameters.get(n.EXTENT):
            return None, []
        grid_crs = target if target.isValid() else QgsCoordinateReferenceSystem.fromWkt(src.crs_wkt)
        if not grid_crs.isValid():
            raise QgsProcessingException(f"{src.label}: the points have no CRS, so EXTENT cannot be placed; give "
                                         "TARGET_CRS")  # fmt: skip
        rect = self.parameterAsExtent(parameters, n.EXTENT, context, grid_crs)
        if rect.isNull() or not (rect.width() > 0 and rect.height() > 0):
            raise QgsProcessingException("EXTENT is empty: give a rectangle with a width and a height")
        own = self.parameterAsExtentCrs(parameters, n.EXTENT, context)
        line = f"grid: EXTENT taken in the grid's CRS ({_crs_name(grid_crs)})"
        if own.isValid() and own != grid_crs:
            line = f"grid: EXTENT given in {_crs_name(own)}: its bounding box in {_crs_name(grid_crs)} is used"
        return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()), [line]

    def _request(self, parameters, context):
        src = point_source(self, parameters, n.INPUT, context, "points")
        target = self.parameterAsCrs(parameters, n.TARGET_CRS, context)
        extent, lines = self._extent(parameters, context, src, target)
        ts = self.parameterAsOutputLayer(parameters, n.OUTPUT_TIMESERIES, context) if parameters.get(
            n.OUTPUT_TIMESERIES) else ""  # fmt: skip
        request = point_grid.GridPointsRequest(
            source=src, output=self.parameterAsOutputLayer(parameters, n.OUTPUT, context),
            fields=_given_fields(self, parameters, context),
            heading=self.optional_number(parameters, n.HEADING, context),
            incidence=self.optional_number(parameters, n.INCIDENCE, context),
            look_side=self.look_side(parameters, n.LOOK_SIDE, context),
            los_sign=self.los_sign(parameters, context),
            target_crs_wkt=crs_wkt(target), resolution=self.parameterAsDouble(parameters, n.RESOLUTION, context),
            extent=extent, statistic=self.parameterAsEnum(parameters, n.STATISTIC, context),
            min_points=self.parameterAsInt(parameters, n.MIN_POINTS, context), output_timeseries=ts,
            compression=COMPRESSIONS[self.parameterAsEnum(parameters, n.COMPRESSION, context)][0],
        )  # fmt: skip
        return request, lines

    def process(self, parameters, context, feedback):
        request, lines = self._request(parameters, context)
        job = point_grid.plan(request)
        paths = [p for p in (job.req.output, job.req.output_timeseries) if p]
        summary = self.run_with_log(lines + job.log, job.warnings, paths,
                                    lambda p, c: point_grid.run(job, p, c), context, feedback)  # fmt: skip
        if summary is None:
            return {n.OUTPUT: None, n.OUTPUT_TIMESERIES: None}
        for line in summary.log:
            feedback.pushInfo(line)
        g = summary.grid
        feedback.pushInfo(f"{summary.used} of {summary.points} points in {summary.cells} cells of a {g.width} x "
                          f"{g.height} grid")  # fmt: skip
        name = layer_name("Gridded LOS velocity", job.req.source.unit, [job.req.source.label])
        register_outputs(context, {summary.outputs["output"]: (name, SIGNED, summary.limit)})
        if "time series" in summary.outputs:
            register_product(context, summary.outputs["time series"], "Gridded LOS displacement",
                             [job.req.source.label])  # fmt: skip
        return {n.OUTPUT: summary.outputs["output"], n.OUTPUT_TIMESERIES: summary.outputs.get("time series")}


def _crs_name(crs):
    return crs.authid() or crs.description() or "a custom CRS"


def _is_raster_file(path):
    return not is_table_file(path) and gdal.OpenEx(path, gdal.OF_RASTER) is not None


class DecomposePolygonsAlgorithm(LosDecompAlgorithm):
    """``losdecomp:decompose_polygons``."""

    NAME = "decompose_polygons"
    DISPLAY_NAME = "Decompose per polygon (landslides, buildings, areas)"
    HELP = (
        "For each polygon, each track's statistic (median by default) of the LOS velocity of the pixels (centres "
        "inside; every touched pixel for a polygon smaller than a pixel) or points inside it, with their count, "
        "spread and mean look vector; then east and vertical velocity per polygon by the same least squares as "
        "losdecomp:decompose (north assumed zero). Tracks are rasters, point layers or EGMS CSVs, in any mix.\n\n"
        "Output: the polygons with, per track (asc, desc, extra1...), <track>_los (its statistic), <track>_count, "
        "<track>_spread (spread: the standard deviation of its values; never a weight) and sigma_<track>_los (the "
        "a-priori standard deviation of <track>_los: the RMS of the pixels' or points' sigmas divided by the "
        "square root of their count, those without a sigma taken at that RMS, times sqrt(pi n / (2 (n + c))), "
        "about 1.25, for the median; null when none has one), then east, up, sigma_east, sigma_up (propagated from "
        "the tracks' a-priori sigmas, which weigh the tracks) and cond. The pixels or points are assumed "
        "independent: the sigmas omit the spatially correlated noise they share (atmosphere, reference), so they "
        "are lower bounds where that noise dominates. When a track has no standard deviation at all, every polygon "
        "is solved with equal weights and sigma_east and sigma_up are null, as in losdecomp:decompose (the log "
        "says so). A polygon with no data of a track has that track's fields null and is counted in the log; a "
        "polygon the tracks' look directions do not resolve has null east and up, in the words of "
        "losdecomp:decompose."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        polygon = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(QgsProcessingParameterFeatureSource(n.POLYGONS, tr("Polygons"), polygon))
        self.addParameter(TrackLayerParameter(n.ASCENDING, tr("Ascending track (raster, point layer or EGMS CSV)")))
        self.addParameter(TrackLayerParameter(n.DESCENDING, tr("Descending track (raster, point layer or EGMS CSV)")))
        self.addParameter(
            advanced(
                QgsProcessingParameterMultipleLayers(
                    n.EXTRA_TRACKS, tr("More tracks"), QgsProcessing.SourceType.TypeMapLayer, optional=True
                )
            )
        )
        for t in n.TRACKS:
            self.addParameter(
                QgsProcessingParameterNumber(
                    t.heading, tr(f"{t.label.capitalize()} heading (empty = from the layer)"), NUMBER, optional=True
                )
            )
            self.addParameter(
                QgsProcessingParameterNumber(
                    t.incidence, tr(f"{t.label.capitalize()} incidence (empty = from the layer)"), NUMBER, optional=True
                )
            )
            self.addParameter(advanced(look_side_parameter(t.look_side, f"{t.label.capitalize()} look side")))
        self.addParameter(los_sign_parameter())
        self.addParameter(
            QgsProcessingParameterEnum(
                n.STATISTIC, tr("Statistic per polygon"), list(n.STATISTIC_OPTIONS), defaultValue=point_grid.MEDIAN
            )
        )
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT, tr("Polygons with east and up velocity")))

    def _track(self, parameters, context, t):
        """The ascending or descending track (``t``: its parameter names) with its angles."""
        value = parameters.get(t.layer)
        angles = {"heading": self.optional_number(parameters, t.heading, context),
                  "incidence": self.optional_number(parameters, t.incidence, context),
                  "look_side": self.look_side(parameters, t.look_side, context)}  # fmt: skip
        layer = value if isinstance(value, str) else self.parameterAsLayer(parameters, t.layer, context)
        return _track_of(layer, t.prefix.lower(), self.los_sign(parameters, context), angles)

    def process(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, n.POLYGONS, context)
        if source is None:
            raise QgsProcessingException("polygons: no layer given")
        features = list(source.getFeatures())
        wkts = [f.geometry().asWkt() for f in features]
        tracks = [self._track(parameters, context, t) for t in n.TRACKS]
        extra = parameters.get(n.EXTRA_TRACKS) or []
        values = list(extra) if isinstance(extra, (list, tuple)) else [extra]
        sign = self.los_sign(parameters, context)
        for i, v in enumerate(values, start=1):
            layer = v if not isinstance(v, str) or os.path.isfile(v) else context.getMapLayer(v)
            tracks.append(_track_of(layer, f"extra{i}", sign, {"heading": None, "incidence": None, "look_side": None}))
        req = polygons.PolygonsRequest(wkts, crs_wkt(source.sourceCrs()), tracks,
                                       statistic=self.parameterAsEnum(parameters, n.STATISTIC, context))  # fmt: skip
        result = polygons.decompose(req, lambda f: feedback.setProgress(100.0 * f))
        for line in result.log:
            feedback.pushInfo(line)
        for line in result.warnings:
            feedback.pushWarning(line)
        extra_fields = _polygon_fields(result, self.parameterAsEnum(parameters, n.STATISTIC, context))
        inp = StationInput(None, source.fields(), [f.attributes() for f in features],
                           [f.geometry() for f in features], source.sourceCrs())  # fmt: skip
        dest = write_features(self, parameters, context, n.OUTPUT, inp, extra_fields, source.wkbType())
        return {n.OUTPUT: dest}


def _polygon_fields(result, statistic):
    """[(name, type, values, alias)] of the polygons' output: each name or alias says which
    kind of number it is (core/uncertainty.py)."""
    u = uncertainty
    stat = point_grid.STATISTICS[statistic]
    how = point_grid.aggregate_how("pixels or points", statistic)
    fields = []
    for t in result.tracks:
        of = f"the {t.name} track's LOS velocity ({stat} over the polygon)"
        spread = u.label(u.SPREAD, f"the {t.name} track's values in the polygon", "standard deviation")
        fields += [
            (f"{t.name}_los", DOUBLE, t.value, f"T{of[1:]}"),
            (f"{t.name}_count", INTEGER, t.count, f"Number of {t.name} pixels or points in the polygon"),
            (u.field_name(u.SPREAD, t.name), DOUBLE, t.spread, spread),
            (u.field_name(u.APRIORI, f"{t.name}_los"), DOUBLE, t.sigma, u.label(u.APRIORI, of, how)),
        ]
    east, up = u.label(u.PROPAGATED, "the east velocity"), u.label(u.PROPAGATED, "the vertical velocity")
    return fields + [
        ("east", DOUBLE, result.east, "East velocity"),
        ("up", DOUBLE, result.up, "Vertical velocity"),
        (u.field_name(u.PROPAGATED, "east"), DOUBLE, result.sigma_east, east),
        (u.field_name(u.PROPAGATED, "up"), DOUBLE, result.sigma_up, up),
        ("cond", DOUBLE, result.cond, "Condition number of G (the tracks' unit sensitivities)"),
    ]


def _track_of(value, label, sign, angles):
    """A TrackInput (raster) or a PointTrack (points) for what the user gave."""
    if isinstance(value, str):
        if is_table_file(value):
            return polygons.PointTrack(label, points.CsvPoints(value, label=label), los_sign=sign, **angles)
        if _is_raster_file(value):
            return TrackInput(label, value, los_sign=sign, **angles)
        value = QgsVectorLayer(value, label, "ogr")
    if isinstance(value, QgsRasterLayer):
        return TrackInput(label, value.source(), los_sign=sign, **angles)
    if isinstance(value, QgsVectorLayer) and value.isValid():
        return polygons.PointTrack(label, LayerPoints(value, label), los_sign=sign, **angles)
    raise QgsProcessingException(f"{label} track: not a raster, a point layer or a point table")
