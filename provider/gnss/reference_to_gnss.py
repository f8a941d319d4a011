"""``losdecomp:reference_to_gnss``: a track tied to GNSS by removing a fitted offset, plane or
quadratic surface (a thin adapter to ``core.gnss_run``)."""

from qgis.core import QgsProcessingParameterRasterDestination

from ...core.io.products import track_label
from ...core.plan.naming import layer_name
from ...core.runs import gnss_run
from ...core.solve import gnss
from .. import names as n
from ..base import advanced, tr
from ..parameters import compression_parameter, enum_parameter
from ..styling import SIGNED, register_outputs
from . import GNSS
from .stations import COMMON_HELP, TrackAndStations


class ReferenceToGnssAlgorithm(TrackAndStations):
    """``losdecomp:reference_to_gnss``."""

    NAME = "reference_to_gnss"
    DISPLAY_NAME = "Reference a track to GNSS (remove a fitted offset, plane or quadratic surface)"
    GROUP = GNSS
    HELP = (
        "Ties a track to GNSS before decomposing: the residuals InSAR - GNSS in the line of sight at the stations "
        "(as losdecomp:gnss_to_los computes them) are fitted by an offset, a plane or a quadratic surface of the "
        "map coordinates (equal weights, least squares), and the track minus that surface is written on the "
        "track's own grid. The output keeps the track's geometry (heading/incidence tags, or the per-pixel LOS "
        "unit vector as bands), sign, unit and standard deviation (the track's a-priori sigma found beside "
        "it or as a band, carried unchanged as band 2: removing an exact surface changes no pixel's noise), so "
        "losdecomp:decompose reads it with no angle and no sigma typed; the log says when the track had none. "
        "The fitted coefficients and the residual statistics before and after are in the log and in the "
        "output's metadata (LOSDECOMP_GNSS_REFERENCE, with their unit).\n\n"
        "A plane or a quadratic surface is refused when the stations nearly lie on a line (or at one place): "
        "the ratio of the smallest to the largest singular value of their centred coordinates must be at least "
        f"{gnss.MIN_SPREAD_RATIO:g}, or the surface's slope across the line would be extrapolated over the track "
        "from stations that do not constrain it. Use the offset then.\n\n" + COMMON_HELP
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self._add_inputs()
        self.addParameter(enum_parameter(n.MODEL, "Surface removed", n.SURFACE_OPTIONS, n.DEFAULT_SURFACE))
        self.addParameter(advanced(compression_parameter()))
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Track referenced to GNSS")))
        self.add_number_outputs([
            (n.RMS, "RMS of the residuals after referencing (in the track's unit)"),
            (n.COUNT, "Stations used"),
        ])  # fmt: skip

    def _reference_request(self, parameters, context):
        return self._request(
            parameters, context, gnss_run.ReferenceRequest,
            model=self.parameterAsEnum(parameters, n.MODEL, context),
            output=self.parameterAsOutputLayer(parameters, n.OUTPUT, context),
            compression=self.compression(parameters, context),
        )[1]  # fmt: skip

    def process(self, parameters, context, feedback):
        job = gnss_run.plan_reference(self._reference_request(parameters, context))
        path = self.run_with_log(
            job.log, job.warnings, [job.output], lambda p, c: gnss_run.run_reference(job, p, c), context, feedback
        )
        if path is None:
            return {n.OUTPUT: None, n.RMS: None, n.COUNT: None}
        what = f"LOS velocity referenced to GNSS ({gnss.MODEL_NAMES[job.surface.model].lower()})"
        name = layer_name(what, job.comparison.unit, [track_label(job.comparison.resolved.spec.velocity.path)])
        register_outputs(context, {path: (name, SIGNED, None)})
        return {n.OUTPUT: path, n.RMS: job.after["rms"], n.COUNT: job.after["count"]}
