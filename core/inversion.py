"""Weighted least-squares inversion of LOS velocities for a horizontal and a vertical component.

DESIGN.md section 3. For each pixel, the tracks valid there form ``G`` with rows
``(a_i, s_iU)`` where ``a_i`` is the track's sensitivity to the horizontal direction
solved for (``s_iE`` for east, ``s_iE sin(phi) + s_iN cos(phi)`` for an azimuth ``phi``).
The 2x2 normal equations are solved in closed form, vectorised over whole blocks.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np

#: cond(G) above which a pixel is left as nodata. Sentinel-1 ascending + descending is
#: about 1.3 to 1.6; 10 means a LOS error can be amplified ten times more in one
#: component than in the other.
DEFAULT_MAX_CONDITION = 10.0

# A track counts as east- or west-looking only when its horizontal sensitivity is
# clearly non-zero.
_LOOK_EPS = 1e-6


@dataclass
class TrackBlock:
    """One track over a block of pixels (arrays broadcastable to a common shape).

    ``los`` is positive toward the satellite, in the common unit; NaN marks nodata.
    ``s_east``, ``s_north``, ``s_up`` is the ground-to-satellite unit vector (scalars
    for single-valued geometry or arrays for per-pixel geometry). ``sigma`` is the LOS
    standard deviation (scalar or array, same unit as ``los``) or None.
    """

    los: np.ndarray
    s_east: object
    s_north: object
    s_up: object
    sigma: object = None


@dataclass
class Solution:
    """Per-pixel results; NaN where the pixel is not resolved."""

    horizontal: np.ndarray
    up: np.ndarray
    sigma_horizontal: Optional[np.ndarray]
    sigma_up: Optional[np.ndarray]
    correlation: np.ndarray
    condition: np.ndarray
    n_tracks: np.ndarray
    residual_rms: np.ndarray


def horizontal_sensitivity(s_east, s_north, azimuth=None):
    """Sensitivity of a track to horizontal motion along ``azimuth`` (degrees clockwise
    from north); east when ``azimuth`` is None."""
    if azimuth is None:
        return s_east
    phi = np.radians(azimuth)
    return s_east * np.sin(phi) + s_north * np.cos(phi)


def condition_number(g00, g01, g11):
    """cond(G) = sqrt(lambda_max / lambda_min) of G'G = [[g00, g01], [g01, g11]].

    Returns inf where G'G is singular.
    """
    half_trace = 0.5 * (g00 + g11)
    det = g00 * g11 - g01 * g01
    lam_max = half_trace + np.sqrt(np.maximum(half_trace * half_trace - det, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(det > 0, lam_max / np.sqrt(np.where(det > 0, det, 1.0)), np.inf)
    return cond


def invert(
    tracks,
    north_velocity=None,
    north_sigma=None,
    horizontal_azimuth=None,
    max_condition=DEFAULT_MAX_CONDITION,
):
    """Invert two or more tracks for horizontal and vertical velocity, pixel by pixel.

    ``north_velocity`` (scalar or array, NaN = unknown) is removed from every track
    before inverting; without it the north component is assumed zero. ``north_sigma``
    adds ``(s_N sigma_N)^2`` to each track's variance (only meaningful with weights).
    ``horizontal_azimuth`` solves along that azimuth instead of east (not combinable
    with a north velocity, which would then be counted twice).

    Weights: either every track has a sigma (weighted least squares, sigma outputs) or
    none has (equal weights; sigma outputs are None). A pixel is resolved when at least
    one valid track looks east and one looks west along the solved direction and
    cond(G) <= ``max_condition``.
    """
    if len(tracks) < 2:
        raise ValueError("at least two tracks are needed to resolve two components")
    has_sigma = [t.sigma is not None for t in tracks]
    if any(has_sigma) and not all(has_sigma):
        raise ValueError("either every track has a standard deviation or none has")
    weighted = all(has_sigma)
    if north_velocity is not None and horizontal_azimuth is not None:
        raise ValueError("a known north velocity and a horizontal azimuth cannot be combined")

    shapes = [np.shape(t.los) for t in tracks]
    shapes += [np.shape(x) for t in tracks for x in (t.s_east, t.s_north, t.s_up, t.sigma) if x is not None]
    if north_velocity is not None:
        shapes.append(np.shape(north_velocity))
    shape = np.broadcast_shapes(*shapes)

    zeros = lambda: np.zeros(shape, dtype=np.float64)  # noqa: E731
    n00, n01, n11, b0, b1 = zeros(), zeros(), zeros(), zeros(), zeros()
    g00, g01, g11 = zeros(), zeros(), zeros()
    count = np.zeros(shape, dtype=np.int16)
    looks_pos = np.zeros(shape, dtype=bool)
    looks_neg = np.zeros(shape, dtype=bool)
    used = []

    for track in tracks:
        s_north = np.asarray(track.s_north, dtype=np.float64)
        a = np.asarray(horizontal_sensitivity(np.asarray(track.s_east, np.float64), s_north, horizontal_azimuth))
        u = np.asarray(track.s_up, dtype=np.float64)
        d = np.asarray(track.los, dtype=np.float64)
        if north_velocity is not None:
            d = d - s_north * north_velocity
        valid = np.isfinite(d) & np.isfinite(a) & np.isfinite(u)
        if weighted:
            var = np.square(np.asarray(track.sigma, dtype=np.float64))
            if north_sigma is not None:
                var = var + np.square(s_north * north_sigma)
            valid = valid & np.isfinite(var) & (var > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(valid, 1.0 / var, 0.0)
        else:
            w = valid.astype(np.float64)
        valid = np.broadcast_to(valid, shape)
        d0 = np.where(valid, d, 0.0)
        wa = w * a
        wu = w * u
        n00 += wa * a
        n01 += wa * u
        n11 += wu * u
        b0 += wa * d0
        b1 += wu * d0
        v = valid.astype(np.float64)
        g00 += v * a * a
        g01 += v * a * u
        g11 += v * u * u
        count += valid
        looks_pos |= valid & (a > _LOOK_EPS)
        looks_neg |= valid & (a < -_LOOK_EPS)
        used.append((d0, a, u, valid))

    cond = condition_number(g00, g01, g11)
    det = n00 * n11 - n01 * n01
    ok = looks_pos & looks_neg & (count >= 2) & (det > 0) & (cond <= max_condition)

    with np.errstate(divide="ignore", invalid="ignore"):
        inv_det = np.where(ok, 1.0 / np.where(ok, det, 1.0), np.nan)
        horizontal = (n11 * b0 - n01 * b1) * inv_det
        up = (n00 * b1 - n01 * b0) * inv_det
        c00 = n11 * inv_det
        c11 = n00 * inv_det
        correlation = -n01 * inv_det / np.sqrt(c00 * c11)

        sq_sum = zeros()
        for d0, a, u, valid in used:
            r = d0 - (a * horizontal + u * up)
            sq_sum += np.where(valid, r * r, 0.0)
        residual_rms = np.where(ok & (count >= 3), np.sqrt(sq_sum / np.maximum(count, 1)), np.nan)

    return Solution(
        horizontal=horizontal,
        up=up,
        sigma_horizontal=np.sqrt(c00) if weighted else None,
        sigma_up=np.sqrt(c11) if weighted else None,
        correlation=correlation,
        condition=np.where(np.isfinite(cond) & (count >= 2), cond, np.nan),
        n_tracks=count,
        residual_rms=residual_rms,
    )
