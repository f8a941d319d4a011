"""What the dialog shows before a run: each layer's metadata, grid facts and how the chosen
geometry turns LOS errors into east/up errors. Same core functions as the run itself: the
dialog computes nothing of its own."""

import os
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
from osgeo import gdal

from ..conventions import geometry
from ..conventions.schema import ROLE_STD, TAG_ROLE, TAG_SOURCE, TAG_WINDOW
from ..io import products
from ..io.gdal_mode import raises
from ..io.grid import common_grid, crs_units, raster_info, resolution_in_metres, srs_from_wkt
from ..io.model import ConstantGeometry, RasterGeometry
from ..io.products import TrackMetadata
from ..io.reader import sampled_unit_vector
from ..solve import components as comp
from ..solve.inversion import DEFAULT_MAX_CONDITION, TrackBlock, horizontal_sensitivity, invert
from ..solve.resolvable import resolvable_tracks
from . import track_kinds
from .tracks import TrackError, choose_geometry

_PREVIEW = 64  # pixels a side read from per-pixel geometry rasters for the read-out


@dataclass
class Amplification:
    """East/up standard deviation per unit LOS standard deviation, and cond(G)."""

    sigma_horizontal: float
    sigma_up: float
    condition: float
    resolvable: bool
    reason: str = ""


@dataclass
class LayerReadout:
    """What a layer says, as rows of a small form, and the likely mistakes it shows."""

    rows: list  # of (field, value, where it was read)
    warnings: list


@raises
def describe_layer(path: str, band: int = 1, slot: str = "") -> tuple:
    """(TrackMetadata, :class:`LayerReadout`) for the dialog; ``slot`` is the pass direction
    the user put the layer in (``ascending``/``descending``), checked against its heading."""
    md = products.read(path, band)
    ds = gdal.Open(path)
    meta = ds.GetMetadata() or {}
    product = md.product
    if meta.get(TAG_SOURCE):
        product = f"{product}, imported from {meta[TAG_SOURCE]}"
    rows = [("Product", product, os.path.basename(path))] + _metadata_rows(md) + _date_rows(md, meta)
    for note in md.notes:
        rows.append(("Note", note, ""))
    base = os.path.basename(path)
    rows = [rows[0]] + [(f, v, _short_source(src, base)) for f, v, src in rows[1:]]
    return md, LayerReadout(rows, likely_mistakes(path, band, md, slot))


def _metadata_rows(md):
    rows = []
    if md.geometry is not None:
        rows.append(("Geometry", "per pixel", md.geometry.source))
    for label, found in (("Heading", md.heading), ("Incidence", md.incidence)):
        if found is not None:
            rows.append((label, f"{found.value:.2f}°", found.source))
    for label, found in (("Look side", md.look_side), ("LOS sign", md.los_sign), ("Unit", md.unit)):
        if found is not None:
            rows.append((label, str(found.value), found.source))
    if md.sigma is not None:
        rows.append(("Standard deviation", md.sigma.source, "used when no layer is picked"))
    if md.reference is not None:
        x, y = md.reference.value
        rows.append(("Reference", f"{x:.5f}, {y:.5f}", md.reference.source))
    return rows


def _date_rows(md, meta):
    if md.dates is not None:
        found = sorted(md.dates.value.values())
        return [("Dates", f"{len(found)} acquisitions, {found[0]} to {found[-1]}", "band dates")]
    if meta.get("MINTPY_START_DATE") or meta.get(TAG_WINDOW):
        span = meta.get(TAG_WINDOW) or f"{meta.get('MINTPY_START_DATE', '?')} to {meta.get('MINTPY_END_DATE', '?')}"
        return [("Dates", span.replace("/", " to "), "metadata")]
    return []


def _short_source(source: str, base: str) -> str:
    """``a064.tif metadata INSAR_HEADING`` -> ``INSAR_HEADING``: the file is named once."""
    for prefix in (f"{base} metadata ", f"{base} "):
        if source.startswith(prefix):
            return source[len(prefix) :]
    return source


def likely_mistakes(path: str, band: int, md: TrackMetadata, slot: str = "") -> list:
    """Sentences for a layer that is probably not what the user meant: a standard deviation
    picked as a velocity, a track in the other pass direction's slot."""
    out = []
    name = os.path.basename(path).lower()
    ds = gdal.Open(path)
    role = ds.GetRasterBand(band).GetMetadataItem(TAG_ROLE) if band <= ds.RasterCount else None
    sigma = md.sigma.value if md.sigma is not None else None
    is_own_sigma = sigma is not None and os.path.realpath(sigma.path) == os.path.realpath(path) and sigma.band == band
    if role == ROLE_STD or is_own_sigma or any(k in name for k in ("vstd", "velocitystd", "_std", "sigma")):
        out.append(f"{os.path.basename(path)} looks like a standard deviation, not a velocity")
    direction = pass_direction(md) if slot else None
    if direction and direction != slot:
        said = f"its heading ({md.heading.value:.1f}°)" if md.heading is not None else "its look vector"
        out.append(f"{said} says {direction}, but it is in the {slot} slot")
    return out


@raises
def file_crs_wkt(path: str) -> str:
    """The CRS the file itself says (empty when none), whatever QGIS assumed for it."""
    ds = gdal.Open(path)
    return ds.GetProjection() or ""


@raises
def layer_grid_text(path: str, label: str) -> str:
    """The layer's CRS, size and pixel size in its units and in metres."""
    info = raster_info(path, label)
    mx, my = resolution_in_metres(info.grid())
    srs = srs_from_wkt(info.crs_wkt)
    px, py = abs(info.geotransform[1]), abs(info.geotransform[5])
    return (
        f"{label}: {srs.GetName()}, {info.width} x {info.height} pixels of {px:.5g} x {py:.5g} "
        f"{crs_units(info.crs_wkt)} (about {mx:.0f} x {my:.0f} m)"
    )


@raises
def suggested_grid(paths: list, target_wkt: Optional[str] = None) -> tuple:
    """(resolution in target units, (metres east-west, north-south), units name) of the default grid."""
    infos = [raster_info(p) for p in paths]
    grid = common_grid(infos, target_wkt or None)
    return grid.pixel_size[0], resolution_in_metres(grid), crs_units(grid.crs_wkt)


@raises
def resolution_metres_text(paths: list, target_wkt: Optional[str], resolution: float) -> str:
    """A typed resolution in metres on the grid these layers would get (latitude-aware in
    a geographic CRS), e.g. ``about 91 x 111 m``; empty when it cannot be told."""
    if not paths or not resolution > 0:
        return ""
    try:
        infos = [raster_info(p) for p in paths]
        grid = common_grid(infos, target_wkt or None, resolution)
    except ValueError:
        return ""
    mx, my = resolution_in_metres(grid)
    return f"about {mx:.0f} x {my:.0f} m" if srs_from_wkt(grid.crs_wkt).IsGeographic() else f"{mx:.1f} m"


def representative_vector(geom: Union[ConstantGeometry, RasterGeometry]) -> tuple:
    """A single unit vector for a geometry: itself when constant, the median of a coarse
    read of the rasters when per pixel."""
    if not isinstance(geom, RasterGeometry):
        return (geom.s_east, geom.s_north, geom.s_up)
    return tuple(float(np.nanmedian(c)) for c in sampled_unit_vector(geom, _PREVIEW))


def track_vector(
    heading: Optional[float], incidence: Optional[float], look_side: Optional[str], md: Optional[TrackMetadata],
    kind: Optional[str] = None,
) -> tuple:
    """(unit vector or None, note) of a track as a run would see it: the same precedence
    of typed angles over the layer's geometry as ``tracks.resolve``; an along-track track's
    flight direction as ``track_kinds.along_track_geometry`` takes it."""
    if kind == geometry.ALONG_TRACK:
        try:
            geom, _, _ = track_kinds.along_track_geometry("", heading, None, look_side, md or TrackMetadata())
        except TrackError as exc:
            return None, str(exc).split(": ", 1)[-1]
        return (geom.s_east, geom.s_north, geom.s_up), "along-track"
    try:
        choice = choose_geometry("", heading, incidence, look_side, md or TrackMetadata())
    except TrackError as exc:
        return None, str(exc).split(": ", 1)[-1]
    per_pixel = isinstance(choice.geometry, RasterGeometry)
    return representative_vector(choice.geometry), ("per pixel, median shown" if per_pixel else "")


def amplification(
    vectors: list, azimuth: Optional[float] = None, max_condition: float = DEFAULT_MAX_CONDITION
) -> Amplification:
    """How unit LOS errors become east/up errors for these unit vectors (an Amplification)."""
    tracks = [TrackBlock(np.zeros(1), *s, sigma=1.0) for s in vectors]
    sol = invert(tracks, horizontal_azimuth=azimuth, max_condition=max_condition)
    cond = float(sol.condition[0])
    resolvable = bool(np.isfinite(sol.up[0]))
    reason = ""
    if not resolvable:
        a = [float(horizontal_sensitivity(s[0], s[1], azimuth)) for s in vectors]
        if not (any(x > 1e-6 for x in a) and any(x < -1e-6 for x in a)):
            reason = "the tracks all look the same way: one must look east and another west"
        else:
            reason = f"the geometry is ill-conditioned (cond(G) {cond:.3g} > {max_condition:g})"
    return Amplification(
        float(sol.sigma_horizontal[0]) if resolvable else float("nan"),
        float(sol.sigma_up[0]) if resolvable else float("nan"),
        cond,
        resolvable,
        reason,
    )


@raises
def pass_direction_of(path: str, band: int = 1) -> Optional[str]:
    """``ascending``/``descending`` from what the layer says about its heading or, for
    per-pixel geometry, from its look vector; None when it says neither."""
    return pass_direction(products.read(path, band))


@raises
def pass_direction(md: TrackMetadata) -> Optional[str]:
    """``ascending``/``descending`` from a layer's metadata, else None."""
    if md.heading is not None:
        return geometry.pass_direction(md.heading.value)
    if md.geometry is None:
        return None
    east, north, _ = representative_vector(md.geometry.value)
    if not (np.isfinite(east) and np.isfinite(north)) or east == north == 0:
        return None
    # the ground-to-satellite vector points away from the look direction, which is 90 degrees
    # right (or left) of the flight direction
    side = md.look_side.value if md.look_side is not None else geometry.RIGHT
    look = np.degrees(np.arctan2(east, north)) + 180.0
    return geometry.pass_direction((look - (90.0 if side == geometry.RIGHT else -90.0)) % 360.0)


def single_track_text(vector: tuple, direction: int, azimuth: Optional[float], min_sensitivity: float) -> str:
    """What projecting one track onto ``direction`` does to its LOS values, for the dialog:
    the sensitivity |s.u|, the amplification 1/|s.u| and the assumption."""
    from ..solve import projection

    if direction == projection.HORIZONTAL and azimuth is None:
        return "Give the azimuth of the horizontal motion."
    words = projection.assumption(direction, azimuth)
    if direction == projection.DOWNSLOPE:
        return (
            f"Downslope: the direction, and with it |s.u|, varies with the DEM's slope and aspect; pixels where "
            f"|s.u| < {min_sensitivity:g} are nodata (amplification over {1 / min_sensitivity:.2g}x). {words}."
        )
    u = (0.0, 0.0, 1.0) if direction == projection.VERTICAL else projection.horizontal_direction(azimuth)
    sens = abs(float(projection.sensitivity(vector, u)))
    if sens < min_sensitivity:
        return (
            f"<b style='color:#b2182b'>This track barely sees that direction: |s.u| = {sens:.3f} < "
            f"{min_sensitivity:g}.</b>"
        )
    return f"1 unit of LOS motion becomes {1 / sens:.2f} units along the direction (|s.u| = {sens:.3f}), {words}."


def track_kind(chosen: Optional[str], path: str, band: int = 1) -> str:
    """The kind a run gives a track: chosen, else the layer's INSAR_KIND tag, else line of sight."""
    return track_kinds.kind_of("", chosen, path, band)[0]


@raises
def extra_track_vectors(paths: list, entries: str) -> list:
    """(unit vector or None, note, kind) of each extra track as a run would see it, from its
    layer and its ``EXTRA_GEOMETRY`` entry (``heading,incidence[,left|right][,along]``, ';'
    between tracks); ValueError for an entry that is not one."""
    parts = [e.strip() for e in entries.split(";")] if entries.strip() else []
    out = []
    for i, path in enumerate(paths):
        label = f"extra track {i + 1}"
        heading, incidence, side, kind = track_kinds.parse_entry(label, parts[i] if i < len(parts) else "")
        kind = track_kind(kind, path)
        vector, note = track_vector(heading, incidence, side, products.read(path, 1), kind)
        out.append((vector, note, kind))
    return out


@dataclass
class ComponentsReadout:
    """What COMPONENTS 1 and 2 would give for single unit vectors and a stated noise (the
    a-priori sigma of a LOS and of an along-track value): the 3-D cond and whether it passes
    the guard, the expected sigma of east, north and up (square roots of the diagonal of
    (G'WG)^-1; NaN when not resolved), and for the up-north combination the tilt of d, the
    east estimate's leak from north and the sigma of east and v_UN."""

    spans_3d: bool
    condition_3d: float
    sigma_enu: tuple
    tilt: float
    east_leak: float
    sigma_east_un: tuple
    los_sigma: float
    along_sigma: float


def components_readout(vectors: list, kinds: list, max_condition: float = DEFAULT_MAX_CONDITION,
                       los_sigma: float = 2.0, along_sigma: float = 60.0) -> ComponentsReadout:  # fmt: skip
    """The read-out of COMPONENTS 1 and 2 for these tracks (``solve.components``, the run's
    solver and guard, on one pixel)."""
    sigmas = [along_sigma if k == geometry.ALONG_TRACK else los_sigma for k in kinds]
    blocks = [TrackBlock(np.zeros(1), *v, sigma=s) for v, s in zip(vectors, sigmas)]
    nan = float("nan")
    spans, cond, enu = False, nan, (nan, nan, nan)
    if len(vectors) >= 3:
        spans, cond = resolvable_tracks([v[0] for v in vectors], [v[2] for v in vectors], max_condition,
                                        north=[v[1] for v in vectors])  # fmt: skip
        sol = comp.solve(blocks, comp.EAST_NORTH_UP, max_condition)
        enu = (float(sol.sigma_horizontal[0]), float(sol.sigma_north[0]), float(sol.sigma_up[0]))
    un = comp.solve(blocks, comp.EAST_UP_NORTH, max_condition)
    return ComponentsReadout(spans, cond, enu, float(un.tilt[0]), float(un.east_per_north[0]),
                             (float(un.sigma_horizontal[0]), float(un.sigma_up_north[0])), los_sigma,
                             along_sigma)  # fmt: skip


def components_text(ro: ComponentsReadout, components: int) -> tuple:
    """(sentences for the read-out, why Run cannot work or empty) of COMPONENTS 1 and 2."""
    noise = f"for a LOS sigma of {ro.los_sigma:g} and an along-track sigma of {ro.along_sigma:g}"
    lines, blocking = [], ""
    if ro.spans_3d:
        e, n, u = ro.sigma_enu
        lines.append(f"These tracks span 3-D (cond(G) {ro.condition_3d:.2f} of their unit vectors): COMPONENTS 1 "
                     f"would give ±{e:.2f} east, ±{n:.2f} north, ±{u:.2f} up {noise}.")  # fmt: skip
    elif components == comp.EAST_NORTH_UP:
        cond = "" if np.isnan(ro.condition_3d) else f" (cond(G) {ro.condition_3d:.3g} of their unit vectors)"
        blocking = f"these tracks do not span 3-D{cond}: north cannot be solved; add along-track or differently " \
                   "looking tracks, or choose east + up-north"
        lines.append(f"These tracks do not span 3-D{cond}: COMPONENTS 1 would leave every pixel nodata.")
    if components == comp.EAST_UP_NORTH:
        if np.isnan(ro.tilt):
            blocking = "these tracks do not resolve east and an up-north direction"
            lines.append("These tracks do not resolve east and an up-north direction.")
        else:
            e, un = ro.sigma_east_un
            lines.append(f"Up-north: d is tilted {ro.tilt:+.2f}° from the vertical (positive toward north); the east "
                         f"estimate takes {ro.east_leak:+.4f} x the north velocity; ±{e:.2f} east, ±{un:.2f} v_UN "
                         f"{noise}.")  # fmt: skip
    return lines, blocking
