"""``losdecomp:project_single_track``: one track projected onto a direction, with its
assumption stated (a thin adapter to ``core.single_track``)."""

from qgis.core import (
    QgsProcessingParameterBand,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterRasterDestination,
)

from ...core.conventions.uncertainty import PROPAGATED, label
from ...core.io.products import track_label
from ...core.plan.naming import layer_name
from ...core.runs import single_track
from ...core.solve.projection import DEFAULT_MIN_SENSITIVITY
from .. import names as n
from ..base import PlannedAlgorithm, report, tr
from ..layers import crs_wkt, input_track, layer_path
from ..parameters import (
    RasterFileParameter,
    angle_parameters,
    compression_parameter,
    enum_parameter,
    look_side_parameter,
    los_sign_parameter,
    number_parameter,
    optional_raster_output,
    resampling_parameter,
)
from ..styling import MAGNITUDE, SIGNED, register_outputs
from . import VELOCITY_MAPS
from .north_3d import track_kind


class ProjectSingleTrackAlgorithm(PlannedAlgorithm):
    """``losdecomp:project_single_track``."""

    NAME = "project_single_track"
    DISPLAY_NAME = "Project one track onto a direction (vertical, horizontal or downslope)"
    GROUP = VELOCITY_MAPS
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
        "the assumption on the direction.\n\n"
        "Along-track tracks (KIND 1, or the layer tag INSAR_KIND=along-track: azimuth offsets, MAI, burst-overlap "
        "interferometry): the unit vector is the flight direction (sin h, cos h, 0), values positive along the flight; "
        "incidence and LOS_SIGN do not apply. DIRECTION 3 (north) gives the north-south motion from the azimuth "
        "offsets alone, d / cos h, assuming no east motion (an along-track track never sees up)."
    )

    CORE = single_track

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            RasterFileParameter(n.INPUT, tr("LOS velocity or time series")),
            QgsProcessingParameterBand(n.BAND, tr("Band (empty = band 1, or every dated band)"), None, n.INPUT,
                                       optional=True),
            enum_parameter(n.DIRECTION, "Direction of the motion", n.DIRECTION_OPTIONS, n.DEFAULT_DIRECTION),
            number_parameter(n.HORIZONTAL_AZIMUTH, "Azimuth of horizontal motion (degrees clockwise from north)",
                             optional=True),
            RasterFileParameter(n.DEM, tr("DEM (for the downslope direction)"), optional=True),
            number_parameter(n.MIN_SENSITIVITY, "Minimum sensitivity |s . u| (smaller is nodata)",
                             defaultValue=DEFAULT_MIN_SENSITIVITY, minValue=0.0, maxValue=1.0),
            *angle_parameters(),
            los_sign_parameter(),
        ])  # fmt: skip
        self.add_parameters(self._advanced_parameters(), is_advanced=True)
        self.add_parameters([
            QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Projected motion")),
            optional_raster_output(n.OUTPUT_SIGMA, "Propagated standard deviation of the projected motion"),
        ])  # fmt: skip

    def _advanced_parameters(self):
        return [
            QgsProcessingParameterEnum(n.KIND, tr("Track kind (empty = the layer's INSAR_KIND tag, else line of "
                                                  "sight)"), list(n.KIND_OPTIONS), optional=True),  # fmt: skip
            look_side_parameter(),
            RasterFileParameter(n.SIGMA, tr("LOS standard deviation (empty = from the product)"), optional=True),
            QgsProcessingParameterCrs(n.TARGET_CRS, tr("Target CRS (empty = the input's grid)"), optional=True),
            number_parameter(n.RESOLUTION, "Resolution in target CRS units (0 = the input's)", defaultValue=0.0,
                             minValue=0.0),  # fmt: skip
            resampling_parameter(),
            compression_parameter(),
        ]

    def request(self, parameters, context):
        track = input_track(self, parameters, context, default_band=None, with_sigma=True)
        track.kind = track_kind(self, parameters, n.KIND, context)
        outputs = {single_track.MOTION: self.parameterAsOutputLayer(parameters, n.OUTPUT, context)}
        outputs.update(self.asked_outputs(parameters, context, {n.OUTPUT_SIGMA: single_track.SIGMA}))
        return single_track.ProjectionRequest(
            track=track,
            direction=self.parameterAsEnum(parameters, n.DIRECTION, context),
            outputs=outputs,
            horizontal_azimuth=self.optional_number(parameters, n.HORIZONTAL_AZIMUTH, context),
            dem=layer_path(self, parameters, n.DEM, context, "DEM"),
            min_sensitivity=self.parameterAsDouble(parameters, n.MIN_SENSITIVITY, context),
            target_crs_wkt=crs_wkt(self.parameterAsCrs(parameters, n.TARGET_CRS, context)),
            resolution=self.parameterAsDouble(parameters, n.RESOLUTION, context),
            resampling=self.resampling(parameters, context),
            compression=self.compression(parameters, context),
        )

    def check(self, parameters, context):
        single_track.check(self.request(parameters, context))

    def results(self, job, summary, parameters, context, feedback):
        share = 100.0 * summary.resolved / max(summary.pixels, 1)
        report(feedback, [f"projected {summary.resolved} of {summary.pixels} pixels ({share:.1f} %)"], summary.messages)
        what, note = single_track.quantity(job), single_track.assumption_of(job)
        tracks = [track_label(job.spec.velocity.path)]
        name = layer_name(what, job.unit, tracks, note)
        layers = {summary.outputs[single_track.MOTION]: (name, SIGNED, summary.limit)}
        if single_track.SIGMA in summary.outputs:
            name = layer_name(label(PROPAGATED, f"the {what.lower()}"), job.unit, tracks, note)
            layers[summary.outputs[single_track.SIGMA]] = (name, MAGNITUDE, None)
        register_outputs(context, layers)
        return {n.OUTPUT: summary.outputs[single_track.MOTION], n.OUTPUT_SIGMA: summary.outputs.get(single_track.SIGMA)}
