"""GNSS beside the inspector's series: the station of a GNSS file (``.tenv3`` or CSV, read by
io/gnss_series.py) nearest a place within a radius, its daily positions seen as a layer sees
them (gnss_series_run.station_los_series, the one function that puts a GNSS series in a line
of sight), zeroed at a date.

Definitions (the inspector's help says the same):

- nearest: the station whose WGS 84 position, taken to the place's CRS, is closest to the
  place; none beyond ``radius`` (the place's CRS units);
- direction: a track's line of sight at the station with its sign (the track's geometry
  tags or rasters, resolved as compare_timeseries_to_gnss does); ``(1, 0, 0)`` for a
  decomposed east stack, ``(0, 0, 1)`` for an up stack; a layer with none gets no GNSS;
- units: the GNSS positions converted to the layer's unit (``.tenv3`` is in metres);
- zero: the GNSS series minus its value at ``zero_date`` (linear between the neighbouring
  days), the InSAR series' own zero (its first valid date, or the reference date); none
  when the station has no position on both sides of that date. Equipment steps are not
  removed (no steps file here), and a reference place of the InSAR series does not apply to
  the GNSS series (it would need a reference station).
"""

import datetime
import types
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..io.gnss_series import Series, SeriesSet, read_series
from ..io.gnss_stations import WGS84_WKT
from ..io.model import HORIZONTAL, UP
from ..samplers import series as ts
from .gnss_run import transform
from .gnss_series_run import LOS, SeriesRequest, _sample, _stack, station_los_series

EARTH_MEAN_RADIUS_M = 6371008.8  # IUGG mean radius

__all__ = ["GnssCurve", "read_stations", "nearest_station", "direction", "gnss_curve"]


@dataclass
class GnssCurve:
    """A station's series in a layer's direction: ``dates`` (datetime.date), ``values`` and
    their propagated ``sigma`` in the layer's unit, the station and its distance."""

    label: str
    dates: list
    values: np.ndarray
    sigma: np.ndarray
    site: str
    distance: float
    what: str


def read_stations(path: str) -> SeriesSet:
    """Every station of a GNSS file or folder (io/gnss_series.read_series)."""
    return read_series(path)


def nearest_station(stations: Sequence[Series], crs_wkt: str, x: float, y: float, radius_m: float
                    ) -> Optional[tuple]:  # fmt: skip
    """(station, distance in metres) of the station nearest (x, y) in ``crs_wkt``, None beyond
    ``radius_m`` metres. The distance is on the ground (great circle on a sphere of the Earth's
    mean radius, within 0.5 % of the ellipsoid's), whatever the map's units: a radius in degrees
    would mean a different distance at every latitude."""
    if not stations:
        return None
    place = types.SimpleNamespace(x=np.array([x], np.float64), y=np.array([y], np.float64), crs_wkt=crs_wkt)
    px, py = transform(place, WGS84_WKT)
    lon = np.radians([s.lon for s in stations])
    lat = np.radians([s.lat for s in stations])
    plon, plat = np.radians(px[0]), np.radians(py[0])
    h = np.sin((lat - plat) / 2) ** 2 + np.cos(lat) * np.cos(plat) * np.sin((lon - plon) / 2) ** 2
    d = 2 * EARTH_MEAN_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    if not np.isfinite(d).any():
        return None
    k = int(np.nanargmin(d))
    return (stations[k], float(d[k])) if d[k] <= radius_m else None


def _quantity(layer):
    from osgeo import gdal

    ds = gdal.Open(layer.path)
    return (ds.GetRasterBand(layer.bands[0]).GetMetadataItem("QUANTITY") or "").strip()


def direction(layer: ts.SeriesLayer, station: Series) -> Optional[tuple]:
    """(unit vector, sign, what) the layer sees at the station, None when it has none."""
    product = layer.tags.get("LOSDECOMP_PRODUCT", "")
    if product == UP:
        return (0.0, 0.0, 1.0), 1.0, "up"
    if product == HORIZONTAL:
        return ((1.0, 0.0, 0.0), 1.0, "east") if _quantity(layer).startswith("east") else None
    try:
        stack = _stack(SeriesRequest(layer.path, "", LOS))
        _, s, inside = _sample(stack, np.array([station.lon]), np.array([station.lat]), 0.0)
    except (ValueError, RuntimeError, OSError):  # every error of ours is one: no geometry, no dates
        return None
    if s is None or not inside[0] or not all(np.isfinite(v[0]) for v in s):
        return None
    return (float(s[0][0]), float(s[1][0]), float(s[2][0])), stack.sign, "LOS"


def _zeroed(days, values, when):
    ok = np.isfinite(values)
    t = (np.datetime64(when, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    d = days[ok]
    if not ok.any() or not d[0] <= t <= d[-1]:
        return None
    return values - float(np.interp(t, d, values[ok]))


def gnss_curve(station: Series, distance: float, layer: ts.SeriesLayer, zero_date: datetime.date,
               label: str = "") -> Optional[GnssCurve]:  # fmt: skip
    """The station's series in the layer's direction and unit, zero at ``zero_date``; None
    when the layer has no direction there or the station no position around that date."""
    seen = direction(layer, station)
    if seen is None:
        return None
    s, sign, what = seen
    dates, values, sigma = station_los_series(station, s, sign, layer.unit)
    values = _zeroed(np.asarray(dates, dtype="datetime64[D]").astype(np.int64), values, zero_date)
    if values is None:
        return None
    name = f"{label or layer.name} GNSS {station.site} ({what}, {distance:.0f} m away)"
    days = [d.item() if hasattr(d, "item") else d for d in np.asarray(dates, dtype="datetime64[D]")]
    return GnssCurve(name, days, values, sigma, station.site, distance, what)
