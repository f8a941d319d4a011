"""What every product reader shares: the file being read and what it says about itself."""

import glob
import os
from dataclasses import dataclass, field
from typing import Optional

from osgeo import gdal

from ...conventions import units


@dataclass(frozen=True)
class Found:
    """A value read from a product, with where it came from (for the log)."""

    value: object
    source: str


@dataclass
class TrackMetadata:
    """What a velocity raster says about its geometry, units, sign and reference point."""

    product: str = "raster"
    heading: Optional[Found] = None
    incidence: Optional[Found] = None
    look_side: Optional[Found] = None
    los_sign: Optional[Found] = None
    unit: Optional[Found] = None
    geometry: Optional[Found] = None  # a model.RasterGeometry, per pixel
    sigma: Optional[Found] = None  # a model.RasterRef
    reference: Optional[Found] = None  # (x, y) in the raster's CRS
    dates: Optional[Found] = None  # a time series: {band: datetime.date}
    window: Optional[Found] = None  # (first, last acquisition, repeat days or None) of a velocity
    notes: list = field(default_factory=list)


@dataclass
class Source:
    """One band of a raster file opened for reading its metadata."""

    path: str
    band: int
    label: str
    tags: dict  # dataset metadata updated with the band's
    band_unit: str
    band_count: int

    @classmethod
    def open(cls, path: str, band: int = 1, label: str = "") -> "Source":
        ds = gdal.Open(path)
        tags = dict(ds.GetMetadata() or {})
        b = ds.GetRasterBand(band)
        tags.update(b.GetMetadata() or {})
        return cls(path, band, label, tags, b.GetUnitType() or "", ds.RasterCount)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def folder(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))

    def ref_label(self, suffix: str) -> str:
        """A label for a raster read on behalf of this track."""
        return f"{self.label or self.name} {suffix}".strip()

    def sibling(self, patterns: list) -> Optional[str]:
        """The first file beside this one matching one of ``patterns`` (glob), in order."""
        for pattern in patterns:
            hits = sorted(glob.glob(os.path.join(glob.escape(self.folder), pattern)))
            if hits:
                return hits[0]
        return None


def set_unit(md: TrackMetadata, unit: str, source: str) -> None:
    md.unit = Found(units.normalise(unit), source)
