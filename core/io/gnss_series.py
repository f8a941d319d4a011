"""GNSS position time series as the plugin reads them: NGL's ``.tenv3`` daily positions and a
plain CSV of several stations, one file or a folder of them.

- ``.tenv3`` (Nevada Geodetic Laboratory): one header line, then 23 whitespace columns:
  site, YYMMMDD, decimal year, MJD, GPS week, day, reflon, e0, east, n0, north, u0, up (each
  position = integer part + fractional part, metres), antenna height, sig_e, sig_n, sig_u,
  corr_en, corr_eu, corr_nu, latitude, longitude (may be outside +/-180: wrapped), height.
- CSV (a header line; comma, semicolon or tab): site, date (``YYYY-MM-DD`` or ``YYYYMMDD``),
  east, north, up, optional sig_e sig_n sig_u and corr_en corr_eu corr_nu, and the station's
  longitude and latitude; positions in the unit the user states.

Dates are calendar days: NGL's daily solutions are at 12:00 UTC and are taken as that day.
A line that is truncated or not numbers is skipped and counted, a column nobody knows is
named and ignored, a station whose file cannot be read is named: never fatal for the
others (``GnssSeriesError`` only when nothing at all is usable)."""

import datetime
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..conventions import dates
from ..conventions.errors import StationError
from .gnss_stations import LAT_CANDIDATES, LON_CANDIDATES, find_field, normalise_name, to_number, wrap_longitude

#: NGL's ``.tenv3`` columns, in order.
TENV3_COLUMNS = (
    "site", "YYMMMDD", "yyyy.yyyy", "__MJD", "week", "d", "reflon", "_e0(m)", "__east(m)", "____n0(m)",
    "_north(m)", "u0(m)", "____up(m)", "_ant(m)", "sig_e(m)", "sig_n(m)", "sig_u(m)", "__corr_en", "__corr_eu",
    "__corr_nu", "_latitude(deg)", "_longitude(deg)", "__height(m)",
)  # fmt: skip
_TENV3_KNOWN = {normalise_name(c) for c in TENV3_COLUMNS}
#: Files of a folder that are read, by extension.
EXTENSIONS = (".tenv3", ".csv")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MJD_EPOCH = datetime.date(1858, 11, 17)
#: CSV column roles and their usual spellings (normalised).
CSV_ROLES = {
    "site": ("site", "station", "name", "sta", "id"),
    "date": ("date", "day", "epoch", "time"),
    "east": ("east", "e", "de", "dx", "x"),
    "north": ("north", "n", "dn", "dy", "y"),
    "up": ("up", "u", "du", "dz", "z", "vertical"),
    "sig_e": ("sige", "sigmae", "se", "sde", "stde", "eastsigma", "eastsig", "esig"),
    "sig_n": ("sign", "sigman", "sn", "sdn", "stdn", "northsigma", "northsig", "nsig"),
    "sig_u": ("sigu", "sigmau", "su", "sdu", "stdu", "upsigma", "upsig", "usig"),
    "corr_en": ("corren", "corrne", "rhoen"),
    "corr_eu": ("correu", "corrue", "rhoeu"),
    "corr_nu": ("corrnu", "corrun", "rhonu"),
    "lon": LON_CANDIDATES,
    "lat": LAT_CANDIDATES,
}
NAMES_SHOWN = 10


class GnssSeriesError(StationError):
    """No usable GNSS time series; the message names the files and why."""


@dataclass
class Series:
    """One station's daily positions: ``enu`` (n, 3) and ``sigma`` (n, 3, NaN unknown) in
    ``unit`` ('' = the stack's), ``corr`` (n, 3) en/eu/nu (0 where not given), ``dates`` the
    calendar days (datetime64[D], increasing, each once); ``lon``/``lat`` WGS 84 degrees."""

    site: str
    dates: np.ndarray
    enu: np.ndarray
    sigma: np.ndarray
    corr: np.ndarray
    lon: float
    lat: float
    unit: str
    source: str
    log: list = field(default_factory=list)

    def __len__(self):
        return len(self.dates)


@dataclass
class SeriesSet:
    """The stations read from a GNSS path and what was said about them."""

    series: list
    log: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)  # reason -> [file or site]


def yymmmdd(text: str) -> Optional[datetime.date]:
    """NGL's ``17JAN01`` as a date (years 80-99 are 1980-1999, 00-79 are 2000-2079: GPS began
    in 1980); None if not one. A .tenv3 line's MJD column decides when it is given."""
    t = text.strip().upper()
    if len(t) != 7 or t[2:5] not in MONTHS or not (t[:2].isdigit() and t[5:].isdigit()):
        return None
    year = int(t[:2])
    try:
        return datetime.date(1900 + year if year >= 80 else 2000 + year, MONTHS.index(t[2:5]) + 1, int(t[5:]))
    except ValueError:
        return None


def mjd_date(mjd: float) -> datetime.date:
    """The calendar day of a modified Julian date (12:00 UTC is that day)."""
    return MJD_EPOCH + datetime.timedelta(days=int(np.floor(mjd)))


def _finish(site, days, enu, sigma, corr, lon, lat, unit, source, log):
    """A Series sorted by day, a day given twice kept once (the first) and said."""
    d = np.array(days, dtype="datetime64[D]")
    order = np.argsort(d, kind="stable")
    d = d[order]
    keep = np.concatenate([[True], d[1:] != d[:-1]]) if d.size else np.zeros(0, bool)
    if (~keep).any():
        log.append(f"{source}: {int((~keep).sum())} day(s) given twice, the first kept")
    take = order[keep]
    arr = [np.asarray(a, dtype=np.float64).reshape(-1, 3)[take] for a in (enu, sigma, corr)]
    lon_, lat_ = wrap_longitude(np.nanmedian(lon)) if len(lon) else np.nan, np.nanmedian(lat) if len(lat) else np.nan
    return Series(site, d[keep], arr[0], arr[1], arr[2], float(lon_), float(lat_), unit, source, log)


#: The .tenv3 columns read, by their normalised header name.
TENV3_ROLES = ("yymmmdd", "mjd", "e0", "east", "n0", "north", "u0", "up", "sige", "sign", "sigu", "corren",
               "correu", "corrnu", "latitude", "longitude")  # fmt: skip
_TENV3_DEFAULT = {normalise_name(c): k for k, c in enumerate(TENV3_COLUMNS)}


def _tenv3_row(tokens, cols):
    """(day, enu, sigma, corr, lon, lat) of a .tenv3 line (``cols``: role -> column), None
    when it is not one."""
    if len(tokens) <= max(cols.values()):
        return None
    v = {role: to_number(tokens[cols[role]]) for role in TENV3_ROLES if role != "yymmmdd"}
    needed = ("e0", "east", "n0", "north", "u0", "up", "latitude", "longitude")
    if not all(np.isfinite(v[r]) for r in needed):
        return None
    day = mjd_date(v["mjd"]) if np.isfinite(v["mjd"]) else yymmmdd(tokens[cols["yymmmdd"]])
    if day is None:
        return None
    enu = (v["e0"] + v["east"], v["n0"] + v["north"], v["u0"] + v["up"])
    corr = tuple(0.0 if not np.isfinite(v[c]) else v[c] for c in ("corren", "correu", "corrnu"))
    return day, enu, (v["sige"], v["sign"], v["sigu"]), corr, v["longitude"], v["latitude"]


def _tenv3_header(tokens, name):
    """({role: column}, log lines) from a header line: the columns are found by name (NGL
    writes other layouts too, e.g. loading columns without latitude and longitude);
    GnssSeriesError naming the file when a needed column is missing."""
    norm = [normalise_name(t) for t in tokens]
    missing = [r for r in TENV3_ROLES if r not in norm]
    if missing:
        raise GnssSeriesError(f"GNSS {name}: the header has no {', '.join(missing)} column(s) (the .tenv3 layout "
                              "with latitude and longitude is needed to place the station)")  # fmt: skip
    unknown = [t for t, n in zip(tokens, norm) if n not in _TENV3_KNOWN]
    log = [f"{name}: {len(unknown)} unknown column(s) in the header, ignored: {', '.join(unknown)}"] if unknown else []
    return {r: norm.index(r) for r in TENV3_ROLES}, log


def _read_lines(path):
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            return [ln.rstrip("\r\n") for ln in f if ln.strip()]
    except OSError as exc:
        raise GnssSeriesError(f"GNSS {path}: cannot be read ({exc.strerror or exc})") from None


def read_tenv3(path: str) -> Series:
    """One ``.tenv3`` file (metres); GnssSeriesError naming the file when no line is usable."""
    name = os.path.basename(path)
    lines = _read_lines(path)
    rows, bad, site = [], 0, ""
    start, cols, log = 0, {r: _TENV3_DEFAULT[r] for r in TENV3_ROLES}, []
    first = lines[0].split() if lines else []
    if first and (len(first) < 2 or yymmmdd(first[1]) is None):
        cols, log = _tenv3_header(first, name)
        start = 1
    for line in lines[start:]:
        tokens = line.split()
        row = _tenv3_row(tokens, cols)
        if row is None:
            bad += 1
            continue
        site = site or tokens[0]
        rows.append(row)
    if bad:
        log.append(f"{name}: {bad} line(s) truncated or not numbers, skipped")
    if not rows:
        raise GnssSeriesError(f"GNSS {name}: no usable line of the .tenv3 layout (23 columns)")
    days, enu, sigma, corr, lon, lat = zip(*rows)
    return _finish(site, days, enu, sigma, corr, lon, lat, "m", name, log)


def _csv_columns(header, name):
    """({role: column index}, log): site, date, east, north, up, lon, lat are needed."""
    norm = [normalise_name(h) for h in header]
    found = {}
    for role, words in CSV_ROLES.items():
        hit = find_field(header, tuple(words))
        if hit is not None:
            found[role] = header.index(hit)
    missing = [r for r in ("site", "date", "east", "north", "up", "lon", "lat") if r not in found]
    if missing:
        raise GnssSeriesError(f"GNSS {name}: no column for {', '.join(missing)}; columns: {', '.join(header)}")
    used = set(found.values())
    unknown = [header[i] for i in range(len(norm)) if i not in used]
    log = [f"{name}: {len(unknown)} unknown column(s) ignored: {', '.join(unknown)}"] if unknown else []
    return found, log


def _csv_value(tokens, cols, role, default=np.nan):
    i = cols.get(role)
    return to_number(tokens[i]) if i is not None and i < len(tokens) else default


def _csv_row(tokens, cols):
    """(site, day, enu, sigma, corr, lon, lat) of a CSV line, None when it is not usable."""
    day = dates.parse(tokens[cols["date"]]) if cols["date"] < len(tokens) else None
    enu = [_csv_value(tokens, cols, r) for r in ("east", "north", "up")]
    if day is None or not all(np.isfinite(enu)) or cols["site"] >= len(tokens) or not tokens[cols["site"]]:
        return None
    return (tokens[cols["site"]], day, enu, [_csv_value(tokens, cols, r) for r in ("sig_e", "sig_n", "sig_u")],
            [_csv_value(tokens, cols, r, 0.0) for r in ("corr_en", "corr_eu", "corr_nu")],
            _csv_value(tokens, cols, "lon"), _csv_value(tokens, cols, "lat"))  # fmt: skip


def read_csv(path: str, unit: str = "") -> list:
    """The stations of a CSV (one list of Series, in ``unit``); the file is named on error."""
    name = os.path.basename(path)
    lines = [ln for ln in _read_lines(path) if not ln.lstrip().startswith(("#", "%"))]
    if not lines:
        raise GnssSeriesError(f"GNSS {name}: empty")
    delimiter = next((d for d in (",", ";", "\t") if d in lines[0]), ",")
    header = [h.strip().strip('"') for h in lines[0].split(delimiter)]
    cols, log = _csv_columns(header, name)
    by_site, bad = {}, 0
    for line in lines[1:]:
        row = _csv_row([t.strip().strip('"') for t in line.split(delimiter)], cols)
        if row is None:
            bad += 1
            continue
        by_site.setdefault(row[0], []).append(row[1:])
    if bad:
        log.append(f"{name}: {bad} line(s) truncated, without a date or not numbers, skipped")
    if not by_site:
        raise GnssSeriesError(f"GNSS {name}: no usable line (site, date, east, north, up, lon, lat)")
    return [_site_series(site, rows, unit, name, log) for site, rows in by_site.items()]


def _site_series(site, rows, unit, name, log):
    days, enu, sigma, corr, lon, lat = zip(*rows)
    corr = [[0.0 if not np.isfinite(c) else c for c in row] for row in corr]
    return _finish(site, days, enu, sigma, corr, lon, lat, unit, f"{name} ({site})", list(log))


def _files(path):
    if os.path.isdir(path):
        names = sorted(os.listdir(path))
        used = [os.path.join(path, f) for f in names if f.lower().endswith(EXTENSIONS)]
        other = [f for f in names if not f.lower().endswith(EXTENSIONS) and not f.startswith(".")]
        return used, other
    if os.path.isfile(path):
        return [path], []
    raise GnssSeriesError(f"GNSS: {path or '(empty)'} is neither a file nor a folder")


def _shown(items):
    more = f" and {len(items) - NAMES_SHOWN} more" if len(items) > NAMES_SHOWN else ""
    return ", ".join(items[:NAMES_SHOWN]) + more


def read_series(path: str, unit: str = "") -> SeriesSet:
    """Every station of ``path`` (a ``.tenv3`` or CSV file, or a folder of them): a file that
    cannot be used is named in ``problems`` and the log, the others are read; a site found
    twice keeps its first file. GnssSeriesError when no station is usable."""
    files, other = _files(path)
    out = SeriesSet([], [])
    if other:
        out.log.append(f"GNSS folder: {len(other)} file(s) not .tenv3 or .csv, not read: {_shown(other)}")
    for f in files:
        try:
            got = [read_tenv3(f)] if f.lower().endswith(".tenv3") or _looks_tenv3(f) else read_csv(f, unit)
        except GnssSeriesError as exc:
            out.problems.setdefault("unreadable", []).append(os.path.basename(f))
            out.log.append(str(exc))
            continue
        for s in got:
            if any(o.site == s.site for o in out.series):
                out.problems.setdefault("given twice", []).append(s.site)
                continue
            out.series.append(s)
            out.log += s.log
    if not out.series:
        why = "; ".join(out.log[-NAMES_SHOWN:]) or "no .tenv3 or .csv file"
        raise GnssSeriesError(f"GNSS {path}: no usable station ({why}); nothing was written")
    for reason, items in out.problems.items():
        out.log.append(f"GNSS: {len(items)} {reason}, left out: {_shown(items)}")
    return out


def _looks_tenv3(path):
    """A file without the .tenv3 extension in that layout (its first data line)."""
    lines = _read_lines(path)[:2]
    return any(len(ln.split()) >= len(TENV3_COLUMNS) and yymmmdd(ln.split()[1]) is not None for ln in lines)
