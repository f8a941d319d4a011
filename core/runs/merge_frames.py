"""``losdecomp:merge_frames`` in core: frames of one viewing direction tied by their overlaps
(``solve.frames``) and written as one raster on a common grid, with the geometry carried per
pixel as role bands (``INSAR_ROLE`` los_east/los_north/los_up, as ``import_licsbas`` writes
them) so that the merged frame is a track for ``losdecomp:decompose``.

Two passes through one :class:`Run`: the overlaps only (the normal equations, window by
window), then every window once (corrections applied, overlaps averaged with weights,
written). No output exists before the corrections are known: a frame that overlaps no other
is refused before anything is written.
"""

import json
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..conventions import geometry
from ..conventions.errors import FrameError
from ..conventions.schema import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_LOS_SIGN, TAG_ROLE, TAG_UNIT
from ..conventions.uncertainty import APRIORI, FIT, PROPAGATED, TAG_SIGMA_KIND, label
from ..conventions.version import SOFTWARE, created
from ..io.gdal_mode import raises
from ..io.grid import Grid, common_grid, footprint, raster_info
from ..io.model import DEFAULT_BLOCK_PIXELS, ConstantGeometry, RasterRef
from ..io.reader import DEFAULT_RESAMPLING, GeometryReader, GridReader, sampled_unit_vector
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan.outputs import check_outputs_paths
from ..plan.tracks import apply_weights_policy, harmonise_units, resolve
from ..solve import frames as solver
from .lifecycle import Run, windows

MERGED = "merged"
#: Metadata item of the merged raster: each frame's correction, its sigmas and the RMS.
TAG_FRAMES = "LOSDECOMP_FRAMES"


@dataclass
class MergeRequest:
    """What the user asked for: the frames (one viewing direction), the model, the fixed frame
    (1-based), the grid options and the output path."""

    frames: list  # of TrackInput
    output: str
    model: int = solver.PLANE
    fixed_frame: int = 1
    target_crs_wkt: str = ""
    resolution: float = 0.0
    resampling: str = DEFAULT_RESAMPLING
    compression: str = DEFAULT_COMPRESSION


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
    fixed: int  # 0-based
    output: str
    unit: str
    los_sign: str
    weighted: bool
    resampling: str = DEFAULT_RESAMPLING
    compression: str = DEFAULT_COMPRESSION
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    block_pixels: int = DEFAULT_BLOCK_PIXELS

    @property
    def outputs(self) -> dict:
        return {MERGED: self.output}


@dataclass
class MergeSummary:
    """What a merge did: the output, the fit, one line per frame."""

    outputs: dict
    fit: Optional[solver.FrameFit] = None
    lines: list = field(default_factory=list)
    offsets: list = field(default_factory=list)
    offset_sigmas: list = field(default_factory=list)
    pixels: int = 0
    limit: float = float("nan")


def _check_request(req):
    if len(req.frames) < 2:
        raise FrameError(f"merging needs at least two frames, {len(req.frames)} given")
    solver.n_params(req.model)
    if not 1 <= req.fixed_frame <= len(req.frames):
        raise FrameError(f"FIXED_FRAME {req.fixed_frame} is not a frame: 1 to {len(req.frames)}")
    if not req.output:
        raise FrameError("no output requested")
    check_outputs_paths({MERGED: req.output}, [RasterRef(f.path) for f in req.frames])


def _east_sign(spec):
    g = spec.geometry
    s_east = g.s_east if isinstance(g, ConstantGeometry) else float(np.nanmedian(sampled_unit_vector(g)[0]))
    return math.copysign(1.0, s_east)


def _same_direction(resolved, names):
    signs = [_east_sign(r.spec) for r in resolved]
    for k, s in enumerate(signs):
        if s != signs[0]:
            raise FrameError(
                f"frame {k + 1} ({names[k]}) looks {'east' if s > 0 else 'west'}, frame 1 the other way: "
                "frames of one viewing direction only (merge ascending and descending frames separately)"
            )


def _to_first_sign(resolved):
    """Every frame's values in the first frame's LOS sign (a sign folded into the scale)."""
    first = geometry.sign_factor(resolved[0].spec.los_sign)
    for r in resolved[1:]:
        flip = geometry.sign_factor(r.spec.los_sign) * first
        v = r.spec.velocity
        r.spec.velocity = RasterRef(v.path, v.band, v.label, v.scale * flip)
    return resolved[0].spec.los_sign


def _union_grid(req, infos):
    target = req.target_crs_wkt or infos[0].crs_wkt
    boxes = [footprint(i, target) for i in infos]
    union = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    grid = common_grid(infos, target, req.resolution, extent=union)
    return grid, boxes


def _pixel_box(grid, box):
    x0, dx, _, y0, _, dy = grid.geotransform
    col0 = max(int(math.floor((box[0] - x0) / dx + 1e-6)), 0)
    col1 = min(int(math.ceil((box[2] - x0) / dx - 1e-6)), grid.width)
    row0 = max(int(math.floor((box[3] - y0) / dy + 1e-6)), 0)
    row1 = min(int(math.ceil((box[1] - y0) / dy - 1e-6)), grid.height)
    return col0, row0, col1, row1


def _intersect(a, b):
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] < box[2] and box[1] < box[3] else None


def pairs_of(boxes: list) -> list:
    """(i, j, box) of the frames whose boxes on the grid intersect."""
    out = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            box = _intersect(boxes[i], boxes[j])
            if box is not None:
                out.append((i, j, box))
    return out


@raises
def check(req: MergeRequest) -> MergeJob:
    """Everything known from headers and metadata: the frames resolved, one direction, one unit
    and sign, the common grid, and every frame overlapping another (by footprint)."""
    _check_request(req)
    names = [f"{f.name}" for f in req.frames]
    resolved = [resolve(f) for f in req.frames]
    _same_direction(resolved, names)
    unit, log = harmonise_units(resolved)
    sign = _to_first_sign(resolved)
    weighted = apply_weights_policy(resolved, log)
    infos = [raster_info(f.path, n) for f, n in zip(req.frames, names)]
    grid, footprints = _union_grid(req, infos)
    boxes = [_pixel_box(grid, b) for b in footprints]
    solver.check_overlaps(len(boxes), [(i, j) for i, j, _ in pairs_of(boxes)],
                          [f"{n}: {f.path}" for n, f in zip(names, req.frames)])  # fmt: skip
    centres = [(0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3])) for b in footprints]
    job = MergeJob([r.spec for r in resolved], names, grid, boxes, centres, req.model, req.fixed_frame - 1,
                   req.output, unit, sign, weighted, req.resampling, req.compression)  # fmt: skip
    for r in resolved:
        job.log += r.log
        job.warnings += r.warnings
    job.log += log
    return job


@raises
def plan(req: MergeRequest) -> MergeJob:
    """``check``, and the log of what the merge will do."""
    job = check(req)
    job.log.append(
        f"merge: {len(job.specs)} frames, {solver.MODELS[job.model]}, frame {job.fixed + 1} ({job.names[job.fixed]}) "
        f"fixed; common grid {job.grid.width} x {job.grid.height} pixels (the first frame's lattice extended to "
        "the union of the frames unless a CRS or resolution was given)"
    )
    return job


def _coords(grid, win, rows, cols):
    x0, dx, _, y0, _, dy = grid.geotransform
    return x0 + (win[0] + cols + 0.5) * dx, y0 + (win[1] + rows + 0.5) * dy


def _meets(box, win):
    return _intersect(box, (win[0], win[1], win[0] + win[2], win[1] + win[3])) is not None


class _Frames:
    """Each frame's readers on the common grid (opened by the run, which closes them)."""

    def __init__(self, job, run_):
        self.job = job
        self.values = [run_.open(s.velocity) for s in job.specs]
        self.sigmas = [run_.open(s.sigma) if isinstance(s.sigma, RasterRef) else s.sigma for s in job.specs]
        self.geometry = [GeometryReader(s.geometry, run_.open) for s in job.specs]

    def present(self, win):
        return [k for k, box in enumerate(self.job.boxes) if _meets(box, win)]

    def value(self, k, win):
        return self.values[k].read(*win)

    def sigma(self, k, win):
        s = self.sigmas[k]
        return s.read(*win) if isinstance(s, GridReader) else s

    def weight(self, k, win):
        if not self.job.weighted:
            return None
        s = np.asarray(self.sigma(k, win), dtype=np.float64)
        with np.errstate(divide="ignore"):
            return 1.0 / (s * s)


def _overlap_windows(job):
    """The windows of the grid that meet the overlap of some pair of frames."""
    boxes = [box for _, _, box in pairs_of(job.boxes)]
    return [w for w in windows(job.grid, job.block_pixels) if any(_meets(b, w) for b in boxes)]


def _accumulate(job, frames, normals, win):
    """The overlaps of the frames' pairs within ``win``, each read on its own box only."""
    for i, j, box in pairs_of(job.boxes):
        part = _intersect(box, (win[0], win[1], win[0] + win[2], win[1] + win[3]))
        if part is None:
            continue
        sub = (part[0], part[1], part[2] - part[0], part[3] - part[1])
        di, dj = frames.value(i, sub), frames.value(j, sub)
        both = np.isfinite(di) & np.isfinite(dj)
        w = None
        if job.weighted:
            var = np.asarray(frames.sigma(i, sub), np.float64) ** 2 + np.asarray(frames.sigma(j, sub), np.float64) ** 2
            var = np.broadcast_to(var, both.shape)
            with np.errstate(invalid="ignore"):
                both &= np.isfinite(var) & (var > 0)
            w = 1.0 / var[both]
        rows, cols = np.nonzero(both)
        x, y = _coords(job.grid, sub, rows, cols)
        normals.add(i, j, x, y, di[both], dj[both], w)


def estimate(job: MergeJob, run_: Run, frames: "_Frames") -> solver.FrameFit:
    """The first pass: the overlaps' normal equations, window by window, and their solution."""
    scale = 0.5 * max(job.grid.width * job.grid.pixel_size[0], job.grid.height * job.grid.pixel_size[1])
    normals = solver.Normals(job.centres, job.model, scale)
    for win in run_.each(_overlap_windows(job)):
        _accumulate(job, frames, normals, win)
    labels = [f"{n}: {s.velocity.path}" for n, s in zip(job.names, job.specs)]
    return solver.solve(normals, job.fixed, labels)


def _band_specs(job):
    unit = job.unit
    specs = [BandSpec("LOS velocity, frames merged", unit, {TAG_ROLE: ROLE_VELOCITY})]
    if job.weighted:
        how = "of the overlap's weighted mean, from the frames' a-priori sigmas; omits the corrections' own error"
        specs.append(BandSpec(label(PROPAGATED, "the merged LOS velocity", how), unit,
                              {TAG_ROLE: ROLE_STD, TAG_SIGMA_KIND: PROPAGATED}))  # fmt: skip
    specs += [BandSpec(f"LOS unit vector {r[4:]} (ground to satellite)", "", {TAG_ROLE: r}) for r in ROLE_ENU]
    return specs


def _compute(job, fit, win, data):
    if not data:
        return [np.full((win[3], win[2]), np.nan, dtype=np.float32)] * (len(_band_specs(job)))
    x, y = _coords(job.grid, win, np.arange(win[3])[:, None], np.arange(win[2])[None, :])
    values, weights, vectors = [], [], []
    for k, (v, w, s) in data.items():
        values.append(v + solver.correction(fit.params[k], job.centres[k], x, y).astype(np.float32))
        weights.append(w)
        vectors.append(s)
    mean, sigma, vector = solver.merge(values, weights if job.weighted else None, vectors)
    norm = np.sqrt(vector[0] ** 2 + vector[1] ** 2 + vector[2] ** 2)
    vector = [v / norm for v in vector]
    return [mean] + ([sigma] if job.weighted else []) + vector


def _read(job, frames):
    def read(win):
        return {k: (frames.value(k, win), frames.weight(k, win), frames.geometry[k].read(*win))
                for k in frames.present(win)}  # fmt: skip

    return read


def _lines(job, fit):
    unit, lines = job.unit or "(unit unknown)", []
    for k, name in enumerate(job.names):
        p, s = fit.params[k], fit.sigmas[k]
        text = f"frame {k + 1} ({name}): offset {p[0]:+.4g} +/- {s[0]:.2g} {unit} at its centre"
        if p.size == 3:
            text += f", plane {p[1]:+.4g} +/- {s[1]:.2g} per x unit, {p[2]:+.4g} +/- {s[2]:.2g} per y unit"
        lines.append(text + (" (fixed)" if k == job.fixed else ""))
    lines.append(
        f"overlaps: {fit.overlap_pixels} pixels, RMS of the differences {fit.rms_before:.4g} before and "
        f"{fit.rms_after:.4g} {unit} after (sigmas: {FIT} kind, from the overlap residuals taken as independent)"
    )
    return lines


def _metadata(job, fit):
    frames = [{"frame": k + 1, "name": n, "input": s.velocity.path, "params": [float(v) for v in fit.params[k]],
               "sigmas": [float(v) for v in fit.sigmas[k]], "centre": list(job.centres[k])}
              for k, (n, s) in enumerate(zip(job.names, job.specs))]  # fmt: skip
    info = {"model": solver.MODELS[job.model], "fixed_frame": job.fixed + 1, "frames": frames,
            "rms_before": fit.rms_before, "rms_after": fit.rms_after, "sigma_kind": FIT,
            "weights": f"1/sigma^2 of the frames' {APRIORI} sigmas" if job.weighted else "equal"}  # fmt: skip
    md = {TAG_FRAMES: json.dumps(info), TAG_LOS_SIGN: job.los_sign, "LOSDECOMP_SOFTWARE": SOFTWARE,
          "LOSDECOMP_CREATED": created()}  # fmt: skip
    if job.unit:
        md[TAG_UNIT] = job.unit
    return md


@raises
def run(job: MergeJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> MergeSummary:
    """Estimate the corrections from the overlaps, then write the merged raster (nothing is
    written when the overlaps cannot tie the frames)."""
    summary = MergeSummary(outputs={})
    first = (lambda f: progress(0.2 * f)) if progress else None
    with Run(job.grid, job.resampling, first, is_cancelled) as run_:
        frames = _Frames(job, run_)
        fit = estimate(job, run_, frames)
        run_.progress = (lambda f: progress(0.2 + 0.8 * f)) if progress else None
        writers = run_.create({MERGED: job.output}, {MERGED: _band_specs(job)}, _metadata(job, fit), job.compression)

        def write(win, bands):
            for b, values in enumerate(bands, start=1):
                writers[MERGED].write(b, values, win[0], win[1])
            run_.sample(MERGED, bands[0])

        run_.stream(list(windows(job.grid, job.block_pixels)), _read(job, frames),
                    lambda win, data: _compute(job, fit, win, data), write)  # fmt: skip
        summary.fit, summary.lines = fit, _lines(job, fit)
        summary.offsets = [float(p[0]) for p in fit.params]
        summary.offset_sigmas = [float(s[0]) for s in fit.sigmas]
        summary.pixels = job.grid.width * job.grid.height
        summary.limit = run_.limit(MERGED)
        summary.outputs.update(run_.commit())
    return summary
