"""Time-series rasters: one band per acquisition, the date in the band's ``INSAR_DATE``
item or in a band description that is a date (``YYYYMMDD``, ``YYYY-MM-DD``,
``DYYYYMMDD``), as the plugin writes them and as many tools export them; a NetCDF-CF
variable (time, y, x) opened by GDAL's netCDF driver is dated by its CF time coordinate
(``NETCDF_DIM_time`` per band, ``time#units`` = ``days since YYYY-MM-DD``)."""

import datetime
import re

from osgeo import gdal

from ...conventions import dates
from ...conventions.schema import TAG_DATE
from .base import Found, Source, TrackMetadata

PRODUCT = None  # adds the dates to whichever product the raster is


_CF_DAYS = re.compile(r"^\s*days\s+since\s+(\d{4})-(\d{1,2})-(\d{1,2})")


def _cf_epoch(ds):
    m = _CF_DAYS.match(ds.GetMetadataItem("time#units") or "")
    return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _cf_date(band, epoch):
    value = band.GetMetadataItem("NETCDF_DIM_time")
    if epoch is None or value is None:
        return None
    return epoch + datetime.timedelta(days=int(float(value) // 1))


def band_dates(path: str) -> dict:
    """{band: date} of the bands that carry a date."""
    ds = gdal.Open(path)
    epoch = _cf_epoch(ds)
    out = {}
    for i in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(i)
        date = dates.parse(band.GetMetadataItem(TAG_DATE) or "") or dates.parse(band.GetDescription())
        date = date or _cf_date(band, epoch)
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
