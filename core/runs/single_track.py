"""``losdecomp:project_single_track`` in core: from plain request values to a projected
raster, window by window (see ``projection`` for the maths)."""

import json
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..conventions import geometry
from ..conventions.schema import TAG_ASSUMPTION, TAG_DATE
from ..conventions.uncertainty import OMITS, PROPAGATED, TAG_SIGMA_KIND, label
from ..conventions.version import SOFTWARE, created
from ..io.gdal_mode import raises
from ..io.grid import Grid, common_grid, footprint, pixel_metres, raster_info
from ..io.model import DEFAULT_BLOCK_PIXELS, RasterGeometry, RasterRef, TrackSpec
from ..io.reader import DEFAULT_RESAMPLING, GeometryReader, GridReader, sampled_unit_vector
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan.outputs import check_outputs_paths
from ..plan.tracks import TrackInput, resolve
from ..solve.projection import (
    DIRECTION_NAMES,
    DOWNSLOPE,
    HORIZONTAL,
    VERTICAL,
    ProjectionError,
    assumption,
    check_min_sensitivity,
    downslope_direction,
    fixed_direction,
    project,
    sensitivity,
    slope_aspect,
)
from .engine import NoResult
from .lifecycle import Run, windows

MOTION, SIGMA = "motion", "sigma"


@dataclass
class ProjectionRequest:
    """What the user asked for; ``track.band`` None means every dated band of a stack."""

    track: TrackInput
    direction: int
    outputs: dict  # MOTION / SIGMA -> path
    horizontal_azimuth: Optional[float] = None
    dem: Optional[str] = None
    min_sensitivity: float = 0.3
    target_crs_wkt: str = ""
    resolution: float = 0.0
    resampling: str = DEFAULT_RESAMPLING
    compression: str = DEFAULT_COMPRESSION


@dataclass
class ProjectionJob:
    """A validated projection: the track, its bands, the grid and the direction."""

    spec: TrackSpec
    bands: list  # of (band index, date or None)
    grid: Grid
    direction: int
    outputs: dict
    unit: str
    horizontal_azimuth: Optional[float] = None
    dem: Optional[RasterRef] = None
    min_sensitivity: float = 0.3
    resampling: str = DEFAULT_RESAMPLING
    compression: str = DEFAULT_COMPRESSION
    metadata: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    block_pixels: int = DEFAULT_BLOCK_PIXELS


@dataclass
class ProjectionSummary:
    """What a projection run did."""

    outputs: dict
    pixels: int = 0
    resolved: int = 0
    blind: int = 0  # geometry known, |s.u| below the minimum sensitivity
    no_geometry: int = 0  # no look vector (or, downslope, no slope) there
    limit: float = float("nan")
    messages: list = field(default_factory=list)  # what the run left as nodata, in words


def check_request(req: ProjectionRequest) -> None:
    """The checks that need no file: sensitivity threshold, direction, azimuth, DEM."""
    check_min_sensitivity(req.min_sensitivity)
    if req.direction not in DIRECTION_NAMES:
        raise ProjectionError(f"unknown direction {req.direction}: 0 vertical, 1 horizontal, 2 downslope, 3 north")
    if req.direction == HORIZONTAL and req.horizontal_azimuth is None:
        raise ProjectionError("horizontal projection: give the azimuth of the motion (degrees clockwise from north)")
    if req.direction == DOWNSLOPE and not req.dem:
        raise ProjectionError("downslope projection: a DEM is needed for the slope and its aspect")
    if not req.outputs.get(MOTION):
        raise ProjectionError("no output requested")


def _bands(req, md):
    if req.track.band is None and md.dates is not None:
        return sorted(md.dates.value.items())
    band = req.track.band or 1
    date = md.dates.value.get(band) if md.dates is not None else None
    return [(band, date)]


def _grid(req, path, label):
    info = raster_info(path, label)
    if not req.target_crs_wkt and not req.resolution and info.north_up:
        return info.grid()
    return common_grid([info], req.target_crs_wkt or None, req.resolution)


def _dem(req, grid):
    if not req.dem:
        return None
    info = raster_info(req.dem, "DEM")
    box = footprint(info, grid.crs_wkt)
    g = grid.bounds
    if box[0] >= g[2] or box[2] <= g[0] or box[1] >= g[3] or box[3] <= g[1]:
        raise ProjectionError("DEM: it does not overlap the track")
    return RasterRef(req.dem, 1, "DEM")


@raises
def plan(req: ProjectionRequest) -> ProjectionJob:
    """Validate ``req`` (before any output exists) and build the job with its log."""
    job = check(req)
    _explain(job)
    job.metadata = _provenance(job)
    return job


@raises
def check(req: ProjectionRequest) -> ProjectionJob:
    """Everything that can be validated from headers and metadata (fit for the GUI
    thread): the job without its log of the geometry and its metadata."""
    check_request(req)
    band = req.track.band or 1
    # band None reads every dated band: the band-1-is-a-displacement warning is for a band picked alone
    r = resolve(TrackInput(**{**req.track.__dict__, "band": band, "time_series": req.track.band is None}))
    bands = _bands(req, r.metadata)
    if SIGMA in req.outputs and req.outputs[SIGMA]:
        if r.spec.sigma is None:
            raise ProjectionError("the standard-deviation output needs a standard deviation of the track")
        if len(bands) > 1:
            raise ProjectionError("the standard-deviation output applies to one velocity band, not a time series")
    grid = _grid(req, req.track.path, f"{req.track.name} track")
    job = ProjectionJob(
        spec=r.spec, bands=bands, grid=grid, direction=req.direction, outputs=dict(req.outputs),
        unit=r.unit, horizontal_azimuth=req.horizontal_azimuth, dem=_dem(req, grid),
        min_sensitivity=req.min_sensitivity, resampling=req.resampling, compression=req.compression,
        log=list(r.log), warnings=list(r.warnings),
    )  # fmt: skip
    check_outputs_paths(job.outputs, [r.spec.velocity] + ([job.dem] if job.dem else []))
    _check_sensitivity(job)
    if job.outputs.get(SIGMA):
        job.log.append(
            f"sigma: {label(PROPAGATED, 'the ' + quantity(job).lower())} = LOS sigma / |s.u|, the LOS sigma being "
            f"the track's a-priori one ({r.sigma_source}); it omits {OMITS[PROPAGATED]} (including the error of "
            "the assumption on the direction)"
        )
    return job


def _check_sensitivity(job):
    g = job.spec.geometry
    if isinstance(g, RasterGeometry) or job.direction == DOWNSLOPE:
        return  # varies per pixel: masked pixel by pixel
    u = fixed_direction(job.direction, job.horizontal_azimuth)
    sens = abs(sensitivity((g.s_east, g.s_north, g.s_up), u))
    if sens < job.min_sensitivity:
        raise ProjectionError(
            f"{job.spec.name} track: it sees this direction with a sensitivity |s.u| of {sens:.3f}, below the "
            f"minimum {job.min_sensitivity:g}: all {job.grid.width * job.grid.height} pixels would be nodata, so "
            f"nothing is projected ({_invisible(job.spec.kind)})"
        )


def _invisible(kind):
    """What a track of this kind cannot see, for the refusal."""
    if kind == geometry.ALONG_TRACK:
        return "an along-track track sees only motion along the flight direction: the direction across it is invisible"
    return "a line-of-sight track does not see an azimuth along the flight direction"


def nominal_error(sens: np.ndarray, min_sensitivity: float) -> Optional[tuple]:
    """(lowest, highest, nominal, worst %) of the sensitivity ``s.u`` over a sample of
    pixels, the nominal being their median, as one nominal geometry would have it. The
    worst is relative to the true motion: with ``d`` the LOS value, the true motion
    ``d / (s.u)`` and the nominal one ``d / nominal`` differ by ``|(s.u) / nominal - 1|``
    of the true motion (infinite when the median is zero). Pixels that are nodata
    (``|s.u|`` below ``min_sensitivity``) are left out; None when none is left."""
    c = np.asarray(sens, dtype=np.float64).ravel()
    c = c[np.isfinite(c) & (np.abs(c) >= min_sensitivity)]
    if c.size == 0:
        return None
    nominal = float(np.median(c))
    worst = float(np.max(np.abs(c / nominal - 1))) * 100 if nominal else float("inf")
    return float(c.min()), float(c.max()), nominal, worst


def _nominal_error_text(job):
    s = sampled_unit_vector(job.spec.geometry)
    if job.direction == VERTICAL:
        found = nominal_error(s[2], job.min_sensitivity)
        if found is None:
            return "no valid geometry sample"
        lo, hi, nominal, worst = found
        return (
            f"cos(incidence) varies {lo:.3f}..{hi:.3f} across the swath: a single {np.degrees(np.arccos(nominal)):.1f}"
            f" deg angle would be off by up to {worst:.1f} % of the true vertical motion"
        )
    found = nominal_error(sensitivity(s, fixed_direction(job.direction, job.horizontal_azimuth)), job.min_sensitivity)
    if found is None:
        return "no geometry sample with |s.u| above the minimum sensitivity"
    lo, hi, nominal, worst = found
    if lo < 0 < hi:
        return (
            f"s.u changes sign across the swath ({lo:.3f}..{hi:.3f}): a single nominal geometry would give part "
            "of the horizontal motion the wrong sign"
        )
    return (
        f"s.u varies {lo:.3f}..{hi:.3f} across the swath: a single nominal geometry (s.u {nominal:.3f}, the "
        f"median) would be off by up to {worst:.1f} % of the true horizontal motion"
    )


def _explain(job):
    words = assumption(job.direction, job.horizontal_azimuth)
    job.log.append(f"projection: {DIRECTION_NAMES[job.direction]}, {words}")
    if job.spec.kind == geometry.ALONG_TRACK:
        g = job.spec.geometry
        job.log.append(f"projection: along-track track: it sees north x {g.s_north:.4f} and east x {g.s_east:.4f}, "
                       "never up; north from it alone assumes no east motion")  # fmt: skip
    per_pixel = isinstance(job.spec.geometry, RasterGeometry)
    if per_pixel and job.direction != DOWNSLOPE:
        job.log.append(f"projection: {_nominal_error_text(job)}")
    elif job.direction == VERTICAL:
        job.log.append("projection: single-valued geometry: one incidence angle for the whole scene")
    job.log.append(
        f"projection: pixels where |s.u| < {job.min_sensitivity:g} are nodata (the projection amplifies LOS noise "
        f"by 1/|s.u|, up to {1 / job.min_sensitivity:.2g}x)"
    )
    if len(job.bands) > 1:
        job.log.append(f"time series: {len(job.bands)} bands, {job.bands[0][1]} to {job.bands[-1][1]}, dates kept")


def _provenance(job):
    return {
        TAG_ASSUMPTION: assumption(job.direction, job.horizontal_azimuth),
        "LOSDECOMP_SOFTWARE": SOFTWARE,
        "LOSDECOMP_CREATED": created(),
        "LOSDECOMP_TRACKS": json.dumps(
            [{"name": job.spec.name, "input": job.spec.velocity.path, "geometry": job.spec.geometry.source}]
        ),
        "LOSDECOMP_OPTIONS": json.dumps(
            {
                "direction": DIRECTION_NAMES[job.direction],
                "horizontal_azimuth": job.horizontal_azimuth,
                "dem": job.dem.path if job.dem else None,
                "min_sensitivity": job.min_sensitivity,
            }
        ),
        "LOSDECOMP_UNIT": job.unit,
    }


def assumption_of(job: ProjectionJob) -> str:
    """The job's assumption in words."""
    return assumption(job.direction, job.horizontal_azimuth)


def quantity(job: ProjectionJob) -> str:
    """What the output holds, e.g. ``Vertical velocity`` or ``Downslope displacement``."""
    what = "displacement" if len(job.bands) > 1 or (job.unit and "/" not in job.unit) else "velocity"
    return f"{DIRECTION_NAMES[job.direction].capitalize()} {what}"


def _band_specs(job):
    name = quantity(job)
    specs = []
    for _, date in job.bands:
        meta = {TAG_DATE: date.strftime("%Y%m%d")} if date else {}
        specs.append(BandSpec(f"{name} {date.isoformat()}" if date else name, job.unit, meta))
    sigma = [BandSpec(label(PROPAGATED, f"the {name.lower()}", "LOS sigma / |s.u|"), job.unit,
                      {TAG_SIGMA_KIND: PROPAGATED})]  # fmt: skip
    return {MOTION: specs, SIGMA: sigma}


class _Readers:
    """The readers of one projection run, opened by ``open_reader`` (the run's, which
    closes them): each band's LOS, the geometry, sigma and DEM."""

    def __init__(self, job, open_reader):
        self.job = job
        v = job.spec.velocity
        self.los = [open_reader(RasterRef(v.path, b, f"{v.label} band {b}", v.scale)) for b, _ in job.bands]
        self.geometry = GeometryReader(job.spec.geometry, open_reader)
        sigma = job.spec.sigma if job.outputs.get(SIGMA) else None
        self.sigma = open_reader(sigma) if isinstance(sigma, RasterRef) else sigma
        self.dem = open_reader(job.dem) if job.dem else None

    def direction(self, win):
        job = self.job
        if job.direction != DOWNSLOPE:
            return fixed_direction(job.direction, job.horizontal_azimuth)
        dem = _read_with_halo(self.dem, job.grid, win)
        col, row, ncols, nrows = win
        gt = job.grid.geotransform
        y = gt[3] + (row + np.arange(nrows) + 0.5) * gt[5]
        dx, dy = pixel_metres(job.grid, y)
        return downslope_direction(*slope_aspect(dem, dx, dy))


def _read_with_halo(reader, grid, win):
    """The window with one more pixel on every side (NaN beyond the grid)."""
    col, row, ncols, nrows = win
    c0, r0 = max(col - 1, 0), max(row - 1, 0)
    c1, r1 = min(col + ncols + 1, grid.width), min(row + nrows + 1, grid.height)
    out = np.full((nrows + 2, ncols + 2), np.nan, dtype=np.float64)
    out[r0 - row + 1 : r1 - row + 1, c0 - col + 1 : c1 - col + 1] = reader.read(c0, r0, c1 - c0, r1 - r0)
    return out


def _project_window(job, readers, writers, win, sign):
    """Project one window of every band; (pixels resolved in some band, pixels blind,
    pixels without geometry, the last band's motion)."""
    sens = sensitivity(readers.geometry.read(*win), readers.direction(win))
    shape = (win[3], win[2])
    known = np.broadcast_to(np.isfinite(sens), shape)
    with np.errstate(invalid="ignore"):
        # the same float32 comparison as ``project`` makes, so the counts match the nodata
        blind = known & np.broadcast_to(np.abs(np.asarray(sens, dtype=np.float32)) < job.min_sensitivity, shape)
    sigma = readers.sigma.read(*win) if isinstance(readers.sigma, GridReader) else readers.sigma
    resolved = np.zeros(shape, dtype=bool)
    for b, reader in enumerate(readers.los, start=1):
        motion, sig = project(sign * reader.read(*win), sens, job.min_sensitivity, sigma)
        writers[MOTION].write(b, motion, win[0], win[1])
        if SIGMA in writers:
            writers[SIGMA].write(1, sig, win[0], win[1])
        resolved |= np.isfinite(motion)
    return int(resolved.sum()), int(blind.sum()), int((~known).sum()), motion


def _no_geometry_words(job):
    if job.direction == DOWNSLOPE:
        return "no look vector or no slope (flat ground, DEM nodata or the DEM's edge)"
    return "no look vector (the geometry is nodata)"


def _messages(job, summary):
    """What was left as nodata and why, in words; NoResult when nothing was projected."""
    n, direction = summary.pixels, DIRECTION_NAMES[job.direction]
    if summary.resolved == 0:
        if summary.blind == n:
            raise NoResult(
                f"no pixel could be projected: all {n} pixels have |s.u| below the minimum sensitivity "
                f"{job.min_sensitivity:g} (the track cannot see {direction} motion there)"
            )
        raise NoResult(
            f"no pixel could be projected: of {n} pixels, {summary.blind} have |s.u| below the minimum sensitivity "
            f"{job.min_sensitivity:g}, {summary.no_geometry} have {_no_geometry_words(job)}, and the others have "
            "no LOS value"
        )
    messages = []
    if summary.blind:
        messages.append(
            f"{summary.blind} of {n} pixels ({100.0 * summary.blind / n:.1f} %) are nodata: the track barely sees "
            f"{direction} motion there (|s.u| below the minimum sensitivity {job.min_sensitivity:g}; the "
            f"projection would amplify the LOS noise more than {1 / job.min_sensitivity:.2g}x)"
        )
    if summary.no_geometry:
        messages.append(f"{summary.no_geometry} of {n} pixels are nodata: {_no_geometry_words(job)}")
    return messages


@raises
def run(
    job: ProjectionJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None
) -> ProjectionSummary:
    """Project every window; outputs appear only when complete (nothing on failure)."""
    summary = ProjectionSummary(outputs={})
    with Run(job.grid, job.resampling, progress, is_cancelled) as run_:
        readers = _Readers(job, run_.open)
        writers = run_.create(job.outputs, _band_specs(job), job.metadata, job.compression)
        sign = geometry.sign_factor(job.spec.los_sign)
        # window by window in this thread: a window of a long time series is read band by band
        for win in run_.each(windows(job.grid, job.block_pixels)):
            resolved, blind, no_geometry, motion = _project_window(job, readers, writers, win, sign)
            summary.pixels += win[2] * win[3]
            summary.resolved += resolved
            summary.blind += blind
            summary.no_geometry += no_geometry
            run_.sample(MOTION, motion)
            writers.flush()
        summary.messages = _messages(job, summary)
        summary.limit = run_.limit(MOTION)
        summary.outputs.update(run_.commit())
        return summary
