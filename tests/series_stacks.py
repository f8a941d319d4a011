"""Synthetic dated stacks with known per-date values, for the time-series sampler, its
algorithms and the inspector dock."""

import datetime

import numpy as np
from osgeo import gdal, osr

#: 10 x 8 pixels of 10 x 10 m, top-left corner at (1000, 2000) in UTM 11N: pixel (row r,
#: col c) has its centre at (1000 + 10 c + 5, 2000 - 10 r - 5).
GT = (1000.0, 10.0, 0.0, 2000.0, 0.0, -10.0)
WIDTH, HEIGHT = 10, 8
DATES = [datetime.date(2020, 1, 1) + datetime.timedelta(days=12 * k) for k in range(6)]
NODATA = -9999.0
HOLE = (3, 4)  # (row, col) nodata at every date


def utm_wkt(epsg=32611):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def truth(offset=0.0, rate=1.5):
    """(dates, rows, cols): a distinct value at every date and pixel, NaN at the hole."""
    k, r, c = np.meshgrid(np.arange(len(DATES)), np.arange(HEIGHT), np.arange(WIDTH), indexing="ij")
    v = offset + rate * k + 0.1 * r + 0.01 * c + 0.003 * (r * c % 7) * k
    v[:, HOLE[0], HOLE[1]] = np.nan
    return v


def centre(row, col):
    return GT[0] + (col + 0.5) * GT[1], GT[3] + (row + 0.5) * GT[5]


def write_stack(path, values, dates=DATES, tags=None, band_tags=None, unit="mm", gt=GT, wkt=None, dated=True):
    """A GeoTIFF of one band per date (``INSAR_DATE``), NaN stored as NODATA."""
    values = np.asarray(values, dtype=np.float32)
    n, h, w = values.shape
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, n, gdal.GDT_Float32)
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt or utm_wkt())
    ds.SetMetadata({"INSAR_UNIT": unit, **(tags or {})})
    for i in range(n):
        band = ds.GetRasterBand(i + 1)
        band.SetNoDataValue(NODATA)
        band.WriteArray(np.where(np.isfinite(values[i]), values[i], NODATA))
        if dated:
            band.SetMetadataItem("INSAR_DATE", dates[i].strftime("%Y%m%d"))
        for key, value in (band_tags or {}).items():
            band.SetMetadataItem(key, value)
    ds = None
    return str(path)


def decomposed_pair(folder, product="up", offset=0.0):
    """A value stack and its sigma stack as losdecomp:decompose_timeseries writes them."""
    tracks = '["asc.tif", "desc.tif"]'
    value = write_stack(
        folder / f"{product}.tif", truth(offset), tags={"LOSDECOMP_PRODUCT": product, "LOSDECOMP_TRACKS": tracks}
    )
    sigma = write_stack(
        folder / f"sigma_{product}.tif",
        0.5 + 0.0 * truth() + 0.1 * np.arange(6)[:, None, None],
        tags={"LOSDECOMP_PRODUCT": f"sigma_{product}", "LOSDECOMP_TRACKS": tracks},
        band_tags={"INSAR_SIGMA_KIND": "propagated"},
    )
    return value, sigma
