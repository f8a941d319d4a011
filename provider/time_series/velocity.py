"""``losdecomp:velocity``: velocity over a window of a time series (a thin adapter to
``core.velocity_run``)."""

from qgis.core import QgsProcessingParameterRasterDestination

from ...core.io.products import track_label
from ...core.runs import velocity_run
from ...core.solve import velocity
from .. import names as n
from ..base import PlannedAlgorithm, report, tr
from ..layers import layer_path
from ..parameters import (
    compression_parameter,
    dated_window_parameters,
    enum_parameter,
    optional_raster_output,
    text_parameter,
)
from ..styling import MAGNITUDE, register_product
from . import TIME_SERIES


class VelocityAlgorithm(PlannedAlgorithm):
    """``losdecomp:velocity``."""

    NAME = "velocity"
    DISPLAY_NAME = "Velocity over a window of a time series"
    GROUP = TIME_SERIES
    HELP = (
        "Fits, pixel by pixel, the displacement time series (one band per acquisition, dated by INSAR_DATE "
        "or a YYYYMMDD / YYYY-MM-DD band description) between START_DATE and END_DATE (inclusive; empty = "
        "the first / last acquisition) by least squares: offset and velocity, optionally annual and "
        "semi-annual terms, and an offset at each of STEP_DATES (for co-event jumps). Time is in years of "
        "365.25 days; a pixel uses its own valid acquisitions and needs at least the number of parameters "
        "+ 2. A step date needs at least 2 acquisitions of the window on each side, up to the next step; at a "
        "pixel with fewer than 2 valid acquisitions on one side of a step, the step is dropped there and the "
        "velocity fitted from the rest (a lone acquisition on that side is not used); the log counts those "
        "pixels per step. OUTPUT_SIGMA is the fit standard deviation sqrt(s^2 (A'A)^-1) with s^2 = RSS / (n - p): "
        "it assumes independent residuals and omits temporally correlated noise.\n\n"
        "The velocity is in the input's unit per year and carries the input's geometry (tags, or per-pixel "
        "LOS unit-vector bands), so that 'Decompose LOS velocities' takes two such outputs with no angle "
        "typed. The window and the acquisitions used are in the log and the metadata."
    )

    CORE = velocity_run

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            *dated_window_parameters(),
            enum_parameter(n.MODEL, "Model", n.MODEL_OPTIONS, n.DEFAULT_MODEL),
            text_parameter(n.STEP_DATES, "Step dates (comma-separated YYYY-MM-DD; an offset from each)", optional=True),
            compression_parameter(),
            QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Velocity")),
            optional_raster_output(n.OUTPUT_SIGMA, "Fit standard deviation of the velocity"),
        ])  # fmt: skip

    def request(self, parameters, context):
        path = layer_path(self, parameters, n.INPUT, context, "time series")
        outputs = {velocity_run.VELOCITY: self.parameterAsOutputLayer(parameters, n.OUTPUT, context)}
        outputs.update(self.asked_outputs(parameters, context, {n.OUTPUT_SIGMA: velocity_run.SIGMA}))
        return velocity_run.VelocityRequest(
            path=path,
            start=velocity.parse_date(self.parameterAsString(parameters, n.START_DATE, context), n.START_DATE),
            end=velocity.parse_date(self.parameterAsString(parameters, n.END_DATE, context), n.END_DATE),
            model=self.parameterAsEnum(parameters, n.MODEL, context),
            steps=velocity.parse_dates(self.parameterAsString(parameters, n.STEP_DATES, context), n.STEP_DATES),
            outputs=outputs,
            compression=self.compression(parameters, context),
        )

    def results(self, job, result, parameters, context, feedback):
        report(feedback, [f"velocity: {result['resolved']} pixels resolved"] + list(result["log"]))
        first, last = job.bands[0][1], job.bands[-1][1]
        what = f"LOS velocity {first} to {last} ({n.MODEL_OPTIONS[self.parameterAsEnum(parameters, n.MODEL, context)]})"
        tracks = [track_label(job.path)]
        register_product(context, result[velocity_run.VELOCITY], what, tracks)
        if result.get(velocity_run.SIGMA):
            register_product(
                context, result[velocity_run.SIGMA], f"Fit standard deviation of the {what}", tracks, MAGNITUDE
            )
        return {n.OUTPUT: result[velocity_run.VELOCITY], n.OUTPUT_SIGMA: result.get(velocity_run.SIGMA)}
