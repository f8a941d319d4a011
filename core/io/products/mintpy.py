"""MintPy HDF5 products, read through GDAL's HDF5 driver (no h5py).

MintPy attributes used: ``X_FIRST``/``Y_FIRST`` (upper-left corner of the first pixel),
``X_STEP``/``Y_STEP``, ``EPSG`` or ``UTM_ZONE`` (else geographic WGS 84), ``UNIT``,
``REF_X``/``REF_Y``, ``ANTENNA_SIDE`` (-1 right-looking, 1 left), ``HEADING`` (often
rounded), ``azimuthAngle``/``incidenceAngle`` (single values; per pixel in geometry files).

``azimuthAngle`` comes in two conventions: MintPy's (from north, anticlockwise) and
ARIA's (from east, anticlockwise; files loaded from ARIA). The attribute ``HEADING``,
even rounded, tells them apart: the convention whose implied heading is closest to it is
used. Without ``HEADING``, ``mintpy.load.processor=aria`` selects ARIA's.
"""

from typing import Optional

import numpy as np
from osgeo import gdal, osr

from ...conventions import geometry
from ...conventions.errors import MintPyError  # noqa: F401 (re-exported: raised here)
from ..grid import Grid
from .base import Found, Source, TrackMetadata, set_unit

PRODUCT = "MintPy"
MINTPY, ARIA = "mintpy", "aria"



def is_mintpy(tags: dict) -> bool:
    return "X_FIRST" in tags and ("FILE_TYPE" in tags or any(k.startswith("mintpy.") for k in tags))


def recognise(src: Source, md: TrackMetadata) -> bool:
    return md.product == "raster" and is_mintpy(src.tags)


def subdataset(path: str, name: str) -> str:
    return f'HDF5:"{path}"://{name}'


def attributes(path: str) -> dict:
    """Root attributes of a MintPy file (GDAL shows them as dataset metadata)."""
    ds = gdal.Open(path)
    return dict(ds.GetMetadata() or {})


def look_side(tags: dict) -> str:
    return geometry.LEFT if str(tags.get("ANTENNA_SIDE", "-1")).strip() == "1" else geometry.RIGHT


def _angle_diff(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def azimuth_convention(tags: dict, azimuth: float) -> tuple:
    """(convention, reason) for an ``azimuthAngle`` value of this file."""
    side = look_side(tags)
    heading = tags.get("HEADING")
    if heading not in (None, ""):
        h = float(heading)
        d_mintpy = _angle_diff(float(geometry.heading_from_mintpy_azimuth(azimuth, side)), h)
        d_aria = _angle_diff(float(geometry.heading_from_aria_azimuth(azimuth, side)), h)
        conv = ARIA if d_aria < d_mintpy else MINTPY
        return conv, f"closest to HEADING {heading} ({min(d_aria, d_mintpy):.1f} deg apart)"
    if str(tags.get("mintpy.load.processor", "")).lower() == "aria":
        return ARIA, "mintpy.load.processor=aria"
    return MINTPY, "MintPy default"


def heading_from_azimuth(tags: dict, azimuth: float) -> tuple:
    """(heading, convention, reason) implied by an ``azimuthAngle`` value."""
    conv, why = azimuth_convention(tags, azimuth)
    side = look_side(tags)
    fn = geometry.heading_from_aria_azimuth if conv == ARIA else geometry.heading_from_mintpy_azimuth
    return float(fn(azimuth, side)), conv, why


def read(src: Source, md: TrackMetadata) -> None:
    """Single-valued geometry, unit, sign and reference point from MintPy attributes."""
    tags, name = src.tags, src.name
    side = look_side(tags)
    md.look_side = Found(side, f"{name} ANTENNA_SIDE={tags.get('ANTENNA_SIDE', '-1 (default)')}")
    az = tags.get("azimuthAngle")
    if az not in (None, ""):
        h, conv, why = heading_from_azimuth(tags, float(az))
        label = "ARIA convention, from east" if conv == ARIA else "MintPy convention, from north"
        md.heading = Found(h, f"{name} azimuthAngle={float(az):.4f} ({label}; {why})")
    elif tags.get("HEADING") not in (None, ""):
        md.heading = Found(float(tags["HEADING"]) % 360.0, f"{name} HEADING (may be rounded)")
        md.notes.append(f"{name}: heading from the HEADING attribute, which MintPy often rounds")
    if tags.get("incidenceAngle") not in (None, ""):
        md.incidence = Found(float(tags["incidenceAngle"]), f"{name} incidenceAngle")
    unit = tags.get("UNIT") or tags.get("velocity_UNIT")
    if unit:
        set_unit(md, unit, f"{name} UNIT")
    md.los_sign = Found(geometry.TOWARD, "MintPy convention (positive toward the satellite)")
    ref = reference_xy(tags)
    if ref is not None:
        md.reference = Found(ref, f"{name} REF_Y/REF_X={tags['REF_Y']}/{tags['REF_X']}")


def siblings(src: Source) -> list:
    return []


def grid_of(tags: dict, label: str) -> Grid:
    """The grid the attributes describe; MintPyError when the file is not geocoded."""
    try:
        x0, y0 = float(tags["X_FIRST"]), float(tags["Y_FIRST"])
        dx, dy = float(tags["X_STEP"]), float(tags["Y_STEP"])
        width, height = int(tags["WIDTH"]), int(tags.get("LENGTH") or tags["FILE_LENGTH"])
    except (KeyError, ValueError):
        raise MintPyError(f"{label}: not geocoded (no X_FIRST/Y_FIRST/X_STEP/Y_STEP/WIDTH/LENGTH)") from None
    return Grid(crs_wkt_of(tags), (x0, dx, 0.0, y0, 0.0, dy), width, height)


def crs_wkt_of(tags: dict) -> str:
    srs = osr.SpatialReference()
    if str(tags.get("EPSG", "")).strip().isdigit():
        srs.ImportFromEPSG(int(tags["EPSG"]))
    elif tags.get("UTM_ZONE"):
        zone = str(tags["UTM_ZONE"]).strip().upper()
        north = not zone.endswith("S")
        srs.ImportFromEPSG((32600 if north else 32700) + int(zone.rstrip("NS")))
    else:
        srs.ImportFromEPSG(4326)
    return srs.ExportToWkt()


def reference_xy(tags: dict) -> Optional[tuple]:
    """The reference pixel's centre in the file's CRS, or None."""
    try:
        col, row = int(tags["REF_X"]), int(tags["REF_Y"])
        x0, y0 = float(tags["X_FIRST"]), float(tags["Y_FIRST"])
        dx, dy = float(tags["X_STEP"]), float(tags["Y_STEP"])
    except (KeyError, ValueError):
        return None
    return (x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy)


def reference_pixel(tags: dict, grid: Grid) -> Optional[tuple]:
    """(row, col) of the reference pixel when it lies on the grid."""
    ref = (tags.get("REF_Y"), tags.get("REF_X"))
    if not all(str(v).lstrip("-").isdigit() for v in ref):
        return None
    r, c = int(ref[0]), int(ref[1])
    return (r, c) if 0 <= r < grid.height and 0 <= c < grid.width else None


def read_dataset(path: str, name: str) -> Optional[np.ndarray]:
    """A 2-D dataset as float32, or None when the file has no such dataset."""
    try:
        ds = gdal.Open(subdataset(path, name))
    except RuntimeError:
        return None
    if ds is None:
        return None
    return ds.GetRasterBand(1).ReadAsArray().astype(np.float32)
