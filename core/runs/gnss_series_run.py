"""``losdecomp:compare_timeseries_to_gnss`` in core: a dated InSAR stack (a track's line of
sight, or a decomposition's east or up) beside GNSS daily positions at the stations, both
referenced to a common date (and to a reference station when named), compared date by date,
and the pairwise requirement test (NISAR/OPERA) on station pairs binned by distance."""

import datetime
import math
import types
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..conventions import geometry, units
from ..conventions.errors import StationError
from ..io import products
from ..io.gdal_mode import raises
from ..io.gnss_series import Series, read_series
from ..io.gnss_stations import WGS84_WKT
from ..io.gnss_steps import read_steps
from ..io.grid import raster_info, srs_from_wkt
from ..io.products.timeseries import band_dates
from ..io.reader import GeometryReader, StackReader
from ..plan.tracks import TrackInput, resolve
from ..samplers.area import MEDIAN, around_point, not_a_distance, on_grid, sample_areas
from ..solve import gnss_series as gs
from ..solve.gnss import unit_mismatch
from .gnss_run import check_station_radius, transform
from .gnss_series_gnss import (  # noqa: F401  (station_los_series, unit_factor: public here too)
    COMPONENT_NAMES,
    EAST,
    LOS,
    UP,
    day_numbers,
    gnss_at_acquisitions,
    north_note,
    shown,
    station_los_series,
    unit_factor,
)  # fmt: skip
from .lifecycle import Run


@dataclass
class SeriesRequest:
    """The stack, the GNSS path and the options (the algorithm's parameters, in core words)."""

    stack: str
    gnss: str
    component: int = LOS
    track: Optional[TrackInput] = None  # LOS: the stack as a track (geometry, sign); None: from the layer
    gnss_unit: str = ""  # CSV positions: '' = the stack's unit
    steps_file: str = ""
    reference_station: str = ""
    reference_date: Optional[datetime.date] = None
    radius: float = 0.0
    average_days: int = 0
    requirement: int = gs.TRANSIENT
    bins: int = 10
    max_distance_km: float = 50.0


@dataclass
class StationSeries:
    """One compared station: the acquisition days, both referenced series, the residual
    insar - gnss and the GNSS propagated sigma, in the stack's unit."""

    site: str
    lon: float
    lat: float
    dates: list
    gnss: np.ndarray
    insar: np.ndarray
    residual: np.ndarray
    gnss_sigma: np.ndarray
    stats: gs.StationStatistics


@dataclass
class SeriesComparison:
    """What the run found: the compared stations, the pairs, the bins and the results."""

    stations: list  # StationSeries
    unit: str
    reference_date: datetime.date
    reference_station: str
    pairs: gs.Pairs
    pair_dates: list
    bins: Optional[gs.Bins]
    rmse: float
    median_station_rmse: float
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def table(self) -> dict:
        """The long table: site, date (YYYY-MM-DD), gnss, insar, residual, gnss_sigma."""
        out = {k: [] for k in ("site", "date", "gnss", "insar", "residual", "gnss_sigma")}
        for st in self.stations:
            for k, d in enumerate(st.dates):
                if np.isfinite(st.residual[k]):
                    for key, value in zip(out, (st.site, d.isoformat(), st.gnss[k], st.insar[k], st.residual[k],
                                                st.gnss_sigma[k])):  # fmt: skip
                        out[key].append(value)
        return out

    def pair_rows(self) -> dict:
        """site_i, site_j, distance_km, residual (and the date for the transient test)."""
        p, names = self.pairs, [s.site for s in self.stations]
        return {
            "site_i": [names[i] for i in p.i], "site_j": [names[j] for j in p.j],
            "distance_km": p.distance_km.tolist(), "residual": p.residual.tolist(),
            "date": [self.pair_dates[e].isoformat() if e >= 0 else "" for e in p.epoch],
        }  # fmt: skip


def _check(req: SeriesRequest) -> None:
    if req.component not in COMPONENT_NAMES:
        raise StationError(f"COMPONENT must be 0 (line of sight), 1 (east) or 2 (up), not {req.component}")
    if problem := not_a_distance(req.radius):
        raise StationError(f"{problem}; nothing was written")
    if req.average_days < 0:
        raise StationError(f"AVERAGE_DAYS must be 0 or more, not {req.average_days}")
    if req.bins < 1 or not (req.max_distance_km > (gs.SECULAR_MIN_KM if req.requirement else 0)):
        raise StationError(f"the pairwise test needs BINS >= 1 and MAX_DISTANCE_KM > 0 (got {req.bins}, "
                           f"{req.max_distance_km})")  # fmt: skip
    if req.requirement not in gs.REQUIREMENT_NAMES:
        raise StationError(f"REQUIREMENT must be 0 (transient) or 1 (secular), not {req.requirement}")


def _layer_track(path: str) -> TrackInput:
    """The stack as a track when no sign was chosen: the layer's LOS sign tag wins (toward
    the satellite when it has none), as decompose reads a tagged layer."""
    md = products.read(path)
    sign = md.los_sign.value if md.los_sign else geometry.TOWARD
    return TrackInput("InSAR", path, los_sign=sign, time_series=True)


def _stack(req: SeriesRequest) -> types.SimpleNamespace:
    """The stack's dated bands (by date), grid, unit, geometry and sign; errors before work."""
    label = f"InSAR stack {req.stack}"
    info = raster_info(req.stack, label)
    dated = sorted(band_dates(req.stack).items(), key=lambda item: item[1])
    if len(dated) < 2:
        raise StationError(f"{label}: not a time series (fewer than 2 bands carry a date: INSAR_DATE or YYYYMMDD)")
    days = [d for _, d in dated]
    if len(set(days)) < len(days):
        raise StationError(f"{label}: a date is given twice")
    log, warnings, geom, sign = [f"{label}: {len(days)} acquisitions, {days[0]} to {days[-1]}"], [], None, 1.0
    if req.component == LOS:
        r = resolve(req.track or _layer_track(req.stack))
        geom, sign, unit = r.spec.geometry, geometry.sign_factor(r.spec.los_sign), r.unit
        log += r.log
        warnings += r.warnings
    else:
        md = products.read(req.stack)
        unit = md.unit.value if md.unit else ""
    unit = units.normalise(unit)
    if not unit:
        warnings.append(f"{label}: states no unit; GNSS positions are compared as read (metres for .tenv3)")
    if not info.north_up:
        raise StationError(f"{label}: a rotated raster cannot be sampled at stations; warp it north-up first")
    return types.SimpleNamespace(path=req.stack, bands=[b for b, _ in dated], dates=days, grid=info.grid(),
                                 unit=unit, geometry=geom, sign=sign, log=log, warnings=warnings, label=label)


def _wrapped(grid, x: np.ndarray, y) -> tuple:
    """(x, on the grid): on a geographic grid, a station off it is tried at x +/- 360 (a raster
    in 0-360 longitudes, or one crossing the antimeridian)."""
    inside = np.asarray(on_grid(grid, x, y), dtype=bool)
    if inside.all() or not srs_from_wkt(grid.crs_wkt).IsGeographic():
        return x, inside
    x = x.copy()
    for shift in (360.0, -360.0):
        moved = ~inside & np.asarray(on_grid(grid, x + shift, y), dtype=bool)
        x[moved] += shift
        inside |= moved
    return x, inside


def _sample(stack, lon: np.ndarray, lat: np.ndarray, radius: float) -> tuple:
    """(values (stations, dates), unit vectors (3 arrays) or None, on the grid) at the stations."""
    x, y = transform(types.SimpleNamespace(x=lon, y=lat, crs_wkt=WGS84_WKT), stack.grid.crs_wkt)
    x, inside = _wrapped(stack.grid, np.asarray(x, dtype=np.float64), y)
    with Run(stack.grid, "nearest") as run:
        reader = run.keep(StackReader(stack.path, stack.bands, stack.grid, "nearest", 1.0, stack.label))
        look = GeometryReader(stack.geometry, run.open) if stack.geometry is not None else None
        areas = (around_point(stack.grid, float(x[i]), float(y[i]), radius) if inside[i] else None
                 for i in range(len(x)))  # fmt: skip
        got = sample_areas(areas, reader, MEDIAN, look=look)
    return got.value, got.s, inside


def _reference_index(series: list, name: str) -> Optional[int]:
    if not name:
        return None
    hit = [i for i, s in enumerate(series) if s.site.upper() == name.strip().upper()]
    if not hit:
        raise StationError(f"REFERENCE_STATION {name}: no such station in the GNSS input (stations: "
                           f"{shown([s.site for s in series])})")  # fmt: skip
    return hit[0]


def _status(series, inside, insar, gnss) -> dict:
    """{reason: [station indices]} of the stations that cannot be compared."""
    out = {}
    for i in range(len(series)):
        if not inside[i]:
            reason = "outside the raster"
        elif not np.isfinite(insar[i]).any():
            reason = "no InSAR value at the station (nodata)"
        elif not np.isfinite(gnss[i]).any():
            reason = "no GNSS epoch within the InSAR acquisitions (+/- AVERAGE_DAYS)"
        elif (np.isfinite(insar[i]) & np.isfinite(gnss[i])).sum() < 2:
            reason = "fewer than two acquisitions with both GNSS and InSAR (nothing left once referenced)"
        else:
            continue
        out.setdefault(reason, []).append(i)
    return out


def _reference_date(req, stack, have: np.ndarray, ref: Optional[int]) -> int:
    """The index of the reference date: the one asked for, else the first acquisition on which
    every usable station (the reference station among them) has both series, else the first
    on which the most have."""
    if req.reference_date is not None:
        if req.reference_date not in stack.dates:
            raise StationError(f"REFERENCE_DATE {req.reference_date}: not an acquisition date of the stack "
                               f"({stack.dates[0]} to {stack.dates[-1]})")  # fmt: skip
        k = stack.dates.index(req.reference_date)
    else:
        candidates = have[ref] if ref is not None else np.ones(have.shape[1], bool)
        counts = np.where(candidates, have.sum(axis=0), -1)
        if counts.max() <= 0:
            raise StationError("no acquisition date on which the stations have both GNSS and InSAR values")
        k = int(np.argmax(counts))
    if ref is not None and not have[ref, k]:
        raise StationError(f"REFERENCE_STATION: has no GNSS or InSAR value on the reference date {stack.dates[k]}")
    return k


def _left_out(log: list, series: list, problems: dict) -> None:
    for reason, idx in problems.items():
        log.append(f"GNSS: {len(idx)} station(s) left out, {reason}: {shown([series[i].site for i in idx])}")


def _referenced(insar, gnss, sigma, k: int, ref: Optional[int]) -> tuple:
    """Both series set to zero on date k; then differenced to the reference station, whose
    GNSS sigma enters in quadrature."""
    insar, gnss = insar - insar[:, k:k + 1], gnss - gnss[:, k:k + 1]
    if ref is not None:
        insar, gnss, sigma = insar - insar[ref], gnss - gnss[ref], np.hypot(sigma, sigma[ref])
    return insar, gnss, sigma


def _pairs(req, stations: list, stack, use) -> tuple:
    """(pairs, bins or None, log lines, warnings) of the pairwise requirement test."""
    lon = np.array([s.lon for s in stations])
    lat = np.array([s.lat for s in stations])
    if req.requirement == gs.TRANSIENT:
        pairs = gs.transient_pairs(lon, lat, np.array([s.residual for s in stations]), use)
    else:
        pairs = gs.secular_pairs(lon, lat, np.array([s.stats.velocity_difference for s in stations]))
    mm = units.factor("mm", stack.unit) if stack.unit else None
    if mm is None:
        name = gs.REQUIREMENT_NAMES[req.requirement]
        return pairs, None, [], [f"{stack.label}: no length unit, so the requirement ({name}) cannot be evaluated: "
                                 "REQUIREMENT_BINS and REQUIREMENT_BINS_PASSED are empty"]  # fmt: skip
    bins = gs.bin_pairs(pairs, req.requirement, req.bins, req.max_distance_km, mm)
    log = [f"pairwise test ({gs.REQUIREMENT_NAMES[req.requirement]}): {pairs.residual.size} pair values, "
           f"{int(bins.count.sum())} within the bins; a bin passes when more than {gs.PASS_FRACTION:.1%} lie under "
           "the requirement"]  # fmt: skip
    for b in range(req.bins):
        if bins.count[b]:
            log.append(f"  {bins.edges[b]:g}-{bins.edges[b + 1]:g} km: {bins.count[b]} pair values, "
                       f"{bins.fraction[b]:.1%} under, {'pass' if bins.passed[b] else 'FAIL'}")  # fmt: skip
    return pairs, bins, log, []


def _station(series: Series, dates, insar, gnss, sigma, use) -> StationSeries:
    days = day_numbers(dates)
    stats = gs.station_statistics(days, insar, gnss, use)
    return StationSeries(series.site, series.lon, series.lat, list(dates), gnss, insar, insar - gnss, sigma, stats)


@raises
def compare(req: SeriesRequest) -> SeriesComparison:
    """The comparison; StationError (and nothing written by anyone) when nothing is usable."""
    _check(req)
    stack = _stack(req)
    stack.component = req.component
    check_station_radius(stack.grid, req.radius, stack.label)
    got = read_series(req.gnss, req.gnss_unit)
    steps = read_steps(req.steps_file) if req.steps_file else None
    log, warnings = stack.log + got.log + (steps.log if steps else []), list(stack.warnings)
    series = got.series
    ref = _reference_index(series, req.reference_station)
    insar, s, inside = _sample(stack, np.array([x.lon for x in series]), np.array([x.lat for x in series]),
                               req.radius)  # fmt: skip
    g = gnss_at_acquisitions(series, stack, s, inside, req.average_days, steps)
    gnss, sigma, stack.north_rate = g.gnss, g.sigma, g.north_rate
    log += g.log
    warnings += g.warnings
    problems = _status(series, inside, insar, gnss)
    bad, have = _usable(series, problems, insar, gnss, ref, log)
    k = _reference_date(req, stack, have, ref)
    compared = _compared(series, problems, bad, have, k, ref, stack)
    _left_out(log, series, problems)
    insar, gnss, sigma = _referenced(insar, gnss, sigma, k, ref)
    use = np.arange(len(stack.dates)) != k
    if not compared:
        raise StationError("no GNSS station is left to compare (besides the reference station); nothing was written")
    check_units(req, stack, [series[i] for i in compared], insar[compared][:, use], gnss[compared][:, use])
    stations = [_station(series[i], stack.dates, insar[i], gnss[i], sigma[i], use) for i in compared]
    stations, compared = _with_epochs(stations, compared, log)
    return _result(req, stack, stations, k, series[ref].site if ref is not None else "", use, log, warnings, series,
                   compared)  # fmt: skip


def check_units(req: SeriesRequest, stack: types.SimpleNamespace, series: list, insar: np.ndarray,
                gnss_values: np.ndarray) -> None:  # fmt: skip
    """StationError, before anything is written, when the GNSS and the InSAR series at the
    compared stations differ by a unit's factor (``solve.gnss.unit_mismatch``, merge_frames'
    guard). Judged on the displacements both series are compared in: each referenced to the
    reference date (and station), on every other acquisition where both have a value, in the
    stack's unit. Not on rates: a rate needs a fit that a short or gappy series makes noisy,
    while a unit mistake scales every displacement by the same factor; over a stable area both
    series are noise of the same few millimetres, which passes."""
    read_as = ", ".join(sorted({s.unit for s in series if s.unit}))
    read_as = read_as or f"{stack.unit or 'no unit'} (same as the stack)"
    words = unit_mismatch(gnss_values, insar, read_as, stack.unit, what="displacements (referenced to the "
                          "reference date)", example="mm against m", advice="choose GNSS_UNIT (the CSV positions' "
                          "unit; .tenv3 is metres), or check the stack's unit")  # fmt: skip
    if words:
        raise StationError(f"GNSS {req.gnss} against {stack.label}: {words}; nothing was written")


def _compared(series, problems, bad, have, k, ref, stack) -> list:
    """The stations compared: usable, with values on the reference date, not the reference."""
    missing = [i for i in range(len(series)) if i not in bad and not have[i, k]]
    if missing:
        problems[f"no GNSS or InSAR value on the reference date {stack.dates[k]}"] = missing
    return [i for i in range(len(series)) if i not in bad and i not in missing and i != ref]


def _with_epochs(stations: list, compared: list, log: list) -> tuple:
    """(stations, indices) keeping those with a residual besides the reference date (the
    reference station's gaps can leave none); the others named. Errors when none is left."""
    empty = [st.site for st in stations if st.stats.epochs == 0]
    if empty:
        log.append(f"GNSS: {len(empty)} station(s) left out, no residual besides the reference date (the reference "
                   f"station has no value on their other dates): {shown(empty)}")  # fmt: skip
    keep = [k for k, st in enumerate(stations) if st.stats.epochs > 0]
    if not keep:
        raise StationError("no GNSS station is left to compare (besides the reference station); nothing was written")
    return [stations[k] for k in keep], [compared[k] for k in keep]


def _usable(series, problems, insar, gnss, ref, log) -> tuple:
    """(indices left out, stations x dates with both values); errors when the reference
    station cannot be used or no station has both."""
    if ref is not None and any(ref in idx for idx in problems.values()):
        why = next(reason for reason, idx in problems.items() if ref in idx)
        raise StationError(f"REFERENCE_STATION {series[ref].site}: cannot be used ({why})")
    bad = {i for idx in problems.values() for i in idx}
    have = np.isfinite(insar) & np.isfinite(gnss)
    have[sorted(bad)] = False
    if not have.any():
        _left_out(log, series, problems)
        raise StationError(f"no GNSS station has both GNSS and InSAR values ({'; '.join(log[-3:])}); nothing was "
                           "written")  # fmt: skip
    return bad, have


def _result(req, stack, stations, k, ref_site, use, log, warnings, series, compared) -> SeriesComparison:
    residual = np.concatenate([st.residual[use] for st in stations])
    residual = residual[np.isfinite(residual)]
    rmse = float(np.sqrt(np.mean(residual**2))) if residual.size else math.nan
    median = float(np.nanmedian([st.stats.rmse for st in stations]))
    unit = stack.unit or "the stack's unit"
    log.append(f"reference date {stack.dates[k]}" + (f", reference station {ref_site}" if ref_site else "")
               + f"; {len(stations)} station(s) compared in the {COMPONENT_NAMES[req.component]}")  # fmt: skip
    log.append(f"RMSE of all residuals (insar - gnss, the reference date left out): {rmse:.4g} {unit}; median "
               f"per-station RMSE {median:.4g} {unit}")  # fmt: skip
    if req.component != LOS:
        warnings += north_note(series, compared, stack.north_rate, stack)
    pairs, bins, more, warn = _pairs(req, stations, stack, use)
    return SeriesComparison(stations, stack.unit, stack.dates[k], ref_site, pairs, list(stack.dates), bins, rmse,
                            median, log + more, warnings + warn)  # fmt: skip
