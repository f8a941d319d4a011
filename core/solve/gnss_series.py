"""GNSS position time series beside InSAR time series (numpy only): the series in the line of
sight with its propagated sigma, equipment-step offsets estimated and removed, positions
averaged around acquisition days, per-station residual statistics, and the pairwise
requirement test of the NISAR/OPERA validation.

Time is in days (integers, calendar days) and years of 365.25 days."""

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .gnss import los, los_sigma

DAYS_PER_YEAR = 365.25
TRANSIENT, SECULAR = 0, 1
REQUIREMENT_NAMES = {TRANSIENT: "transient: 3 (1 + sqrt(L/km)) mm", SECULAR: "secular: 5 mm/year over 0.1-50 km"}
#: A bin passes when more than this fraction of its pairs lies under the requirement.
PASS_FRACTION = 0.683
#: The secular requirement holds from this distance on (km).
SECULAR_MIN_KM = 0.1
EARTH_RADIUS_KM = 6371.0088


def los_series(enu: np.ndarray, sigma: np.ndarray, corr: np.ndarray, s: Sequence[float],
               sign: float = 1.0) -> tuple:  # fmt: skip
    """(values, propagated sigma sqrt(s' C s)) of positions ``enu`` (n, 3) seen along the unit
    vector ``s`` (times ``sign``); C from the sigmas (n, 3) and correlations en, eu, nu (n, 3).
    The sigma is NaN where a sigma is unknown (never zero)."""
    values = los(s, enu[:, 0], enu[:, 1], enu[:, 2], sign)
    sig = los_sigma(s, sigma[:, 0], sigma[:, 1], sigma[:, 2], corr[:, 0], corr[:, 1], corr[:, 2])
    return np.asarray(values, dtype=np.float64), np.asarray(sig, dtype=np.float64)


def steps_inside(days: np.ndarray, step_days: Sequence[int]) -> list:
    """The step days with data on both sides (first day < step <= last day), sorted, once."""
    if len(days) == 0:
        return []
    return sorted({int(d) for d in step_days if days[0] < d <= days[-1]})


def step_design(days: np.ndarray, step_days: Sequence[int]) -> np.ndarray:
    """Columns 1, t, sin(2 pi t), cos(2 pi t) (t in years from the first day) and a
    Heaviside H(day - step) per step (1 from the step's day on)."""
    t = (np.asarray(days, dtype=np.float64) - days[0]) / DAYS_PER_YEAR
    cols = [np.ones_like(t), t, np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)]
    cols += [(np.asarray(days) >= d).astype(np.float64) for d in step_days]
    return np.column_stack(cols)


@dataclass
class StepGroup:
    """Steps with no day of data between them (one Heaviside column: they cannot be told
    apart): their days, and whether the group is removed (equipment changes only) or kept
    (an earthquake jump among them: ground motion, estimated but not removed)."""

    days: list
    removed: bool


def step_groups(days: np.ndarray, step_days: Sequence[int], jump_days: Sequence[int] = ()) -> list:
    """The StepGroups of the equipment steps ``step_days`` and earthquake jumps ``jump_days``
    inside the series (``days`` sorted), in time order."""
    days = np.asarray(days, dtype=np.int64)
    quakes = set(steps_inside(days, jump_days))
    events = sorted(set(steps_inside(days, step_days)) | quakes)
    groups, first_after = [], -1
    for d in events:
        k = int(np.searchsorted(days, d, side="left"))  # the first day of data on or after d
        if groups and k == first_after:
            groups[-1].days.append(d)
            groups[-1].removed = groups[-1].removed and d not in quakes
        else:
            groups.append(StepGroup([d], d not in quakes))
        first_after = k
    return groups


@dataclass
class StepFit:
    """What remove_steps did: the groups estimated, the offsets of the removed ones (one row
    each, per column of the values) and the equipment step days it could not estimate."""

    groups: list
    offsets: np.ndarray
    not_estimated: list

    @property
    def removed(self) -> list:
        """The equipment step days whose offsets were removed, sorted."""
        return sorted(d for g in self.groups if g.removed for d in g.days)


def fit_steps(days: np.ndarray, values: np.ndarray, step_days: Sequence[int], jump_days: Sequence[int] = (),
              window: Optional[tuple] = None) -> tuple:  # fmt: skip
    """(values with the equipment offsets removed, StepFit). One least-squares fit with a
    linear trend, annual terms and a Heaviside per StepGroup (equipment steps and earthquake
    jumps), on every column of ``values`` (n, k) at once, over the days within ``window``
    (first, last day; None: all); only the groups of equipment steps alone are removed (from
    every day). Steps outside the fitted days are ignored; with too few days nothing is
    removed and the steps are listed as not estimated."""
    days = np.asarray(days, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    sel = np.ones(days.size, bool) if window is None else (days >= window[0]) & (days <= window[1])
    fd = days[sel]
    groups = step_groups(fd, step_days, jump_days)
    empty = np.zeros((0,) + values.shape[1:])
    if not groups:
        return values.copy(), StepFit([], empty, [])
    A = step_design(fd, [g.days[0] for g in groups])
    if A.shape[0] <= A.shape[1] or np.linalg.matrix_rank(A) < A.shape[1]:
        wanted = sorted(d for g in groups if g.removed for d in g.days)
        return values.copy(), StepFit([], empty, wanted)
    coef, *_ = np.linalg.lstsq(A, values[sel], rcond=None)
    keep = [4 + k for k, g in enumerate(groups) if g.removed]
    offsets = coef[keep]
    full = step_design(days, [groups[k - 4].days[0] for k in keep])[:, 4:]
    return values - full @ offsets, StepFit(groups, offsets, [])


def remove_steps(days: np.ndarray, values: np.ndarray, step_days: Sequence[int]) -> tuple:
    """(values with the offsets removed, offsets (groups, columns), steps removed): fit_steps
    with equipment steps only, over the whole series."""
    clean, fit = fit_steps(days, values, step_days)
    return clean, fit.offsets, fit.removed


def average_at(days: np.ndarray, values: np.ndarray, sigma: np.ndarray, targets: np.ndarray,
               half_width: int = 0) -> tuple:  # fmt: skip
    """(mean, its propagated sigma, count) of the values whose day lies within
    ``half_width`` days of each target day (``days`` sorted); NaN and 0 where none does.
    The sigma is sqrt(sum sigma^2) / n (the days' errors taken as independent); NaN when
    one of those days' sigma is unknown (only those targets: an unknown sigma elsewhere in
    the series does not matter). Sums are taken about the median (no loss of precision on
    large coordinates)."""
    days, targets = np.asarray(days, dtype=np.int64), np.asarray(targets, dtype=np.int64)
    values, sigma = np.asarray(values, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    lo = np.searchsorted(days, targets - half_width, side="left")
    hi = np.searchsorted(days, targets + half_width, side="right")
    count = hi - lo
    centre = float(np.median(values)) if values.size else 0.0
    csum = np.concatenate([[0.0], np.cumsum(values - centre)])
    unknown = ~np.isfinite(sigma)
    cvar = np.concatenate([[0.0], np.cumsum(np.where(unknown, 0.0, sigma) ** 2)])
    cbad = np.concatenate([[0], np.cumsum(unknown)])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, centre + (csum[hi] - csum[lo]) / count, np.nan)
        sig = np.where((count > 0) & (cbad[hi] == cbad[lo]), np.sqrt(cvar[hi] - cvar[lo]) / count, np.nan)
    return mean, sig, count


def rate(days: np.ndarray, values: np.ndarray) -> float:
    """Least-squares rate (per year) of the finite values; NaN with fewer than 2 days."""
    ok = np.isfinite(values)
    if ok.sum() < 2 or np.ptp(np.asarray(days)[ok]) == 0:
        return math.nan
    t = np.asarray(days, dtype=np.float64)[ok] / DAYS_PER_YEAR
    return float(np.polyfit(t - t.mean(), np.asarray(values)[ok], 1)[0])


@dataclass
class StationStatistics:
    """One station's residuals insar - gnss over its epochs (the reference date left out)."""

    rmse: float
    bias: float
    correlation: float
    epochs: int
    velocity_difference: float


def station_statistics(days: np.ndarray, insar: np.ndarray, gnss: np.ndarray, use: np.ndarray) -> StationStatistics:
    """RMS of the residuals (bias included), their mean, Pearson's r of the two series, the
    number of epochs and the least-squares rate of insar minus that of gnss (= the rate of
    the residuals), over the epochs in ``use`` where both are finite."""
    ok = use & np.isfinite(insar) & np.isfinite(gnss)
    r = insar[ok] - gnss[ok]
    n = int(ok.sum())
    if n == 0:
        return StationStatistics(math.nan, math.nan, math.nan, 0, math.nan)
    corr = math.nan
    if n >= 3 and np.std(insar[ok]) > 0 and np.std(gnss[ok]) > 0:
        corr = float(np.corrcoef(insar[ok], gnss[ok])[0, 1])
    diff = rate(np.asarray(days)[ok], r)
    return StationStatistics(float(np.sqrt(np.mean(r * r))), float(r.mean()), corr, n, diff)


def distance_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance (haversine, mean Earth radius) between points in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass
class Pairs:
    """Station pairs: indices i < j, their distance, the epoch index (-1: a rate), and
    the absolute residual |(insar_i - insar_j) - (gnss_i - gnss_j)|."""

    i: np.ndarray
    j: np.ndarray
    distance_km: np.ndarray
    epoch: np.ndarray
    residual: np.ndarray


def transient_pairs(lon: np.ndarray, lat: np.ndarray, residual: np.ndarray, use: np.ndarray) -> Pairs:
    """Every pair of stations at every epoch in ``use`` where both have a residual
    (``residual`` (stations, epochs) = insar - gnss): |r_i - r_j|, which is
    |(insar_i - insar_j) - (gnss_i - gnss_j)|."""
    i, j = np.triu_indices(len(lon), k=1)
    d = distance_km(lon[i], lat[i], lon[j], lat[j])
    diff = np.abs(residual[i] - residual[j])[:, use]
    epochs = np.flatnonzero(use)
    ok = np.isfinite(diff)
    pi, pe = np.nonzero(ok)
    return Pairs(i[pi], j[pi], d[pi], epochs[pe], diff[ok])


def secular_pairs(lon: np.ndarray, lat: np.ndarray, rate_difference: np.ndarray) -> Pairs:
    """Every pair of stations with a rate difference: |vd_i - vd_j|, vd = insar rate - gnss rate."""
    i, j = np.triu_indices(len(lon), k=1)
    d = distance_km(lon[i], lat[i], lon[j], lat[j])
    r = np.abs(rate_difference[i] - rate_difference[j])
    ok = np.isfinite(r)
    return Pairs(i[ok], j[ok], d[ok], np.full(int(ok.sum()), -1), r[ok])


def requirement(kind: int, distance: np.ndarray, mm: float) -> np.ndarray:
    """The requirement curve at ``distance`` (km), in the unit where 1 mm is ``mm``
    (a rate unit per year for the secular one)."""
    d = np.asarray(distance, dtype=np.float64)
    if kind == TRANSIENT:
        return 3.0 * (1.0 + np.sqrt(d)) * mm
    return np.full_like(d, 5.0 * mm)


@dataclass
class Bins:
    """Distance bins: edges (km), the pairs in each, the fraction under the requirement and
    whether the bin passes (more than PASS_FRACTION; a bin without pairs never passes)."""

    edges: np.ndarray
    count: np.ndarray
    fraction: np.ndarray
    passed: np.ndarray


def bin_pairs(pairs: Pairs, kind: int, bins: int, max_km: float, mm: float) -> Bins:
    """The pairs within the requirement's distances (0-max_km; the secular one from 0.1 km),
    in ``bins`` equal bins, each with its fraction under the curve."""
    lo = SECULAR_MIN_KM if kind == SECULAR else 0.0
    edges = np.linspace(lo, max_km, bins + 1)
    d = pairs.distance_km
    inside = (d >= lo) & (d <= max_km)
    index = np.clip(np.searchsorted(edges, d[inside], side="right") - 1, 0, bins - 1)
    under = pairs.residual[inside] <= requirement(kind, d[inside], mm)
    count = np.bincount(index, minlength=bins)
    hits = np.bincount(index, weights=under.astype(np.float64), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(count > 0, hits / count, np.nan)
    return Bins(edges, count, fraction, (count > 0) & (fraction > PASS_FRACTION))
