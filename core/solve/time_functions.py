"""Time functions of a displacement series (DESIGN.md section 3c), named as MintPy's
``timeseries2velocity.py`` names its datasets.

- polynomial ``t^k / k!`` for k = 0..degree (``intercept``, ``velocity``, ``acceleration``,
  ``poly3``), t in years = days since the reference date / 365.25;
- per period P (years) ``sin(2 pi t / P)`` and ``cos(2 pi t / P)`` (in that order, as
  ``losdecomp:velocity`` always had them: its results stay bit for bit), reported as an amplitude
  ``sqrt(c^2 + s^2)`` and the day of the peak (``annual``, ``semiAnnual``, ``period<P>Y``);
- per step date T ``H(t - T)``, an acquisition on T counting as after it (``stepYYYYMMDD``);
- per onset T and decay time tau (days) ``H(t - T) (1 - exp(-(t - T) / tau))``
  (``expYYYYMMDDTau<tau>D``) and ``H(t - T) ln(1 + (t - T) / tau)`` (``logYYYYMMDDTau<tau>D``).

MintPy's clock is year + (day of year - 1) / 365.25 (:func:`mintpy_clock`), ours whole days
/ 365.25 (:func:`day_clock`); MintPy counts an acquisition on a step date as before the step.
``losdecomp:velocity``'s design is the special case degree 1, periods (1, 0.5)[:model], its
steps, reference its window's first acquisition (:func:`velocity_model`).
"""

import datetime
import math
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from ..conventions import dates
from ..conventions.errors import TimeSeriesError
from .batch_lsq import FORMAL, Options, Terms, fit_terms

POLYNOMIAL_NAMES = ("intercept", "velocity", "acceleration")
#: Amplitude / its sigma below which a period's peak day and its sigma are nodata.
PEAK_MIN_SNR = 2.0
MAX_DEGREE = 3


def parse_date(text: str, label: str) -> Optional[datetime.date]:
    """A ``YYYY-MM-DD`` (or ``YYYYMMDD``) date, None when empty; TimeSeriesError otherwise."""
    if text is None or not str(text).strip():
        return None
    date = dates.parse(str(text))
    if date is None:
        raise TimeSeriesError(f"{label}: '{text}' is not a date (YYYY-MM-DD)")
    return date


def parse_dates(text: str, label: str) -> list:
    """Comma-separated dates, sorted."""
    return sorted(parse_date(t, label) for t in (text or "").split(",") if t.strip())


def parse_periods(text: str, label: str = "PERIODS") -> tuple:
    """Comma-separated periods in years (``1,0.5``), each > 0 and given once."""
    periods = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        try:
            value = float(item)
        except ValueError:
            raise TimeSeriesError(f"{label}: '{item.strip()}' is not a period in years (e.g. 1,0.5)") from None
        if not value > 0 or not math.isfinite(value):
            raise TimeSeriesError(f"{label}: the period {item.strip()} is not a positive number of years")
        if value in periods:
            raise TimeSeriesError(f"{label}: the period {value:g} is given twice")
        periods.append(value)
    return tuple(periods)


def parse_onsets(text: str, label: str) -> tuple:
    """Comma-separated ``YYYY-MM-DD:tau`` (decay time tau in days, > 0), sorted."""
    terms = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        date_text, _, tau_text = item.strip().partition(":")
        try:
            tau = float(tau_text)
        except ValueError:
            tau = float("nan")
        if not tau > 0 or not math.isfinite(tau):
            raise TimeSeriesError(
                f"{label}: '{item.strip()}' is not an onset and a decay time in days (e.g. 2023-02-06:60)"
            )
        term = (parse_date(date_text, label), tau)
        if term in terms:
            raise TimeSeriesError(f"{label}: {date_text.strip()}:{tau:g} is given twice")
        terms.append(term)
    return tuple(sorted(terms))


@dataclass(frozen=True)
class Model:
    """The time functions fitted: polynomial degree, periods (years), step dates, and
    (onset, decay time in days) of each exponential and logarithmic term."""

    polynomial: int = 1
    periods: tuple = ()
    steps: tuple = ()
    exps: tuple = ()
    logs: tuple = ()

    @property
    def n_parameters(self) -> int:
        return self.polynomial + 1 + 2 * len(self.periods) + len(self.steps) + len(self.exps) + len(self.logs)


def velocity_model(model: int, steps: Sequence) -> Model:
    """``losdecomp:velocity``'s model (0 linear, 1 + annual, 2 + semi-annual) and steps."""
    return Model(1, (1.0, 0.5)[:model], tuple(steps))


def day_clock(date: datetime.date) -> float:
    """This plugin's time: whole days / 365.25 (differences give years of 365.25 days)."""
    return date.toordinal() / dates.DAYS_PER_YEAR


def mintpy_clock(date: datetime.date) -> float:
    """MintPy's time (``ptime.yyyymmdd2years``): year + (day of year - 1) / 365.25."""
    return date.year + (date.timetuple().tm_yday - 1) / dates.DAYS_PER_YEAR


def _tau_name(tau: float) -> str:
    return f"{int(tau)}" if float(tau).is_integer() else f"{tau:g}".replace(".", "p")


def period_name(period: float) -> str:
    """MintPy's prefix of a period's datasets: annual, semiAnnual, period<P>Y."""
    return {1.0: "annual", 0.5: "semiAnnual"}.get(float(period), f"period{period:g}Y")


def column_names(model: Model) -> list:
    """One name per column of the design: MintPy's dataset names for the polynomial, steps,
    exp and log terms, ``<period>Sin`` / ``<period>Cos`` for the periodic columns."""
    names = [POLYNOMIAL_NAMES[k] if k < 3 else f"poly{k}" for k in range(model.polynomial + 1)]
    for period in model.periods:
        names += [f"{period_name(period)}Sin", f"{period_name(period)}Cos"]
    names += [f"step{dates.compact(d)}" for d in model.steps]
    names += [f"exp{dates.compact(d)}Tau{_tau_name(tau)}D" for d, tau in model.exps]
    names += [f"log{dates.compact(d)}Tau{_tau_name(tau)}D" for d, tau in model.logs]
    return names


def years(epochs: Sequence, reference: datetime.date, clock: Callable = day_clock) -> np.ndarray:
    """t of each epoch: clock(date) - clock(reference); with :func:`day_clock` the whole days
    between them / 365.25 (one rounding, as ``losdecomp:velocity`` always had it)."""
    if clock is day_clock:
        return np.array([dates.years_between(reference, d) for d in epochs], dtype=np.float64)
    return np.array([clock(d) - clock(reference) for d in epochs], dtype=np.float64)


def design(epochs: Sequence, model: Model, reference: datetime.date, clock: Callable = day_clock) -> np.ndarray:
    """A (epochs x parameters) in :func:`column_names`'s order, t = clock(date) -
    clock(reference) in years; a step is 1 from its date on (an acquisition on the date
    counts as after); exp/log are 0 up to their onset."""
    t = years(epochs, reference, clock)
    when = np.array(epochs)
    columns = [t**k / math.factorial(k) for k in range(model.polynomial + 1)]
    for period in model.periods:
        columns += [np.sin(2 * np.pi * t / period), np.cos(2 * np.pi * t / period)]
    columns += [(when >= step).astype(float) for step in model.steps]
    for onset, tau in model.exps:
        dt = np.maximum(t - (clock(onset) - clock(reference)), 0.0)
        columns.append(np.where(when > onset, 1.0 - np.exp(-dt * dates.DAYS_PER_YEAR / tau), 0.0))
    for onset, tau in model.logs:
        dt = np.maximum(t - (clock(onset) - clock(reference)), 0.0)
        columns.append(np.where(when > onset, np.log1p(dt * dates.DAYS_PER_YEAR / tau), 0.0))
    return np.column_stack(columns)


def terms(epochs: Sequence, model: Model) -> Terms:
    """The solve's view of the design's columns: the steps and onset terms with their first
    epoch; the covariances wanted: the (cos, sin) pair of each period (columns sin, cos),
    then each pair of polynomial columns (:func:`polynomial_pairs`, for :func:`to_reference`)."""
    base = model.polynomial + 1
    pairs = [(base + 2 * k + 1, base + 2 * k) for k in range(len(model.periods))] + polynomial_pairs(model)
    col = base + 2 * len(model.periods)
    steps = [(col + k, sum(d < step for d in epochs)) for k, step in enumerate(model.steps)]
    col += len(model.steps)
    onsets = [(col + k, sum(d <= onset for d in epochs)) for k, (onset, _) in enumerate(model.exps + model.logs)]
    return Terms(steps=steps, onsets=onsets, pairs=pairs)


def polynomial_pairs(model: Model) -> list:
    """(i, j), i < j, of the polynomial columns."""
    return [(i, j) for i in range(model.polynomial + 1) for j in range(i + 1, model.polynomial + 1)]


def to_reference(params: np.ndarray, sigma: np.ndarray, cov: np.ndarray, model: Model, shift: float) -> tuple:
    """(params, sigma) of a fit on t' = t - ``shift`` (years) re-expressed on t, with the
    covariances propagated: the polynomial re-expanded, ``b_j = sum_k>=j a_k (-shift)^(k-j)
    / (k-j)!``, each period's (c, s) rotated by ``2 pi shift / P``; steps, exp and log
    terms, tied to dates, unchanged. ``cov``: rows in :func:`terms`' pairs order. The same
    least-squares fit, solved where it is well conditioned (t' from the window's first
    acquisition) rather than on t from a reference date years away."""
    params, sigma = params.copy(), sigma.copy()
    if shift == 0:
        return params, sigma
    q, n_periods = model.polynomial + 1, len(model.periods)
    T = np.array([[(-shift) ** (k - j) / math.factorial(k - j) if k >= j else 0.0 for k in range(q)]
                  for j in range(q)])  # fmt: skip
    C = np.zeros((q, q) + params.shape[1:])
    C[range(q), range(q)] = sigma[:q] ** 2
    for row, (i, j) in enumerate(polynomial_pairs(model), start=n_periods):
        C[i, j] = C[j, i] = cov[row]
    params[:q] = np.tensordot(T, params[:q], axes=1)
    sigma[:q] = np.sqrt(np.maximum(np.einsum("jk,jl,kl...->j...", T, T, C), 0.0))
    for k, period in enumerate(model.periods):
        js, jc = q + 2 * k, q + 2 * k + 1
        angle = 2 * np.pi * shift / period
        co, si = math.cos(angle), math.sin(angle)
        c, s, vc, vs, cs = params[jc], params[js], sigma[jc] ** 2, sigma[js] ** 2, cov[k]
        params[jc], params[js] = c * co - s * si, c * si + s * co
        sigma[jc] = np.sqrt(np.maximum(co * co * vc + si * si * vs - 2 * co * si * cs, 0.0))
        sigma[js] = np.sqrt(np.maximum(si * si * vc + co * co * vs + 2 * co * si * cs, 0.0))
    return params, sigma


def check_model(used: list, model: Model) -> None:
    """Refuse, naming the date, what the window's acquisitions ``used`` cannot constrain:
    the degree, a step outside them or without 2 acquisitions on each side (up to the next
    step), an onset outside them or with fewer than 3 acquisitions after it, a period they
    cannot resolve (:func:`check_periods`), and fewer acquisitions than parameters + 2."""
    if model.polynomial not in range(1, MAX_DEGREE + 1):
        raise TimeSeriesError(f"POLYNOMIAL: the degree {model.polynomial} is not 1, 2 or 3")
    check_steps(used, list(model.steps))
    for label, onsets in (("EXP", model.exps), ("LOG", model.logs)):
        for onset, _tau in onsets:
            if not (used[0] <= onset < used[-1]):
                raise TimeSeriesError(
                    f"{label}: the onset {onset} is outside the window's acquisitions ({used[0]} to {used[-1]})"
                )
            after = sum(d > onset for d in used)
            if after < 3:
                raise TimeSeriesError(
                    f"{label}: the onset {onset} has {after} acquisition(s) of the window after it; "
                    "a relaxation term needs at least 3"
                )
    check_periods(used, model.periods)
    if len(used) < model.n_parameters + 2:
        raise TimeSeriesError(
            f"the window holds {len(used)} acquisitions; the model's {model.n_parameters} parameters need at least "
            f"{model.n_parameters + 2}"
        )


def check_periods(used: list, periods: Sequence) -> None:
    """Refuse a period the window's acquisitions ``used`` cannot resolve: longer than the
    time they cover (first to last plus the median interval: the cos and sin would be told
    from the polynomial only by their curvature, the amplitude unbounded), or shorter than
    twice the median interval (Nyquist: aliased)."""
    gaps = [(b - a).days for a, b in zip(used, used[1:])]
    interval = float(np.median(gaps))
    cover = ((used[-1] - used[0]).days + interval) / dates.DAYS_PER_YEAR
    for period in periods:
        if period > cover:
            raise TimeSeriesError(
                f"PERIODS: the period {period:g} years is longer than the window's acquisitions cover ({used[0]} to "
                f"{used[-1]}, {cover:.2f} years with one interval): its amplitude cannot be told from the trend; "
                "widen the window or leave the period out"
            )
        if period * dates.DAYS_PER_YEAR < 2 * interval:
            raise TimeSeriesError(
                f"PERIODS: the period {period:g} years ({period * dates.DAYS_PER_YEAR:.1f} days) is shorter than twice "
                f"the median interval between acquisitions ({interval:g} days): it would be aliased"
            )


def check_steps(used: list, steps: list) -> None:
    """Steps the fit can separate, on the window's acquisitions ``used``: each date once and
    at least 2 acquisitions on each side of each step, up to the next step. With fewer, a
    step would be dropped at every pixel (batch_lsq.step_rule); with none between two steps
    their columns would be the same and the fit singular everywhere."""
    twice = dates.repeated(steps)
    if twice:
        raise TimeSeriesError(f"the step date {', '.join(map(str, twice))} is given twice")
    for step in steps:
        if not (used[0] < step <= used[-1]):
            raise TimeSeriesError(
                f"the step date {step} is not inside the window's acquisitions ({used[0]} to {used[-1]}): "
                "an offset needs acquisitions before and after it"
            )
    edges = [None] + sorted(steps) + [None]
    for a, b in zip(edges, edges[1:]):
        between = [d for d in used if (a is None or d >= a) and (b is None or d < b)]
        if len(between) >= 2:
            continue
        if a is None:
            what = f"the step date {b} has only 1 acquisition of the window before it ({between[0]})"
        elif b is None:
            what = f"the step date {a} has only 1 acquisition of the window from it on ({between[0]})"
        elif between:
            what = f"the step dates {a} and {b} have only 1 acquisition between them ({between[0]})"
        else:
            what = f"the step dates {a} and {b} have no acquisition between them"
        raise TimeSeriesError(
            f"{what}: a step needs at least 2 acquisitions on each side, up to the next step, to be told from "
            "the offset and the velocity"
        )


def amplitude_and_peak(c: np.ndarray, s: np.ndarray, var_c: np.ndarray, var_s: np.ndarray, cov_cs: np.ndarray,
                       period: float, reference: datetime.date) -> tuple:  # fmt: skip
    """(amplitude, its sigma, peak day, its sigma) of ``c cos(w t) + s sin(w t)``, w = 2 pi /
    P, t in years of 365.25 days from ``reference`` (t = 0 of c and s), propagated to first
    order from the (co)variances. The peak day is :func:`peak_day` of the first maximum on
    or after 1 January of the reference date's year; it and its sigma are NaN where the
    amplitude is below :data:`PEAK_MIN_SNR` times its sigma (there the first-order sigma is
    meaningless: with no seasonal signal the peak is uniform over the period)."""
    amp = np.hypot(c, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        sig_amp = np.sqrt(np.maximum(c * c * var_c + s * s * var_s + 2 * c * s * cov_cs, 0.0)) / amp
        sig_phase = np.sqrt(np.maximum(s * s * var_c + c * c * var_s - 2 * c * s * cov_cs, 0.0)) / (amp * amp)
    length = period * dates.DAYS_PER_YEAR
    lag = np.arctan2(s, c) / (2 * np.pi) * length  # days from the reference to a maximum
    january = datetime.date(reference.year, 1, 1)
    first = np.mod((reference - january).days + lag, length)  # days from 1 January to the first maximum
    shown = (amp > 0) & (amp >= PEAK_MIN_SNR * sig_amp)
    peak = np.where(shown, peak_day(first, january, period), np.nan)
    return amp, sig_amp, peak, np.where(shown, sig_phase * length / (2 * np.pi), np.nan)


def peak_day(days: np.ndarray, january: datetime.date, period: float) -> np.ndarray:
    """The instants ``days`` after 00:00 on 1 January ``january`` as a 1-based day of year
    with the fraction of the day (each date from its 00:00: 74.0 is 00:00 on the 74th day,
    74.5 noon), the day of year of the calendar date the instant falls on; for a period
    longer than a year 1 + the days from 1 January (not a day of year)."""
    days = np.asarray(days, dtype=np.float64)
    if period > 1:
        return days + 1.0
    whole = np.floor(np.nan_to_num(days))
    low = whole.min() if whole.size else 0.0
    if whole.size and whole.max() - low <= 4 * 366:  # the calendar once per day of the range, not per pixel
        doy = _day_of_year(np.arange(low, whole.max() + 1), january)[(whole - low).astype(np.int64)]
    else:
        doy = _day_of_year(whole, january)
    return np.where(np.isfinite(days), doy + (days - whole), np.nan)


def _day_of_year(whole: np.ndarray, january: datetime.date) -> np.ndarray:
    """The 1-based day of year of the dates ``whole`` days after ``january``."""
    when = np.datetime64(january, "D") + whole.astype("timedelta64[D]")
    return (when - when.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1


@dataclass
class SeriesFit:
    """One series fitted: {name: (value, sigma)} of every column (NaN where dropped), and
    the model on the dates asked for."""

    parameters: dict
    model: np.ndarray


def fit_series(epochs: Sequence, values: Sequence, model: Model, reference: Optional[datetime.date] = None,
               at: Optional[Sequence] = None, method: int = FORMAL) -> SeriesFit:  # fmt: skip
    """Fit one pixel's series (``values`` on ``epochs``, NaN = missing) as the run does (t
    from the first epoch, then :func:`to_reference`), and evaluate the model on the dates
    ``at`` (default the epochs): the inspector's curve."""
    epochs = list(epochs)
    origin = epochs[0]
    A = design(epochs, model, origin)
    y = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    fit = fit_terms(y, A, terms(epochs, model), Options(method, 100, np.random.default_rng(0)))
    at = epochs if at is None else list(at)
    curve = design(at, model, origin) @ np.where(fit.kept[:, 0], fit.params[:, 0], 0.0)
    shift = years([origin], reference or origin)[0]
    params, sigma = to_reference(fit.params[:, 0], fit.sigma[:, 0], fit.cov[:, 0], model, shift)
    return SeriesFit(dict(zip(column_names(model), zip(params, sigma))), curve)
