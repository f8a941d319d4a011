"""``losdecomp:decompose_timeseries`` in core: two or more time-series rasters to east and
up displacement time series on common dates, block by block across all their bands."""

import datetime
import json
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from . import dates as dates_
from . import timeseries_decomp as tsd
from .engine import NoResult, windows
from .gdal_mode import raises
from .geometry import sign_factor
from .inversion import TrackBlock, invert
from .model import HORIZONTAL, SIGMA_HORIZONTAL, SIGMA_UP, UP, RasterGeometry, RasterRef
from .pipeline import overlapped
from .plan import Request, check
from .products.timeseries import band_dates
from .reader import GeometryReader, GridReader, StackReader
from .schema import TAG_ASSUMPTION, TAG_DATE
from .velocity import TimeSeriesError
from .version import SOFTWARE
from .writer import BandSpec, OutputSet

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


def _track_bands(resolved):
    path, name = resolved.spec.velocity.path, resolved.spec.name
    dated = band_dates(path)
    if not dated:
        raise TimeSeriesError(f"{name} track: {path} is not a time series (no band carries a date)")
    bands = sorted(dated.items())
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
    job.log += [f"{n} track: {len(e)} acquisitions, {e[0]} to {e[-1]}" for n, e in named]
    job.log += [
        f"output dates: {len(out_dates)}, {out_dates[0]} to {out_dates[-1]} ({_mode_text(req)})",
        f"reference date: {reference} (every track's displacement is zero there)",
        f"method: {METHOD_NAMES[req.method]}",
        f"assumption: {assumption(req)}",
    ]
    slow = _joint_per_pixel_minutes(job)
    if slow > 10:
        job.warnings.append(
            f"method 1 with per-pixel geometry solves every pixel on its own: about {slow:.0f} minutes for "
            f"{len(out_dates)} output dates on this grid; DATES 1 with a longer INTERVAL_DAYS is much faster"
        )
    job.tags = _tags(job)
    return job


#: Seconds per pixel and per cubed unknown of method 1 solved pixel by pixel (measured:
#: 24 ms a pixel for 396 unknowns).
_JOINT_SECONDS_PER_CUBE = 4e-10


def _joint_per_pixel_minutes(job):
    """The expected minutes of method 1 when geometry is per pixel (0 otherwise)."""
    if job.req.method != tsd.JOINT or not any(isinstance(t.spec.geometry, RasterGeometry) for t in job.tracks):
        return 0.0
    unknowns = 2 * (len(job.dates) - 1) + len(job.tracks)
    return job.grid.width * job.grid.height * _JOINT_SECONDS_PER_CUBE * unknowns**3 / 60


def _mode_text(req):
    return {tsd.EVERY_ACQUISITION: "every acquisition of any track in the common span",
            tsd.REGULAR: f"every {req.interval_days:g} days from the first common date",
            tsd.ASCENDING_DATES: "the ascending track's acquisitions"}[req.dates_mode]  # fmt: skip


def assumption(req: TimeSeriesRequest) -> str:
    if req.method == tsd.INTERPOLATE:
        return (
            f"each track interpolated linearly in time between its valid acquisitions at most "
            f"{req.max_gap_days:g} days apart (no sudden motion between them); north motion zero"
        )
    return (
        f"east and up velocities constant within each interval between output dates, smoothed in time "
        f"(REGULARIZATION {req.regularization:g}); north motion zero"
    )


def _tags(job):
    return {
        "LOSDECOMP_SOFTWARE": SOFTWARE,
        "LOSDECOMP_TRACKS": json.dumps([t.spec.velocity.path for t in job.tracks]),
        "LOSDECOMP_REFERENCE_DATE": job.reference.isoformat(),
        "LOSDECOMP_METHOD": METHOD_NAMES[job.req.method],
        "LOSDECOMP_MAX_GAP_DAYS": repr(float(job.req.max_gap_days)),
        TAG_ASSUMPTION: assumption(job.req),
        "INSAR_UNIT": job.unit,
    }


def _band_specs(job):
    def dated(what):
        return [BandSpec(dates_.compact(d), job.unit, {TAG_DATE: dates_.compact(d), "QUANTITY": what})
                for d in job.dates]  # fmt: skip

    return {HORIZONTAL: dated("east displacement"), UP: dated("up displacement"),
            SIGMA_HORIZONTAL: dated("east displacement standard deviation"),
            SIGMA_UP: dated("up displacement standard deviation")}  # fmt: skip


class _Reader:
    """One track's band readers, geometry and sigma, as arrays per window."""

    def __init__(self, track, open_reader):
        spec = track.spec
        self.sign = sign_factor(spec.los_sign)
        self.stack = open_reader(spec.velocity, [b for b, _ in track.bands])
        self.geometry = GeometryReader(spec.geometry, open_reader)
        self.sigma = open_reader(spec.sigma) if isinstance(spec.sigma, RasterRef) else spec.sigma
        self.epochs = [d for _, d in track.bands]

    def read(self, win):
        values = self.stack.read(*win).reshape(len(self.epochs), -1)
        if self.sign != 1.0:
            values = -values
        s = [np.ravel(c) if np.ndim(c) else c for c in self.geometry.read(*win)]
        sigma = self.sigma.read(*win).ravel() if isinstance(self.sigma, GridReader) else self.sigma
        return values, s, sigma


def _solve_interpolated(job, blocks):
    origin = job.dates[0]
    targets = tsd.days_since(job.dates, origin)
    reference = float((job.reference - origin).days)
    tracks = []
    for reader, (values, s, sigma) in blocks:
        epochs = tsd.days_since(reader.epochs, origin)
        disp, var = tsd.since_reference(epochs, values, targets, reference, job.req.max_gap_days)
        # the reference date has zero variance by construction: floored, so weights stay finite
        scaled = None if sigma is None else sigma * np.sqrt(np.maximum(var, 1e-12))
        tracks.append(TrackBlock(disp, s[0], s[1], s[2], scaled))
    sol = invert(tracks, max_condition=job.req.base.max_condition)  # every date at once: (dates, pixels)
    return {HORIZONTAL: sol.horizontal, UP: sol.up, SIGMA_HORIZONTAL: sol.sigma_horizontal, SIGMA_UP: sol.sigma_up}


def _solve_joint(job, blocks):
    origin = job.dates[0]
    tracks = [(tsd.days_since(r.epochs, origin), values, s[0], s[2], sigma) for r, (values, s, sigma) in blocks]
    dd = tsd.days_since(job.dates, origin)
    weight = job.req.regularization * float(np.median(np.diff(dd))) / tsd.DAYS_PER_YEAR
    sigmas = job.weighted and any(k in job.outputs for k in (SIGMA_HORIZONTAL, SIGMA_UP))
    east, up, sigma_east, sigma_up = tsd.joint_solve(tracks, dd, float((job.reference - origin).days), weight,
                                                     with_sigma=sigmas)  # fmt: skip
    return {HORIZONTAL: east, UP: up, SIGMA_HORIZONTAL: sigma_east, SIGMA_UP: sigma_up}


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
    values, s, sigma = block
    cut = [c[part] if np.ndim(c) else c for c in s]
    return values[:, part], cut, sigma[part] if np.ndim(sigma) else sigma


@raises
def run(job: TimeSeriesJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> dict:
    """Invert every window; outputs appear only when complete (nothing on failure).
    Returns {product: path} and the count of resolved pixel-dates under ``resolved``."""
    writers, opened = OutputSet(), []

    def open_reader(ref, bands=None):
        if bands is None:
            opened.append(GridReader(ref, job.grid, job.req.base.resampling))
        else:
            opened.append(StackReader(ref.path, bands, job.grid, job.req.base.resampling, ref.scale, ref.name))
        return opened[-1]

    resolved = 0
    try:
        writers = OutputSet(job.outputs, job.grid, _band_specs(job), job.tags, job.req.base.compression)
        readers = [_Reader(t, open_reader) for t in job.tracks]
        solve = _solve_interpolated if job.req.method == tsd.INTERPOLATE else _solve_joint

        def compute(win, blocks):
            nonlocal resolved
            results = _solve_window(job, solve, readers, blocks, list(writers), win[2] * win[3])
            resolved += int(np.count_nonzero(np.isfinite(results[UP])))
            return results

        def write(win, results):
            for key, writer in writers.items():
                for band, values in enumerate(results[key], start=1):
                    writer.write(band, values.reshape(win[3], win[2]), win[0], win[1])
            writers.flush()

        overlapped(list(windows(job.grid, BLOCK_PIXELS)), lambda win: [r.read(win) for r in readers], compute,
                   write, progress, is_cancelled)  # fmt: skip
        if resolved == 0:
            raise NoResult("no pixel could be resolved at any date: check the overlap, the gaps and the angles")
        return dict(writers.commit(), resolved=resolved)
    except BaseException:
        writers.abort()
        raise
    finally:
        for r in opened:
            r.close()
