"""``losdecomp:grid_points``: the points of one track averaged on a regular grid (a thin
adapter to ``core.point_grid``)."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterExtent,
    QgsProcessingParameterField,
    QgsProcessingParameterRasterDestination,
)

from ...core.io import points
from ...core.plan.naming import layer_name
from ...core.runs import point_grid
from .. import names as n
from ..base import LosDecompAlgorithm, advanced, report, tr
from ..layers import crs_wkt
from ..parameters import (
    PointsOrTableParameter,
    angle_parameters,
    compression_parameter,
    enum_parameter,
    integer_parameter,
    look_side_parameter,
    los_sign_parameter,
    number_parameter,
    optional_raster_output,
)
from ..styling import SIGNED, register_outputs, register_product
from . import POINTS
from .sources import point_source


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
    GROUP = POINTS
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
        "The mean is streamed (memory follows the occupied cells); the median writes 12 bytes per point to a "
        "temporary folder (the system's temporary directory) and sorts them a block of cells at a time."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            PointsOrTableParameter(n.INPUT, tr("Points of one track (layer or EGMS CSV)"),
                                   [QgsProcessing.SourceType.TypeVectorPoint]),
            *_field_parameters(n.INPUT),
            *angle_parameters(heading_label="Heading (degrees; only when the points carry no look vector)",
                              incidence_label="Incidence (degrees; only when the points carry no look vector)"),
            advanced(look_side_parameter()),
            los_sign_parameter(),
            *self._grid_parameters(),
            advanced(compression_parameter()),
            QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Gridded track")),
            optional_raster_output(n.OUTPUT_TIMESERIES, "Gridded time series (from the date columns)"),
        ])  # fmt: skip

    @staticmethod
    def _grid_parameters():
        return [
            QgsProcessingParameterCrs(n.TARGET_CRS, tr("Target CRS (empty = the points')"), optional=True),
            number_parameter(n.RESOLUTION, "Cell size in metres (on the ground, whatever the CRS)",
                             defaultValue=point_grid.DEFAULT_RESOLUTION_M, minValue=0.0),
            QgsProcessingParameterExtent(n.EXTENT, tr("Grid extent (empty = the points')"), optional=True),
            enum_parameter(n.STATISTIC, "Statistic of each cell", n.STATISTIC_OPTIONS, point_grid.MEAN),
            integer_parameter(n.MIN_POINTS, "Minimum number of points per cell", defaultValue=1, minValue=1),
        ]  # fmt: skip

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
            compression=self.compression(parameters, context),
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
        g = summary.grid
        report(feedback, list(summary.log) + [f"{summary.used} of {summary.points} points in {summary.cells} cells "
                                              f"of a {g.width} x {g.height} grid"])  # fmt: skip
        name = layer_name("Gridded LOS velocity", job.req.source.unit, [job.req.source.label])
        register_outputs(context, {summary.outputs["output"]: (name, SIGNED, summary.limit)})
        if "time series" in summary.outputs:
            register_product(context, summary.outputs["time series"], "Gridded LOS displacement",
                             [job.req.source.label])  # fmt: skip
        return {n.OUTPUT: summary.outputs["output"], n.OUTPUT_TIMESERIES: summary.outputs.get("time series")}


def _crs_name(crs):
    return crs.authid() or crs.description() or "a custom CRS"
