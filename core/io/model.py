"""The data model shared by planning, the engine and the readers: raster references,
track geometry, tracks, a decomposition job, its products and what a run reports."""

from dataclasses import dataclass, field
from typing import Optional, Union

from ..conventions import geometry
from ..conventions.limits import DEFAULT_MAX_CONDITION
from ..conventions.uncertainty import PROPAGATED, TAG_SIGMA_KIND, label
from .writer import DEFAULT_COMPRESSION, BandSpec

#: Percentile of |value| up to which a signed result's colour ramp runs: a small deep bowl
#: (Coso: 1 % of the scene, 15 mm/year deep) keeps its gradient; the 98th percentile
#: saturated it at a quarter of its depth.
COLOUR_PERCENTILE = 99.9

#: Pixels per processing window: about 100 MB of working memory with per-pixel geometry.
DEFAULT_BLOCK_PIXELS = 1 << 19

HORIZONTAL, UP, SIGMA_HORIZONTAL, SIGMA_UP, QUALITY = "horizontal", "up", "sigma_horizontal", "sigma_up", "quality"
#: Products of COMPONENTS 1 (north) and COMPONENTS 2 (v_UN and the tilt of its direction) (DESIGN.md section 3c).
NORTH, SIGMA_NORTH, UP_NORTH, UN_TILT = "north", "sigma_north", "up_north", "up_north_tilt"
PRODUCTS = (HORIZONTAL, UP, SIGMA_HORIZONTAL, SIGMA_UP, QUALITY, NORTH, SIGMA_NORTH, UP_NORTH, UN_TILT)
#: The quality product's bands: (key, description, unit; None = the tracks' unit).
QUALITY_BANDS = (
    ("condition", "Condition number of G (geometry only)", ""),
    ("n_tracks", "Number of tracks used", ""),
    ("residual_rms", "Residual RMS of the LOS fit (3 or more tracks)", None),
    ("correlation", "Correlation of the horizontal and vertical estimates", ""),
)
#: The quality bands of COMPONENTS 1 and 2: the four above, then these.
QUALITY_BANDS_3D = QUALITY_BANDS + (
    ("condition_3d", "Condition number of the unit vectors [sE sN sU] (3-D, geometry only; 3 or more tracks)", ""),
    ("correlation_en", "Correlation of the east and north estimates (COMPONENTS 1)", ""),
    ("correlation_nu", "Correlation of the north and up estimates (COMPONENTS 1)", ""),
)


@dataclass(frozen=True)
class RasterRef:
    """One band of a raster file; ``scale`` multiplies its values (unit conversion)."""

    path: str
    band: int = 1
    label: str = ""
    scale: float = 1.0

    @property
    def name(self) -> str:
        return self.label or self.path


@dataclass(frozen=True)
class ConstantGeometry:
    """Single-valued geometry as a ground-to-satellite unit vector."""

    s_east: float
    s_north: float
    s_up: float
    source: str = ""


@dataclass(frozen=True)
class RasterGeometry:
    """Per-pixel geometry: the values of a convention (``geometry.CONVENTIONS``), each a
    RasterRef or a constant."""

    convention: str
    components: tuple
    source: str = ""

    def __post_init__(self):
        if self.convention not in geometry.CONVENTIONS:
            raise ValueError(f"unknown geometry convention {self.convention!r}")


@dataclass
class TrackSpec:
    """One track as the engine reads it: velocity, geometry, sign and optional sigma."""

    name: str
    velocity: RasterRef
    geometry: Union[ConstantGeometry, RasterGeometry]
    los_sign: str = geometry.TOWARD
    sigma: Union[RasterRef, float, None] = None
    kind: str = geometry.LINE_OF_SIGHT  # or geometry.ALONG_TRACK (DESIGN.md section 3c)


@dataclass
class NorthSpec:
    """A known north velocity (raster or constant, in the common unit) and its sigma."""

    velocity: Union[RasterRef, float]
    sigma: Union[RasterRef, float, None] = None


@dataclass
class Job:
    """Everything a decomposition run needs, validated by ``plan``."""

    tracks: list
    grid: object  # grid.Grid
    outputs: dict  # product -> path
    resampling: str = "bilinear"
    north: Optional[NorthSpec] = None
    horizontal_azimuth: Optional[float] = None
    max_condition: float = DEFAULT_MAX_CONDITION
    components: int = 0  # 0 east + up, 1 east + north + up, 2 east + up-north (DESIGN.md section 3c)
    unit: str = ""
    metadata: dict = field(default_factory=dict)
    block_pixels: int = DEFAULT_BLOCK_PIXELS
    reference: object = None  # a reference.ReferenceArea: each track's median there is subtracted
    compression: str = DEFAULT_COMPRESSION
    plate: object = None  # a solve.plate.Pole whose LOS velocity is removed from every track (None: none)


@dataclass
class Summary:
    """What a run did: outputs written, pixels resolved, inputs warped, offsets applied,
    and a robust colour limit (:data:`COLOUR_PERCENTILE` of |value|) per product for styling."""

    outputs: dict
    pixels: int = 0
    resolved: int = 0
    warped_inputs: list = field(default_factory=list)
    reference_offsets: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)


def input_refs(job: Job) -> list:
    """Every raster the job reads."""
    refs = []
    for t in job.tracks:
        refs.append(t.velocity)
        if isinstance(t.geometry, RasterGeometry):
            refs += [c for c in t.geometry.components if isinstance(c, RasterRef)]
        if isinstance(t.sigma, RasterRef):
            refs.append(t.sigma)
    if job.north is not None:
        refs += [x for x in (job.north.velocity, job.north.sigma) if isinstance(x, RasterRef)]
    return refs


def horizontal_label(azimuth: Optional[float]) -> str:
    """Name of the horizontal velocity solved for."""
    return "East velocity" if azimuth is None else f"Horizontal velocity along azimuth {azimuth:g} deg"


#: Band metadata of a decomposed component's sigma: propagated from the tracks' a-priori sigmas.
SIGMA_KIND = {TAG_SIGMA_KIND: PROPAGATED}


def band_specs(job: Job) -> dict:
    """The bands of each product (description, unit, band metadata)."""
    h = horizontal_label(job.horizontal_azimuth)
    unit = job.unit
    specs = {
        HORIZONTAL: [BandSpec(h, unit)],
        UP: [BandSpec("Vertical (up) velocity", unit)],
        SIGMA_HORIZONTAL: [BandSpec(label(PROPAGATED, f"the {h[0].lower()}{h[1:]}"), unit, SIGMA_KIND)],
        SIGMA_UP: [BandSpec(label(PROPAGATED, "the vertical velocity"), unit, SIGMA_KIND)],
        QUALITY: [BandSpec(desc, unit if u is None else u, {"QUALITY": key}) for key, desc, u in QUALITY_BANDS],
    }
    if job.components:
        specs.update(_component_specs(job, unit))
    return specs


#: What OUTPUT_UP holds under COMPONENTS 2 without a known north.
UP_NORTH_WORDS = ("Up-north velocity v_UN: the motion along the direction d in the up-north plane the tracks resolve "
                  "(= the true velocity projected on d, whatever the north; d's tilt from vertical in up_north_tilt)")


def _component_specs(job, unit):
    """The bands that COMPONENTS 1 and 2 add or change."""
    specs = {
        NORTH: [BandSpec("North velocity", unit)],
        SIGMA_NORTH: [BandSpec(label(PROPAGATED, "the north velocity"), unit, SIGMA_KIND)],
        UP_NORTH: [BandSpec(UP_NORTH_WORDS, unit)],
        UN_TILT: [BandSpec("Tilt of the up-north direction d from the vertical (degrees, positive toward north)",
                           "degree")],  # fmt: skip
        QUALITY: [BandSpec(desc, unit if u is None else u, {"QUALITY": key}) for key, desc, u in QUALITY_BANDS_3D],
    }
    specs[QUALITY][0] = BandSpec(
        "Condition number of G (geometry only): the 3-D unit vectors" if job.components == 1 else
        "Condition number of G (geometry only): columns sE and s.d", "", {"QUALITY": "condition"})  # fmt: skip
    if job.components == 2:
        specs[QUALITY][3] = BandSpec("Correlation of the east and v_UN estimates", "", {"QUALITY": "correlation"})
        if job.north is None:
            specs[UP] = [BandSpec(UP_NORTH_WORDS, unit)]
            specs[SIGMA_UP] = [BandSpec(label(PROPAGATED, "the up-north velocity v_UN"), unit, SIGMA_KIND)]
        else:
            specs[UP] = [BandSpec("Vertical (up) velocity split from v_UN with the known north (Ou et al. 2022)",
                                  unit)]  # fmt: skip
    return specs
