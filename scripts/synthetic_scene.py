"""A synthetic scene with known truth, seen by an ascending and a descending track.

Truth (mm/year, analytic in UTM 11N coordinates, so each track samples it at its own
pixel centres without any resampling): a subsiding bowl, a landslide moving downslope
(east and down), and a creeping east-west strike-slip fault (east-west motion). North
motion is zero, as the decomposition assumes.

Used by ``make demo``, the tests and the benchmark; not part of the plugin.
"""

import math
import os

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

TRUTH_EPSG = 32611
CENTRE = (420000.0, 3990000.0)  # UTM 11N, near Coso (about 36 N, 117.9 W)
ASC = {"heading": 348.0, "incidence": 34.0}
DESC = {"heading": 192.0, "incidence": 39.0}


def truth(x, y):
    """(east, north, up) velocity in mm/year at UTM 11N coordinates."""
    dx = (x - CENTRE[0]) / 1000.0
    dy = (y - CENTRE[1]) / 1000.0
    bowl = -40.0 * np.exp(-((dx + 3.0) ** 2 + (dy - 2.0) ** 2) / (2 * 2.5**2))
    slide_mask = np.exp(-((((dx - 4.0) / 1.2) ** 2 + ((dy + 3.0) / 0.8) ** 2) ** 2))
    slide_east = 25.0 * slide_mask
    slide_up = -12.0 * slide_mask
    fault_east = (8.0 / math.pi) * np.arctan((dy + 0.5) / 1.5)
    east = slide_east + fault_east
    up = bowl + slide_up
    return east, np.zeros_like(east), up


def srs_of(epsg: int) -> osr.SpatialReference:
    """The spatial reference of an EPSG code, x = easting or longitude."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def pixel_centres_in_truth_crs(epsg, gt, width, height):
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    x = gt[0] + cols * gt[1]
    y = gt[3] + rows * gt[5]
    if epsg == TRUTH_EPSG:
        return x, y
    ct = osr.CoordinateTransformation(srs_of(epsg), srs_of(TRUTH_EPSG))
    pts = np.array(ct.TransformPoints(np.column_stack([x.ravel(), y.ravel()])))
    return pts[:, 0].reshape(x.shape), pts[:, 1].reshape(x.shape)


def los_unit_vector(heading, incidence):
    h, t = math.radians(heading), math.radians(incidence)
    return (-math.cos(h) * math.sin(t), math.sin(h) * math.sin(t), math.cos(t))


def write_raster(path, array, epsg, gt, nodata=None, metadata=None, unit="mm/year"):
    height, width = array.shape[-2:]
    bands = array.reshape(-1, height, width)
    dtype = gdal.GDT_Float32 if array.dtype.kind == "f" else gdal.GDT_Int16
    ds = gdal.GetDriverByName("GTiff").Create(path, width, height, len(bands), dtype, ["COMPRESS=DEFLATE", "TILED=YES"])
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs_of(epsg).ExportToWkt())
    if metadata:
        ds.SetMetadata(metadata)
    for i, b in enumerate(bands, start=1):
        band = ds.GetRasterBand(i)
        band.WriteArray(b)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if unit:
            band.SetUnitType(unit)
    ds = None
    return path


def track_los(epsg, gt, width, height, heading, incidence, noise=0.0, seed=0):
    x, y = pixel_centres_in_truth_crs(epsg, gt, width, height)
    e, n, u = truth(x, y)
    s = los_unit_vector(heading, incidence)
    los = s[0] * e + s[1] * n + s[2] * u
    if noise:
        los = los + np.random.default_rng(seed).normal(0, noise, los.shape)
    return los.astype(np.float32)


def make_scene(out_dir, size_km=20.0, asc_pixel_m=100.0, desc_pixel_deg=0.0012, noise=0.0, holes=True):
    """Write ``asc.tif`` (UTM 11N, ``asc_pixel_m``) and ``desc.tif`` (EPSG:4326,
    ``desc_pixel_deg``) covering overlapping but different areas. Returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    half = size_km * 500.0
    n_asc = int(round(2 * half / asc_pixel_m))
    gt_asc = (CENTRE[0] - half, asc_pixel_m, 0.0, CENTRE[1] + half, 0.0, -asc_pixel_m)
    asc = track_los(TRUTH_EPSG, gt_asc, n_asc, n_asc, **ASC, noise=noise, seed=1)

    # The descending track: geographic, shifted north-east so the overlap is partial.
    ct = osr.CoordinateTransformation(srs_of(TRUTH_EPSG), srs_of(4326))
    lon0, lat0, _ = ct.TransformPoint(CENTRE[0] - half * 0.8, CENTRE[1] + half * 1.2)
    lon1, lat1, _ = ct.TransformPoint(CENTRE[0] + half * 1.2, CENTRE[1] - half * 0.8)
    nx = int(round((lon1 - lon0) / desc_pixel_deg))
    ny = int(round((lat0 - lat1) / desc_pixel_deg))
    gt_desc = (lon0, desc_pixel_deg, 0.0, lat0, 0.0, -desc_pixel_deg)
    desc = track_los(4326, gt_desc, nx, ny, **DESC, noise=noise, seed=2)

    if holes:  # decorrelated patches: NaN in one track, explicit nodata in the other
        asc[n_asc // 5 : n_asc // 5 + 12, n_asc // 2 : n_asc // 2 + 15] = np.nan
        desc[ny // 2 : ny // 2 + 10, nx // 4 : nx // 4 + 10] = -9999.0

    def tags(geom):
        return {
            "INSAR_HEADING": str(geom["heading"]),
            "INSAR_INCIDENCE": str(geom["incidence"]),
            "INSAR_LOS_SIGN": "toward",
            "INSAR_UNIT": "mm/year",
        }

    paths = {
        "asc": write_raster(os.path.join(out_dir, "asc.tif"), asc, TRUTH_EPSG, gt_asc, float("nan"), tags(ASC)),
        "desc": write_raster(os.path.join(out_dir, "desc.tif"), desc, 4326, gt_desc, -9999.0, tags(DESC)),
    }
    return paths


def truth_on_grid(path):
    """Truth (east, up) at the pixel centres of the raster ``path``."""
    ds = gdal.Open(path)
    srs = osr.SpatialReference(wkt=ds.GetProjection())
    epsg = int(srs.GetAuthorityCode(None))
    x, y = pixel_centres_in_truth_crs(epsg, ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize)
    e, _, u = truth(x, y)
    return e, u


# --- a stack pair and GNSS stations (make demo, screenshots) ------------------------------

#: Seasonal vertical motion of the stacks (mm, amplitude of an annual sine).
SEASONAL_MM = 3.0


def truth_displacement(x, y, years):
    """(east, up) displacement in mm after ``years``: the velocity field times time, and an
    annual vertical term (zero at t = 0)."""
    e, _, u = truth(x, y)
    return e * years, u * years + SEASONAL_MM * np.sin(2 * np.pi * years)


def _dates(start, count, step_days):
    import datetime

    first = datetime.date.fromisoformat(start)
    return [first + datetime.timedelta(days=step_days * k) for k in range(count)]


def make_stacks(out_dir, size_km=16.0, asc_dates=31, desc_dates=29, pixel_m=200.0):
    """Write ``asc_stack.tif`` and ``desc_stack.tif``: LOS displacement (mm, toward the
    satellite) since each track's first date, one band per acquisition dated by
    ``INSAR_DATE`` (ascending every 12 days from 2021-01-03, descending from 2021-01-06, on a
    grid shifted by half a pixel). Returns {"asc", "desc": path, "asc_dates", "desc_dates"}."""
    os.makedirs(out_dir, exist_ok=True)
    half = size_km * 500.0
    n = int(round(2 * half / pixel_m))
    origin = _dates("2021-01-03", 1, 1)[0]
    out = {}
    for key, geom, start, count, shift in (("asc", ASC, "2021-01-03", asc_dates, 0.0),
                                           ("desc", DESC, "2021-01-06", desc_dates, 0.5)):  # fmt: skip
        gt = (CENTRE[0] - half + shift * pixel_m, pixel_m, 0.0, CENTRE[1] + half - shift * pixel_m, 0.0, -pixel_m)
        x, y = pixel_centres_in_truth_crs(TRUTH_EPSG, gt, n, n)
        s = los_unit_vector(geom["heading"], geom["incidence"])
        dates = _dates(start, count, 12)
        t0 = (dates[0] - origin).days / 365.25
        bands = []
        for d in dates:
            t = (d - origin).days / 365.25
            e1, u1 = truth_displacement(x, y, t)
            e0, u0 = truth_displacement(x, y, t0)
            bands.append(s[0] * (e1 - e0) + s[2] * (u1 - u0))  # since the track's first date
        tags = {"INSAR_HEADING": str(geom["heading"]), "INSAR_INCIDENCE": str(geom["incidence"]),
                "INSAR_LOS_SIGN": "toward"}  # fmt: skip
        path = write_raster(os.path.join(out_dir, f"{key}_stack.tif"), np.array(bands, np.float32), TRUTH_EPSG, gt,
                            float("nan"), tags, unit="mm")  # fmt: skip
        ds = gdal.Open(path, gdal.GA_Update)
        for i, d in enumerate(dates, start=1):
            ds.GetRasterBand(i).SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
        ds = None
        out[key], out[f"{key}_dates"] = path, dates
    return out


def make_gnss(path, count=25, seed=7, noise=0.3, margin_km=6.0):
    """A GNSS velocity table (CSV: site, lon, lat, vel_e, vel_n, vel_u, sig_e, sig_n, sig_u in
    mm/year) of ``count`` stations inside the middle of the scene, the truth plus noise."""
    rng = np.random.default_rng(seed)
    x = CENTRE[0] + rng.uniform(-margin_km, margin_km, count) * 1000.0
    y = CENTRE[1] + rng.uniform(-margin_km, margin_km, count) * 1000.0
    e, n, u = (c + rng.normal(0.0, noise, count) for c in truth(x, y))
    ct = osr.CoordinateTransformation(srs_of(TRUTH_EPSG), srs_of(4326))
    lines = ["site,lon,lat,vel_e,vel_n,vel_u,sig_e,sig_n,sig_u"]
    for k in range(count):
        lon, lat, _ = ct.TransformPoint(float(x[k]), float(y[k]))
        lines.append(f"G{k:02d},{lon:.7f},{lat:.7f},{e[k]:.3f},{n[k]:.3f},{u[k]:.3f},0.5,0.5,1.0")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path
