"""``losdecomp``: the plugin's Processing algorithms on the command line, with the same
parameters (lower case, dashes) and the same core requests and runs.

    losdecomp decompose --ascending a.tif --descending d.tif --output-east e.tif --output-up u.tif
    losdecomp decompose-timeseries --ascending a.tif --descending d.tif \\
        --output-east east.zarr --output-up up.nc --scheduler local:4
    losdecomp velocity --input ts.tif --output v.tif
    losdecomp fit-time-functions --input ts.tif --periods 1 --output params.tif
    losdecomp grid-points --input egms_tiles/ --output asc_grid.tif --scheduler local:4

Without ``--scheduler`` a run streams in this process exactly as in QGIS; with one, the
same core block functions run on Dask (``local:N`` or a scheduler address). Single-epoch
outputs are cloud-optimised GeoTIFFs on every path; time series are Zarr v2 (``.zarr``) or
NetCDF-CF (``.nc``) on the Dask path, the plugin's dated GeoTIFF (``.tif``) or either store
in process. Exit status: 0 done, 1 refused or failed (one line on stderr), 2 usage."""

import argparse
import os
import sys
from typing import Optional

from ..core.io.gdal_mode import raises
from . import options, points


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="losdecomp", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("decompose", help="LOS velocities -> east and vertical velocity (COGs)")
    options.add_tracks(p)
    options.add_outputs(p, options.DECOMPOSE_OUTPUTS, "COG path")
    options.add_scheduler(p)
    p = sub.add_parser("decompose-timeseries", help="LOS time series -> east and vertical time series")
    options.add_tracks(p, bands=False)
    options.add_series_options(p)
    options.add_outputs(p, options.SERIES_OUTPUTS, "time-series store: .zarr (Zarr v2) or .nc (NetCDF-CF)")
    options.add_scheduler(p)
    p = sub.add_parser("velocity", help="a LOS time series -> its velocity over a window (COG)")
    options.add_velocity_options(p)
    options.add_scheduler(p)
    p = sub.add_parser("fit-time-functions", help="a dated stack -> time-function parameters over a window (COGs)")
    options.add_fit_options(p)
    options.add_scheduler(p)
    p = sub.add_parser("grid-points", help="points of one track (EGMS CSV or a folder of tiles) -> a grid (COG)")
    points.add_options(p)
    return parser


def _say(lines) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _decompose(args) -> dict:
    from ..core.plan.decompose import plan
    from ..core.runs import engine
    from . import stores

    the_plan = plan(options.decompose_request(args))
    _say(the_plan.log)
    _say(f"warning: {w}" for w in the_plan.warnings)
    job = the_plan.job
    if args.scheduler is None:
        summary = engine.run(job)
        return {p: stores.geotiff_to_cog(path) for p, path in summary.outputs.items()}
    return _on_dask(args, "single", lambda dask_run, client, chunks: dask_run.decompose(job, client, chunks))


def _decompose_timeseries(args) -> dict:
    from ..core.runs import timeseries_decomp_run as run_ts
    from . import series

    request = options.series_request(args)
    for path in request.base.outputs.values():
        _series_output(path, args.scheduler)
    job = run_ts.plan(request)
    _say(job.log)
    _say(f"warning: {w}" for w in job.warnings)
    if args.scheduler is None:
        return series.run_in_process(job)
    return _on_dask(args, "series", lambda dask_run, client, chunks: dask_run.decompose_timeseries(job, client, chunks))


def _series_output(path, scheduler):
    """A time-series output's format follows its extension: .zarr or .nc (a dated GeoTIFF
    too in process, as the plugin writes it)."""
    from . import stores

    ext = os.path.splitext(path.rstrip("/"))[1].lower()
    if scheduler is None and ext in (".tif", ".tiff"):
        return
    stores.series_format(path)


def _velocity(args) -> dict:
    from ..core.runs import velocity_run

    request = options.velocity_request(args)
    _fit_outputs(request.outputs, (), args.scheduler)
    if args.scheduler is None:
        return _fit_over_time(velocity_run, request)
    job = _planned(velocity_run, request)
    return _dask_fit(args, lambda fits, client, chunks: fits.velocity(job, client, chunks, _say))


def _fit_time_functions(args) -> dict:
    from ..core.runs import time_functions_run

    request = options.fit_request(args)
    _fit_outputs(request.outputs, (time_functions_run.MODEL, time_functions_run.RESIDUALS), args.scheduler)
    if args.scheduler is None:
        return _fit_over_time(time_functions_run, request)
    job = _planned(time_functions_run, request)
    return _dask_fit(args, lambda fits, client, chunks: fits.fit_time_functions(job, client, chunks, _say))


def _fit_outputs(outputs: dict, dated: tuple, scheduler) -> None:
    """A fit's rasters are COGs; a dated output (model, residuals) may be a .zarr or .nc store
    on Dask. Anything else asked as a store is refused before any work, by name."""
    from . import stores

    for key, path in outputs.items():
        if os.path.splitext(path.rstrip("/"))[1].lower() not in stores.SERIES_FORMATS:
            continue
        if key not in dated:
            raise ValueError(f"{path}: the {key} output is a single raster, written as a COG: give a .tif path")
        if scheduler is None:
            raise ValueError(f"{path}: in process the {key} output is a dated GeoTIFF (a COG, one band per date): "
                             "give a .tif path, or --scheduler for a .zarr/.nc store")  # fmt: skip


def _planned(core, request):
    job = core.plan(request)
    _say(job.log)
    _say(f"warning: {w}" for w in job.warnings)
    return job


def _dask_fit(args, work) -> dict:
    """A fit over time on Dask (cli/fits.py): the core's log after the run, {output: path}."""
    from . import fits

    written = _on_dask(args, "series", lambda dask_run, client, chunks: work(fits, client, chunks))
    _say(written.pop("log", []))
    return written


def _fit_over_time(core, request) -> dict:
    """A fit over time (core.runs.velocity_run or time_functions_run): planned, run in process,
    every raster output rewritten as a COG; {output: path}."""
    from . import stores

    job = _planned(core, request)
    result = core.run(job)
    _say(result.get("log", []))
    return {k: stores.geotiff_to_cog(result[k]) for k in job.outputs if result.get(k)}


def _grid_points(args) -> dict:
    job = points.plan(args)
    _say(job.log)
    _say(f"warning: {w}" for w in job.warnings)
    if args.scheduler is None:
        written = points.run(job)
    else:
        from . import dask_run

        chunk, tiles = points.parse_chunk_mb(args.chunks), points.tiles_of(args.input)
        with dask_run.client_for(args.scheduler) as client:
            written = points.run(job, lambda j: points.grid_on_dask(j, tiles, client, chunk))
    _say(written.pop("log"))
    return written


def _on_dask(args, kind, work) -> dict:
    from . import dask_run

    chunks = dask_run.parse_chunks(args.chunks, kind)
    with dask_run.client_for(args.scheduler) as client:
        return work(dask_run, client, chunks)


COMMANDS = {"decompose": _decompose, "decompose-timeseries": _decompose_timeseries, "velocity": _velocity,
            "fit-time-functions": _fit_time_functions, "grid-points": _grid_points}  # fmt: skip


@raises
def _run(args) -> dict:
    if args.scheduler is None and args.chunks:
        raise ValueError("--chunks is a Dask option: give --scheduler too (in process, the core's windows are used)")
    return COMMANDS[args.command](args)


def main(argv: Optional[list] = None) -> int:
    """The ``losdecomp`` entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        written = _run(args)
    except ImportError as exc:
        print(f"losdecomp {args.command}: {exc}; install the Dask extra: pip install 'insar-decomposition[dask]'",
              file=sys.stderr)  # fmt: skip
        return 1
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"losdecomp {args.command}: failed, no output written: {exc}", file=sys.stderr)
        return 1
    for key, path in written.items():
        if isinstance(path, str) and os.path.exists(path):
            print(f"{key}\t{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
