"""Rigid plate motion (numpy only): v = omega x r on the WGS84 ellipsoid at zero height,
rotated to local east/north/up at the geodetic latitude and longitude (the vertical is kept,
as MintPy's ``plate_motion.py`` keeps it: it is small but not zero on the ellipsoid), then
projected on a track's ground-to-satellite unit vector with the track's LOS sign.

A pole is given as a plate of a published model (``MODEL:Plate``, see ``plate_tables``), as
``lat,lon,rate`` (degrees, degrees per million years, right-hand rule: positive rotation is
anticlockwise seen from above the pole) or as ``wx,wy,wz mas/yr`` (Cartesian rotation rates
about the ITRF X, Y, Z axes, milli-arcseconds per year).
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from ..conventions import units
from ..conventions.errors import PlateError
from . import plate_tables

#: A scalar or an array (the functions broadcast).
Values = Union[float, np.ndarray]

#: Metadata item naming the plate model (or pole) removed, with its rotation rates.
TAG_PLATE_MODEL = "LOSDECOMP_PLATE_MODEL"

#: WGS84 semi-major axis (m) and first eccentricity squared.
WGS84_A = 6378137.0
WGS84_E2 = 6.69437999014e-3
#: One milli-arcsecond in radians; one degree per million years in mas per year.
MAS = math.pi / 180.0 / 3.6e6
DEG_PER_MYR_IN_MAS_PER_YR = 3.6


@dataclass(frozen=True)
class Pole:
    """An Euler pole as Cartesian rotation rates (mas/yr), the origin rate bias to add to the
    horizontal velocities (mm/yr, X/Y/Z, or None) and what it is, in words."""

    wx: float
    wy: float
    wz: float
    orb: Optional[tuple] = None
    description: str = ""

    @property
    def geographic(self) -> tuple:
        """(pole latitude, pole longitude in degrees, rate in deg/Myr)."""
        w = math.sqrt(self.wx**2 + self.wy**2 + self.wz**2)
        lat = math.degrees(math.atan2(self.wz, math.hypot(self.wx, self.wy)))
        lon = math.degrees(math.atan2(self.wy, self.wx))
        return lat, lon, w / DEG_PER_MYR_IN_MAS_PER_YR


def model_plates(model: str) -> list:
    """The plate names of ``model`` as it spells them."""
    return list(plate_tables.MODELS[model][0])


def plate_names() -> list:
    """Every ``MODEL:Plate`` the plugin knows, for the help and the refusal messages."""
    return [f"{m}:{p}" for m in plate_tables.MODELS for p in model_plates(m)]


#: Other spellings of the models' plate names: MintPy's ``plate_motion.py`` spells Antarctica
#: "Antartica" (its ITRF2014 table), so a name copied from it is read as meant.
ALIASES = {"antartica": "antarctica"}

#: Three numbers all within this (degrees, deg/Myr) read as lat,lon,rate would put the pole
#: within 2 degrees of (0, 0): far likelier Cartesian rates (mas/yr) without their suffix.
CARTESIAN_LOOKALIKE = 2.0


def _key(text):
    key = re.sub(r"[\s_\-]", "", text).lower()
    return ALIASES.get(key, key)


def plate_pole(text: str) -> Pole:
    """The pole of ``MODEL:Plate`` (no prefix: ITRF2014-PMM); the plate by its name or its
    abbreviation, case and spaces ignored. PlateError listing the valid names otherwise."""
    model, _, plate = text.strip().rpartition(":")
    model = model.strip() or plate_tables.DEFAULT_MODEL
    models = {_key(m): m for m in plate_tables.MODELS}
    if _key(model) not in models:
        raise PlateError(f"plate model {model!r} is unknown: one of {', '.join(plate_tables.MODELS)}")
    model = models[_key(model)]
    table, orb, citation = plate_tables.MODELS[model]
    for name, (abbrev, wx, wy, wz, *_) in table.items():
        if _key(plate) in (_key(name), _key(abbrev)):
            words = f"{model}:{name} ({citation})" + (f", origin rate bias {orb} mm/yr added" if orb else "")
            return Pole(wx, wy, wz, orb, words)
    raise PlateError(f"plate {plate!r} is not in {model}: one of {', '.join(table)}")


_NUMBER = r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"


def parse_pole(text: str) -> Pole:
    """A pole from ``lat,lon,rate`` (degrees, deg/Myr, right-hand rule) or ``wx,wy,wz mas/yr``.
    PlateError saying both forms otherwise."""
    forms = "give 'lat,lon,rate' (degrees, degrees per million years) or 'wx,wy,wz mas/yr'"
    raw = text.strip()
    cartesian = re.fullmatch(rf"{_NUMBER},{_NUMBER},{_NUMBER}\s*mas\s*/\s*yr", raw, flags=re.IGNORECASE)
    if cartesian:
        wx, wy, wz = (float(v) for v in cartesian.groups())
        return Pole(wx, wy, wz, None, f"Euler pole wx {wx:g}, wy {wy:g}, wz {wz:g} mas/yr")
    spherical = re.fullmatch(rf"{_NUMBER},{_NUMBER},{_NUMBER}", raw)
    if not spherical:
        raise PlateError(f"Euler pole {text!r} cannot be read: {forms}")
    lat, lon, rate = (float(v) for v in spherical.groups())
    suffix = "three numbers without the 'mas/yr' suffix are read as lat,lon,rate"
    if not (-90.0 <= lat <= 90.0 and -360.0 <= lon <= 360.0):
        raise PlateError(f"Euler pole {text!r}: latitude {lat:g} or longitude {lon:g} out of range ({suffix}; {forms})")
    if max(abs(lat), abs(lon), abs(rate)) <= CARTESIAN_LOOKALIKE:
        raise PlateError(f"Euler pole {text!r}: {suffix}, which puts the pole within {CARTESIAN_LOOKALIKE:g} "
                         "degrees of (0, 0); these look like Cartesian rates: add ' mas/yr' (a pole that near "
                         "(0, 0) is given in that form too)")  # fmt: skip
    w = rate * DEG_PER_MYR_IN_MAS_PER_YR
    phi, lam = math.radians(lat), math.radians(lon)
    wx, wy, wz = w * math.cos(phi) * math.cos(lam), w * math.cos(phi) * math.sin(lam), w * math.sin(phi)
    return Pole(wx, wy, wz, None, f"Euler pole lat {lat:g}, lon {lon:g}, rate {rate:g} deg/Myr")


def ecef(lat: np.ndarray, lon: np.ndarray) -> tuple:
    """Geocentric X, Y, Z (m) of geodetic latitudes and longitudes (degrees) at zero height on WGS84."""
    phi, lam = np.radians(lat), np.radians(lon)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * np.sin(phi) ** 2)
    return n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1.0 - WGS84_E2) * np.sin(phi)


def to_enu(vx: Values, vy: Values, vz: Values, lat: Values, lon: Values) -> tuple:
    """A geocentric vector rotated to local east, north, up at geodetic (lat, lon) in degrees."""
    phi, lam = np.radians(lat), np.radians(lon)
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    east = -sl * vx + cl * vy
    north = -sp * cl * vx - sp * sl * vy + cp * vz
    up = cp * cl * vx + cp * sl * vy + sp * vz
    return east, north, up


def velocity_enu(pole: Pole, lat: Values, lon: Values) -> tuple:
    """(east, north, up) velocity in metres per year of the plate at (lat, lon), degrees:
    omega x r, plus the pole's origin rate bias on east and north only."""
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    x, y, z = ecef(lat, lon)
    wx, wy, wz = pole.wx * MAS, pole.wy * MAS, pole.wz * MAS
    east, north, up = to_enu(wy * z - wz * y, wz * x - wx * z, wx * y - wy * x, lat, lon)
    if pole.orb is not None:
        oe, on, _ = to_enu(*(t * 1e-3 for t in pole.orb), lat, lon)
        east, north = east + oe, north + on
    return east, north, up


def los(pole: Pole, lat: Values, lon: Values, s: tuple, sign: float = 1.0, horizontal_only: bool = False) -> Values:
    """The plate's velocity (m/yr) along the ground-to-satellite unit vector ``s`` (per pixel or
    constant), times ``sign`` (``geometry.sign_factor`` of the track: -1 for positive away)."""
    east, north, up = velocity_enu(pole, lat, lon)
    if horizontal_only:
        up = 0.0
    return sign * (s[0] * east + s[1] * north + s[2] * up)


def pole_of(plate_name: str, euler_pole: str) -> Pole:
    """The pole of ``PLATE`` or ``EULER_POLE`` (exactly one of them)."""
    if plate_name and euler_pole:
        raise PlateError("give PLATE or EULER_POLE, not both")
    if plate_name:
        return plate_pole(plate_name)
    if euler_pole:
        return parse_pole(euler_pole)
    raise PlateError("give a PLATE (MODEL:Plate, e.g. ITRF2014-PMM:Eurasia) or an EULER_POLE")


def metadata(pole: Pole) -> str:
    """The value of ``LOSDECOMP_PLATE_MODEL``: the model or pole in words and its numbers."""
    lat, lon, rate = pole.geographic
    return json.dumps({"model": pole.description, "wx_wy_wz_mas_per_yr": [pole.wx, pole.wy, pole.wz],
                       "pole_lat_lon_deg_rate_deg_per_myr": [lat, lon, rate], "origin_rate_bias_mm_per_yr": pole.orb,
                       "velocity": "omega x r on the WGS84 ellipsoid at zero height, vertical kept; "
                                   "plate boundaries not checked"})  # fmt: skip


def unit_factor(unit: str, name: str) -> float:
    """The factor from metres per year to ``unit`` (a velocity unit); PlateError naming
    ``name`` when the unit is unknown or not a velocity."""
    if not unit:
        raise PlateError(f"{name}: its unit is unknown (no INSAR_UNIT or band unit): the plate velocity cannot be "
                         "expressed in it; tag the layer's unit (e.g. mm/year)")  # fmt: skip
    f = units.factor("m/year", unit)
    if f is None:
        raise PlateError(f"{name}: its unit {unit} is not a velocity: plate motion is removed from velocities only")
    return f
