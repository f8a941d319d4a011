"""MintPy HDF5 products, read through GDAL's HDF5 driver (no h5py).

MintPy attributes used: ``X_FIRST``/``Y_FIRST`` (upper-left corner of the first pixel),
``X_STEP``/``Y_STEP``, ``EPSG`` or ``UTM_ZONE`` (else geographic WGS 84), ``UNIT``,
``REF_X``/``REF_Y``, ``ANTENNA_SIDE`` (-1 right-looking, 1 left), ``HEADING`` (often
rounded), ``azimuthAngle``/``incidenceAngle`` (single values; per pixel in geometry files).

``azimuthAngle`` comes in two conventions: MintPy's (from north, anticlockwise) and
ARIA's (from east, anticlockwise; files loaded from ARIA). The attribute ``HEADING``,
even rounded, tells them apart: the convention whose implied heading is closest to it is
used. Without ``HEADING``, ``mintpy.load.processor=aria`` selects ARIA's.
"""

import math
import os

import numpy as np
from osgeo import gdal, osr

from . import geometry, units
from .grid import Grid
from .writer import AtomicGeoTiff, BandSpec

gdal.UseExceptions()

MINTPY, ARIA = "mintpy", "aria"


class MintPyError(ValueError):
    pass


def is_mintpy(tags):
    return "X_FIRST" in tags and ("FILE_TYPE" in tags or any(k.startswith("mintpy.") for k in tags))


def subdataset(path, name):
    return f'HDF5:"{path}"://{name}'


def attributes(path):
    """Root attributes of a MintPy file (GDAL shows them as dataset metadata)."""
    ds = gdal.Open(path)
    return dict(ds.GetMetadata() or {})


def look_side(tags):
    return geometry.LEFT if str(tags.get("ANTENNA_SIDE", "-1")).strip() == "1" else geometry.RIGHT


def _angle_diff(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def azimuth_convention(tags, azimuth):
    """(convention, reason) for an ``azimuthAngle`` value of this file."""
    side = look_side(tags)
    heading = tags.get("HEADING")
    if heading not in (None, ""):
        h = float(heading)
        d_mintpy = _angle_diff(float(geometry.heading_from_mintpy_azimuth(azimuth, side)), h)
        d_aria = _angle_diff(float(geometry.heading_from_aria_azimuth(azimuth, side)), h)
        conv = ARIA if d_aria < d_mintpy else MINTPY
        return conv, f"closest to HEADING {heading} ({min(d_aria, d_mintpy):.1f} deg apart)"
    if str(tags.get("mintpy.load.processor", "")).lower() == "aria":
        return ARIA, "mintpy.load.processor=aria"
    return MINTPY, "MintPy default"


def heading_from_azimuth(tags, azimuth):
    conv, why = azimuth_convention(tags, azimuth)
    side = look_side(tags)
    fn = geometry.heading_from_aria_azimuth if conv == ARIA else geometry.heading_from_mintpy_azimuth
    return float(fn(azimuth, side)), conv, why


def fill_metadata(md, tags, name, found):
    """Fill a TrackMetadata from MintPy attributes (single-valued geometry)."""
    side = look_side(tags)
    md.look_side = found(side, f"{name} ANTENNA_SIDE={tags.get('ANTENNA_SIDE', '-1 (default)')}")
    az = tags.get("azimuthAngle")
    if az not in (None, ""):
        h, conv, why = heading_from_azimuth(tags, float(az))
        label = "ARIA convention, from east" if conv == ARIA else "MintPy convention, from north"
        md.heading = found(h, f"{name} azimuthAngle={float(az):.4f} ({label}; {why})")
    elif tags.get("HEADING") not in (None, ""):
        md.heading = found(float(tags["HEADING"]) % 360.0, f"{name} HEADING (may be rounded)")
        md.notes.append(f"{name}: heading from the HEADING attribute, which MintPy often rounds")
    if tags.get("incidenceAngle") not in (None, ""):
        md.incidence = found(float(tags["incidenceAngle"]), f"{name} incidenceAngle")
    unit = tags.get("UNIT") or tags.get("velocity_UNIT")
    if unit:
        md.unit = found(units.normalise(unit), f"{name} UNIT")
    md.los_sign = found(geometry.TOWARD, "MintPy convention (positive toward the satellite)")
    ref = reference_xy(tags)
    if ref is not None:
        md.reference = found(ref, f"{name} REF_Y/REF_X={tags['REF_Y']}/{tags['REF_X']}")


def grid_of(tags, label):
    try:
        x0, y0 = float(tags["X_FIRST"]), float(tags["Y_FIRST"])
        dx, dy = float(tags["X_STEP"]), float(tags["Y_STEP"])
        width, height = int(tags["WIDTH"]), int(tags.get("LENGTH") or tags["FILE_LENGTH"])
    except (KeyError, ValueError):
        raise MintPyError(f"{label}: not geocoded (no X_FIRST/Y_FIRST/X_STEP/Y_STEP/WIDTH/LENGTH)") from None
    return Grid(crs_wkt_of(tags), (x0, dx, 0.0, y0, 0.0, dy), width, height)


def crs_wkt_of(tags):
    srs = osr.SpatialReference()
    if str(tags.get("EPSG", "")).strip().isdigit():
        srs.ImportFromEPSG(int(tags["EPSG"]))
    elif tags.get("UTM_ZONE"):
        zone = str(tags["UTM_ZONE"]).strip().upper()
        north = not zone.endswith("S")
        srs.ImportFromEPSG((32600 if north else 32700) + int(zone.rstrip("NS")))
    else:
        srs.ImportFromEPSG(4326)
    return srs.ExportToWkt()


def reference_xy(tags):
    try:
        col, row = int(tags["REF_X"]), int(tags["REF_Y"])
        x0, y0 = float(tags["X_FIRST"]), float(tags["Y_FIRST"])
        dx, dy = float(tags["X_STEP"]), float(tags["Y_STEP"])
    except (KeyError, ValueError):
        return None
    return (x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy)


def _read(path, name, label):
    try:
        ds = gdal.Open(subdataset(path, name))
    except RuntimeError:
        return None
    if ds is None:
        return None
    return ds.GetRasterBand(1).ReadAsArray().astype(np.float32)


def import_file(path, out_path, dataset="velocity", geometry_path=None, log=print):
    """Write ``dataset`` of the MintPy file ``path`` as a georeferenced float32 GeoTIFF.

    Band 1 is the dataset; a ``<dataset>Std`` dataset, when present, becomes a
    standard-deviation band; per-pixel geometry from ``geometry_path`` (``geometryGeo.h5``)
    becomes three LOS unit-vector bands. Pixels stored as 0 are MintPy's mask and become
    NaN, except the reference pixel. Returns the tags written.
    """
    from .metadata import ROLE_ENU, ROLE_STD, ROLE_VELOCITY, TAG_ROLE, track_tags

    label = os.path.basename(path)
    tags = attributes(path)
    if not is_mintpy(tags):
        raise MintPyError(f"{label}: not a geocoded MintPy file (no MintPy attributes)")
    grid = grid_of(tags, label)
    data = _read(path, dataset, label)
    if data is None:
        raise MintPyError(f"{label}: has no dataset '{dataset}'")
    if data.shape != (grid.height, grid.width):
        raise MintPyError(
            f"{label}: dataset '{dataset}' is {data.shape}, the attributes say {grid.height}x{grid.width}"
        )
    masked = data == 0
    ref_pixel = None
    ref = (tags.get("REF_Y"), tags.get("REF_X"))
    if all(str(v).lstrip("-").isdigit() for v in ref):
        r, c = int(ref[0]), int(ref[1])
        if 0 <= r < grid.height and 0 <= c < grid.width:
            masked[r, c] = False
            ref_pixel = (r, c)
    data[masked] = np.nan
    log(f"{label}: {int(masked.sum())} pixels stored as 0 (MintPy's mask) set to nodata")

    unit = units.normalise(tags.get(f"{dataset}_UNIT") or tags.get("UNIT", ""))
    bands = [(data, BandSpec(dataset, unit, {TAG_ROLE: ROLE_VELOCITY}))]
    std = _read(path, f"{dataset}Std", label)
    if std is not None:
        if ref_pixel is not None and not std[ref_pixel] > 0 and np.any(std > 0):
            # 0 by construction at the reference pixel; the smallest positive value keeps it usable
            std[ref_pixel] = np.min(std[std > 0])
        std[masked | ~(std > 0)] = np.nan
        bands.append((std, BandSpec(f"{dataset}Std", unit, {TAG_ROLE: ROLE_STD})))

    side = look_side(tags)
    out_tags = {}
    heading = incidence = None
    if tags.get("azimuthAngle") not in (None, ""):
        heading, conv, why = heading_from_azimuth(tags, float(tags["azimuthAngle"]))
        log(
            f"{label}: azimuthAngle {float(tags['azimuthAngle']):.4f} read in the {conv} convention "
            f"({why}): heading {heading:.4f}"
        )
    elif tags.get("HEADING") not in (None, ""):
        heading = float(tags["HEADING"]) % 360.0
    if tags.get("incidenceAngle") not in (None, ""):
        incidence = float(tags["incidenceAngle"])

    if geometry_path:
        s = _geometry_bands(geometry_path, tags, grid, log)
        for comp, role in zip(s, ROLE_ENU):
            bands.append(
                (
                    comp.astype(np.float32),
                    BandSpec(f"LOS unit vector {role[4:]} (ground to satellite)", "", {TAG_ROLE: role}),
                )
            )

    out_tags.update(track_tags(heading, incidence, side, geometry.TOWARD, unit, reference_xy(tags)))
    for key in ("FILE_TYPE", "PLATFORM", "ORBIT_DIRECTION", "START_DATE", "END_DATE", "REF_DATE", "HEADING",
                "azimuthAngle", "incidenceAngle", "mintpy.load.processor", "REF_LAT", "REF_LON"):  # fmt: skip
        if key in tags:
            out_tags[f"MINTPY_{key}"] = tags[key]
    out_tags["INSAR_SOURCE"] = f"{label}://{dataset}"

    writer = AtomicGeoTiff(out_path, grid, [b for _, b in bands], out_tags)
    try:
        for i, (array, _) in enumerate(bands, start=1):
            writer.write(i, array, 0, 0)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return out_tags


def _geometry_bands(geometry_path, data_tags, grid, log):
    label = os.path.basename(geometry_path)
    gtags = attributes(geometry_path)
    ggrid = grid_of(gtags, label)
    if (ggrid.width, ggrid.height) != (grid.width, grid.height) or any(
        not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(ggrid.geotransform, grid.geotransform)
    ):
        raise MintPyError(f"{label}: is not on the grid of the velocity file")
    inc = _read(geometry_path, "incidenceAngle", label)
    az = _read(geometry_path, "azimuthAngle", label)
    if inc is None or az is None:
        raise MintPyError(f"{label}: needs the datasets incidenceAngle and azimuthAngle")
    inc = np.where(inc == 0, np.nan, inc).astype(np.float64)
    az = np.where(np.isnan(inc), np.nan, az).astype(np.float64)
    merged = dict(gtags)
    merged.setdefault("HEADING", data_tags.get("HEADING", ""))
    conv, why = azimuth_convention(merged, float(np.nanmedian(az)))
    log(f"{label}: per-pixel azimuthAngle read in the {conv} convention ({why})")
    fn = geometry.from_aria_azimuth if conv == ARIA else geometry.from_mintpy_azimuth
    return fn(az, inc)
