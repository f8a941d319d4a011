"""Decomposition per polygon (the landslide workflow): each track's statistic of LOS velocity
over the polygon's pixels or points, with their mean look vector, then one inversion per
polygon (DESIGN.md section 3)."""

import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from osgeo import ogr

from . import geometry, units
from .gdal_mode import raises
from .grid import raster_info, transformer
from .inversion import DEFAULT_MAX_CONDITION, TrackBlock, invert
from .model import RasterGeometry, RasterRef
from .point_grid import MEDIAN, STATISTICS
from .points import LOOK, SIGMA, VELOCITY, PointError, PointSource, resolve_fields
from .reader import GeometryReader, GridReader
from .reference import ReferenceAreaError, from_polygon_wkt
from .tracks import TrackInput, resolve


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
    """One track over every polygon: statistic, count, spread, sigma and look vector."""

    name: str
    value: np.ndarray
    count: np.ndarray
    spread: np.ndarray
    sigma: np.ndarray
    s: tuple
    unit: str
    sign: float


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


def _statistic(values: np.ndarray, statistic: int) -> float:
    return float(np.median(values) if statistic == MEDIAN else values.mean())


def _empty(n):
    return (np.full(n, np.nan), np.zeros(n, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan),
            tuple(np.full(n, np.nan) for _ in range(3)))  # fmt: skip


def _store(out, i, values, sigmas, look, statistic):
    value, count, spread, sigma, s = out
    count[i] = values.size
    if values.size:
        value[i] = _statistic(values, statistic)
        spread[i] = float(values.std())
        if sigmas is not None and np.isfinite(sigmas).any():
            sigma[i] = float(np.nanmedian(sigmas))
        vec = [float(np.nanmean(c)) for c in look]
        norm = math.sqrt(sum(c * c for c in vec))
        for k in range(3):
            s[k][i] = vec[k] / norm if norm > 0 else math.nan


@raises
def raster_stats(inp: TrackInput, polygons: list, crs_wkt: str, statistic: int) -> tuple:
    """(TrackStats, log, warnings) of a raster track: each polygon's pixels (centres inside; every
    touched pixel when it holds no centre)."""
    r = resolve(inp)
    info = raster_info(inp.path, f"{inp.name} track")
    grid = info.grid()
    ct = transformer(crs_wkt, grid.crs_wkt)
    out = _empty(len(polygons))
    readers = []

    def open_reader(ref):
        readers.append(GridReader(ref, grid, "nearest"))
        return readers[-1]

    try:
        data = open_reader(r.spec.velocity)
        sig = open_reader(r.spec.sigma) if isinstance(r.spec.sigma, RasterRef) else r.spec.sigma
        geo = GeometryReader(r.spec.geometry, open_reader)
        for i, wkt in enumerate(polygons):
            geom = ogr.CreateGeometryFromWkt(wkt)
            if ct is not None:
                geom.Transform(ct)
            try:
                area = from_polygon_wkt(grid, geom.ExportToWkt())
            except ReferenceAreaError:
                continue  # outside the raster: no pixel
            v = data.read(*area.window)
            use = area.mask & np.isfinite(v)
            comps = [np.broadcast_to(np.asarray(c, dtype=np.float64), v.shape)[use] for c in geo.read(*area.window)]
            sigmas = None
            if isinstance(sig, GridReader):
                sigmas = sig.read(*area.window)[use].astype(np.float64)
            elif sig is not None:
                sigmas = np.full(int(use.sum()), float(sig))
            _store(out, i, v[use].astype(np.float64), sigmas, comps, statistic)
    finally:
        for rd in readers:
            rd.close()
    sign = geometry.sign_factor(r.spec.los_sign)
    stats = TrackStats(inp.name, *out[:4], out[4], r.unit, sign)
    return stats, list(r.log) + [f"{inp.name} track: {_explain(r.spec.geometry)}"], list(r.warnings)


def _explain(geom):
    return "look vector per pixel, averaged over each polygon" if isinstance(geom, RasterGeometry) else (
        "single-valued geometry")  # fmt: skip


def _rings(wkt, ct):
    geom = ogr.CreateGeometryFromWkt(wkt)
    if geom is None:
        raise PointError("a polygon cannot be read")
    if ct is not None:
        geom.Transform(ct)
    rings = []

    def walk(g):
        if g.GetGeometryCount() == 0 and g.GetPointCount() > 0:
            pts = np.array(g.GetPoints(), dtype=np.float64)[:, :2]
            rings.append(pts)
        for k in range(g.GetGeometryCount()):
            walk(g.GetGeometryRef(k))

    walk(geom)
    env = geom.GetEnvelope()
    return rings, env


def _inside(rings, x, y):
    """Even-odd rule over every ring (exterior rings, holes and parts) at once."""
    inside = np.zeros(x.size, dtype=bool)
    for ring in rings:
        xa, ya = ring[:-1, 0], ring[:-1, 1]
        xb, yb = ring[1:, 0], ring[1:, 1]
        for x1, y1, x2, y2 in zip(xa, ya, xb, yb):
            if y1 == y2:
                continue
            crosses = (y1 > y) != (y2 > y)
            xint = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            inside ^= crosses & (x < xint)
    return inside


@raises
def point_stats(track: PointTrack, polygons: list, crs_wkt: str, statistic: int,
                progress: Optional[Callable] = None) -> tuple:  # fmt: skip
    """(TrackStats, log, warnings) of a point track: the points inside each polygon. The
    points are streamed once; per batch, each polygon looks only at the points within its
    bounding box (points sorted by x)."""
    src = track.source
    pf, log = resolve_fields(list(src.names), track.fields, f"{track.name} track")
    warnings = []
    fixed = None
    if not pf.has_look_vector:
        if track.heading is None or track.incidence is None:
            raise PointError(f"{track.name} track: the points carry no look vector: give its heading and incidence")
        side = track.look_side or geometry.RIGHT
        fixed = geometry.from_heading_incidence(track.heading, track.incidence, side)
    ct = transformer(crs_wkt, src.crs_wkt)
    shapes = [_rings(w, ct) for w in polygons]
    n = len(polygons)
    values = [[] for _ in range(n)]
    sigmas = [[] for _ in range(n)]
    looks = [[] for _ in range(n)]
    wanted = [pf.names[VELOCITY]] + ([pf.names[SIGMA]] if pf.names[SIGMA] else [])
    wanted += [pf.names[r] for r in LOOK] if fixed is None else []
    for batch in src.batches(wanted, progress):
        order = np.argsort(batch.x, kind="stable")
        x, y = batch.x[order], batch.y[order]
        cols = {k: v[order] for k, v in batch.columns.items()}
        for i, (rings, env) in enumerate(shapes):
            a, b = np.searchsorted(x, env[0], "left"), np.searchsorted(x, env[1], "right")
            if a == b:
                continue
            sel = np.arange(a, b)[(y[a:b] >= env[2]) & (y[a:b] <= env[3])]
            sel = sel[_inside(rings, x[sel], y[sel])]
            v = cols[pf.names[VELOCITY]][sel]
            ok = np.isfinite(v)
            if not ok.any():
                continue
            values[i].append(v[ok])
            if pf.names[SIGMA]:
                sigmas[i].append(cols[pf.names[SIGMA]][sel][ok])
            if fixed is None:
                looks[i].append(np.stack([cols[pf.names[r]][sel][ok] for r in LOOK]))
    out = _empty(n)
    for i in range(n):
        v = np.concatenate(values[i]) if values[i] else np.empty(0)
        s = np.concatenate(sigmas[i]) if sigmas[i] else None
        look = np.concatenate(looks[i], axis=1) if looks[i] else [np.full(v.size, c) for c in (fixed or (np.nan,) * 3)]
        _store(out, i, v, s, look, statistic)
    sign = geometry.sign_factor(track.los_sign)
    return TrackStats(track.name, *out[:4], out[4], src.unit, sign), log, warnings


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
    east, up, sig_e, sig_u, cond = _solve(stats, req.max_condition)
    n = len(req.polygons)
    for t in stats:
        empty = int((t.count == 0).sum())
        if empty:
            log.append(f"{t.name} track: {empty} of {n} polygons hold no valid data: their fields are null")
    resolved = int(np.isfinite(up).sum())
    log.append(f"decomposition: {resolved} of {n} polygons resolved ({STATISTICS[req.statistic]} per track)")
    if resolved == 0:
        warnings.append("no polygon could be decomposed: no polygon holds data of an east- and a west-looking track")
    return PolygonsResult(stats, east, up, sig_e, sig_u, cond, unit, log, warnings)


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


def _solve(stats, max_condition):
    """East, up, their standard deviations and cond(G) per polygon. Weighted where every
    track has a standard deviation there (the product's, median over the polygon, else the
    standard error of the polygon's values); equal weights and no sigma elsewhere."""
    sig = []
    for t in stats:
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.where(t.count > 1, t.spread / np.sqrt(np.maximum(t.count, 1)), np.nan)
        sig.append(np.where(np.isfinite(t.sigma), t.sigma, se))
    weighted = np.all([np.isfinite(s) & (s > 0) for s in sig], axis=0)
    n = weighted.size
    out = [np.full(n, np.nan) for _ in range(5)]
    for part, use_sigma in ((weighted, True), (~weighted, False)):
        if not part.any():
            continue
        blocks = [TrackBlock(t.sign * t.value[part], t.s[0][part], t.s[1][part], t.s[2][part],
                             s[part] if use_sigma else None) for t, s in zip(stats, sig)]  # fmt: skip
        sol = invert(blocks, max_condition=max_condition)
        out[0][part], out[1][part], out[4][part] = sol.horizontal, sol.up, sol.condition
        if use_sigma:
            out[2][part], out[3][part] = sol.sigma_horizontal, sol.sigma_up
    return tuple(out)
