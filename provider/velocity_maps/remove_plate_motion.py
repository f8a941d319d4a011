"""``losdecomp:remove_plate_motion``: a track minus the rigid motion of a plate in its line of
sight (a thin adapter to ``core.runs.plate_motion``)."""

from qgis.core import QgsProcessingParameterBand, QgsProcessingParameterRasterDestination

from ...core.io.products import track_label
from ...core.plan.naming import layer_name
from ...core.runs import plate_motion
from ...core.solve.plate import plate_names
from .. import names as n
from ..base import PlannedAlgorithm, report, tr
from ..layers import input_track
from ..parameters import (
    RasterFileParameter,
    angle_parameters,
    compression_parameter,
    look_side_parameter,
    los_sign_parameter,
    optional_raster_output,
    text_parameter,
)
from ..styling import SIGNED, register_outputs
from . import VELOCITY_MAPS

#: The plate definitions every help that takes a plate states.
PLATE_HELP = (
    "PLATE is MODEL:Plate with the model's own plate names or abbreviations (no prefix = ITRF2014-PMM): "
    + ", ".join(plate_names())
    + ". ITRF2014-PMM: Altamimi et al. (2017), GJI 209, 1906-1912, Table 1 (as MintPy ships it). ITRF2020-PMM: "
    "Altamimi et al. (2023), GRL 50, e2023GL106373, Table 1; its origin rate bias (0.37, 0.35, 0.74) mm/yr "
    "along X, Y, Z is added to the horizontal velocities, as its authors prescribe. EULER_POLE instead: "
    "'lat,lon,rate' (degrees, degrees per million years, right-hand rule) or 'wx,wy,wz mas/yr' (Cartesian "
    "rotation rates, with that suffix). Three numbers without the suffix are always lat,lon,rate: out-of-range "
    "values are refused, and so are three numbers all within +/-2 (likely Cartesian rates without their suffix; "
    "a pole within 2 degrees of (0, 0) is given in the Cartesian form). MintPy's spelling 'Antartica' is read "
    "as Antarctica. The plate velocity is v = omega x r on the WGS84 ellipsoid at zero "
    "height, rotated to east/north/up (the vertical is kept, as MintPy keeps it). Plate boundaries are not "
    "checked: every pixel is moved with the plate given."
)


class RemovePlateMotionAlgorithm(PlannedAlgorithm):
    """``losdecomp:remove_plate_motion``."""

    NAME = "remove_plate_motion"
    DISPLAY_NAME = "Remove rigid plate motion from a track"
    GROUP = VELOCITY_MAPS
    HELP = (
        "Velocities in a global reference frame (ITRF, or GNSS-referenced InSAR) include the rigid motion of "
        "the tectonic plate, a long-wavelength LOS ramp of several mm/yr over a frame. OUTPUT is the track "
        "(INPUT, a LOS velocity with its geometry) minus the plate's velocity projected on each pixel's "
        "ground-to-satellite unit vector, in the track's unit and with its LOS_SIGN (as in "
        "losdecomp:decompose). OUTPUT_PLATE_LOS is the removed field (input minus output). The output keeps "
        "the geometry per pixel as role bands and the track's a-priori sigma, so it is a track again; its "
        "metadata LOSDECOMP_PLATE_MODEL names the model and pole.\n\n" + PLATE_HELP
    )

    CORE = plate_motion

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            RasterFileParameter(n.INPUT, tr("LOS velocity")),
            QgsProcessingParameterBand(n.BAND, tr("Band (empty = band 1)"), None, n.INPUT, optional=True),
            text_parameter(n.PLATE, "Plate (MODEL:Plate, e.g. ITRF2014-PMM:Eurasia)", optional=True),
            text_parameter(n.EULER_POLE, "Euler pole ('lat,lon,rate' deg, deg/Myr; or 'wx,wy,wz mas/yr')",
                           optional=True),
            *angle_parameters(),
            los_sign_parameter(),
        ])  # fmt: skip
        self.add_parameters([
            look_side_parameter(),
            RasterFileParameter(n.SIGMA, tr("LOS standard deviation (empty = from the product)"), optional=True),
            compression_parameter(),
        ], is_advanced=True)  # fmt: skip
        self.add_parameters([
            QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Track without plate motion")),
            optional_raster_output(n.OUTPUT_PLATE_LOS, "Plate velocity in the LOS (removed)"),
        ])  # fmt: skip

    def request(self, parameters, context):
        track = input_track(self, parameters, context, with_sigma=True)
        outputs = {plate_motion.CORRECTED: self.parameterAsOutputLayer(parameters, n.OUTPUT, context)}
        outputs.update(self.asked_outputs(parameters, context, {n.OUTPUT_PLATE_LOS: plate_motion.PLATE_LOS}))
        return plate_motion.PlateRequest(
            track=track, outputs=outputs,
            plate=self.parameterAsString(parameters, n.PLATE, context) or "",
            euler_pole=self.parameterAsString(parameters, n.EULER_POLE, context) or "",
            compression=self.compression(parameters, context),
        )  # fmt: skip

    def results(self, job, summary, parameters, context, feedback):
        lo, hi = summary.range_removed
        report(feedback, [f"plate velocity removed from the LOS: mean {summary.mean_removed:.4g}, "
                          f"{lo:.4g} to {hi:.4g} {job.unit}"])  # fmt: skip
        tracks = [track_label(job.spec.velocity.path)]
        layers = {summary.outputs[plate_motion.CORRECTED]: (layer_name("LOS velocity, plate motion removed", job.unit,
                                                                       tracks), SIGNED, summary.limit)}  # fmt: skip
        if plate_motion.PLATE_LOS in summary.outputs:
            layers[summary.outputs[plate_motion.PLATE_LOS]] = (layer_name("Plate velocity in the LOS", job.unit,
                                                                          tracks), SIGNED, None)  # fmt: skip
        register_outputs(context, layers)
        return {n.OUTPUT: summary.outputs[plate_motion.CORRECTED],
                n.OUTPUT_PLATE_LOS: summary.outputs.get(plate_motion.PLATE_LOS)}  # fmt: skip
