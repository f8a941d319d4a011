"""LiCSBAS ``vel.geo.tif`` beside ``E.geo.tif``/``N.geo.tif``/``U.geo.tif`` (and
``vstd.geo.tif``); LiCSAR ``<frame>.geo.E.tif`` and so on. Velocities in mm/year,
positive toward the satellite; E/N/U are the ground-to-satellite unit vector."""

import os

from ...conventions import geometry
from ..model import RasterGeometry, RasterRef
from .base import Found, Source, TrackMetadata, set_unit

PRODUCT = "LiCSBAS/LiCSAR"
_COMPONENTS = {c: [f"{c}.geo.tif", f"*.geo.{c}.tif"] for c in "ENU"}
_STD = ["vstd.geo.tif", "*.geo.vstd.tif"]


def _components(src):
    return [src.sibling(_COMPONENTS[c]) for c in "ENU"]


def recognise(src: Source, md: TrackMetadata) -> bool:
    if md.geometry is not None:
        return False
    comps = _components(src)
    return comps[0] is not None and comps[1] is not None and os.path.abspath(src.path) not in comps


def read(src: Source, md: TrackMetadata) -> None:
    comps = [p for p in _components(src) if p]
    refs = tuple(RasterRef(p, 1, src.ref_label(os.path.basename(p))) for p in comps)
    shown = ", ".join(os.path.basename(p) for p in comps)
    md.geometry = Found(RasterGeometry("enu", refs, source=f"per-pixel LOS unit vector from {shown}"), shown)
    vstd = src.sibling(_STD)
    if vstd and md.sigma is None:
        md.sigma = Found(RasterRef(vstd, 1, src.ref_label(os.path.basename(vstd))), os.path.basename(vstd))
    if md.unit is None:
        set_unit(md, "mm/year", "LiCSBAS convention (velocities in mm/year)")
    if md.los_sign is None:
        md.los_sign = Found(geometry.TOWARD, "LiCSBAS convention (positive toward the satellite)")


def siblings(src: Source) -> list:
    return [p for p in _components(src) + [src.sibling(_STD)] if p]


def frame_name(path: str) -> str:
    """The LiCSAR frame id (``014A_04939_131313``) of a file in a frame folder, or ''."""
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    parts = folder.split("_")
    return folder if len(parts) == 3 and parts[0][:3].isdigit() and parts[0][-1:] in "AD" else ""
