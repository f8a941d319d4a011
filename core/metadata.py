"""What a velocity raster says about its own geometry, units, sign and reference point.

Sources, in order: the plugin's own GeoTIFF tags (``INSAR_*``, below), MintPy attributes
(files opened through GDAL's HDF5 driver or written by ``losdecomp:import_mintpy``),
LiCSBAS/LiCSAR sibling ``E``/``N``/``U`` rasters, and HyP3 sibling ``lv_theta``/``lv_phi``
rasters. Every value found carries where it came from, for the log.
"""

import glob
import os
import re
from dataclasses import dataclass, field
from typing import Optional

from osgeo import gdal

from . import geometry, mintpy, units
from .engine import RasterGeometry
from .reader import RasterRef

gdal.UseExceptions()

# GeoTIFF metadata items (dataset or band level) the plugin reads and writes.
TAG_HEADING = "INSAR_HEADING"  # degrees, flight direction clockwise from north
TAG_INCIDENCE = "INSAR_INCIDENCE"  # degrees from the vertical
TAG_LOOK_SIDE = "INSAR_LOOK_SIDE"  # right | left
TAG_LOS_SIGN = "INSAR_LOS_SIGN"  # toward | away (positive toward the satellite or away)
TAG_UNIT = "INSAR_UNIT"  # e.g. mm/year (else the band's unit type)
TAG_REF_X = "INSAR_REF_X"  # reference point, in the raster's CRS
TAG_REF_Y = "INSAR_REF_Y"
TAG_ROLE = "INSAR_ROLE"  # band level: velocity | velocity_std | los_east | los_north | los_up
ROLE_VELOCITY, ROLE_STD = "velocity", "velocity_std"
ROLE_ENU = ("los_east", "los_north", "los_up")


@dataclass(frozen=True)
class Found:
    value: object
    source: str


@dataclass
class TrackMetadata:
    product: str = "raster"
    heading: Optional[Found] = None
    incidence: Optional[Found] = None
    look_side: Optional[Found] = None
    los_sign: Optional[Found] = None
    unit: Optional[Found] = None
    geometry: Optional[Found] = None  # a RasterGeometry, per pixel
    sigma: Optional[Found] = None  # a RasterRef
    reference: Optional[Found] = None  # (x, y) in the raster's CRS
    notes: list = field(default_factory=list)


def _float(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value


def _tags(ds, band):
    items = dict(ds.GetMetadata() or {})
    items.update(ds.GetRasterBand(band).GetMetadata() or {})
    return items


def read(path, band=1, label=""):
    """Everything ``path`` (band ``band``) says about itself."""
    ds = gdal.Open(path)
    md = TrackMetadata()
    tags = _tags(ds, band)
    name = os.path.basename(path)

    if any(k.startswith("INSAR_") for k in tags):
        md.product = "GeoTIFF tags"
        _read_tags(md, tags, name)
        _read_band_roles(md, ds, path, label)
    elif mintpy.is_mintpy(tags):
        md.product = "MintPy"
        mintpy.fill_metadata(md, tags, name, Found)
    unit = ds.GetRasterBand(band).GetUnitType()
    if md.unit is None and unit:
        md.unit = Found(units.normalise(unit), f"{name} band unit")
    if md.geometry is None:
        _read_licsbas_siblings(md, path, label)
    if md.geometry is None:
        _read_hyp3_siblings(md, path, label)
    return md


def _read_tags(md, tags, name):
    src = f"{name} metadata"
    for attr, key in (("heading", TAG_HEADING), ("incidence", TAG_INCIDENCE)):
        value = _float(tags.get(key))
        if value is not None:
            setattr(md, attr, Found(value, f"{src} {key}"))
    side = (tags.get(TAG_LOOK_SIDE) or "").strip().lower()
    if side in geometry.LOOK_SIDES:
        md.look_side = Found(side, f"{src} {TAG_LOOK_SIDE}")
    sign = (tags.get(TAG_LOS_SIGN) or "").strip().lower()
    if sign in geometry.LOS_SIGNS:
        md.los_sign = Found(sign, f"{src} {TAG_LOS_SIGN}")
    if tags.get(TAG_UNIT):
        md.unit = Found(units.normalise(tags[TAG_UNIT]), f"{src} {TAG_UNIT}")
    x, y = _float(tags.get(TAG_REF_X)), _float(tags.get(TAG_REF_Y))
    if x is not None and y is not None:
        md.reference = Found((x, y), f"{src} {TAG_REF_X}/{TAG_REF_Y}")


def _read_band_roles(md, ds, path, label):
    roles = {}
    for i in range(1, ds.RasterCount + 1):
        role = (ds.GetRasterBand(i).GetMetadataItem(TAG_ROLE) or "").strip()
        if role:
            roles[role] = i
    name = os.path.basename(path)
    if all(r in roles for r in ROLE_ENU[:2]):
        comps = tuple(RasterRef(path, roles[r], f"{label or name} {r}") for r in ROLE_ENU if r in roles)
        md.geometry = Found(
            RasterGeometry("enu", comps, source=f"per-pixel LOS unit vector, bands of {name}"),
            f"{name} bands {', '.join(str(roles[r]) for r in ROLE_ENU if r in roles)}",
        )
    if ROLE_STD in roles:
        md.sigma = Found(RasterRef(path, roles[ROLE_STD], f"{label or name} std"), f"{name} band {roles[ROLE_STD]}")


def _sibling(folder, names):
    for pattern in names:
        hits = sorted(glob.glob(os.path.join(glob.escape(folder), pattern)))
        if hits:
            return hits[0]
    return None


def _read_licsbas_siblings(md, path, label):
    """LiCSBAS ``vel.geo.tif`` beside ``E.geo.tif``/``N.geo.tif``/``U.geo.tif``; LiCSAR
    ``<frame>.geo.E.tif`` and so on."""
    folder = os.path.dirname(os.path.abspath(path))
    comps = [_sibling(folder, [f"{c}.geo.tif", f"*.geo.{c}.tif"]) for c in "ENU"]
    if comps[0] is None or comps[1] is None or os.path.abspath(path) in comps:
        return
    md.product = "LiCSBAS/LiCSAR"
    refs = tuple(RasterRef(p, 1, f"{label} {os.path.basename(p)}".strip()) for p in comps if p)
    shown = ", ".join(os.path.basename(p) for p in comps if p)
    md.geometry = Found(RasterGeometry("enu", refs, source=f"per-pixel LOS unit vector from {shown}"), shown)
    vstd = _sibling(folder, ["vstd.geo.tif", "*.geo.vstd.tif"])
    if vstd and md.sigma is None:
        md.sigma = Found(RasterRef(vstd, 1, f"{label} {os.path.basename(vstd)}".strip()), os.path.basename(vstd))
    if md.unit is None:
        md.unit = Found("mm/year", "LiCSBAS convention (velocities in mm/year)")
    if md.los_sign is None:
        md.los_sign = Found(geometry.TOWARD, "LiCSBAS convention (positive toward the satellite)")


_HYP3 = re.compile(r"(?P<stem>.+)_(los_disp|vert_disp|unw_phase|los_vel|velocity)\.tif$", re.IGNORECASE)


def _read_hyp3_siblings(md, path, label):
    """HyP3 ``<stem>_los_disp.tif`` beside ``<stem>_lv_theta.tif`` and ``<stem>_lv_phi.tif``
    (radians: elevation of the pixel-to-sensor look vector and its azimuth from east,
    anticlockwise)."""
    m = _HYP3.match(os.path.basename(path))
    if not m:
        return
    folder = os.path.dirname(os.path.abspath(path))
    theta = os.path.join(folder, f"{m.group('stem')}_lv_theta.tif")
    phi = os.path.join(folder, f"{m.group('stem')}_lv_phi.tif")
    if not (os.path.exists(theta) and os.path.exists(phi)):
        return
    md.product = "HyP3"
    refs = (RasterRef(theta, 1, f"{label} lv_theta".strip()), RasterRef(phi, 1, f"{label} lv_phi".strip()))
    shown = f"{os.path.basename(theta)}, {os.path.basename(phi)}"
    md.geometry = Found(
        RasterGeometry("look_vector_radians", refs, source=f"per-pixel look vector from {shown}"), shown
    )
    if md.unit is None and "disp" in m.group(2).lower():
        md.unit = Found("m", "HyP3 convention (displacement in metres)")
    if md.los_sign is None and m.group(2).lower() == "los_disp":
        md.los_sign = Found(geometry.TOWARD, "HyP3 convention (positive toward the sensor)")


def track_tags(heading=None, incidence=None, look_side=None, los_sign=None, unit=None, reference=None):
    """The ``INSAR_*`` items for a raster, as written by this plugin."""
    tags = {}
    if heading is not None:
        tags[TAG_HEADING] = repr(float(heading))
    if incidence is not None:
        tags[TAG_INCIDENCE] = repr(float(incidence))
    if look_side:
        tags[TAG_LOOK_SIDE] = look_side
    if los_sign:
        tags[TAG_LOS_SIGN] = los_sign
    if unit:
        tags[TAG_UNIT] = unit
    if reference is not None:
        tags[TAG_REF_X], tags[TAG_REF_Y] = repr(float(reference[0])), repr(float(reference[1]))
    return tags
