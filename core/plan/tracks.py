"""Turn what the user gave and what each layer says into engine TrackSpecs, with a log.

Precedence for each value: typed by the user, then the layer's metadata/product, then a
documented default (right-looking). Angles typed by the user override per-pixel geometry.
"""

import math
from dataclasses import dataclass, field
from typing import Optional, Union

from ..conventions import geometry, units
from ..conventions.errors import TrackError  # noqa: F401 (re-exported: raised here)
from ..io import products
from ..io.gdal_mode import raises
from ..io.grid import raster_info
from ..io.model import ConstantGeometry, RasterGeometry, RasterRef, TrackSpec
from ..io.products import TrackMetadata
from . import track_kinds


@dataclass
class TrackInput:
    """A track as the user gave it: a raster band and the values typed (None = from the layer)."""

    name: str
    path: str
    band: int = 1
    heading: Optional[float] = None
    incidence: Optional[float] = None
    look_side: Optional[str] = None
    los_sign: str = geometry.TOWARD
    sigma: Union[str, float, None] = None  # a raster path or a constant
    sigma_band: int = 1
    time_series: bool = False  # the raster is a time series read whole (no band is picked)
    kind: Optional[str] = None  # line of sight or along-track (geometry.TRACK_KINDS); None = the layer's tag, else LOS


@dataclass
class ResolvedTrack:
    """A track ready for the engine, with what its layer said and the log of the choices."""

    spec: TrackSpec
    unit: str
    metadata: TrackMetadata
    log: list
    warnings: list
    sigma_source: str = ""


@dataclass
class GeometryChoice:
    """The geometry a track uses and why."""

    geometry: Union[ConstantGeometry, RasterGeometry]
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def check_angles(name: str, heading: Optional[float] = None, incidence: Optional[float] = None) -> list:
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


def look_side_of(chosen: Optional[str], md: Optional[TrackMetadata]) -> tuple:
    """(look side, where it came from): chosen, else the layer's, else right."""
    if chosen:
        return chosen, "chosen"
    if md is not None and md.look_side:
        return md.look_side.value, md.look_side.source
    return geometry.RIGHT, "default"


def choose_geometry(
    name: str,
    heading: Optional[float],
    incidence: Optional[float],
    look_side: Optional[str],
    md: TrackMetadata,
) -> GeometryChoice:
    """The geometry of a track: the layer's per-pixel geometry unless an angle was typed,
    else single values, each typed or from the layer. TrackError when one is missing."""
    if md.geometry is not None and heading is None and incidence is None:
        geom = md.geometry.value
        return GeometryChoice(geom, [f"{name} track: geometry per pixel, {geom.source}"])
    side, side_src = look_side_of(look_side, md)
    h, t = _pick(heading, md.heading), _pick(incidence, md.incidence)
    missing = [n for n, v in (("heading", h), ("incidence", t)) if v is None]
    if missing:
        raise TrackError(
            f"{name} track: no {' and no '.join(missing)} angle given, and none found in the "
            f"layer's metadata; type {'them' if len(missing) > 1 else 'it'} in"
        )
    warnings = check_angles(name, h[0], t[0])
    s = geometry.from_heading_incidence(h[0], t[0], side)
    src = f"heading {h[0]:.4f} ({h[1]}), incidence {t[0]:.4f} ({t[1]}), {side}-looking ({side_src})"
    log = [f"{name} track: {src}; unit vector to the satellite E {s[0]:.4f} N {s[1]:.4f} U {s[2]:.4f}"]
    if md.geometry is not None:
        log.append(f"{name} track: per-pixel geometry ({md.geometry.source}) not used: angles were typed")
    return GeometryChoice(ConstantGeometry(float(s[0]), float(s[1]), float(s[2]), source=src), log, warnings)


def _sigma(inp, md):
    if isinstance(inp.sigma, str) and inp.sigma:
        return RasterRef(inp.sigma, inp.sigma_band, f"{inp.name} standard deviation"), inp.sigma
    if isinstance(inp.sigma, (int, float)):
        if not inp.sigma > 0:
            raise TrackError(f"{inp.name} track: the standard deviation must be positive, not {inp.sigma}")
        return float(inp.sigma), f"constant {inp.sigma:g}"
    if md.sigma is not None:
        return md.sigma.value, f"{md.sigma.source} (found beside the layer)"
    return None, ""


@raises
def resolve(inp: TrackInput) -> ResolvedTrack:
    """A ResolvedTrack for ``inp``; raises TrackError naming the track when it cannot be used."""
    name = inp.name
    info = raster_info(inp.path, f"{name} track")
    if not 1 <= inp.band <= info.band_count:
        raise TrackError(f"{name} track: has no band {inp.band} (it has {info.band_count})")
    md = products.read(inp.path, inp.band, label=name)
    log, warnings = [f"{name} track: {inp.path} band {inp.band} ({md.product})"], list(md.notes)
    kind, kind_src = track_kinds.kind_of(name, inp.kind, inp.path, inp.band)
    if kind == geometry.ALONG_TRACK:
        return _resolve_along_track(inp, md, log, warnings, kind_src)
    if md.los_sign and md.los_sign.value != inp.los_sign:
        warnings.append(
            f"{name} track: the layer says LOS positive {md.los_sign.value} the satellite "
            f"({md.los_sign.source}) but positive {inp.los_sign} was chosen; using {inp.los_sign}"
        )
    if md.dates is not None and inp.band in md.dates.value and not inp.time_series:
        warnings.append(
            f"{name} track: band {inp.band} is the displacement on {md.dates.value[inp.band]} of a time series "
            f"({len(md.dates.value)} acquisitions), not a velocity; for a velocity over a window run "
            "losdecomp:velocity on it first"
        )
    choice = choose_geometry(name, inp.heading, inp.incidence, inp.look_side, md)
    log += choice.log
    warnings += choice.warnings
    sigma, sigma_src = _sigma(inp, md)
    unit = md.unit.value if md.unit else ""
    spec = TrackSpec(name, RasterRef(inp.path, inp.band, f"{name} track"), choice.geometry, inp.los_sign, sigma)
    return ResolvedTrack(spec, unit, md, log, warnings, sigma_src)


def _resolve_along_track(inp, md, log, warnings, kind_src):
    """An along-track track (``track_kinds``): the flight direction as its unit vector, no
    LOS sign (its values are positive along the flight direction)."""
    geom, glog, gwarn = track_kinds.along_track_geometry(inp.name, inp.heading, inp.incidence, inp.look_side, md)
    log += [f"{inp.name} track: kind along-track ({kind_src})"] + glog
    if inp.los_sign != geometry.TOWARD:
        log.append(f"{inp.name} track: LOS_SIGN ({inp.los_sign}) does not apply to an along-track track")
    sigma, sigma_src = _sigma(inp, md)
    unit = md.unit.value if md.unit else ""
    velocity = RasterRef(inp.path, inp.band, f"{inp.name} track")
    spec = TrackSpec(inp.name, velocity, geom, geometry.TOWARD, sigma, geometry.ALONG_TRACK)
    return ResolvedTrack(spec, unit, md, log, warnings + gwarn, sigma_src)


def _pick(typed, found):
    if typed is not None:
        return (float(typed), "typed")
    if found is not None:
        return (float(found.value), found.source)
    return None


def harmonise_units(resolved: list) -> tuple:
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


def apply_weights_policy(resolved: list, log: list) -> bool:
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
