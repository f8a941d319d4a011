"""Turn what the user gave and what each layer says into engine TrackSpecs, with a log.

Precedence for each value: typed by the user, then the layer's metadata/product, then a
documented default (right-looking). Angles typed by the user override per-pixel geometry.
"""

import math
from dataclasses import dataclass
from typing import Optional, Union

from . import geometry, metadata, units
from .engine import ConstantGeometry, TrackSpec
from .grid import raster_info
from .reader import RasterRef


class TrackError(ValueError):
    """A track cannot be used as given; the message names the track and the problem."""


@dataclass
class TrackInput:
    name: str
    path: str
    band: int = 1
    heading: Optional[float] = None
    incidence: Optional[float] = None
    look_side: Optional[str] = None
    los_sign: str = geometry.TOWARD
    sigma: Union[str, float, None] = None  # a raster path or a constant
    sigma_band: int = 1


@dataclass
class ResolvedTrack:
    spec: TrackSpec
    unit: str
    metadata: metadata.TrackMetadata
    log: list
    warnings: list
    sigma_source: str = ""


def check_angles(name, heading=None, incidence=None):
    """Errors for impossible angles; returns warnings for implausible ones."""
    warnings = []
    if heading is not None:
        if not math.isfinite(heading):
            raise TrackError(f"{name} track: the heading must be a finite number of degrees, not {heading}")
        if heading != 0 and abs(heading) <= 2 * math.pi:
            warnings.append(
                f"{name} track: heading {heading:g} looks like radians; headings are degrees "
                f"clockwise from north (Sentinel-1 about 348 ascending, 192 descending)"
            )
    if incidence is not None:
        if not (math.isfinite(incidence) and 0 < incidence < 90):
            raise TrackError(f"{name} track: the incidence angle must be between 0 and 90 degrees, not {incidence}")
        if incidence < 10 or incidence > 70:
            warnings.append(f"{name} track: incidence {incidence:g} degrees is unusual for SAR (radians by mistake?)")
    return warnings


def resolve(inp):
    """A ResolvedTrack for ``inp``; raises TrackError naming the track when it cannot be used."""
    name = inp.name
    info = raster_info(inp.path, f"{name} track")
    if not 1 <= inp.band <= info.band_count:
        raise TrackError(f"{name} track: has no band {inp.band} (it has {info.band_count})")
    md = metadata.read(inp.path, inp.band, label=name)
    log, warnings = [f"{name} track: {inp.path} band {inp.band} ({md.product})"], list(md.notes)

    side = inp.look_side or (md.look_side.value if md.look_side else geometry.RIGHT)
    side_src = "chosen" if inp.look_side else (md.look_side.source if md.look_side else "default")
    if md.los_sign and md.los_sign.value != inp.los_sign:
        warnings.append(
            f"{name} track: the layer says LOS positive {md.los_sign.value} the satellite "
            f"({md.los_sign.source}) but positive {inp.los_sign} was chosen; using {inp.los_sign}"
        )

    typed = inp.heading is not None or inp.incidence is not None
    if md.geometry is not None and not typed:
        geom = md.geometry.value
        log.append(f"{name} track: geometry per pixel, {geom.source}")
    else:
        heading = _pick(inp.heading, md.heading)
        incidence = _pick(inp.incidence, md.incidence)
        missing = [n for n, v in (("heading", heading), ("incidence", incidence)) if v is None]
        if missing:
            raise TrackError(
                f"{name} track: no {' and no '.join(missing)} angle given, and none found in the "
                f"layer's metadata; type {'them' if len(missing) > 1 else 'it'} in"
            )
        warnings += check_angles(name, heading[0], incidence[0])
        s = geometry.from_heading_incidence(heading[0], incidence[0], side)
        src = (
            f"heading {heading[0]:.4f} ({heading[1]}), incidence {incidence[0]:.4f} ({incidence[1]}), "
            f"{side}-looking ({side_src})"
        )
        geom = ConstantGeometry(float(s[0]), float(s[1]), float(s[2]), source=src)
        log.append(f"{name} track: {src}; unit vector to the satellite E {s[0]:.4f} N {s[1]:.4f} U {s[2]:.4f}")
        if md.geometry is not None:
            log.append(f"{name} track: per-pixel geometry ({md.geometry.source}) not used: angles were typed")

    sigma, sigma_src = None, ""
    if isinstance(inp.sigma, str) and inp.sigma:
        sigma, sigma_src = RasterRef(inp.sigma, inp.sigma_band, f"{name} standard deviation"), inp.sigma
    elif isinstance(inp.sigma, (int, float)):
        if not inp.sigma > 0:
            raise TrackError(f"{name} track: the standard deviation must be positive, not {inp.sigma}")
        sigma, sigma_src = float(inp.sigma), f"constant {inp.sigma:g}"
    elif md.sigma is not None:
        sigma, sigma_src = md.sigma.value, f"{md.sigma.source} (found beside the layer)"

    unit = md.unit.value if md.unit else ""
    spec = TrackSpec(name, RasterRef(inp.path, inp.band, f"{name} track"), geom, inp.los_sign, sigma)
    return ResolvedTrack(spec, unit, md, log, warnings, sigma_src)


def _pick(typed, found):
    if typed is not None:
        return (float(typed), "typed")
    if found is not None:
        return (float(found.value), found.source)
    return None


def harmonise_units(resolved):
    """Scale every track to the first known unit; returns (unit, log lines)."""
    log = []
    known = [r for r in resolved if units.parse(r.unit)]
    if not known:
        log.append("units: none of the layers states its unit; all are assumed to be the same")
        return "", log
    target = known[0].unit
    for r in resolved:
        if not units.parse(r.unit):
            log.append(f"{r.spec.name} track: unit unknown, assumed to be {target}")
            continue
        f = units.factor(r.unit, target)
        if f is None:
            raise TrackError(f"{r.spec.name} track: its unit {r.unit} cannot be converted to {target}")
        if f != 1.0:
            r.spec.velocity = RasterRef(r.spec.velocity.path, r.spec.velocity.band, r.spec.velocity.label, f)
            if isinstance(r.spec.sigma, RasterRef):
                s = r.spec.sigma
                r.spec.sigma = RasterRef(s.path, s.band, s.label, s.scale * f)
            elif isinstance(r.spec.sigma, float):
                r.spec.sigma *= f
            log.append(f"{r.spec.name} track: converted from {r.unit} to {target} (x{f:g})")
    return target, log


def apply_weights_policy(resolved, log):
    """Weighted only when every track has a standard deviation; otherwise equal weights."""
    have = [r.spec.sigma is not None for r in resolved]
    if all(have):
        for r in resolved:
            log.append(f"{r.spec.name} track: standard deviation from {r.sigma_source}")
        return True
    if any(have):
        names = ", ".join(r.spec.name for r, h in zip(resolved, have) if not h)
        log.append(f"weights: not every track has a standard deviation ({names} has none); equal weights used")
        for r in resolved:
            r.spec.sigma = None
    return False
