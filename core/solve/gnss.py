"""GNSS beside InSAR, the maths (DESIGN.md section 3b): a station's velocity in a track's
line of sight, residual statistics, and the smooth surface (offset, plane or quadratic) that
ties a track to the stations."""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..conventions.errors import SurfaceError  # noqa: F401 (re-exported: raised here)
from ..conventions.geometry import Values
from ..conventions.uncertainty import MAD_FACTOR

OFFSET, PLANE, QUADRATIC = 0, 1, 2
MODEL_NAMES = {OFFSET: "offset", PLANE: "plane", QUADRATIC: "quadratic surface"}
TERMS = {OFFSET: 1, PLANE: 3, QUADRATIC: 6}


#: Smallest ratio of the singular values (smallest / largest) of the stations' centred
#: coordinates for a surface with spatial terms. The slope across the stations' main axis
#: is known to noise / (sqrt(n) rms_across); carried as far across that axis as the
#: stations reach along it (rms_along; a track is usually about as wide as it is long),
#: the correction's sigma is the offset's own sigma (noise / sqrt(n)) divided by this
#: ratio. At 0.1 it is ten times the offset's, where a plane stops being better than an
#: offset; six stations within 100 m of a 7 km line give about 0.02.
MIN_SPREAD_RATIO = 0.1



def los(s: tuple, ve: Values, vn: Values, vu: Values, sign: float = 1.0) -> Values:
    """GNSS velocity seen in the line of sight, ``sign`` * s . v (sign -1: positive away)."""
    return sign * (s[0] * ve + s[1] * vn + s[2] * vu)


def los_sigma(s: tuple, se: Values, sn: Values, su: Values, cen: Values = 0.0, ceu: Values = 0.0,
              cnu: Values = 0.0) -> Values:  # fmt: skip
    """The propagated standard deviation of :func:`los`, ``sqrt(s' C s)``, C built from the
    component sigmas and correlations (0: independent). NaN where a sigma or a correlation
    is unknown, a correlation lies outside [-1, 1] or C is not a covariance (s' C s < 0):
    an unknown sigma is never zero."""
    se, sn, su, cen, ceu, cnu = (np.asarray(a, dtype=np.float64) for a in (se, sn, su, cen, ceu, cnu))
    e, n, u = s[0] * se, s[1] * sn, s[2] * su
    var = e * e + n * n + u * u + 2.0 * (cen * e * n + ceu * e * u + cnu * n * u)
    with np.errstate(invalid="ignore"):
        valid = (np.abs(cen) <= 1.0) & (np.abs(ceu) <= 1.0) & (np.abs(cnu) <= 1.0) & (var >= 0.0)
        return np.sqrt(np.where(valid, var, np.nan))


def statistics(residual: Values) -> dict:
    """count, bias (mean), rms, std and median of the finite residuals; ``std`` is their
    spread about the mean (uncertainty.SPREAD), not the sigma of any one residual."""
    r = np.asarray(residual, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return {"count": 0, "bias": float("nan"), "rms": float("nan"), "std": float("nan"), "median": float("nan")}
    return {
        "count": int(r.size),
        "bias": float(r.mean()),
        "rms": float(np.sqrt(np.mean(r**2))),
        "std": float(r.std()),
        "median": float(np.median(r)),
    }


def describe(stats: dict, unit: str) -> str:
    """The statistics in one line, with their unit (or 'unit unknown')."""
    if not stats["count"]:
        return "no station"
    u = f" {unit}" if unit else ""
    text = (
        f"{stats['count']} stations, bias (mean) {stats['bias']:.4g}{u}, RMS {stats['rms']:.4g}{u}, "
        f"spread (standard deviation about the mean) {stats['std']:.4g}{u}, median {stats['median']:.4g}{u}"
    )
    return text if unit else f"{text} (unit unknown: the input states none)"


@dataclass(frozen=True)
class Surface:
    """c0 + c1 x' + c2 y' (+ c3 x'^2 + c4 x'y' + c5 y'^2), x' = (x - x0) / scale, y' likewise:
    centred and scaled coordinates keep the fit well conditioned in degrees or metres."""

    model: int
    x0: float
    y0: float
    scale: float
    coefficients: tuple

    def _columns(self, x, y):
        xs, ys = (
            (np.asarray(x, dtype=np.float64) - self.x0) / self.scale,
            (np.asarray(y, dtype=np.float64) - self.y0) / self.scale,
        )
        return design(self.model, xs, ys)

    def __call__(self, x, y):
        cols = self._columns(x, y)
        return sum(c * col for c, col in zip(self.coefficients, cols))

    def describe(self) -> str:
        names = ("offset", "x", "y", "x^2", "xy", "y^2")[: len(self.coefficients)]
        terms = ", ".join(f"{n} {c:.6g}" for n, c in zip(names, self.coefficients))
        return (
            f"{MODEL_NAMES[self.model]}: {terms} (x' = (x - {self.x0:.6f}) / {self.scale:.6g}, "
            f"y' = (y - {self.y0:.6f}) / {self.scale:.6g}, in the track's CRS)"
        )


def design(model: int, xs: np.ndarray, ys: np.ndarray) -> list:
    """The columns of the surface model at scaled coordinates."""
    one = np.ones_like(xs)
    cols = [one]
    if model >= PLANE:
        cols += [xs, ys]
    if model >= QUADRATIC:
        cols += [xs * xs, xs * ys, ys * ys]
    return cols


def fit_surface(x: Values, y: Values, residual: Values, model: int) -> Surface:
    """Least-squares surface through the residuals (InSAR - GNSS) at the stations, equal
    weights: stations are few, and their InSAR and GNSS errors are both rarely known well."""
    if model not in MODEL_NAMES:
        raise SurfaceError(f"unknown surface model {model}: 0 offset, 1 plane, 2 quadratic")
    x, y, r = (np.asarray(a, dtype=np.float64) for a in (x, y, residual))
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(r)
    x, y, r = x[ok], y[ok], r[ok]
    need = TERMS[model]
    if r.size < need:
        raise SurfaceError(
            f"a {MODEL_NAMES[model]} needs at least {need} stations with InSAR and GNSS values, there are {r.size}"
        )
    if model != OFFSET:
        check_spread(x, y, model)
    x0, y0 = float(x.mean()), float(y.mean())
    scale = float(max(np.abs(x - x0).max(), np.abs(y - y0).max())) or 1.0
    a = np.column_stack(design(model, (x - x0) / scale, (y - y0) / scale))
    coef, _, rank, _ = np.linalg.lstsq(a, r, rcond=None)
    if rank < need:
        raise SurfaceError(
            f"the stations cannot determine a {MODEL_NAMES[model]} (they lie on a line, or too close together); "
            "use a simpler model"
        )
    return Surface(model, x0, y0, scale, tuple(float(c) for c in coef))


def spread_ratio(x: Values, y: Values) -> tuple:
    """(smallest / largest singular value of the centred coordinates, rms spread across
    the stations' main axis, rms spread along it); (0, 0, 0) for stations at one place."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    sv = np.linalg.svd(np.column_stack([x - x.mean(), y - y.mean()]), compute_uv=False)
    if sv.size < 2 or sv[0] == 0.0:
        return 0.0, 0.0, 0.0
    return float(sv[1] / sv[0]), float(sv[1] / np.sqrt(x.size)), float(sv[0] / np.sqrt(x.size))


def check_spread(x: Values, y: Values, model: int) -> None:
    """SurfaceError, in words, when the stations are too close to a line (or a point) for
    ``model``'s spatial terms: its slope across the line would be extrapolated."""
    ratio, across, along = spread_ratio(x, y)
    if ratio >= MIN_SPREAD_RATIO:
        return
    name, count = MODEL_NAMES[model], len(np.asarray(x))
    where = (
        "they are all at one place"
        if along == 0.0
        else f"they nearly lie on a line: their spread across it is {across:.3g} and along it {along:.3g} (track "
        f"CRS units), a smallest/largest ratio of {ratio:.3g}, under {MIN_SPREAD_RATIO:g}"
    )
    raise SurfaceError(
        f"a {name} cannot be fitted to these {count} stations: {where}. Its slope across the line would be "
        "extrapolated over the track from stations that do not constrain it; use the offset model, or add "
        "stations away from the line"
    )


def magnitudes(res_e: Values, res_u: Values, gnss_eu: tuple, insar_eu: tuple) -> tuple:
    """Each station's GNSS and decomposition magnitudes, sqrt(east^2 + up^2) over the
    components it was compared in (``res_e``/``res_u`` finite: east or horizontal, up), NaN
    where neither: what :func:`unit_mismatch` judges for a decomposition. Per station, not per
    component: stations without an up (0, as gridded horizontal fields give) would otherwise
    drag the GNSS median to 0, while a unit mistake scales both components alike."""
    e_ok, u_ok = np.isfinite(res_e), np.isfinite(res_u)
    out = []
    for e, u in (gnss_eu, insar_eu):
        squares = np.where(e_ok, np.square(e), 0.0) + np.where(u_ok, np.square(u), 0.0)
        out.append(np.where(e_ok | u_ok, np.sqrt(squares), np.nan))
    return tuple(out)


#: median |GNSS in the LOS| / median |InSAR at the stations| beyond this (or below its inverse)
#: is a unit mistake (mm/yr read as m/yr gives about 1000; plate motion alone rarely 30)
UNIT_RATIO_LIMIT = 300.0
#: Pairs (stations) :func:`unit_mismatch` needs to judge at all.
UNIT_MIN_STATIONS = 3


def insar_spread(values: np.ndarray) -> float:
    """The InSAR values' spread over the stations, free of their common offset: MAD_FACTOR
    times their median absolute deviation (a standard deviation for normal scatter; the
    samplers' robust spread, samplers.series.robust_spread, for one row of finite values)."""
    return MAD_FACTOR * float(np.median(np.abs(values - np.median(values))))


#: What :func:`unit_mismatch` advises by default (merge_frames' options; other callers give theirs).
UNIT_ADVICE = "choose GNSS_UNIT (the stations' unit), or check the frames' units"


def unit_mismatch(gnss_los: np.ndarray, insar: np.ndarray, gnss_unit: str, track_unit: str,
                  what: str = "velocities", example: str = "mm/year against m/year",
                  advice: str = UNIT_ADVICE) -> Optional[str]:  # fmt: skip
    """Words for the error when the stations' values in the line of sight (``what``: velocities,
    or displacements for a time series) and the InSAR values at the stations differ in
    magnitude by a unit's factor (the median of each's absolute value over the pairs where both
    are finite, their ratio beyond ``UNIT_RATIO_LIMIT`` either way), naming the unit the GNSS
    was read in and the track's; None when they agree (or nothing can be judged: no pair, or a
    median of 0). ``example`` and ``advice`` are each caller's words (its units, its options);
    the defaults are merge_frames'.

    Not judged with fewer than :data:`UNIT_MIN_STATIONS` pairs: a track referenced at its one
    GNSS station is about 0 there by construction, whatever the units. GNSS too large is judged
    against the larger of the InSAR values' median magnitude and their spread over the stations
    (:func:`insar_spread`): a track referenced at or near most stations has a small median there
    but not a small spread."""
    g, signed = np.abs(np.asarray(gnss_los, float)), np.asarray(insar, float)
    d = np.abs(signed)
    both = np.isfinite(g) & np.isfinite(d)
    if np.count_nonzero(both) < UNIT_MIN_STATIONS:
        return None
    mg, md = float(np.median(g[both])), float(np.median(d[both]))
    if mg == 0 or md == 0:
        return None
    if 1 / UNIT_RATIO_LIMIT <= mg / md and mg / max(md, insar_spread(signed[both])) <= UNIT_RATIO_LIMIT:
        return None
    track = track_unit or "the track's unit (none stated)"
    return (f"the GNSS {what}, read as {gnss_unit or track}, are {mg / md:.3g} times the InSAR values at the "
            f"stations in {track} (medians of |value| {mg:.3g} and {md:.3g}): a unit mistake ({example} is 1000); "
            f"{advice}")  # fmt: skip
