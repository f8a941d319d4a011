"""The plugin's own GeoTIFF tags (``schema``): written by its imports and outputs, or by
anyone who tags a raster by hand."""

import os

from osgeo import gdal

from ...conventions import dates, geometry
from ...conventions.schema import (
    ROLE_ENU,
    ROLE_STD,
    TAG_HEADING,
    TAG_INCIDENCE,
    TAG_LOOK_SIDE,
    TAG_LOS_SIGN,
    TAG_PREFIX,
    TAG_REF_X,
    TAG_REF_Y,
    TAG_REPEAT_DAYS,
    TAG_ROLE,
    TAG_SIGMA_FILE,
    TAG_UNIT,
    TAG_WINDOW,
)
from ..model import RasterGeometry, RasterRef
from .base import Found, Source, TrackMetadata, set_unit

PRODUCT = "GeoTIFF tags"


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def recognise(src: Source, md: TrackMetadata) -> bool:
    return any(k.startswith(TAG_PREFIX) for k in src.tags) or TAG_WINDOW in src.tags


def read(src: Source, md: TrackMetadata) -> None:
    tags, where = src.tags, f"{src.name} metadata"
    for attr, key in (("heading", TAG_HEADING), ("incidence", TAG_INCIDENCE)):
        value = _float(tags.get(key))
        if value is not None:
            setattr(md, attr, Found(value, f"{where} {key}"))
    side = (tags.get(TAG_LOOK_SIDE) or "").strip().lower()
    if side in geometry.LOOK_SIDES:
        md.look_side = Found(side, f"{where} {TAG_LOOK_SIDE}")
    sign = (tags.get(TAG_LOS_SIGN) or "").strip().lower()
    if sign in geometry.LOS_SIGNS:
        md.los_sign = Found(sign, f"{where} {TAG_LOS_SIGN}")
    if tags.get(TAG_UNIT):
        set_unit(md, tags[TAG_UNIT], f"{where} {TAG_UNIT}")
    x, y = _float(tags.get(TAG_REF_X)), _float(tags.get(TAG_REF_Y))
    if x is not None and y is not None:
        md.reference = Found((x, y), f"{where} {TAG_REF_X}/{TAG_REF_Y}")
    _read_band_roles(src, md)
    _read_sigma_file(src, md)
    _read_window(src, md)


def _read_sigma_file(src, md):
    """The sigma raster a velocity names (``INSAR_SIGMA_FILE``), when no band holds one and
    the file is there (it is not the raster itself)."""
    name = (src.tags.get(TAG_SIGMA_FILE) or "").strip()
    if not name or md.sigma is not None:
        return
    path = os.path.join(os.path.dirname(os.path.abspath(src.path)), name)
    if os.path.isfile(path) and os.path.realpath(path) != os.path.realpath(src.path):
        md.sigma = Found(RasterRef(path, 1, src.ref_label("std")), f"{src.name} metadata {TAG_SIGMA_FILE} ({name})")


def _read_window(src, md):
    first, _, last = (src.tags.get(TAG_WINDOW) or "").partition("/")
    first, last = dates.parse(first), dates.parse(last)
    if first and last:
        repeat = _float(src.tags.get(TAG_REPEAT_DAYS))
        md.window = Found((first, last, repeat), f"{src.name} metadata {TAG_WINDOW}")


def band_roles(path: str) -> dict:
    """{role: band index} of a raster's ``INSAR_ROLE`` band items."""
    ds = gdal.Open(path)
    roles = {}
    for i in range(1, ds.RasterCount + 1):
        role = (ds.GetRasterBand(i).GetMetadataItem(TAG_ROLE) or "").strip()
        if role:
            roles[role] = i
    return roles


def _read_band_roles(src, md):
    roles = band_roles(src.path)
    if all(r in roles for r in ROLE_ENU[:2]):
        present = [r for r in ROLE_ENU if r in roles]
        comps = tuple(RasterRef(src.path, roles[r], src.ref_label(r)) for r in present)
        md.geometry = Found(
            RasterGeometry("enu", comps, source=f"per-pixel LOS unit vector, bands of {src.name}"),
            f"{src.name} bands {', '.join(str(roles[r]) for r in present)}",
        )
    if ROLE_STD in roles:
        md.sigma = Found(
            RasterRef(src.path, roles[ROLE_STD], src.ref_label("std")), f"{src.name} band {roles[ROLE_STD]}"
        )


def siblings(src: Source) -> list:
    return []
