"""The runs of ``losdecomp:sample_timeseries`` (every layer's series at points, a long table
and one picture per point) and ``losdecomp:export_points_timeseries`` (a stack's series at
points or every n-th pixel, in the layout of MintPy's ``save_qgis`` and QGIS's InSAR
time-series viewers). Both read only the windows they need (samplers/series.py)."""

import datetime
import os
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import numpy as np

from ..conventions import dates as dates_
from ..conventions import units
from ..conventions.errors import TimeSeriesError
from ..io import series_plot
from ..io.grid import crs_units
from ..samplers import series as ts
from ..solve import velocity
from .lifecycle import Run


@dataclass
class SampleRequest:
    """``inputs`` [(path, name)], ``points`` [(point_id, x, y)] in ``points_crs_wkt``."""

    inputs: list
    points: list
    points_crs_wkt: str
    radius: float = 0.0
    reference: Optional[ts.Target] = None
    reference_date: Optional[datetime.date] = None
    plot_folder: str = ""
    plot_format: str = "png"


@dataclass
class SampleResult:
    """The long table's rows (point_id, layer, date, value, sigma, count, spread), the series
    per point, the pictures written, and what the log says."""

    rows: list = field(default_factory=list)
    series: dict = field(default_factory=dict)
    plots: list = field(default_factory=list)
    log: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def open_layers(inputs: list, reference_date: Optional[datetime.date] = None) -> list:
    """Every input as a series layer (metadata only), sigma stacks paired with their values;
    TimeSeriesError naming the layer without dates, or whose dates miss the reference date."""
    if not inputs:
        raise TimeSeriesError("INPUTS: give at least one time-series raster")
    layers = ts.pair_sigmas(ts.distinct_names([ts.open_layer(path, name) for path, name in inputs]))
    for layer in layers if reference_date else ():
        if not layer.is_sigma:
            ts.check_reference_date(layer, reference_date)
    return layers


def check(req: SampleRequest) -> list:
    """The layers, checked before any pixel is read."""
    if req.radius < 0:
        raise TimeSeriesError(f"RADIUS must be zero or positive, not {req.radius}")
    if req.plot_folder:
        series_plot.require_matplotlib()
        if req.plot_format not in series_plot.FORMATS:
            raise TimeSeriesError(f"unknown picture format {req.plot_format!r}: png or svg")
    return open_layers(req.inputs, req.reference_date)


def layer_log(layers: list) -> list:
    """One line per layer: its dates and where its sigma comes from."""
    return [f"{la.name}: {len(la.dates)} dates, {la.dates[0]} to {la.dates[-1]}, unit {la.unit or 'unknown'}; "
            f"sigma: {la.sigma_source or 'none'}" for la in layers]  # fmt: skip


def series_at(layer: ts.SeriesLayer, target: ts.Target, reference: Optional[np.ndarray],
              reference_date: Optional[datetime.date], envelope: bool = False) -> Optional[ts.Series]:  # fmt: skip
    """The statistic series at the target, then referenced, then zeroed (a sigma stack is
    neither); None off the layer or when the reference date lies outside the valid dates there."""
    return series_or_why(layer, target, reference, reference_date, envelope)[0]


def series_or_why(layer: ts.SeriesLayer, target: ts.Target, reference: Optional[np.ndarray],
                  reference_date: Optional[datetime.date], envelope: bool = False) -> tuple:  # fmt: skip
    """(series, why): :func:`series_at`'s series, or None with why: "" off the layer, else
    that the reference date lies outside the dates with a valid value there (a zero date on
    a nodata date inside them is interpolated)."""
    s = ts.sample_series(layer, target, envelope)
    if s is None or layer.is_sigma:
        return s, ""
    if reference is not None:
        s = ts.referenced(s, reference)
    if reference_date is None or not s.valid.any():
        return s, ""
    zeroed = ts.zeroed(s, reference_date)
    if zeroed is None:
        when = [d for d, ok in zip(s.dates, s.valid) if ok]
        return None, (f"{layer.name}: no value on both sides of {reference_date} there (valid from {when[0]} "
                      f"to {when[-1]}): left out")  # fmt: skip
    return zeroed, ""


def reference_gaps(layer: ts.SeriesLayer, values: Optional[np.ndarray], reference: Optional[ts.Target]) -> str:
    """What the reference's series lacks on the layer: "" when it has a value on every date."""
    if values is None or reference is None or np.isfinite(values).all():
        return ""
    said = f"{layer.name}: the reference ({reference.text}) has no data on"
    if not np.isfinite(values).any():
        return f"{said} any date: no value relative to it"
    gaps = [d.isoformat() for d, v in zip(layer.dates, values) if not np.isfinite(v)]
    return f"{said} {', '.join(gaps)}: no value on {'that date' if len(gaps) == 1 else 'those dates'}"


def _rows(point_id, s):
    return [(point_id, s.layer, d.isoformat(), float(s.value[k]), _num(s.sigma[k]), int(s.count[k]),
             float(s.spread[k])) for k, d in enumerate(s.dates) if np.isfinite(s.value[k])]  # fmt: skip


def _num(v):
    return float(v) if np.isfinite(v) else None


def sample(req: SampleRequest, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None
           ) -> SampleResult:  # fmt: skip
    """Every layer's series at every point (see samplers/series.py for the definitions)."""
    layers = check(req)
    out = SampleResult(log=layer_log(layers))
    refs = _references(req, layers, out)
    out.warnings += radius_units(req, layers)
    with Run(None, progress=progress, is_cancelled=is_cancelled) as run:
        for point_id, x, y in run.each(req.points):
            target = ts.Target(req.points_crs_wkt, x, y, req.radius)
            got = _at_point(req, layers, refs, point_id, target, out)
            if got:
                out.series[point_id] = got
                out.rows += [r for s in got for r in _rows(point_id, s)]
            if got and req.plot_folder:
                out.plots.append(_plot(run, req, point_id, target, got))
    out.log.append(f"{len(out.rows)} rows for {len(out.series)} of {len(req.points)} points")
    return out


def radius_units(req: SampleRequest, layers: list) -> list:
    """A warning when RADIUS (or the reference's radius) is used on layers whose CRSs have
    different units: it is read in each layer's own units (metres on one, degrees on another)."""
    used = [f"RADIUS {req.radius:g}"] if req.radius > 0 else []
    if req.reference is not None and req.reference.radius > 0 and not req.reference.polygon_wkt:
        used.append(f"REFERENCE_RADIUS {req.reference.radius:g}")
    found = {la.name: crs_units(la.grid.crs_wkt) for la in layers}
    if not used or len(set(found.values())) < 2:
        return []
    each = "; ".join(f"{name}: {unit}" for name, unit in found.items())
    return [f"{' and '.join(used)} is read in each layer's own CRS units, and these differ ({each}): the same "
            "number is not the same distance on every layer"]  # fmt: skip


def _references(req, layers, out):
    """The reference's series on each layer (None for sigma stacks: never referenced); the
    log says what is left as it is and where the reference has no data."""
    refs = [ts.reference_values(la, req.reference) if req.reference and not la.is_sigma else None for la in layers]
    if req.reference or req.reference_date:
        out.log += [f"{la.name}: a sigma stack: not referenced nor zeroed" for la in layers if la.is_sigma]
    out.warnings += [g for g in (reference_gaps(la, ref, req.reference) for la, ref in zip(layers, refs)) if g]
    return refs


def _at_point(req, layers, refs, point_id, target, out):
    """The series of every layer at one point; the warnings say which layer is left out and
    why, or that the point is outside every layer."""
    found = [series_or_why(la, target, ref, req.reference_date) for la, ref in zip(layers, refs)]
    if all(s is None and not why for s, why in found):
        out.warnings.append(f"point {point_id} ({target.x:.6g}, {target.y:.6g}) is outside every layer: skipped")
    out.warnings += [f"point {point_id}: {why}" for _, why in found if why]
    return [s for s, _ in found if s is not None]


def _plot(run, req, point_id, target, got):
    figure = series_plot.new_figure()
    series_plot.draw(figure, got, f"point {point_id}: {target.text}")
    path = os.path.join(req.plot_folder, f"point_{point_id}.{req.plot_format}")
    os.makedirs(req.plot_folder, exist_ok=True)
    return run.add(path, series_plot.PlotFile(path, figure)).path


# --- export_points_timeseries ------------------------------------------------------------------


@dataclass
class ExportRequest:
    """One stack; ``points`` [(x, y)] in ``points_crs_wkt``, or every ``step``-th pixel."""

    path: str
    name: str = ""
    points: Optional[list] = None
    points_crs_wkt: str = ""
    step: int = 1


@dataclass
class ExportResult:
    """Features at pixel centres (layer CRS): ``index`` the input point of each (None with
    STEP), ``x``/``y``, ``vel``/``v_stdev`` (mm/yr), ``values`` (features, dates) in mm."""

    crs_wkt: str
    date_fields: list
    index: list
    x: np.ndarray
    y: np.ndarray
    vel: np.ndarray
    v_stdev: np.ndarray
    values: np.ndarray
    log: list
    warnings: list


def date_field(d: datetime.date) -> str:
    """``DYYYYMMDD``, the field of one date."""
    return "D" + dates_.compact(d)


def _to_mm(layer):
    f = units.factor(layer.unit, "mm") if layer.unit else None
    if f is None:
        raise TimeSeriesError(f"{layer.name}: its unit ({layer.unit or 'none found'}) is not a length: cannot "
                              "convert to mm (set INSAR_UNIT, e.g. m or mm)")  # fmt: skip
    return f


def _pixels_at(layer, req, warnings):
    index, cols, rows = [], [], []
    for i, (x, y) in enumerate(req.points):
        area = ts.area_of(layer, ts.Target(req.points_crs_wkt, x, y))
        if area is None:
            warnings.append(f"point {i + 1} ({x:.6g}, {y:.6g}) is outside {layer.name}: skipped")
            continue
        index.append(i)
        cols.append(area.window[0])
        rows.append(area.window[1])
    return index, cols, rows


#: The most bytes of values (float64, features x dates) one part of :func:`export_parts`
#: holds: 32 MB, about 21 000 features at 200 dates (a part holds one row at least).
PART_BYTES = 32 * 2**20


def export(req: ExportRequest, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None
           ) -> ExportResult:  # fmt: skip
    """The stack's series at the points (the pixel under each) or every ``step``-th pixel
    from the first row and column, nodata pixels skipped; values in mm, VEL the
    least-squares linear rate (mm/yr) over the valid dates and V_STDEV its fit sigma.
    Every feature in memory at once: :func:`export_parts` (the parts joined)."""
    return join_parts(list(export_parts(req, progress, is_cancelled)))


def join_parts(parts: list) -> ExportResult:
    """The parts of :func:`export_parts` as one result (their features in order)."""
    first = parts[0]
    values = np.concatenate([p.values for p in parts]).reshape(-1, len(first.date_fields))
    return ExportResult(first.crs_wkt, first.date_fields, [i for p in parts for i in p.index],
                        np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]),
                        np.concatenate([p.vel for p in parts]), np.concatenate([p.v_stdev for p in parts]),
                        values, [line for p in parts for line in p.log],
                        [w for p in parts for w in p.warnings])  # fmt: skip


def export_parts(req: ExportRequest, progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None,
                 part_bytes: Optional[int] = None) -> Iterator[ExportResult]:  # fmt: skip
    """:func:`export`'s features a band of rows at a time, each part at most ``part_bytes``
    of values (:data:`PART_BYTES` unless given; one row of every ``step``-th pixel at least), then a last part without
    features holding the log and the warnings. VEL and V_STDEV are fitted feature by
    feature, so the parts joined are :func:`export`'s result. With points, one part holds
    every point's series (one per point given: as many as the caller holds already)."""
    layer = ts.open_layer(req.path, req.name)
    factor = _to_mm(layer)
    if req.points is None and req.step < 1:
        raise TimeSeriesError(f"STEP must be 1 or more, not {req.step}")
    warnings, count = [], 0
    with Run(layer.grid, progress=progress, is_cancelled=is_cancelled) as run:
        stack = run.open_stack(layer.path, layer.bands, factor, layer.name)
        if req.points is not None:
            found = [_at_points(layer, req, stack, run, warnings)]
        else:
            found = _every_nth(layer, stack, req.step, run, part_bytes or PART_BYTES)
        for index, cols, rows, values in found:
            count += len(index)
            yield _part(layer, index, np.asarray(cols), np.asarray(rows), values, [], [])
    log = [f"{layer.name}: {len(layer.dates)} dates, {layer.unit} x {factor:g} -> mm; {count} features"]
    yield _part(layer, [], np.zeros(0, int), np.zeros(0, int), np.zeros((0, len(layer.dates))), log, warnings)


def _at_points(layer, req, stack, run, warnings):
    """(index, cols, rows, values) of the points on valid pixels; the warnings name the others."""
    index, cols, rows = _pixels_at(layer, req, warnings)
    values = [stack.read(c, r, 1, 1)[:, 0, 0] for c, r in run.each(list(zip(cols, rows)))]
    values = np.array(values, dtype=np.float64).reshape(len(cols), len(layer.dates))
    keep = np.isfinite(values).any(axis=1)
    warnings += [f"point {index[k] + 1} is on nodata: skipped" for k in np.flatnonzero(~keep)]
    return [i for i, k in zip(index, keep) if k], np.asarray(cols)[keep], np.asarray(rows)[keep], values[keep]


def _part(layer, index, cols, rows, values, log, warnings):
    """One part: its features at pixel centres, their rate and its fit sigma."""
    a = velocity.design_matrix(layer.dates, velocity.LINEAR, [])
    vel, sig, _ = velocity.fit(values.T, a)
    vel, sig = _few_dates(layer.dates, values, vel.astype(float), sig.astype(float))
    x0, dx, _, y0, _, dy = layer.grid.geotransform
    x, y = x0 + (cols + 0.5) * dx, y0 + (rows + 0.5) * dy
    fields = [date_field(d) for d in layer.dates]
    return ExportResult(layer.grid.crs_wkt, fields, index, x, y, vel, sig, values, log, warnings)


def _few_dates(dates, values, vel, sig):
    """VEL from 2 valid dates and V_STDEV from 3 where the block fit (4 or more) gives none."""
    valid = np.isfinite(values)
    for k in np.flatnonzero(~np.isfinite(vel) & (valid.sum(axis=1) >= 2)):
        when = [d for d, ok in zip(dates, valid[k]) if ok]
        vel[k], sig[k] = ts.few_dates_fit(when, values[k, valid[k]])
    return vel, sig


#: The width of the windows a band of rows is read in: one 256-pixel tile, so that reading
#: never holds a whole row of tiles (16 tiles of 52 MB at 200 dates x 4000 pixels).
READ_COLUMNS = 256


def _every_nth(layer, stack, step, run, part_bytes):
    """(None-index, cols, rows, values) of every ``step``-th pixel of every ``step``-th row
    (nodata pixels left out), a band of rows at a time: at most ``part_bytes`` of values (one
    row at least), read in windows :data:`READ_COLUMNS` wide."""
    width, lattice = layer.grid.width, range(0, layer.grid.height, step)
    picked = np.arange(0, width, step)
    band = max(1, part_bytes // (8 * len(layer.dates) * len(picked)))
    for first in run.each(range(0, len(lattice), band)):
        rows_k = np.asarray(lattice[first : first + band])
        block = np.empty((len(layer.dates), len(rows_k), len(picked)), np.float32)  # fmt: skip
        for c0 in range(0, width, READ_COLUMNS):
            here = (picked >= c0) & (picked < c0 + READ_COLUMNS)
            window = stack.read(c0, int(rows_k[0]), min(READ_COLUMNS, width - c0), int(rows_k[-1] - rows_k[0]) + 1)
            block[:, :, here] = window[:, ::step][:, :, picked[here] - c0]
        block = block.reshape(len(layer.dates), -1)
        ok = np.isfinite(block).any(axis=0)
        cols, rows = np.tile(picked, len(rows_k))[ok], np.repeat(rows_k, len(picked))[ok]
        yield [None] * len(cols), cols, rows, block[:, ok].T.astype(np.float64)
