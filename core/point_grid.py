"""Points onto a regular grid (as EGMS builds its Ortho product): each cell's mean or median
LOS velocity, the mean LOS unit vector of its points as per-pixel geometry, the count, the
spread and the standard deviation, written as a tagged raster that decompose reads with no
angle typed; optionally the cells' mean time series from the date columns.

Cells are keyed by their index on a lattice anchored at the given extent's corner, else at
the CRS origin (multiples of the resolution), so that two tracks grid identically. Only
occupied cells are held while streaming: memory follows the cells, not the points (the
median also keeps 12 bytes per point: it cannot be streamed)."""

import json
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from . import geometry
from .engine import Cancelled, check_outputs_paths
from .gdal_mode import raises
from .grid import MAX_GRID_PIXELS, Grid, srs_from_wkt, transformer
from .model import COLOUR_PERCENTILE
from .points import LOOK, SIGMA, VELOCITY, PointError, PointFields, PointSource, resolve_fields
from .schema import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_DATE, TAG_ROLE, TAG_SOURCE, track_tags
from .tracks import check_angles
from .version import SOFTWARE, created
from .writer import DEFAULT_COMPRESSION, BandSpec, OutputSet

MEAN, MEDIAN = 0, 1
STATISTICS = {MEAN: "mean", MEDIAN: "median"}
DEFAULT_RESOLUTION_M = 100.0
METRES_PER_DEGREE = 111_320.0
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
    resolution: float = DEFAULT_RESOLUTION_M  # metres (converted to degrees for a geographic CRS)
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
    cell: float  # in target CRS units
    log: list
    warnings: list


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
    if not (math.isfinite(req.resolution) and req.resolution > 0):
        raise PointError(f"the resolution must be a positive number of metres, not {req.resolution}")
    if req.statistic not in STATISTICS:
        raise PointError(f"unknown statistic {req.statistic}: 0 mean, 1 median")
    if req.min_points < 1:
        raise PointError(f"the minimum number of points per cell must be at least 1, not {req.min_points}")
    if req.output_timeseries and not pf.dates:
        raise PointError(f"{src.label}: a time-series output needs date columns (YYYYMMDD), and there are none")
    crs = req.target_crs_wkt or src.crs_wkt
    if not crs:
        raise PointError(f"{src.label}: the points have no CRS; give TARGET_CRS")
    cell = req.resolution
    srs = srs_from_wkt(crs)
    if srs.IsGeographic():
        cell = req.resolution / METRES_PER_DEGREE
        log.append(f"grid: geographic CRS, {req.resolution:g} m taken as {cell:.6g} degrees")
    if req.extent is not None:
        x0, y0, x1, y1 = req.extent
        if not (x1 > x0 and y1 > y0):
            raise PointError("the extent is empty")
    outputs = {"output": req.output, "time series": req.output_timeseries}
    check_outputs_paths({k: v for k, v in outputs.items() if v}, [])
    log.append(
        f"grid: cells of {cell:g} target units, the {STATISTICS[req.statistic]} of at least {req.min_points} point(s)"
        + ("; aligned on the extent's corner" if req.extent else "; aligned on multiples of the cell size")
    )
    return GridPointsJob(req, pf, crs, cell, log, warnings)


class CellSums:
    """Sums per occupied cell, keyed by a sorted int64 cell key; merged chunk by chunk."""

    def __init__(self, names: list):
        self.names = names
        self.keys = np.empty(0, dtype=np.int64)
        self.sums = {n: np.empty(0) for n in names}

    def add(self, keys: np.ndarray, values: dict) -> None:
        u, inv = np.unique(keys, return_inverse=True)
        chunk = {n: np.bincount(inv, weights=values[n], minlength=u.size) for n in self.names}
        if self.keys.size == 0:
            self.keys, self.sums = u, chunk
            return
        merged = np.union1d(self.keys, u)
        old, new = np.searchsorted(merged, self.keys), np.searchsorted(merged, u)
        for n in self.names:
            total = np.zeros(merged.size)
            total[old] = self.sums[n]
            total[new] += chunk[n]
            self.sums[n] = total
        self.keys = merged


def _transform(ct, x, y):
    if ct is None:
        return x, y
    out = np.array(ct.TransformPoints(np.column_stack([x, y])), dtype=np.float64)
    return out[:, 0], out[:, 1]


@dataclass
class GridPointsSummary:
    """What a gridding run did."""

    outputs: dict
    points: int = 0
    used: int = 0
    cells: int = 0
    limit: float = float("nan")
    grid: Optional[Grid] = None


@raises
def run(job: GridPointsJob, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None
        ) -> GridPointsSummary:  # fmt: skip
    """Stream the points into cells, then write the outputs (nothing is left on failure)."""
    req, pf = job.req, job.fields
    src = req.source
    look = [pf.names[r] for r in LOOK] if pf.has_look_vector else []
    wanted = [pf.names[VELOCITY]] + ([pf.names[SIGMA]] if pf.names[SIGMA] else []) + look
    dates = [c for c, _ in pf.dates] if req.output_timeseries else []
    wanted += dates
    names = ["n", "v", "v2"] + (["s2"] if pf.names[SIGMA] else []) + (["e", "nn", "u"] if look else [])
    names += [f"d{i}" for i in range(len(dates))] + [f"c{i}" for i in range(len(dates))]
    sums = CellSums(names)
    medians = [] if req.statistic == MEDIAN else None
    ct = transformer(src.crs_wkt, job.crs_wkt)
    origin = (req.extent[0], req.extent[3]) if req.extent else (0.0, 0.0)
    summary = GridPointsSummary(outputs={})
    for batch in src.batches(wanted, (lambda f: progress(0.8 * f)) if progress else None):
        if is_cancelled is not None and is_cancelled():
            raise Cancelled("cancelled")
        summary.points += batch.x.size
        x, y = _transform(ct, batch.x, batch.y)
        v = batch.columns[pf.names[VELOCITY]]
        ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(v)
        if req.extent:
            ok &= (x >= req.extent[0]) & (x < req.extent[2]) & (y > req.extent[1]) & (y <= req.extent[3])
        if look:
            ok &= np.all([np.isfinite(batch.columns[c]) for c in look], axis=0)
        if not ok.any():
            continue
        ix = np.floor((x[ok] - origin[0]) / job.cell).astype(np.int64)
        iy = np.floor((origin[1] - y[ok]) / job.cell).astype(np.int64)
        keys = ((iy + _OFFSET) << 32) | (ix + _OFFSET)
        vv = v[ok]
        values = {"n": np.ones(vv.size), "v": vv, "v2": vv * vv}
        if pf.names[SIGMA]:
            s = batch.columns[pf.names[SIGMA]][ok]
            values["s2"] = np.where(np.isfinite(s), s * s, 0.0)
        if look:
            for k, c in zip(("e", "nn", "u"), look):
                values[k] = batch.columns[c][ok]
        for i, c in enumerate(dates):
            d = batch.columns[c][ok]
            values[f"d{i}"], values[f"c{i}"] = np.where(np.isfinite(d), d, 0.0), np.isfinite(d).astype(float)
        sums.add(keys, values)
        if medians is not None:
            medians.append((keys, vv.astype(np.float32)))
        summary.used += int(vv.size)
    if summary.used == 0:
        where = "inside the extent" if req.extent else "with coordinates and a velocity"
        raise PointError(f"{src.label}: no points {where} (of {summary.points} read); nothing was written")
    return _write(job, sums, medians, summary, progress, is_cancelled)


def _grid(job, keys):
    iy, ix = (keys >> 32) - _OFFSET, (keys & 0xFFFFFFFF) - _OFFSET
    req, cell = job.req, job.cell
    if req.extent:
        x0, y0 = req.extent[0], req.extent[3]
        col0 = row0 = 0
        width = int(math.ceil((req.extent[2] - req.extent[0]) / cell - 1e-9))
        height = int(math.ceil((req.extent[3] - req.extent[1]) / cell - 1e-9))
    else:
        x0 = y0 = 0.0
        col0, row0 = int(ix.min()), int(iy.min())
        width, height = int(ix.max()) - col0 + 1, int(iy.max()) - row0 + 1
    if width * height > MAX_GRID_PIXELS:
        raise PointError(f"the grid would have {width} x {height} cells; choose a coarser resolution or an extent")
    gt = (x0 + col0 * cell, cell, 0.0, y0 - row0 * cell, 0.0, -cell)
    return Grid(job.crs_wkt, gt, width, height), ix - col0, iy - row0


def _median(keys_values, cell_keys):
    keys = np.concatenate([k for k, _ in keys_values])
    vals = np.concatenate([v for _, v in keys_values])
    order = np.lexsort((vals, keys))
    keys, vals = keys[order], vals[order]
    starts = np.searchsorted(keys, cell_keys, side="left")
    ends = np.searchsorted(keys, cell_keys, side="right")
    lo, hi = starts + (ends - starts - 1) // 2, starts + (ends - starts) // 2
    return 0.5 * (vals[lo].astype(np.float64) + vals[hi])


def _cell_values(job, sums, medians):
    s, req = sums.sums, job.req
    n = s["n"]
    mean = s["v"] / n
    out = {"count": n, "velocity": _median(medians, sums.keys) if medians is not None else mean}
    out["spread"] = np.sqrt(np.maximum(s["v2"] / n - mean * mean, 0.0))
    if "s2" in s:
        # the points' typical standard deviation, not divided by sqrt(n): the points of a cell
        # share their atmosphere and reference, so their errors are not independent
        out["sigma"] = np.sqrt(s["s2"] / n)
    if "e" in s:
        e, nn, u = s["e"] / n, s["nn"] / n, s["u"] / n
        norm = np.sqrt(e * e + nn * nn + u * u)
        out["look"] = (e / norm, nn / norm, u / norm)
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


def _write(job, sums, medians, summary, progress, is_cancelled):
    req, src = job.req, job.req.source
    grid, cols, rows = _grid(job, sums.keys)
    cells = _cell_values(job, sums, medians)
    keep = cells["keep"]
    summary.cells, summary.grid = int(keep.sum()), grid
    if summary.cells == 0:
        raise PointError(f"{src.label}: no cell holds {req.min_points} points or more; nothing was written")
    unit = src.unit
    bands = [("velocity", BandSpec(f"LOS velocity ({STATISTICS[req.statistic]} of the cell's points)", unit,
                                   {TAG_ROLE: ROLE_VELOCITY}))]  # fmt: skip
    if "sigma" in cells:
        bands.append(("sigma", BandSpec("LOS velocity standard deviation", unit, {TAG_ROLE: ROLE_STD})))
    look = [(r, BandSpec(f"LOS unit vector {r[4:]} (mean of the cell's points)", "", {TAG_ROLE: r}))
            for r in ROLE_ENU] if "look" in cells else []  # fmt: skip
    bands += look
    bands.append(("count", BandSpec("Number of points", "", {TAG_ROLE: ROLE_COUNT})))
    bands.append(("spread", BandSpec("Standard deviation of the points' velocities", unit, {TAG_ROLE: ROLE_SPREAD})))
    tags = _tags(job, unit)
    paths, specs = {"output": req.output}, {"output": [b for _, b in bands]}
    if req.output_timeseries:
        ts_unit = "mm" if unit == "mm/year" else ""
        paths["time series"] = req.output_timeseries
        specs["time series"] = [BandSpec(d.strftime("%Y%m%d"), ts_unit, {TAG_DATE: d.strftime("%Y%m%d")})
                                for _, d in job.fields.dates] + [b for _, b in look]  # fmt: skip
    writers = OutputSet(paths, grid, specs, tags, req.compression)
    try:

        def dense(values):
            a = np.full((grid.height, grid.width), np.nan, dtype=np.float32)
            a[rows[keep], cols[keep]] = values[keep]
            return a

        look_arrays = dict(zip(ROLE_ENU, cells.get("look", ())))
        for i, (key, _) in enumerate(bands, start=1):
            a = dense(look_arrays[key] if key in look_arrays else cells[key])
            if key == "velocity":
                finite = np.abs(a[np.isfinite(a)])
                summary.limit = float(np.percentile(finite, COLOUR_PERCENTILE)) if finite.size else float("nan")
            writers["output"].write(i, a, 0, 0)
            writers["output"].flush()
        if req.output_timeseries:
            for i, values in enumerate(cells["dates"] + [look_arrays[r] for r in ROLE_ENU if look_arrays], start=1):
                if is_cancelled is not None and is_cancelled():
                    raise Cancelled("cancelled")
                writers["time series"].write(i, dense(values), 0, 0)
                writers["time series"].flush()
        if is_cancelled is not None and is_cancelled():
            raise Cancelled("cancelled")
        summary.outputs = writers.commit()
    except BaseException:
        writers.abort()
        raise
    if progress is not None:
        progress(1.0)
    return summary
