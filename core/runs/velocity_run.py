"""``losdecomp:velocity`` in core: a time-series raster to a velocity raster over a window,
block by block across all its bands, carrying the input's geometry so that the
decomposition reads it with no angle typed."""

import datetime
import json
import os
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from osgeo import gdal

from ..conventions import units
from ..conventions.schema import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_ROLE, TAG_SIGMA_FILE, TAG_UNIT, track_tags
from ..conventions.uncertainty import FIT, OMITS, TAG_SIGMA_KIND, label
from ..conventions.version import SOFTWARE
from ..io import products
from ..io.gdal_mode import raises
from ..io.grid import Grid, raster_info
from ..io.model import RasterGeometry, RasterRef
from ..io.products.timeseries import band_dates
from ..io.reader import GeometryReader
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan.outputs import check_outputs_paths
from ..solve.velocity import MODEL_NAMES, TimeSeriesError, design_matrix, fit, repeat_days, window
from .engine import NoResult
from .lifecycle import Run, windows

VELOCITY, SIGMA = "velocity", "sigma"
SIGMA_LABEL = label(FIT, "the LOS velocity", "s^2 (A'A)^-1 with s^2 = RSS / (n - p)")
STEP_RULE = (
    "; at a pixel with fewer than 2 valid acquisitions on one side of a step (up to the next step), the step is "
    "dropped and the velocity fitted without it (a lone acquisition on that side is not used)"
)
#: Pixels per window: every band of the window is in memory at once.
BLOCK_PIXELS = 1 << 16


@dataclass
class VelocityRequest:
    """What the user asked for."""

    path: str
    start: Optional[datetime.date]
    end: Optional[datetime.date]
    model: int
    steps: list
    outputs: dict  # VELOCITY / SIGMA -> path
    compression: str = DEFAULT_COMPRESSION


@dataclass
class VelocityJob:
    """A validated velocity run: bands and dates in the window, design matrix, grid."""

    path: str
    bands: list  # of (band index, date), by date
    design: np.ndarray
    grid: Grid
    unit: str
    outputs: dict
    steps: list = field(default_factory=list)  # the last len(steps) columns of the design
    geometry: object = None  # a model.RasterGeometry to write as unit-vector bands
    tags: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    compression: str = DEFAULT_COMPRESSION


def _dated_bands(path, md):
    if md.dates is None:
        one = list(band_dates(path).values())  # a stack is dated from two dated bands: one is not read as dates
        if len(one) == 1:
            raise TimeSeriesError(f"{path}: not a time series: a stack needs at least two dated acquisitions; this "
                                  f"one has one, dated {one[0]}")  # fmt: skip
        raise TimeSeriesError(
            f"{path}: not a time series (no band carries a date: INSAR_DATE or a YYYYMMDD description)"
        )
    ds = gdal.Open(path)
    undated = [
        i for i in range(1, ds.RasterCount + 1)
        if i not in md.dates.value and not ds.GetRasterBand(i).GetMetadataItem(TAG_ROLE)
    ]  # fmt: skip
    if undated:
        raise TimeSeriesError(f"{path}: band(s) {', '.join(map(str, undated))} carry no date that can be read")
    return sorted(md.dates.value.items(), key=lambda item: item[1])


def _velocity_unit(unit, path, warnings):
    parsed = units.parse(unit)
    if parsed is None:
        warnings.append(f"{path}: the time series does not state its unit; the velocity is in its unit per year")
        return ""
    if parsed[1] is not None:
        raise TimeSeriesError(f"{path}: its unit {unit} is a velocity; a time series holds displacements")
    return units.normalise(f"{unit}/year")


@raises
def plan(req: VelocityRequest) -> VelocityJob:
    """Validate the request (before any output exists) and build the job with its log."""
    md = products.read(req.path)
    bands = _dated_bands(req.path, md)
    epochs = [d for _, d in bands]
    inside = window(epochs, req.start, req.end, req.steps, req.model)
    used = [bands[i] for i in inside]
    warnings = []
    job = VelocityJob(
        path=req.path, bands=used, design=design_matrix([d for _, d in used], req.model, req.steps),
        steps=list(req.steps), grid=raster_info(req.path, "time series").grid(),
        unit=_velocity_unit(md.unit.value if md.unit else "", req.path, warnings), outputs=dict(req.outputs),
        warnings=warnings, compression=req.compression,
    )  # fmt: skip
    check_outputs_paths(job.outputs, [RasterRef(req.path)])
    if isinstance(md.geometry.value if md.geometry else None, RasterGeometry):
        job.geometry = md.geometry.value
    job.tags = _tags(md, job)
    first, last = used[0][1], used[-1][1]
    job.log += [
        f"time series: {req.path}, {len(bands)} acquisitions {epochs[0]} to {epochs[-1]}",
        f"window: {req.start or 'first acquisition'} to {req.end or 'last acquisition'}: {len(used)} acquisitions "
        f"used, {first} to {last} ({(last - first).days} days)",
        f"model: {MODEL_NAMES[req.model]}" + (f", steps at {', '.join(map(str, req.steps))}" if req.steps else ""),
        "velocity: least squares per pixel on its valid acquisitions; time in years of 365.25 days"
        + (STEP_RULE if req.steps else "")
        + f"; pixels with fewer valid acquisitions than the parameters fitted + 2 (at most {job.design.shape[1] + 2}) "
        "are nodata",
        f"sigma: {SIGMA_LABEL}; it omits {OMITS[FIT]}",
    ]
    if job.geometry is not None:
        job.log.append(f"geometry: per pixel ({job.geometry.source}), written as LOS unit-vector bands")
    return job


def _tags(md, job):
    def value(found):
        return found.value if found is not None else None

    tags = track_tags(value(md.heading), value(md.incidence), value(md.look_side), value(md.los_sign),
                      job.unit, value(md.reference))  # fmt: skip
    first, last = job.bands[0][1], job.bands[-1][1]
    tags.update(
        LOSDECOMP_SOFTWARE=SOFTWARE,
        LOSDECOMP_SOURCE=job.path,
        LOSDECOMP_WINDOW=f"{first.isoformat()}/{last.isoformat()}",
        LOSDECOMP_REPEAT_DAYS=repr(repeat_days([d for _, d in job.bands])),
        LOSDECOMP_EPOCHS=str(len(job.bands)),
        LOSDECOMP_DESIGN=json.dumps({"columns": int(job.design.shape[1])}),
    )
    if not job.unit:
        tags.pop(TAG_UNIT, None)
    sigma, velocity = job.outputs.get(SIGMA), job.outputs.get(VELOCITY)
    if sigma and velocity:  # the velocity names its sigma file, so decompose weighs with it
        tags[TAG_SIGMA_FILE] = os.path.relpath(os.path.abspath(sigma), os.path.dirname(os.path.abspath(velocity)))
    return tags


def band_specs(job: VelocityJob) -> dict:
    """{VELOCITY: [velocity (+ the LOS unit-vector bands)], SIGMA: [sigma]}: the outputs' bands."""
    unit = job.unit
    velocity = [BandSpec("LOS velocity", unit, {TAG_ROLE: ROLE_VELOCITY})]
    if job.geometry is not None:
        velocity += [BandSpec(f"LOS unit vector {r[4:]} (ground to satellite)", "", {TAG_ROLE: r}) for r in ROLE_ENU]
    # the role makes decompose weigh the track with this sigma (then its a-priori sigma)
    sigma = BandSpec(SIGMA_LABEL, unit, {TAG_ROLE: ROLE_STD, TAG_SIGMA_KIND: FIT})
    return {VELOCITY: velocity, SIGMA: [sigma]}


def window_shape(job: VelocityJob) -> tuple:
    """(rows, cols) of the windows :func:`run` fits (the grid's first window): a window of
    the grid cut at these multiples is fitted exactly as :func:`run` fits it."""
    col, row, ncols, nrows = next(windows(job.grid, BLOCK_PIXELS))
    return nrows, ncols


def fit_window(job: VelocityJob, data: tuple, dropped: Optional[np.ndarray] = None) -> tuple:
    """(velocity, sigma, LOS unit-vector components or None) of one window's ``data`` (the
    stack's block, the geometry's block or None), as :func:`run` fits it; ``dropped`` (one
    count per step) gains the pixels with a velocity where each step was dropped."""
    vel, sig, _ = fit(data[0].reshape(len(job.bands), -1), job.design, len(job.steps), dropped)
    return vel, sig, data[1]


@raises
def solve_window(job: VelocityJob, win: tuple, dropped: Optional[np.ndarray] = None) -> tuple:
    """One window (col, row, ncols, nrows) read from the stack and fitted as :func:`run` does
    it: (velocity, sigma, components), see :func:`fit_window`."""
    with Run(job.grid) as run_:
        stack = run_.open_stack(job.path, [b for b, _ in job.bands], label="time series")
        unit_vector = GeometryReader(job.geometry, run_.open) if job.geometry is not None else None
        data = stack.read(*win), unit_vector.read(*win) if unit_vector is not None else None
        return fit_window(job, data, dropped)


def summary(job: VelocityJob, resolved: int, dropped: np.ndarray) -> dict:
    """``resolved``, ``steps_dropped`` ({date: count}) and ``log`` of a run from its counts;
    NoResult when no pixel has a velocity."""
    if resolved == 0:
        raise NoResult("no pixel has enough valid acquisitions in the window for the model")
    steps_dropped = {step: int(n) for step, n in zip(job.steps, dropped)}
    log = [
        f"step {step}: dropped at {n} of the {resolved} pixels with a velocity (fewer than 2 valid acquisitions "
        "on one side of it: the velocity there is fitted without it)"
        for step, n in steps_dropped.items()
    ]
    return dict(resolved=resolved, steps_dropped=steps_dropped, log=log)


@raises
def run(job: VelocityJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> dict:
    """Fit every window; outputs appear only when complete (nothing on failure).
    Returns {output: path}, the number of pixels with a velocity under ``resolved``, the
    pixels with a velocity where each step was dropped under ``steps_dropped`` ({date:
    count}) and the lines to log after the run under ``log``."""
    dropped = np.zeros(len(job.steps), dtype=np.int64)
    resolved = 0
    with Run(job.grid, progress=progress, is_cancelled=is_cancelled) as run_:
        writers = run_.create(job.outputs, band_specs(job), job.tags, job.compression)
        # every band of a window in one read, its blocks dropped after it: memory stays bounded
        stack = run_.open_stack(job.path, [b for b, _ in job.bands], label="time series")
        unit_vector = GeometryReader(job.geometry, run_.open) if job.geometry is not None else None

        def read(win):
            return stack.read(*win), unit_vector.read(*win) if unit_vector is not None else None

        def compute(win, data):
            nonlocal resolved
            result = fit_window(job, data, dropped)
            resolved += int(np.count_nonzero(np.isfinite(result[0])))
            return result

        def write(win, result):
            _write(writers, win, *result)

        run_.stream(list(windows(job.grid, BLOCK_PIXELS)), read, compute, write)
        counts = summary(job, resolved, dropped)
        return dict(run_.commit(), **counts)


def _write(writers, win, vel, sig, components):
    shape = (win[3], win[2])
    writers[VELOCITY].write(1, vel.reshape(shape), win[0], win[1])
    for k, comp in enumerate(components or (), start=2):
        writers[VELOCITY].write(k, np.broadcast_to(comp, shape), win[0], win[1])
    if SIGMA in writers:
        writers[SIGMA].write(1, sig.reshape(shape), win[0], win[1])
    writers.flush()
