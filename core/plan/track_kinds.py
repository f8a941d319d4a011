"""Track kinds (DESIGN.md section 3c): a line-of-sight track (today's) or an along-track one
(azimuth pixel offsets, multiple-aperture interferometry, burst-overlap interferometry).

An along-track track's unit vector is the flight direction ``(sin h, cos h, 0)``, positive
along the flight; incidence, look side and LOS sign do not apply to it. Its data are much
noisier than LOS data, so it needs a standard deviation (a sigma band or sidecar, a typed
raster, or the constant ``ALONG_TRACK_SIGMA``): without one the run is refused.
"""

import math
from typing import Optional

import numpy as np
from osgeo import gdal

from ..conventions import geometry
from ..conventions.errors import TrackError
from ..io.gdal_mode import raises
from ..io.model import ConstantGeometry
from ..io.reader import sampled_unit_vector

#: The layer tag that says a raster holds along-track measurements (``INSAR_KIND=along-track``).
TAG_KIND = "INSAR_KIND"


@raises
def layer_kind(path: str, band: int = 1) -> Optional[str]:
    """The kind a raster's ``INSAR_KIND`` tag states (band over dataset), None without one;
    TrackError when the tag names no kind."""
    ds = gdal.Open(path)
    tags = dict(ds.GetMetadata() or {})
    if 1 <= band <= ds.RasterCount:
        tags.update(ds.GetRasterBand(band).GetMetadata() or {})
    value = tags.get(TAG_KIND)
    if value is None or not value.strip():
        return None
    try:
        return geometry.track_kind(value)
    except ValueError:
        raise TrackError(f"{path}: its {TAG_KIND} tag {value!r} names no track kind ('los' or 'along-track')") from None


def parse_entry(label: str, entry: str) -> tuple:
    """(heading, incidence, look side, kind) of an ``EXTRA_GEOMETRY`` entry
    ``heading,incidence[,left|right][,along]`` (Nones, and kind None, when empty; the
    incidence of an along-track entry may be empty). ValueError naming ``label`` otherwise."""
    parts = [p.strip() for p in entry.split(",")] if entry.strip() else []
    kind = None
    if parts and parts[-1].lower() in ("along", "along-track"):
        kind, parts = geometry.ALONG_TRACK, parts[:-1]
    if not parts:
        return None, None, None, kind
    words = "'heading,incidence[,left|right][,along]'"
    try:
        heading = float(parts[0])
        incidence = float(parts[1]) if len(parts) > 1 and (parts[1] or kind is None) else None
    except (IndexError, ValueError):
        raise ValueError(f"{label}: geometry '{entry}' is not {words}") from None
    if incidence is None and kind is None:
        raise ValueError(f"{label}: geometry '{entry}' is not {words}")
    side = None
    if len(parts) > 2:
        side = parts[2].lower()
        if side not in geometry.LOOK_SIDES:
            raise ValueError(f"{label}: look side '{parts[2]}' is not 'left' or 'right'")
    return heading, incidence, side, kind


def kind_of(name: str, typed: Optional[str], path: str, band: int) -> tuple:
    """(kind, where it came from): typed, else the layer's tag, else line of sight."""
    if typed:
        return geometry.track_kind(typed), "chosen"
    found = layer_kind(path, band)
    if found:
        return found, f"layer tag {TAG_KIND}"
    return geometry.LINE_OF_SIGHT, "default"


def along_track_geometry(name: str, heading: Optional[float], incidence: Optional[float], look_side: Optional[str],
                         md: object) -> tuple:  # fmt: skip
    """(ConstantGeometry, log, warnings) of an along-track track: the flight direction from
    the typed heading, else the layer's heading, else the median heading of the layer's
    per-pixel look vectors. TrackError when none is known."""
    log, warnings = [], []
    if incidence is not None:
        warnings.append(f"{name} track: along-track: the incidence angle {incidence:g} is ignored (it does not "
                        "apply to an along-track measurement)")  # fmt: skip
    if heading is not None:
        h, src = float(heading), "typed"
    elif md.heading is not None:
        h, src = float(md.heading.value), md.heading.source
    elif md.geometry is not None:
        h, src = _median_heading(md.geometry, look_side, md)
    else:
        raise TrackError(f"{name} track: along-track: no heading given and none found in the layer's metadata; "
                         "type the heading (flight direction, degrees clockwise from north)")  # fmt: skip
    if not math.isfinite(h):
        raise TrackError(f"{name} track: the heading must be a finite number of degrees, not {h}")
    s = geometry.along_track_unit_vector(h)
    where = f"along-track, heading {h:.4f} ({src}), positive along the flight direction"
    log.append(f"{name} track: {where}; unit vector E {float(s[0]):.4f} N {float(s[1]):.4f} U 0 (incidence, look "
               "side and LOS sign do not apply)")  # fmt: skip
    return ConstantGeometry(float(s[0]), float(s[1]), 0.0, source=where), log, warnings


def _median_heading(found, look_side, md):
    side = look_side or (md.look_side.value if md.look_side else geometry.RIGHT)
    s = sampled_unit_vector(found.value)
    h, _ = geometry.to_heading_incidence(*(np.asarray(c, dtype=np.float64) for c in s), look_side=side)
    h = np.asarray(h)[np.isfinite(h)]
    if h.size == 0:
        raise TrackError("along-track: the layer's per-pixel geometry has no valid look vector to take a heading from")
    z = np.exp(1j * np.radians(h))  # the circular mean: the angle of the mean flight direction
    heading = float(np.degrees(np.angle(z.mean())) % 360.0)
    return heading, f"mean of the layer's per-pixel look vectors ({found.source}), {side}-looking"


def require_sigmas(resolved: list, along_track_sigma: Optional[float], log: list) -> list:
    """Give every along-track track its standard deviation (its own, else ALONG_TRACK_SIGMA,
    in the tracks' common unit), or refuse; with an along-track track, every LOS track
    needs one too (the weights are what keep the noisy along-track data from swamping the
    LOS data). Returns warnings (ALONG_TRACK_SIGMA given with no along-track track)."""
    along = [r for r in resolved if r.spec.kind == geometry.ALONG_TRACK]
    if not along:
        if along_track_sigma is not None:
            return [f"ALONG_TRACK_SIGMA {along_track_sigma:g} not used: no track is along-track (ASC_KIND, DESC_KIND, "
                    "EXTRA_GEOMETRY's 'along' or the layer tag INSAR_KIND=along-track say which are)"]  # fmt: skip
        return []
    if along_track_sigma is not None and not (math.isfinite(along_track_sigma) and along_track_sigma > 0):
        raise TrackError(f"ALONG_TRACK_SIGMA must be a positive number, not {along_track_sigma}")
    for r in along:
        if r.spec.sigma is None:
            if along_track_sigma is None:
                raise TrackError(
                    f"{r.spec.name} track: along-track data need a standard deviation (they are much noisier than "
                    "LOS data, so the weights matter): give a sigma raster or band (the track's SIGMA, EXTRA_SIGMAS "
                    "for extra tracks) or the constant ALONG_TRACK_SIGMA"
                )
            r.spec.sigma, r.sigma_source = float(along_track_sigma), f"ALONG_TRACK_SIGMA {along_track_sigma:g}"
    missing = [r.spec.name for r in resolved if r.spec.sigma is None]
    if missing:
        raise TrackError(
            f"with along-track tracks every track needs a standard deviation, for the weights: {', '.join(missing)} "
            "has none (give its SIGMA raster or an EXTRA_SIGMAS raster)"
        )
    log.append("weights: along-track tracks present; every track weighted by its standard deviation")
    return []
