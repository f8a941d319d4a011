"""East, north and up (COMPONENTS 1), and east + up-north (COMPONENTS 2), pixel by pixel.

DESIGN.md section 3c. Every track (line of sight or along-track) is a row ``s_i`` (its
unit vector: ground to satellite for a LOS track, the flight direction ``(sin h, cos h, 0)``
for an along-track one) with value ``d_i = s_i . v`` and a-priori sigma ``sigma_i``.

- COMPONENTS 1: weighted least squares for ``v = (vE, vN, vU)``: ``m = (G'WG)^-1 G'W d``,
  covariance ``(G'WG)^-1``. A pixel is solved where at least three tracks are valid and
  cond(G) of their unit vectors (unweighted, the quality band's) is at most MAX_CONDITION
  (``resolvable.decide`` with three unknowns); elsewhere all three components are NaN,
  never a silently 2-D answer.
- COMPONENTS 2: the direction ``d`` in the up-north plane that the tracks resolve: for two
  tracks, where the plane of their look vectors meets the up-north plane, along
  ``(0, -n_U, n_N)`` for ``n = s_1 x s_2``, pointing up. Modelling ``v = vE e + vUN d``, the
  2x2 solve gives ``vUN = v . d`` exactly whatever the north; the east estimate absorbs a
  leak of the motion normal to the tracks' plane (``east_per_north`` gives its response
  to a unit north velocity). In general (any number of tracks, weighted or not), ``d`` is
  the largest eigenvector of the Schur complement of east in the weighted normal matrix
  G'WG, the best-resolved up-north direction once east is free; being an eigenvector, the
  motion normal to ``d`` does not enter the estimate along it, so ``vUN = v . d`` exactly
  for any tracks. With three or more tracks ``d`` depends on the weights (their G'WG);
  with two it is the plane-intersection direction above whatever the weights (taken from
  the unit vectors' G'G). The residual shows what the model (east + vUN d) leaves.
  With a known north ``vN`` (sigma ``sigma_N``), up is split from vUN as Ou et al. (2022)
  do: ``vU = (vUN - dN vN) / dU``, ``sigma_U^2 = (sigma_UN^2 + dN^2 sigma_N^2) / dU^2``.

numpy only; float64 throughout (one block of pixels at a time).
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .resolvable import DEFAULT_MAX_CONDITION, condition_number, condition_number_3d, decide

EAST_UP, EAST_NORTH_UP, EAST_UP_NORTH = 0, 1, 2
COMPONENT_NAMES = {
    EAST_UP: "east + up (north assumed zero or known)",
    EAST_NORTH_UP: "east + north + up (3-D)",
    EAST_UP_NORTH: "east + up-north (the direction in the up-north plane the tracks resolve)",
}
#: The six distinct entries of a symmetric 3x3 matrix, in (east, north, up) indices.
PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


@dataclass
class ComponentsSolution:
    """Per-pixel results; NaN where not resolved. ``horizontal`` is east; ``up`` is up
    (COMPONENTS 1, or 2 with a known north) or vUN (COMPONENTS 2 without one)."""

    horizontal: np.ndarray
    up: np.ndarray
    sigma_horizontal: Optional[np.ndarray]
    sigma_up: Optional[np.ndarray]
    correlation: np.ndarray  # east with up (COMPONENTS 1) or with vUN (COMPONENTS 2)
    condition: np.ndarray  # the cond compared with MAX_CONDITION
    n_tracks: np.ndarray
    residual_rms: np.ndarray
    condition_3d: np.ndarray  # cond of the unit vectors [sE sN sU] (3 or more tracks)
    correlation_en: np.ndarray
    correlation_nu: np.ndarray
    north: Optional[np.ndarray] = None
    sigma_north: Optional[np.ndarray] = None
    up_north: Optional[np.ndarray] = None  # vUN (COMPONENTS 2)
    sigma_up_north: Optional[np.ndarray] = None
    tilt: Optional[np.ndarray] = None  # degrees of d from the vertical, positive toward north
    east_per_north: Optional[np.ndarray] = None  # the east estimate's response to a unit north velocity


class _Sums:
    """G'WG, G'Wd (weighted; plain sums unweighted), G'G of the unit vectors (for cond) and
    the valid count of a block, accumulated track by track; the tracks kept for the
    residuals."""

    def __init__(self, tracks: list, weighted: bool):
        arrays = [x for t in tracks for x in (t.los, t.s_east, t.s_north, t.s_up, t.sigma) if x is not None]
        self.shape = np.broadcast_shapes(*(np.shape(x) for x in arrays))
        self.weighted = weighted
        zeros = lambda: np.zeros(self.shape)  # noqa: E731
        self.n = {p: zeros() for p in PAIRS}
        self.g = {p: zeros() for p in PAIRS}
        self.b = [zeros() for _ in range(3)]
        self.count = np.zeros(self.shape, dtype=np.int16)
        self.used = []
        with np.errstate(divide="ignore", invalid="ignore"):
            for t in tracks:
                self._add(t)

    def _add(self, t):
        shape = self.shape
        s = [np.broadcast_to(np.asarray(c, dtype=np.float64), shape) for c in (t.s_east, t.s_north, t.s_up)]
        d = np.broadcast_to(np.asarray(t.los, dtype=np.float64), shape)
        valid = np.isfinite(d) & np.isfinite(s[0]) & np.isfinite(s[1]) & np.isfinite(s[2])
        if self.weighted:
            var = np.square(np.broadcast_to(np.asarray(t.sigma, dtype=np.float64), shape))
            valid = valid & np.isfinite(var) & (var > 0)
            w = np.where(valid, 1 / np.where(valid, var, 1.0), 0.0)
        else:
            w = valid.astype(np.float64)
        s = [np.where(valid, c, 0.0) for c in s]
        d = np.where(valid, d, 0.0)
        for i, j in PAIRS:
            self.g[(i, j)] += s[i] * s[j]
            self.n[(i, j)] += w * s[i] * s[j]
        for i in range(3):
            self.b[i] += w * s[i] * d
        self.count += valid
        self.used.append((s, d, valid))

    def condition_3d(self):
        cond = condition_number_3d(tuple(self.g[p] for p in PAIRS))
        return np.where(np.isfinite(cond) & (self.count >= 3), cond, np.nan)

    def residual_rms(self, where, predict):
        """RMS of the tracks' residuals ``d - predict(s)`` where asked, NaN elsewhere."""
        sq = np.zeros(self.shape)
        for s, d, valid in self.used:
            sq += np.where(valid, np.square(d - predict(s)), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(where, np.sqrt(sq / self.count), np.nan)


def solve(tracks: list, components: int, max_condition: float = DEFAULT_MAX_CONDITION,
          north_velocity: object = None, north_sigma: object = None) -> ComponentsSolution:  # fmt: skip
    """Solve the tracks (``inversion.TrackBlock`` s) for ``components`` (1 or 2), pixel by
    pixel. Weights: every track has a sigma (weighted, sigma outputs) or none has (equal
    weights, no sigma outputs). ``north_velocity`` / ``north_sigma`` only with COMPONENTS 2:
    up is then split from vUN with them."""
    if components not in (EAST_NORTH_UP, EAST_UP_NORTH):
        raise ValueError(f"COMPONENTS must be 1 (east + north + up) or 2 (east + up-north) here, not {components}")
    least = 3 if components == EAST_NORTH_UP else 2
    if len(tracks) < least:
        raise ValueError(f"at least {least} tracks are needed for {COMPONENT_NAMES[components]}")
    has_sigma = [t.sigma is not None for t in tracks]
    if any(has_sigma) and not all(has_sigma):
        raise ValueError("either every track has a standard deviation or none has")
    if components == EAST_NORTH_UP and (north_velocity is not None or north_sigma is not None):
        raise ValueError("COMPONENTS 1 solves north: a known north velocity cannot be given as well")
    sums = _Sums(tracks, all(has_sigma))
    if components == EAST_NORTH_UP:
        return _solve_3d(sums, max_condition)
    return _solve_up_north(sums, max_condition, north_velocity, north_sigma)


def _adjugate(n):
    """The adjugate (cofactors) of the symmetric 3x3 matrix given by ``n`` and its determinant."""
    a, b, c, d, e, f = (n[p] for p in PAIRS)
    adj = {(0, 0): d * f - e * e, (0, 1): c * e - b * f, (0, 2): b * e - c * d,
           (1, 1): a * f - c * c, (1, 2): b * c - a * e, (2, 2): a * d - b * b}  # fmt: skip
    det = a * adj[(0, 0)] + b * adj[(0, 1)] + c * adj[(0, 2)]
    return adj, det


def _sym(m, i, j):
    return m[(i, j)] if i <= j else m[(j, i)]


def _correlation(cov, i, j):
    with np.errstate(divide="ignore", invalid="ignore"):
        return _sym(cov, i, j) / np.sqrt(cov[(i, i)] * cov[(j, j)])


def _solve_3d(sums, max_condition):
    cond3 = sums.condition_3d()
    adj, det = _adjugate(sums.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = decide(sums.count, None, None, cond3, max_condition, unknowns=3) & (det > 0)
        inv = np.where(ok, 1 / np.where(ok, det, 1.0), np.nan)
        cov = {p: adj[p] * inv for p in PAIRS}  # (G'WG)^-1; (G'G)^-1 unweighted
        m = [sum(_sym(cov, i, j) * sums.b[j] for j in range(3)) for i in range(3)]
        sig = [np.sqrt(cov[(i, i)]) for i in range(3)] if sums.weighted else [None] * 3
        residual = sums.residual_rms(ok & (sums.count >= 4), lambda s: s[0] * m[0] + s[1] * m[1] + s[2] * m[2])
    return ComponentsSolution(
        horizontal=m[0], up=m[2], sigma_horizontal=sig[0], sigma_up=sig[2], correlation=_correlation(cov, 0, 2),
        condition=cond3, n_tracks=sums.count, residual_rms=residual, condition_3d=cond3,
        correlation_en=_correlation(cov, 0, 1), correlation_nu=_correlation(cov, 1, 2), north=m[1],
        sigma_north=sig[1],
    )  # fmt: skip


def up_north_direction(n: dict) -> tuple:
    """(dN, dU) of the direction in the up-north plane the tracks resolve, from a normal
    matrix ``n`` (entries by ``PAIRS``): the largest eigenvector of the Schur complement of
    east in it, pointing up; pointing north when horizontal (two along-track tracks); NaN
    where east is not seen at all. Being an eigenvector, the motion normal to ``d`` does
    not leak into the estimate along ``d``: ``vUN = v . d`` exactly."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ee = np.where(n[(0, 0)] > 0, n[(0, 0)], np.nan)
        a = n[(1, 1)] - n[(0, 1)] ** 2 / ee
        b = n[(1, 2)] - n[(0, 1)] * n[(0, 2)] / ee
        c = n[(2, 2)] - n[(0, 2)] ** 2 / ee
    theta = 0.5 * np.arctan2(2 * b, a - c)
    d_n, d_u = np.cos(theta), np.sin(theta)
    level = np.abs(d_u) < 1e-12
    d_u = np.where(level, 0.0, d_u)
    flip = (d_u < 0) | (level & (d_n < 0))
    return np.where(flip, -d_n, d_n), np.where(flip, -d_u, d_u)


def _direction_matrix(sums):
    """The normal matrix ``d`` is taken from: the weighted one (G'WG) where three or more
    tracks are valid, since the 2x2 solve is weighted; the unit vectors' G'G where two are
    (their plane's direction does not depend on the weights, and this keeps it bit for bit)."""
    two = sums.count <= 2
    return {p: np.where(two, sums.g[p], sums.n[p]) for p in PAIRS}


def _solve_up_north(sums, max_condition, north_velocity, north_sigma):
    d_n, d_u = up_north_direction(_direction_matrix(sums))
    n, g, b = sums.n, sums.g, sums.b
    # the 2x2 normal equations of the columns (sE, c = sN dN + sU dU), and their unit-vector G'G
    n00, n01 = n[(0, 0)], n[(0, 1)] * d_n + n[(0, 2)] * d_u
    n11 = n[(1, 1)] * d_n**2 + 2 * n[(1, 2)] * d_n * d_u + n[(2, 2)] * d_u**2
    g01 = g[(0, 1)] * d_n + g[(0, 2)] * d_u
    g11 = g[(1, 1)] * d_n**2 + 2 * g[(1, 2)] * d_n * d_u + g[(2, 2)] * d_u**2
    b0, b1 = b[0], b[1] * d_n + b[2] * d_u
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(sums.count >= 2, condition_number(g[(0, 0)], g01, g11), np.nan)
        det = n00 * n11 - n01 * n01
        ok = decide(sums.count, None, None, cond, max_condition, unknowns=2) & (det > 0)
        inv = np.where(ok, 1 / np.where(ok, det, 1.0), np.nan)
        east, un = (n11 * b0 - n01 * b1) * inv, (n00 * b1 - n01 * b0) * inv
        # the east estimate's response to a unit north velocity (its data d_i = sN_i)
        east_per_north = (n11 * n[(0, 1)] - n01 * (n[(1, 1)] * d_n + n[(1, 2)] * d_u)) * inv
        residual = sums.residual_rms(ok & (sums.count >= 3), lambda s: s[0] * east + (s[1] * d_n + s[2] * d_u) * un)
        sig_e = np.sqrt(n11 * inv) if sums.weighted else None
        sig_un = np.sqrt(n00 * inv) if sums.weighted else None
        corr = -n01 / np.sqrt(n00 * n11)
    nan = np.full(sums.shape, np.nan)
    sol = ComponentsSolution(
        horizontal=east, up=un, sigma_horizontal=sig_e, sigma_up=sig_un, correlation=np.where(ok, corr, np.nan),
        condition=cond, n_tracks=sums.count, residual_rms=residual, condition_3d=sums.condition_3d(),
        correlation_en=nan, correlation_nu=nan, up_north=un, sigma_up_north=sig_un,
        tilt=np.where(ok, np.degrees(np.arctan2(d_n, d_u)), np.nan), east_per_north=east_per_north,
    )  # fmt: skip
    if north_velocity is not None or north_sigma is not None:
        _split_up(sol, d_n, d_u, 0.0 if north_velocity is None else north_velocity, north_sigma)
    return sol


def _split_up(sol, d_n, d_u, north_velocity, north_sigma):
    """Up from vUN with a known north (Ou et al. 2022): ``vU = (vUN - dN vN) / dU``; the
    north's sigma enters the up's. Where ``d`` is horizontal (only along-track tracks: no up
    seen) there is no up to split: up and its sigma are both NaN."""
    sees_up = d_u > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        up = (sol.up_north - d_n * np.asarray(north_velocity, dtype=np.float64)) / d_u
        sol.up = np.where(sees_up, up, np.nan)
        if sol.sigma_up_north is not None:
            var_n = 0.0 if north_sigma is None else np.square(np.asarray(north_sigma, dtype=np.float64))
            sigma = np.sqrt(np.square(sol.sigma_up_north) + d_n**2 * var_n) / np.abs(d_u)
            sol.sigma_up = np.where(sees_up, sigma, np.nan)
