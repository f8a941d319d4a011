"""Time series as NetCDF-CF (``.nc``) or Zarr v2 (``.zarr``) stores, written and read with
GDAL only (its multidimensional API: the plugin cannot import xarray or zarr).

A store holds one variable ``(time, y, x)`` float32 (NaN for nodata) named after the
component (``east``, ``up``, ``sigma_east``, ``sigma_up``, ``los``), a CF time coordinate
(``days since`` the first date, standard calendar), ``x``/``y`` pixel centres and a CF
grid mapping ``spatial_ref`` (``crs_wkt``, ``GeoTransform``): xarray, GDAL and QGIS read
it. It is written under a hidden name beside its path and renamed when complete.

Reading back: :func:`dated_vrt` gives a VRT of one band per date with ``INSAR_DATE``, so the
plugin's readers (products registry, stack readers) take a store like any dated raster.
"""

import datetime
import json
import os
import re
import shutil
import uuid
from typing import Callable, Optional
from xml.sax.saxutils import escape

import numpy as np
from osgeo import gdal

from ..conventions import dates as dates_
from ..conventions.errors import Cancelled, OutputError, TimeSeriesError
from ..conventions.schema import TAG_DATE
from .gdal_mode import raises
from .grid import raster_info
from .model import HORIZONTAL, SIGMA_HORIZONTAL, SIGMA_UP, UP
from .products.timeseries import band_dates

#: Store formats by extension: GDAL driver names.
FORMATS = {".nc": "netCDF", ".zarr": "Zarr"}
#: Variable names of the time-series products.
VARIABLES = {HORIZONTAL: "east", UP: "up", SIGMA_HORIZONTAL: "sigma_east", SIGMA_UP: "sigma_up"}
#: Pixels per side of a window copied at once (all dates of it).
WINDOW = 512
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EPOCH_UNITS = re.compile(r"^\s*days\s+since\s+(\d{4}-\d{1,2}-\d{1,2})")


def store_format(path: str) -> str:
    """The GDAL driver of a store path, from its extension; anything else refused by name."""
    ext = os.path.splitext(path.rstrip("/\\"))[1].lower()
    if ext not in FORMATS:
        raise OutputError(f"{path}: a time-series store must end in .nc (NetCDF-CF) or .zarr (Zarr v2)")
    return FORMATS[ext]


def variable_for(path: str, given: str = "") -> str:
    """The variable name: ``given``, else the component the raster holds (its
    ``LOSDECOMP_PRODUCT`` or band ``QUANTITY``; a sigma band gets ``sigma_``), else ``los``."""
    if given:
        if not _NAME.match(given):
            raise ValueError(f"variable name {given!r}: letters, digits and '_', not starting with a digit")
        return given
    ds = gdal.Open(path)
    product = ds.GetMetadataItem("LOSDECOMP_PRODUCT") or ""
    if product in VARIABLES:
        return VARIABLES[product]
    md = ds.GetRasterBand(1).GetMetadata() or {}
    words = (md.get("QUANTITY") or "").lower().replace("the ", " ").split()
    comp = next((w for w in words if w in ("east", "up", "north", "horizontal")), "")
    if not comp:
        return "los"
    return ("sigma_" if md.get("SIGMA_KIND") else "") + comp


def _string_attr(obj, name: str, value: str) -> None:
    obj.CreateAttribute(name, [], gdal.ExtendedDataType.CreateString()).Write(str(value))


def _coordinate(group, name, dim, values, attrs):
    arr = group.CreateMDArray(name, [dim], gdal.ExtendedDataType.Create(gdal.GDT_Float64))
    arr.WriteArray(np.ascontiguousarray(values, dtype=np.float64))
    for key, value in attrs.items():
        _string_attr(arr, key, value)
    return arr


def _create(tmp, driver, name, days, first, info, unit, attrs):
    """The store's dimensions, coordinates, grid mapping and (empty) variable."""
    nt, gt = len(days), info.geotransform
    opts = ["FORMAT=ZARR_V2"] if driver == "Zarr" else ["FORMAT=NC4", "CONVENTIONS=CF-1.8"]
    ds = gdal.GetDriverByName(driver).CreateMultiDimensional(tmp, [], opts)
    root = ds.GetRootGroup()
    dt = root.CreateDimension("time", gdal.DIM_TYPE_TEMPORAL, None, nt)
    dy = root.CreateDimension("y", gdal.DIM_TYPE_HORIZONTAL_Y, None, info.height)
    dx = root.CreateDimension("x", gdal.DIM_TYPE_HORIZONTAL_X, None, info.width)
    _coordinate(root, "time", dt, days, {"units": f"days since {first.isoformat()} 00:00:00",
                                         "calendar": "standard", "standard_name": "time", "axis": "T"})  # fmt: skip
    _coordinate(root, "y", dy, gt[3] + (np.arange(info.height) + 0.5) * gt[5],
                {"standard_name": "projection_y_coordinate", "axis": "Y"})  # fmt: skip
    _coordinate(root, "x", dx, gt[0] + (np.arange(info.width) + 0.5) * gt[1],
                {"standard_name": "projection_x_coordinate", "axis": "X"})  # fmt: skip
    crs = root.CreateMDArray("spatial_ref", [], gdal.ExtendedDataType.Create(gdal.GDT_Int32))
    for key, value in _grid_mapping(info).items():
        _string_attr(crs, key, value)
    block = f"BLOCKSIZE={nt},{min(256, info.height)},{min(256, info.width)}"
    compress = ["COMPRESS=ZLIB", "ZLIB_LEVEL=1"] if driver == "Zarr" else ["COMPRESS=DEFLATE", "ZLEVEL=1"]
    var = root.CreateMDArray(name, [dt, dy, dx], gdal.ExtendedDataType.Create(gdal.GDT_Float32), [block] + compress)
    var.SetNoDataValueDouble(float("nan"))
    if driver == "Zarr":  # GDAL's Zarr driver reads the CRS from the variable's _CRS (netCDF: the grid mapping)
        from osgeo import osr

        var.SetSpatialRef(osr.SpatialReference(wkt=info.crs_wkt))
    for key, value in dict(attrs, units=unit, grid_mapping="spatial_ref").items():
        _string_attr(var, key, value)
    return ds, var


def _grid_mapping(info) -> dict:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromWkt(info.crs_wkt)
    kind = "latitude_longitude" if srs.IsGeographic() else (srs.GetAttrValue("PROJECTION") or "unknown").lower()
    return {"grid_mapping_name": kind, "crs_wkt": info.crs_wkt, "spatial_ref": info.crs_wkt,
            "GeoTransform": " ".join(repr(float(v)) for v in info.geotransform)}  # fmt: skip


def _zarr_dimensions(tmp: str, name: str) -> None:
    """GDAL 3.6 writes no ``_ARRAY_DIMENSIONS`` (xarray needs them): added to each array's
    .zattrs, and the consolidated .zmetadata written again."""
    dims = {"time": ["time"], "y": ["y"], "x": ["x"], "spatial_ref": [], name: ["time", "y", "x"]}
    meta = {}
    for arr, names in dims.items():
        path = os.path.join(tmp, arr, ".zattrs")
        attrs = json.load(open(path)) if os.path.exists(path) else {}
        attrs["_ARRAY_DIMENSIONS"] = names
        with open(path, "w") as f:
            json.dump(attrs, f)
        meta[f"{arr}/.zattrs"] = attrs
        meta[f"{arr}/.zarray"] = json.load(open(os.path.join(tmp, arr, ".zarray")))
    for key in (".zgroup", ".zattrs"):
        if os.path.exists(os.path.join(tmp, key)):
            meta[key] = json.load(open(os.path.join(tmp, key)))
    with open(os.path.join(tmp, ".zmetadata"), "w") as f:
        json.dump({"zarr_consolidated_format": 1, "metadata": meta}, f)


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


def _into_place(tmp: str, path: str) -> None:
    old = None
    if os.path.exists(path):
        old = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.old")
        os.replace(path, old)
    os.replace(tmp, path)
    if old:
        _remove(old)


def _source(src: str):
    found = band_dates(src)
    if not found:
        raise TimeSeriesError(f"{src}: no band carries a date (INSAR_DATE or a YYYYMMDD description)")
    bands = sorted(found, key=lambda b: (found[b], b))
    when = [found[b] for b in bands]
    if len(set(when)) != len(when):
        raise TimeSeriesError(f"{src}: dates repeated: {', '.join(map(str, dates_.repeated(when)))}")
    return bands, when


def _copy(src_ds, var, bands, info, progress, cancel) -> bool:
    """Every window copied (True), or False once cancelled (raised by the caller, after the
    store is closed: a traceback would keep it open past its removal)."""
    windows = [(c, r) for r in range(0, info.height, WINDOW) for c in range(0, info.width, WINDOW)]
    for k, (c, r) in enumerate(windows):
        if cancel():
            return False
        w, h = min(WINDOW, info.width - c), min(WINDOW, info.height - r)
        block = np.empty((len(bands), h, w), dtype=np.float32)
        for i, b in enumerate(bands):
            band = src_ds.GetRasterBand(b)
            block[i] = band.ReadAsArray(c, r, w, h, buf_type=gdal.GDT_Float32)
            nodata = band.GetNoDataValue()
            if nodata is not None and not np.isnan(nodata):
                block[i][block[i] == np.float32(nodata)] = np.nan
        var.WriteArray(block, array_start_idx=[0, r, c])
        if c + w >= info.width:
            src_ds.FlushCache()  # windows go row by row: the row's cached source blocks are not read again
        progress((k + 1) / len(windows))
    return True


@raises
def export(src: str, path: str, variable: str = "", progress: Optional[Callable] = None,
           cancel: Optional[Callable] = None) -> dict:  # fmt: skip
    """Copy the dated raster ``src`` (one band per date) into the store ``path`` (format
    from its extension), window by window; {path, variable, dates, log}."""
    driver = store_format(path)
    progress, cancel = progress or (lambda f: None), cancel or (lambda: False)
    info = raster_info(src, src)
    bands, when = _source(src)
    name = variable_for(src, variable)
    src_ds = gdal.Open(src)
    first = src_ds.GetRasterBand(bands[0])
    attrs = {k: v for k, v in (first.GetMetadata() or {}).items() if k != TAG_DATE}
    days = [(d - when[0]).days for d in when]
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}")
    try:
        ds, var = _create(tmp, driver, name, days, when[0], info, first.GetUnitType() or "", attrs)
        done = _copy(src_ds, var, bands, info, progress, cancel)
        var = ds = None
        if not done:
            raise Cancelled()
        if driver == "Zarr":
            _zarr_dimensions(tmp, name)
        _into_place(tmp, path)
    except BaseException:
        var = ds = None  # noqa: F841 (closes the store before it is removed)
        _remove(tmp)
        raise
    log = [f"{path}: variable {name!r}, {len(when)} dates {when[0]} to {when[-1]}, {info.width} x {info.height}"]
    return {"path": path, "variable": name, "dates": when, "log": log}


# --- reading a store back ---------------------------------------------------------------


def _store_variable(root, variable):
    names = [n for n in root.GetMDArrayNames() if root.OpenMDArray(n).GetDimensionCount() == 3]
    if variable:
        if variable not in names:
            raise TimeSeriesError(f"no 3-D variable {variable!r} (it has {', '.join(names) or 'none'})")
        return variable
    if len(names) != 1:
        raise TimeSeriesError(f"{len(names)} 3-D variables ({', '.join(names)}): say which")
    return names[0]


def _store_dates(root, var):
    time = var.GetDimensions()[0]
    coord = root.OpenMDArray(time.GetName())
    names = [a.GetName() for a in coord.GetAttributes()] if coord is not None else []
    units = coord.GetAttribute("units").Read() if "units" in names else (coord.GetUnit() if coord else "")
    m = _EPOCH_UNITS.match(units or "")  # GDAL's Zarr driver gives a coordinate's units as its unit
    if m is None:
        raise TimeSeriesError(f"time coordinate {time.GetName()!r}: units are not 'days since YYYY-MM-DD'")
    epoch = datetime.date.fromisoformat("-".join(f"{int(p):02d}" for p in m.group(1).split("-")))
    return [epoch + datetime.timedelta(days=int(np.floor(v))) for v in coord.ReadAsArray()]


@raises
def dated_vrt(path: str, vrt_path: str, variable: str = "") -> str:
    """A VRT at ``vrt_path`` of the store ``path``: one band per date, ``INSAR_DATE`` and
    the date as description, the unit, the store's CRS and geotransform."""
    driver = store_format(path)
    md = gdal.OpenEx(path, gdal.OF_MULTIDIM_RASTER)
    if md is None:
        raise TimeSeriesError(f"{path}: cannot be opened as a {driver} store")
    root = md.GetRootGroup()
    name = _store_variable(root, variable)
    when = _store_dates(root, root.OpenMDArray(name))
    full = os.path.abspath(path)
    subs = ([f'NETCDF:"{full}":{name}'] * len(when) if driver == "netCDF"
            else [f'ZARR:"{full}":/{name}:{k}' for k in range(len(when))])  # fmt: skip
    one = gdal.Open(subs[0])
    if one is None:
        raise TimeSeriesError(f"{path}: GDAL cannot open {name!r} as a raster")
    bands = [(s, k + 1 if driver == "netCDF" else 1, d) for k, (s, d) in enumerate(zip(subs, when))]
    with open(vrt_path, "w") as f:
        f.write(_vrt_xml(one, bands))
    return vrt_path


def _vrt_xml(one, bands) -> str:
    unit = one.GetRasterBand(1).GetUnitType() or ""
    w, h = one.RasterXSize, one.RasterYSize
    head = (f'<VRTDataset rasterXSize="{w}" rasterYSize="{h}">\n<SRS>{escape(one.GetProjection())}</SRS>\n'
            f"<GeoTransform>{', '.join(repr(float(v)) for v in one.GetGeoTransform())}</GeoTransform>\n")  # fmt: skip
    parts = [head]
    for k, (source, band, date) in enumerate(bands, start=1):
        day = dates_.compact(date)
        parts.append(
            f'<VRTRasterBand dataType="Float32" band="{k}"><Description>{day}</Description>'
            f"<UnitType>{escape(unit)}</UnitType><NoDataValue>nan</NoDataValue>"
            f'<Metadata><MDI key="{TAG_DATE}">{day}</MDI></Metadata>'
            f"<SimpleSource><SourceFilename relativeToVRT=\"0\">{escape(source)}</SourceFilename>"
            f"<SourceBand>{band}</SourceBand><SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{w}\" ySize=\"{h}\"/>"
            f'<DstRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/></SimpleSource></VRTRasterBand>\n'
        )  # fmt: skip
    parts.append("</VRTDataset>\n")
    return "".join(parts)


__all__ = ["FORMATS", "VARIABLES", "dated_vrt", "export", "store_format", "variable_for"]
