"""``losdecomp:project_single_track``: one track projected onto a direction, with its
assumption stated (a thin adapter to ``core.single_track``)."""

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBand,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
)

from ..core.conventions.uncertainty import PROPAGATED, label
from ..core.io.products import track_label
from ..core.io.reader import RESAMPLING_METHODS
from ..core.io.writer import COMPRESSIONS
from ..core.plan.naming import layer_name
from ..core.plan.tracks import TrackInput
from ..core.runs import single_track
from ..core.solve.projection import DEFAULT_MIN_SENSITIVITY
from . import names as n
from .base import LosDecompAlgorithm, advanced, tr, warn
from .layers import crs_wkt, layer_path
from .parameters import (
    RasterFileParameter,
    compression_parameter,
    look_side_parameter,
    los_sign_parameter,
    resampling_parameter,
)
from .styling import MAGNITUDE, SIGNED, register_outputs

DOUBLE = QgsProcessingParameterNumber.Type.Double


class ProjectSingleTrackAlgorithm(LosDecompAlgorithm):
    """``losdecomp:project_single_track``."""

    NAME = "project_single_track"
    DISPLAY_NAME = "Project one track onto a direction (vertical, horizontal or downslope)"
    HELP = (
        "With one track only, the line-of-sight (LOS) value d of a motion m along a unit direction u is "
        "d = (s . u) m, s being the ground-to-satellite unit vector: m = d / (s . u), under an assumption "
        "stated in the log, the output's metadata (INSAR_ASSUMPTION) and the layer's name.\n\n"
        "Directions: vertical (assumes no horizontal motion); horizontal along HORIZONTAL_AZIMUTH, degrees "
        "clockwise from north (assumes no vertical motion); downslope, the steepest descent of the DEM on "
        "the output grid by Horn's 3x3 method (assumes motion parallel to the surface, down the slope).\n\n"
        "The projection amplifies LOS noise by 1/|s . u|: pixels where |s . u| is below MIN_SENSITIVITY are "
        "nodata. Geometry is read per pixel when the product has it (LiCSBAS E/N/U, MintPy geometry, HyP3), "
        "else from HEADING/INCIDENCE or the layer's metadata; the log says how far a single nominal angle "
        "would be off, relative to the true motion. A time series (bands with dates) is projected band by "
        "band, dates kept, unless BAND picks one band.\n\n"
        "OUTPUT_SIGMA is a propagated standard deviation: the track's a-priori LOS standard deviation divided "
        "by |s . u|. It omits correlated noise the LOS standard deviation does not describe, and the error of "
        "the assumption on the direction."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(RasterFileParameter(n.INPUT, tr("LOS velocity or time series")))
        self.addParameter(
            QgsProcessingParameterBand(
                n.BAND, tr("Band (empty = band 1, or every dated band)"), None, n.INPUT, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                n.DIRECTION, tr("Direction of the motion"), list(n.DIRECTION_OPTIONS), defaultValue=n.DEFAULT_DIRECTION
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                n.HORIZONTAL_AZIMUTH, tr("Azimuth of horizontal motion (degrees clockwise from north)"), DOUBLE,
                optional=True,
            )
        )  # fmt: skip
        self.addParameter(RasterFileParameter(n.DEM, tr("DEM (for the downslope direction)"), optional=True))
        self.addParameter(
            QgsProcessingParameterNumber(
                n.MIN_SENSITIVITY, tr("Minimum sensitivity |s . u| (smaller is nodata)"), DOUBLE,
                defaultValue=DEFAULT_MIN_SENSITIVITY, minValue=0.0, maxValue=1.0,
            )
        )  # fmt: skip
        for p in self._geometry_parameters():
            self.addParameter(p)
        for p in self._advanced_parameters():
            self.addParameter(advanced(p))
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Projected motion")))
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                n.OUTPUT_SIGMA,
                tr("Propagated standard deviation of the projected motion"),
                optional=True,
                createByDefault=False,
            )
        )

    def _geometry_parameters(self):
        return [
            QgsProcessingParameterNumber(
                n.HEADING, tr("Heading (degrees clockwise from north; empty = from the layer)"), DOUBLE, optional=True
            ),
            QgsProcessingParameterNumber(
                n.INCIDENCE, tr("Incidence (degrees from the vertical; empty = from the layer)"), DOUBLE, optional=True
            ),
            los_sign_parameter(),
        ]

    def _advanced_parameters(self):
        return [
            look_side_parameter(),
            RasterFileParameter(n.SIGMA, tr("LOS standard deviation (empty = from the product)"), optional=True),
            QgsProcessingParameterCrs(n.TARGET_CRS, tr("Target CRS (empty = the input's grid)"), optional=True),
            QgsProcessingParameterNumber(
                n.RESOLUTION,
                tr("Resolution in target CRS units (0 = the input's)"),
                DOUBLE,
                defaultValue=0.0,
                minValue=0.0,
            ),
            resampling_parameter(),
            compression_parameter(),
        ]

    def _request(self, parameters, context):
        path = layer_path(self, parameters, n.INPUT, context, "track")
        if path is None:
            raise QgsProcessingException("track: no layer given")
        band = self.parameterAsInt(parameters, n.BAND, context) if parameters.get(n.BAND) not in (None, "") else None
        track = TrackInput(
            name="track", path=path, band=band or None,
            heading=self.optional_number(parameters, n.HEADING, context),
            incidence=self.optional_number(parameters, n.INCIDENCE, context),
            look_side=self.look_side(parameters, n.LOOK_SIDE, context),
            los_sign=self.los_sign(parameters, context),
            sigma=layer_path(self, parameters, n.SIGMA, context, "standard deviation"),
        )  # fmt: skip
        outputs = {single_track.MOTION: self.parameterAsOutputLayer(parameters, n.OUTPUT, context)}
        if parameters.get(n.OUTPUT_SIGMA) is not None:
            outputs[single_track.SIGMA] = self.parameterAsOutputLayer(parameters, n.OUTPUT_SIGMA, context)
        return single_track.ProjectionRequest(
            track=track,
            direction=self.parameterAsEnum(parameters, n.DIRECTION, context),
            outputs=outputs,
            horizontal_azimuth=self.optional_number(parameters, n.HORIZONTAL_AZIMUTH, context),
            dem=layer_path(self, parameters, n.DEM, context, "DEM"),
            min_sensitivity=self.parameterAsDouble(parameters, n.MIN_SENSITIVITY, context),
            target_crs_wkt=crs_wkt(self.parameterAsCrs(parameters, n.TARGET_CRS, context)),
            resolution=self.parameterAsDouble(parameters, n.RESOLUTION, context),
            resampling=RESAMPLING_METHODS[self.parameterAsEnum(parameters, n.RESAMPLING, context)][0],
            compression=COMPRESSIONS[self.parameterAsEnum(parameters, n.COMPRESSION, context)][0],
        )

    def check(self, parameters, context):
        single_track.check(self._request(parameters, context))

    def process(self, parameters, context, feedback):
        job = single_track.plan(self._request(parameters, context))
        summary = self.run_job(job, single_track.run, context, feedback)
        if summary is None:
            return {n.OUTPUT: None, n.OUTPUT_SIGMA: None}
        share = 100.0 * summary.resolved / max(summary.pixels, 1)
        feedback.pushInfo(f"projected {summary.resolved} of {summary.pixels} pixels ({share:.1f} %)")
        for line in summary.messages:
            warn(feedback, line)
        what, note = single_track.quantity(job), single_track.assumption_of(job)
        tracks = [track_label(job.spec.velocity.path)]
        name = layer_name(what, job.unit, tracks, note)
        layers = {summary.outputs[single_track.MOTION]: (name, SIGNED, summary.limit)}
        if single_track.SIGMA in summary.outputs:
            name = layer_name(label(PROPAGATED, f"the {what.lower()}"), job.unit, tracks, note)
            layers[summary.outputs[single_track.SIGMA]] = (name, MAGNITUDE, None)
        register_outputs(context, layers)
        return {n.OUTPUT: summary.outputs[single_track.MOTION], n.OUTPUT_SIGMA: summary.outputs.get(single_track.SIGMA)}
