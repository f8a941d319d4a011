"""Points onto a regular grid (as EGMS builds its Ortho product): each cell's mean or median
LOS velocity, the mean LOS unit vector of its points as per-pixel geometry, the count, the
spread and the standard deviation, written as a tagged raster that decompose reads with no
angle typed; optionally the cells' mean time series from the date columns.

Cells are keyed by their index on a lattice anchored at the given extent's corner, else at
the CRS origin (multiples of the cell size), so that two tracks grid identically. The cell
size is in metres: in a geographic CRS, a cell spans more degrees of longitude than of
latitude, so that it is square on the ground at the grid's centre latitude. Only occupied
cells are held while streaming: memory follows the cells, not the points (the median spills
12 bytes per point to a temporary folder and sorts them a block of cells at a time:
samplers/cells.py).

A cell's uncertainty is the rule of every area (samplers/area.py): the value is the mean or
median of its valid members; the spread is their standard deviation; the a-priori sigma, the
one a decomposition weighs with, is ``uncertainty.aggregate_sigma``; the look vector the mean
of the points' unit vectors renormalised (``area.unit_vector``). Cells are streamed sums, not
windows of a raster, so they take that rule's parts rather than ``area.sample``.
``MEAN``, ``MEDIAN``, ``STATISTICS``, ``aggregate_sigma``, ``median_factor``, ``aggregate_how``
and ``AGGREGATE_OMITS`` live in conventions/uncertainty.py and keep their names here."""

import contextlib
import json
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from osgeo import osr

from ..conventions import geometry
from ..conventions.schema import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_DATE, TAG_ROLE, TAG_SOURCE, track_tags
from ..conventions.uncertainty import (  # noqa: F401 (MEAN ... median_factor re-exported: this module's names)
    AGGREGATE_OMITS,
    APRIORI,
    MEAN,
    MEDIAN,
    SPREAD,
    STATISTICS,
    TAG_SIGMA_KIND,
    aggregate_how,
    aggregate_sigma,
    label,
    median_factor,
)
from ..conventions.version import SOFTWARE, created
from ..io.gdal_mode import raises
from ..io.grid import MAX_GRID_PIXELS, Grid, srs_from_wkt, transformer
from ..io.points import LOOK, SIGMA, VELOCITY, PointBatch, PointError, PointFields, PointSource, resolve_fields
from ..io.writer import DEFAULT_COMPRESSION, BandSpec
from ..plan.tracks import check_angles
from ..samplers.area import SPREAD_HOW, unit_vector
from ..samplers.cells import CellMedians, CellSums, unique_cells, weighted_counts
from .engine import check_outputs_paths
from .lifecycle import Run

DEFAULT_RESOLUTION_M = 100.0
METRES_PER_DEGREE = 111_320.0  # nominal (the equator's degree of longitude); cells use the CRS's ellipsoid
MAX_LATITUDE = 85.0  # beyond, a cell square on the ground would span too many degrees of longitude
ROLE_COUNT, ROLE_SPREAD = "point_count", "velocity_spread"
_OFFSET = 1 << 30  # cell indices within +-2^30: keys stay below 2^62 (no int64 overflow)


@dataclass
class GridPointsRequest:
    """What the user asked for; ``fields`` maps roles (points.VELOCITY...) to names ('' = recognised)."""

    source: PointSource
    output: str
    fields: dict = field(default_factory=dict)
    heading: Optional[float] = None
    incidence: Optional[float] = None
    look_side: Optional[str] = None
    los_sign: str = geometry.TOWARD
    target_crs_wkt: str = ""
    resolution: float = DEFAULT_RESOLUTION_M  # metres on the ground, whatever the CRS's unit (see cell_steps)
    extent: Optional[tuple] = None  # xmin, ymin, xmax, ymax in the target CRS
    statistic: int = MEAN
    min_points: int = 1
    output_timeseries: str = ""
    compression: str = DEFAULT_COMPRESSION


@dataclass
class GridPointsJob:
    """A checked gridding: the request, the fields found, the target CRS and the cell size."""

    req: GridPointsRequest
    fields: PointFields
    crs_wkt: str
    cell: Optional[tuple]  # (x step, y step) in target CRS units; None until the points' latitude is known
    log: list
    warnings: list


def metres_per_unit(srs: osr.SpatialReference, latitude: float = 0.0) -> tuple:
    """(east-west, north-south) metres per CRS unit: a projected CRS's linear unit on both
    axes; for a geographic CRS, a unit of longitude and one of latitude on its ellipsoid at
    ``latitude`` (degrees)."""
    if not srs.IsGeographic():
        m = srs.GetLinearUnits()
        return m, m
    a, b = srs.GetSemiMajor(), srs.GetSemiMinor()
    e2 = 1.0 - (b / a) ** 2
    phi = math.radians(latitude)
    w = math.sqrt(1.0 - e2 * math.sin(phi) ** 2)
    rad = srs.GetAngularUnits()  # radians per unit
    return a * math.cos(phi) / w * rad, a * (1.0 - e2) / w**3 * rad


def cell_steps(crs_wkt: str, resolution: float, latitude: Optional[float], log: list) -> tuple:
    """(x step, y step) in the CRS's units of cells ``resolution`` metres on a side (at
    ``latitude``, the grid's centre, in a geographic CRS); said in ``log``."""
    srs = srs_from_wkt(crs_wkt)
    if srs.IsGeographic() and not abs(latitude) <= MAX_LATITUDE:
        raise PointError(
            f"the grid's centre is at latitude {latitude:.2f}: cells in degrees cannot be square on the ground "
            f"beyond {MAX_LATITUDE:g} degrees; give a projected TARGET_CRS (e.g. a polar stereographic)"
        )
    mx, my = metres_per_unit(srs, latitude or 0.0)
    cx, cy = resolution / mx, resolution / my
    if srs.IsGeographic():
        log.append(
            f"grid: geographic CRS; {resolution:g} m cells at latitude {latitude:.4f} (the grid's centre) are "
            f"{cx:.6g} degrees east-west and {cy:.6g} degrees north-south, square on the ground there"
        )
    elif mx != 1.0:
        log.append(f"grid: the CRS's unit is {mx:g} m: {resolution:g} m cells are {cx:.6g} of its units")
    return cx, cy


@raises
def plan(req: GridPointsRequest) -> GridPointsJob:
    """Every check that needs no pass over the points; nothing is written."""
    src = req.source
    pf, log = resolve_fields(list(src.names), req.fields, src.label)
    warnings = []
    if not pf.has_look_vector:
        if req.heading is None or req.incidence is None:
            raise PointError(
                f"{src.label}: the points carry no look vector (los_east/los_north/los_up fields): give HEADING and "
                "INCIDENCE"
            )
        warnings += check_angles(src.label, req.heading, req.incidence)
    _check_request(req, pf)
    crs = req.target_crs_wkt or src.crs_wkt
    if not crs:
        raise PointError(f"{src.label}: the points have no CRS; give TARGET_CRS")
    cell = None
    if req.extent is not None or not srs_from_wkt(crs).IsGeographic():
        latitude = 0.5 * (req.extent[1] + req.extent[3]) if req.extent is not None else None
        cell = cell_steps(crs, req.resolution, latitude, log)
    else:
        log.append("grid: geographic CRS without EXTENT: the cells' size in degrees follows the points' centre "
                   "latitude, so two tracks grid identically only when given the same EXTENT")  # fmt: skip
    if pf.names[SIGMA]:
        log.append(f"sigma: each cell's a-priori sigma is the {aggregate_how('points', req.statistic)} "
                   f"({AGGREGATE_OMITS})")  # fmt: skip
    outputs = {"output": req.output, "time series": req.output_timeseries}
    check_outputs_paths({k: v for k, v in outputs.items() if v}, [])
    log.append(
        f"grid: cells of {req.resolution:g} m, the {STATISTICS[req.statistic]} of at least {req.min_points} point(s)"
        + ("; aligned on the extent's corner" if req.extent else "; aligned on multiples of the cell size")
    )
    return GridPointsJob(req, pf, crs, cell, log, warnings)


def _check_request(req, pf):
    if not (math.isfinite(req.resolution) and req.resolution > 0):
        raise PointError(f"the resolution must be a positive number of metres, not {req.resolution}")
    if req.statistic not in STATISTICS:
        raise PointError(f"unknown statistic {req.statistic}: 0 mean, 1 median")
    if req.min_points < 1:
        raise PointError(f"the minimum number of points per cell must be at least 1, not {req.min_points}")
    if req.output_timeseries and not pf.dates:
        raise PointError(f"{req.source.label}: a time-series output needs date columns (YYYYMMDD), and there are none")
    if req.extent is not None:
        x0, y0, x1, y1 = req.extent
        if not (x1 > x0 and y1 > y0):
            raise PointError("the extent is empty")


def _centre_latitude(src, crs_wkt, box=None):
    """The latitude of the centre of the points' bounding box (``box``, else the source's) in
    ``crs_wkt`` (geographic): the box's outline, densified, transformed."""
    box = src.bounds() if box is None else box
    if box is None:
        raise PointError(f"{src.label}: no points with coordinates; nothing was written")
    x0, y0, x1, y1 = box
    f = np.linspace(0.0, 1.0, 21)
    xs = np.concatenate([x0 + f * (x1 - x0), x0 + f * (x1 - x0), np.full(21, x0), np.full(21, x1)])
    ys = np.concatenate([np.full(21, y0), np.full(21, y1), y0 + f * (y1 - y0), y0 + f * (y1 - y0)])
    _, lat = _transform(transformer(src.crs_wkt, crs_wkt), xs, ys)
    lat = lat[np.isfinite(lat)]
    if lat.size == 0:
        raise PointError(f"{src.label}: the points' extent cannot be transformed to the target CRS")
    return 0.5 * float(lat.min() + lat.max())


def _transform(ct, x, y):
    if ct is None:
        return x, y
    out = np.array(ct.TransformPoints(np.column_stack([x, y])), dtype=np.float64)
    return out[:, 0], out[:, 1]


@dataclass
class GridPointsSummary:
    """What a gridding run did; ``log``: what it decided while reading the points."""

    outputs: dict
    points: int = 0
    used: int = 0
    cells: int = 0
    limit: float = float("nan")
    grid: Optional[Grid] = None
    log: list = field(default_factory=list)


@dataclass
class Columns:
    """The columns a gridding reads (``wanted``) and the sums it keeps per cell (``sums``):
    what a caller reading the points itself (the command line on Dask) asks for."""

    velocity: str
    sigma: Optional[str]
    look: list
    dates: list

    @classmethod
    def of(cls, job: GridPointsJob) -> "Columns":
        pf = job.fields
        look = [pf.names[r] for r in LOOK] if pf.has_look_vector else []
        dates = [c for c, _ in pf.dates] if job.req.output_timeseries else []
        return cls(pf.names[VELOCITY], pf.names[SIGMA] or None, look, dates)

    @property
    def wanted(self) -> list:
        return [self.velocity] + ([self.sigma] if self.sigma else []) + self.look + self.dates

    @property
    def sums(self) -> list:
        names = ["n", "v", "v2"] + (["s2", "ns"] if self.sigma else []) + (["e", "nn", "u"] if self.look else [])
        return names + [f"d{i}" for i in range(len(self.dates))] + [f"c{i}" for i in range(len(self.dates))]


def _finite_sums(values, prefix_sum, prefix_count, a):
    """Sum of the finite values of ``a`` and their count: a NaN is missing, never zero (no NaN:
    ``a`` itself, and None, one per point, for the count: ``cells.weighted_counts``)."""
    ok = np.isfinite(a)
    if ok.all():
        values[prefix_sum], values[prefix_count] = a, None
    else:
        values[prefix_sum], values[prefix_count] = np.where(ok, a, 0.0), ok.astype(float)


def _batch_cells(job, cols, batch, ct):
    """(cell keys, {sum name: values}) of a batch's usable points."""
    req = job.req
    x, y = _transform(ct, batch.x, batch.y)
    v = batch.columns[cols.velocity]
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(v)
    if req.extent:
        ok &= (x >= req.extent[0]) & (x < req.extent[2]) & (y > req.extent[1]) & (y <= req.extent[3])
    for c in cols.look:
        ok &= np.isfinite(batch.columns[c])
    origin = (req.extent[0], req.extent[3]) if req.extent else (0.0, 0.0)
    ok = slice(None) if ok.all() else ok  # every point usable (the rule in EGMS files): views, no copies
    ix = np.floor((x[ok] - origin[0]) / job.cell[0]).astype(np.int64)
    iy = np.floor((origin[1] - y[ok]) / job.cell[1]).astype(np.int64)
    vv = v[ok]
    values = {"n": None, "v": vv, "v2": vv * vv}  # None: one per point (cells.weighted_counts)
    if cols.sigma:
        s = batch.columns[cols.sigma][ok]
        _finite_sums(values, "s2", "ns", s * s)
    for k, c in zip(("e", "nn", "u"), cols.look):
        values[k] = batch.columns[c][ok]
    for i, c in enumerate(cols.dates):
        _finite_sums(values, f"d{i}", f"c{i}", batch.columns[c][ok])
    return ((iy + _OFFSET) << 32) | (ix + _OFFSET), values


@raises
def settle_cell(job: GridPointsJob, log: list, bounds: Optional[tuple] = None) -> None:
    """The cell size in a geographic CRS without an extent (``job.cell`` is None until then),
    from the centre latitude of the points' bounding box: ``bounds`` (xmin, ymin, xmax, ymax
    in the points' CRS, as a caller that read them found it), else the source's; said in ``log``."""
    latitude = _centre_latitude(job.req.source, job.crs_wkt, bounds)
    job.cell = cell_steps(job.crs_wkt, job.req.resolution, latitude, log)


@raises
def cell_sums(job: GridPointsJob, batch: PointBatch) -> tuple:
    """(sorted occupied cell keys, {sum name: per-cell sums}) of one batch of points (the
    columns ``Columns.of(job).wanted``): the run's cell keys, transform and finite-value rules,
    each cell's sums added in point order. Batches' sums add per key; ``write_sums`` writes
    their total. Needs ``job.cell`` (``settle_cell`` first when it is None)."""
    cols = Columns.of(job)
    keys, values = _batch_cells(job, cols, batch, transformer(job.req.source.crs_wkt, job.crs_wkt))
    u, inv = unique_cells(keys)
    return u, {n: np.array(a, dtype=np.float64) for n, a in weighted_counts(inv, values, cols.sums, u.size)}


@raises
def write_sums(job: GridPointsJob, keys: np.ndarray, sums: dict, points: int = 0, log: Optional[list] = None
               ) -> GridPointsSummary:  # fmt: skip
    """The outputs written from every batch's ``cell_sums`` added per cell key (each key
    once; ``points``: how many points were read, for the summary; ``log``: lines said before,
    e.g. by ``settle_cell``): the same grid as ``run`` writes from the same points (the mean)."""
    if job.req.statistic != MEAN:
        raise PointError(f"the {STATISTICS[job.req.statistic]} of a cell cannot be written from its sums (mean only)")
    summary = GridPointsSummary(outputs={}, points=int(points), log=list(log or []))
    summary.used = int(np.sum(sums["n"])) if len(keys) else 0
    if summary.used == 0:
        _nothing_used(job, summary)
    cells = CellSums(Columns.of(job).sums)
    cells.keys = np.asarray(keys, dtype=np.int64)
    cells.sums = {n: np.asarray(sums[n], dtype=np.float64) for n in cells.names}
    with Run() as run:
        return _write(run, job, cells, None, summary)


def _nothing_used(job, summary):
    where = "inside the extent" if job.req.extent else "with coordinates and a velocity"
    raise PointError(f"{job.req.source.label}: no points {where} (of {summary.points} read); nothing was written")


@raises
def run(job: GridPointsJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None
        ) -> GridPointsSummary:  # fmt: skip
    """Stream the points into cells, then write the outputs (nothing is left on failure)."""
    req, src = job.req, job.req.source
    summary = GridPointsSummary(outputs={})
    if job.cell is None:
        settle_cell(job, summary.log)
    cols = Columns.of(job)
    sums = CellSums(cols.sums)
    ct = transformer(src.crs_wkt, job.crs_wkt)
    spill = CellMedians() if req.statistic == MEDIAN else contextlib.nullcontext()
    with spill as medians, Run(progress=progress, is_cancelled=is_cancelled) as run:
        for batch in src.batches(cols.wanted, (lambda f: progress(0.8 * f)) if progress else None):
            run.check()
            summary.points += batch.x.size
            keys, values = _batch_cells(job, cols, batch, ct)
            if keys.size == 0:
                continue
            sums.add(keys, values)
            if medians is not None:
                medians.add(keys, values["v"].astype(np.float32))
            summary.used += int(keys.size)
        if summary.used == 0:
            _nothing_used(job, summary)
        return _write(run, job, sums, medians, summary)


def _grid(job, keys):
    iy, ix = (keys >> 32) - _OFFSET, (keys & 0xFFFFFFFF) - _OFFSET
    req, (cx, cy) = job.req, job.cell
    if req.extent:
        x0, y0 = req.extent[0], req.extent[3]
        col0 = row0 = 0
        width = int(math.ceil((req.extent[2] - req.extent[0]) / cx - 1e-9))
        height = int(math.ceil((req.extent[3] - req.extent[1]) / cy - 1e-9))
    else:
        x0 = y0 = 0.0
        col0, row0 = int(ix.min()), int(iy.min())
        width, height = int(ix.max()) - col0 + 1, int(iy.max()) - row0 + 1
    if width * height > MAX_GRID_PIXELS:
        raise PointError(f"the grid would have {width} x {height} cells; choose a coarser resolution or an extent")
    gt = (x0 + col0 * cx, cx, 0.0, y0 - row0 * cy, 0.0, -cy)
    return Grid(job.crs_wkt, gt, width, height), ix - col0, iy - row0


def _cell_values(job, sums, medians):
    s, req = sums.sums, job.req
    n = s["n"]
    mean = s["v"] / n
    out = {"count": n, "velocity": medians.medians(sums.keys, n) if medians is not None else mean}
    out["spread"] = np.sqrt(np.maximum(s["v2"] / n - mean * mean, 0.0))
    if "s2" in s:
        out["sigma"] = aggregate_sigma(s["s2"], s["ns"], n, req.statistic)
    if "e" in s:
        out["look"] = unit_vector(s["e"] / n, s["nn"] / n, s["u"] / n)
    out["dates"] = [
        np.where(s[f"c{i}"] > 0, s[f"d{i}"] / np.maximum(s[f"c{i}"], 1), np.nan)
        for i in range(len(job.fields.dates) if req.output_timeseries else 0)
    ]
    out["keep"] = n >= req.min_points
    return out


def _tags(job, unit):
    req, src = job.req, job.req.source
    heading = incidence = None
    if not job.fields.has_look_vector:
        heading, incidence = req.heading, req.incidence
    tags = track_tags(heading, incidence, req.look_side, req.los_sign, unit)
    tags[TAG_SOURCE] = f"points: {src.label}"
    tags["LOSDECOMP_SOFTWARE"] = SOFTWARE
    tags["LOSDECOMP_CREATED"] = created()
    tags["LOSDECOMP_POINTS"] = json.dumps({
        "input": src.label, "statistic": STATISTICS[req.statistic], "cell": job.cell,
        "resolution_m": req.resolution, "min_points": req.min_points, "fields": job.fields.names,
    })  # fmt: skip
    return tags


def _bands(job, cells, unit):
    """[(key, BandSpec)] of the gridded track: velocity, its a-priori sigma, look vector,
    count and spread, each saying which kind of number it is."""
    statistic = STATISTICS[job.req.statistic]
    bands = [("velocity", BandSpec(f"LOS velocity ({statistic} of the cell's points)", unit,
                                   {TAG_ROLE: ROLE_VELOCITY}))]  # fmt: skip
    if "sigma" in cells:
        text = label(APRIORI, f"the cell's {statistic} LOS velocity", aggregate_how("points", job.req.statistic))
        bands.append(("sigma", BandSpec(text, unit, {TAG_ROLE: ROLE_STD, TAG_SIGMA_KIND: APRIORI})))
    if "look" in cells:
        bands += [(r, BandSpec(f"LOS unit vector {r[4:]} (mean of the cell's points)", "", {TAG_ROLE: r}))
                  for r in ROLE_ENU]  # fmt: skip
    bands.append(("count", BandSpec("Number of points", "", {TAG_ROLE: ROLE_COUNT})))
    spread = label(SPREAD, "the cell's points' LOS velocities", SPREAD_HOW)
    bands.append(("spread", BandSpec(spread, unit, {TAG_ROLE: ROLE_SPREAD, TAG_SIGMA_KIND: SPREAD})))
    return bands


def _write(run, job, sums, medians, summary):
    """The outputs, created, written and committed through ``run``."""
    req, src = job.req, job.req.source
    grid, cols, rows = _grid(job, sums.keys)
    cells = _cell_values(job, sums, medians)
    keep = cells["keep"]
    summary.cells, summary.grid = int(keep.sum()), grid
    if summary.cells == 0:
        raise PointError(f"{src.label}: no cell holds {req.min_points} points or more; nothing was written")
    if "sigma" in cells:
        missing = int((keep & ~np.isfinite(cells["sigma"])).sum())
        if missing:
            summary.log.append(f"sigma: {missing} cells have no point with a sigma: their sigma is nodata")
    bands = _bands(job, cells, src.unit)
    look = [(k, b) for k, b in bands if k in ROLE_ENU]
    paths, specs = {"output": req.output}, {"output": [b for _, b in bands]}
    if req.output_timeseries:
        ts_unit = "mm" if src.unit == "mm/year" else ""
        paths["time series"] = req.output_timeseries
        specs["time series"] = [BandSpec(d.strftime("%Y%m%d"), ts_unit, {TAG_DATE: d.strftime("%Y%m%d")})
                                for _, d in job.fields.dates] + [b for _, b in look]  # fmt: skip
    writers = run.create(paths, specs, _tags(job, src.unit), req.compression, grid=grid)

    def dense(values):
        a = np.full((grid.height, grid.width), np.nan, dtype=np.float32)
        a[rows[keep], cols[keep]] = values[keep]
        return a

    _write_all(run, writers, bands, cells, dense)
    summary.limit = run.limit("velocity")
    summary.outputs = run.commit()
    run.report(1.0)
    return summary


def _write_all(run, writers, bands, cells, dense):
    """Every band of the track (and of its time series, when asked) into ``writers``; the
    velocity sampled for its colour limit."""
    look_arrays = dict(zip(ROLE_ENU, cells.get("look", ())))
    for i, (key, _) in enumerate(bands, start=1):
        a = dense(look_arrays[key] if key in look_arrays else cells[key])
        if key == "velocity":
            run.sample("velocity", a, stride=1)
        writers["output"].write(i, a, 0, 0)
        writers["output"].flush()
    if cells["dates"]:
        for i, values in enumerate(cells["dates"] + [look_arrays[r] for r in ROLE_ENU if look_arrays], start=1):
            run.check()
            writers["time series"].write(i, dense(values), 0, 0)
            writers["time series"].flush()
    run.check()
