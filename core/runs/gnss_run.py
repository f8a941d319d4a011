"""GNSS beside InSAR in core: sample rasters at the stations, compare a track with GNSS in
its line of sight, tie a track to GNSS with a fitted surface, and check a decomposition's
east and up against the stations (MintPy's rule: compare in the line of sight, reference
before decomposing)."""

import json
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from osgeo import gdal

from ..conventions import geometry, units
from ..conventions.schema import (
    ROLE_ENU,
    ROLE_STD,
    ROLE_VELOCITY,
    TAG_REPEAT_DAYS,
    TAG_ROLE,
    TAG_SOURCE,
    TAG_WINDOW,
    track_tags,
)
from ..conventions.uncertainty import APRIORI, TAG_SIGMA_KIND, label
from ..conventions.version import SOFTWARE, created
from ..io.gdal_mode import raises
from ..io.gnss_stations import CEN, CEU, CNU, SE, SN, SU, VE, VN, VU, StationError, Stations, unit_factor
from ..io.grid import Grid, GridError, raster_info, transformer
from ..io.model import DEFAULT_BLOCK_PIXELS, ConstantGeometry, RasterGeometry, RasterRef
from ..io.reader import DEFAULT_RESAMPLING, GeometryReader
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan.tracks import ResolvedTrack, TrackInput, look_side_of, resolve
from ..samplers.area import MEDIAN, around_point, on_grid, radius_problem, sample_areas
from ..solve import gnss
from .engine import check_outputs_paths
from .lifecycle import Run, windows

OK = "ok"
MISSING = "missing GNSS values"
OUTSIDE = "outside the raster"
NO_DATA = "on nodata"
NO_GEOMETRY = "no geometry at the station"
#: Station names listed in the log per problem; the count is always given.
NAMES_SHOWN = 10


@dataclass
class Samples:
    """A raster at the stations (samplers/area.py): the median of the valid pixels within the
    radius (the pixel holding the station when the radius is 0), their count and spread
    (standard deviation of those pixels; 0 for one pixel), and the status of each station."""

    value: np.ndarray
    count: np.ndarray
    spread: np.ndarray
    status: list
    s: Optional[tuple] = None  # the ground-to-satellite unit vector there, when asked for
    sigma: Optional[np.ndarray] = None  # the raster's a-priori sigma there (of the median), when asked for


def transform(stations: Stations, to_wkt: str) -> tuple:
    """The stations' coordinates in ``to_wkt`` (NaN where they cannot be transformed)."""
    x, y = stations.x.copy(), stations.y.copy()
    ct = transformer(stations.crs_wkt, to_wkt)
    if ct is None:
        return x, y
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        pts = ct.TransformPoints(np.column_stack([x[ok], y[ok]]).tolist())
        out = np.array([(p[0], p[1]) for p in pts], dtype=np.float64)
        out[~np.isfinite(out)] = np.nan
        x[ok], y[ok] = out[:, 0], out[:, 1]
    return x, y


def _own_grid(path: str, label: str) -> Grid:
    info = raster_info(path, label)
    if not info.north_up:
        raise GridError(f"{label}: a rotated raster cannot be sampled at stations; warp it north-up first")
    return info.grid()


@raises
def sample(ref: RasterRef, grid: Grid, x: np.ndarray, y: np.ndarray, radius: float, geom: object = None,
           sigma: object = None, radii: Optional[tuple] = None) -> Samples:  # fmt: skip
    """``ref`` (on ``grid``, its own) at the points (x, y) in the grid's CRS, by the area
    sampler (``area.sample_areas``, the median); with ``geom`` (a track's geometry) also the
    unit vector: the mean of the pixels' unit vectors renormalised (over the whole disc when
    no pixel is valid); with ``sigma`` (a RasterRef or a constant: the track's a-priori sigma)
    also that sigma, as the area sampler aggregates it for the median; with ``radii`` (arrays
    rx, ry: each point's semi-axes in the grid's units) an ellipse per point instead of
    ``radius``."""
    inside = on_grid(grid, x, y)
    with Run(grid, "nearest") as run:
        data = run.open(ref)
        geo = GeometryReader(geom, run.open) if geom is not None else None
        sig = run.open(sigma) if isinstance(sigma, RasterRef) else sigma
        rx, ry = radii if radii is not None else (np.full(len(x), radius), np.full(len(x), radius))
        areas = (around_point(grid, float(x[i]), float(y[i]), float(rx[i]), float(ry[i])) if inside[i] else None
                 for i in range(len(x)))  # fmt: skip
        got = sample_areas(areas, data, MEDIAN, sigma=sig, look=geo)
    status = [OUTSIDE if not inside[i] else OK if got.count[i] else NO_DATA for i in range(len(x))]
    if got.s is not None:
        status = [NO_GEOMETRY if st == OK and not np.isfinite(got.s[2][i]) else st for i, st in enumerate(status)]
    return Samples(got.value, got.count, got.spread, status, got.s, None if sigma is None else got.sigma)


def report(names: list, status: list, label: str) -> list:
    """Log lines: how many stations, and which, were left out for each reason."""
    lines = []
    for reason in (MISSING, OUTSIDE, NO_DATA, NO_GEOMETRY):
        hit = [nm for nm, st in zip(names, status) if st == reason]
        if hit:
            shown = ", ".join(hit[:NAMES_SHOWN]) + (
                f" and {len(hit) - NAMES_SHOWN} more" if len(hit) > NAMES_SHOWN else ""
            )
            lines.append(f"{label}: {len(hit)} station(s) left out, {reason}: {shown}")
    return lines


def _no_station_error(status: list, label: str, what: str) -> StationError:
    counts = {r: status.count(r) for r in (MISSING, OUTSIDE, NO_DATA, NO_GEOMETRY) if status.count(r)}
    why = ", ".join(f"{c} {r}" for r, c in counts.items())
    return StationError(f"{label}: no station has both GNSS and {what} values ({why}); nothing was written")


@dataclass
class GnssRequest:
    """A track (as decompose takes it) and the stations."""

    track: TrackInput
    stations: Stations
    radius: float = 0.0


@dataclass
class Comparison:
    """A track and the stations in its line of sight (the track's unit and sign);
    ``gnss_sigma`` is propagated, sqrt(s' C s), NaN where unknown."""

    resolved: ResolvedTrack
    grid: Grid
    x: np.ndarray  # stations in the track's CRS
    y: np.ndarray
    gnss_los: np.ndarray
    gnss_sigma: np.ndarray
    samples: Samples
    residual: np.ndarray
    stats: dict
    unit: str
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def status(self) -> list:
        return self.samples.status


def check_station_radius(grid: Grid, radius: float, label: str) -> None:
    """StationError, before anything is sampled or written, for a radius that cannot be meant
    (``samplers.area.radius_problem``): every GNSS comparison's one radius check."""
    words = radius_problem(grid, radius, label)
    if words:
        raise StationError(f"{words}; nothing was written")


@raises
def compare_los(req: GnssRequest) -> Comparison:
    """The stations' GNSS velocity in the track's line of sight beside the track's value
    there; StationError (and nothing else done) when no station has both."""
    st = req.stations
    r = resolve(req.track)
    grid = _own_grid(r.spec.velocity.path, f"{r.spec.name} track")
    check_station_radius(grid, req.radius, f"{r.spec.name} track")
    factor, unit_line = unit_factor(st, r.unit)
    log = list(r.log) + list(st.log) + [unit_line]
    x, y = transform(st, grid.crs_wkt)
    smp = sample(r.spec.velocity, grid, x, y, req.radius, r.spec.geometry)
    complete = st.complete()
    for i in np.flatnonzero(~complete):
        smp.status[i] = MISSING
    gnss_los, gnss_sigma, sigma_lines = project(st, smp.s, factor, geometry.sign_factor(r.spec.los_sign))
    log += sigma_lines
    ok = np.array([x_ == OK for x_ in smp.status])
    residual = np.where(ok, smp.value - gnss_los, np.nan)
    if not ok.any():
        raise _no_station_error(smp.status, st.label, f"{r.spec.name} track")
    check_units(st, np.where(ok, gnss_los, np.nan), smp.value, r.unit, f"the {r.spec.name} track")
    stats = gnss.statistics(residual)
    log += report(st.names, smp.status, st.label)
    where = (
        "the pixel holding each station" if req.radius == 0 else f"the median of the valid pixels within {req.radius:g}"
    )
    log.append(f"{r.spec.name} track: InSAR at the stations is {where} (track CRS units)")
    log.append(f"{r.spec.name} track: residual InSAR - GNSS in the line of sight: {gnss.describe(stats, r.unit)}")
    return Comparison(r, grid, x, y, gnss_los, gnss_sigma, smp, residual, stats, r.unit, log, list(r.warnings))


def check_units(st: Stations, gnss_values: np.ndarray, insar: np.ndarray, unit: str, against: str,
                whose: str = "the track") -> None:  # fmt: skip
    """StationError, before anything is written, when the stations' values (in ``unit``, NaN
    where not compared) and the InSAR values at the stations differ by a unit's factor
    (``solve.gnss.unit_mismatch``, the guard merge_frames applies): mm/year read as m/year
    would otherwise give residuals and a fitted surface 1000 times off."""
    read_as = st.unit or f"{unit or 'no unit'} (same as {whose})"
    advice = f"choose GNSS_UNIT (the stations' unit), or check {whose}'s unit"
    words = gnss.unit_mismatch(gnss_values, insar, read_as, unit, advice=advice)
    if words:
        raise StationError(f"{st.label} against {against}: {words}; nothing was written")


def project(st: Stations, s: tuple, factor: float, sign: float) -> tuple:
    """(GNSS in the line of sight, its propagated standard deviation sqrt(s' C s) with the
    stations' correlations, log lines), in the track's unit (``factor``) and sign."""
    v = {k: st.velocity[k] * factor for k in (VE, VN, VU, SE, SN, SU)}
    rho = [st.correlation.get(k, 0.0) for k in (CEN, CEU, CNU)]
    gnss_los = gnss.los(s, v[VE], v[VN], v[VU], sign)
    sigma = gnss.los_sigma(s, v[SE], v[SN], v[SU], *rho)
    lines = []
    have = np.isfinite(gnss_los) & np.isfinite(v[SE]) & np.isfinite(v[SN]) & np.isfinite(v[SU])
    for c in rho:
        have &= np.isfinite(c)
    bad = have & ~np.isfinite(sigma)  # every input known, yet no sigma: inconsistent correlations
    if bad.any():
        shown = ", ".join(np.asarray(st.names, dtype=object)[bad][:NAMES_SHOWN])
        lines.append(f"{st.label}: {int(bad.sum())} station(s) with correlations outside [-1, 1] or not forming a "
                     f"covariance; their GNSS LOS sigma is unknown: {shown}")  # fmt: skip
    if st.correlation:
        lines.append(f"{st.label}: GNSS LOS sigma propagated as sqrt(s' C s) with the stations' correlations")
    return gnss_los, sigma, lines


@dataclass
class ReferenceRequest(GnssRequest):
    """A track tied to the stations by a fitted surface, written to ``output``."""

    model: int = gnss.PLANE
    output: str = ""
    compression: str = DEFAULT_COMPRESSION


@dataclass
class ReferenceJob:
    """A planned referencing: the comparison, the fitted surface and the output's description."""

    comparison: Comparison
    surface: gnss.Surface
    after: dict  # residual statistics once the surface is removed
    output: str
    compression: str
    specs: list
    metadata: dict
    log: list
    warnings: list
    block_pixels: int = DEFAULT_BLOCK_PIXELS


@raises
def plan_reference(req: ReferenceRequest) -> ReferenceJob:
    """Compare, fit the surface and describe the output; nothing is written yet."""
    if not req.output:
        raise StationError("no output raster given")
    cmp_ = compare_los(req)
    spec = cmp_.resolved.spec
    check_outputs_paths({"output": req.output}, [spec.velocity])
    ok = np.isfinite(cmp_.residual)
    try:
        surface = gnss.fit_surface(cmp_.x[ok], cmp_.y[ok], cmp_.residual[ok], req.model)
    except gnss.SurfaceError as exc:
        raise gnss.SurfaceError(f"{spec.name} track: {exc}") from None
    after = gnss.statistics(cmp_.residual - surface(cmp_.x, cmp_.y))
    log = list(cmp_.log)
    log.append(f"{spec.name} track: fitted {surface.describe()}")
    log.append(f"{spec.name} track: residual after removing it: {gnss.describe(after, cmp_.unit)}")
    log.append(_sigma_line(cmp_))
    warnings = list(cmp_.warnings)
    if req.model and after["count"] <= gnss.TERMS[req.model] + 1:
        warnings.append(
            f"{spec.name} track: {after['count']} stations for a {gnss.MODEL_NAMES[req.model]} of "
            f"{gnss.TERMS[req.model]} terms: the fit is barely constrained, residuals after it say little"
        )
    metadata = _reference_metadata(cmp_, surface, after, req)
    return ReferenceJob(cmp_, surface, after, req.output, req.compression, _reference_bands(cmp_), metadata,
                        log, warnings)  # fmt: skip


def _sigma_line(cmp_) -> str:
    """What becomes of the track's standard deviation: carried as band 2, or none to carry."""
    spec = cmp_.resolved.spec
    if isinstance(spec.sigma, RasterRef):
        return (f"{spec.name} track: its a-priori standard deviation ({cmp_.resolved.sigma_source}) is carried "
                "unchanged as band 2: losdecomp:decompose finds it there")  # fmt: skip
    return (f"{spec.name} track: no standard deviation found beside it, none carried: give decompose the "
            "track's sigma (ASC_SIGMA, DESC_SIGMA) for weights and standard deviations")  # fmt: skip


def _reference_bands(cmp_):
    spec, unit = cmp_.resolved.spec, cmp_.unit
    bands = [BandSpec("LOS velocity referenced to GNSS", unit, {TAG_ROLE: ROLE_VELOCITY})]
    if isinstance(spec.sigma, RasterRef):
        # the track's own sigma, unchanged: the surface removed is exact, so decompose weighs the
        # referenced track as it would the original
        text = label(APRIORI, "the LOS velocity", f"the track's, carried: {cmp_.resolved.sigma_source}")
        bands.append(BandSpec(text, unit, {TAG_ROLE: ROLE_STD, TAG_SIGMA_KIND: APRIORI}))
    if isinstance(spec.geometry, RasterGeometry):
        bands += [BandSpec(f"LOS unit vector {r[4:]} (ground to satellite)", "", {TAG_ROLE: r}) for r in ROLE_ENU]
    return bands


def _reference_metadata(cmp_, surface, after, req):
    r = cmp_.resolved
    spec, md = r.spec, r.metadata
    side = look_side_of(req.track.look_side, md)[0]
    heading = incidence = None
    if isinstance(spec.geometry, ConstantGeometry):
        g = spec.geometry
        heading, incidence = (float(a) for a in geometry.to_heading_incidence(g.s_east, g.s_north, g.s_up, side))
    tags = track_tags(heading, incidence, side, spec.los_sign, cmp_.unit)
    tags[TAG_SOURCE] = f"{md.product}: {spec.velocity.path} band {spec.velocity.band}, referenced to GNSS"
    if md.window is not None:
        first, last, repeat = md.window.value
        tags[TAG_WINDOW] = f"{first.isoformat()}/{last.isoformat()}"
        if repeat:
            tags[TAG_REPEAT_DAYS] = repr(float(repeat))
    tags["LOSDECOMP_SOFTWARE"] = SOFTWARE
    tags["LOSDECOMP_CREATED"] = created()
    tags["LOSDECOMP_GNSS_REFERENCE"] = json.dumps({
        "stations": req.stations.label,
        "model": gnss.MODEL_NAMES[surface.model],
        "coefficients": surface.coefficients,
        "x0": surface.x0, "y0": surface.y0, "scale": surface.scale,
        "radius": req.radius,
        "unit": cmp_.unit,
        "before": cmp_.stats,
        "after": after,
    })  # fmt: skip
    return tags


@raises
def run_reference(job: ReferenceJob, progress: Optional[Callable] = None,
                  is_cancelled: Optional[Callable] = None) -> str:  # fmt: skip
    """Write the track minus the surface on its own grid; nothing is left on failure."""
    cmp_ = job.comparison
    spec, grid = cmp_.resolved.spec, cmp_.grid
    with Run(grid, DEFAULT_RESAMPLING, progress, is_cancelled) as run:
        velocity = run.open(spec.velocity)
        sigma = run.open(spec.sigma) if isinstance(spec.sigma, RasterRef) else None
        geo = GeometryReader(spec.geometry, run.open) if isinstance(spec.geometry, RasterGeometry) else None
        writer = run.output(job.output, job.specs, job.metadata, job.compression)
        x0, dx, _, y0, _, dy = grid.geotransform
        for col, row, nc, nr in run.each(windows(grid, job.block_pixels)):
            xs = x0 + (col + np.arange(nc) + 0.5) * dx
            ys = y0 + (row + np.arange(nr) + 0.5) * dy
            surface = job.surface(xs[None, :], ys[:, None]).astype(np.float32)
            writer.write(1, velocity.read(col, row, nc, nr) - surface, col, row)
            band = 2
            if sigma is not None:
                writer.write(band, sigma.read(col, row, nc, nr), col, row)
                band += 1
            if geo is not None:
                for comp in geo.read(col, row, nc, nr):
                    writer.write(band, np.broadcast_to(np.asarray(comp, dtype=np.float32), (nr, nc)), col, row)
                    band += 1
            writer.flush()
    return job.output


@dataclass
class ComponentsRequest:
    """A decomposition's east (or horizontal) and up rasters, and the stations."""

    east: str
    up: str
    stations: Stations
    radius: float = 0.0


@dataclass
class ComponentsComparison:
    """A decomposition's east (or horizontal) and up beside GNSS at the stations."""

    x: np.ndarray  # stations in the east raster's CRS
    y: np.ndarray
    gnss_horizontal: np.ndarray
    gnss_up: np.ndarray
    east: Samples
    up: Samples
    east_residual: np.ndarray
    up_residual: np.ndarray
    stats_east: dict
    stats_up: dict
    unit: str
    azimuth: Optional[float]
    log: list
    warnings: list
    #: GNSS's standard deviations beside ``gnss_horizontal`` and ``gnss_up``: a-priori for
    #: east and up, propagated for a horizontal along an azimuth (with the east-north
    #: correlation where given); NaN where unknown.
    gnss_horizontal_sigma: Optional[np.ndarray] = None
    gnss_up_sigma: Optional[np.ndarray] = None


def _decomposition_info(path: str, label: str) -> tuple:
    """(unit, horizontal azimuth or None, whether north was assumed zero) from an output's metadata."""
    ds = gdal.Open(path)
    md = ds.GetMetadata() or {}
    unit = ds.GetRasterBand(1).GetUnitType() or md.get("LOSDECOMP_UNIT", "")
    try:
        options = json.loads(md.get("LOSDECOMP_OPTIONS", "{}"))
    except ValueError:
        options = {}
    azimuth = options.get("horizontal_azimuth")
    north_zero = "north assumed zero" in md.get("LOSDECOMP_CONVENTIONS", "north assumed zero")
    return units.normalise(unit), (float(azimuth) if azimuth is not None else None), north_zero


@raises
def compare_components(req: ComponentsRequest) -> ComponentsComparison:
    """East (or horizontal along the decomposition's azimuth) and up at the stations,
    against GNSS; StationError when no station has both."""
    st = req.stations
    unit, azimuth, north_zero = _decomposition_info(req.east, "east raster")
    factor, unit_line = unit_factor(st, unit)
    log = list(st.log) + [unit_line]
    out = {}
    for key, path in (("east", req.east), ("up", req.up)):
        grid = _own_grid(path, f"{key} raster")
        check_station_radius(grid, req.radius, f"{key} raster")
        x, y = transform(st, grid.crs_wkt)
        out[key] = sample(RasterRef(path, 1, f"{key} raster"), grid, x, y, req.radius)
        if key == "east":
            xy = (x, y)
    complete = st.complete()
    for smp in out.values():
        for i in np.flatnonzero(~complete):
            smp.status[i] = MISSING
    ve, vn, vu = (st.velocity[k] * factor for k in (VE, VN, VU))
    if azimuth is None:
        g_h = ve
    else:
        a = math.radians(azimuth)
        g_h = ve * math.sin(a) + vn * math.cos(a)
        log.append(f"east raster: horizontal along azimuth {azimuth:g}; GNSS projected on that azimuth")
    res_e = np.where([s_ == OK for s_ in out["east"].status], out["east"].value - g_h, np.nan)
    res_u = np.where([s_ == OK for s_ in out["up"].status], out["up"].value - vu, np.nan)
    if not (np.isfinite(res_e).any() or np.isfinite(res_u).any()):
        raise _no_station_error(out["east"].status, st.label, "decomposed")
    check_units(st, *gnss.magnitudes(res_e, res_u, (g_h, vu), (out["east"].value, out["up"].value)), unit,
                f"the decomposition (east {req.east}, up {req.up})", "the decomposition")  # fmt: skip
    stats_e, stats_u = gnss.statistics(res_e), gnss.statistics(res_u)
    log += report(st.names, out["east"].status, f"{st.label} (east)")
    log += report(st.names, out["up"].status, f"{st.label} (up)")
    log.append(f"east residual (decomposition - GNSS): {gnss.describe(stats_e, unit)}")
    log.append(f"up residual (decomposition - GNSS): {gnss.describe(stats_u, unit)}")
    warnings = _north_caveat(vn, st.velocity[SN] * factor, np.isfinite(res_e) | np.isfinite(res_u), unit, north_zero)
    s_h, s_u = _component_sigmas(st, factor, azimuth)
    return ComponentsComparison(xy[0], xy[1], g_h, vu, out["east"], out["up"], res_e, res_u, stats_e, stats_u,
                                unit, azimuth, log, warnings, s_h, s_u)  # fmt: skip


def _component_sigmas(st: Stations, factor: float, azimuth: Optional[float]) -> tuple:
    """GNSS's sigma of the compared horizontal (east, or along ``azimuth``) and of up, in
    the decomposition's unit; NaN where unknown."""
    se, sn, su = (np.abs(st.velocity[k] * factor) for k in (SE, SN, SU))
    if azimuth is None:
        return se, su
    a = math.radians(azimuth)
    rho = st.correlation.get(CEN, np.zeros_like(se))
    var = (math.sin(a) * se) ** 2 + (math.cos(a) * sn) ** 2 + 2 * math.sin(a) * math.cos(a) * rho * se * sn
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.where(var >= 0, var, np.nan)), su


def _north_caveat(vn, sn, used, unit, north_zero) -> list:
    """The north-assumed-zero caveat, when the stations the comparison used move north
    (more than twice their north sigma; 1 mm/yr where it is unknown)."""
    if not north_zero or not used.any():
        return []
    vn, sn = vn[used], sn[used]
    floor = units.factor("mm/year", unit) if units.parse(unit) else None
    floor = math.nan if floor is None else floor  # no unit: no floor, the motion cannot be judged
    with np.errstate(invalid="ignore"):
        moving = np.abs(vn) > np.where(np.isfinite(sn), 2 * sn, floor)
    if not moving.any():
        unjudged = int((~np.isfinite(sn) & np.isfinite(vn) & (vn != 0)).sum()) if math.isnan(floor) else 0
        return [
            f"GNSS north motion cannot be judged at {unjudged} station(s): no north sigma and no unit; the "
            "decomposition assumed north = 0, so any north motion there appears in its east and up"
        ] if unjudged else []  # fmt: skip
    return [
        f"GNSS shows north motion at {int(moving.sum())} of {vn.size} stations (median |north| "
        f"{float(np.median(np.abs(vn))):.3g}{' ' + unit if unit else ''}); the decomposition assumed north = 0, so "
        "part of that motion (its LOS north sensitivity, about 0.1 for Sentinel-1) appears in its east and up: "
        "residuals there include it. Give a north velocity to decompose, or compare each track in its line of "
        "sight (losdecomp:gnss_to_los)."
    ]
