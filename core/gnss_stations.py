"""GNSS stations as the plugin reads them: east/north/up velocities (and their standard
deviations) at points, from the columns of a point layer or of a delimited text file.

Field names are recognised from the usual spellings unless the user names them; a station
whose velocities are missing or not numbers is kept and reported, not fatal."""

import math
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from . import units

VE, VN, VU, SE, SN, SU = "ve", "vn", "vu", "se", "sn", "su"
VELOCITY_ROLES, SIGMA_ROLES = (VE, VN, VU), (SE, SN, SU)
ROLES = VELOCITY_ROLES + SIGMA_ROLES
ROLE_NAMES = {VE: "east velocity", VN: "north velocity", VU: "up velocity",
              SE: "east standard deviation", SN: "north standard deviation", SU: "up standard deviation"}  # fmt: skip

#: GNSS_UNIT choices: the track's own unit, mm/year, m/year.
UNITS = ("", "mm/year", "m/year")

#: Column order of a MIDAS-style velocity table without a header line (metres per year).
MIDAS_COLUMNS = ("station", "lon", "lat", VE, VN, VU, SE, SN, SU)

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
    'UNIT["degree",0.0174532925199433],AXIS["Longitude",EAST],AXIS["Latitude",NORTH],AUTHORITY["EPSG","4326"]]'
)


class StationError(ValueError):
    """The GNSS input cannot be used; the message names the input and the problem."""


def _words(component: str, word: str, alt: tuple = ()) -> tuple:
    """Usual spellings of a velocity and of its standard deviation for one component."""
    c, words = component, (word,) + alt
    velocity = [f"v{c}", f"vel{c}", f"{c}vel", f"d{c}", f"velocity{c}"]
    sigma = [f"s{c}", f"sig{c}", f"sigma{c}", f"sd{c}", f"std{c}", f"err{c}", f"unc{c}", f"sv{c}", f"sigv{c}",
             f"{c}sig", f"{c}sigma", f"{c}std", f"{c}sd", f"{c}err", f"{c}unc",
             f"v{c}sig", f"v{c}sigma", f"v{c}std", f"v{c}sd", f"v{c}err", f"v{c}unc"]  # fmt: skip
    for w in words:
        velocity += [w, f"v{w}", f"vel{w}", f"{w}vel", f"{w}velocity", f"velocity{w}"]
        sigma += [f"{w}{s}" for s in ("sig", "sigma", "std", "sd", "err", "error", "unc", "uncertainty")]
        sigma += [f"{s}{w}" for s in ("sig", "sigma", "std", "sd", "err", "unc")]
    return tuple(velocity), tuple(sigma)


_E, _N, _U = _words("e", "east", ("x",)), _words("n", "north", ("y",)), _words("u", "up", ("vertical", "vert", "z"))
CANDIDATES = {VE: _E[0], VN: _N[0], VU: _U[0], SE: _E[1], SN: _N[1], SU: _U[1]}
NAME_CANDIDATES = ("station", "site", "name", "sta", "stationid", "siteid", "code", "id", "stat")
LON_CANDIDATES = ("lon", "long", "longitude", "lng")
LAT_CANDIDATES = ("lat", "latitude")


def normalise_name(name: str) -> str:
    """A field name without case, unit suffix (``ve (mm/yr)``, ``ve[m/a]``) or punctuation."""
    text = re.sub(r"[\(\[].*?[\)\]]", "", str(name)).lower()
    return re.sub(r"[^a-z0-9]", "", text)


def find_field(available: list, candidates: tuple) -> Optional[str]:
    """The first field whose normalised name is one of ``candidates`` (normalised spellings)."""
    by_norm = {}
    for name in available:
        by_norm.setdefault(normalise_name(name), name)
    for c in candidates:
        if c in by_norm:
            return by_norm[c]
    return None


def resolve_fields(available: list, given: dict, label: str) -> tuple:
    """({role: field name or None}, log lines). A field the user named must exist; the three
    velocities must be found; a missing standard deviation only leaves GNSS LOS sigma unknown."""
    fields, log = {}, []
    for role in ROLES:
        name = (given.get(role) or "").strip()
        if name:
            if name not in available:
                raise StationError(
                    f"{label}: has no field '{name}' (for the {ROLE_NAMES[role]}); "
                    f"its fields are {', '.join(available)}"
                )
            fields[role] = name
        else:
            fields[role] = find_field(available, CANDIDATES[role])
    missing = [ROLE_NAMES[r] for r in VELOCITY_ROLES if fields[r] is None]
    if missing:
        raise StationError(
            f"{label}: no field recognised for the {' and the '.join(missing)}; name it "
            f"(VE_FIELD, VN_FIELD, VU_FIELD). Fields: {', '.join(available) or 'none'}"
        )
    log.append(f"{label}: " + ", ".join(f"{ROLE_NAMES[r]} '{fields[r]}'" for r in ROLES if fields[r]))
    no_sigma = [ROLE_NAMES[r] for r in SIGMA_ROLES if fields[r] is None]
    if no_sigma:
        log.append(f"{label}: no {', no '.join(no_sigma)} field: the GNSS LOS standard deviation is unknown")
    return fields, log


def to_number(value: object) -> float:
    """A float, NaN for empty, NULL or text that is not a number."""
    if value is None:
        return math.nan
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return math.nan


@dataclass
class Stations:
    """GNSS stations: coordinates in ``crs_wkt``, velocities in ``unit`` ('' = the track's);
    NaN where a value is missing."""

    names: list
    x: np.ndarray
    y: np.ndarray
    crs_wkt: str
    velocity: dict  # role -> float64 array, for the six roles (sigmas all NaN when absent)
    unit: str = ""
    label: str = "GNSS"
    log: list = field(default_factory=list)

    def __len__(self):
        return len(self.names)

    def complete(self) -> np.ndarray:
        """Stations with all three velocities and finite coordinates."""
        ok = np.isfinite(self.x) & np.isfinite(self.y)
        for role in VELOCITY_ROLES:
            ok &= np.isfinite(self.velocity[role])
        return ok


def from_columns(columns: dict, x: Sequence, y: Sequence, crs_wkt: str, given: dict, names: Optional[list] = None,
                 unit: str = "",
                 label: str = "GNSS") -> Stations:  # fmt: skip
    """Stations from attribute columns ({field: values}), point coordinates in ``crs_wkt``
    and the fields the user named ({role: name or ''})."""
    fields, log = resolve_fields(list(columns), given, label)
    count = len(x)
    if count == 0:
        raise StationError(f"{label}: holds no station")
    velocity = {}
    for role in ROLES:
        values = columns[fields[role]] if fields[role] else [None] * count
        velocity[role] = np.array([to_number(v) for v in values], dtype=np.float64)
    if names is None:
        key = find_field(list(columns), NAME_CANDIDATES)
        names = [str(v) for v in columns[key]] if key else [f"station {i + 1}" for i in range(count)]
    return Stations(
        names=list(names), x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64),
        crs_wkt=crs_wkt, velocity=velocity, unit=unit, label=label, log=log,
    )  # fmt: skip


@dataclass
class Table:
    """A delimited text file's columns, as text, in file order."""

    columns: dict
    header: bool


def _split(line: str, delimiter: Optional[str]) -> list:
    return [t.strip().strip('"') for t in (line.split(delimiter) if delimiter else line.split())]


def is_number(text: str) -> bool:
    return math.isfinite(to_number(text)) or text.strip().lower() == "nan"


def read_table(path: str, label: str = "GNSS") -> Table:
    """A delimited text file (comma, semicolon, tab or spaces; ``#``/``%`` comments) with a
    header line, or a MIDAS-style table without one (``MIDAS_COLUMNS``, in that order)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            lines = [ln.rstrip("\r\n") for ln in f if ln.strip() and not ln.lstrip().startswith(("#", "%"))]
    except OSError as exc:
        raise StationError(f"{label}: cannot read {path} ({exc.strerror or exc})") from None
    if not lines:
        raise StationError(f"{label}: {path} holds no station")
    first = lines[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first), None)
    tokens = _split(first, delimiter)
    header = sum(not is_number(t) for t in tokens) >= 2
    names = tokens if header else list(MIDAS_COLUMNS)
    rows = [_split(ln, delimiter) for ln in (lines[1:] if header else lines)]
    if not header and len(tokens) < 6:
        raise StationError(
            f"{label}: {path} has no header line and {len(tokens)} columns; a table without a header must "
            f"have the columns {' '.join(MIDAS_COLUMNS)} (the standard deviations may be left out)"
        )
    names = names[: max(len(r) for r in rows)] if rows else names
    columns = {name: [r[i] if i < len(r) else "" for r in rows] for i, name in enumerate(names)}
    return Table(columns, header)


def from_table(table: Table, given: dict, unit: str = "", label: str = "GNSS") -> Stations:
    """Stations of a text table, located by its longitude/latitude columns (WGS 84)."""
    lon, lat = find_field(list(table.columns), LON_CANDIDATES), find_field(list(table.columns), LAT_CANDIDATES)
    if lon is None or lat is None:
        raise StationError(f"{label}: no longitude/latitude columns (lon, lat); columns: {', '.join(table.columns)}")
    x = [to_number(v) for v in table.columns[lon]]
    y = [to_number(v) for v in table.columns[lat]]
    return from_columns(table.columns, x, y, WGS84_WKT, given, unit=unit, label=label)


def unit_factor(stations: Stations, track_unit: str) -> tuple:
    """(factor converting the stations' velocities to ``track_unit``, log line or '')."""
    if not stations.unit:
        return 1.0, f"{stations.label}: velocities taken to be in the track's unit ({track_unit or 'unknown'})"
    if not track_unit:
        return 1.0, f"{stations.label}: the track states no unit; GNSS velocities ({stations.unit}) used as they are"
    f = units.factor(stations.unit, track_unit)
    if f is None:
        raise StationError(
            f"{stations.label}: its unit {stations.unit} cannot be converted to the track's {track_unit}"
        )
    return f, f"{stations.label}: converted from {stations.unit} to {track_unit} (x{f:g})"
