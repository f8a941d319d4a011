"""``losdecomp:gnss_to_los``: GNSS velocities projected in a track's line of sight and compared
with it (a thin adapter to ``core.gnss_run``)."""

from qgis.core import QgsProcessingParameterFeatureSink, QgsProcessingParameterFileDestination

from ...core.conventions import uncertainty
from ...core.io.gnss_plot import scatter_html
from ...core.runs import gnss_run
from ...core.solve import gnss
from .. import names as n
from ..base import report, tr
from ..features import DOUBLE, INTEGER, TEXT, write_features
from . import GNSS
from .stations import COMMON_HELP, TrackAndStations

#: What the field ``gnss_los_sigma`` holds (its alias, where the output format keeps one).
GNSS_LOS_SIGMA_ALIAS = uncertainty.label(uncertainty.PROPAGATED, "GNSS in the line of sight", "sqrt(s' C s)")
INSAR_SPREAD_ALIAS = uncertainty.label(uncertainty.SPREAD, "InSAR within the radius", "standard deviation")
#: What the scatter's bars are.
PLOT_BARS = (f"Bars: +/-1 sigma; horizontal: the {GNSS_LOS_SIGMA_ALIAS}; vertical: the {INSAR_SPREAD_ALIAS} "
             "(none when the radius takes one pixel).")  # fmt: skip


class GnssToLosAlgorithm(TrackAndStations):
    """``losdecomp:gnss_to_los``."""

    NAME = "gnss_to_los"
    DISPLAY_NAME = "Compare a track with GNSS in its line of sight"
    GROUP = GNSS
    HELP = (
        "Projects each GNSS station's 3-D velocity into the track's line of sight (LOS), gnss_los = s . (ve, vn, vu) "
        "with the track's sign convention and unit, s being the ground-to-satellite unit vector at the station "
        "(per pixel when the product has it). gnss_los_sigma is a propagated standard deviation, sqrt(s' C s), C "
        "the covariance of the station's velocity from its a-priori standard deviations and, when the input gives "
        "them, its correlations (otherwise the components are taken as independent); it is empty (unknown, never "
        "zero) when a component's standard deviation is missing. It omits "
        f"{uncertainty.OMITS[uncertainty.PROPAGATED]}. This is where InSAR and GNSS are "
        "compared for calibration and validation: in the line of sight, before any decomposition.\n\n"
        "Output: the stations with gnss_los, gnss_los_sigma (propagated), insar_los, insar_count, insar_spread "
        "(spread), residual = insar_los - gnss_los and status; results BIAS (mean residual), RMS and COUNT, "
        "BIAS and RMS in the track's unit; optionally OUTPUT_PLOT, an HTML scatter of InSAR against GNSS with the "
        "1:1 line, each station named beside its point, +/-1 sigma bars: horizontal the propagated GNSS LOS sigma, "
        "vertical the spread of InSAR within the radius.\n\n" + COMMON_HELP
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self._add_inputs()
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT, tr("Stations with InSAR and GNSS in the LOS")))
        self.addParameter(QgsProcessingParameterFileDestination(
            n.OUTPUT_PLOT, tr("Scatter plot"), tr("HTML files (*.html)"), optional=True, createByDefault=False
        ))  # fmt: skip
        self.add_number_outputs([
            (n.BIAS, "Mean residual (in the track's unit)"),
            (n.RMS, "RMS of the residuals (in the track's unit)"),
            (n.COUNT, "Stations used"),
        ])  # fmt: skip

    def process(self, parameters, context, feedback):
        inp, req = self._request(parameters, context)
        result = gnss_run.compare_los(req)
        report(feedback, result.log, result.warnings)
        smp = result.samples
        extra = [
            ("gnss_los", DOUBLE, result.gnss_los),
            ("gnss_los_sigma", DOUBLE, result.gnss_sigma, GNSS_LOS_SIGMA_ALIAS),
            ("insar_los", DOUBLE, smp.value), ("insar_count", INTEGER, smp.count),
            ("insar_spread", DOUBLE, smp.spread, INSAR_SPREAD_ALIAS),
            ("residual", DOUBLE, result.residual), ("status", TEXT, smp.status),
        ]  # fmt: skip
        dest = write_features(self, parameters, context, n.OUTPUT, inp, extra)
        stats = result.stats
        out = {n.OUTPUT: dest, n.BIAS: stats["bias"], n.RMS: stats["rms"], n.COUNT: stats["count"], n.OUTPUT_PLOT: None}
        plot = self.parameterAsFileOutput(parameters, n.OUTPUT_PLOT, context) if parameters.get(n.OUTPUT_PLOT) else ""
        if plot:
            unit = result.unit
            lines = [f"{req.track.path} band {req.track.band}: {gnss.describe(stats, unit)}"] + result.warnings
            with open(plot, "w", encoding="utf-8") as f:
                f.write(scatter_html(result.gnss_los, smp.value, inp.stations.names,
                                     "InSAR against GNSS in the line of sight", unit, lines,
                                     result.gnss_sigma, smp.spread, PLOT_BARS))  # fmt: skip
            out[n.OUTPUT_PLOT] = plot
        return out
