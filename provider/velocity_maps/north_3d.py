"""The parameters of north and full 3-D (issue 34) that ``losdecomp:decompose`` and
``losdecomp:decompose_timeseries`` share: track kinds, sigmas of extra tracks, the
along-track sigma constant and COMPONENTS (a helper of the algorithms, not one itself)."""

from qgis.core import QgsProcessing, QgsProcessingException, QgsProcessingParameterEnum

from ...core.conventions import geometry
from ...core.plan import track_kinds
from .. import names as n
from ..base import tr
from ..parameters import RasterFilesParameter, enum_parameter, number_parameter

#: The help text's paragraph on kinds and components (every definition of DESIGN.md section 3c).
HELP = (
    "North and 3-D. Track kinds: ASC_KIND / DESC_KIND 0 line of sight, 1 along-track (azimuth pixel offsets, "
    "multiple-aperture interferometry, burst-overlap interferometry): unit vector the flight direction (sin h, cos h, "
    "0) for heading h, values positive along the flight direction; incidence, look side and LOS_SIGN do not apply. "
    "Empty: the layer's tag INSAR_KIND=along-track, else line of sight. Extra tracks: an optional last field 'along' "
    "in EXTRA_GEOMETRY ('heading,incidence[,left|right][,along]'; the incidence of an along-track entry may be empty "
    "and is ignored). An along-track track needs an a-priori standard deviation (a sigma band or sidecar, the "
    "track's SIGMA, EXTRA_SIGMAS rasters in the order of EXTRA_TRACKS, or the constant ALONG_TRACK_SIGMA in the "
    "tracks' unit), and then every track needs one: along-track data are much noisier than LOS data, so the "
    "weights matter; without them the run is refused.\n"
    "COMPONENTS 0: east + up, north assumed zero or known (as before). COMPONENTS 1: east + north + up by weighted "
    "least squares where the pixel's look vectors span 3-D: at least three valid tracks and cond(G) of their unit "
    "vectors [sE sN sU] (unweighted) at most MAX_CONDITION; elsewhere all three are nodata, never a silently 2-D "
    "answer (ascending + descending LOS alone never resolve north: the run is refused). OUTPUT_NORTH and "
    "OUTPUT_SIGMA_NORTH (propagated) hold north. COMPONENTS 2: east + up-north. Two tracks see only the plane P of "
    "their look vectors s1, s2; P meets the up-north plane in one direction d, per pixel along (0, -n_U, n_N) for "
    "n = s1 x s2, pointing up. OUTPUT_UP then holds v_UN = v . d, the motion along d, exact whatever the north; the "
    "east estimate absorbs a leak of north (LOSDECOMP_UN_EAST_LEAK, per unit north). The tilt of d from the vertical "
    "(degrees, positive toward north) is in the metadata LOSDECOMP_UN_TILT_DEG (median) and per pixel in "
    "OUTPUT_UN_TILT. With a known north (NORTH_VELOCITY or NORTH_VELOCITY_CONSTANT, NORTH_SIGMA), OUTPUT_UP holds "
    "the up split from v_UN, vU = (v_UN - dN vN) / dU, its propagated sigma including the north's, and v_UN goes to "
    "OUTPUT_UN (Ou et al. 2022 do this with a per-track approximation c = sqrt(sN^2 + sU^2); d here is exact). "
    "With three or more tracks d is the up-north direction they resolve best once east is free (the largest "
    "eigenvector of the Schur complement of east in the weighted normal matrix G'WG: it depends on the weights), and "
    "v_UN = v . d is exact for any tracks and weights. The "
    "quality output then has seven bands: cond(G) compared with MAX_CONDITION, tracks used, residual RMS, the "
    "east-up (east-v_UN) correlation, the 3-D cond of the unit vectors, the east-north and north-up correlations."
)


def kind_parameters() -> list:
    """ASC_KIND and DESC_KIND: optional (empty = the layer's INSAR_KIND tag, else line of sight)."""
    return [QgsProcessingParameterEnum(t.kind, tr(f"{t.label.capitalize()} track kind (empty = the layer's "
                                                  "INSAR_KIND tag, else line of sight)"),
                                       list(n.KIND_OPTIONS), optional=True)  # fmt: skip
            for t in n.TRACKS]


def advanced_parameters() -> list:
    """EXTRA_SIGMAS, ALONG_TRACK_SIGMA and COMPONENTS."""
    return [
        RasterFilesParameter(n.EXTRA_SIGMAS, tr("Extra tracks' standard deviations (rasters in the order of the "
                                                "extra tracks)"), QgsProcessing.SourceType.TypeRaster,
                             optional=True),  # fmt: skip
        number_parameter(n.ALONG_TRACK_SIGMA, "Standard deviation of along-track tracks that have none (tracks' "
                         "unit)", optional=True, minValue=0.0),  # fmt: skip
        enum_parameter(n.COMPONENTS, "Components", n.COMPONENTS_OPTIONS, n.DEFAULT_COMPONENTS, optional=True),
    ]


def track_kind(alg: object, parameters: dict, name: str, context: object) -> object:
    """The kind a track's KIND parameter chose, None when left empty."""
    if parameters.get(name) in (None, "", []):
        return None
    return (geometry.LINE_OF_SIGHT, geometry.ALONG_TRACK)[alg.parameterAsEnum(parameters, name, context)]


def parse_entry(label: str, entry: str) -> tuple:
    """(heading, incidence, look side, kind) of an EXTRA_GEOMETRY entry
    ``heading,incidence[,left|right][,along]`` (``track_kinds.parse_entry``, its error as a
    Processing one)."""
    try:
        return track_kinds.parse_entry(label, entry)
    except ValueError as exc:
        raise QgsProcessingException(str(exc)) from None


def extra_sigma(sigmas: list, i: int) -> object:
    """The i-th extra track's sigma raster path (None when fewer were given)."""
    return sigmas[i][0] if i < len(sigmas) else None
