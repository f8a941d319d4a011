"""From plain request values to a ready engine Job, its log and warnings.

Shared by the Processing algorithm and the dialog's read-out, so that both say the same
thing; everything here runs before any output is created.
"""

import datetime
import json
import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import reference
from .engine import Job, NorthSpec, check_outputs
from .grid import (
    common_grid,
    crs_units,
    raster_info,
    resolution_in_metres,
    srs_from_wkt,
    with_assumed_geographic_crs,
)
from .inversion import DEFAULT_MAX_CONDITION
from .reader import RESAMPLING_METHODS, RasterRef, has_valid_data, sample
from .tracks import TrackError, apply_weights_policy, harmonise_units, resolve
from .writer import DEFAULT_COMPRESSION, creation_options

VERSION = "0.1.0"


@dataclass
class Request:
    tracks: list  # of tracks.TrackInput, at least two
    outputs: dict  # product -> path (engine.PRODUCTS)
    target_crs_wkt: str = ""
    resolution: float = 0.0
    extent: Optional[tuple] = None  # xmin, ymin, xmax, ymax in the target CRS
    resampling: str = "bilinear"
    north_velocity: object = None  # raster path or constant, in the tracks' unit
    north_sigma: Optional[float] = None
    horizontal_azimuth: Optional[float] = None
    max_condition: float = DEFAULT_MAX_CONDITION
    reference_point: Optional[tuple] = None  # x, y in the target CRS
    reference_radius: float = 0.0  # target CRS units
    reference_polygon_wkt: str = ""  # in the target CRS
    compression: str = DEFAULT_COMPRESSION


@dataclass
class Plan:
    job: Job
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def plan(req):
    """Validate ``req`` and build the Job; raises ValueError (TrackError, GridError,
    OutputError...) with a message naming the layer and the problem."""
    if len(req.tracks) < 2:
        raise TrackError("at least two tracks are needed")
    if req.resampling not in dict(RESAMPLING_METHODS):
        raise ValueError(f"unknown resampling method {req.resampling!r}")
    if not (req.max_condition and req.max_condition >= 1):
        raise ValueError(f"the condition-number threshold must be at least 1, not {req.max_condition}")
    creation_options(req.compression)  # an unknown name fails here, before any work
    if req.north_velocity is not None and req.horizontal_azimuth is not None:
        raise ValueError(
            "a known north velocity and a horizontal azimuth cannot be combined: "
            "the azimuth option already fixes the horizontal direction"
        )
    resolved = [resolve(t) for t in req.tracks]
    log, warnings = [], []
    for r in resolved:
        log += r.log
        warnings += r.warnings
    unit, unit_log = harmonise_units(resolved)
    log += unit_log
    weighted = apply_weights_policy(resolved, log)

    for r in resolved:
        if not has_valid_data(r.spec.velocity):
            raise TrackError(f"{r.spec.name} track: the layer holds no valid pixel (all nodata)")
    infos = [raster_info(r.spec.velocity.path, f"{r.spec.name} track") for r in resolved]
    grid = common_grid(infos, req.target_crs_wkt or None, req.resolution, req.extent)
    mx, my = resolution_in_metres(grid)
    res = grid.pixel_size[0]
    srs = srs_from_wkt(grid.crs_wkt)
    log.append(
        f"common grid: {grid.width} x {grid.height} pixels, {srs.GetName()}, pixel {res:.6g} "
        f"{crs_units(grid.crs_wkt)} (about {mx:.1f} m east-west x {my:.1f} m north-south), "
        f"bounds {', '.join(f'{b:.6f}' for b in grid.bounds)}, resampling {req.resampling}"
    )
    _check_geometry_resolves(resolved, req.horizontal_azimuth)
    warnings += _reference_warnings(resolved, infos, grid)
    area = None
    if req.reference_point is not None and req.reference_polygon_wkt:
        raise ValueError("give a reference point or a reference area, not both")
    if req.reference_point is not None:
        area = reference.from_point(grid, req.reference_point[0], req.reference_point[1], req.reference_radius)
    elif req.reference_polygon_wkt:
        area = reference.from_polygon_wkt(grid, req.reference_polygon_wkt)
    if area is not None:
        log.append(f"reference: every track re-referenced to its median over the {area.description}")

    north = None
    if req.north_velocity is not None:
        v = req.north_velocity
        if isinstance(v, str):
            path, warning = with_assumed_geographic_crs(v, "north velocity")
            warnings += [warning] if warning else []
            v = RasterRef(path, 1, f"north velocity {v}")
        else:
            v = float(v)
        north = NorthSpec(v, req.north_sigma)
        log.append(f"north: known north velocity removed from every track ({_describe(v)}, unit {unit or 'as tracks'})")
        typical = abs(v) if not isinstance(v, RasterRef) else float(np.nanmedian(np.abs(sample(v))))
        for r in resolved:
            sn = _s_north(r.spec)
            if sn is not None:
                log.append(
                    f"north: {r.spec.name} track sees {abs(sn) * typical:.3g} {unit} of it "
                    f"(|sN| {abs(sn):.3f} x "
                    f"{'median ' if isinstance(v, RasterRef) else ''}|north| {typical:.3g})"
                )
            else:
                log.append(f"north: {r.spec.name} track has per-pixel geometry; it sees |sN| times the north velocity")
        if req.north_sigma is not None and not weighted:
            warnings.append("the north sigma is only used with track standard deviations (weighted inversion)")
    else:
        log.append("north: north velocity assumed zero (near-polar orbits do not resolve it)")
    if req.horizontal_azimuth is not None:
        log.append(f"horizontal component solved along azimuth {req.horizontal_azimuth:g} deg clockwise from north")

    job = Job(
        tracks=[r.spec for r in resolved],
        grid=grid,
        outputs=dict(req.outputs),
        resampling=req.resampling,
        north=north,
        horizontal_azimuth=req.horizontal_azimuth,
        max_condition=req.max_condition,
        unit=unit,
        reference=area,
        compression=req.compression,
    )
    job.metadata = provenance(job, resolved, req)
    check_outputs(job)
    log.append(
        "conventions: ENU; LOS positive toward the satellite after sign conversion; heading clockwise "
        "from north; incidence from the vertical; outputs positive east (or along the azimuth) and up"
    )
    return Plan(job, log, warnings)


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


def _s_north(spec):
    g = spec.geometry
    return getattr(g, "s_north", None)


def _check_geometry_resolves(resolved, azimuth):
    """Refuse before running when single-valued geometries cannot resolve the pair."""
    from .engine import ConstantGeometry
    from .inversion import horizontal_sensitivity

    const = [r for r in resolved if isinstance(r.spec.geometry, ConstantGeometry)]
    if len(const) != len(resolved):
        return  # per-pixel geometry is checked pixel by pixel
    a = [float(horizontal_sensitivity(r.spec.geometry.s_east, r.spec.geometry.s_north, azimuth)) for r in const]
    if not (any(x > 1e-6 for x in a) and any(x < -1e-6 for x in a)):
        direction = "east" if azimuth is None else f"azimuth {azimuth:g}"
        names = ", ".join(r.spec.name for r in const)
        raise TrackError(
            f"the tracks ({names}) all look the same way along {direction}: "
            f"one must look east and another west to separate horizontal from vertical motion"
        )


def provenance(job, resolved, req):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
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
    }
    return {
        "LOSDECOMP_SOFTWARE": f"QGIS plugin InSAR LOS Decomposition {VERSION}",
        "LOSDECOMP_CREATED": now,
        "LOSDECOMP_TRACKS": json.dumps(tracks),
        "LOSDECOMP_OPTIONS": json.dumps(options),
        "LOSDECOMP_UNIT": job.unit,
        "LOSDECOMP_CONVENTIONS": (
            "ENU velocity; LOS unit vector ground to satellite; LOS positive toward the satellite; "
            "heading clockwise from north; " + ("north assumed zero" if job.north is None else "known north removed")
        ),
    }
