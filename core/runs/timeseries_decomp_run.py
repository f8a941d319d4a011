"""``losdecomp:decompose_timeseries`` in core: two or more time-series rasters to east and
up displacement time series on common dates, block by block across all their bands."""

import datetime
import json
import os
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..conventions import dates as dates_
from ..conventions import uncertainty, units
from ..conventions.geometry import sign_factor
from ..conventions.schema import TAG_ASSUMPTION, TAG_DATE, TAG_SIGMA_FILE
from ..conventions.uncertainty import MEDIAN
from ..conventions.version import SOFTWARE
from ..io.gdal_mode import raises
from ..io.model import (
    HORIZONTAL,
    SIGMA_HORIZONTAL,
    SIGMA_KIND,
    SIGMA_UP,
    UP,
    NorthSpec,
    RasterGeometry,
    RasterRef,
)
from ..io.products.timeseries import band_dates
from ..io.reader import GeometryReader, GridReader
from ..io.writer import BandSpec
from ..plan.decompose import Request, check, north_spec, reference_area
from ..samplers.area import sample
from ..samplers.reference import ReferenceAreaError
from ..solve import timeseries_decomp as tsd
from ..solve.inversion import TrackBlock, horizontal_sensitivity, invert
from ..solve.resolvable import nothing_resolved
from ..solve.velocity import TimeSeriesError
from . import components_timeseries
from .engine import NoResult
from .lifecycle import Run, windows

METHOD_NAMES = {tsd.INTERPOLATE: "linear interpolation in time, then a per-date inversion",
                tsd.JOINT: "joint least squares of all acquisitions with first-order temporal smoothing"}  # fmt: skip
#: Pixels per window (read and written together; tile-aligned, at least one 256 x 256 tile)
#: and per solve (the per-date arrays of a solve hold dates x pixels values).
BLOCK_PIXELS, SOLVE_PIXELS = 1 << 16, 1 << 12


@dataclass
class TimeSeriesRequest:
    """What the user asked for: the decomposition's request (tracks as time series, grid,
    outputs by product) and the time options."""

    base: Request
    dates_mode: int = tsd.EVERY_ACQUISITION
    interval_days: float = 12
    max_gap_days: float = 36
    reference: Optional[datetime.date] = None
    method: int = tsd.INTERPOLATE
    regularization: float = 1.0


@dataclass
class _Track:
    spec: object  # model.TrackSpec
    bands: list  # (band, date), in band order


@dataclass
class TimeSeriesJob:
    """A validated run: the tracks with their dated bands, the grid, the output dates."""

    req: TimeSeriesRequest
    tracks: list
    grid: object
    unit: str
    weighted: bool
    dates: list
    reference: datetime.date
    outputs: dict
    tags: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    north: Optional[NorthSpec] = None
    area: object = None  # reference.ReferenceArea or None


def _track_bands(resolved):
    path, name = resolved.spec.velocity.path, resolved.spec.name
    dated = band_dates(path)
    if not dated:
        raise TimeSeriesError(f"{name} track: {path} is not a time series (no band carries a date)")
    bands = sorted(dated.items(), key=lambda item: (item[1], item[0]))  # by date, as losdecomp:velocity reads them
    tsd.check_track_dates(name, [d for _, d in bands])
    return _Track(resolved.spec, bands)


def _check_options(req):
    if req.max_gap_days is None or req.max_gap_days <= 0:
        raise TimeSeriesError(f"MAX_GAP_DAYS must be a positive number of days, not {req.max_gap_days}")
    if req.method not in METHOD_NAMES:
        raise TimeSeriesError(f"unknown METHOD {req.method}: 0 interpolation, 1 joint inversion")
    if req.regularization < 0:
        raise TimeSeriesError(f"REGULARIZATION must be zero or positive, not {req.regularization}")


@raises
def plan(req: TimeSeriesRequest) -> TimeSeriesJob:
    """Validate everything that can be checked before reading pixels, then the job."""
    _check_options(req)
    checked = check(req.base)
    tracks = [_track_bands(r) for r in checked.resolved]
    named = [(t.spec.name, [d for _, d in t.bands]) for t in tracks]
    out_dates = tsd.output_dates(req.dates_mode, named, req.interval_days)
    reference = tsd.reference_date(out_dates, req.reference)
    outputs = {k: v for k, v in req.base.outputs.items() if k in (HORIZONTAL, UP, SIGMA_HORIZONTAL, SIGMA_UP)}
    job = TimeSeriesJob(req, tracks, checked.grid, checked.unit, checked.weighted, out_dates, reference, outputs,
                        log=list(checked.log), warnings=list(checked.warnings))  # fmt: skip
    job.north = north_spec(req.base, checked, job.log, job.warnings, units.per_year(checked.unit))
    job.area = reference_area(req.base, checked.grid, job.log)
    if job.area is not None:
        job.log[-1] += ", date by date (each date's median there subtracted from that date)"
    if req.base.horizontal_azimuth is not None:
        job.log.append(f"horizontal component solved along azimuth {req.base.horizontal_azimuth:g} deg clockwise "
                       "from north")  # fmt: skip
    job.log += [f"{n} track: {len(e)} acquisitions, {e[0]} to {e[-1]}" for n, e in named]
    job.log += [
        f"output dates: {len(out_dates)}, {out_dates[0]} to {out_dates[-1]} ({_mode_text(req)})",
        f"reference date: {reference} (every track's displacement is zero there)",
        f"method: {METHOD_NAMES[req.method]}",
        f"assumption: {assumption(req, job.north)}",
    ]
    slow, why = _joint_per_pixel_minutes(job)
    if slow > 10:
        job.warnings.append(
            f"method 1 with {why} solves one system per pixel (many pixels at a time): about {slow:.0f} minutes "
            f"for {len(out_dates)} output dates on this grid; DATES 1 with a longer INTERVAL_DAYS is faster"
        )
    job.tags = _tags(job)
    components_timeseries.plan(job)  # COMPONENTS 1 and 2: refusals, outputs, assumption
    return job


#: Seconds per pixel and per output date of method 1 with per-pixel systems (batched
#: banded solves, ``joint_banded``; measured on two busy shared cores (bench_timeseries, joint
#: cases): about 0.3 ms a pixel at 200 dates for the estimates, 2.5 times that with the sigmas).
_JOINT_SECONDS_PER_PIXEL_DATE = 1.5e-6


def _joint_per_pixel_minutes(job):
    """The expected minutes of method 1 when every pixel has its own system (per-pixel
    geometry, or per-pixel weights from sigma rasters), and why; 0 otherwise."""
    if job.req.method != tsd.JOINT:
        return 0.0, ""
    if any(isinstance(t.spec.geometry, RasterGeometry) for t in job.tracks):
        why = "per-pixel geometry"
    elif any(isinstance(t.spec.sigma, RasterRef) for t in job.tracks):
        why = "per-pixel weights (standard-deviation rasters)"
    else:
        return 0.0, ""
    sigmas = 2.5 if job.weighted and any(k in job.outputs for k in (SIGMA_HORIZONTAL, SIGMA_UP)) else 1.0
    return job.grid.width * job.grid.height * len(job.dates) * _JOINT_SECONDS_PER_PIXEL_DATE * sigmas / 60, why


def _mode_text(req):
    return {tsd.EVERY_ACQUISITION: "every acquisition of any track in the common span",
            tsd.REGULAR: f"every {req.interval_days:g} days from the first common date",
            tsd.ASCENDING_DATES: "the ascending track's acquisitions"}[req.dates_mode]  # fmt: skip


def assumption(req: TimeSeriesRequest, north: Optional[NorthSpec] = None) -> str:
    if north is None:
        north_text = "north motion zero"
    else:
        north_text = "the known north velocity's displacement since the reference date removed from every track"
    if req.base.horizontal_azimuth is not None:
        north_text = f"no motion across azimuth {req.base.horizontal_azimuth:g} deg in the horizontal"
    if req.method == tsd.INTERPOLATE:
        return (
            f"each track interpolated linearly in time between its valid acquisitions at most "
            f"{req.max_gap_days:g} days apart (no sudden motion between them); {north_text}"
        )
    return (
        f"east and up velocities constant within each interval between output dates, smoothed in time "
        f"(REGULARIZATION {req.regularization:g}); {north_text}"
    )


def _tags(job):
    return {
        "LOSDECOMP_SOFTWARE": SOFTWARE,
        "LOSDECOMP_TRACKS": json.dumps([t.spec.velocity.path for t in job.tracks]),
        "LOSDECOMP_REFERENCE_DATE": job.reference.isoformat(),
        "LOSDECOMP_METHOD": METHOD_NAMES[job.req.method],
        "LOSDECOMP_MAX_GAP_DAYS": repr(float(job.req.max_gap_days)),
        TAG_ASSUMPTION: assumption(job.req, job.north),
        "INSAR_UNIT": job.unit,
    }


#: The sigma output that goes with each value output.
SIGMA_OF = {HORIZONTAL: SIGMA_HORIZONTAL, UP: SIGMA_UP}


def _output_tags(job, key):
    """The run's tags; a value output whose sigma output is written also names that file
    (``INSAR_SIGMA_FILE``, relative to its own folder, as losdecomp:velocity does), so the
    readers find the pair without guessing from ``LOSDECOMP_PRODUCT``."""
    sigma, value = job.outputs.get(SIGMA_OF.get(key, "")), job.outputs.get(key)
    if not (sigma and value):
        return job.tags
    return dict(job.tags, **{TAG_SIGMA_FILE: os.path.relpath(os.path.abspath(sigma),
                                                              os.path.dirname(os.path.abspath(value)))})


def band_specs(job: TimeSeriesJob) -> dict:
    """{product: [BandSpec per output date]} of the east/up outputs and their sigmas."""

    def dated(what, extra=None):
        return [BandSpec(dates_.compact(d), job.unit, {TAG_DATE: dates_.compact(d), "QUANTITY": what, **(extra or {})})
                for d in job.dates]  # fmt: skip

    az = job.req.base.horizontal_azimuth
    horizontal = "east displacement" if az is None else f"horizontal displacement along azimuth {az:g} deg"
    return {HORIZONTAL: dated(horizontal), UP: dated("up displacement"),
            SIGMA_HORIZONTAL: dated(uncertainty.label(uncertainty.PROPAGATED, f"the {horizontal}"), SIGMA_KIND),
            SIGMA_UP: dated(uncertainty.label(uncertainty.PROPAGATED, "the up displacement"), SIGMA_KIND)}  # fmt: skip


class _Reader:
    """One track's band readers, geometry, sigma and the known north, as arrays per window."""

    def __init__(self, track, open_reader, north):
        spec = track.spec
        self.sign = sign_factor(spec.los_sign)
        self.stack = open_reader(spec.velocity, [b for b, _ in track.bands])
        self.geometry = GeometryReader(spec.geometry, open_reader, open_stack=open_reader)
        self.sigma = open_reader(spec.sigma) if isinstance(spec.sigma, RasterRef) else spec.sigma
        self.north = open_reader(north.velocity) if north and isinstance(north.velocity, RasterRef) else (
            north.velocity if north else None)  # fmt: skip
        self.epochs = [d for _, d in track.bands]
        self.offsets = None

    def reference(self, area, name) -> list:
        """Each date's median over the reference area, subtracted from that date at every
        read; a date with no valid pixel there is dropped (NaN) for this track, and said
        (the returned warnings)."""
        medians = sample(area, self.stack, MEDIAN).value  # one per band, the window read once
        self.offsets = (self.sign * np.asarray(medians)).astype(np.float32)[:, None]
        if np.isnan(self.offsets).all():
            raise ReferenceAreaError(f"{name} track: no valid pixel in the reference area ({area.description}) "
                                     "at any date")  # fmt: skip
        lost = [d.isoformat() for d, off in zip(self.epochs, self.offsets[:, 0]) if np.isnan(off)]
        shown = ", ".join(lost[:10]) + (f" and {len(lost) - 10} more" if len(lost) > 10 else "")
        return [f"{name} track: no valid pixel in the reference area on {len(lost)} date(s) ({shown}): those "
                "acquisitions are left out (interpolated across where the gap rule allows)"] if lost else []

    def read(self, win):
        values = self.stack.read(*win).reshape(len(self.epochs), -1)
        if self.sign != 1.0:
            values = -values
        if self.offsets is not None:
            values = values - self.offsets
        s = [np.ravel(c) if np.ndim(c) else c for c in self.geometry.read(*win)]
        return values, s, _flat(self.sigma, win), _flat(self.north, win)


def _flat(source, win):
    return source.read(*win).ravel() if isinstance(source, GridReader) else source


def _years(days, reference):
    return ((np.asarray(days, dtype=np.float64) - reference) / tsd.DAYS_PER_YEAR)[:, None]


def _solve_interpolated(job, blocks):
    origin = job.dates[0]
    targets = tsd.days_since(job.dates, origin)
    reference = float((job.reference - origin).days)
    azimuth = job.req.base.horizontal_azimuth
    tracks, responses = [], []
    for reader, (values, s, sigma, north) in blocks:
        epochs = tsd.days_since(reader.epochs, origin)
        disp, var = tsd.since_reference(epochs, values, targets, reference, job.req.max_gap_days)
        # the reference date has zero variance by construction: floored, so weights stay finite
        scaled = None if sigma is None else sigma * np.sqrt(np.maximum(var, 1e-12))
        if north is not None:  # the known north's displacement since the reference date, removed (DESIGN 3)
            unit = np.broadcast_to(s[1] * _years(targets, reference), disp.shape)  # LOS of a unit north velocity
            disp -= (unit * north).astype(disp.dtype)
            responses.append(TrackBlock(np.where(np.isnan(disp), np.nan, unit), s[0], s[1], s[2], scaled))
        tracks.append(TrackBlock(disp, s[0], s[1], s[2], scaled))
    max_condition = job.req.base.max_condition
    sol = invert(tracks, horizontal_azimuth=azimuth, max_condition=max_condition)  # every date at once
    out = {HORIZONTAL: sol.horizontal, UP: sol.up, SIGMA_HORIZONTAL: sol.sigma_horizontal, SIGMA_UP: sol.sigma_up}
    if _north_sigma(job) and sol.sigma_up is not None:
        per_north = invert(responses, max_condition=max_condition)  # east/up of a unit north velocity
        _add_north_sigma(out, per_north.horizontal, per_north.up, _north_sigma(job))
    return out


def _north_sigma(job):
    return job.north.sigma if job.north is not None and job.north.sigma else None


def _add_north_sigma(out, east_per_north, up_per_north, sigma_north):
    """The known north's sigma in the sigma outputs: one error shared by every track and
    date, so it enters through the outputs' response to a unit north velocity (exactly,
    not as independent per-track variances)."""
    for key, response in ((SIGMA_HORIZONTAL, east_per_north), (SIGMA_UP, up_per_north)):
        out[key] = np.sqrt(np.square(out[key]) + np.square(response * sigma_north)).astype(out[key].dtype)


def _solve_joint(job, blocks):
    origin = job.dates[0]
    azimuth = job.req.base.horizontal_azimuth
    reference = float((job.reference - origin).days)
    tracks, responses = [], []
    for r, (values, s, sigma, north) in blocks:
        epochs = tsd.days_since(r.epochs, origin)
        s_h = horizontal_sensitivity(s[0], s[1], azimuth)
        unit = None if north is None else s[1] * _years(epochs, reference)  # LOS of a unit north velocity
        if unit is not None:
            values = values - unit * north
            responses.append((epochs, np.where(np.isnan(values), np.nan, unit), s_h, s[2], sigma))
        tracks.append((epochs, values, s_h, s[2], sigma))
    dd = tsd.days_since(job.dates, origin)
    weight = job.req.regularization * float(np.median(np.diff(dd))) / tsd.DAYS_PER_YEAR
    sigmas = job.weighted and any(k in job.outputs for k in (SIGMA_HORIZONTAL, SIGMA_UP))
    max_condition = job.req.base.max_condition
    east, up, sigma_east, sigma_up = tsd.joint_solve(tracks, dd, reference, weight, with_sigma=sigmas,
                                                     max_condition=max_condition)  # fmt: skip
    out = {HORIZONTAL: east, UP: up, SIGMA_HORIZONTAL: sigma_east, SIGMA_UP: sigma_up}
    if _north_sigma(job) and sigma_up is not None:
        east_n, up_n, _, _ = tsd.joint_solve(responses, dd, reference, weight, max_condition=max_condition)
        _add_north_sigma(out, east_n, up_n, _north_sigma(job))
    return out


def _solve_window(job, solve, readers, blocks, keys, p):
    """{product: (dates, pixels) float32} of a window of ``p`` pixels, solved SOLVE_PIXELS
    at a time."""
    out = {key: np.full((len(job.dates), p), np.nan, dtype=np.float32) for key in set(keys) | {UP}}
    for lo in range(0, p, SOLVE_PIXELS):
        part = slice(lo, min(p, lo + SOLVE_PIXELS))
        sub = [(r, _pixels(b, part)) for r, b in zip(readers, blocks)]
        for key, values in solve(job, sub).items():
            if key in out and values is not None:
                out[key][:, part] = values
    return out


def _pixels(block, part):
    values, s, sigma, north = block
    cut = [c[part] if np.ndim(c) else c for c in s]
    return values[:, part], cut, *(x[part] if np.ndim(x) else x for x in (sigma, north))


def _readers(job, run_):
    """One _Reader per track, its datasets opened through ``run_`` (closed when it ends)."""

    def open_reader(ref, bands=None):
        return run_.open(ref) if bands is None else run_.open_stack(ref.path, bands, ref.scale, ref.name)

    return [_Reader(t, open_reader, job.north) for t in job.tracks]


def _solver(job):
    return components_timeseries.solver(job) or (_solve_interpolated if job.req.method == tsd.INTERPOLATE
                                                  else _solve_joint)  # fmt: skip


@raises
def reference_offsets(job: TimeSeriesJob) -> list:
    """Per track, each date's median over the job's reference area (None without an area), as
    :func:`run` takes them (only the area's window is read); a date with no valid pixel there
    is said in ``job.warnings``. For :func:`solve_window`."""
    if job.area is None:
        return [None] * len(job.tracks)
    with Run(job.grid, job.req.base.resampling) as run_:
        readers = _readers(job, run_)
        for reader, track in zip(readers, job.tracks):
            job.warnings += reader.reference(job.area, track.spec.name)
        return [r.offsets for r in readers]


@raises
def solve_window(job: TimeSeriesJob, offsets: list, win: tuple, keys: list) -> dict:
    """{product: (dates, pixels) float32} of one window (col, row, ncols, nrows) for the products
    ``keys``, solved as :func:`run` solves it (the method chosen from the job), every track
    re-referenced by ``offsets`` (:func:`reference_offsets`)."""
    with Run(job.grid, job.req.base.resampling) as run_:
        readers = _readers(job, run_)
        for reader, off in zip(readers, offsets):
            reader.offsets = off
        blocks = [r.read(win) for r in readers]
        return _solve_window(job, _solver(job), readers, blocks, keys, win[2] * win[3])


@raises
def run(job: TimeSeriesJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> dict:
    """Invert every window; outputs appear only when complete (nothing on failure).
    Returns {product: path}, the count of resolved pixel-dates under ``resolved`` and what
    the run found to warn about (dates without a reference) under ``warnings``."""
    base = job.req.base
    resolved, said = 0, []
    with Run(job.grid, base.resampling, progress, is_cancelled) as run_:
        specs = {**band_specs(job), **components_timeseries.band_specs(job)}
        for key, path in job.outputs.items():  # one by one: a value output names its sigma output
            run_.create({key: path}, specs, _output_tags(job, key), base.compression)
        writers = run_.outputs
        readers = _readers(job, run_)
        for reader, track in zip(readers, job.tracks) if job.area is not None else ():
            said += reader.reference(job.area, track.spec.name)
        solve = _solver(job)

        def compute(win, blocks):
            nonlocal resolved
            results = _solve_window(job, solve, readers, blocks, list(writers), win[2] * win[3])
            resolved += int(np.count_nonzero(np.isfinite(results[UP])))
            return results

        def write(win, results):
            for key, writer in writers.items():  # each output flushed at once: GDAL holds one window's blocks
                for band, values in enumerate(results[key], start=1):
                    writer.write(band, values.reshape(win[3], win[2]), win[0], win[1])
                writer.flush()

        run_.stream(list(windows(job.grid, BLOCK_PIXELS)), lambda win: [r.read(win) for r in readers], compute, write)
        if resolved == 0:
            raise NoResult(nothing_resolved(when=" at any date", components=base.components))
        components_timeseries.annotate(solve, writers)
        return dict(run_.commit(), resolved=resolved, warnings=said)
