"""``losdecomp grid-points``: the points of one track (an EGMS CSV, or a folder of EGMS CSV
tiles) averaged on a regular grid, exactly as ``losdecomp:grid_points`` does it.

- Without ``--scheduler``: the core's run (``core.runs.point_grid``), the points streamed
  in batches in this process, tile after tile.
- With a scheduler: dask.dataframe reads the tiles in chunks of ``--chunks`` MB of text; each
  chunk becomes per-cell sums on a worker (the core's ``point_grid.cell_sums``: the same cell
  keys, transforms and finite-value rules), the chunks' sums are added per cell on the cluster,
  and only the occupied cells' sums come to this process, which writes the grid with the core's
  own writer (``point_grid.write_sums``): the same numbers as in process, the points never
  leave the workers.
  The mean only: a cell's median needs every point of that cell in one place (a shuffle of
  all the points by cell across the cluster), which sums cannot give; it is refused with
  ``--scheduler`` (in process it keeps 12 bytes per point).

The grid output is a COG on both paths; ``--output-timeseries`` is the plugin's dated
GeoTIFF (``.tif``) or a store (``.zarr``, ``.nc``) copied from it by
``core.io.series_store.export``."""

import argparse
import glob
import os
from typing import Optional

import numpy as np

from ..core.conventions import geometry
from ..core.conventions.errors import PointError
from ..core.io import points, series_store
from ..core.io.writer import COMPRESSIONS, DEFAULT_COMPRESSION
from ..core.runs import point_grid
from . import stores

FIELDS = {"velocity_field": points.VELOCITY, "sigma_field": points.SIGMA, "los_east_field": points.LOS_EAST,
          "los_north_field": points.LOS_NORTH, "los_up_field": points.LOS_UP}  # fmt: skip
STATISTICS = {"mean": point_grid.MEAN, "median": point_grid.MEDIAN, "0": point_grid.MEAN, "1": point_grid.MEDIAN}
LOOK_SIDES = {"layer": None, "right": geometry.RIGHT, "left": geometry.LEFT, "0": None, "1": geometry.RIGHT,
              "2": geometry.LEFT}  # fmt: skip
LOS_SIGNS = {"toward": geometry.TOWARD, "away": geometry.AWAY, "0": geometry.TOWARD, "1": geometry.AWAY}
#: MB of CSV text per Dask chunk (a few hundred thousand EGMS points).
DEFAULT_CHUNK_MB = 64
TILE_SUFFIXES = (".csv", ".txt")


def add_options(p: argparse.ArgumentParser) -> None:
    """The options of ``losdecomp:grid_points``, lower case with dashes."""
    p.add_argument("--input", required=True, help="an EGMS CSV (L2a/L2b) or a folder of EGMS CSV tiles")
    for dest in FIELDS:
        p.add_argument("--" + dest.replace("_", "-"), default="", help="field name (empty = recognised)")
    p.add_argument("--heading", type=float, help="degrees; only when the points carry no look vector")
    p.add_argument("--incidence", type=float, help="degrees; only when the points carry no look vector")
    p.add_argument("--look-side", choices=sorted(LOOK_SIDES), default="layer")
    p.add_argument("--los-sign", choices=sorted(LOS_SIGNS), default="toward")
    p.add_argument("--target-crs", default="", help="EPSG:xxxx, WKT or PROJ (empty = the points')")
    p.add_argument("--resolution", type=float, default=point_grid.DEFAULT_RESOLUTION_M,
                   help="cell size in metres on the ground, whatever the CRS")  # fmt: skip
    p.add_argument("--extent", help="XMIN,YMIN,XMAX,YMAX in the grid's CRS")
    p.add_argument("--statistic", choices=sorted(STATISTICS), default="mean")
    p.add_argument("--min-points", type=int, default=1)
    p.add_argument("--compression", choices=[c[0] for c in COMPRESSIONS], default=DEFAULT_COMPRESSION)
    p.add_argument("--output", required=True, help="the gridded track (COG)")
    p.add_argument("--output-timeseries", default="", help="the cells' mean time series: .tif, .zarr or .nc")
    p.add_argument("--scheduler", help="absent: in-process streaming as in QGIS; local:N or a Dask scheduler "
                   "address: the tiles read by dask.dataframe on the cluster (mean only)")  # fmt: skip
    p.add_argument("--chunks", help=f"MB of CSV text per Dask chunk (default {DEFAULT_CHUNK_MB})")


class TilePoints(points.PointSource):
    """The points of several CSV tiles of one track (EGMS ships a country as tiles), read tile
    after tile through the core's CSV reader; every tile must have the first one's columns."""

    def __init__(self, tiles: list, label: str):
        self.tiles, self.label = list(tiles), label
        first = points.CsvPoints(self.tiles[0], label=f"{label}: {os.path.basename(self.tiles[0])}")
        self.names, self.crs_wkt, self.unit = first.names, first.crs_wkt, first.unit
        self.xy, self.delimiter = first.xy, first.delimiter
        for tile in self.tiles[1:]:
            other = points.CsvPoints(tile, label=f"{label}: {os.path.basename(tile)}")
            if other.names != self.names or other.delimiter != self.delimiter:
                first_name = os.path.basename(self.tiles[0])
                raise PointError(f"{label}: tile {os.path.basename(tile)} has other columns than {first_name}; "
                                 "every tile of a track needs the same")  # fmt: skip

    def batches(self, wanted: list, progress=None):
        for k, tile in enumerate(self.tiles):
            yield from points.CsvPoints(tile, label=f"{self.label}: {os.path.basename(tile)}").batches(wanted)
            if progress is not None:
                progress((k + 1) / len(self.tiles))


def tiles_of(path: str) -> list:
    """The CSV files of ``path``: itself, or every ``.csv``/``.txt`` of a folder (sorted)."""
    if os.path.isdir(path):
        tiles = sorted(p for p in glob.glob(os.path.join(path, "*")) if p.lower().endswith(TILE_SUFFIXES))
        if not tiles:
            raise PointError(f"{path}: a folder of point tiles, but it holds no .csv file")
        return tiles
    if not os.path.isfile(path):
        raise PointError(f"{path}: no such file or folder of point tiles")
    return [path]


def request(args: argparse.Namespace, source: points.PointSource) -> point_grid.GridPointsRequest:
    """The request ``losdecomp:grid_points`` builds from the same parameters."""
    from .options import _extent, _target_crs

    extent = _extent(args.extent) if args.extent else None
    return point_grid.GridPointsRequest(
        source=source, output=args.output, fields={role: getattr(args, d) for d, role in FIELDS.items()},
        heading=args.heading, incidence=args.incidence, look_side=LOOK_SIDES[args.look_side],
        los_sign=LOS_SIGNS[args.los_sign], target_crs_wkt=_target_crs(args.target_crs),
        resolution=args.resolution, extent=extent, statistic=STATISTICS[args.statistic],
        min_points=args.min_points, output_timeseries=args.output_timeseries, compression=args.compression,
    )  # fmt: skip


def plan(args: argparse.Namespace) -> point_grid.GridPointsJob:
    """The core's checked job; the median refused on Dask before any cluster starts."""
    tiles = tiles_of(args.input)
    label = f"points ({os.path.basename(args.input.rstrip(os.sep))})"
    source = TilePoints(tiles, label) if len(tiles) > 1 or os.path.isdir(args.input) else points.CsvPoints(
        tiles[0], label=label)  # fmt: skip
    series_out = args.output_timeseries
    if series_out and os.path.splitext(series_out.rstrip("/"))[1].lower() not in (".tif", ".tiff", ".zarr", ".nc"):
        raise ValueError(f"{series_out}: the time-series output must end in .tif, .zarr or .nc")
    job = point_grid.plan(request(args, source))
    if args.scheduler is not None and job.req.statistic == point_grid.MEDIAN:
        raise ValueError(
            "--statistic median with --scheduler: a cell's median needs every point of that cell in one "
            "place (a shuffle of all the points by cell across the cluster); the Dask path adds per-cell sums, "
            "which give the mean only. Use --statistic mean, or run without --scheduler (in process, 12 bytes "
            "per point)"
        )  # fmt: skip
    return job


def run(job: point_grid.GridPointsJob, grid_sums=None) -> dict:
    """The job run (in process, or by ``grid_sums(job, summary)`` that writes it from the
    cluster's sums); {key: path}. Outputs are COGs; a .zarr/.nc time series is exported."""
    final_ts = job.req.output_timeseries
    as_store = bool(final_ts) and os.path.splitext(final_ts.rstrip("/"))[1].lower() in (".zarr", ".nc")
    tmp = stores.hidden_sibling(final_ts, "partial.tif") if as_store else None
    if tmp:
        job.req.output_timeseries = tmp
    try:
        summary = point_grid.run(job) if grid_sums is None else grid_sums(job)
        out = {"output": stores.geotiff_to_cog(summary.outputs["output"])}
        if tmp:
            out["time series"] = series_store.export(tmp, final_ts)["path"]
        elif "time series" in summary.outputs:
            out["time series"] = summary.outputs["time series"]
        out["log"] = list(summary.log) + [f"{summary.used} of {summary.points} points in {summary.cells} cells of "
                                          f"a {summary.grid.width} x {summary.grid.height} grid"]  # fmt: skip
        return out
    finally:
        job.req.output_timeseries = final_ts
        stores.remove(tmp)


# --- on Dask --------------------------------------------------------------------------


def parse_chunk_mb(text: Optional[str]) -> int:
    """Bytes of CSV text per chunk from '--chunks MB'."""
    if not text:
        return DEFAULT_CHUNK_MB << 20
    try:
        mb = float(str(text).upper().removesuffix("MB"))
    except ValueError:
        mb = 0.0
    if not mb >= 1:
        raise ValueError(f"--chunks {text!r}: for grid-points, the MB of CSV text per chunk (at least 1)")
    return int(mb * (1 << 20))


def _partition_sums(df, job, wanted, xy):
    """One chunk of points -> its occupied cells' sums (a row per cell, 'key' first), with the
    core's own cell keys and rules."""
    import pandas as pd

    batch = points.PointBatch(df[xy[0]].to_numpy(np.float64), df[xy[1]].to_numpy(np.float64),
                              {c: df[c].to_numpy(np.float64) for c in wanted})  # fmt: skip
    keys, sums = point_grid.cell_sums(job, batch)
    return pd.DataFrame({"key": keys, **sums})


def _frame(job, tiles, chunk_bytes, cols):
    import dask.dataframe as dd

    src = job.req.source
    xy = list(src.xy)
    usecols = list(dict.fromkeys(xy + cols.wanted))
    return dd.read_csv(tiles, blocksize=chunk_bytes, usecols=usecols, dtype={c: "float64" for c in usecols},
                       sep=src.delimiter or r"\s+", float_precision="round_trip", encoding="utf-8-sig"), xy  # fmt: skip


def _bounds(client, ddf, xy):
    lo = client.compute([ddf[xy[0]].min(), ddf[xy[1]].min(), ddf[xy[0]].max(), ddf[xy[1]].max()])
    box = tuple(float(v) for v in client.gather(lo))
    return box if np.all(np.isfinite(box)) else None


def grid_on_dask(job, tiles: list, client, chunk_bytes: int) -> point_grid.GridPointsSummary:
    """The mean gridding of ``tiles`` on ``client``'s cluster, written by the core's writer."""
    import pandas as pd

    log = []
    cols = point_grid.Columns.of(job)
    ddf, xy = _frame(job, tiles, chunk_bytes, cols)
    if job.cell is None:  # a geographic grid without EXTENT: the cell size follows the points' centre
        point_grid.settle_cell(job, log, bounds=_bounds(client, ddf, xy))
    meta = pd.DataFrame({"key": np.empty(0, np.int64), **{n: np.empty(0) for n in cols.sums}})
    sums = ddf.map_partitions(_partition_sums, job, cols.wanted, xy, meta=meta).groupby("key").sum()
    futures = client.compute([sums, ddf.map_partitions(len).sum()])
    try:
        table, count = client.gather(futures)
    except BaseException:
        client.cancel(futures, force=True)
        raise
    table = table.sort_index()
    sums = {n: table[n].to_numpy(np.float64) for n in cols.sums}
    return point_grid.write_sums(job, table.index.to_numpy(np.int64), sums, points=count, log=log)
