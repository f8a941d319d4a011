"""Decomposition per polygon (the landslide workflow): each track's statistic of LOS velocity
over the polygon's pixels or points, with their mean look vector, then one inversion per
polygon (DESIGN.md section 3) through ``inversion.invert``.

A track over a polygon follows the rule of every area (samplers/area.py, as a gridded cell):
its value is the mean or median of the valid pixels or points, its spread their standard
deviation, its a-priori sigma, the weight, ``uncertainty.aggregate_sigma`` of their sigmas,
and its look vector the mean of their unit vectors renormalised. The spread is never a
weight: a track without any sigma makes every polygon equal-weighted, with no sigma_east /
sigma_up, as losdecomp:decompose does."""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..conventions import geometry, units
from ..conventions.errors import ReferenceAreaError
from ..conventions.uncertainty import AGGREGATE_OMITS, MEDIAN, STATISTICS, aggregate_how
from ..io.gdal_mode import raises
from ..io.grid import raster_info, transformer
from ..io.model import RasterGeometry, RasterRef
from ..io.points import LOOK, SIGMA, VELOCITY, PointError, PointSource, resolve_fields
from ..io.reader import GeometryReader
from ..plan.tracks import TrackInput, resolve
from ..samplers.area import in_polygon, mean_unit_vector, points_in_polygons, polygon_shape, sample_areas, summarise
from ..solve.inversion import DEFAULT_MAX_CONDITION, TrackBlock, invert
from ..solve.resolvable import UNRESOLVED, nothing_resolved
from .lifecycle import Run


@dataclass
class PointTrack:
    """A track given as points: the source, the fields named ('' = recognised), and the
    angles when the points carry no look vector."""

    name: str
    source: PointSource
    fields: dict = field(default_factory=dict)
    heading: Optional[float] = None
    incidence: Optional[float] = None
    look_side: Optional[str] = None
    los_sign: str = geometry.TOWARD


@dataclass
class PolygonsRequest:
    """Polygons (WKT in ``crs_wkt``), two or more tracks, the statistic per polygon."""

    polygons: list  # WKT, one per polygon
    crs_wkt: str
    tracks: list  # of TrackInput (rasters) or PointTrack
    statistic: int = MEDIAN
    max_condition: float = DEFAULT_MAX_CONDITION


@dataclass
class TrackStats:
    """One track over every polygon: statistic, count, spread (standard deviation), a-priori
    sigma of the statistic (``uncertainty.aggregate_sigma``; NaN where no member has one) and
    look vector (samplers/area.py); ``has_sigma``: whether the track gives a sigma at all."""

    name: str
    value: np.ndarray
    count: np.ndarray
    spread: np.ndarray
    sigma: np.ndarray
    s: tuple
    unit: str
    sign: float
    has_sigma: bool = False


@dataclass
class PolygonsResult:
    """Each track's statistics and east, up, their sigmas and cond(G), per polygon."""

    tracks: list
    east: np.ndarray
    up: np.ndarray
    sigma_east: np.ndarray
    sigma_up: np.ndarray
    cond: np.ndarray
    unit: str
    log: list
    warnings: list


def _area(grid, wkt, ct):
    """The polygon's pixels on the track's grid, None when it holds none (or is empty)."""
    try:
        return in_polygon(grid, wkt, ct)
    except ReferenceAreaError:
        return None


@raises
def raster_stats(inp: TrackInput, polygons: list, crs_wkt: str, statistic: int) -> tuple:
    """(TrackStats, log, warnings) of a raster track: each polygon's pixels (centres inside; every
    touched pixel when it holds no centre), sampled by ``area.sample_areas``."""
    r = resolve(inp)
    grid = raster_info(inp.path, f"{inp.name} track").grid()
    ct = transformer(crs_wkt, grid.crs_wkt)
    with Run(grid, "nearest") as run:
        data = run.open(r.spec.velocity)
        sig = run.open(r.spec.sigma) if isinstance(r.spec.sigma, RasterRef) else r.spec.sigma
        geo = GeometryReader(r.spec.geometry, run.open)
        got = sample_areas((_area(grid, w, ct) for w in polygons), data, statistic, sig, geo)
    sign = geometry.sign_factor(r.spec.los_sign)
    stats = TrackStats(inp.name, got.value, got.count, got.spread, got.sigma, got.s, r.unit, sign, sig is not None)
    return stats, list(r.log) + [f"{inp.name} track: {_explain(r.spec.geometry)}"], list(r.warnings)


def _explain(geom):
    return "look vector per pixel, averaged over each polygon" if isinstance(geom, RasterGeometry) else (
        "single-valued geometry")  # fmt: skip


def _joined(parts, empty):
    return np.concatenate(parts, axis=-1) if parts else empty


def _fixed_look(track, pf):
    """The track's single-valued unit vector when its points carry no look vector, else None."""
    if pf.has_look_vector:
        return None
    if track.heading is None or track.incidence is None:
        raise PointError(f"{track.name} track: the points carry no look vector: give its heading and incidence")
    return geometry.from_heading_incidence(track.heading, track.incidence, track.look_side or geometry.RIGHT)


@raises
def point_stats(track: PointTrack, polygons: list, crs_wkt: str, statistic: int,
                progress: Optional[Callable] = None) -> tuple:  # fmt: skip
    """(TrackStats, log, warnings) of a point track: the points inside each polygon, streamed once."""
    src = track.source
    pf, log = resolve_fields(list(src.names), track.fields, f"{track.name} track")
    fixed = _fixed_look(track, pf)
    ct = transformer(crs_wkt, src.crs_wkt)
    shapes = [polygon_shape(w, ct) for w in polygons]
    n = len(polygons)
    vel, sig = pf.names[VELOCITY], pf.names[SIGMA]
    look = [pf.names[r] for r in LOOK] if fixed is None else []
    members = {k: [[] for _ in range(n)] for k in ("v", "s", "look")}
    for batch in src.batches([vel] + ([sig] if sig else []) + look, progress):
        order = np.argsort(batch.x, kind="stable")
        cols = {k: v[order] for k, v in batch.columns.items()}
        for i, sel in points_in_polygons(shapes, batch.x[order], batch.y[order]):
            sel = sel[np.isfinite(cols[vel][sel])]
            members["v"][i].append(cols[vel][sel])
            if sig:
                members["s"][i].append(cols[sig][sel])
            if look:
                members["look"][i].append(np.stack([cols[c][sel] for c in look]))
    stats = _empty_stats(track.name, n, src.unit, geometry.sign_factor(track.los_sign), bool(sig))
    for i in range(n):
        _store(stats, i, *_members_of(members, i, bool(sig), fixed), statistic)
    return stats, log, []


def _empty_stats(name, n, unit, sign, has_sigma):
    nan = [np.full(n, np.nan) for _ in range(6)]
    return TrackStats(name, nan[0], np.zeros(n, dtype=np.int64), nan[1], nan[2], tuple(nan[3:]), unit, sign, has_sigma)


def _members_of(members, i, with_sigma, fixed):
    """(values, sigmas or None, look vector components) of polygon ``i``'s points; a
    single-valued look vector is its own mean."""
    v = _joined(members["v"][i], np.empty(0))
    s = _joined(members["s"][i], np.empty(0)) if with_sigma else None
    look = _joined(members["look"][i], np.empty((3, 0))) if fixed is None else [float(c) for c in fixed]
    return v, s, look


def _store(stats, i, values, sigmas, look, statistic):
    """Polygon ``i``'s numbers of a point track, by the rule of every area (``area.summarise``)."""
    got = summarise(values, statistic, sigmas)
    stats.value[i], stats.count[i], stats.spread[i], stats.sigma[i] = got.value, got.count, got.spread, got.sigma
    for k, c in enumerate(mean_unit_vector(look)):
        stats.s[k][i] = c


@raises
def decompose(req: PolygonsRequest, progress: Optional[Callable] = None) -> PolygonsResult:
    """Statistics of every track over every polygon, then east and up per polygon."""
    if len(req.tracks) < 2:
        raise PointError("at least two tracks are needed")
    if not req.polygons:
        raise PointError("no polygon given")
    if req.statistic not in STATISTICS:
        raise PointError(f"unknown statistic {req.statistic}: 0 mean, 1 median")
    log, warnings, stats = [], [], []
    for k, t in enumerate(req.tracks):
        step = (lambda f, k=k: progress((k + f) / len(req.tracks))) if progress else None
        if isinstance(t, PointTrack):
            st, lg, wr = point_stats(t, req.polygons, req.crs_wkt, req.statistic, step)
        else:
            st, lg, wr = raster_stats(t, req.polygons, req.crs_wkt, req.statistic)
        stats.append(st)
        log += lg
        warnings += wr
    unit = _harmonise(stats, log)
    east, up, sig_e, sig_u, cond = _solve(stats, req.max_condition, req.statistic, log)
    _say_resolved(stats, up, req.statistic, log, warnings)
    return PolygonsResult(stats, east, up, sig_e, sig_u, cond, unit, log, warnings)


def _say_resolved(stats, up, statistic, log, warnings):
    """How many polygons were resolved and, for the others, why (the raster decomposition's words)."""
    n = up.size
    for t in stats:
        empty = int((t.count == 0).sum())
        if empty:
            log.append(f"{t.name} track: {empty} of {n} polygons hold no valid data: their fields are null")
    resolved = np.isfinite(up)
    log.append(f"decomposition: {int(resolved.sum())} of {n} polygons resolved ({STATISTICS[statistic]} per track)")
    seen = np.sum([np.isfinite(t.value) for t in stats], axis=0) >= 2
    unresolved = int((seen & ~resolved).sum())
    if unresolved:
        log.append(f"decomposition: {unresolved} polygons with data of two or more tracks are null: {UNRESOLVED}")
    if not resolved.any():
        warnings.append(nothing_resolved("polygon"))


def _harmonise(stats, log):
    known = [t for t in stats if units.parse(t.unit)]
    if not known:
        log.append("units: no track states its unit; all are assumed to be the same")
        return ""
    target = known[0].unit
    for t in stats:
        f = units.factor(t.unit, target) if units.parse(t.unit) else 1.0
        if f is None:
            raise PointError(f"{t.name} track: its unit {t.unit} cannot be converted to {target}")
        if f != 1.0:
            t.value, t.spread, t.sigma = t.value * f, t.spread * f, t.sigma * f
            log.append(f"{t.name} track: converted from {t.unit} to {target} (x{f:g})")
    return target


def _solve(stats, max_condition, statistic, log):
    """East, up, their propagated standard deviations and cond(G) per polygon, by
    ``inversion.invert``. Weighted by each track's a-priori sigma where every track with
    data there has one; equal weights and no sigma elsewhere (said in ``log``), and
    everywhere when a track has no sigma at all."""
    missing = [t.name for t in stats if not t.has_sigma]
    n = stats[0].value.size
    if missing:
        log.append(f"weights: not every track has a standard deviation ({', '.join(missing)} has none); equal "
                   "weights for every track, and no sigma_east / sigma_up (as in losdecomp:decompose)")  # fmt: skip
        weighted = np.zeros(n, dtype=bool)
    else:
        how = aggregate_how("pixels or points", statistic)
        log.append(f"weights: each track's a-priori sigma over a polygon is the {how}; sigma_east and sigma_up "
                   f"are propagated from them ({AGGREGATE_OMITS})")  # fmt: skip
        weighted = np.all([np.isfinite(t.sigma) & (t.sigma > 0) | ~np.isfinite(t.value) for t in stats], axis=0)
        if not weighted.all():
            log.append(f"weights: {int((~weighted).sum())} polygons hold a track's data without any sigma: equal "
                       "weights there and no sigma_east / sigma_up")  # fmt: skip
    out = [np.full(n, np.nan) for _ in range(5)]
    for part, use_sigma in ((weighted, True), (~weighted, False)):
        if not part.any():
            continue
        blocks = [TrackBlock(t.sign * t.value[part], t.s[0][part], t.s[1][part], t.s[2][part],
                             t.sigma[part] if use_sigma else None) for t in stats]  # fmt: skip
        sol = invert(blocks, max_condition=max_condition)
        out[0][part], out[1][part], out[4][part] = sol.horizontal, sol.up, sol.condition
        if use_sigma:
            out[2][part], out[3][part] = sol.sigma_horizontal, sol.sigma_up
    return tuple(out)
