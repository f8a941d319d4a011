"""Time series at a place: every dated band of a raster over an area around a point (or in a
polygon), read through the one area sampler (samplers/area.py) from one windowed read of all
the bands, never the whole raster.

Definitions (the help of ``losdecomp:sample_timeseries`` and the inspector say the same):

- dates: each band's ``INSAR_DATE`` item (or a band description that is a date), as the
  product readers find them; a raster with no dated band is refused (TimeSeriesError);
- the target: the pixel under the point (radius 0), the pixels whose centres lie within
  the radius, or the pixels whose centres lie inside a polygon (area.around_point,
  area.in_polygon); the point or polygon is taken to the layer's CRS first;
- per date: ``value`` the median of the valid pixels (the value itself at radius 0),
  ``count`` how many are valid (1 at radius 0), ``spread`` 1.4826 x their median absolute
  deviation (0 for one pixel), ``sigma`` the a-priori sigma of that median from the layer's
  own sigma stack (area.summarise's rule), NaN when the layer has none; for a polygon also
  the 5 and 95 percentiles of its valid pixels (the envelope);
- sigma: a stack of the same dates that the product readers find for the layer (a sigma
  band or a sidecar named in its metadata, ``INSAR_SIGMA_FILE``, as decompose_timeseries
  names its sigma outputs), else a sigma stack among the other layers made
  by the same run for the same product (``LOSDECOMP_PRODUCT`` ``sigma_<product>``, same
  ``LOSDECOMP_TRACKS`` and dates, the same folder and grid: never resampled; one sigma
  stack to one value layer), else none; its values converted to the layer's unit (one in a
  unit of another kind is not used, and ``sigma_source`` says so);
- names: the layer's name (a file's base name); layers whose names clash are named
  ``<parent folder>/<name>``, or numbered (``up #2``) when that does not tell them apart;
- reference: the median of the reference area's valid pixels, date by date, subtracted
  from the statistic series (a date where the reference has no valid pixel has no value);
- reference date: the series interpolated linearly between its neighbouring valid dates at
  that date, and subtracted (zero there); a date outside the layer's dates is refused.
  The radius statistic is formed first, then referenced, then zeroed. The sigma is the
  target's own: it leaves out the reference's uncertainty.
- a sigma stack sampled as a layer of its own (``is_sigma``) is never referenced nor
  zeroed: a standard deviation relative to another one means nothing.
"""

import datetime
import os
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

import numpy as np
from osgeo import gdal

from ..conventions import dates as dates_
from ..conventions import units
from ..conventions.errors import ReferenceAreaError, TimeSeriesError
from ..conventions.uncertainty import MAD_FACTOR, MEDIAN, TAG_SIGMA_KIND
from ..io import products
from ..io.gdal_mode import raises
from ..io.grid import Grid, raster_info, same_crs, transformer
from ..io.products.timeseries import band_dates
from ..io.reader import StackReader
from ..solve import velocity
from .area import Area, around_point, in_polygon, members, summarise

#: The envelope of a polygon's pixels, percent.
ENVELOPE = (5.0, 95.0)
SPREAD_HOW = "1.4826 x median absolute deviation"

__all__ = ["MAD_FACTOR", "ENVELOPE", "SPREAD_HOW", "SeriesLayer", "Target", "Series", "open_layer", "distinct_names",
           "pair_sigmas",
           "area_of", "sample_series", "reference_values", "referenced", "check_reference_date", "zeroed",
           "robust_spread", "Rate", "few_dates_fit", "linear_rate", "single_values"]  # fmt: skip


@dataclass
class SeriesLayer:
    """A raster of dated bands: its name, grid, dates (sorted) with their bands, unit, and
    its sigma stack (path and bands of the same dates) when one is known."""

    path: str
    name: str
    grid: Grid
    dates: list
    bands: list
    unit: str = ""
    sigma_path: Optional[str] = None
    sigma_bands: Optional[list] = None
    sigma_source: str = ""
    tags: dict = field(default_factory=dict)
    sigma_kind: str = ""
    sigma_scale: float = 1.0  # the sigma stack's unit to the layer's

    @property
    def is_sigma(self) -> bool:
        """Whether the layer itself is a stack of standard deviations (its band's
        ``INSAR_SIGMA_KIND``, or the product tag ``sigma_<product>`` of decompose_timeseries)."""
        return bool(self.sigma_kind) or self.tags.get("LOSDECOMP_PRODUCT", "").startswith("sigma_")


@dataclass
class Target:
    """A place: a point (x, y) with a radius, or a polygon (WKT), in the CRS ``crs_wkt``."""

    crs_wkt: str
    x: float = float("nan")
    y: float = float("nan")
    radius: float = 0.0
    polygon_wkt: str = ""

    @property
    def text(self) -> str:
        if self.polygon_wkt:
            return "the polygon"
        return f"point {_coord(self.x)}, {_coord(self.y)}" + (f" within {self.radius:g}" if self.radius > 0 else "")


def _coord(v):
    """A coordinate as read on a map: metres to the metre, degrees to 6 digits."""
    return f"{v:.0f}" if abs(v) >= 1e4 else f"{v:.6g}"


@dataclass
class Series:
    """One layer's series at one place, one number per date (NaN = no value there)."""

    layer: str
    dates: list
    value: np.ndarray
    count: np.ndarray
    spread: np.ndarray
    sigma: np.ndarray
    unit: str = ""
    low: Optional[np.ndarray] = None  # the envelope of a polygon's pixels
    high: Optional[np.ndarray] = None

    @property
    def valid(self) -> np.ndarray:
        return np.isfinite(self.value)


def _dated_bands(path, name):
    found = band_dates(path)
    if not found:
        raise TimeSeriesError(f"{name}: has no dated band (no INSAR_DATE item nor a date as band description): "
                              "not a time series")  # fmt: skip
    twice = dates_.repeated(list(found.values()))
    if twice:
        raise TimeSeriesError(f"{name}: the date {twice[0]} is given by more than one band")
    pairs = sorted(found.items(), key=lambda item: item[1])
    return [d for _, d in pairs], [b for b, _ in pairs]


def _sigma_kind(path):
    ds = gdal.Open(path)
    return (ds.GetRasterBand(1).GetMetadataItem(TAG_SIGMA_KIND) or "").strip()


@raises
def open_layer(path: str, name: str = "") -> SeriesLayer:
    """The layer's dates, grid, unit and own sigma stack (metadata only)."""
    name = name or os.path.splitext(os.path.basename(path))[0]
    info = raster_info(path, name)
    when, bands = _dated_bands(path, name)
    md = products.read(path, bands[0], name)
    layer = SeriesLayer(path, name, info.grid(), when, bands, md.unit.value if md.unit else "",
                        tags=dict(gdal.Open(path).GetMetadata() or {}), sigma_kind=_sigma_kind(path))  # fmt: skip
    if md.sigma is not None and os.path.isfile(md.sigma.value.path):
        _attach_sigma(layer, md.sigma.value.path, md.sigma.source)
    return layer


def _attach_sigma(layer, path, source):
    """Use ``path`` as the layer's sigma when it has a band for every date of the layer, its
    values converted to the layer's unit (a sigma in another length unit is scaled; one in a
    unit that is not the layer's kind is not used, and ``sigma_source`` says so)."""
    try:
        found = {d: b for b, d in band_dates(path).items()}
    except RuntimeError:
        return False
    if not all(d in found for d in layer.dates):
        return False
    scale, unit = 1.0, _unit_of(path, found[layer.dates[0]])
    if unit and layer.unit and unit != layer.unit:
        scale = units.factor(unit, layer.unit)
        if scale is None:
            layer.sigma_source = f"none ({os.path.basename(path)} is in {unit}, not {layer.unit}: not used)"
            return False
        source = f"{source}, {unit} -> {layer.unit}"
    layer.sigma_path, layer.sigma_bands, layer.sigma_source = path, [found[d] for d in layer.dates], source
    layer.sigma_scale = scale
    return True


def _unit_of(path, band):
    """The raster's unit as the product readers find it ("" when none)."""
    try:
        md = products.read(path, band, os.path.basename(path))
    except (ValueError, RuntimeError):
        return ""
    return md.unit.value if md.unit else ""


def distinct_names(layers: Sequence) -> list:
    """The layers, renamed where names clash (the table's ``layer`` must tell them apart):
    ``<parent folder>/<name>`` where that is unique, else the name numbered in order
    (``up``, ``up #2``: the same file twice, or folders of the same name)."""
    names = [la.name for la in layers]
    qualified = [f"{os.path.basename(os.path.dirname(os.path.abspath(la.path)))}/{la.name}" for la in layers]
    seen: dict = {}
    for k, layer in enumerate(layers):
        if names.count(layer.name) > 1 and qualified.count(qualified[k]) == 1:
            layer.name = qualified[k]
        seen[layer.name] = seen.get(layer.name, 0) + 1
        if seen[layer.name] > 1:
            layer.name = f"{layer.name} #{seen[layer.name]}"
    return list(layers)


def pair_sigmas(layers: Sequence) -> list:
    """Each value layer without a sigma gets the sigma stack among ``layers`` made by the
    same run for its product (``sigma_<product>``, the same tracks and dates, in the same
    folder, on the same grid: never resampled), one sigma stack to one value layer; returns
    the layers left to plot: the value layers, and the sigma stacks no value layer took (one
    a value layer names itself, ``INSAR_SIGMA_FILE``, is taken too)."""
    used = {os.path.realpath(layer.sigma_path) for layer in layers if layer.sigma_path}
    for layer in layers:
        product = layer.tags.get("LOSDECOMP_PRODUCT", "")
        if layer.is_sigma or layer.sigma_path or not product:
            continue
        for other in layers:
            if (other.is_sigma and os.path.realpath(other.path) not in used and _same_run(layer, other, product)
                    and _attach_sigma(layer, other.path, f"{other.name} (the same run's sigma)")):  # fmt: skip
                used.add(os.path.realpath(other.path))
                break
    return [layer for layer in layers if os.path.realpath(layer.path) not in used]


def _same_run(layer, other, product):
    """Whether ``other`` is the sigma stack of ``layer``'s run: its product's sigma, the same
    tracks, the same folder and the same grid (size, geotransform, CRS)."""
    a, b = layer.grid, other.grid
    tol = 1e-6 * max(abs(a.geotransform[1]), abs(a.geotransform[5]))
    return (other.tags.get("LOSDECOMP_PRODUCT") == f"sigma_{product}"
            and other.tags.get("LOSDECOMP_TRACKS") == layer.tags.get("LOSDECOMP_TRACKS")
            and os.path.dirname(os.path.realpath(other.path)) == os.path.dirname(os.path.realpath(layer.path))
            and (a.width, a.height) == (b.width, b.height)
            and np.allclose(a.geotransform, b.geotransform, rtol=0.0, atol=tol)
            and same_crs(a.crs_wkt, b.crs_wkt))  # fmt: skip


def _in_crs(target, grid):
    """The target's (x, y) or polygon in the grid's CRS."""
    ct = transformer(target.crs_wkt, grid.crs_wkt)
    if target.polygon_wkt:
        return None, target.polygon_wkt, ct
    if ct is None:
        return (target.x, target.y), None, None
    p = ct.TransformPoint(target.x, target.y)
    return (p[0], p[1]), None, None


def area_of(layer: SeriesLayer, target: Target) -> Optional[Area]:
    """The target's pixels on the layer's grid; None when none lies on it."""
    point, polygon, ct = _in_crs(target, layer.grid)
    if polygon is not None:
        return in_polygon(layer.grid, polygon, ct)
    if not all(np.isfinite(point)):
        return None
    return around_point(layer.grid, point[0], point[1], target.radius)


def robust_spread(values: np.ndarray) -> np.ndarray:
    """1.4826 x the median absolute deviation of each row's finite values (NaN where a row
    has none; 0 for one value)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape[:-1], np.nan)
    ok = np.isfinite(values).any(axis=-1)
    if ok.any():
        v = values[ok]
        centre = np.nanmedian(v, axis=-1, keepdims=True)
        out[ok] = MAD_FACTOR * np.nanmedian(np.abs(v - centre), axis=-1)
    return out


def _stack_members(path, bands, grid, area, scale=1.0):
    reader = StackReader(path, bands, grid, scale=scale)
    try:
        return members(reader.read(*area.window), area)
    finally:
        reader.close()


@raises
def sample_series(layer: SeriesLayer, target: Target, envelope: bool = False) -> Optional[Series]:
    """The layer's series at the target (see the module's docstring); None when the target
    is off the layer. One windowed read of every band (and one of the sigma stack)."""
    area = area_of(layer, target)
    if area is None:
        return None
    values = _stack_members(layer.path, layer.bands, layer.grid, area)
    sigmas = None
    if layer.sigma_path:
        sigmas = _stack_members(layer.sigma_path, layer.sigma_bands, layer.grid, area, layer.sigma_scale)
    stats = summarise(values, MEDIAN, sigmas)
    spread = robust_spread(values)
    out = Series(layer.name, list(layer.dates), stats.value, stats.count, spread, stats.sigma, layer.unit)
    if envelope:
        ok = np.isfinite(values).any(axis=-1)
        out.low, out.high = (np.full(len(layer.dates), np.nan) for _ in range(2))
        if ok.any():
            out.low[ok], out.high[ok] = np.nanpercentile(values[ok], ENVELOPE, axis=-1)
    return out


def reference_values(layer: SeriesLayer, reference: Target) -> np.ndarray:
    """The median of the reference area's valid pixels, date by date (NaN where none is);
    ReferenceAreaError when the reference lies off the layer."""
    area = area_of(layer, reference)
    if area is None:
        raise ReferenceAreaError(f"{layer.name}: the reference ({reference.text}) is outside the layer")
    return summarise(_stack_members(layer.path, layer.bands, layer.grid, area), MEDIAN).value


def _shifted(series, offset):
    """The series minus ``offset`` (a number or one per date), its envelope too."""
    out = replace(series, value=series.value - offset)
    if series.low is not None:
        out.low, out.high = series.low - offset, series.high - offset
    return out


def referenced(series: Series, reference: np.ndarray) -> Series:
    """The series relative to the reference's series, date by date (no value where the
    reference has none)."""
    return _shifted(series, np.asarray(reference, dtype=np.float64))


def check_reference_date(layer: SeriesLayer, when: datetime.date) -> None:
    """TimeSeriesError when ``when`` lies outside the layer's dates."""
    if not layer.dates[0] <= when <= layer.dates[-1]:
        raise TimeSeriesError(f"{layer.name}: REFERENCE_DATE {when} is outside its dates ({layer.dates[0]} to "
                              f"{layer.dates[-1]}): it cannot be interpolated there")  # fmt: skip


def zeroed(series: Series, when: datetime.date) -> Optional[Series]:
    """The series minus its value at ``when``, interpolated linearly between the
    neighbouring valid dates; None when ``when`` lies outside the valid dates' span."""
    ok = series.valid
    if not ok.any():
        return None
    days = np.array([(d - when).days for d in series.dates], dtype=np.float64)[ok]
    if not days[0] <= 0 <= days[-1]:
        return None
    return _shifted(series, float(np.interp(0.0, days, series.value[ok])))


@dataclass
class Rate:
    """A least-squares line through a series' valid dates: the rate per year, its fit sigma
    (``s^2 (A'A)^-1`` with ``s^2 = RSS / (n - 2)``, the residuals assumed independent; NaN
    with 2 dates), and the line at every date (for a model curve)."""

    rate: float
    sigma: float
    line: np.ndarray


def few_dates_fit(when: list, values: np.ndarray) -> tuple:
    """(rate per year, fit sigma) of a line through 2 or more dates: solve/velocity.py's fit
    and time axis where it gives a rate (4 dates or more), the same least squares below it
    (the sigma from 3 dates, n - 2 >= 1; NaN with 2)."""
    a = velocity.design_matrix(when, velocity.LINEAR, [])
    if len(when) >= 4:
        rate, sigma, _ = velocity.fit(np.asarray(values, dtype=np.float64)[:, None], a)
        return float(rate[0]), float(sigma[0])
    coef, rss = np.linalg.lstsq(a, values, rcond=None)[:2]
    if len(when) < 3:
        return float(coef[1]), float("nan")
    rss = float(rss[0]) if len(rss) else float(np.sum((values - a @ coef) ** 2))
    return float(coef[1]), float(np.sqrt(rss / (len(when) - 2) * np.linalg.inv(a.T @ a)[1, 1]))


def linear_rate(series: Series) -> Optional[Rate]:
    """The least-squares linear rate of the series (years of 365.25 days); None when fewer
    than 2 dates are valid."""
    ok = series.valid
    if ok.sum() < 2:
        return None
    when = [d for d, good in zip(series.dates, ok) if good]
    rate, sigma = few_dates_fit(when, series.value[ok])
    t = np.array([dates_.years_between(when[0], d) for d in series.dates])
    intercept = float(np.mean(series.value[ok] - rate * t[ok]))
    return Rate(rate, sigma, intercept + rate * t)


@raises
def single_values(path: str, target: Target) -> Optional[list]:
    """[(band description, value)] of every band of a raster at the pixel under the target
    (a read-out of single-epoch rasters: velocities, sigmas, quality); None off the raster."""
    info = raster_info(path)
    layer = SeriesLayer(path, "", info.grid(), [], list(range(1, info.band_count + 1)))
    area = area_of(layer, replace(target, radius=0.0))
    if area is None:
        return None
    values = _stack_members(path, layer.bands, layer.grid, area)[:, 0]
    ds = gdal.Open(path)
    names = [ds.GetRasterBand(b).GetDescription() or f"band {b}" for b in layer.bands]
    return list(zip(names, (float(v) for v in values)))
