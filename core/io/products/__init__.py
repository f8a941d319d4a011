"""Product readers as a registry: what a raster says about its own geometry, unit, sign,
sigma and reference point.

Each family is one module with the same small interface:

- ``PRODUCT``: the name shown for a raster it recognises (None: it only adds values);
- ``recognise(src, md)``: whether it applies, given the file and what was found so far;
- ``read(src, md)``: fill what it knows into ``md`` (a TrackMetadata);
- ``siblings(src)``: the files beside the input it reads.

They are tried in the order of ``FAMILIES``: the self-describing formats first (the
plugin's tags, then MintPy attributes), then the band's unit, then products whose
geometry lies in sibling files (LiCSBAS/LiCSAR E/N/U, HyP3 look vectors), which are
consulted only while no geometry has been found. Adding a family is one module and one
line here.
"""

import os

from ..gdal_mode import raises
from . import band_unit, hyp3, licsbas, mintpy, tags, timeseries
from .base import Found, Source, TrackMetadata

FAMILIES = (tags, mintpy, band_unit, licsbas, hyp3, timeseries)

__all__ = ["FAMILIES", "Found", "Source", "TrackMetadata", "read", "siblings", "track_label"]

#: File names that say nothing about which track they hold (lower case, no extension).
GENERIC_STEMS = {"vel.geo", "vel", "velocity", "velocity.geo", "cum", "cum_filt", "los", "los_velocity", "timeseries"}


def _read(src):
    md, used = TrackMetadata(), []
    for family in FAMILIES:
        if family.recognise(src, md):
            family.read(src, md)
            used.append(family)
            if family.PRODUCT:
                md.product = family.PRODUCT
    return md, used


@raises
def read(path: str, band: int = 1, label: str = "") -> TrackMetadata:
    """Everything ``path`` (band ``band``) says about itself."""
    return _read(Source.open(path, band, label))[0]


@raises
def siblings(path: str, band: int = 1) -> list:
    """The files beside ``path`` that the families recognising it read."""
    src = Source.open(path, band)
    out = []
    for family in _read(src)[1]:
        out += [p for p in family.siblings(src) if p not in out]
    return out


def track_label(path: str, fallback: str = "") -> str:
    """A short name for the track in ``path``: the LiCSAR frame or the folder when the file
    name is generic (``vel.geo.tif``), else ``fallback`` or the file name."""
    frame = licsbas.frame_name(path)
    if frame:
        return frame
    stem = os.path.basename(path)
    stem = stem[: -len(".tif")] if stem.lower().endswith(".tif") else os.path.splitext(stem)[0]
    if stem.lower() in GENERIC_STEMS:
        folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
        return f"{folder}/{stem}" if folder else stem
    return fallback or stem
