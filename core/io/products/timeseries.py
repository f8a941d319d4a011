"""Time-series rasters: one band per acquisition, the date in the band's ``INSAR_DATE``
item or in a band description that is a date (``YYYYMMDD``, ``YYYY-MM-DD``,
``DYYYYMMDD``), as the plugin writes them and as many tools export them."""

from osgeo import gdal

from ...conventions import dates
from ...conventions.schema import TAG_DATE
from .base import Found, Source, TrackMetadata

PRODUCT = None  # adds the dates to whichever product the raster is


def band_dates(path: str) -> dict:
    """{band: date} of the bands that carry a date."""
    ds = gdal.Open(path)
    out = {}
    for i in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(i)
        date = dates.parse(band.GetMetadataItem(TAG_DATE) or "") or dates.parse(band.GetDescription())
        if date is not None:
            out[i] = date
    return out


def recognise(src: Source, md: TrackMetadata) -> bool:
    return src.band_count > 1 and len(band_dates(src.path)) >= 2


def read(src: Source, md: TrackMetadata) -> None:
    found = band_dates(src.path)
    first, last = min(found.values()), max(found.values())
    md.dates = Found(found, f"{src.name}: {len(found)} dated bands, {first} to {last}")


def siblings(src: Source) -> list:
    return []
