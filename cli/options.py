"""The command line's options: the Processing algorithms' parameter names in lower case
with dashes (``ASC_HEADING`` -> ``--asc-heading``), turned into the same core requests the
algorithms build (provider/velocity_maps/decompose.py, provider/time_series/*.py)."""

import argparse
import dataclasses

from ..core.conventions import geometry
from ..core.io.model import HORIZONTAL, QUALITY, SIGMA_HORIZONTAL, SIGMA_UP, UP
from ..core.io.reader import DEFAULT_RESAMPLING, RESAMPLING_METHODS
from ..core.io.writer import COMPRESSIONS, DEFAULT_COMPRESSION
from ..core.plan.decompose import Request
from ..core.plan.tracks import TrackInput
from ..core.runs import time_functions_run as tfr
from ..core.runs import timeseries_decomp_run as run_ts
from ..core.runs import velocity_run
from ..core.solve import time_functions as tf
from ..core.solve.inversion import DEFAULT_MAX_CONDITION
from ..core.solve.velocity import parse_date, parse_dates

TRACKS = (("asc", "ascending"), ("desc", "descending"))
#: Enumerations: the algorithms' indices are accepted as well as the names.
LOS_SIGNS = {"toward": geometry.TOWARD, "away": geometry.AWAY, "0": geometry.TOWARD, "1": geometry.AWAY}
LOOK_SIDES = {"layer": None, "right": geometry.RIGHT, "left": geometry.LEFT, "0": None, "1": geometry.RIGHT,
              "2": geometry.LEFT}  # fmt: skip
DECOMPOSE_OUTPUTS = {"output_east": HORIZONTAL, "output_up": UP, "output_sigma_east": SIGMA_HORIZONTAL,
                     "output_sigma_up": SIGMA_UP, "output_quality": QUALITY}  # fmt: skip
SERIES_OUTPUTS = {k: v for k, v in DECOMPOSE_OUTPUTS.items() if v != QUALITY}


def _pair(text):
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'X,Y'") from None
    return (x, y)


def _extent(text):
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'XMIN,YMIN,XMAX,YMAX' (target CRS units)")
    return values


def add_scheduler(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", help="absent: in-process streaming as in QGIS; local:N: a local Dask cluster of N "
                   "workers on 127.0.0.1; else a Dask scheduler address used as written (tcp://, tls://)")
    p.add_argument("--chunks", help="Dask chunk size in pixels: ROWS or ROWS,COLS (default 1024 for single epochs, "
                   "256 for time series, all dates in a chunk)")  # fmt: skip


def add_tracks(p: argparse.ArgumentParser, bands: bool = True) -> None:
    for prefix, label in TRACKS:
        p.add_argument(f"--{label}", required=True, help=f"{label} LOS raster (GeoTIFF, VRT, any GDAL raster)")
        if bands:
            p.add_argument(f"--{prefix}-band", type=int, default=1)
        p.add_argument(f"--{prefix}-heading", type=float, help="degrees clockwise from north; empty = from the layer")
        p.add_argument(f"--{prefix}-incidence", type=float, help="degrees from the vertical; empty = from the layer")
        p.add_argument(f"--{prefix}-sigma", help="LOS standard deviation raster (empty = from the product)")
        p.add_argument(f"--{prefix}-look-side", choices=sorted(LOOK_SIDES), default="layer")
    p.add_argument("--los-sign", choices=sorted(LOS_SIGNS), default="toward")
    p.add_argument("--extra-tracks", nargs="*", default=[], help="more LOS rasters")
    p.add_argument("--extra-geometry", default="", help="'heading,incidence[,left|right]' per extra track, ';'")
    p.add_argument("--target-crs", default="", help="EPSG:xxxx, WKT or PROJ (empty = the ascending layer's)")
    p.add_argument("--resolution", type=float, default=0.0, help="target CRS units; 0 = the coarsest input pixel")
    p.add_argument("--extent", type=_extent, help="XMIN,YMIN,XMAX,YMAX in the target CRS")
    p.add_argument("--resampling", choices=[m[0] for m in RESAMPLING_METHODS], default=DEFAULT_RESAMPLING)
    p.add_argument("--north-velocity", help="known north velocity raster (the tracks' unit)")
    p.add_argument("--north-velocity-constant", type=float)
    p.add_argument("--north-sigma", type=float)
    p.add_argument("--horizontal-azimuth", type=float)
    p.add_argument("--reference-point", type=_pair, help="X,Y in the target CRS")
    p.add_argument("--reference-radius", type=float, default=0.0)
    p.add_argument("--max-condition", type=float, default=DEFAULT_MAX_CONDITION)
    p.add_argument("--compression", choices=[c[0] for c in COMPRESSIONS], default=DEFAULT_COMPRESSION)


def add_outputs(p: argparse.ArgumentParser, outputs: dict, what: str) -> None:
    for dest in outputs:
        required = dest in ("output_east", "output_up")
        p.add_argument("--" + dest.replace("_", "-"), required=required, help=what)


def _target_crs(text):
    if not text:
        return ""
    from ..core.io.grid import srs_from_user_input

    return srs_from_user_input(text).ExportToWkt()


def _extra_tracks(args, sign):
    entries = [e.strip() for e in args.extra_geometry.split(";")] if args.extra_geometry.strip() else []
    if len(entries) > len(args.extra_tracks):
        raise ValueError(f"extra tracks: {len(entries)} geometry entries for {len(args.extra_tracks)} extra layer(s)")
    out = []
    for i, path in enumerate(args.extra_tracks):
        parts = [p.strip() for p in entries[i].split(",")] if i < len(entries) and entries[i] else []
        heading, incidence = (float(parts[0]), float(parts[1])) if parts else (None, None)
        side = parts[2].lower() if len(parts) > 2 else None
        out.append(TrackInput(f"extra track {i + 1} ({path})", path, 1, heading, incidence, side, sign))
    return out


def decompose_request(args: argparse.Namespace, outputs: dict = DECOMPOSE_OUTPUTS) -> Request:
    """The Request ``losdecomp:decompose`` builds from the same parameters."""
    sign = LOS_SIGNS[args.los_sign]
    tracks = []
    for prefix, label in TRACKS:
        tracks.append(TrackInput(
            name=label, path=getattr(args, label), band=getattr(args, f"{prefix}_band", 1) or 1,
            heading=getattr(args, f"{prefix}_heading"), incidence=getattr(args, f"{prefix}_incidence"),
            look_side=LOOK_SIDES[getattr(args, f"{prefix}_look_side")], los_sign=sign,
            sigma=getattr(args, f"{prefix}_sigma")))  # fmt: skip
    tracks += _extra_tracks(args, sign)
    if args.north_velocity is not None and args.north_velocity_constant is not None:
        raise ValueError("north velocity: give a raster or a constant, not both")
    north = args.north_velocity if args.north_velocity is not None else args.north_velocity_constant
    return Request(
        tracks=tracks, outputs={p: getattr(args, d) for d, p in outputs.items() if getattr(args, d)},
        target_crs_wkt=_target_crs(args.target_crs), resolution=args.resolution, extent=args.extent,
        resampling=args.resampling, north_velocity=north, north_sigma=args.north_sigma,
        horizontal_azimuth=args.horizontal_azimuth, max_condition=args.max_condition,
        reference_point=args.reference_point, reference_radius=args.reference_radius,
        compression=args.compression,
    )  # fmt: skip


def add_series_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dates", type=int, choices=(0, 1, 2), default=0,
                   help="0 every acquisition of any track, 1 every INTERVAL_DAYS, 2 the ascending track's dates")
    p.add_argument("--interval-days", type=int, default=12)
    p.add_argument("--max-gap-days", type=float, default=36.0)
    p.add_argument("--reference-date", default="", help="YYYY-MM-DD (empty = the first output date)")
    p.add_argument("--method", type=int, choices=(0, 1), default=0, help="0 interpolation, 1 joint inversion")
    p.add_argument("--regularization", type=float, default=1.0)  # fmt: skip


def series_request(args: argparse.Namespace) -> "run_ts.TimeSeriesRequest":
    """The request ``losdecomp:decompose_timeseries`` builds from the same parameters."""
    base = decompose_request(args, SERIES_OUTPUTS)
    base.tracks = [dataclasses.replace(t, band=1, time_series=True) for t in base.tracks]
    return run_ts.TimeSeriesRequest(
        base=base, dates_mode=args.dates, interval_days=args.interval_days, max_gap_days=args.max_gap_days,
        reference=parse_date(args.reference_date, "REFERENCE_DATE"), method=args.method,
        regularization=args.regularization,
    )  # fmt: skip


def _add_dated_window(p: argparse.ArgumentParser) -> None:
    """INPUT, START_DATE, END_DATE of the fits over time (velocity, fit-time-functions)."""
    p.add_argument("--input", required=True, help="time series (one dated band per acquisition)")
    p.add_argument("--start-date", default="", help="YYYY-MM-DD (empty = first)")
    p.add_argument("--end-date", default="", help="YYYY-MM-DD (empty = last)")


def add_velocity_options(p: argparse.ArgumentParser) -> None:
    _add_dated_window(p)
    p.add_argument("--model", type=int, choices=(0, 1, 2), default=0,
                   help="0 linear, 1 + annual, 2 + annual + semi-annual")  # fmt: skip
    p.add_argument("--step-dates", default="", help="YYYY-MM-DD dates of steps, separated by commas")
    p.add_argument("--output", required=True)
    p.add_argument("--output-sigma")
    p.add_argument("--compression", choices=[c[0] for c in COMPRESSIONS], default=DEFAULT_COMPRESSION)


def velocity_request(args: argparse.Namespace) -> "velocity_run.VelocityRequest":
    """The request ``losdecomp:velocity`` builds from the same parameters."""
    outputs = {velocity_run.VELOCITY: args.output}
    if args.output_sigma:
        outputs[velocity_run.SIGMA] = args.output_sigma
    return velocity_run.VelocityRequest(
        path=args.input, start=parse_date(args.start_date, "START_DATE"), end=parse_date(args.end_date, "END_DATE"),
        model=args.model, steps=parse_dates(args.step_dates, "STEP_DATES"), outputs=outputs,
        compression=args.compression,
    )  # fmt: skip


#: fit-time-functions' optional outputs (OUTPUT_RESIDUAL_RMS, OUTPUT_MODEL, OUTPUT_RESIDUALS).
FIT_OUTPUTS = {"output_residual_rms": tfr.RESIDUAL_RMS, "output_model": tfr.MODEL, "output_residuals": tfr.RESIDUALS}


def add_fit_options(p: argparse.ArgumentParser) -> None:
    """``losdecomp:fit_time_functions``'s parameters."""
    _add_dated_window(p)
    p.add_argument("--polynomial", type=int, choices=range(1, tf.MAX_DEGREE + 1), default=1,
                   help="1 linear, 2 + acceleration, 3")
    p.add_argument("--periods", default="", help="periods in years, comma-separated (e.g. 1,0.5)")
    p.add_argument("--step-dates", default="", help="YYYY-MM-DD dates of steps, comma-separated")
    p.add_argument("--exp", default="", help="exponential terms YYYY-MM-DD:tau (days), comma-separated")
    p.add_argument("--log", default="", help="logarithmic terms YYYY-MM-DD:tau (days), comma-separated")
    p.add_argument("--reference-date", default="", help="t = 0, YYYY-MM-DD (empty = the window's first acquisition)")
    p.add_argument("--uncertainty", type=int, choices=sorted(tfr.UNCERTAINTY_OPTIONS), default=0,
                   help="0 formal, 1 bootstrap, 2 formal inflated for AR(1) residuals")
    p.add_argument("--bootstrap-count", type=int, default=tfr.DEFAULT_BOOTSTRAP_COUNT, help="draws (UNCERTAINTY 1)")
    p.add_argument("--compression", choices=[c[0] for c in COMPRESSIONS], default=DEFAULT_COMPRESSION)
    p.add_argument("--output", required=True, help="time-function parameters (COG)")
    add_outputs(p, FIT_OUTPUTS, "COG path (model and residuals: one band per date)")  # fmt: skip


def fit_request(args: argparse.Namespace) -> "tfr.FitRequest":
    """The request ``losdecomp:fit_time_functions`` builds from the same parameters."""
    model = tf.Model(polynomial=args.polynomial, periods=tf.parse_periods(args.periods, "PERIODS"),
                     steps=tuple(tf.parse_dates(args.step_dates, "STEP_DATES")),
                     exps=tf.parse_onsets(args.exp, "EXP"), logs=tf.parse_onsets(args.log, "LOG"))  # fmt: skip
    outputs = {tfr.PARAMETERS: args.output}
    outputs.update({key: getattr(args, dest) for dest, key in FIT_OUTPUTS.items() if getattr(args, dest)})
    return tfr.FitRequest(
        path=args.input, start=tf.parse_date(args.start_date, "START_DATE"),
        end=tf.parse_date(args.end_date, "END_DATE"), model=model, outputs=outputs,
        reference=tf.parse_date(args.reference_date, "REFERENCE_DATE"), uncertainty=args.uncertainty,
        bootstrap_count=args.bootstrap_count, compression=args.compression,
    )  # fmt: skip
