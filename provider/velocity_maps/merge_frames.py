"""``losdecomp:merge_frames``: frames of one viewing direction tied by their overlaps and
merged on one grid (a thin adapter to ``core.runs.merge_frames``)."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputString,
    QgsProcessingParameterCrs,
    QgsProcessingParameterRasterDestination,
)

from ...core.plan.naming import layer_name
from ...core.plan.tracks import TrackInput
from ...core.runs import merge_frames
from .. import names as n
from ..base import PlannedAlgorithm, advanced, report, tr
from ..gnss.stations import gnss_parameters, radius_parameter, read_stations, stations_given
from ..layers import crs_wkt, layer_paths
from ..parameters import (
    RasterFilesParameter,
    compression_parameter,
    enum_parameter,
    integer_parameter,
    los_sign_parameter,
    number_parameter,
    resampling_parameter,
)
from ..styling import SIGNED, register_outputs
from . import VELOCITY_MAPS


class MergeFramesAlgorithm(PlannedAlgorithm):
    """``losdecomp:merge_frames``."""

    NAME = "merge_frames"
    DISPLAY_NAME = "Merge adjacent frames of one track (offsets and ramps from the overlaps)"
    GROUP = VELOCITY_MAPS
    HELP = (
        "Frames of one viewing direction (INPUTS: LOS velocity rasters, each with its geometry as bands or tags "
        "and its standard deviation when it has one) are tied together where they overlap and written as one "
        "raster, ready for losdecomp:decompose.\n\n"
        "MODEL 0 adds an offset to each frame, MODEL 1 an offset and a plane; the planes are in the common "
        "grid's coordinates (x, y of its CRS). They are estimated from all overlaps jointly by least squares "
        "(weights 1/(sigma_i^2 + sigma_j^2) when every frame has an a-priori sigma). FIXED_FRAME (1-based, "
        "default 1) is held fixed: both its offset and its plane are zero, and the merged frame is on its "
        "reference.\n\n"
        "Results: OFFSETS, the value added to each frame at its centre (comma-separated, one per frame, also "
        "one line per frame in the log with the plane), OFFSET_SIGMAS (fit standard deviations, from the "
        "overlap residuals taken as independent: they omit spatially correlated noise, so they are "
        "optimistic), RMS_BEFORE and RMS_AFTER of the differences in the overlaps.\n\n"
        "The output lies on the first frame's lattice extended to the union of the frames (its CRS, pixel size "
        "and origin: the first frame is never resampled, the others are warped onto it), unless TARGET_CRS or "
        "RESOLUTION is given (then that CRS, else the first frame's, and that resolution, else the coarsest "
        "frame's pixel). Overlaps are averaged with weights 1/sigma^2 (equal weights without sigmas). A sigma "
        "that is not a positive number (0, as MintPy's velocityStd at its reference pixel, or NaN) is unknown: "
        "the pixel is left out of the overlap fit, and out of the weighted mean where another frame has a "
        "sigma; where none has, the plain mean of the values is kept, with a NaN sigma (no value is dropped). "
        "The geometry is carried per pixel as role bands (INSAR_ROLE los_east/los_north/los_up, as "
        "losdecomp:import_licsbas writes them), with the band of the propagated standard deviation of the "
        "weighted mean when the frames have sigmas (it takes the frames as independent: frames of one track "
        "share acquisitions, so in the overlaps it is a lower bound; it omits the corrections' own error). "
        "Every frame is converted to the first frame's unit and LOS sign. LOS_SIGN applies to every frame "
        "(a frame whose own tag says otherwise is read with LOS_SIGN, with a warning); frames whose own LOS "
        "sign tags differ from one another are refused, named (one LOS_SIGN would read one of them with the "
        "wrong sign).\n\n"
        "A frame that overlaps no other is refused, named by its index and path (LiCSBAS frames all load as "
        "'vel.geo': the path tells them apart); so is a frame with no valid pixel in its overlaps (nodata "
        "there, or no known sigma), named the same way. Frames looking east and west (ascending and descending) are "
        "refused: merge each direction on its own.\n\n"
        "Time-series stacks (one band per acquisition, dated by INSAR_DATE or a YYYYMMDD description, as the "
        "imports write them): every frame must be a stack. They are merged on the dates every frame has; the "
        "dates missing from some frame are left out with a warning naming the frame and the dates (no common "
        "date is an error). Each frame is first re-referenced to the first common date (that date minus, "
        "pixel by pixel), then corrected date by date: one offset (and plane) per frame and per date, since "
        "each frame's reference differs from date to date. Stacks are merged with equal weights. The log "
        "gives each frame's correction on the first and the last date, the metadata LOSDECOMP_FRAMES on every "
        "date; OFFSETS (and OFFSET_SIGMAS) then hold one comma-separated group per date, in date order, "
        "separated by ';'; RMS_BEFORE and RMS_AFTER pool every date's overlaps. The output is a stack on the "
        "common dates (INSAR_DATE per band) followed by the geometry role bands.\n\n"
        "GNSS held fixed instead of a frame (GNSS, optional: a point layer, a delimited text table or a MIDAS "
        "velocity file, with the field options and GNSS_UNIT of losdecomp:reference_to_gnss): no frame is held "
        "fixed; every frame's correction is estimated, and each station inside a frame adds one equation to the "
        "overlaps': the frame's value at the station plus the frame's correction there = the station's velocity "
        "in the frame's line of sight (s . v with the frame's own unit vector at the station, in the frames' unit "
        "and LOS sign). GNSS_UNIT 'same as the track' means frame 1's unit (every frame is converted to it); GNSS "
        "whose values in the line of sight differ from the frames' at the stations by a unit's factor (from 3 "
        "stations on; their median magnitudes more than 300 times apart) is refused, naming both units. The "
        "frame's value at a station is sampled as losdecomp:reference_to_gnss samples it (RADIUS 0: the pixel "
        "holding the station; "
        "else the median of the valid pixels within RADIUS, on the frame's own grid; RADIUS is in the common "
        "grid's CRS units, the output's, converted for a frame in another CRS with its local scale at the "
        "station; a RADIUS over a tenth of a frame's smaller side is refused). Station rows are weighted "
        "1/(sigma_GNSS_LOS^2 + sigma_frame^2) (a-priori sigmas, the GNSS one propagated into the line of sight) "
        "when the frames have sigmas; a station whose combined sigma is unknown (a GNSS LOS sigma that is not a "
        "positive number, 0 included, or NaN) is weighted as the least trusted station whose sigma is known, "
        "never as an exact value, and named in the log; with no known station sigma, or frames without sigmas "
        "(equal weights), each station row weighs as much as an average overlap pixel a-priori. The station rows "
        "then form their own variance component (Helmert's estimation, beside the overlaps'), so that "
        "OFFSET_SIGMAS follow the real GNSS - InSAR scatter; when the stations only just fix the datum (one with "
        "MODEL 0, three with MODEL 1) it cannot be estimated and the a-priori is kept, as the log says, with a "
        "warning that the GNSS residuals after the fit are then near zero whatever the GNSS error; the log gives "
        "the leave-one-station-out residuals (each station against the fit without it) where there are enough "
        "stations. The merged map is then on the stations' reference, in the GNSS velocities' reference frame: "
        "with ITRF stations (MIDAS: IGS14/IGS20) the plate's rigid motion is in the merged map and "
        "losdecomp:remove_plate_motion applies; with plate-fixed stations it is not, and must not be removed "
        "again. MODEL 0 needs at least one station with a value in the frames; MODEL 1 at least three not on a "
        "line (they fix the plane common to all frames, which the overlaps leave free): collinear or nearly "
        "collinear stations (as reference_to_gnss refuses them) are refused, and so is any system the stations "
        "and overlaps leave rank-deficient. Stations outside every frame, on nodata or with missing velocities are "
        "ignored and counted in the log by name. FIXED_FRAME then stays at its default 1 and is not used (GNSS "
        "replaces it); another FIXED_FRAME with GNSS is refused. Time-series stacks with GNSS are refused (GNSS "
        "per date is not done). The log and the results give the GNSS residuals (frame - GNSS in the line of "
        "sight, one per station and frame holding it) before and after the corrections (GNSS_RMS_BEFORE, "
        "GNSS_RMS_AFTER, in the frames' unit, which the log names)."
    )

    CORE = merge_frames

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            RasterFilesParameter(n.INPUTS, tr("Frames of one viewing direction (LOS velocity rasters or time-series "
                                                         "stacks)"),
                                 QgsProcessing.SourceType.TypeRaster),
            enum_parameter(n.MODEL, "Correction per frame", n.FRAME_MODEL_OPTIONS, n.DEFAULT_FRAME_MODEL),
            integer_parameter(n.FIXED_FRAME, "Frame held fixed (1-based; not used when GNSS is given)",
                              defaultValue=1, minValue=1),
            los_sign_parameter(),
        ])  # fmt: skip
        gnss = gnss_parameters(optional=True)
        self.add_parameters([gnss[0], radius_parameter(optional=True)])
        self.add_parameters([advanced(p) for p in gnss[1:]])
        self.add_parameters([
            QgsProcessingParameterCrs(n.TARGET_CRS, tr("Target CRS (empty = the first frame's)"), optional=True),
            number_parameter(n.RESOLUTION, "Resolution in target CRS units (0 = the first frame's pixel; "
                             "with a TARGET_CRS the coarsest frame's)",
                             defaultValue=0.0, minValue=0.0),
            resampling_parameter(),
            compression_parameter(),
        ], is_advanced=True)  # fmt: skip
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Merged frames")))
        self.addOutput(QgsProcessingOutputString(n.OFFSETS, tr("Offsets added at each frame's centre")))
        self.addOutput(QgsProcessingOutputString(n.OFFSET_SIGMAS, tr("Fit standard deviations of the offsets")))
        self.add_number_outputs([(n.RMS_BEFORE, "RMS of the overlap differences before"),
                                 (n.RMS_AFTER, "RMS of the overlap differences after"),
                                 (n.GNSS_RMS_BEFORE, "RMS of the GNSS residuals before (GNSS held fixed)"),
                                 (n.GNSS_RMS_AFTER, "RMS of the GNSS residuals after (GNSS held fixed)")])  # fmt: skip

    def request(self, parameters, context):
        sign = self.los_sign(parameters, context)
        frames = [TrackInput(name, path, los_sign=sign)
                  for path, name in layer_paths(self, parameters, n.INPUTS, context, "frame")]
        return merge_frames.MergeRequest(
            frames=frames,
            output=self.parameterAsOutputLayer(parameters, n.OUTPUT, context),
            model=self.parameterAsEnum(parameters, n.MODEL, context),
            fixed_frame=self.parameterAsInt(parameters, n.FIXED_FRAME, context),
            target_crs_wkt=crs_wkt(self.parameterAsCrs(parameters, n.TARGET_CRS, context)),
            resolution=self.parameterAsDouble(parameters, n.RESOLUTION, context),
            resampling=self.resampling(parameters, context),
            compression=self.compression(parameters, context),
            **self._stations(parameters, context),
        )  # fmt: skip

    def _stations(self, parameters, context):
        """{stations, radius} when GNSS is given, else {}."""
        if not stations_given(parameters):
            return {}
        return {"stations": read_stations(self, parameters, context).stations,
                "radius": self.parameterAsDouble(parameters, n.RADIUS, context)}  # fmt: skip

    def check(self, parameters, context):
        merge_frames.check(self.request(parameters, context))

    def results(self, job, summary, parameters, context, feedback):
        report(feedback, summary.lines, summary.warnings)
        path = summary.outputs[merge_frames.MERGED]
        name = layer_name("LOS velocity, frames merged", job.unit, job.names, "")
        register_outputs(context, {path: (name, SIGNED, summary.limit)})
        return {
            n.OUTPUT: path,
            n.OFFSETS: _joined(summary.offsets),
            n.OFFSET_SIGMAS: _joined(summary.offset_sigmas),
            n.RMS_BEFORE: summary.rms_before,
            n.RMS_AFTER: summary.rms_after,
            n.GNSS_RMS_BEFORE: summary.gnss["before"]["rms"] if summary.gnss else None,
            n.GNSS_RMS_AFTER: summary.gnss["after"]["rms"] if summary.gnss else None,
        }


def _joined(values):
    """One value per frame comma-separated; for stacks, one such group per date, ';' between."""
    if values and isinstance(values[0], list):
        return ";".join(_joined(v) for v in values)
    return ",".join(f"{v:.6g}" for v in values)
