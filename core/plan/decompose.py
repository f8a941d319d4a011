"""From plain request values to a ready engine Job, its log and warnings.

Two steps, shared by the Processing algorithm and the dialog so that both say the same:

- :func:`check` reads only headers and metadata (milliseconds, fit for the GUI thread and
  for ``checkParameterValues``): every track resolved, units, the common grid, whether the
  geometry can separate the components, and that the outputs can be written.
- :func:`plan` adds what reads data (a track with no valid pixel, the north raster's
  typical value) and builds the Job. It runs once per run, before any output is created.
"""

import json
import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import gdal

from ..conventions import units
from ..conventions.version import SOFTWARE, created
from ..io.gdal_mode import raises
from ..io.geographic import LatLon
from ..io.grid import (
    Grid,
    common_grid,
    crs_units,
    raster_info,
    resolution_in_metres,
    srs_from_wkt,
    with_assumed_geographic_crs,
)
from ..io.model import ConstantGeometry, Job, NorthSpec, RasterRef
from ..io.reader import DEFAULT_RESAMPLING, RESAMPLING_METHODS, has_valid_data, sample
from ..io.writer import DEFAULT_COMPRESSION, creation_options
from ..samplers import reference
from ..solve import plate
from ..solve.components import COMPONENT_NAMES
from ..solve.inversion import DEFAULT_MAX_CONDITION, horizontal_sensitivity
from ..solve.resolvable import LOOK_EPS, UNRESOLVED, any_subset_resolvable, refusal
from ..solve.velocity import window_mismatch
from . import components_plan, track_kinds
from .outputs import check_outputs
from .tracks import TrackError, apply_weights_policy, harmonise_units, resolve


@dataclass
class Request:
    """What the user asked for, as plain values (paths, numbers, WKT)."""

    tracks: list  # of tracks.TrackInput, at least two
    outputs: dict  # product -> path (model.PRODUCTS)
    target_crs_wkt: str = ""
    resolution: float = 0.0
    extent: Optional[tuple] = None  # xmin, ymin, xmax, ymax in the target CRS
    resampling: str = DEFAULT_RESAMPLING
    north_velocity: object = None  # raster path or constant, in the tracks' unit
    north_sigma: Optional[float] = None
    horizontal_azimuth: Optional[float] = None
    max_condition: float = DEFAULT_MAX_CONDITION
    components: int = 0  # 0 east + up, 1 east + north + up, 2 east + up-north (components_plan)
    along_track_sigma: Optional[float] = None  # the sigma of along-track tracks that have none, tracks' unit
    reference_point: Optional[tuple] = None  # x, y in the target CRS
    reference_radius: float = 0.0  # target CRS units
    reference_polygon_wkt: str = ""  # in the target CRS
    compression: str = DEFAULT_COMPRESSION
    plate: str = ""  # MODEL:Plate whose LOS velocity is removed from every track (solve.plate)
    euler_pole: str = ""  # or an Euler pole ('lat,lon,rate' or 'wx,wy,wz mas/yr')


@dataclass
class Checked:
    """What :func:`check` found: resolved tracks, common unit and grid, log and warnings."""

    resolved: list
    unit: str
    weighted: bool
    grid: Grid
    infos: list
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


@dataclass
class Plan:
    """A ready Job with the log and warnings of how it was built."""

    job: Job
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def _north_convention(components, known):
    """What the outputs assume about north, for LOSDECOMP_CONVENTIONS."""
    if components == 1:
        return "north solved (east + north + up)"
    if components == 2:
        return ("up-north v_UN along the direction d the tracks resolve, no north assumed; known north used only to "
                "split up from v_UN (not removed from the tracks)" if known else
                "up-north v_UN along the direction d the tracks resolve, no north assumed (east absorbs a north leak)")
    return "north assumed zero" if not known else "known north removed"


def _check_options(req):
    if len(req.tracks) < 2:
        raise TrackError("at least two tracks are needed")
    if req.resampling not in dict(RESAMPLING_METHODS):
        raise ValueError(f"unknown resampling method {req.resampling!r}")
    if not (req.max_condition and req.max_condition >= 1):
        raise ValueError(f"the condition-number threshold must be at least 1, not {req.max_condition}")
    creation_options(req.compression)  # an unknown name fails here, before any work
    if (req.north_velocity is not None or req.north_sigma is not None) and req.horizontal_azimuth is not None:
        raise ValueError(
            "a known north velocity and a horizontal azimuth cannot be combined: "
            "the azimuth option already fixes the horizontal direction"
        )
    if req.reference_point is not None and req.reference_polygon_wkt:
        raise ValueError("give a reference point or a reference area, not both")


@raises
def check(req: Request) -> Checked:
    """Validate ``req`` from headers and metadata only; raises ValueError (TrackError,
    GridError, OutputError...) with a message naming the layer and the problem."""
    _check_options(req)
    components_plan.check_options(req)
    resolved = [resolve(t) for t in req.tracks]
    log, warnings = [], []
    for r in resolved:
        log += r.log
        warnings += r.warnings
    unit, unit_log = harmonise_units(resolved)
    log += unit_log
    warnings += track_kinds.require_sigmas(resolved, req.along_track_sigma, log)
    weighted = apply_weights_policy(resolved, log)
    infos = [raster_info(r.spec.velocity.path, f"{r.spec.name} track") for r in resolved]
    grid = common_grid(infos, req.target_crs_wkt or None, req.resolution, req.extent)
    log.append(_grid_line(grid, req.resampling))
    if req.extent is not None and tuple(req.extent) != tuple(grid.bounds):
        given = ", ".join(f"{b:.6f}" for b in req.extent)
        log.append(f"extent: the given extent ({given}) was snapped outward to whole pixels of the grid")
    log += _check_geometry_and_plate(req, resolved, unit)
    warnings += _reference_warnings(resolved, infos, grid)
    windows = [(r.spec.name, r.metadata.window.value) for r in resolved if r.metadata.window is not None]
    log += [f"{name} track: velocity over {w[0]} to {w[1]}" for name, w in windows]
    mismatch = window_mismatch(windows)
    warnings += [mismatch] if mismatch else []
    checked = Checked(resolved, unit, weighted, grid, infos, log, warnings)
    outputs = Job(tracks=[r.spec for r in resolved], grid=grid, outputs=dict(req.outputs))
    check_outputs(outputs)
    return checked


def _check_geometry_and_plate(req, resolved, unit):
    """The geometry guard for the components asked for, and the plate (read, and the tracks'
    unit a velocity); returns the log lines."""
    if not req.components:
        _check_geometry_resolves(resolved, req.horizontal_azimuth, req.max_condition)
    known = req.north_velocity is not None or req.north_sigma is not None
    log = components_plan.check_geometry(resolved, req.components, req.max_condition, known)
    if req.plate.strip() or req.euler_pole.strip():
        plate.pole_of(req.plate.strip(), req.euler_pole.strip())
        plate.unit_factor(unit, "the tracks")
    return log


def _grid_line(grid, resampling):
    mx, my = resolution_in_metres(grid)
    srs = srs_from_wkt(grid.crs_wkt)
    return (
        f"common grid: {grid.width} x {grid.height} pixels, {srs.GetName()}, pixel {grid.pixel_size[0]:.6g} "
        f"{crs_units(grid.crs_wkt)} (about {mx:.1f} m east-west x {my:.1f} m north-south), "
        f"bounds {', '.join(f'{b:.6f}' for b in grid.bounds)}, resampling {resampling}"
    )


@raises
def plan(req: Request) -> Plan:
    """:func:`check`, then the checks that read data, then the Job."""
    c = check(req)
    log, warnings = list(c.log), list(c.warnings)
    for r in c.resolved:
        if not has_valid_data(r.spec.velocity):
            raise TrackError(f"{r.spec.name} track: the layer holds no valid pixel (all nodata)")
    area = reference_area(req, c.grid, log)
    north = north_spec(req, c, log, warnings)
    if north is not None and req.components == 2:
        log.append("north: COMPONENTS 2: the known north is not removed from the tracks; up is split from v_UN with it "
                   "after the solve, vU = (v_UN - dN vN) / dU, its sigma entering the up's (Ou et al. 2022)")
    if req.horizontal_azimuth is not None:
        log.append(f"horizontal component solved along azimuth {req.horizontal_azimuth:g} deg clockwise from north")
    job = Job(
        tracks=[r.spec for r in c.resolved],
        grid=c.grid,
        outputs=dict(req.outputs),
        resampling=req.resampling,
        north=north,
        horizontal_azimuth=req.horizontal_azimuth,
        max_condition=req.max_condition,
        components=req.components,
        unit=c.unit,
        reference=area,
        compression=req.compression,
    )
    if req.plate.strip() or req.euler_pole.strip():
        job.plate = plate.pole_of(req.plate.strip(), req.euler_pole.strip())
        log += plate_lines(job.plate, c.grid, c.unit)
    job.metadata = provenance(job, c.resolved, req)
    log.append(
        "conventions: ENU; LOS positive toward the satellite after sign conversion; heading clockwise "
        "from north; incidence from the vertical; outputs positive east (or along the azimuth) and up"
    )
    return Plan(job, log, warnings)


def plate_lines(pole: plate.Pole, grid: Grid, unit: str) -> list:
    """What removing the plate ``pole`` from every track does, with its velocity at the grid's centre."""
    lat, lon = (float(a[0, 0]) for a in LatLon(grid).read(grid.width // 2, grid.height // 2, 1, 1))
    f = plate.unit_factor(unit, "the tracks")
    east, north, up = (float(c) * f for c in plate.velocity_enu(pole, lat, lon))
    return [
        f"plate motion: {pole.description} removed from every track before the inversion: the plate's velocity "
        "(omega x r on the WGS84 ellipsoid at zero height) projected on each track's own unit vector, pixel by "
        "pixel on the common grid, as losdecomp:remove_plate_motion does; plate boundaries are not checked",
        f"plate motion: at the grid's centre ({lat:.4f} N, {lon:.4f} E) the plate moves east {east:.4g}, north "
        f"{north:.4g}, up {up:.3g} {unit}: the east output is relative to the plate; the up output changes only "
        "by the plate's own vertical on the ellipsoid (this small up value); north (assumed zero, or the known "
        "north minus the plate's north) is relative to the plate too",
    ]


def reference_area(req: Request, grid: Grid, log: list) -> Optional[reference.ReferenceArea]:
    """The common reference point or area of ``req`` on ``grid`` (None: none given)."""
    area = None
    if req.reference_point is not None:
        area = reference.from_point(grid, req.reference_point[0], req.reference_point[1], req.reference_radius)
    elif req.reference_polygon_wkt:
        area = reference.from_polygon_wkt(grid, req.reference_polygon_wkt)
    if area is not None:
        log.append(f"reference: every track re-referenced to its median over the {area.description}")
    return area


def _north_raster(path, unit, log, warnings):
    """A RasterRef of the north velocity raster in the tracks' unit."""
    vpath, warning = with_assumed_geographic_crs(path, "north velocity")
    warnings += [warning] if warning else []
    ds = gdal.Open(path)  # kept alive while its band is read
    stated = units.normalise(ds.GetRasterBand(1).GetUnitType() or "")
    scale = units.factor(stated, unit) if stated and unit else None
    if not units.parse(stated) or not unit:
        log.append(
            f"north: the raster states no unit ({stated or 'none'}) that can be compared with the tracks'; "
            f"assumed to be the tracks' unit ({unit or 'unknown'})"
        )
    elif scale is None:
        raise ValueError(f"north velocity: its unit {stated} cannot be converted to the tracks' unit {unit}")
    elif scale != 1.0:
        log.append(f"north: converted from {stated} to {unit} (x{scale:g})")
    return RasterRef(vpath, 1, f"north velocity {path}", scale or 1.0)


def north_spec(req: Request, c: Checked, log: list, warnings: list, unit: Optional[str] = None) -> Optional[NorthSpec]:
    """The known north velocity of ``req`` (None: assumed zero), said in the log; ``unit`` is
    the unit it is expressed in (the tracks' unit by default; their unit per year beside
    displacement time series). A NORTH_SIGMA without a north velocity is the assumed zero's
    uncertainty: north 0 +/- that sigma, not dropped."""
    unit = c.unit if unit is None else unit
    if req.north_velocity is None and req.north_sigma is None:
        log.append("north: north velocity assumed zero (near-polar orbits do not resolve it)")
        return None
    v = 0.0 if req.north_velocity is None else req.north_velocity
    if req.north_velocity is None:
        log.append(f"north: assumed zero with NORTH_SIGMA {req.north_sigma:g} {unit} as its uncertainty")
    v = _north_raster(v, unit, log, warnings) if isinstance(v, str) else float(v)
    log.append(f"north: known north velocity removed from every track ({_describe(v)}, unit {unit or 'as tracks'})")
    typical = abs(v) if not isinstance(v, RasterRef) else float(np.nanmedian(np.abs(sample(v))))
    for r in c.resolved:
        sn = getattr(r.spec.geometry, "s_north", None)
        if sn is not None:
            log.append(
                f"north: {r.spec.name} track sees {abs(sn) * typical:.3g} {c.unit} of it "
                f"(|sN| {abs(sn):.3f} x {'median ' if isinstance(v, RasterRef) else ''}|north| {typical:.3g})"
            )
        else:
            log.append(f"north: {r.spec.name} track has per-pixel geometry; it sees |sN| times the north velocity")
    if req.north_sigma is not None and not c.weighted:
        warnings.append("the north sigma is only used with track standard deviations (weighted inversion)")
    return NorthSpec(v, req.north_sigma)


def _reference_warnings(resolved, infos, grid):
    """A warning when tracks carry reference points that differ by more than a pixel."""
    points = []
    for r, info in zip(resolved, infos):
        ref = r.metadata.reference
        if ref is not None:
            x, y = reference.transform_point(ref.value[0], ref.value[1], info.crs_wkt, grid.crs_wkt)
            points.append((r.spec.name, x, y))
    if len(points) < 2:
        return []
    spread = max(math.hypot(a[1] - b[1], a[2] - b[2]) for a in points for b in points)
    if spread <= 1.5 * grid.pixel_size[0]:
        return []
    where = "; ".join(f"{n} at {x:.6f}, {y:.6f}" for n, x, y in points)
    return [
        f"the tracks are referenced to different points ({where}): the decomposition mixes two references; "
        "give a common reference point or area to re-reference them"
    ]


def _describe(v):
    return v.name if isinstance(v, RasterRef) else f"constant {v:g}"


def _check_geometry_resolves(resolved, azimuth, max_condition):
    """Refuse before running when single-valued geometries cannot resolve the pair: no
    two or more of the tracks pass the one guard (``resolvable``) together."""
    const = [r for r in resolved if isinstance(r.spec.geometry, ConstantGeometry)]
    if len(const) != len(resolved):
        return  # per-pixel geometry is checked pixel by pixel
    a = [float(horizontal_sensitivity(r.spec.geometry.s_east, r.spec.geometry.s_north, azimuth)) for r in const]
    u = [float(r.spec.geometry.s_up) for r in const]
    if any_subset_resolvable(a, u, max_condition):
        return
    direction = "east" if azimuth is None else f"azimuth {azimuth:g}"
    names = [r.spec.name for r in const]
    if any(x > LOOK_EPS for x in a) and any(x < -LOOK_EPS for x in a):
        raise TrackError(f"the tracks ({', '.join(names)}) along {direction}: {UNRESOLVED}; "
                         f"their cond(G) is above MAX_CONDITION {max_condition:g}")  # fmt: skip
    raise TrackError(refusal(names, direction))


def provenance(job: Job, resolved: list, req: Request) -> dict:
    """The ``LOSDECOMP_*`` metadata items of the outputs: inputs, options, conventions."""
    tracks = [
        {
            "name": r.spec.name,
            "input": r.spec.velocity.path,
            "band": r.spec.velocity.band,
            "geometry": r.spec.geometry.source,
            "los_sign": r.spec.los_sign,
            "unit": r.unit,
            "scale": r.spec.velocity.scale,
            "sigma": r.sigma_source if r.spec.sigma is not None else "",
            "kind": r.spec.kind,
        }
        for r in resolved
    ]
    options = {
        "resampling": req.resampling,
        "resolution": job.grid.pixel_size[0],
        "max_condition": req.max_condition,
        "horizontal_azimuth": req.horizontal_azimuth,
        "north_velocity": _describe(job.north.velocity) if job.north else "assumed zero",
        "north_sigma": req.north_sigma,
        "plate": job.plate.description if job.plate is not None else "",
        "components": req.components,
    }
    extra = {plate.TAG_PLATE_MODEL: plate.metadata(job.plate)} if job.plate is not None else {}
    return {
        **extra,
        "LOSDECOMP_SOFTWARE": SOFTWARE,
        "LOSDECOMP_CREATED": created(),
        "LOSDECOMP_TRACKS": json.dumps(tracks),
        "LOSDECOMP_OPTIONS": json.dumps(options),
        "LOSDECOMP_UNIT": job.unit,
        "LOSDECOMP_COMPONENTS": f"{req.components}: {COMPONENT_NAMES[req.components]}",
        "LOSDECOMP_CONVENTIONS": (
            "ENU velocity; LOS positive toward the satellite; heading clockwise from north; "
            + _north_convention(req.components, job.north is not None)
            + ("; relative to the plate (its LOS velocity removed from every track)" if job.plate is not None else "")
        ),
    }
