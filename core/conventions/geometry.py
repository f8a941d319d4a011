"""Viewing-geometry conventions: every product's angles become one LOS unit vector.

The unit vector ``s = (sE, sN, sU)`` points from the ground pixel to the satellite
(DESIGN.md section 2). Each convention found in products is converted in exactly one
function below. All functions accept scalars or numpy arrays (broadcasting) and return
a tuple of three arrays/floats. Angles are in degrees unless the name says radians.
"""

from typing import Union

import numpy as np

#: A scalar or an array of values (the functions below broadcast).
Values = Union[float, np.ndarray]

RIGHT = "right"
LEFT = "left"
LOOK_SIDES = (RIGHT, LEFT)

TOWARD = "toward"
AWAY = "away"
LOS_SIGNS = (TOWARD, AWAY)


def _check_look_side(look_side):
    if look_side not in LOOK_SIDES:
        raise ValueError(f"look side must be 'right' or 'left', not {look_side!r}")


def from_heading_incidence(heading: Values, incidence: Values, look_side: str = RIGHT) -> tuple:
    """Unit vector from the flight heading (clockwise from north) and the incidence angle."""
    _check_look_side(look_side)
    h = np.radians(heading)
    t = np.radians(incidence)
    sin_t = np.sin(t)
    side = 1.0 if look_side == RIGHT else -1.0
    return (-side * np.cos(h) * sin_t, side * np.sin(h) * sin_t, np.cos(t))


def to_heading_incidence(s_east: Values, s_north: Values, s_up: Values, look_side: str = RIGHT) -> tuple:
    """Inverse of :func:`from_heading_incidence`: heading in [0, 360), incidence."""
    _check_look_side(look_side)
    side = 1.0 if look_side == RIGHT else -1.0
    heading = np.degrees(np.arctan2(side * s_north, -side * s_east)) % 360.0
    incidence = np.degrees(np.arccos(np.clip(s_up, -1.0, 1.0)))
    return heading, incidence


def from_mintpy_azimuth(azimuth_angle: Values, incidence: Values) -> tuple:
    """MintPy ``azimuthAngle``: azimuth of the ground-to-satellite vector, from north,
    anticlockwise (Sentinel-1 ascending is about +102)."""
    a = np.radians(azimuth_angle)
    t = np.radians(incidence)
    sin_t = np.sin(t)
    return (-np.sin(a) * sin_t, np.cos(a) * sin_t, np.cos(t))


def from_aria_azimuth(azimuth_angle: Values, incidence: Values) -> tuple:
    """ARIA ``azimuthAngle`` (also in MintPy files loaded from ARIA): azimuth of the
    ground-to-satellite vector, from east, anticlockwise."""
    a = np.radians(azimuth_angle)
    t = np.radians(incidence)
    sin_t = np.sin(t)
    return (np.cos(a) * sin_t, np.sin(a) * sin_t, np.cos(t))


def from_enu(s_east: Values, s_north: Values, s_up: Union[Values, None] = None) -> tuple:
    """LiCSAR/LiCSBAS ``E``, ``N``, ``U`` rasters: the components of ``s`` themselves.

    When ``U`` is absent it is completed from the unit norm (the satellite is above the
    horizon, so ``U`` is positive).
    """
    s_east, s_north = _float_array(s_east), _float_array(s_north)
    if s_up is None:
        s_up = np.sqrt(np.clip(1 - s_east**2 - s_north**2, 0, None))
    return (s_east, s_north, _float_array(s_up))


def _float_array(x):
    """As an array, keeping float32 rasters float32 (halves memory and time per block)."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def from_elevation_azimuth_east(elevation_rad: Values, azimuth_east_rad: Values) -> tuple:
    """Look vector (pixel to sensor) as elevation above the horizontal and azimuth of its
    horizontal projection from east, anticlockwise, both in radians.

    This is HyP3's ``lv_theta`` / ``lv_phi`` and kite's ``theta`` / ``phi``.
    """
    cos_el = np.cos(elevation_rad)
    return (cos_el * np.cos(azimuth_east_rad), cos_el * np.sin(azimuth_east_rad), np.sin(elevation_rad))


from_hyp3_look_vector = from_elevation_azimuth_east
from_kite = from_elevation_azimuth_east


def heading_from_aria_azimuth(azimuth_angle: Values, look_side: str = RIGHT) -> Values:
    """Flight heading implied by an ARIA-convention azimuth angle."""
    _check_look_side(look_side)
    offset = 180.0 if look_side == RIGHT else 0.0
    return (offset - np.asarray(azimuth_angle, dtype=np.float64)) % 360.0


def heading_from_mintpy_azimuth(azimuth_angle: Values, look_side: str = RIGHT) -> Values:
    """Flight heading implied by a MintPy-convention azimuth angle (a = 90 - h, right-looking)."""
    _check_look_side(look_side)
    offset = 90.0 if look_side == RIGHT else -90.0
    return (offset - np.asarray(azimuth_angle, dtype=np.float64)) % 360.0


#: Functions that turn a convention's values (floats or arrays) into (sE, sN, sU).
CONVENTIONS = {
    "enu": from_enu,
    "heading_incidence_right": lambda h, t: from_heading_incidence(h, t, RIGHT),
    "heading_incidence_left": lambda h, t: from_heading_incidence(h, t, LEFT),
    "mintpy_azimuth": from_mintpy_azimuth,
    "aria_azimuth": from_aria_azimuth,
    "look_vector_radians": from_elevation_azimuth_east,
}


def unit_vector(convention: str, *values) -> tuple:
    """(sE, sN, sU) of a convention's values; three E/N/U values are renormalised, as
    rasters resampled to another grid are no longer exactly unit vectors."""
    s = CONVENTIONS[convention](*values)
    if convention == "enu" and len(values) == 3:
        norm = np.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2)
        s = tuple(c / norm for c in s)
    return s


def pass_direction(heading: float) -> str:
    """``ascending`` or ``descending`` from a flight heading (descending flies southward)."""
    return "descending" if 90.0 < float(heading) % 360.0 < 270.0 else "ascending"


def sign_factor(los_sign: str) -> float:
    """Factor that turns LOS values of the given sign into the 'toward the satellite' sign."""
    if los_sign == TOWARD:
        return 1.0
    if los_sign == AWAY:
        return -1.0
    raise ValueError(f"LOS sign must be 'toward' or 'away', not {los_sign!r}")


def forward(s: tuple, east: Values, north: Values, up: Values) -> Values:
    """LOS velocity, positive toward the satellite, of an ENU velocity seen along ``s``."""
    return s[0] * east + s[1] * north + s[2] * up


# -- track kinds (DESIGN.md section 3c) ---------------------------------------------------

#: A track's kind: a line-of-sight measurement (interferometric phase, range offsets), or an
#: along-track one (azimuth pixel offsets, multiple-aperture interferometry, burst-overlap
#: interferometry) whose unit vector is the flight direction.
LINE_OF_SIGHT = "los"
ALONG_TRACK = "along-track"
TRACK_KINDS = (LINE_OF_SIGHT, ALONG_TRACK)


def track_kind(value: object) -> str:
    """The kind named by ``value``: 0 / ``los`` / ``line of sight`` or 1 / ``along-track``
    / ``along`` / ``azimuth`` (case and separators ignored); ValueError otherwise."""
    text = str(value).strip().lower().replace("_", "-").replace(" ", "-")
    if text in ("0", "los", "line-of-sight", "lineofsight"):
        return LINE_OF_SIGHT
    if text in ("1", "along-track", "alongtrack", "along", "azimuth"):
        return ALONG_TRACK
    raise ValueError(f"track kind must be 0 (line of sight) or 1 (along-track), not {value!r}")


def along_track_unit_vector(heading: Values) -> tuple:
    """Unit vector of an along-track measurement: the flight direction ``(sin h, cos h, 0)``
    for heading ``h`` (clockwise from north); a value is positive when the ground moves
    along the flight direction. Incidence, look side and LOS sign do not apply."""
    h = np.radians(heading)
    return (np.sin(h), np.cos(h), np.zeros_like(h) if np.ndim(h) else 0.0)
