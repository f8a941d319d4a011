"""One track only: LOS motion projected onto one direction, under a stated assumption.

DESIGN.md section 3b. With ``s`` the ground-to-satellite unit vector and ``u`` the unit
direction of the assumed motion, the LOS value is ``d = (s . u) m``, so ``m = d / (s . u)``.
Directions: vertical ``(0, 0, 1)`` (no horizontal motion); horizontal along an azimuth
``phi`` ``(sin phi, cos phi, 0)`` (no vertical motion); downslope
``(cos b sin a, cos b cos a, -sin b)`` with slope ``b`` and aspect ``a`` (the azimuth the
slope faces) from a DEM (motion parallel to the surface, down the slope). Where
``|s . u|`` is below a threshold the projection would amplify noise by ``1 / |s . u|``:
those pixels are nodata.
"""

from typing import Optional

import numpy as np

from ..conventions.errors import ProjectionError  # noqa: F401 (re-exported: raised here)

VERTICAL, HORIZONTAL, DOWNSLOPE, NORTH = 0, 1, 2, 3
DIRECTION_NAMES = {VERTICAL: "vertical", HORIZONTAL: "horizontal", DOWNSLOPE: "downslope", NORTH: "north"}
DEFAULT_MIN_SENSITIVITY = 0.3



def assumption(direction: int, azimuth: Optional[float] = None) -> str:
    """The assumption a projection makes, in words (log, metadata and layer name)."""
    if direction == VERTICAL:
        return "assuming no horizontal motion"
    if direction == HORIZONTAL:
        return f"assuming no vertical motion, horizontal along azimuth {azimuth:g} deg"
    if direction == NORTH:
        return ("assuming no east motion (north-south motion from an along-track track, which does not see up; "
                "a line-of-sight track would also need no vertical motion)")
    return "assuming motion parallel to the surface, down the slope"


def fixed_direction(direction: int, azimuth: Optional[float] = None) -> tuple:
    """The unit vector of a direction that needs no DEM: vertical, horizontal along
    ``azimuth``, or north ``(0, 1, 0)`` (for along-track offsets)."""
    if direction == VERTICAL:
        return (0.0, 0.0, 1.0)
    if direction == NORTH:
        return (0.0, 1.0, 0.0)
    return horizontal_direction(azimuth)


def check_min_sensitivity(value: float) -> None:
    """ProjectionError unless 0 < value <= 1."""
    if not (value > 0 and value <= 1):
        raise ProjectionError(f"the minimum sensitivity must be in (0, 1], not {value:g}")


def horizontal_direction(azimuth: float) -> tuple:
    """Unit vector of horizontal motion along ``azimuth`` (degrees clockwise from north)."""
    phi = np.radians(azimuth)
    return (float(np.sin(phi)), float(np.cos(phi)), 0.0)


def slope_aspect(dem: np.ndarray, dx: object, dy: float) -> tuple:
    """(slope, aspect) in radians of the inner pixels of ``dem`` (a block with a one-pixel
    halo; north-up rows), by Horn's 3x3 method. ``dx`` (scalar or one value per row of
    the result) and ``dy`` are the pixel sizes in the DEM's height unit. Aspect is the
    azimuth the slope faces (downhill), clockwise from north; NaN where the ground is
    flat or a neighbour is nodata."""
    z = np.asarray(dem, dtype=np.float64)
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dx = np.asarray(dx, dtype=np.float64)
    dx = dx[:, None] if dx.ndim == 1 else dx
    dz_east = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx)
    dz_north = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * dy)
    grad = np.hypot(dz_east, dz_north)
    slope = np.arctan(grad)
    with np.errstate(invalid="ignore"):
        aspect = np.where(grad > 0, np.arctan2(-dz_east, -dz_north), np.nan)
    return slope, aspect


def downslope_direction(slope: np.ndarray, aspect: np.ndarray) -> tuple:
    """Unit vector of motion parallel to the surface, down the slope."""
    cos_b = np.cos(slope)
    return (cos_b * np.sin(aspect), cos_b * np.cos(aspect), -np.sin(slope))


def sensitivity(s: tuple, u: tuple) -> object:
    """``s . u``: the LOS value of a unit motion along ``u``."""
    return s[0] * u[0] + s[1] * u[1] + s[2] * u[2]


def project(los: np.ndarray, sens: object, min_sensitivity: float, sigma: object = None) -> tuple:
    """(motion, sigma of the motion or None): ``los / sens``, NaN where ``|sens|`` is below
    ``min_sensitivity``. ``los`` is positive toward the satellite."""
    sens = np.asarray(sens, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.abs(sens) >= min_sensitivity
        motion = np.where(ok, los / np.where(ok, sens, 1), np.nan).astype(np.float32)
        sig = None
        if sigma is not None:
            sig = np.where(ok & np.isfinite(motion), sigma / np.abs(np.where(ok, sens, 1)), np.nan)
            sig = sig.astype(np.float32)
    return motion, sig
