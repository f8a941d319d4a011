"""``losdecomp:gnss_to_los``, ``losdecomp:reference_to_gnss`` and ``losdecomp:compare_to_gnss``:
thin adapters to ``core.gnss_run``."""

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
)

from ..core.conventions import uncertainty
from ..core.io.gnss_plot import scatter_html
from ..core.io.products import track_label
from ..core.io.writer import COMPRESSIONS
from ..core.plan.naming import layer_name
from ..core.plan.tracks import TrackInput
from ..core.runs import gnss_run
from ..core.solve import gnss
from . import names as n
from .base import LosDecompAlgorithm, advanced, tr
from .gnss_inputs import DOUBLE, INTEGER, TEXT, gnss_parameters, radius_parameter, read_stations, write_features
from .layers import layer_path
from .parameters import RasterFileParameter, compression_parameter, look_side_parameter, los_sign_parameter
from .styling import SIGNED, register_outputs

NUMBER = QgsProcessingParameterNumber.Type.Double

COMMON_HELP = (
    "GNSS stations: a point layer with east, north and up velocity fields (and optionally their a-priori "
    "standard deviations and correlations corr_en, corr_eu, corr_nu), or the path of a delimited text file "
    "with a header (longitude/latitude columns), or of a file without a header: NGL's MIDAS velocity file "
    "(27 columns: site, MIDAS version, ..., ve vn vu in columns 9-11, their sigmas in 12-14, lat lon height in "
    "25-27) or a table of the columns station lon lat ve vn vu se sn su. Both files without a header are in "
    "metres per year whatever the track's unit (converted to it, as the log says). Fields are recognised from "
    "their usual names (ve, vel_e, east, ...; se, sig_e, ...) unless named. GNSS_UNIT says the stations' unit; "
    "its default is the track's unit for a layer or a table with a header (m/year for a file without one); the "
    "track's unit is read from the layer. Stations outside the raster, on nodata or with missing values are "
    "listed in the log and left out; with no station left there is an error and no output.\n\n"
    "RADIUS: 0 takes the pixel holding each station; otherwise the median of the valid pixels whose centres "
    "lie within the radius (in the raster's CRS units), with their count and spread (standard deviation of "
    "those pixels, not a sigma of the median).\n\n"
    "Residual statistics, in the track's unit (the log names it): bias (mean), RMS, spread (the standard "
    "deviation of the residuals about their mean: a dispersion, not the sigma of any one residual) and median."
)

#: What the field ``gnss_los_sigma`` holds (its alias, where the output format keeps one).
GNSS_LOS_SIGMA_ALIAS = uncertainty.label(uncertainty.PROPAGATED, "GNSS in the line of sight", "sqrt(s' C s)")
INSAR_SPREAD_ALIAS = uncertainty.label(uncertainty.SPREAD, "InSAR within the radius", "standard deviation")


class _TrackAndStations(LosDecompAlgorithm):
    """A track as decompose takes it (geometry typed or from the layer) and the stations."""

    def _track_parameters(self):
        return [
            RasterFileParameter(n.INPUT, tr("LOS velocity (a track)")),
            QgsProcessingParameterBand(n.BAND, tr("Band"), 1, n.INPUT, optional=True),
            QgsProcessingParameterNumber(
                n.HEADING, tr("Heading (degrees clockwise from north; empty = from the layer)"), NUMBER, optional=True
            ),
            QgsProcessingParameterNumber(
                n.INCIDENCE, tr("Incidence (degrees from the vertical; empty = from the layer)"), NUMBER, optional=True
            ),
            los_sign_parameter(),
            advanced(look_side_parameter()),
        ]  # fmt: skip

    def _add_inputs(self):
        for p in self._track_parameters() + gnss_parameters() + [radius_parameter()]:
            self.addParameter(p)

    def _request(self, parameters, context, cls=gnss_run.GnssRequest, **extra):
        path = layer_path(self, parameters, n.INPUT, context, "track")
        if path is None:
            raise QgsProcessingException("track: no layer given")
        band = self.parameterAsInt(parameters, n.BAND, context) if parameters.get(n.BAND) not in (None, "") else 1
        track = TrackInput(
            name="track", path=path, band=band or 1,
            heading=self.optional_number(parameters, n.HEADING, context),
            incidence=self.optional_number(parameters, n.INCIDENCE, context),
            look_side=self.look_side(parameters, n.LOOK_SIDE, context),
            los_sign=self.los_sign(parameters, context),
        )  # fmt: skip
        stations = read_stations(self, parameters, context)
        radius = self.parameterAsDouble(parameters, n.RADIUS, context)
        return stations, cls(track, stations.stations, radius, **extra)


class GnssToLosAlgorithm(_TrackAndStations):
    """``losdecomp:gnss_to_los``."""

    NAME = "gnss_to_los"
    DISPLAY_NAME = "Compare a track with GNSS in its line of sight"
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
        "1:1 line.\n\n" + COMMON_HELP
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self._add_inputs()
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT, tr("Stations with InSAR and GNSS in the LOS")))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                n.OUTPUT_PLOT, tr("Scatter plot"), tr("HTML files (*.html)"), optional=True, createByDefault=False
            )
        )
        for name, text in (
            (n.BIAS, "Mean residual (in the track's unit)"),
            (n.RMS, "RMS of the residuals (in the track's unit)"),
            (n.COUNT, "Stations used"),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, tr(text)))

    def process(self, parameters, context, feedback):
        inp, req = self._request(parameters, context)
        result = gnss_run.compare_los(req)
        for line in result.log:
            feedback.pushInfo(line)
        for line in result.warnings:
            feedback.pushWarning(line)
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
                                     "InSAR against GNSS in the line of sight", unit, lines))  # fmt: skip
            out[n.OUTPUT_PLOT] = plot
        return out


class ReferenceToGnssAlgorithm(_TrackAndStations):
    """``losdecomp:reference_to_gnss``."""

    NAME = "reference_to_gnss"
    DISPLAY_NAME = "Reference a track to GNSS (remove a fitted offset, plane or quadratic surface)"
    HELP = (
        "Ties a track to GNSS before decomposing: the residuals InSAR - GNSS in the line of sight at the stations "
        "(as losdecomp:gnss_to_los computes them) are fitted by an offset, a plane or a quadratic surface of the "
        "map coordinates (equal weights, least squares), and the track minus that surface is written on the "
        "track's own grid. The output keeps the track's geometry (heading/incidence tags, or the per-pixel LOS "
        "unit vector as bands), sign, unit and standard deviation, so losdecomp:decompose reads it with no angle "
        "typed. The fitted coefficients and the residual statistics before and after are in the log and in the "
        "output's metadata (LOSDECOMP_GNSS_REFERENCE, with their unit).\n\n"
        "A plane or a quadratic surface is refused when the stations nearly lie on a line (or at one place): "
        "the ratio of the smallest to the largest singular value of their centred coordinates must be at least "
        f"{gnss.MIN_SPREAD_RATIO:g}, or the surface's slope across the line would be extrapolated over the track "
        "from stations that do not constrain it. Use the offset then.\n\n" + COMMON_HELP
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self._add_inputs()
        self.addParameter(
            QgsProcessingParameterEnum(
                n.MODEL, tr("Surface removed"), list(n.SURFACE_OPTIONS), defaultValue=n.DEFAULT_SURFACE
            )
        )
        self.addParameter(advanced(compression_parameter()))
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Track referenced to GNSS")))
        for name, text in (
            (n.RMS, "RMS of the residuals after referencing (in the track's unit)"),
            (n.COUNT, "Stations used"),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, tr(text)))

    def _reference_request(self, parameters, context):
        return self._request(
            parameters, context, gnss_run.ReferenceRequest,
            model=self.parameterAsEnum(parameters, n.MODEL, context),
            output=self.parameterAsOutputLayer(parameters, n.OUTPUT, context),
            compression=COMPRESSIONS[self.parameterAsEnum(parameters, n.COMPRESSION, context)][0],
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


class CompareToGnssAlgorithm(LosDecompAlgorithm):
    """``losdecomp:compare_to_gnss``."""

    NAME = "compare_to_gnss"
    DISPLAY_NAME = "Check a decomposition against GNSS (east and up)"
    HELP = (
        "Samples decomposed EAST (or horizontal along the azimuth the decomposition used, read from its metadata) "
        "and UP rasters at the GNSS stations and writes the stations with east_gnss, east_insar, east_residual, "
        "up_gnss, up_insar, up_residual (decomposition - GNSS) and status; results RMS_EAST, RMS_UP (in the "
        "decomposition's unit, named in the log) and COUNT.\n\n"
        "A decomposition of two tracks assumes north = 0 unless a north velocity was given: where the stations "
        "move north, part of that motion appears in east and up, and the log says so. For calibration, compare "
        "each track in its line of sight instead (losdecomp:gnss_to_los).\n\n" + COMMON_HELP
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(RasterFileParameter(n.EAST, tr("East (or horizontal) velocity of a decomposition")))
        self.addParameter(RasterFileParameter(n.UP, tr("Vertical velocity of a decomposition")))
        for p in gnss_parameters() + [radius_parameter()]:
            self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT, tr("Stations with decomposition residuals")))
        for name, text in ((n.RMS_EAST, "RMS of the east residuals (in the decomposition's unit)"),
                           (n.RMS_UP, "RMS of the up residuals (in the decomposition's unit)"),
                           (n.COUNT, "Stations used")):  # fmt: skip
            self.addOutput(QgsProcessingOutputNumber(name, tr(text)))

    def process(self, parameters, context, feedback):
        east = layer_path(self, parameters, n.EAST, context, "east raster")
        up = layer_path(self, parameters, n.UP, context, "up raster")
        if east is None or up is None:
            raise QgsProcessingException("give both the east and the up raster")
        inp = read_stations(self, parameters, context)
        radius = self.parameterAsDouble(parameters, n.RADIUS, context)
        result = gnss_run.compare_components(gnss_run.ComponentsRequest(east, up, inp.stations, radius))
        for line in result.log:
            feedback.pushInfo(line)
        for line in result.warnings:
            feedback.pushWarning(line)
        status = [e if e != gnss_run.OK else u for e, u in zip(result.east.status, result.up.status)]
        extra = [
            ("east_gnss", DOUBLE, result.gnss_horizontal), ("east_insar", DOUBLE, result.east.value),
            ("east_residual", DOUBLE, result.east_residual), ("up_gnss", DOUBLE, result.gnss_up),
            ("up_insar", DOUBLE, result.up.value), ("up_residual", DOUBLE, result.up_residual),
            ("status", TEXT, status),
        ]  # fmt: skip
        dest = write_features(self, parameters, context, n.OUTPUT, inp, extra)
        count = int(sum(s == gnss_run.OK for s in status))
        return {n.OUTPUT: dest, n.RMS_EAST: result.stats_east["rms"], n.RMS_UP: result.stats_up["rms"], n.COUNT: count}
