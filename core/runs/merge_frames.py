"""``losdecomp:merge_frames`` in core: frames of one viewing direction tied by their overlaps
(``solve.frames``) and written as one raster on a common grid, with the geometry carried per
pixel as role bands (``INSAR_ROLE`` los_east/los_north/los_up, as ``import_licsbas`` writes
them) so that the merged frame is a track for ``losdecomp:decompose``.

Two passes through one :class:`Run`: the overlaps only (the normal equations, window by
window), then every window once (corrections applied, overlaps averaged with weights,
written). No output exists before the corrections are known: a frame that overlaps no other
is refused before anything is written.
"""

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..conventions import geometry
from ..conventions.dates import compact
from ..conventions.errors import FrameError
from ..conventions.schema import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_LOS_SIGN, TAG_ROLE, TAG_UNIT
from ..conventions.uncertainty import APRIORI, FIT, PROPAGATED, TAG_SIGMA_KIND, label
from ..conventions.version import SOFTWARE, created
from ..io.gdal_mode import raises
from ..io.gnss_stations import Stations
from ..io.grid import Grid, raster_info
from ..io.model import DEFAULT_BLOCK_PIXELS, RasterRef
from ..io.reader import DEFAULT_RESAMPLING, GeometryReader, GridReader
from ..io.stack_import import band_specs as stack_band_specs
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan import frame_dates
from ..plan.outputs import check_outputs_paths
from ..plan.tracks import apply_weights_policy, harmonise_units, resolve
from ..solve import frames as solver
from . import frame_reader, merge_gnss
from .frame_grid import intersect as _intersect
from .frame_grid import meets as _meets
from .frame_grid import pairs_of, pixel_box, union_grid
from .lifecycle import Run, windows

MERGED = "merged"
#: Metadata item of the merged raster: each frame's correction, its sigmas and the RMS.
TAG_FRAMES = "LOSDECOMP_FRAMES"


@dataclass
class MergeRequest:
    """What the user asked for: the frames (one viewing direction), the model, the fixed frame
    (1-based) or GNSS stations held fixed instead (``stations``, sampled within ``radius``), the
    grid options and the output path."""

    frames: list  # of TrackInput
    output: str
    model: int = solver.PLANE
    fixed_frame: int = 1
    target_crs_wkt: str = ""
    resolution: float = 0.0
    resampling: str = DEFAULT_RESAMPLING
    compression: str = DEFAULT_COMPRESSION
    stations: Optional[Stations] = None
    radius: float = 0.0


@dataclass
class MergeJob:
    """A validated merge: the frames' specs (values in the first frame's unit and LOS sign),
    the common grid, each frame's pixel box on it and centre in its coordinates."""

    specs: list
    names: list
    grid: Grid
    boxes: list  # (col0, row0, col1, row1) on the grid, end exclusive
    centres: list  # (x, y) in the grid's CRS
    model: int
    fixed: Optional[int]  # 0-based; None: GNSS held fixed
    output: str
    unit: str
    los_sign: str
    weighted: bool
    resampling: str = DEFAULT_RESAMPLING
    compression: str = DEFAULT_COMPRESSION
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    block_pixels: int = DEFAULT_BLOCK_PIXELS
    dates: list = field(default_factory=list)  # time-series stacks: the common dates (empty: velocities)
    bands: list = field(default_factory=list)  # time-series stacks: each frame's bands of those dates
    stations: Optional[Stations] = None  # GNSS held fixed (then ``fixed`` is None)
    radius: float = 0.0

    @property
    def outputs(self) -> dict:
        return {MERGED: self.output}

    @property
    def layers(self) -> int:
        """Values per pixel and frame: the common dates of stacks, one velocity otherwise."""
        return max(len(self.dates), 1)


@dataclass
class MergeSummary:
    """What a merge did: the output, the fit (velocities) or one fit per date (``fits``,
    stacks; ``offsets`` and ``offset_sigmas`` then hold one list per date), one line per frame."""

    outputs: dict
    fit: Optional[solver.FrameFit] = None
    fits: list = field(default_factory=list)
    rms_before: float = float("nan")
    rms_after: float = float("nan")
    lines: list = field(default_factory=list)
    offsets: list = field(default_factory=list)
    offset_sigmas: list = field(default_factory=list)
    gnss: dict = field(default_factory=dict)  # GNSS held fixed: residual statistics before and after
    pixels: int = 0
    limit: float = float("nan")
    #: warnings found during the run (after the plan's were reported)
    warnings: list = field(default_factory=list)


def _check_request(req):
    if len(req.frames) < 2:
        raise FrameError(f"merging needs at least two frames, {len(req.frames)} given")
    solver.n_params(req.model)
    if not 1 <= req.fixed_frame <= len(req.frames):
        raise FrameError(f"FIXED_FRAME {req.fixed_frame} is not a frame: 1 to {len(req.frames)}")
    if req.stations is not None:
        merge_gnss.check_request(req.fixed_frame, req.radius)
    if not req.output:
        raise FrameError("no output requested")
    check_outputs_paths({MERGED: req.output}, [RasterRef(f.path) for f in req.frames])


def _same_direction(resolved, names):
    signs = [frame_reader.east_sign(r.spec) for r in resolved]
    for k, s in enumerate(signs):
        if s != signs[0]:
            raise FrameError(
                f"frame {k + 1} ({names[k]}) looks {'east' if s > 0 else 'west'}, frame 1 the other way: "
                "frames of one viewing direction only (merge ascending and descending frames separately)"
            )


def _same_sign_tags(resolved, labels):
    """FrameError when frames' own LOS sign tags differ: the one LOS_SIGN would read one of them
    with the wrong sign (a 2 x offset error in the merge)."""
    tags = [(k, r.metadata.los_sign) for k, r in enumerate(resolved) if r.metadata.los_sign]
    for k, tag in tags[1:]:
        first, ref = tags[0]
        if tag.value != ref.value:
            raise FrameError(
                f"frame {k + 1} ({labels[k]}) says LOS positive {tag.value} the satellite ({tag.source}), frame "
                f"{first + 1} ({labels[first]}) {ref.value}: one LOS_SIGN cannot read both: convert one "
                "(the QGIS raster calculator, times -1) and set its INSAR_LOS_SIGN"
            )


def _to_first_sign(resolved):
    """Every frame's values in the first frame's LOS sign (a sign folded into the scale)."""
    first = geometry.sign_factor(resolved[0].spec.los_sign)
    for r in resolved[1:]:
        flip = geometry.sign_factor(r.spec.los_sign) * first
        v = r.spec.velocity
        r.spec.velocity = RasterRef(v.path, v.band, v.label, v.scale * flip)
    return resolved[0].spec.los_sign


def _stacks(req, labels, warnings):
    """Each frame's {date: band} (None: velocities), the common dates, and the frames to resolve
    (a stack by its first common date's band, read whole)."""
    found = frame_dates.of_frames([f.path for f in req.frames], labels)
    if not found:
        return None, [], list(req.frames)
    common = frame_dates.common(found, labels, warnings)
    frames = [dataclasses.replace(f, band=found[k][common[0]], time_series=True) for k, f in enumerate(req.frames)]
    return found, common, frames


def _stack_job(job, found, common, warnings):
    job.warnings += warnings
    if common:
        job.dates, job.bands = common, [[f[d] for d in common] for f in found]
        job.block_pixels = max(job.block_pixels // len(common), 1 << 14)


@raises
def check(req: MergeRequest) -> MergeJob:
    """Everything known from headers and metadata: the frames resolved, one direction, one unit
    and sign, the common grid, and every frame overlapping another (by footprint)."""
    _check_request(req)
    names = [f"{f.name}" for f in req.frames]
    labels = [f"{n}: {f.path}" for n, f in zip(names, req.frames)]
    warnings = []
    found, common, frames = _stacks(req, labels, warnings)
    resolved = [resolve(f) for f in frames]
    _same_direction(resolved, names)
    _same_sign_tags(resolved, labels)
    unit, log = harmonise_units(resolved)
    sign = _to_first_sign(resolved)
    weighted = apply_weights_policy(resolved, log)
    if common and weighted:
        weighted = False
        log.append("time-series stacks: equal weights (a sigma beside a stack is not one per date)")
    infos = [raster_info(f.path, n) for f, n in zip(req.frames, names)]
    grid, footprints = union_grid(infos, req.target_crs_wkt, req.resolution)
    boxes = [pixel_box(grid, b) for b in footprints]
    solver.check_overlaps(len(boxes), [(i, j) for i, j, _ in pairs_of(boxes)], labels)
    centres = [(0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])) for b in footprints]
    if req.stations is not None:
        merge_gnss.check_footprints(req.stations, bool(common), grid, footprints, labels, req.model, req.radius)
    fixed = None if req.stations is not None else req.fixed_frame - 1
    job = MergeJob([r.spec for r in resolved], names, grid, boxes, centres, req.model, fixed,
                   req.output, unit, sign, weighted, req.resampling, req.compression,
                   stations=req.stations, radius=req.radius)  # fmt: skip
    for r in resolved:
        job.log += r.log
        job.warnings += r.warnings
    job.log += log
    _stack_job(job, found, common, warnings)
    return job


@raises
def plan(req: MergeRequest) -> MergeJob:
    """``check``, and the log of what the merge will do."""
    job = check(req)
    held = (f"GNSS ({job.stations.label}) held fixed, no frame" if job.fixed is None
            else f"frame {job.fixed + 1} ({job.names[job.fixed]})")  # fmt: skip
    job.log.append(
        f"merge: {len(job.specs)} frames, {solver.MODELS[job.model]}, {held} "
        f"fixed; common grid {job.grid.width} x {job.grid.height} pixels (the first frame's lattice extended to "
        "the union of the frames unless a CRS or resolution was given)"
    )
    if job.dates:
        job.log.append(f"time-series stacks: {len(job.dates)} common dates, {compact(job.dates[0])} to "
                       f"{compact(job.dates[-1])}; every frame re-referenced to the first common date, then one "
                       "correction per frame and date (each frame's reference differs date by date)")  # fmt: skip
    return job


def _coords(grid, win, rows, cols):
    x0, dx, _, y0, _, dy = grid.geotransform
    return x0 + (win[0] + cols + 0.5) * dx, y0 + (win[1] + rows + 0.5) * dy


class _Frames:
    """Each frame's readers on the common grid (opened by the run, which closes them)."""

    def __init__(self, job, run_):
        self.job = job
        self.values = [self._open(run_, k, s.velocity) for k, s in enumerate(job.specs)]
        self.sigmas = [run_.open(s.sigma) if isinstance(s.sigma, RasterRef) else s.sigma for s in job.specs]
        self.geometry = [GeometryReader(s.geometry, run_.open) for s in job.specs]
        # the merge pass reads a velocity frame's bands in one call (the overlap pass, two bands
        # of small boxes, keeps the readers above)
        self.bundles = [None if job.dates else frame_reader.bundle(s, run_.open_stack) for s in job.specs]

    def present(self, win):
        return [k for k, box in enumerate(self.job.boxes) if _meets(box, win)]

    def _open(self, run_, k, ref):
        if not self.job.dates:
            return run_.open(ref)
        return run_.open_stack(ref.path, self.job.bands[k], ref.scale, ref.label)

    def value(self, k, win):
        """(layers, rows, columns): the velocity, or each common date minus the first."""
        v = self.values[k].read(*win)
        return v - v[0] if self.job.dates else v[None]

    def sigma(self, k, win):
        s = self.sigmas[k]
        return s.read(*win) if isinstance(s, GridReader) else s

    def weight(self, k, win, sigma=None):
        if not self.job.weighted:
            return None
        s = np.asarray(self.sigma(k, win) if sigma is None else sigma, dtype=np.float32)
        with np.errstate(divide="ignore"):
            return 1.0 / (s * s)

    def all(self, k, win):
        """(values by layer, weight, unit vector) of frame k in the window."""
        if self.bundles[k] is None:
            return self.value(k, win), self.weight(k, win), self.geometry[k].read(*win)
        v, sigma, s = self.bundles[k].read(win)
        return v[None], self.weight(k, win, sigma), s


def _overlap_windows(job):
    """The windows of the grid that meet the overlap of some pair of frames."""
    boxes = [box for _, _, box in pairs_of(job.boxes)]
    return [w for w in windows(job.grid, job.block_pixels) if any(_meets(b, w) for b in boxes)]


def _sigma_masks(job, frames, i, j, sub, shape):
    """(sigma_i, sigma_j) known (NaN where not a positive number), or (None, None) unweighted."""
    if not job.weighted:
        return None, None
    return tuple(np.broadcast_to(merge_gnss.known(frames.sigma(k, sub)), shape) for k in (i, j))


def _accumulate(job, frames, normals, win):
    """The overlaps of the frames' pairs within ``win``, each read on its own box only
    (``normals``: one per layer, a date of stacks or the velocity). A pixel counts for a frame
    when it has a value there (and a known sigma, weighted); for the pair when both have."""
    for i, j, box in pairs_of(job.boxes):
        part = _intersect(box, (win[0], win[1], win[0] + win[2], win[1] + win[3]))
        if part is None:
            continue
        sub = (part[0], part[1], part[2] - part[0], part[3] - part[1])
        di, dj = frames.value(i, sub), frames.value(j, sub)
        si, sj = _sigma_masks(job, frames, i, j, sub, di.shape[1:])
        for d, normal in enumerate(normals):
            fi, fj = np.isfinite(di[d]), np.isfinite(dj[d])
            if si is not None:
                fi, fj = fi & np.isfinite(si), fj & np.isfinite(sj)
            normal.seen(i, int(np.count_nonzero(fi)))
            normal.seen(j, int(np.count_nonzero(fj)))
            both = fi & fj
            w = None if si is None else 1.0 / (si[both] ** 2 + sj[both] ** 2)
            rows, cols = np.nonzero(both)
            x, y = _coords(job.grid, sub, rows, cols)
            normal.add(i, j, x, y, di[d][both], dj[d][both], w)


def estimate(job: MergeJob, run_: Run, frames: "_Frames") -> list:
    """The first pass: the overlaps' normal equations, window by window, and their solutions
    (one FrameFit per layer: per date of stacks, else one)."""
    scale = 0.5 * max(job.grid.width * job.grid.pixel_size[0], job.grid.height * job.grid.pixel_size[1])
    normals = [solver.Normals(job.centres, job.model, scale) for _ in range(job.layers)]
    for win in run_.each(_overlap_windows(job)):
        _accumulate(job, frames, normals, win)
    if job.stations is not None:
        merge_gnss.tie(job, job.stations, job.radius, normals[0])
    labels = [f"{n}: {s.velocity.path}" for n, s in zip(job.names, job.specs)]
    fits = []
    for d, normal in enumerate(normals):
        try:
            fits.append(solver.solve(normal, job.fixed, labels))
        except FrameError as exc:
            raise FrameError(f"date {compact(job.dates[d])}: {exc}" if job.dates else str(exc)) from None
    return fits


def _band_specs(job):
    unit = job.unit
    if job.dates:
        return stack_band_specs(job.dates, unit, True)
    specs = [BandSpec("LOS velocity, frames merged", unit, {TAG_ROLE: ROLE_VELOCITY})]
    if job.weighted:
        how = (
            "of the overlap's weighted mean, from the frames' a-priori sigmas taken as independent (frames of "
            "one track sharing acquisitions are correlated: a lower bound in the overlaps); omits the "
            "corrections' own error"
        )
        specs.append(BandSpec(label(PROPAGATED, "the merged LOS velocity", how), unit,
                              {TAG_ROLE: ROLE_STD, TAG_SIGMA_KIND: PROPAGATED}))  # fmt: skip
    specs += [BandSpec(f"LOS unit vector {r[4:]} (ground to satellite)", "", {TAG_ROLE: r}) for r in ROLE_ENU]
    return specs


def _compute(job, fits, win, data):
    if not data:
        return [np.full((win[3], win[2]), np.nan, dtype=np.float32)] * (len(_band_specs(job)))
    x, y = _coords(job.grid, win, np.arange(win[3])[:, None], np.arange(win[2])[None, :])
    weights = [w for _, w, _ in data.values()] if job.weighted else None
    vectors = [s for _, _, s in data.values()]
    means, sigma, vector = [], None, None
    for d, fit in enumerate(fits):
        values = [v[d] + solver.correction(fit.params[k], job.centres[k], x, y).astype(np.float32)
                  for k, (v, _, _) in data.items()]  # fmt: skip
        mean, sig, vec = solver.merge(values, weights, vectors if d == 0 else None)
        means.append(mean)
        sigma, vector = (sig, vec) if d == 0 else (sigma, vector)
    norm = np.sqrt(vector[0] ** 2 + vector[1] ** 2 + vector[2] ** 2)
    vector = [v / norm for v in vector]
    return means + ([sigma] if job.weighted else []) + vector


def _read(job, frames):
    def read(win):
        return {k: frames.all(k, win) for k in frames.present(win)}

    return read


def _frame_lines(job, fit, prefix=""):
    unit, lines = job.unit or "(unit unknown)", []
    for k, name in enumerate(job.names):
        p, s = fit.params[k], fit.sigmas[k]
        text = f"{prefix}frame {k + 1} ({name}): offset {p[0]:+.4g} +/- {s[0]:.2g} {unit} at its centre"
        if p.size == 3:
            text += f", plane {p[1]:+.4g} +/- {s[1]:.2g} per x unit, {p[2]:+.4g} +/- {s[2]:.2g} per y unit"
        lines.append(text + (" (fixed)" if k == job.fixed else ""))
    if job.stations is not None:
        lines += merge_gnss.lines(merge_gnss.statistics(fit), job.unit, fit.gnss_stations)
        lines.append(merge_gnss.variance_line(fit.variance))
    return lines


def _pooled(fits):
    """(overlap pixels, RMS before, RMS after) over every layer's overlaps."""
    count = sum(f.overlap_pixels for f in fits)
    before = sum(f.overlap_pixels * f.rms_before**2 for f in fits)
    after = sum(f.overlap_pixels * f.rms_after**2 for f in fits)
    return count, math.sqrt(before / max(count, 1)), math.sqrt(after / max(count, 1))


def _lines(job, fits):
    unit = job.unit or "(unit unknown)"
    if not job.dates:
        lines = _frame_lines(job, fits[0])
    else:  # the first date after the reference and the last here, every date in the metadata
        ends = sorted({min(1, len(fits) - 1), len(fits) - 1})
        lines = [f"{compact(job.dates[0])}: the first common date, every frame's reference: no correction"]
        lines += [line for d in ends for line in _frame_lines(job, fits[d], f"{compact(job.dates[d])}: ")]
        lines.append(f"{len(fits)} dates: each frame's correction on every date in the metadata {TAG_FRAMES}")
    count, before, after = _pooled(fits)
    lines.append(
        f"overlaps: {count} pixels{' (all dates)' if job.dates else ''}, RMS of the differences {before:.4g} before "
        f"and {after:.4g} {unit} after (sigmas: {FIT} kind, from the overlap residuals taken as independent"
        f"{', and the station rows own' if job.stations is not None else ''})"
    )
    return lines


def _fit_info(fit):
    return {"params": [[float(v) for v in row] for row in fit.params],
            "sigmas": [[float(v) for v in row] for row in fit.sigmas],
            "rms_before": fit.rms_before, "rms_after": fit.rms_after}  # fmt: skip


def _metadata(job, fits):
    frames = [{"frame": k + 1, "name": n, "input": s.velocity.path, "centre": list(job.centres[k])}
              for k, (n, s) in enumerate(zip(job.names, job.specs))]  # fmt: skip
    if not job.dates:
        for k, f in enumerate(frames):
            f.update({"params": _fit_info(fits[0])["params"][k], "sigmas": _fit_info(fits[0])["sigmas"][k]})
    _, before, after = _pooled(fits)
    held = None if job.fixed is None else job.fixed + 1
    info = {"model": solver.MODELS[job.model], "fixed_frame": held, "frames": frames,
            "rms_before": before, "rms_after": after, "sigma_kind": FIT,
            "weights": f"1/sigma^2 of the frames' {APRIORI} sigmas" if job.weighted else "equal"}  # fmt: skip
    if job.stations is not None:
        info["gnss"] = {"stations": job.stations.label, "radius": job.radius, "unit": job.unit,
                        **merge_gnss.statistics(fits[0])}  # fmt: skip
    if job.dates:
        info["dates"] = [{"date": compact(d), **_fit_info(f)} for d, f in zip(job.dates, fits)]
    md = {TAG_FRAMES: json.dumps(info), TAG_LOS_SIGN: job.los_sign, "LOSDECOMP_SOFTWARE": SOFTWARE,
          "LOSDECOMP_CREATED": created()}  # fmt: skip
    if job.unit:
        md[TAG_UNIT] = job.unit
    return md


def _summarise(job, fits, summary):
    summary.fits, summary.lines = fits, _lines(job, fits)
    _, summary.rms_before, summary.rms_after = _pooled(fits)
    offsets = [[float(p[0]) for p in f.params] for f in fits]
    sigmas = [[float(s[0]) for s in f.sigmas] for f in fits]
    if job.dates:
        summary.offsets, summary.offset_sigmas = offsets, sigmas
    else:
        summary.fit, summary.offsets, summary.offset_sigmas = fits[0], offsets[0], sigmas[0]
    if job.stations is not None:
        summary.gnss = merge_gnss.statistics(fits[0])
    summary.pixels = job.grid.width * job.grid.height


@raises
def run(job: MergeJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> MergeSummary:
    """Estimate the corrections from the overlaps, then write the merged raster (nothing is
    written when the overlaps cannot tie the frames)."""
    summary = MergeSummary(outputs={})
    logged, warned = len(job.log), len(job.warnings)  # the lines the run adds reach the summary
    first = (lambda f: progress(0.2 * f)) if progress else None
    with Run(job.grid, job.resampling, first, is_cancelled) as run_:
        frames = _Frames(job, run_)
        fits = estimate(job, run_, frames)
        run_.progress = (lambda f: progress(0.2 + 0.8 * f)) if progress else None
        writers = run_.create({MERGED: job.output}, {MERGED: _band_specs(job)}, _metadata(job, fits), job.compression)

        def write(win, bands):
            for b, values in enumerate(bands, start=1):
                writers[MERGED].write(b, values, win[0], win[1])
            run_.sample(MERGED, bands[job.layers - 1])

        run_.stream(list(windows(job.grid, job.block_pixels)), _read(job, frames),
                    lambda win, data: _compute(job, fits, win, data), write)  # fmt: skip
        _summarise(job, fits, summary)
        summary.lines = job.log[logged:] + summary.lines
        summary.warnings = job.warnings[warned:]
        summary.limit = run_.limit(MERGED)
        summary.outputs.update(run_.commit())
    return summary
