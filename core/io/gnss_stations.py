"""GNSS stations as the plugin reads them: east/north/up velocities (with their a-priori
standard deviations and correlations when given) at points, from the columns of a point
layer, of a delimited text file, or of NGL's MIDAS velocity file (27 columns, m/yr).

Field names are recognised from the usual spellings unless the user names them; a station
whose velocities are missing or not numbers is kept and reported, not fatal."""

import math
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..conventions import units
from ..conventions.errors import StationError  # noqa: F401 (re-exported: raised here)

VE, VN, VU, SE, SN, SU = "ve", "vn", "vu", "se", "sn", "su"
CEN, CEU, CNU = "cen", "ceu", "cnu"
VELOCITY_ROLES, SIGMA_ROLES, CORRELATION_ROLES = (VE, VN, VU), (SE, SN, SU), (CEN, CEU, CNU)
ROLES = VELOCITY_ROLES + SIGMA_ROLES
ROLE_NAMES = {VE: "east velocity", VN: "north velocity", VU: "up velocity",
              SE: "east a-priori standard deviation", SN: "north a-priori standard deviation",
              SU: "up a-priori standard deviation",
              CEN: "east-north correlation", CEU: "east-up correlation", CNU: "north-up correlation"}  # fmt: skip

#: GNSS_UNIT choices: '' (a header table or a layer: the track's own unit; a table without a
#: header: its format's m/year), mm/year, m/year.
UNITS = ("", "mm/year", "m/year")
#: The unit of both headerless formats below.
HEADERLESS_UNIT = "m/year"

#: Column order of the plugin's own velocity table without a header line (metres per year).
MIDAS_COLUMNS = ("station", "lon", "lat", VE, VN, VU, SE, SN, SU)
#: NGL's MIDAS velocity file (Blewitt et al. 2016): 27 whitespace columns, no header, the
#: second column the MIDAS version (``MIDAS5``); velocities, sigmas in m/yr, offsets in m.
MIDAS_FILE_COLUMNS = (
    "site", "midas_version", "first_epoch", "last_epoch", "duration_years", "epochs", "good_epochs",
    "velocity_pairs", VE, VN, VU, SE, SN, SU, "e0", "n0", "u0", "outlier_fraction_e", "outlier_fraction_n",
    "outlier_fraction_u", "pairs_sd_e", "pairs_sd_n", "pairs_sd_u", "steps", "lat", "lon", "height",
)  # fmt: skip
MIDAS_FILE = "MIDAS velocity file (27 columns, NGL)"
OWN_TABLE = "table without a header (station lon lat ve vn vu se sn su)"

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
    'UNIT["degree",0.0174532925199433],AXIS["Longitude",EAST],AXIS["Latitude",NORTH],AUTHORITY["EPSG","4326"]]'
)



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


def _correlation_words(a: str, b: str, wa: str, wb: str) -> tuple:
    """Usual spellings of the correlation of components a and b (NGL's ``corr_en``)."""
    words = []
    for pair in (a + b, b + a, wa + wb, wb + wa):
        words += [f"corr{pair}", f"rho{pair}", f"cor{pair}", f"correlation{pair}", f"{pair}corr", f"{pair}rho"]
    return tuple(words)


_E, _N, _U = _words("e", "east", ("x",)), _words("n", "north", ("y",)), _words("u", "up", ("vertical", "vert", "z"))
CANDIDATES = {VE: _E[0], VN: _N[0], VU: _U[0], SE: _E[1], SN: _N[1], SU: _U[1],
              CEN: _correlation_words("e", "n", "east", "north"), CEU: _correlation_words("e", "u", "east", "up"),
              CNU: _correlation_words("n", "u", "north", "up")}  # fmt: skip
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


def _field_for(available: list, given: dict, role: str, label: str) -> Optional[str]:
    """The field the user named for ``role`` (which must exist), else the one recognised."""
    name = (given.get(role) or "").strip()
    if not name:
        return find_field(available, CANDIDATES[role])
    if name not in available:
        raise StationError(
            f"{label}: has no field '{name}' (for the {ROLE_NAMES[role]}); its fields are {', '.join(available)}"
        )
    return name


def resolve_fields(available: list, given: dict, label: str) -> tuple:
    """({role: field name or None} for the six roles, log lines). A field the user named
    must exist; the three velocities must be found; a missing standard deviation leaves
    GNSS in the line of sight without a sigma (unknown, not zero)."""
    fields = {role: _field_for(available, given, role, label) for role in ROLES}
    missing = [ROLE_NAMES[r] for r in VELOCITY_ROLES if fields[r] is None]
    if missing:
        raise StationError(
            f"{label}: no field recognised for the {' and the '.join(missing)}; name it "
            f"(VE_FIELD, VN_FIELD, VU_FIELD). Fields: {', '.join(available) or 'none'}"
        )
    log = [f"{label}: " + ", ".join(f"{ROLE_NAMES[r]} '{fields[r]}'" for r in ROLES if fields[r])]
    no_sigma = [ROLE_NAMES[r] for r in SIGMA_ROLES if fields[r] is None]
    if no_sigma:
        log.append(f"{label}: no {', no '.join(no_sigma)} field: GNSS in the line of sight has no sigma, its "
                   "propagated standard deviation is unknown (left empty, never zero)")  # fmt: skip
    return fields, log


def resolve_correlations(available: list, given: dict, label: str) -> tuple:
    """({correlation role: field name} for those found, log lines): an absent correlation
    is taken as 0 (independent components), and the log says so."""
    fields = {role: _field_for(available, given, role, label) for role in CORRELATION_ROLES}
    found = {role: name for role, name in fields.items() if name}
    log = [f"{label}: " + ", ".join(f"{ROLE_NAMES[r]} '{f}'" for r, f in found.items())] if found else []
    absent = [ROLE_NAMES[r] for r in CORRELATION_ROLES if r not in found]
    if absent:
        log.append(f"{label}: no {', no '.join(absent)} field: taken as 0 (independent components) in the "
                   "propagated standard deviation of GNSS in the line of sight")  # fmt: skip
    return found, log


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
    """GNSS stations: coordinates in ``crs_wkt``, velocities and their a-priori standard
    deviations in ``unit`` ('' = the track's), correlations where the input gives them
    (absent roles: independent); NaN where a value is missing."""

    names: list
    x: np.ndarray
    y: np.ndarray
    crs_wkt: str
    velocity: dict  # role -> float64 array, for the six roles (sigmas all NaN when absent)
    unit: str = ""
    label: str = "GNSS"
    log: list = field(default_factory=list)
    correlation: dict = field(default_factory=dict)  # role -> float64 array, only the roles given

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
    corr_fields, corr_log = resolve_correlations(list(columns), given, label)
    if all(fields[r] for r in SIGMA_ROLES):
        log += corr_log
    count = len(x)
    if count == 0:
        raise StationError(f"{label}: holds no station")
    velocity = {}
    for role in ROLES:
        values = columns[fields[role]] if fields[role] else [None] * count
        velocity[role] = np.array([to_number(v) for v in values], dtype=np.float64)
    correlation = {r: np.array([to_number(v) for v in columns[f]], dtype=np.float64) for r, f in corr_fields.items()}
    if names is None:
        key = find_field(list(columns), NAME_CANDIDATES)
        names = [str(v) for v in columns[key]] if key else [f"station {i + 1}" for i in range(count)]
    return Stations(
        names=list(names), x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64),
        crs_wkt=crs_wkt, velocity=velocity, unit=unit, label=label, log=log, correlation=correlation,
    )  # fmt: skip


@dataclass
class Table:
    """A delimited text file's columns, as text, in file order; ``unit`` and ``kind`` are
    the format's for a table without a header ('' for a table with one)."""

    columns: dict
    header: bool
    unit: str = ""
    kind: str = ""


def _split(line: str, delimiter: Optional[str]) -> list:
    return [t.strip().strip('"') for t in (line.split(delimiter) if delimiter else line.split())]


def is_number(text: str) -> bool:
    return math.isfinite(to_number(text)) or text.strip().lower() == "nan"


def is_midas_file_line(tokens: list) -> bool:
    """A line of NGL's MIDAS velocity file: 27 fields, a site, the MIDAS version, 25 numbers.
    (The version is text, so a header test alone would take the first station for a header.)"""
    return (
        len(tokens) == len(MIDAS_FILE_COLUMNS)
        and bool(tokens[0])
        and tokens[1].upper().startswith("MIDAS")
        and all(is_number(t) for t in tokens[2:])
    )


def _data_lines(path: str, label: str) -> list:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            lines = [ln.rstrip("\r\n") for ln in f if ln.strip() and not ln.lstrip().startswith(("#", "%"))]
    except OSError as exc:
        raise StationError(f"{label}: cannot read {path} ({exc.strerror or exc})") from None
    if not lines:
        raise StationError(f"{label}: {path} holds no station")
    return lines


def read_table(path: str, label: str = "GNSS") -> Table:
    """A delimited text file (comma, semicolon, tab or spaces; ``#``/``%`` comments) with a
    header line; or, without one, NGL's MIDAS velocity file (``MIDAS_FILE_COLUMNS``) or the
    plugin's own table (``MIDAS_COLUMNS``, in that order), both in metres per year."""
    lines = _data_lines(path, label)
    delimiter = next((d for d in (",", ";", "\t") if d in lines[0]), None)
    tokens = _split(lines[0], delimiter)
    names, header, kind = _layout(tokens)
    rows = [_split(ln, delimiter) for ln in (lines[1:] if header else lines)]
    if not header and len(tokens) < 6:
        raise StationError(
            f"{label}: {path} has no header line and {len(tokens)} columns; a table without a header must "
            f"have the columns {' '.join(MIDAS_COLUMNS)} (the standard deviations may be left out), or be "
            f"a MIDAS velocity file ({len(MIDAS_FILE_COLUMNS)} columns)"
        )
    names = names[: max(len(r) for r in rows)] if rows else names
    columns = {name: [r[i] if i < len(r) else "" for r in rows] for i, name in enumerate(names)}
    return Table(columns, header, "" if header else HEADERLESS_UNIT, kind)


def _layout(tokens):
    """(column names, has a header, kind) from a table's first line."""
    if is_midas_file_line(tokens):
        return list(MIDAS_FILE_COLUMNS), False, MIDAS_FILE
    if sum(not is_number(t) for t in tokens) >= 2:
        return tokens, True, ""
    return list(MIDAS_COLUMNS), False, OWN_TABLE


def table_unit(table: Table, unit: str, label: str) -> tuple:
    """(the unit of the table's velocities, log line or ''): ``unit`` (GNSS_UNIT, '' = not
    stated) for a table with a header; a table without one is in metres per year whatever
    the track's unit, and a MIDAS file stated in another unit is refused."""
    if not table.unit:
        return unit, ""
    if not unit:
        return table.unit, f"{label}: {table.kind}: velocities and sigmas in {table.unit}, the format's unit"
    if units.factor(unit, table.unit) == 1.0:
        return table.unit, f"{label}: {table.kind}: velocities and sigmas in {table.unit}"
    if table.kind == MIDAS_FILE:
        raise StationError(
            f"{label}: a MIDAS velocity file (27 columns, as NGL writes it) is in metres per year, but the GNSS "
            f"unit chosen is {unit}: choose m/year, or leave the unit on its default"
        )
    return unit, f"{label}: {table.kind}: read in {unit} as chosen (the format's unit is {table.unit})"


def wrap_longitude(lon: np.ndarray) -> np.ndarray:
    """Longitudes in [-180, 180) (NGL writes some in 0-360); others and NaN unchanged."""
    lon = np.asarray(lon, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        outside = (lon < -180.0) | (lon >= 180.0)
    return np.where(outside, np.mod(lon + 180.0, 360.0) - 180.0, lon)


def from_table(table: Table, given: dict, unit: str = "", label: str = "GNSS") -> Stations:
    """Stations of a text table, located by its longitude/latitude columns (WGS 84), in
    the unit :func:`table_unit` gives."""
    lon, lat = find_field(list(table.columns), LON_CANDIDATES), find_field(list(table.columns), LAT_CANDIDATES)
    if lon is None or lat is None:
        raise StationError(f"{label}: no longitude/latitude columns (lon, lat); columns: {', '.join(table.columns)}")
    unit, line = table_unit(table, unit, label)
    x = wrap_longitude([to_number(v) for v in table.columns[lon]])
    y = [to_number(v) for v in table.columns[lat]]
    stations = from_columns(table.columns, x, y, WGS84_WKT, given, unit=unit, label=label)
    if line:
        stations.log.insert(0, line)
    return stations


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
    if f == 1.0:
        return f, f"{stations.label}: velocities in {stations.unit}, as the track"
    return f, f"{stations.label}: converted from {stations.unit} to {track_unit} (x{f:g})"
