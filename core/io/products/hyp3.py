"""HyP3 ``<stem>_los_disp.tif`` beside ``<stem>_lv_theta.tif`` and ``<stem>_lv_phi.tif``
(radians: elevation of the pixel-to-sensor look vector and its azimuth from east,
anticlockwise)."""

import os
import re

from ...conventions import geometry
from ..model import RasterGeometry, RasterRef
from .base import Found, Source, TrackMetadata, set_unit

PRODUCT = "HyP3"
_NAME = re.compile(r"(?P<stem>.+)_(los_disp|vert_disp|unw_phase|los_vel|velocity)\.tif$", re.IGNORECASE)


def _look_vector_files(src):
    m = _NAME.match(src.name)
    if not m:
        return None
    theta = os.path.join(src.folder, f"{m.group('stem')}_lv_theta.tif")
    phi = os.path.join(src.folder, f"{m.group('stem')}_lv_phi.tif")
    if not (os.path.exists(theta) and os.path.exists(phi)):
        return None
    return theta, phi, m.group(2).lower()


def recognise(src: Source, md: TrackMetadata) -> bool:
    return md.geometry is None and _look_vector_files(src) is not None


def read(src: Source, md: TrackMetadata) -> None:
    theta, phi, kind = _look_vector_files(src)
    refs = (RasterRef(theta, 1, src.ref_label("lv_theta")), RasterRef(phi, 1, src.ref_label("lv_phi")))
    shown = f"{os.path.basename(theta)}, {os.path.basename(phi)}"
    md.geometry = Found(
        RasterGeometry("look_vector_radians", refs, source=f"per-pixel look vector from {shown}"), shown
    )
    if md.unit is None and "disp" in kind:
        set_unit(md, "m", "HyP3 convention (displacement in metres)")
    if md.los_sign is None and kind == "los_disp":
        md.los_sign = Found(geometry.TOWARD, "HyP3 convention (positive toward the sensor)")


def siblings(src: Source) -> list:
    found = _look_vector_files(src)
    return list(found[:2]) if found else []
