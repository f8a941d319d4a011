"""``losdecomp:velocity``: velocity over a window of a time series (a thin adapter to
``core.velocity_run``)."""

from qgis.core import (
    QgsProcessingParameterEnum,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ..core.io.products import track_label
from ..core.io.writer import COMPRESSIONS
from ..core.runs import velocity_run
from ..core.solve import velocity
from . import names as n
from .base import LosDecompAlgorithm, tr
from .layers import layer_path
from .parameters import RasterFileParameter, compression_parameter
from .styling import MAGNITUDE, register_product


class VelocityAlgorithm(LosDecompAlgorithm):
    """``losdecomp:velocity``."""

    NAME = "velocity"
    DISPLAY_NAME = "Velocity over a window of a time series"
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

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(RasterFileParameter(n.INPUT, tr("Time series (one band per acquisition)")))
        self.addParameter(
            QgsProcessingParameterString(n.START_DATE, tr("Start date (YYYY-MM-DD; empty = first)"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterString(n.END_DATE, tr("End date (YYYY-MM-DD; empty = last)"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(n.MODEL, tr("Model"), list(n.MODEL_OPTIONS), defaultValue=n.DEFAULT_MODEL)
        )
        self.addParameter(
            QgsProcessingParameterString(
                n.STEP_DATES, tr("Step dates (comma-separated YYYY-MM-DD; an offset from each)"), optional=True
            )
        )
        self.addParameter(compression_parameter())
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Velocity")))
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                n.OUTPUT_SIGMA, tr("Standard deviation of the velocity"), optional=True, createByDefault=False
            )
        )

    def _request(self, parameters, context):
        path = layer_path(self, parameters, n.INPUT, context, "time series")
        outputs = {velocity_run.VELOCITY: self.parameterAsOutputLayer(parameters, n.OUTPUT, context)}
        if parameters.get(n.OUTPUT_SIGMA) is not None:
            outputs[velocity_run.SIGMA] = self.parameterAsOutputLayer(parameters, n.OUTPUT_SIGMA, context)
        return velocity_run.VelocityRequest(
            path=path,
            start=velocity.parse_date(self.parameterAsString(parameters, n.START_DATE, context), n.START_DATE),
            end=velocity.parse_date(self.parameterAsString(parameters, n.END_DATE, context), n.END_DATE),
            model=self.parameterAsEnum(parameters, n.MODEL, context),
            steps=velocity.parse_dates(self.parameterAsString(parameters, n.STEP_DATES, context), n.STEP_DATES),
            outputs=outputs,
            compression=COMPRESSIONS[self.parameterAsEnum(parameters, n.COMPRESSION, context)][0],
        )

    def check(self, parameters, context):
        velocity_run.plan(self._request(parameters, context))

    def process(self, parameters, context, feedback):
        job = velocity_run.plan(self._request(parameters, context))
        result = self.run_job(job, velocity_run.run, context, feedback)
        if result is None:
            return {n.OUTPUT: None, n.OUTPUT_SIGMA: None}
        feedback.pushInfo(f"velocity: {result['resolved']} pixels resolved")
        for line in result["log"]:
            feedback.pushInfo(line)
        first, last = job.bands[0][1], job.bands[-1][1]
        what = f"LOS velocity {first} to {last} ({n.MODEL_OPTIONS[self.parameterAsEnum(parameters, n.MODEL, context)]})"
        tracks = [track_label(job.path)]
        register_product(context, result[velocity_run.VELOCITY], what, tracks)
        if result.get(velocity_run.SIGMA):
            register_product(
                context, result[velocity_run.SIGMA], f"Standard deviation of the {what}", tracks, MAGNITUDE
            )
        return {n.OUTPUT: result[velocity_run.VELOCITY], n.OUTPUT_SIGMA: result.get(velocity_run.SIGMA)}
