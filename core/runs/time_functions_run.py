"""``losdecomp:fit_time_functions`` in core: a dated stack (a track, or east or up from
``losdecomp:decompose_timeseries``) to one band per time-function parameter and its fit
sigma, block by block across all its bands (memory bounded by the block), through the
velocity's own batched solve (solve/batch_lsq.py)."""

import datetime
import json
from dataclasses import dataclass, field
from typing import Callable, Container, Optional

import numpy as np

from ..conventions import dates, units
from ..conventions.schema import TAG_UNIT
from ..conventions.uncertainty import FIT, OMITS, TAG_SIGMA_KIND, label
from ..conventions.version import SOFTWARE
from ..io import products
from ..io.gdal_mode import raises
from ..io.grid import Grid, raster_info
from ..io.model import RasterRef
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan.outputs import check_outputs_paths
from ..solve import time_functions as tf
from ..solve.batch_lsq import BOOTSTRAP, CORRELATED, FORMAL, METHODS, Fit, Options, Terms, fit_terms
from ..solve.velocity import LINEAR, TimeSeriesError, window
from .engine import NoResult
from .lifecycle import Run, windows
from .velocity_run import _dated_bands

PARAMETERS, RESIDUAL_RMS, MODEL, RESIDUALS = "parameters", "residual_rms", "model", "residuals"
UNCERTAINTY_OPTIONS = {FORMAL: "formal", BOOTSTRAP: "bootstrap", CORRELATED: "formal, inflated for AR(1) residuals"}
DEFAULT_BOOTSTRAP_COUNT = 100
#: The bootstrap's seed (with each window's origin): the same input gives the same sigmas.
BOOTSTRAP_SEED = 20230206
BLOCK_PIXELS = 1 << 16
CONVENTIONS = (
    "t in years = days since the reference date / 365.25 (MintPy: year + (day of year - 1) / 365.25); an "
    "acquisition on a step date counts as after the step (MintPy: before); exp/log are 0 up to their onset; "
    "decay times are given, not estimated"
)


@dataclass
class FitRequest:
    """What the user asked for; ``clock`` is an internal hook (MintPy's clock in the
    side-by-side test), not a parameter of the algorithm."""

    path: str
    start: Optional[datetime.date]
    end: Optional[datetime.date]
    model: tf.Model
    outputs: dict  # PARAMETERS / RESIDUAL_RMS / MODEL / RESIDUALS -> path
    reference: Optional[datetime.date] = None
    uncertainty: int = FORMAL
    bootstrap_count: int = DEFAULT_BOOTSTRAP_COUNT
    compression: str = DEFAULT_COMPRESSION
    clock: Callable = tf.day_clock


@dataclass
class FitJob:
    """A validated run: the bands and dates of the window, the design and its terms."""

    path: str
    bands: list
    model: tf.Model
    reference: datetime.date  # t = 0 of the parameters written
    origin: datetime.date  # t = 0 of the design solved: the window's first acquisition
    design: np.ndarray
    terms: Terms
    grid: Grid
    unit: str
    outputs: dict
    uncertainty: int = FORMAL
    bootstrap_count: int = DEFAULT_BOOTSTRAP_COUNT
    clock: Callable = tf.day_clock
    tags: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    compression: str = DEFAULT_COMPRESSION


def _unit(md, path, warnings):
    unit = md.unit.value if md.unit else ""
    parsed = units.parse(unit)
    if parsed is None:
        warnings.append(f"{path}: the time series does not state its unit; the parameters are in its unit")
        return ""
    if parsed[1] is not None:
        raise TimeSeriesError(f"{path}: its unit {unit} is a velocity; a time series holds displacements")
    return units.normalise(unit)


@raises
def plan(req: FitRequest) -> FitJob:
    """Validate the request (before any output exists) and build the job with its log."""
    if req.uncertainty not in METHODS:
        raise TimeSeriesError(f"UNCERTAINTY: {req.uncertainty} is not 0 (formal), 1 (bootstrap) or 2 (correlated)")
    if req.uncertainty == BOOTSTRAP and not 10 <= req.bootstrap_count <= 100000:
        raise TimeSeriesError(f"BOOTSTRAP_COUNT: {req.bootstrap_count} draws; give 10 to 100000")
    md = products.read(req.path)
    bands = _dated_bands(req.path, md)
    inside = window([d for _, d in bands], req.start, req.end, [], LINEAR)
    used = [bands[i] for i in inside]
    epochs = [d for _, d in used]
    tf.check_model(epochs, req.model)
    reference = req.reference or epochs[0]
    warnings = []
    job = FitJob(
        path=req.path, bands=used, model=req.model, reference=reference, origin=epochs[0],
        design=tf.design(epochs, req.model, epochs[0], req.clock), terms=tf.terms(epochs, req.model),
        grid=raster_info(req.path, "time series").grid(), unit=_unit(md, req.path, warnings),
        outputs=dict(req.outputs), uncertainty=req.uncertainty, bootstrap_count=req.bootstrap_count,
        warnings=warnings, compression=req.compression, clock=req.clock,
    )  # fmt: skip
    check_outputs_paths(job.outputs, [RasterRef(req.path)])
    job.tags = _tags(job)
    job.log += [
        f"time series: {req.path}, {len(bands)} acquisitions {bands[0][1]} to {bands[-1][1]}",
        f"window: {len(used)} acquisitions used, {epochs[0]} to {epochs[-1]}; reference date (t = 0) {reference}",
        f"model: {describe(req.model)} ({req.model.n_parameters} parameters)",
        f"conventions: {CONVENTIONS}",
        f"uncertainty: {method_words(job)}; it omits {_omits(job.uncertainty)}",
        "a step with fewer than 2 valid acquisitions on one side (up to the next step), or an exp/log term with fewer "
        "than 3 after its onset, is dropped at that pixel (its band nodata there, the rest fitted without it); "
        "pixels with fewer valid acquisitions than the parameters left + 2 are nodata",
    ]
    return job


def describe(model: tf.Model) -> str:
    """The model in words."""
    parts = [f"polynomial of degree {model.polynomial}"]
    parts += [f"period {p:g} year(s)" for p in model.periods]
    parts += [f"step {d}" for d in model.steps]
    parts += [f"exp onset {d} tau {tau:g} days" for d, tau in model.exps]
    parts += [f"log onset {d} tau {tau:g} days" for d, tau in model.logs]
    return ", ".join(parts)


def method_words(job: FitJob) -> str:
    """The uncertainty method in words, with the draws and seed of the bootstrap."""
    words = METHODS[job.uncertainty]
    if job.uncertainty == BOOTSTRAP:
        words += f", {job.bootstrap_count} draws, seed {BOOTSTRAP_SEED} with each block's origin"
    return words


def _omits(method):
    if method == CORRELATED:
        return ("correlation beyond AR(1) (seasonal, power-law noise) and model error; it overstates the sigma of "
                "periodic terms")
    return OMITS[FIT]


def _tags(job):
    tags = dict(
        LOSDECOMP_SOFTWARE=SOFTWARE, LOSDECOMP_SOURCE=job.path,
        LOSDECOMP_WINDOW=f"{job.bands[0][1].isoformat()}/{job.bands[-1][1].isoformat()}",
        LOSDECOMP_EPOCHS=str(len(job.bands)), LOSDECOMP_REFERENCE_DATE=job.reference.isoformat(),
        LOSDECOMP_MODEL=describe(job.model), LOSDECOMP_CONVENTIONS=CONVENTIONS,
        LOSDECOMP_UNCERTAINTY=method_words(job),
        LOSDECOMP_DESIGN=json.dumps({"columns": tf.column_names(job.model)}),
    )  # fmt: skip
    if job.unit:
        tags[TAG_UNIT] = job.unit
    return tags


def _rate(unit, power):
    if not unit or power == 0:
        return unit
    return f"{unit}/year" if power == 1 else f"{unit}/year^{power}"


def parameter_bands(job: FitJob) -> list:
    """(name, unit, meaning) of every band of the parameters output, each value followed by
    its sigma ``<name>Std``."""
    m, unit, out = job.model, job.unit, []
    meaning = {
        0: "the polynomial's constant coefficient, t = 0 at the reference date (not the model's value there when "
           "periods are fitted; where a step is dropped for want of data before it, the level after that step)",
        1: "coefficient of t (the polynomial's rate at the reference date)",
        2: "coefficient of t^2/2 (the polynomial's second derivative)",
    }  # fmt: skip
    for k in range(m.polynomial + 1):
        out.append((tf.column_names(m)[k], _rate(unit, k), meaning.get(k, f"coefficient of t^{k}/{k}!")))
    for p in m.periods:
        name = tf.period_name(p)
        out.append((f"{name}Amplitude", unit, f"amplitude sqrt(c^2 + s^2) of the {p:g}-year term (biased "
                    "upwards where it is not several times its sigma)"))
        out.append((f"{name}PeakDay", "day", f"day of year of the first maximum of the {p:g}-year term on or after "
                    f"1 January {job.origin.year}, 1-based with the fraction of the day (74.0 = 00:00 on the 74th "
                    "day; for periods over a year 1 + days from 1 January); nodata where the amplitude is below "
                    f"{tf.PEAK_MIN_SNR:g} times its sigma; MintPy gives a phase in radians"))
    for name in tf.column_names(m)[m.polynomial + 1 + 2 * len(m.periods) :]:
        kind = {"s": "offset from the step date on", "e": "amplitude of 1 - exp(-(t - T) / tau)"}.get(
            name[0], "amplitude of ln(1 + (t - T) / tau)")
        out.append((name, unit, kind))
    return out


def band_specs(job: FitJob) -> dict:
    """{PARAMETERS, RESIDUAL_RMS, MODEL, RESIDUALS: [BandSpec]}: every output's bands."""
    how = method_words(job).split(":")[0]
    specs = []
    for name, unit, meaning in parameter_bands(job):
        specs.append(BandSpec(f"{name} ({unit or 'input unit'}): {meaning}", unit, {"LOSDECOMP_PARAMETER": name}))
        sigma = label(FIT, name, how)
        specs.append(BandSpec(f"{name}Std ({unit or 'input unit'}): {sigma}", unit,
                              {"LOSDECOMP_PARAMETER": f"{name}Std", TAG_SIGMA_KIND: FIT}))  # fmt: skip
    dated = [BandSpec(dates.compact(d), job.unit, {"INSAR_DATE": dates.compact(d)}) for _, d in job.bands]
    return {
        PARAMETERS: specs,
        RESIDUAL_RMS: [BandSpec(f"residual RMS sqrt(RSS / n) ({job.unit or 'input unit'})", job.unit)],
        MODEL: dated,
        RESIDUALS: [BandSpec(s.description, s.unit, dict(s.metadata)) for s in dated],
    }


def values(job: FitJob, fit: Fit) -> list:
    """The parameters output's bands (1-D arrays, band order of :func:`parameter_bands`)."""
    m, out = job.model, []
    shift = tf.years([job.origin], job.reference, job.clock)[0]
    params, sigma = tf.to_reference(fit.params, fit.sigma, fit.cov, m, shift)
    for k in range(m.polynomial + 1):
        out += [params[k], sigma[k]]
    base = m.polynomial + 1
    for i, period in enumerate(m.periods):
        s, c = base + 2 * i, base + 2 * i + 1  # the design's order: sin, cos; t = 0 at the origin
        amp, sig_amp, peak, sig_peak = tf.amplitude_and_peak(
            fit.params[c], fit.params[s], fit.sigma[c] ** 2, fit.sigma[s] ** 2, fit.cov[i], period, job.origin
        )
        out += [amp, sig_amp, peak, sig_peak]
    for k in range(base + 2 * len(m.periods), job.design.shape[1]):
        out += [fit.params[k], fit.sigma[k]]
    return out


def window_shape(job: FitJob) -> tuple:
    """(rows, cols) of the windows :func:`run` fits (the grid's first window): a window of
    the grid cut at these multiples is fitted exactly as :func:`run` fits it (the bootstrap's
    draws are seeded by each window's origin)."""
    col, row, ncols, nrows = next(windows(job.grid, BLOCK_PIXELS))
    return nrows, ncols


@dataclass
class WindowCounts:
    """What a window adds to the run's log: pixels fitted, per design column the pixels
    fitted where that term was dropped, and the AR(1) factors sampled (None unless
    UNCERTAINTY 2)."""

    resolved: int
    dropped: np.ndarray
    factor: Optional[np.ndarray] = None


def fit_window(job: FitJob, data: np.ndarray, win: tuple, keys: Container) -> tuple:
    """(outputs, WindowCounts) of one window (col, row, ncols, nrows) of the stack, ``data``
    (dates x rows x cols), as :func:`run` fits it; outputs: {key: bands} for the outputs
    ``keys`` (lists of 1-D bands, or (dates, pixels) arrays for the model and residuals)."""
    y = data.reshape(len(job.bands), -1)
    rng = np.random.default_rng([BOOTSTRAP_SEED, win[0], win[1]])
    options = Options(job.uncertainty, job.bootstrap_count, rng)
    fit = fit_terms(y, job.design, job.terms, options, keep_used=RESIDUALS in keys)
    ok = np.isfinite(fit.params[0])
    counts = WindowCounts(int(np.count_nonzero(ok)), np.count_nonzero(~fit.kept & ok, axis=1))
    if job.uncertainty == CORRELATED and ok.any():
        counts.factor = fit.factor[ok][:: max(1, ok.sum() // 1000)]
    return _outputs(job, fit, y, ok, keys), counts


@raises
def solve_window(job: FitJob, win: tuple, keys: Container) -> tuple:
    """One window read from the stack and fitted as :func:`run` fits it: see :func:`fit_window`."""
    with Run(job.grid) as run_:
        stack = run_.open_stack(job.path, [b for b, _ in job.bands], label="time series")
        return fit_window(job, stack.read(*win), win, keys)


def summary(job: FitJob, resolved: int, dropped: np.ndarray, factors: list) -> dict:
    """``resolved``, ``dropped`` ({band name: pixels}) and ``log`` of a run from its windows'
    counts (``dropped`` per design column, ``factors`` the AR(1) samples); NoResult when no
    pixel is fitted."""
    if resolved == 0:
        raise NoResult("no pixel has enough valid acquisitions in the window for the model")
    names = tf.column_names(job.model)
    first = job.model.polynomial + 1 + 2 * len(job.model.periods)  # steps, exp, log: the terms that may drop
    counts = {name: int(dropped[k]) for k, name in enumerate(names) if k >= first}
    log = [f"{name}: dropped at {c} of the {resolved} pixels fitted" for name, c in counts.items()]
    if factors:
        factor = np.concatenate(factors)
        log.append(f"AR(1) variance factor (1 + rho) / (1 - rho): median {np.median(factor):.2f}, "
                   f"95th percentile {np.percentile(factor, 95):.2f}")  # fmt: skip
    return {"resolved": resolved, "dropped": counts, "log": log}


@raises
def run(job: FitJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> dict:
    """Fit every window; outputs appear only when complete (nothing on failure). Returns
    {output: path}, ``resolved`` (pixels with parameters), ``dropped`` ({band name: pixels
    where that term was dropped}) and ``log`` (lines to log after the run)."""
    dropped = np.zeros(job.design.shape[1], dtype=np.int64)
    state = {"resolved": 0, "factor": []}
    with Run(job.grid, progress=progress, is_cancelled=is_cancelled) as run_:
        writers = run_.create(job.outputs, band_specs(job), job.tags, job.compression)
        stack = run_.open_stack(job.path, [b for b, _ in job.bands], label="time series")

        def compute(win, data):
            result, counts = fit_window(job, data, win, writers)
            state["resolved"] += counts.resolved
            dropped[:] += counts.dropped
            if counts.factor is not None:
                state["factor"].append(counts.factor)
            return result

        run_.stream(list(windows(job.grid, BLOCK_PIXELS)), lambda win: stack.read(*win), compute,
                    lambda win, result: _write(writers, win, result))  # fmt: skip
        counts = summary(job, state["resolved"], dropped, state["factor"])
        return dict(run_.commit(), **counts)


def _outputs(job, fit, y, ok, keys):
    result = {}
    if PARAMETERS in keys:
        result[PARAMETERS] = [v.astype(np.float32) for v in values(job, fit)]
    if RESIDUAL_RMS in keys:
        with np.errstate(divide="ignore", invalid="ignore"):
            result[RESIDUAL_RMS] = [np.where(ok, np.sqrt(fit.rss / fit.count), np.nan).astype(np.float32)]
    if MODEL in keys or RESIDUALS in keys:
        model = job.design @ np.where(fit.kept, np.nan_to_num(fit.params), 0.0)
        model[:, ~ok] = np.nan
        if MODEL in keys:
            result[MODEL] = model.astype(np.float32)
        if RESIDUALS in keys:  # fit.used is kept only then
            result[RESIDUALS] = np.where(fit.used, y - model, np.nan).astype(np.float32)
    return result


def _write(writers, win, result):
    shape = (win[3], win[2])
    for key, bands in result.items():
        if key in writers:  # each output flushed at once: GDAL holds one output's window of blocks
            for k, band in enumerate(bands, start=1):
                writers[key].write(k, band.reshape(shape), win[0], win[1])
            writers[key].flush()
