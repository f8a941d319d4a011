"""Point InSAR data (EGMS L2a/L2b CSVs, PS deliveries, point layers): the fields that hold
velocity, its standard deviation and the look vector, and a streamed reader of delimited
files. Points arrive in batches, so that hundreds of MB are read in bounded memory."""

import itertools
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from ..conventions import dates as dates_
from ..conventions.errors import PointError  # noqa: F401 (re-exported: raised here)
from .gnss_stations import WGS84_WKT, find_field
from .grid import srs_from_user_input

VELOCITY, SIGMA, LOS_EAST, LOS_NORTH, LOS_UP = "velocity", "sigma", "los_east", "los_north", "los_up"
LOOK = (LOS_EAST, LOS_NORTH, LOS_UP)
ROLE_NAMES = {VELOCITY: "velocity", SIGMA: "velocity standard deviation", LOS_EAST: "LOS east component",
              LOS_NORTH: "LOS north component", LOS_UP: "LOS up component"}  # fmt: skip
CANDIDATES = {
    VELOCITY: ("meanvelocity", "vel", "velocity", "v", "vlos", "losvelocity", "meanvel", "velocitylos", "rate",
               "velo", "vellos", "linearvelocity"),
    SIGMA: ("meanvelocitystd", "velstd", "velocitystd", "vstd", "std", "sigma", "velsigma", "velocitysigma",
            "meanvelocitystdev", "vstdev", "stdvel", "sigmavel"),
    LOS_EAST: ("loseast", "lose", "looke", "lookeast", "east", "e", "unite", "ue", "enue"),
    LOS_NORTH: ("losnorth", "losn", "lookn", "looknorth", "north", "n", "unitn", "un", "enun"),
    LOS_UP: ("losup", "losu", "looku", "lookup", "up", "u", "unitu", "uu", "enuu"),
}  # fmt: skip
#: EGMS L2a/L2b: projected coordinates in ETRS89-LAEA (EPSG:3035), velocities in mm/year.
EGMS_XY, EGMS_CRS, EGMS_UNIT = ("easting", "northing"), "EPSG:3035", "mm/year"
LONLAT = (("longitude", "lon", "long", "lng"), ("latitude", "lat"))
_DATE_COLUMN = re.compile(r"^\D?(\d{8})$")



def date_columns(available: list) -> list:
    """[(column, date)] of the columns named by a date (EGMS: ``20180105``), in date order."""
    out = []
    for name in available:
        m = _DATE_COLUMN.match(str(name).strip())
        d = dates_.parse(m.group(1)) if m else None
        if d is not None:
            out.append((name, d))
    return sorted(out, key=lambda p: p[1])


@dataclass
class PointFields:
    """The columns of each role (None = absent) and the date columns."""

    names: dict
    dates: list = field(default_factory=list)

    @property
    def has_look_vector(self) -> bool:
        return all(self.names.get(r) for r in LOOK)


def _field_of(available, given, role, label):
    """The field named for ``role`` (it must exist), else the one recognised, else None."""
    name = (given.get(role) or "").strip()
    if name and name not in available:
        raise PointError(f"{label}: has no field '{name}' (for the {ROLE_NAMES[role]})")
    return name or find_field(available, CANDIDATES[role])


def resolve_fields(available: list, given: dict, label: str) -> tuple:
    """(PointFields, log lines): named fields must exist, the velocity must be found."""
    names, log = {role: _field_of(available, given, role, label) for role in (VELOCITY, SIGMA) + LOOK}, []
    if names[VELOCITY] is None:
        raise PointError(
            f"{label}: no velocity field recognised (mean_velocity, velocity, vel, ...); name it with "
            f"VELOCITY_FIELD. Fields: {', '.join(map(str, available)) or 'none'}"
        )
    look = [names[r] for r in LOOK]
    if any(look) and not all(look):
        missing = [ROLE_NAMES[r] for r in LOOK if not names[r]]
        raise PointError(f"{label}: the look vector is incomplete: no {', no '.join(missing)} field")
    pf = PointFields(names, date_columns(available))
    log.append(f"{label}: " + ", ".join(f"{ROLE_NAMES[r]} '{names[r]}'" for r in names if names[r]))
    if pf.dates:
        log.append(f"{label}: {len(pf.dates)} date columns, {pf.dates[0][1]} to {pf.dates[-1][1]}")
    return pf, log


@dataclass
class PointBatch:
    """Some points: coordinates in the source's CRS and the wanted columns as float64."""

    x: np.ndarray
    y: np.ndarray
    columns: dict


class PointSource:
    """What the gridding needs of a point input: its CRS, its column names, a label, the
    unit it is known to use ('' = unknown) and batches of points."""

    crs_wkt: str = ""
    names: list = []
    label: str = "points"
    unit: str = ""

    def batches(self, wanted: list, progress: Optional[Callable] = None) -> Iterator[PointBatch]:
        raise NotImplementedError

    def bounds(self) -> Optional[tuple]:
        """(xmin, ymin, xmax, ymax) of the points with coordinates, in the source's CRS; None
        when there is none. This default reads the coordinates once: sources that know their
        extent say it instead."""
        lo, hi = np.array([np.inf, np.inf]), np.array([-np.inf, -np.inf])
        for batch in self.batches([]):
            lo, hi = _extend(lo, hi, batch.x, batch.y)
        return (lo[0], lo[1], hi[0], hi[1]) if np.all(lo <= hi) else None


def _extend(lo: np.ndarray, hi: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple:
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return lo, hi
    return (np.minimum(lo, [x[ok].min(), y[ok].min()]), np.maximum(hi, [x[ok].max(), y[ok].max()]))


class ArrayPoints(PointSource):
    """Points already in memory (a layer read by the provider, tests)."""

    def __init__(self, x: Sequence, y: Sequence, columns: dict, crs_wkt: str, label: str = "points", unit: str = "",
                 batch_size: int = 1 << 20):  # fmt: skip
        self.x, self.y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.columns, self.crs_wkt, self.label, self.unit = columns, crs_wkt, label, unit
        self.names = list(columns)
        self.batch_size = batch_size

    def batches(self, wanted: list, progress: Optional[Callable] = None) -> Iterator[PointBatch]:
        n = len(self.x)
        for start in range(0, n, self.batch_size):
            sl = slice(start, min(start + self.batch_size, n))
            cols = {k: np.asarray(self.columns[k][sl], dtype=np.float64) for k in wanted}
            yield PointBatch(self.x[sl], self.y[sl], cols)
            if progress is not None:
                progress(sl.stop / max(n, 1))

    def bounds(self) -> Optional[tuple]:
        lo, hi = _extend(np.array([np.inf, np.inf]), np.array([-np.inf, -np.inf]), self.x, self.y)
        return (lo[0], lo[1], hi[0], hi[1]) if np.all(lo <= hi) else None


class CsvPoints(PointSource):
    """A delimited text file with a header, read in batches of ``batch_rows`` lines by numpy's
    C parser; EGMS files are recognised by their ``easting``/``northing`` columns (EPSG:3035),
    others need ``longitude``/``latitude`` (WGS 84)."""

    def __init__(self, path: str, label: str = "", batch_rows: int = 1 << 18):
        self.path, self.label, self.batch_rows = path, label or os.path.basename(path), batch_rows
        try:
            with open(path, encoding="utf-8-sig", errors="replace") as f:
                header = f.readline().strip()
        except OSError as exc:
            raise PointError(f"{self.label}: cannot read {path} ({exc.strerror or exc})") from None
        self.delimiter = next((d for d in (",", ";", "\t") if d in header), None)
        self.names = [
            t.strip().strip('"') for t in (header.split(self.delimiter) if self.delimiter else header.split())
        ]
        xy = [find_field(self.names, (c,)) for c in EGMS_XY]
        if all(xy):
            self.xy, self.crs_wkt = xy, srs_from_user_input(EGMS_CRS).ExportToWkt()
            self.unit = EGMS_UNIT if find_field(self.names, ("meanvelocity",)) else ""
        else:
            lonlat = [find_field(self.names, c) for c in LONLAT]
            if not all(lonlat):
                raise PointError(
                    f"{self.label}: no easting/northing (EGMS, EPSG:3035) or longitude/latitude columns; "
                    f"columns: {', '.join(self.names[:20])}"
                )
            self.xy, self.crs_wkt, self.unit = lonlat, WGS84_WKT, ""

    def batches(self, wanted: list, progress: Optional[Callable] = None) -> Iterator[PointBatch]:
        cols = [self.names.index(c) for c in self.xy] + [self.names.index(c) for c in wanted]
        size, done = os.path.getsize(self.path) or 1, 0
        with open(self.path, encoding="utf-8-sig", errors="replace") as f:
            done += len(f.readline())
            while True:
                lines = list(itertools.islice(f, self.batch_rows))
                if not lines:
                    break
                try:
                    a = np.loadtxt(lines, delimiter=self.delimiter, usecols=cols, ndmin=2, dtype=np.float64,
                                   comments=None, converters=None)  # fmt: skip
                except ValueError as exc:
                    raise PointError(f"{self.label}: a row cannot be read as numbers ({exc})") from None
                a = np.ascontiguousarray(a.T)  # a column each: every later pass reads it contiguously (0.8 s at 10 M)
                yield PointBatch(a[0], a[1], {k: a[i + 2] for i, k in enumerate(wanted)})
                if progress is not None:
                    done += sum(map(len, lines))  # characters (bytes for ASCII); a generator cost 3x (0.9 s at 10 M)
                    progress(min(done / size, 1.0))
