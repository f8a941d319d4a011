"""COMPONENTS of ``losdecomp:decompose`` (DESIGN.md section 3c), checked before any work:
0 east + up (north assumed zero or known), 1 east + north + up, 2 east + up-north.

What each needs and refuses, and, for single-valued geometry, what it will resolve (the
one guard, ``resolvable``), said in the log: the direction ``d`` of the up-north
component, its tilt, the east estimate's leak from north and Ou et al.'s per-track
approximation beside it.
"""

import math

import numpy as np

from ..conventions import geometry
from ..conventions.errors import TrackError
from ..io.model import NORTH, SIGMA_NORTH, UN_TILT, UP_NORTH, ConstantGeometry
from ..solve import components as comp
from ..solve.inversion import TrackBlock
from ..solve.resolvable import UNRESOLVED_3D, UNRESOLVED_UN, any_subset_resolvable

#: Output -> (its parameter name, the COMPONENTS it needs)
COMPONENT_OUTPUTS = {NORTH: ("OUTPUT_NORTH", 1), SIGMA_NORTH: ("OUTPUT_SIGMA_NORTH", 1),
                     UP_NORTH: ("OUTPUT_UN", 2), UN_TILT: ("OUTPUT_UN_TILT", 2)}  # fmt: skip


def check_options(req: object) -> None:
    """ValueError for COMPONENTS combined with what it cannot take."""
    c = req.components
    if c not in comp.COMPONENT_NAMES:
        raise ValueError(f"COMPONENTS must be 0 (east + up), 1 (east + north + up) or 2 (east + up-north), not {c}")
    for product, (name, needs) in COMPONENT_OUTPUTS.items():
        if req.outputs.get(product) and c != needs:
            raise ValueError(f"{name} needs COMPONENTS {needs} ({comp.COMPONENT_NAMES[needs]}); COMPONENTS is {c}")
    if c and req.horizontal_azimuth is not None:
        raise ValueError(f"HORIZONTAL_AZIMUTH applies to COMPONENTS 0 only; COMPONENTS {c} solves east")
    if c == comp.EAST_NORTH_UP and (req.north_velocity is not None or req.north_sigma is not None):
        raise ValueError("COMPONENTS 1 solves north: a known north velocity (NORTH_VELOCITY, "
                         "NORTH_VELOCITY_CONSTANT, NORTH_SIGMA) cannot be given as well; use COMPONENTS 2 to split "
                         "up with a known north")  # fmt: skip


def _vectors(resolved):
    """Each track's unit vector when every track's geometry is single-valued, else None."""
    if not all(isinstance(r.spec.geometry, ConstantGeometry) for r in resolved):
        return None
    return [(r.spec.geometry.s_east, r.spec.geometry.s_north, r.spec.geometry.s_up) for r in resolved]


def _check_split(resolved, names, along):
    """COMPONENTS 2 with a known north splits up from v_UN; along-track tracks alone see no
    up (their d is horizontal, north): refused before any work."""
    if len(along) == len(resolved):
        raise TrackError(f"COMPONENTS 2 with a known north: the tracks ({names}) are all along-track, which see no "
                         "up: their up-north direction d is north itself, so there is no up to split from v_UN; add "
                         "a line-of-sight track, or give no known north (v_UN is then the north velocity)")  # fmt: skip


def check_geometry(resolved: list, components: int, max_condition: float, known_north: bool = False) -> list:
    """Refuse (TrackError) single-valued geometries that cannot give ``components``
    anywhere (nor, with ``known_north`` under COMPONENTS 2, an up to split); returns log
    lines on what they resolve."""
    names = ", ".join(r.spec.name for r in resolved)
    along = [r.spec.name for r in resolved if r.spec.kind == geometry.ALONG_TRACK]
    if components == comp.EAST_UP_NORTH and known_north:
        _check_split(resolved, names, along)
    log = [f"components: {comp.COMPONENT_NAMES[components]}"]
    if components == comp.EAST_UP:
        if along:
            log.append(f"components: along-track tracks ({', '.join(along)}) see mostly north, which COMPONENTS 0 "
                       "assumes zero (or known): with them, COMPONENTS 1 solves north instead")  # fmt: skip
        return log
    if components == comp.EAST_NORTH_UP and len(resolved) < 3:
        raise TrackError(f"COMPONENTS 1 needs at least three tracks ({names} given): {UNRESOLVED_3D}")
    vectors = _vectors(resolved)
    if vectors is None:
        return log + ["components: per-pixel geometry: resolved pixel by pixel, the rest nodata"]
    e, n, u = ([v[i] for v in vectors] for i in range(3))
    if components == comp.EAST_NORTH_UP:
        if not any_subset_resolvable(e, u, max_condition, north=n):
            cond = np.linalg.cond(np.array(vectors))
            raise TrackError(f"the tracks ({names}), cond(G) {cond:.3g} of their unit vectors: {UNRESOLVED_3D}")
        return log
    return log + _up_north_lines(vectors, max_condition, names)


def _up_north_lines(vectors, max_condition, names):
    sol = comp.solve([TrackBlock(np.zeros(1), *v) for v in vectors], comp.EAST_UP_NORTH, max_condition)
    if not np.isfinite(sol.tilt[0]):
        raise TrackError(f"the tracks ({names}), cond(G) {sol.condition[0]:.3g} of their columns sE and s.d "
                         f"(MAX_CONDITION {max_condition:g}): {UNRESOLVED_UN}")
    tilt, leak = float(sol.tilt[0]), float(sol.east_per_north[0])
    lines = [
        f"up-north: d = (0, {math.sin(math.radians(tilt)):.4f}, {math.cos(math.radians(tilt)):.4f}) (E, N, U), tilted "
        f"{tilt:.2f} deg from the vertical (positive toward north); OUTPUT_UP's v_UN = v . d whatever the north",
        f"up-north: the east estimate absorbs {leak:+.4f} x the north velocity (and the like share of the motion "
        "normal to the tracks' plane)",
    ]
    if len(vectors) >= 3:
        lines.append("up-north: three or more tracks: d is the up-north direction they resolve best once east is "
                     "free (the largest eigenvector of the Schur complement of east in the weighted normal matrix "
                     "G'WG, so it depends on the tracks' weights); v_UN = v . d exactly all the same; where they span "
                     "3-D, COMPONENTS 1 resolves north")  # fmt: skip
    ou = [math.degrees(math.atan2(v[1], v[2])) for v in vectors if v[2] > 0]
    if ou:
        lines.append("up-north: Ou et al.'s per-track directions (0, sN, sU)/c tilt " +
                     ", ".join(f"{t:.2f}" for t in ou) + " deg; the exact d is used here")  # fmt: skip
    return lines
