"""The one guard of every inversion (DESIGN.md section 3c): where the valid tracks' look
directions resolve a horizontal and a vertical component.

A pixel (or polygon, or cell) is resolvable when at least two tracks are valid there, at
least one looks one way along the solved horizontal direction and one the other way, and
cond(G) of their unit sensitivities (unweighted, as the quality band reports it) is at
most ``max_condition``. That rule is :func:`decide`: the solvers of ``inversion.invert``
(the single-epoch decomposition, time-series method 0, polygons, points) call it on the
sums they accumulate anyway, the joint method through :class:`LookGuard`; a path that
refuses before reading pixels uses :func:`refusal` for its words, so that every path says
the same.

East, north and up (COMPONENTS 1) and east + up-north (COMPONENTS 2) ask the same
:func:`decide` with ``unknowns`` 3 or 2 and no look rule: at least that many valid tracks
and cond(G) of the unit vectors at most ``max_condition`` (:func:`condition_number_3d` for
three unknowns).

numpy only.
"""

from typing import Optional

import numpy as np

from ..conventions.limits import DEFAULT_MAX_CONDITION, LOOK_EPS

#: The words every path uses for an unresolvable place.
UNRESOLVED = (
    "the valid tracks' look directions do not resolve horizontal and vertical motion "
    "(at least one must look east and one west along the solved direction, with cond(G) at most MAX_CONDITION)"
)


#: The words for a place where north is asked for (COMPONENTS 1) and not resolved.
UNRESOLVED_3D = (
    "the valid tracks' look vectors do not span 3-D (at least three tracks, with cond(G) of their unit vectors "
    "[sE sN sU] at most MAX_CONDITION): east, north and up cannot all be resolved there; ascending and "
    "descending line-of-sight tracks alone never resolve north (add along-track tracks or a differently "
    "looking track, or use COMPONENTS 2, east + up-north)"
)


#: The words for a place where east and up-north (COMPONENTS 2) are asked for and not resolved.
UNRESOLVED_UN = (
    "the valid tracks' look vectors do not resolve east and an up-north direction (at least two tracks, with "
    "cond(G) of their columns sE and s.d at most MAX_CONDITION; tracks looking the same way see only one direction)"
)


def unresolved(components: int = 0) -> str:
    """The words for an unresolvable place under COMPONENTS 0, 1 or 2."""
    return {1: UNRESOLVED_3D, 2: UNRESOLVED_UN}.get(components, UNRESOLVED)


def nothing_resolved(what: str = "pixel", when: str = "", components: int = 0) -> str:
    """Why a run ends with no result: the same words on every path (for the components asked)."""
    return (f"no {what} could be resolved{when}: the tracks have no valid data together there, or "
            f"{unresolved(components)} (check the overlap, the nodata values and the angles)")  # fmt: skip


def refusal(names: list, direction: str) -> str:
    """Why tracks whose single-valued geometries all look one way cannot be inverted."""
    return f"the tracks ({', '.join(names)}) all look the same way along {direction}: {UNRESOLVED}"


def condition_number(g00: object, g01: object, g11: object, det: object = None) -> np.ndarray:
    """cond(G) = sqrt(lambda_max / lambda_min) of G'G = [[g00, g01], [g01, g11]]
    (``det``, its determinant, when already known). inf where G'G is singular."""
    half_trace = 0.5 * (g00 + g11)
    if det is None:
        det = g00 * g11 - g01 * g01
    lam_max = half_trace + np.sqrt(np.maximum(half_trace * half_trace - det, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(det > 0, lam_max / np.sqrt(np.where(det > 0, det, 1.0)), np.inf)
    return cond


class LookGuard:
    """Accumulates the valid tracks of a block (pixels, polygons, cells), then decides
    where the block is resolvable.

    ``add(a, u, valid)`` per track: ``a`` its sensitivity to the solved horizontal
    direction, ``u`` to up (scalars or arrays broadcastable to ``shape``), ``valid`` where
    the track counts (bool, broadcastable)."""

    def __init__(self, shape: tuple, max_condition: float = DEFAULT_MAX_CONDITION, dtype: object = np.float64):
        self.shape = shape
        self.max_condition = max_condition
        self.g00, self.g01, self.g11 = (np.zeros(shape, dtype=dtype) for _ in range(3))
        self.count = np.zeros(shape, dtype=np.int16)
        self.looks_pos = np.zeros(shape, dtype=bool)
        self.looks_neg = np.zeros(shape, dtype=bool)

    def add(self, a: object, u: object, valid: object) -> None:
        valid = np.broadcast_to(valid, self.shape)
        a0 = np.where(valid, a, 0).astype(self.g00.dtype, copy=False)
        u0 = np.where(valid, u, 0).astype(self.g00.dtype, copy=False)
        self.g00 += a0 * a0
        self.g01 += a0 * u0
        self.g11 += u0 * u0
        self.count += valid
        mark_look_direction(self.looks_pos, self.looks_neg, valid, np.asarray(a))

    def condition(self) -> np.ndarray:
        """cond(G) where at least two tracks are valid, NaN elsewhere (and where singular)."""
        with np.errstate(invalid="ignore"):
            cond = condition_number(self.g00, self.g01, self.g11)
        return np.where(np.isfinite(cond) & (self.count >= 2), cond, np.nan)

    def resolvable(self, condition: Optional[np.ndarray] = None) -> np.ndarray:
        """Where the block is resolvable (``condition`` when already computed)."""
        cond = self.condition() if condition is None else condition
        return decide(self.count, self.looks_pos, self.looks_neg, cond, self.max_condition)


def decide(count: np.ndarray, looks_pos: Optional[np.ndarray], looks_neg: Optional[np.ndarray], cond: object,
           max_condition: float, unknowns: int = 2) -> np.ndarray:  # fmt: skip
    """The rule, in one place: at least ``unknowns`` valid tracks, cond(G) at most
    ``max_condition`` (NaN or inf fails) and, for east and up (``looks_pos`` and
    ``looks_neg`` given), one track looking each way along the solved direction. The 3-D
    solve and the up-north combination pass None for the looks: there cond(G) of the
    unit vectors alone decides (an along-track track and a LOS track may both look west
    and still resolve their pair)."""
    with np.errstate(invalid="ignore"):
        ok = (count >= unknowns) & (cond <= max_condition)
        if looks_pos is not None:
            ok &= looks_pos & looks_neg
        return ok


def condition_number_3d(g: tuple) -> np.ndarray:
    """cond(G) = sqrt(lambda_max / lambda_min) of the 3x3 G'G given by its six entries
    ``(ee, en, eu, nn, nu, uu)`` (arrays broadcastable together); inf where singular."""
    ee, en, eu, nn, nu, uu = (np.asarray(x, dtype=np.float64) for x in g)
    shape = np.broadcast_shapes(*(x.shape for x in (ee, en, eu, nn, nu, uu)))
    m = np.empty(shape + (3, 3))
    for (i, j), x in zip(((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)), (ee, en, eu, nn, nu, uu)):
        m[..., i, j] = x
        m[..., j, i] = x
    finite = np.isfinite(m).all(axis=(-2, -1))
    m[~finite] = 0.0
    lam = np.linalg.eigvalsh(m)
    scale = np.maximum(lam[..., 2], 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(lam[..., 0] > 1e-12 * scale, np.sqrt(lam[..., 2] / lam[..., 0]), np.inf)
    return np.where(finite, cond, np.nan)


def mark_look_direction(looks_pos: np.ndarray, looks_neg: np.ndarray, valid: object, a: np.ndarray) -> None:
    """Record where a valid track looks one way (a > 0) or the other (a < 0); a track that
    looks one way over the whole block costs a single pass."""
    lo, hi = (float(np.min(a)), float(np.max(a))) if a.size else (0.0, 0.0)
    if lo > LOOK_EPS:  # False when a holds NaN: the general case below handles it
        looks_pos |= valid
    elif hi < -LOOK_EPS:
        looks_neg |= valid
    else:
        with np.errstate(invalid="ignore"):
            looks_pos |= valid & (a > LOOK_EPS)
            looks_neg |= valid & (a < -LOOK_EPS)


def resolvable_tracks(a: list, u: list, max_condition: float = DEFAULT_MAX_CONDITION,
                      north: Optional[list] = None) -> tuple:  # fmt: skip
    """(ok, cond) for single-valued geometries (one a and u per track, all valid); with
    ``north`` (each track's sN, ``a`` then its sE), whether they resolve east, north and up."""
    if north is not None:
        s = np.array([a, north, u], dtype=np.float64)
        g = tuple(float(s[i] @ s[j]) for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)))
        cond = float(condition_number_3d(g))
        return bool(decide(np.int16(len(a)), None, None, cond, max_condition, unknowns=3)), cond
    guard = LookGuard((), max_condition)
    for ai, ui in zip(a, u):
        guard.add(float(ai), float(ui), True)
    cond = guard.condition()
    return bool(guard.resolvable(cond)), float(cond)


def any_subset_resolvable(a: list, u: list, max_condition: float = DEFAULT_MAX_CONDITION,
                          north: Optional[list] = None) -> bool:  # fmt: skip
    """Whether some two (three with ``north``: east, north and up) or more of the
    single-valued geometries pass the guard together (a pixel sees any subset of the
    tracks, depending on which are valid there)."""
    n = len(a)
    least = 2 if north is None else 3
    for mask in range(1, 1 << n):
        idx = [i for i in range(n) if (mask >> i) & 1]
        sub_north = None if north is None else [north[i] for i in idx]
        if len(idx) >= least and resolvable_tracks([a[i] for i in idx], [u[i] for i in idx], max_condition,
                                                   sub_north)[0]:  # fmt: skip
            return True
    return False
