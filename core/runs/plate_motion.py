"""``losdecomp:remove_plate_motion`` in core: a track minus the rigid motion of a plate (a
published model's plate or an Euler pole, ``solve.plate``) projected into its line of sight
pixel by pixel, in the track's unit and sign; the removed field optionally. The output keeps
the track's geometry per pixel as role bands (and its sigma), so it is a track again."""

import json
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..conventions import geometry
from ..conventions.errors import PlateError
from ..conventions.schema import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_LOS_SIGN, TAG_ROLE, TAG_UNIT
from ..conventions.uncertainty import APRIORI, TAG_SIGMA_KIND, label
from ..conventions.version import SOFTWARE, created
from ..io.gdal_mode import raises
from ..io.geographic import LatLon
from ..io.grid import Grid, common_grid, raster_info
from ..io.model import DEFAULT_BLOCK_PIXELS, RasterRef, TrackSpec
from ..io.reader import DEFAULT_RESAMPLING, GeometryReader, GridReader
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan.outputs import check_outputs_paths
from ..plan.tracks import TrackInput, resolve
from ..solve import plate
from .lifecycle import Run, windows

CORRECTED, PLATE_LOS = "corrected", "plate_los"
#: Metadata item naming the plate model (or pole) removed, with its rotation rates.
TAG_PLATE_MODEL = plate.TAG_PLATE_MODEL


@dataclass
class PlateRequest:
    """A track, a plate (``MODEL:Plate``) or an Euler pole, and the outputs."""

    track: TrackInput
    outputs: dict  # CORRECTED / PLATE_LOS -> path
    plate: str = ""
    euler_pole: str = ""
    compression: str = DEFAULT_COMPRESSION


@dataclass
class PlateJob:
    """A validated removal: the track, the pole, the grid (the track's own), the unit factor."""

    spec: TrackSpec
    pole: plate.Pole
    grid: Grid
    unit: str
    per_metre_year: float  # the track's unit per m/year
    outputs: dict
    compression: str = DEFAULT_COMPRESSION
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    block_pixels: int = DEFAULT_BLOCK_PIXELS


@dataclass
class PlateSummary:
    """What a removal did: the outputs, the removed LOS velocity's mean and range, the colour limit."""

    outputs: dict
    mean_removed: float = float("nan")
    range_removed: tuple = (float("nan"), float("nan"))
    limit: float = float("nan")


#: The pole of PLATE or EULER_POLE, the metadata value and the unit factor (``solve.plate``).
pole_of, plate_metadata, _unit_factor = plate.pole_of, plate.metadata, plate.unit_factor


@raises
def plan(req: PlateRequest) -> PlateJob:
    """Validate the request (pole, track, unit, outputs) before anything is written."""
    pole = pole_of(req.plate.strip(), req.euler_pole.strip())
    if not req.outputs.get(CORRECTED):
        raise PlateError("no output requested")
    r = resolve(req.track)
    unit = r.unit
    factor = _unit_factor(unit, r.spec.name)
    check_outputs_paths({k: v for k, v in req.outputs.items() if v}, [RasterRef(req.track.path)])
    info = raster_info(req.track.path, r.spec.name)
    grid = info.grid() if info.north_up else common_grid([info])
    job = PlateJob(r.spec, pole, grid, unit, factor, dict(req.outputs), req.compression, list(r.log), list(r.warnings))
    lat, lon, rate = pole.geographic
    job.log.append(f"plate motion: {pole.description}; pole {lat:.3f} N {lon:.3f} E, {rate:.4f} deg/Myr")
    job.log.append("plate motion: v = omega x r on the WGS84 ellipsoid at zero height, east/north/up (vertical "
                   "kept), projected on each pixel's LOS unit vector; plate boundaries are not checked")  # fmt: skip
    return job


def _band_specs(job):
    unit, has_sigma = job.unit, job.spec.sigma is not None
    specs = [BandSpec("LOS velocity, plate motion removed", unit, {TAG_ROLE: ROLE_VELOCITY})]
    if has_sigma:
        specs.append(BandSpec(label(APRIORI, "the LOS velocity", "the track's, unchanged"), unit,
                              {TAG_ROLE: ROLE_STD, TAG_SIGMA_KIND: APRIORI}))  # fmt: skip
    specs += [BandSpec(f"LOS unit vector {r[4:]} (ground to satellite)", "", {TAG_ROLE: r}) for r in ROLE_ENU]
    removed = [BandSpec("Plate velocity in the LOS (removed: input minus output)", unit)]
    return {CORRECTED: specs, PLATE_LOS: removed}


class _Readers:
    def __init__(self, job, run_):
        self.velocity = run_.open(job.spec.velocity)
        sigma = job.spec.sigma
        self.sigma = run_.open(sigma) if isinstance(sigma, RasterRef) else sigma
        self.geometry = GeometryReader(job.spec.geometry, run_.open)
        self.latlon = LatLon(job.grid)

    def read(self, win):
        sigma = self.sigma.read(*win) if isinstance(self.sigma, GridReader) else self.sigma
        return self.velocity.read(*win), sigma, self.geometry.read(*win), self.latlon.read(*win)


class PlateField:
    """The plate's (east, north, up) velocity in a unit (``per_metre_year``: that unit per m/yr)
    at the pixel centres of windows of ``grid``: what decompose removes from each track."""

    def __init__(self, pole: plate.Pole, grid: Grid, per_metre_year: float):
        self.pole, self.factor, self.latlon = pole, per_metre_year, LatLon(grid)

    def enu(self, win: tuple) -> tuple:
        lat, lon = self.latlon.read(*win)
        return tuple(c * self.factor for c in plate.velocity_enu(self.pole, lat, lon))


def plate_los(job: PlateJob, s: tuple, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The plate's velocity in the track's LOS sign and unit at the pixels."""
    sign = geometry.sign_factor(job.spec.los_sign)
    return plate.los(job.pole, lat, lon, s, sign) * job.per_metre_year


def _compute(job, win, data):
    value, sigma, s, (lat, lon) = data
    removed = plate_los(job, s, lat, lon)
    removed = np.where(np.isfinite(value), removed, np.nan)
    shape = value.shape
    bands = [value - removed]
    if job.spec.sigma is not None:
        bands.append(np.where(np.isfinite(value), np.broadcast_to(sigma, shape), np.nan))
    bands += [np.where(np.isfinite(value), np.broadcast_to(c, shape), np.nan) for c in s]
    return bands, removed


def _metadata(job):
    md = {TAG_PLATE_MODEL: plate_metadata(job.pole), TAG_LOS_SIGN: job.spec.los_sign, TAG_UNIT: job.unit,
          "LOSDECOMP_SOFTWARE": SOFTWARE, "LOSDECOMP_CREATED": created(),
          "LOSDECOMP_TRACKS": json.dumps([{"name": job.spec.name, "input": job.spec.velocity.path}])}  # fmt: skip
    return md


@raises
def run(job: PlateJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> PlateSummary:
    """Remove the plate's LOS velocity window by window; outputs appear only when complete."""
    summary = PlateSummary(outputs={})
    stats = [0.0, 0, np.inf, -np.inf]
    with Run(job.grid, DEFAULT_RESAMPLING, progress, is_cancelled) as run_:
        readers = _Readers(job, run_)
        writers = run_.create(job.outputs, _band_specs(job), _metadata(job), job.compression)

        def write(win, result):
            bands, removed = result
            for b, values in enumerate(bands, start=1):
                writers[CORRECTED].write(b, values, win[0], win[1])
            if PLATE_LOS in writers:
                writers[PLATE_LOS].write(1, removed, win[0], win[1])
            run_.sample(CORRECTED, bands[0])
            ok = removed[np.isfinite(removed)]
            if ok.size:
                stats[0], stats[1] = stats[0] + float(ok.sum()), stats[1] + ok.size
                stats[2], stats[3] = min(stats[2], float(ok.min())), max(stats[3], float(ok.max()))

        run_.stream(list(windows(job.grid, job.block_pixels)), readers.read, lambda w, d: _compute(job, w, d), write)
        summary.limit = run_.limit(CORRECTED)
        summary.outputs.update(run_.commit())
    if stats[1]:
        summary.mean_removed, summary.range_removed = stats[0] / stats[1], (float(stats[2]), float(stats[3]))
    return summary
