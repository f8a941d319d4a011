"""The block engine: read every track on the common grid window by window, invert, write.

Memory is bounded by the window size whatever the raster size: every reader drops its own
GDAL blocks after each window (tiled inputs) or row of windows (strips), every writer after
each window; GDAL's process-wide cache size is never changed (QGIS and other runs share
it). Outputs are written to temporary files and renamed only when every window succeeded; a
failure or a cancel removes them and never touches an input.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

import numpy as np

from ..conventions import geometry, units
from ..conventions.errors import NoResult  # noqa: F401 (re-exported: raised here)
from ..io.gdal_mode import raises
from ..io.model import (
    HORIZONTAL,
    QUALITY,
    SIGMA_HORIZONTAL,
    SIGMA_UP,
    UP,
    Job,
    RasterRef,
    Summary,
    band_specs,
)
from ..io.pipeline import Cancelled  # noqa: F401 (engine.Cancelled stays public)
from ..io.reader import GeometryReader, GridReader
from ..plan.outputs import check_outputs, check_outputs_paths  # noqa: F401 (engine's interface for the runs)
from ..samplers.reference import ReferenceAreaError, median_in
from ..solve.inversion import Solution, TrackBlock, invert
from ..solve.resolvable import nothing_resolved
from . import components_run
from .lifecycle import STYLE_SAMPLE, Run, windows  # noqa: F401 (engine.windows and STYLE_SAMPLE stay public)
from .plate_motion import PlateField

STYLED_PRODUCTS = (HORIZONTAL, UP)


class _TrackReaders:
    """The grid readers of one track and the conversion of a window into a TrackBlock."""

    def __init__(self, spec, open_reader):
        self.spec = spec
        self.offset = 0.0
        self.sign = geometry.sign_factor(spec.los_sign)
        self.velocity = open_reader(spec.velocity)
        self.sigma = open_reader(spec.sigma) if isinstance(spec.sigma, RasterRef) else spec.sigma
        self.geometry = GeometryReader(spec.geometry, open_reader)

    def los(self, window, plate=None, s=None):
        """LOS toward the satellite, in the common unit, before any re-referencing; minus the
        plate's velocity ``plate`` (east, north, up) projected on the track's unit vector ``s``."""
        los = self.velocity.read(*window)
        los = -los if self.sign != 1.0 else los
        if plate is not None:
            s = self.geometry.read(*window) if s is None else s
            los = los - (s[0] * plate[0] + s[1] * plate[1] + s[2] * plate[2]).astype(np.float32)
        return los

    def block(self, window, plate=None):
        s = self.geometry.read(*window)
        los = self.los(window, plate, s)
        if self.offset:
            los = los - np.float32(self.offset)
        sigma = self.sigma.read(*window) if isinstance(self.sigma, GridReader) else self.sigma
        return TrackBlock(los=los, s_east=s[0], s_north=s[1], s_up=s[2], sigma=sigma)


def _value(source, win):
    return source.read(*win) if isinstance(source, GridReader) else source


class _Decomposition:
    """One decomposition's track readers (opened through its run) and running totals."""

    def __init__(self, job, run_):
        self.job, self.run = job, run_
        # One reader (one GDAL dataset) per use, never shared: the tracks are read in
        # parallel threads and a GDAL dataset must not be used by two threads at once.
        self.tracks = [_TrackReaders(t, run_.open) for t in job.tracks]
        north = job.north
        self.north_v = self._open_or_value(north.velocity) if north else None
        self.north_s = self._open_or_value(north.sigma) if north else None
        self.summary = Summary(outputs={}, warped_inputs=run_.warped())
        # the plate's velocity on the common grid (computed once per window, in the reading thread)
        self.plate = PlateField(job.plate, job.grid, units.factor("m/year", job.unit)) if job.plate else None
        self.tilts = components_run.TiltSample()

    def plate_enu(self, win):
        return self.plate.enu(win) if self.plate is not None else None

    def _open_or_value(self, x):
        return self.run.open(x) if isinstance(x, RasterRef) else x

    def reference(self):
        area = self.job.reference
        if area is None:
            return
        for t in self.tracks:
            t.offset = median_in(t.los(area.window, self.plate_enu(area.window)), area)
            if t.offset is None:
                raise ReferenceAreaError(
                    f"{t.spec.name} track: no valid pixel in the reference area ({area.description})"
                )
            self.summary.reference_offsets[t.spec.name] = t.offset

    def read_window(self, pool, win):
        plate = self.plate_enu(win)
        blocks = list(pool.map(lambda t: t.block(win, plate), self.tracks))
        north = _value(self.north_v, win)
        if plate is not None and north is not None:
            north = north - plate[1]  # a known north is in the tracks' frame: relative to the plate too
        return blocks, north, _value(self.north_s, win)

    def invert(self, blocks, nv, ns, win):
        job = self.job
        if job.components:
            sol = components_run.solve(job, blocks, nv, ns)
            self.tilts.add(sol)
        else:
            sol = invert(
                blocks,
                north_velocity=nv,
                north_sigma=ns,
                horizontal_azimuth=job.horizontal_azimuth,
                max_condition=job.max_condition,
            )
        self.summary.pixels += win[2] * win[3]
        self.summary.resolved += int(np.count_nonzero(np.isfinite(sol.up)))
        for key, values in ((HORIZONTAL, sol.horizontal), (UP, sol.up)):
            self.run.sample(key, values)
        return sol

    def finish(self):
        if self.summary.resolved == 0:
            raise NoResult(components_run.nothing_resolved_words(self.job.components) if self.job.components else
                           nothing_resolved())  # fmt: skip
        self.summary.limits.update(self.run.limits(STYLED_PRODUCTS))
        components_run.annotate(self.run.outputs, self.tilts.metadata())
        self.summary.outputs.update(self.run.commit())
        return self.summary


@raises
def run(job: Job, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> Summary:
    """Run ``job``; ``progress(fraction)`` is called after each window and
    ``is_cancelled()`` before each. Returns a :class:`Summary`."""
    check_outputs(job)
    with Run(job.grid, job.resampling, progress, is_cancelled) as run_:
        state = _Decomposition(job, run_)
        state.reference()
        run_.create(job.outputs, band_specs(job), job.metadata, job.compression)
        _stream(state)
        return state.finish()


def reference_offsets(job: Job) -> list:
    """Each track's median over the job's reference area (0.0 without an area), as :func:`run`
    takes it: only the area's window is read. For :func:`solve_window` (a Dask client plans
    them once, each worker solves its chunk with them)."""
    with Run(job.grid, job.resampling) as run_:
        state = _Decomposition(job, run_)
        state.reference()
        return [t.offset for t in state.tracks]


def solve_window(job: Job, offsets: list, win: tuple) -> Solution:
    """One window (col, row, ncols, nrows) of the common grid solved as :func:`run` solves it:
    the tracks opened through the core's readers (warped for that window only), re-referenced
    by ``offsets`` (:func:`reference_offsets`), read in parallel and inverted."""
    with Run(job.grid, job.resampling) as run_:
        state = _Decomposition(job, run_)
        for track, offset in zip(state.tracks, offsets):
            track.offset = offset
        with ThreadPoolExecutor(max_workers=len(state.tracks)) as pool:
            blocks, nv, ns = state.read_window(pool, win)
        return state.invert(blocks, nv, ns, win)


def solution_bands(sol: object) -> dict:
    """{product: [band arrays]} of a window's solution, in each output's band order (a
    quality output's four bands; a components solution's own products)."""
    bands = {
        HORIZONTAL: [sol.horizontal],
        UP: [sol.up],
        SIGMA_HORIZONTAL: [sol.sigma_horizontal],
        SIGMA_UP: [sol.sigma_up],
        QUALITY: [sol.condition, sol.n_tracks, sol.residual_rms, sol.correlation],
    }
    bands.update(components_run.arrays(sol))
    return bands


def _stream(state):
    # Each track is read (and warped) in a thread of its own, beside the inversion of the
    # previous window and the writing of the one before.
    wins = list(windows(state.job.grid, state.job.block_pixels))
    with ThreadPoolExecutor(max_workers=len(state.tracks), thread_name_prefix="losdecomp-track") as track_pool:
        state.run.stream(
            wins,
            lambda win: state.read_window(track_pool, win),
            lambda win, data: state.invert(*data, win),
            lambda win, sol: _write_solution(state.run.outputs, sol, win),
        )


def _write_solution(writers, sol, win):
    col, row, ncols, nrows = win
    shape = (nrows, ncols)

    def full(a):
        return np.broadcast_to(np.asarray(a, dtype=np.float32), shape)

    arrays = solution_bands(sol)
    for key, writer in writers.items():
        for band, a in enumerate(arrays[key], start=1):
            writer.write(band, full(a), col, row)
        writer.flush()
