"""Parameter names, option lists and defaults of the provider's algorithms, defined once:
the algorithms, the dialog and the tests use these constants. The names are a public
interface (scripts, models and ``qgis_process`` calls depend on them): never rename one."""

from ..core.conventions import geometry
from ..core.io.model import HORIZONTAL, NORTH, QUALITY, SIGMA_HORIZONTAL, SIGMA_NORTH, SIGMA_UP, UN_TILT, UP, UP_NORTH
from ..core.io.reader import DEFAULT_RESAMPLING, RESAMPLING_METHODS
from ..core.io.writer import COMPRESSIONS, DEFAULT_COMPRESSION
from ..core.solve.inversion import DEFAULT_MAX_CONDITION  # noqa: F401 (part of this module's interface)

PROVIDER_ID = "losdecomp"
DECOMPOSE_ID = f"{PROVIDER_ID}:decompose"
IMPORT_MINTPY_ID = f"{PROVIDER_ID}:import_mintpy"
PROJECT_SINGLE_TRACK_ID = f"{PROVIDER_ID}:project_single_track"
VELOCITY_ID = f"{PROVIDER_ID}:velocity"
IMPORT_LICSBAS_ID = f"{PROVIDER_ID}:import_licsbas"
DECOMPOSE_TIMESERIES_ID = f"{PROVIDER_ID}:decompose_timeseries"

# losdecomp:decompose
ASCENDING, DESCENDING = "ASCENDING", "DESCENDING"
LOS_SIGN = "LOS_SIGN"
TARGET_CRS, RESOLUTION, EXTENT, RESAMPLING = "TARGET_CRS", "RESOLUTION", "EXTENT", "RESAMPLING"
EXTRA_TRACKS, EXTRA_GEOMETRY = "EXTRA_TRACKS", "EXTRA_GEOMETRY"
NORTH_VELOCITY, NORTH_VELOCITY_CONSTANT, NORTH_SIGMA = "NORTH_VELOCITY", "NORTH_VELOCITY_CONSTANT", "NORTH_SIGMA"
HORIZONTAL_AZIMUTH = "HORIZONTAL_AZIMUTH"
REFERENCE_POINT, REFERENCE_RADIUS, REFERENCE_AREA = "REFERENCE_POINT", "REFERENCE_RADIUS", "REFERENCE_AREA"
MAX_CONDITION, COMPRESSION = "MAX_CONDITION", "COMPRESSION"
OUTPUT_EAST, OUTPUT_UP = "OUTPUT_EAST", "OUTPUT_UP"
OUTPUT_SIGMA_EAST, OUTPUT_SIGMA_UP, OUTPUT_QUALITY = "OUTPUT_SIGMA_EAST", "OUTPUT_SIGMA_UP", "OUTPUT_QUALITY"
# north and full 3-D (issue 34): track kinds, COMPONENTS and their outputs
EXTRA_SIGMAS, ALONG_TRACK_SIGMA, COMPONENTS = "EXTRA_SIGMAS", "ALONG_TRACK_SIGMA", "COMPONENTS"
OUTPUT_NORTH, OUTPUT_SIGMA_NORTH = "OUTPUT_NORTH", "OUTPUT_SIGMA_NORTH"
OUTPUT_UN, OUTPUT_UN_TILT = "OUTPUT_UN", "OUTPUT_UN_TILT"
KIND_OPTIONS = (
    "Line of sight (LOS)",
    "Along-track (azimuth offsets, MAI, burst overlap; positive along the flight direction)",
)
COMPONENTS_OPTIONS = (
    "East + up (north assumed zero or known)",
    "East + north + up (3-D; where the tracks' look vectors span 3-D, else nodata)",
    "East + up-north (v_UN along the direction d in the up-north plane the tracks resolve)",
)
DEFAULT_COMPONENTS = 0


class TrackParams:
    """The per-track parameter names of one of the two named tracks."""

    def __init__(self, prefix: str, layer: str, label: str):
        self.prefix, self.layer, self.label = prefix, layer, label
        self.band = f"{prefix}_BAND"
        self.heading = f"{prefix}_HEADING"
        self.incidence = f"{prefix}_INCIDENCE"
        self.sigma = f"{prefix}_SIGMA"
        self.look_side = f"{prefix}_LOOK_SIDE"
        self.kind = f"{prefix}_KIND"


ASC = TrackParams("ASC", ASCENDING, "ascending")
DESC = TrackParams("DESC", DESCENDING, "descending")
TRACKS = (ASC, DESC)

#: (label, value) pairs; the index is the parameter's value.
LOOK_SIDE_OPTIONS = (
    ("From the layer (else right)", None),
    ("Right", geometry.RIGHT),
    ("Left", geometry.LEFT),
)
LOS_SIGN_OPTIONS = (
    ("Positive toward the satellite", geometry.TOWARD),
    ("Positive away from the satellite (range increase)", geometry.AWAY),
)
RESAMPLING_OPTIONS = tuple(m[0] for m in RESAMPLING_METHODS)
COMPRESSION_OPTIONS = tuple(c[1] for c in COMPRESSIONS)

DEFAULT_LOOK_SIDE = 0
DEFAULT_LOS_SIGN = 0
DEFAULT_RESAMPLING_INDEX = RESAMPLING_OPTIONS.index(DEFAULT_RESAMPLING)
DEFAULT_COMPRESSION_INDEX = [c[0] for c in COMPRESSIONS].index(DEFAULT_COMPRESSION)

#: Output parameter -> (core product, layer name)
OUTPUTS = {
    OUTPUT_EAST: (HORIZONTAL, "East velocity"),
    OUTPUT_UP: (UP, "Vertical velocity"),
    OUTPUT_SIGMA_EAST: (SIGMA_HORIZONTAL, "East velocity propagated standard deviation"),
    OUTPUT_SIGMA_UP: (SIGMA_UP, "Vertical velocity propagated standard deviation"),
    OUTPUT_QUALITY: (QUALITY, "Decomposition quality"),
    OUTPUT_NORTH: (NORTH, "North velocity"),
    OUTPUT_SIGMA_NORTH: (SIGMA_NORTH, "North velocity propagated standard deviation"),
    OUTPUT_UN: (UP_NORTH, "Up-north velocity v_UN"),
    OUTPUT_UN_TILT: (UN_TILT, "Tilt of the up-north direction from vertical"),
}

# losdecomp:fill_gaps (INPUT, BAND, COMPRESSION, OUTPUT as below)
FILL_GAPS_ID = f"{PROVIDER_ID}:fill_gaps"
DISTANCE, ITERATIONS = "DISTANCE", "ITERATIONS"

# losdecomp:import_mintpy
INPUT, DATASET, GEOMETRY, OUTPUT = "INPUT", "DATASET", "GEOMETRY", "OUTPUT"
DEFAULT_DATASET = "velocity"

# losdecomp:import_licsbas (INPUT, DATASET, OUTPUT as above)
DEFAULT_LICSBAS_DATASET = "cum"

# losdecomp:project_single_track (INPUT, OUTPUT, LOS_SIGN, TARGET_CRS, RESOLUTION, RESAMPLING,
# HORIZONTAL_AZIMUTH and COMPRESSION as above)
BAND, HEADING, INCIDENCE, LOOK_SIDE, SIGMA = "BAND", "HEADING", "INCIDENCE", "LOOK_SIDE", "SIGMA"
DIRECTION, DEM, MIN_SENSITIVITY, OUTPUT_SIGMA = "DIRECTION", "DEM", "MIN_SENSITIVITY", "OUTPUT_SIGMA"
DIRECTION_OPTIONS = (
    "Vertical (assumes no horizontal motion)",
    "Horizontal along HORIZONTAL_AZIMUTH (assumes no vertical motion)",
    "Downslope from the DEM (assumes motion parallel to the surface, down the slope)",
    "North (along-track offsets: north-south motion, assumes no east motion)",
)
KIND = "KIND"  # losdecomp:project_single_track: the track's kind (KIND_OPTIONS; empty = the layer's tag)
DEFAULT_DIRECTION = 0

# losdecomp:export_timeseries (INPUT, OUTPUT as above)
VARIABLE = "VARIABLE"

# losdecomp:velocity (INPUT, OUTPUT, OUTPUT_SIGMA as above)
START_DATE, END_DATE, MODEL, STEP_DATES = "START_DATE", "END_DATE", "MODEL", "STEP_DATES"
MODEL_OPTIONS = ("Linear", "Linear + annual", "Linear + annual + semi-annual")
DEFAULT_MODEL = 0

# losdecomp:fit_time_functions (INPUT, START_DATE, END_DATE, STEP_DATES, REFERENCE_DATE, COMPRESSION,
# OUTPUT as above)
FIT_TIME_FUNCTIONS_ID = f"{PROVIDER_ID}:fit_time_functions"
POLYNOMIAL, PERIODS, EXP, LOG = "POLYNOMIAL", "PERIODS", "EXP", "LOG"
UNCERTAINTY, BOOTSTRAP_COUNT = "UNCERTAINTY", "BOOTSTRAP_COUNT"
OUTPUT_RESIDUAL_RMS, OUTPUT_MODEL, OUTPUT_RESIDUALS = "OUTPUT_RESIDUAL_RMS", "OUTPUT_MODEL", "OUTPUT_RESIDUALS"
UNCERTAINTY_OPTIONS = (
    "Formal: sqrt(s^2 (A'A)^-1), s^2 = RSS / (n - p)",
    "Bootstrap of the residuals (BOOTSTRAP_COUNT draws, seeded)",
    "Formal inflated for temporally correlated residuals (AR(1), effective sample size)",
)
DEFAULT_POLYNOMIAL, DEFAULT_UNCERTAINTY, DEFAULT_BOOTSTRAP_COUNT = 1, 0, 100

# losdecomp:decompose_timeseries (ASCENDING, DESCENDING, EXTRA_TRACKS, EXTRA_GEOMETRY, the
# tracks' HEADING/INCIDENCE/LOOK_SIDE/SIGMA, LOS_SIGN, TARGET_CRS, RESOLUTION, EXTENT, RESAMPLING,
# MAX_CONDITION, COMPRESSION, OUTPUT_EAST, OUTPUT_UP, OUTPUT_SIGMA_EAST, OUTPUT_SIGMA_UP as above)
DATES, INTERVAL_DAYS, MAX_GAP_DAYS = "DATES", "INTERVAL_DAYS", "MAX_GAP_DAYS"
REFERENCE_DATE, METHOD, REGULARIZATION = "REFERENCE_DATE", "METHOD", "REGULARIZATION"
DATES_OPTIONS = (
    "Every acquisition date of any track inside the common span",
    "A regular interval of INTERVAL_DAYS from the first common date",
    "The ascending track's dates",
)
METHOD_OPTIONS = (
    "Linear interpolation in time, then a per-date inversion",
    "Joint least squares of all acquisitions with temporal smoothing (MSBAS family)",
)
DEFAULT_DATES, DEFAULT_INTERVAL_DAYS, DEFAULT_MAX_GAP_DAYS, DEFAULT_METHOD = 0, 12, 36, 0
DEFAULT_REGULARIZATION = 1.0
#: Output parameter -> (core product, layer name)
TS_OUTPUTS = {
    OUTPUT_EAST: (HORIZONTAL, "East displacement"),
    OUTPUT_UP: (UP, "Vertical displacement"),
    OUTPUT_SIGMA_EAST: (SIGMA_HORIZONTAL, "East displacement propagated standard deviation"),
    OUTPUT_SIGMA_UP: (SIGMA_UP, "Vertical displacement propagated standard deviation"),
    OUTPUT_NORTH: (NORTH, "North displacement"),
    OUTPUT_SIGMA_NORTH: (SIGMA_NORTH, "North displacement propagated standard deviation"),
    OUTPUT_UN: (UP_NORTH, "Up-north displacement v_UN"),
}

# losdecomp:gnss_to_los, losdecomp:reference_to_gnss, losdecomp:compare_to_gnss (INPUT, BAND,
# HEADING, INCIDENCE, LOOK_SIDE, LOS_SIGN, MODEL, OUTPUT and COMPRESSION as above)
GNSS_TO_LOS_ID = f"{PROVIDER_ID}:gnss_to_los"
REFERENCE_TO_GNSS_ID = f"{PROVIDER_ID}:reference_to_gnss"
COMPARE_TO_GNSS_ID = f"{PROVIDER_ID}:compare_to_gnss"
GNSS, GNSS_UNIT, RADIUS, OUTPUT_PLOT = "GNSS", "GNSS_UNIT", "RADIUS", "OUTPUT_PLOT"
VE_FIELD, VN_FIELD, VU_FIELD = "VE_FIELD", "VN_FIELD", "VU_FIELD"
SE_FIELD, SN_FIELD, SU_FIELD = "SE_FIELD", "SN_FIELD", "SU_FIELD"
#: field parameter -> core role
GNSS_FIELDS = {VE_FIELD: "ve", VN_FIELD: "vn", VU_FIELD: "vu", SE_FIELD: "se", SN_FIELD: "sn", SU_FIELD: "su"}
GNSS_UNIT_OPTIONS = ("Same as the track", "mm/year", "m/year")
GNSS_UNIT_VALUES = ("", "mm/year", "m/year")
DEFAULT_GNSS_UNIT = 0
SURFACE_OPTIONS = ("Offset", "Plane", "Quadratic surface")
DEFAULT_SURFACE = 1
BIAS, RMS, COUNT = "BIAS", "RMS", "COUNT"
EAST, UP = "EAST", "UP"
RMS_EAST, RMS_UP = "RMS_EAST", "RMS_UP"

# losdecomp:grid_points (INPUT, HEADING, INCIDENCE, LOOK_SIDE, LOS_SIGN, TARGET_CRS, RESOLUTION,
# EXTENT, COMPRESSION, OUTPUT as above) and losdecomp:decompose_polygons (ASCENDING, DESCENDING,
# EXTRA_TRACKS, the tracks' HEADING/INCIDENCE/LOOK_SIDE, LOS_SIGN, OUTPUT as above)
GRID_POINTS_ID = f"{PROVIDER_ID}:grid_points"
DECOMPOSE_POLYGONS_ID = f"{PROVIDER_ID}:decompose_polygons"
VELOCITY_FIELD, SIGMA_FIELD = "VELOCITY_FIELD", "SIGMA_FIELD"
LOS_EAST_FIELD, LOS_NORTH_FIELD, LOS_UP_FIELD = "LOS_EAST_FIELD", "LOS_NORTH_FIELD", "LOS_UP_FIELD"
#: field parameter -> core role (core.points)
POINT_FIELDS = {VELOCITY_FIELD: "velocity", SIGMA_FIELD: "sigma", LOS_EAST_FIELD: "los_east",
                LOS_NORTH_FIELD: "los_north", LOS_UP_FIELD: "los_up"}  # fmt: skip
STATISTIC, MIN_POINTS, OUTPUT_TIMESERIES, POLYGONS = "STATISTIC", "MIN_POINTS", "OUTPUT_TIMESERIES", "POLYGONS"
STATISTIC_OPTIONS = ("Mean", "Median")

# losdecomp:compare_timeseries_to_gnss (INPUT, HEADING, INCIDENCE, LOOK_SIDE, LOS_SIGN, GNSS, GNSS_UNIT,
# REFERENCE_DATE, RADIUS, OUTPUT, OUTPUT_PLOT as above)
COMPARE_TIMESERIES_TO_GNSS_ID = f"{PROVIDER_ID}:compare_timeseries_to_gnss"
COMPONENT, STEPS_FILE, REFERENCE_STATION, AVERAGE_DAYS = "COMPONENT", "STEPS_FILE", "REFERENCE_STATION", "AVERAGE_DAYS"
REQUIREMENT, BINS, MAX_DISTANCE_KM = "REQUIREMENT", "BINS", "MAX_DISTANCE_KM"
OUTPUT_TABLE, OUTPUT_PAIRS = "OUTPUT_TABLE", "OUTPUT_PAIRS"
RMSE, MEDIAN_STATION_RMSE, STATIONS = "RMSE", "MEDIAN_STATION_RMSE", "STATIONS"
REQUIREMENT_BINS, REQUIREMENT_BINS_PASSED = "REQUIREMENT_BINS", "REQUIREMENT_BINS_PASSED"
COMPONENT_OPTIONS = ("The track's line of sight", "East (a decomposition's)", "Up (a decomposition's)")
SERIES_UNIT_OPTIONS = ("Same as the stack", "mm", "cm", "m")
SERIES_UNIT_VALUES = ("", "mm", "cm", "m")
REQUIREMENT_OPTIONS = ("Transient: 3 (1 + sqrt(L/km)) mm", "Secular: 5 mm/year over 0.1-50 km")

# losdecomp:merge_frames (TARGET_CRS, RESOLUTION, RESAMPLING, COMPRESSION, OUTPUT as above; MODEL
# as in losdecomp:velocity, with its own options; GNSS, its field options, GNSS_UNIT and RADIUS
# as in losdecomp:reference_to_gnss, optional) and losdecomp:remove_plate_motion (INPUT, BAND,
# HEADING, INCIDENCE, LOOK_SIDE, LOS_SIGN, SIGMA, OUTPUT as above)
MERGE_FRAMES_ID = f"{PROVIDER_ID}:merge_frames"
REMOVE_PLATE_MOTION_ID = f"{PROVIDER_ID}:remove_plate_motion"
INPUTS, FIXED_FRAME, OFFSETS = "INPUTS", "FIXED_FRAME", "OFFSETS"
GNSS_RMS_BEFORE, GNSS_RMS_AFTER = "GNSS_RMS_BEFORE", "GNSS_RMS_AFTER"
FRAME_MODEL_OPTIONS = ("Offset per frame", "Offset and plane per frame")
DEFAULT_FRAME_MODEL = 1
PLATE, EULER_POLE, OUTPUT_PLATE_LOS = "PLATE", "EULER_POLE", "OUTPUT_PLATE_LOS"
OFFSET_SIGMAS, RMS_BEFORE, RMS_AFTER = "OFFSET_SIGMAS", "RMS_BEFORE", "RMS_AFTER"

# losdecomp:sample_timeseries (RADIUS, REFERENCE_POINT, REFERENCE_RADIUS, REFERENCE_AREA,
# REFERENCE_DATE, OUTPUT, OUTPUT_PLOT as above) and losdecomp:export_points_timeseries
# (INPUT, OUTPUT as above)
SAMPLE_TIMESERIES_ID = f"{PROVIDER_ID}:sample_timeseries"
EXPORT_POINTS_TIMESERIES_ID = f"{PROVIDER_ID}:export_points_timeseries"
POINTS, POINT, STEP, PLOT_FORMAT = "POINTS", "POINT", "STEP", "PLOT_FORMAT"  # INPUTS as above
PLOT_FORMAT_OPTIONS = ("PNG", "SVG")
