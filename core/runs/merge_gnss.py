"""``losdecomp:merge_frames`` with GNSS held fixed instead of a frame (``GNSS``): each station
inside a frame adds one row to the overlaps' normal equations, the frame's value at the station
plus the frame's correction there = the station's velocity in the frame's line of sight.

The stations are read and projected exactly as ``reference_to_gnss`` does it
(``gnss_run.sample``: the pixel holding the station, or the median of the valid pixels within
``RADIUS`` of it, on the frame's own grid; ``gnss_run.project``: s . v with the frame's unit
vector there, in the frame's unit and LOS sign, sigma sqrt(s' C s)).

Weights of a station row (the overlaps' own weights unchanged):

- frames with a-priori sigmas: ``1 / (sigma_gnss_los^2 + sigma_frame^2)``, sigma_frame the
  frame's sigma sampled at the station; a station whose combined sigma is unknown (no GNSS
  sigma, or no known frame sigma there) takes the largest known combined sigma of the
  stations (never trusted more than the least trusted known station), named in the log; when
  none is known, every station weighs as much as an average overlap pixel;
- frames without sigmas (equal weights in the overlaps): every station weighs as much as one
  overlap pixel a-priori, and GNSS sigmas are not used (nothing to weigh them against), as the
  log says.

The station rows then form their own variance component (``solve.frames._components``): the
overlaps' and the stations' variance factors are estimated separately (Helmert), so the datum
is weighed and its sigma scaled by the real GNSS - InSAR scatter at the stations.
"""

from dataclasses import dataclass, field

import numpy as np

from ..conventions.errors import FrameError
from ..conventions.geometry import sign_factor
from ..conventions.uncertainty import FIT
from ..io.gnss_stations import Stations, unit_factor
from ..io.grid import Grid, crs_units, raster_info, transformer
from ..samplers.area import not_a_distance
from ..solve import frames as solver
from ..solve import gnss
from . import gnss_run

#: The statuses a station can have in a frame, best first (its status overall is the best).
_RANK = (gnss_run.OK, gnss_run.NO_GEOMETRY, gnss_run.NO_DATA, gnss_run.MISSING, gnss_run.OUTSIDE)


@dataclass
class StationRows:
    """The stations' rows, frame by frame: (frame, x, y in the common grid's CRS, the frame's
    value there, GNSS in its line of sight, the combined variance or NaN, station indices)."""

    gx: np.ndarray
    gy: np.ndarray
    rows: list = field(default_factory=list)
    status: list = field(default_factory=list)  # per station, the best status over the frames
    log: list = field(default_factory=list)

    @property
    def used(self) -> np.ndarray:
        """The stations (indices) with at least one row."""
        return np.unique(np.concatenate([r[6] for r in self.rows])) if self.rows else np.zeros(0, int)


def check_request(fixed_frame: int, radius: float) -> None:
    """FrameError for a FIXED_FRAME other than its default given with GNSS (GNSS replaces the
    fixed frame: a frame chosen would be dropped), or a radius that is not a distance."""
    if fixed_frame != 1:
        raise FrameError(f"FIXED_FRAME {fixed_frame} and GNSS: GNSS is held fixed instead of a frame (no frame is "
                         "held fixed then); leave FIXED_FRAME at its default 1, or give no GNSS")  # fmt: skip
    if problem := not_a_distance(radius):
        raise FrameError(f"RADIUS: {problem}")


def check_footprints(stations: Stations, stacks: bool, grid: Grid, footprints: list, names: list,
                     model: int, radius: float = 0.0) -> None:  # fmt: skip
    """Before anything is read: time-series stacks refused; the stations inside the frames'
    footprints (in the common grid's CRS); FrameError when none lies inside any frame (MODEL 0)
    or fewer than three (MODEL 1). (Those outside every frame are ignored: the run's log counts
    and names them.)"""
    if stacks:
        raise FrameError("GNSS held fixed merges velocities only: time-series stacks would need GNSS per "
                         "date (not done); merge stacks with a frame held fixed (FIXED_FRAME), or give "
                         "velocities")  # fmt: skip
    check_radius(radius, grid, footprints, names)
    x, y = gnss_run.transform(stations, grid.crs_wkt)
    inside = np.zeros(len(stations), dtype=bool)
    for b in footprints:
        with np.errstate(invalid="ignore"):
            inside |= (x >= b[0]) & (x <= b[2]) & (y >= b[1]) & (y <= b[3])
    need = 1 if model == solver.OFFSET else 3
    if inside.sum() < need:
        raise FrameError(
            f"{stations.label}: {int(inside.sum())} of its {len(stations)} stations lie inside the frames "
            f"({', '.join(names)}); GNSS held fixed needs at least {need} ({_need_words(model)})"
        )


def _need_words(model):
    if model == solver.OFFSET:
        return "one station fixes the offsets of frames tied by overlaps"
    return "three stations not on a line fix the plane common to frames tied by overlaps"


def sample_rows(job: object, stations: Stations, radius: float) -> StationRows:
    """Every frame at the stations inside it (its own grid, as reference_to_gnss samples), and
    the stations in its line of sight (its unit and sign: every frame is in the first's)."""
    gx, gy = gnss_run.transform(stations, job.grid.crs_wkt)
    out = StationRows(gx, gy, status=[gnss_run.OUTSIDE] * len(stations))
    factor, unit_line = unit_factor(stations, job.unit)
    if not stations.unit:
        unit_line += " (the merge's unit: frame 1's, every frame converted to it)"
    out.log += list(stations.log) + [unit_line]
    complete = stations.complete()
    sign = sign_factor(job.los_sign)
    for k, spec in enumerate(job.specs):
        own = raster_info(spec.velocity.path, job.names[k]).grid()
        x, y = gnss_run.transform(stations, own.crs_wkt)
        sigma = spec.sigma if job.weighted else None
        radii = own_radii(job.grid.crs_wkt, own.crs_wkt, gx, gy, radius)
        smp = gnss_run.sample(spec.velocity, own, x, y, radius, spec.geometry, sigma, radii)
        status = [gnss_run.MISSING if st == gnss_run.OK and not complete[i] else st for i, st in enumerate(smp.status)]
        g, g_sigma, lines = gnss_run.project(stations, smp.s, factor, sign)
        out.log += [f"frame {k + 1} ({job.names[k]}): {line}" for line in lines]
        ok = np.flatnonzero([st == gnss_run.OK for st in status])
        out.log += _zero_sigma_lines(k, job.names[k], stations, g_sigma, ok)
        var = known(g_sigma) ** 2 + (known(smp.sigma) ** 2 if smp.sigma is not None else 0.0)
        if ok.size:
            out.rows.append((k, gx[ok], gy[ok], smp.value[ok], g[ok], var[ok], ok))
        out.status = [min(a, b, key=_RANK.index) for a, b in zip(out.status, status)]
    return out


def check_units(rows: StationRows, stations: Stations, unit: str) -> None:
    """FrameError when the GNSS and the frames at the stations differ by a unit's factor
    (``solve.gnss.unit_mismatch``, for the GNSS comparisons to share)."""
    if not rows.rows:
        return
    g, d = (np.concatenate([r[i] for r in rows.rows]) for i in (4, 3))
    words = gnss.unit_mismatch(g, d, stations.unit or f"{unit or 'no unit'} (same as the track: frame 1's)", unit)
    if words:
        raise FrameError(f"{stations.label}: {words}; nothing was written")


def _moved(ct, x, y):
    pts = ct.TransformPoints(np.column_stack([x, y]).tolist())
    out = np.array([(p[0], p[1]) for p in pts], dtype=np.float64) if pts else np.zeros((0, 2))
    out[~np.isfinite(out)] = np.nan
    return out


def own_radii(grid_wkt: str, own_wkt: str, gx: np.ndarray, gy: np.ndarray, radius: float) -> object:
    """RADIUS (in the common grid's CRS units) as each station's semi-axes (rx, ry) in a frame's
    own CRS units, from the frame's local scale there (a metre of a UTM grid as degrees of
    longitude and of latitude in a geographic frame); None when the frame is in the grid's CRS
    (the radius as it is) or the radius is 0."""
    ct = transformer(grid_wkt, own_wkt)
    if ct is None or radius <= 0:
        return None
    ok = np.isfinite(gx) & np.isfinite(gy)
    rx, ry = np.full(gx.size, radius), np.full(gx.size, radius)
    if ok.any():
        x, y = gx[ok], gy[ok]
        ex = _moved(ct, x + radius, y) - _moved(ct, x - radius, y)
        ey = _moved(ct, x, y + radius) - _moved(ct, x, y - radius)
        rx[ok], ry[ok] = 0.5 * np.hypot(*ex.T), 0.5 * np.hypot(*ey.T)
    bad = ~(np.isfinite(rx) & np.isfinite(ry))
    rx[bad], ry[bad] = 0.0, 0.0  # cannot be transformed: the station's pixel only
    return rx, ry


def check_radius(radius: float, grid: Grid, footprints: list, names: list) -> None:
    """FrameError when RADIUS (common grid's CRS units) is more than a tenth of a frame's
    smaller side: the 'value at the station' would be the median of much of the frame."""
    units = crs_units(grid.crs_wkt)
    for k, b in enumerate(footprints):
        side = min(b[2] - b[0], b[3] - b[1])
        if radius > 0.1 * side:
            raise FrameError(f"RADIUS {radius:g} {units} (the common grid's CRS units) is more than a tenth of the "
                             f"smaller side of frame {k + 1} ({names[k]}: {side:.4g} {units}): the value at a "
                             "station would be the median of much of the frame; give a smaller RADIUS")  # fmt: skip


def _zero_sigma_lines(k, name, stations, g_sigma, ok):
    """The stations whose GNSS LOS sigma is a number but not positive (se = sn = su = 0, a
    placeholder of CSV exports): unknown, as a frame's sigma of 0 is, never exact."""
    with np.errstate(invalid="ignore"):
        bad = ok[np.isfinite(g_sigma[ok]) & (g_sigma[ok] <= 0)]
    if not bad.size:
        return []
    shown = ", ".join(stations.names[i] for i in bad[: gnss_run.NAMES_SHOWN])
    return [f"frame {k + 1} ({name}): {bad.size} station(s) with a GNSS LOS sigma not a positive number (0): "
            f"taken as unknown, not exact: {shown}"]  # fmt: skip


def known(sigma: object) -> np.ndarray:
    """NaN where a sigma is not a positive number (0, as MintPy's reference pixel, or NaN)."""
    s = np.asarray(sigma, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(s) & (s > 0), s, np.nan)


def check_datum(rows: StationRows, stations: Stations, model: int) -> None:
    """FrameError naming what is missing when the stations used cannot fix the frames'
    common reference: none (MODEL 0), fewer than three, or three or more on a line (MODEL 1:
    the plane common to all frames is free along the overlaps, only stations fix it)."""
    used = rows.used
    if used.size == 0:
        raise FrameError(f"{stations.label}: no station has both GNSS values and a frame value (every station "
                         "outside the frames, on nodata or without a velocity): the reference is not fixed; "
                         "nothing was written")  # fmt: skip
    if model == solver.OFFSET:
        return
    names = ", ".join(stations.names[i] for i in used)
    if used.size < 3:
        raise FrameError(f"{stations.label}: {used.size} station(s) with values in the frames ({names}): "
                         "MODEL 1 needs three stations not on a line to fix the plane common to the frames; use "
                         "MODEL 0")  # fmt: skip
    gx, gy = rows.gx, rows.gy
    ratio, _, _ = gnss.spread_ratio(gx[used], gy[used])
    if ratio < 1e-6:
        raise FrameError(f"{stations.label}: the stations used ({names}) are collinear: the plane's tilt across "
                         "them is not fixed; use MODEL 0, or add stations off their line")  # fmt: skip
    try:
        gnss.check_spread(gx[used], gy[used], gnss.PLANE)
    except gnss.SurfaceError as exc:
        raise FrameError(f"{stations.label}: {exc}") from None


def weights(rows: StationRows, stations: Stations, weighted: bool, overlap_weight: float) -> tuple:
    """(one weight array per row of ``rows.rows``, log lines): see the module's docstring."""
    if not weighted:
        line = (f"{stations.label}: the frames have no a-priori sigma (equal weights): each station row weighs as "
                "much as one overlap pixel a-priori, then re-weighted by the stations' own variance component "
                "(from their residuals); the GNSS sigmas are not used")  # fmt: skip
        return [np.full(r[6].size, overlap_weight) for r in rows.rows], [line]
    var = np.concatenate([r[5] for r in rows.rows])
    known = np.isfinite(var) & (var > 0)
    if not known.any():
        line = (f"{stations.label}: no station has a known combined sigma (GNSS in the line of sight and the "
                "frame's): each station row weighs as much as an average overlap pixel")  # fmt: skip
        return [np.full(r[6].size, overlap_weight) for r in rows.rows], [line]
    worst, lines = float(var[known].max()), []
    out = []
    for k, *_, v, idx in rows.rows:
        bad = ~(np.isfinite(v) & (v > 0))
        if bad.any():
            shown = ", ".join(stations.names[i] for i in idx[bad][: gnss_run.NAMES_SHOWN])
            lines.append(f"frame {k + 1}: {int(bad.sum())} station(s) without a known combined sigma (no GNSS sigma, "
                         f"or the frame's sigma unknown there) weighted as the least trusted known station "
                         f"(sigma {np.sqrt(worst):.3g}): {shown}")  # fmt: skip
        out.append(1.0 / np.where(bad, worst, v))
    lines.append(f"{stations.label}: station rows weighted 1/(sigma_GNSS_LOS^2 + sigma_frame^2) (a-priori, "
                 "propagated into the line of sight)")  # fmt: skip
    return out, lines


def weights_apriori(rows: StationRows) -> bool:
    """Whether some station row has a known combined a-priori sigma (then the station weights
    are 1/variances, and their variance factor is 1 a-priori)."""
    var = np.concatenate([r[5] for r in rows.rows])
    return bool(np.any(np.isfinite(var) & (var > 0)))


def add_rows(normals: solver.Normals, rows: StationRows, row_weights: list) -> None:
    """The station rows into the (velocity) normal equations."""
    for (k, x, y, d, g, _, idx), w in zip(rows.rows, row_weights):
        normals.add_stations(k, x, y, d, g, w, idx)


def tie(job: object, stations: Stations, radius: float, normals: solver.Normals) -> StationRows:
    """Sample, check the datum, weigh and add the station rows to ``normals`` (log in ``job``)."""
    rows = sample_rows(job, stations, radius)
    check_datum(rows, stations, job.model)
    check_units(rows, stations, job.unit)
    row_weights, log = weights(rows, stations, job.weighted, normals.mean_weight)
    add_rows(normals, rows, row_weights)
    normals.station_apriori = job.weighted and weights_apriori(rows)
    normals.gnss_stations = int(rows.used.size)
    job.warnings += datum_warning(int(rows.used.size), job.model, stations.label)
    job.log += rows.log + gnss_run.report(stations.names, rows.status, stations.label) + log
    units = crs_units(job.grid.crs_wkt)
    where = ("the pixel holding each station" if radius == 0 else f"the median of the valid pixels within {radius:g} "
             f"{units} (the common grid's CRS units, converted to each frame's own CRS at the station)")  # fmt: skip
    job.log.append(f"{stations.label}: {rows.used.size} station(s) in {len(rows.rows)} frame(s), "
                   f"{sum(r[6].size for r in rows.rows)} rows; each frame's value is {where}, sampled on the "
                   "frame's own grid as reference_to_gnss samples")  # fmt: skip
    return rows


def statistics(fit: solver.FrameFit) -> dict:
    """The GNSS residuals (InSAR - GNSS in the line of sight, one per station row) before and
    after the corrections."""
    loo = fit.variance.get("leave_one_out", np.zeros(0))
    return {"before": gnss.statistics(fit.gnss_before), "after": gnss.statistics(fit.gnss_after),
            "leave_one_out": gnss.statistics(loo), "stations": fit.gnss_stations}


def variance_line(variance: dict) -> str:
    """How the offsets' sigmas were scaled: the two variance components, and whether the
    stations' own could be estimated (not when the stations only just fix the datum)."""
    head = (f"sigmas ({FIT} kind) from two variance components (Helmert): overlap rows' factor "
            f"{variance['overlaps']:.3g}, station rows' ")  # fmt: skip
    if variance["stations_estimated"]:
        return head + (f"{variance['stations']:.3g} (estimated from their own residuals, redundancy "
                       f"{variance['station_redundancy']:.3g}): the datum's sigma follows the GNSS - InSAR scatter")
    if variance["stations_apriori"]:
        return head + ("1, a-priori: the stations only just fix the datum (no redundancy), so their scatter cannot "
                       "be estimated: the datum's sigma is the declared GNSS and frame sigmas propagated")
    return head + ("the overlaps' (a-priori: each station row as an overlap pixel): the stations only just fix the "
                   "datum (no redundancy) and have no sigma: the datum's sigma is unknown and understated here")


def lines(stats: dict, unit: str, stations: int) -> list:
    """The GNSS residuals before and after, one line each, in ``unit`` (named)."""
    u = f" {unit}" if unit else " (unit unknown)"
    out = []
    for when in ("before", "after"):
        st = stats[when]
        out.append(f"GNSS residual (frame - GNSS in the line of sight) {when} the corrections: {st['count']} rows "
                   f"({stations} stations; one row per station and frame holding it): bias (mean) "
                   f"{st['bias']:.4g}{u}, RMS {st['rms']:.4g}{u}, spread (standard deviation about the mean) "
                   f"{st['std']:.4g}{u}")  # fmt: skip
    st = stats["leave_one_out"]
    if st["count"]:
        out.append(f"GNSS residual leave-one-station-out (each station against the fit without it, the honest check "
                   f"of the tie): {st['count']} rows, RMS {st['rms']:.4g}{u}, bias {st['bias']:.4g}{u}")  # fmt: skip
    else:
        out.append("GNSS residual leave-one-station-out: not available (the stations only just fix the datum: "
                   "without any one of them it is not fixed)")  # fmt: skip
    return out


def datum_warning(stations: int, model: int, label: str) -> list:
    """reference_to_gnss's warning when the stations barely constrain the datum (no more than
    one station beyond its unknowns: 1 offset, or offset and plane): the residuals after say
    little (near zero whatever the GNSS error)."""
    terms = solver.n_params(model)
    if stations > terms + 1:
        return []
    what = "an offset" if model == solver.OFFSET else "an offset and a plane"
    return [f"{label}: {stations} station(s) for {what} common to the frames ({terms} term(s)): the fit is barely "
            "constrained, residuals after it say little (GNSS_RMS_AFTER near zero whatever the GNSS error); see "
            "the leave-one-station-out residuals"]  # fmt: skip
