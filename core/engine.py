"""The block engine: read every track on the common grid window by window, invert, write.

Memory is bounded by the window size whatever the raster size. Outputs are written to
temporary files and renamed only when every window succeeded; a failure or a cancel
removes them and never touches an input.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np
from osgeo import gdal

from . import geometry
from .grid import Grid
from .inversion import DEFAULT_MAX_CONDITION, TrackBlock, invert
from .reader import GridReader, RasterRef
from .reference import ReferenceAreaError, median_in
from .writer import DEFAULT_COMPRESSION, TILE, AtomicGeoTiff, BandSpec, OutputError, check_writable

#: Pixels per processing window: about 100 MB of working memory with per-pixel geometry.
DEFAULT_BLOCK_PIXELS = 1 << 19
#: GDAL's block cache during a run (bytes); the previous limit is restored afterwards.
#: Windows follow the output tiles, so a small cache suffices and memory stays flat.
GDAL_CACHE_BYTES = 64 * 1024 * 1024

HORIZONTAL, UP, SIGMA_HORIZONTAL, SIGMA_UP, QUALITY = "horizontal", "up", "sigma_horizontal", "sigma_up", "quality"
PRODUCTS = (HORIZONTAL, UP, SIGMA_HORIZONTAL, SIGMA_UP, QUALITY)
QUALITY_BANDS = (
    ("condition", "Condition number of G (geometry only)", ""),
    ("n_tracks", "Number of tracks used", ""),
    ("residual_rms", "Residual RMS of the LOS fit (3 or more tracks)", None),
    ("correlation", "Correlation of the horizontal and vertical estimates", ""),
)


class Cancelled(Exception):
    """The run was cancelled; no output was left behind."""


class NoResult(ValueError):
    """Not a single pixel could be resolved; no output was left behind."""


@dataclass(frozen=True)
class ConstantGeometry:
    """Single-valued geometry as a ground-to-satellite unit vector."""

    s_east: float
    s_north: float
    s_up: float
    source: str = ""


# Functions that turn a convention's values (floats or arrays) into (sE, sN, sU).
GEOMETRY_CONVENTIONS = {
    "enu": lambda e, n, u=None: geometry.from_enu(e, n, u),
    "heading_incidence_right": lambda h, t: geometry.from_heading_incidence(h, t, geometry.RIGHT),
    "heading_incidence_left": lambda h, t: geometry.from_heading_incidence(h, t, geometry.LEFT),
    "mintpy_azimuth": geometry.from_mintpy_azimuth,
    "aria_azimuth": geometry.from_aria_azimuth,
    "look_vector_radians": geometry.from_elevation_azimuth_east,
}


@dataclass(frozen=True)
class RasterGeometry:
    """Per-pixel geometry: the values of a convention, each a raster or a constant."""

    convention: str
    components: tuple
    source: str = ""

    def __post_init__(self):
        if self.convention not in GEOMETRY_CONVENTIONS:
            raise ValueError(f"unknown geometry convention {self.convention!r}")


@dataclass
class TrackSpec:
    name: str
    velocity: RasterRef
    geometry: Union[ConstantGeometry, RasterGeometry]
    los_sign: str = geometry.TOWARD
    sigma: Union[RasterRef, float, None] = None


@dataclass
class NorthSpec:
    """A known north velocity (raster or constant, in the common unit) and its sigma."""

    velocity: Union[RasterRef, float]
    sigma: Union[RasterRef, float, None] = None


@dataclass
class Job:
    tracks: list
    grid: Grid
    outputs: dict
    resampling: str = "bilinear"
    north: Optional[NorthSpec] = None
    horizontal_azimuth: Optional[float] = None
    max_condition: float = DEFAULT_MAX_CONDITION
    unit: str = ""
    metadata: dict = field(default_factory=dict)
    block_pixels: int = DEFAULT_BLOCK_PIXELS
    reference: object = None  # a reference.ReferenceArea: each track's median there is subtracted
    compression: str = DEFAULT_COMPRESSION


@dataclass
class Summary:
    outputs: dict
    pixels: int = 0
    resolved: int = 0
    warped_inputs: list = field(default_factory=list)
    reference_offsets: dict = field(default_factory=dict)


def input_refs(job):
    """Every raster the job reads."""
    refs = []
    for t in job.tracks:
        refs.append(t.velocity)
        if isinstance(t.geometry, RasterGeometry):
            refs += [c for c in t.geometry.components if isinstance(c, RasterRef)]
        if isinstance(t.sigma, RasterRef):
            refs.append(t.sigma)
    if job.north is not None:
        refs += [x for x in (job.north.velocity, job.north.sigma) if isinstance(x, RasterRef)]
    return refs


def _file_of(path):
    """The file behind a GDAL path (handles ``DRIVER:"file":sub`` forms)."""
    if ":" in path and '"' in path:
        path = path.split('"')[1]
    return os.path.realpath(path)


def check_outputs(job):
    """Fail before any work when an output cannot be written or would overwrite an input."""
    wanted = {k: v for k, v in job.outputs.items() if v}
    unknown = set(wanted) - set(PRODUCTS)
    if unknown:
        raise ValueError(f"unknown output(s): {', '.join(sorted(unknown))}")
    if HORIZONTAL not in wanted and UP not in wanted:
        raise ValueError("no output requested")
    if (SIGMA_HORIZONTAL in wanted or SIGMA_UP in wanted) and any(t.sigma is None for t in job.tracks):
        missing = ", ".join(t.name for t in job.tracks if t.sigma is None)
        raise ValueError(
            f"the standard-deviation outputs need a standard deviation for every track ({missing} has none)"
        )
    inputs = {_file_of(r.path) for r in input_refs(job)}
    seen = {}
    for key, path in wanted.items():
        real = os.path.realpath(path)
        if real in inputs:
            raise OutputError(f"output {key}: {path} is one of the inputs; choose another file")
        if real in seen:
            raise OutputError(f"outputs {seen[real]} and {key} are the same file {path}")
        seen[real] = key
        check_writable(path, f"output {key}")


def windows(grid, block_pixels):
    """(col, row, ncols, nrows) windows aligned to the output tiles."""
    rows = min(grid.height, TILE)
    cols = max(TILE, (block_pixels // max(rows, 1)) // TILE * TILE)
    cols = min(grid.width, cols)
    for row in range(0, grid.height, rows):
        for col in range(0, grid.width, cols):
            yield col, row, min(cols, grid.width - col), min(rows, grid.height - row)


def horizontal_label(azimuth):
    """Name of the horizontal velocity solved for."""
    return "East velocity" if azimuth is None else f"Horizontal velocity along azimuth {azimuth:g} deg"


def band_specs(job):
    h = horizontal_label(job.horizontal_azimuth)
    unit = job.unit
    return {
        HORIZONTAL: [BandSpec(h, unit)],
        UP: [BandSpec("Vertical (up) velocity", unit)],
        SIGMA_HORIZONTAL: [BandSpec(f"Standard deviation of the {h[0].lower()}{h[1:]}", unit)],
        SIGMA_UP: [BandSpec("Standard deviation of the vertical velocity", unit)],
        QUALITY: [BandSpec(desc, unit if u is None else u, {"QUALITY": key}) for key, desc, u in QUALITY_BANDS],
    }


class _TrackReaders:
    """The grid readers of one track and the conversion of a window into a TrackBlock."""

    def __init__(self, spec, open_reader):
        self.spec = spec
        self.offset = 0.0
        self.sign = geometry.sign_factor(spec.los_sign)
        self.velocity = open_reader(spec.velocity)
        self.sigma = open_reader(spec.sigma) if isinstance(spec.sigma, RasterRef) else spec.sigma
        g = spec.geometry
        if isinstance(g, RasterGeometry):
            self.components = [open_reader(c) if isinstance(c, RasterRef) else c for c in g.components]
        else:
            self.components = None

    def los(self, window):
        """LOS toward the satellite, in the common unit, before any re-referencing."""
        los = self.velocity.read(*window)
        return -los if self.sign != 1.0 else los

    def block(self, window):
        los = self.los(window)
        if self.offset:
            los = los - np.float32(self.offset)
        sigma = self.sigma.read(*window) if isinstance(self.sigma, GridReader) else self.sigma
        g = self.spec.geometry
        if self.components is None:
            s = (g.s_east, g.s_north, g.s_up)
        else:
            values = [c.read(*window) if isinstance(c, GridReader) else c for c in self.components]
            s = GEOMETRY_CONVENTIONS[g.convention](*values)
            if g.convention == "enu" and len(values) == 3:
                norm = np.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2)
                s = tuple(c / norm for c in s)
        return TrackBlock(los=los, s_east=s[0], s_north=s[1], s_up=s[2], sigma=sigma)


def run(job, progress=None, is_cancelled=None):
    """Run ``job``; ``progress(fraction)`` is called after each window and
    ``is_cancelled()`` before each. Returns a :class:`Summary`."""
    check_outputs(job)
    previous_cache = gdal.GetCacheMax()
    gdal.SetCacheMax(min(previous_cache, GDAL_CACHE_BYTES))
    try:
        return _run(job, progress, is_cancelled)
    finally:
        gdal.SetCacheMax(previous_cache)


def _run(job, progress, is_cancelled):
    # One reader (one GDAL dataset) per use, never shared: the tracks are read in
    # parallel threads and a GDAL dataset must not be used by two threads at once.
    readers = []

    def open_reader(ref):
        readers.append(GridReader(ref, job.grid, job.resampling))
        return readers[-1]

    writers = {}
    try:
        tracks = [_TrackReaders(t, open_reader) for t in job.tracks]
        north_v = north_s = None
        if job.north is not None:
            north_v = (
                open_reader(job.north.velocity) if isinstance(job.north.velocity, RasterRef) else job.north.velocity
            )
            north_s = job.north.sigma
            north_s = open_reader(north_s) if isinstance(north_s, RasterRef) else north_s
        warped = list(dict.fromkeys(r.ref.name for r in readers if r.warped))
        summary = Summary(outputs={}, warped_inputs=warped)
        if job.reference is not None:
            for t in tracks:
                t.offset = median_in(t.los(job.reference.window), job.reference)
                if t.offset is None:
                    raise ReferenceAreaError(
                        f"{t.spec.name} track: no valid pixel in the reference area ({job.reference.description})"
                    )
                summary.reference_offsets[t.spec.name] = t.offset

        specs = band_specs(job)
        for key, path in job.outputs.items():
            if path:
                meta = dict(job.metadata, LOSDECOMP_PRODUCT=key)
                writers[key] = AtomicGeoTiff(path, job.grid, specs[key], meta, job.compression)

        track_pool = ThreadPoolExecutor(max_workers=len(tracks), thread_name_prefix="losdecomp-track")

        def read_window(win):
            blocks = list(track_pool.map(lambda t: t.block(win), tracks))
            nv = north_v.read(*win) if isinstance(north_v, GridReader) else north_v
            ns = north_s.read(*win) if isinstance(north_s, GridReader) else north_s
            return blocks, nv, ns

        # Reading (and warping) the next window, one thread per track, and writing
        # (compressing) the previous one run beside the inversion of the current one: GDAL
        # releases the GIL. At most one window is read ahead and one is being written, so
        # memory stays bounded.
        wins = list(windows(job.grid, job.block_pixels))
        with track_pool, ThreadPoolExecutor(max_workers=2, thread_name_prefix="losdecomp-io") as pool:
            reading = pool.submit(read_window, wins[0])
            writing = None
            for i, win in enumerate(wins):
                if is_cancelled is not None and is_cancelled():
                    raise Cancelled("cancelled")
                blocks, nv, ns = reading.result()
                if i + 1 < len(wins):
                    reading = pool.submit(read_window, wins[i + 1])
                sol = invert(
                    blocks,
                    north_velocity=nv,
                    north_sigma=ns,
                    horizontal_azimuth=job.horizontal_azimuth,
                    max_condition=job.max_condition,
                )
                summary.pixels += win[2] * win[3]
                summary.resolved += int(np.count_nonzero(np.isfinite(sol.up)))
                if writing is not None:
                    writing.result()
                writing = pool.submit(_write_solution, writers, sol, win)
                if progress is not None:
                    progress((i + 1) / len(wins))
            if writing is not None:
                writing.result()

        if summary.resolved == 0:
            raise NoResult(
                "no pixel could be resolved: the tracks have no valid data together where one looks east "
                "and another west (check the overlap, the nodata values and the angles)"
            )
        for key, w in list(writers.items()):
            w.commit()
            summary.outputs[key] = w.path
            del writers[key]
        return summary
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    finally:
        for r in readers:
            r.close()


def _write_solution(writers, sol, win):
    col, row, ncols, nrows = win
    shape = (nrows, ncols)

    def full(a):
        return np.broadcast_to(np.asarray(a, dtype=np.float32), shape)

    arrays = {
        HORIZONTAL: [sol.horizontal],
        UP: [sol.up],
        SIGMA_HORIZONTAL: [sol.sigma_horizontal],
        SIGMA_UP: [sol.sigma_up],
    }
    arrays[QUALITY] = [sol.condition, sol.n_tracks, sol.residual_rms, sol.correlation]
    for key, writer in writers.items():
        for band, a in enumerate(arrays[key], start=1):
            writer.write(band, full(a), col, row)
