"""Small HDF5 datasets (dates, scalars, strings) read through GDAL's multidimensional API:
the classic raster API only shows datasets of two or more dimensions."""

from typing import Optional

import numpy as np
from osgeo import gdal

from .gdal_mode import raises


@raises
def names(path: str) -> list:
    """The root datasets of an HDF5 file."""
    ds = gdal.OpenEx(path, gdal.OF_MULTIDIM_RASTER)
    return list(ds.GetRootGroup().GetMDArrayNames() or [])


@raises
def read(path: str, name: str) -> Optional[object]:
    """A root dataset: a list of str for strings, a numpy array (0-d for a scalar) for
    numbers; None when the file has no such dataset."""
    ds = gdal.OpenEx(path, gdal.OF_MULTIDIM_RASTER)
    group = ds.GetRootGroup()
    if name not in (group.GetMDArrayNames() or []):
        return None
    array = group.OpenMDArray(name)
    if array.GetDataType().GetClass() == gdal.GEDTC_STRING:
        return [str(v) for v in array.Read()]
    return np.asarray(array.ReadAsArray())


def scalar(path: str, name: str) -> Optional[float]:
    value = read(path, name)
    if value is None or isinstance(value, list) or np.size(value) != 1:
        return None
    return float(np.asarray(value).ravel()[0])


def text(path: str, name: str) -> Optional[str]:
    value = read(path, name)
    if isinstance(value, list):
        return value[0] if len(value) == 1 else None
    if value is not None and value.dtype.kind in "SU" and value.size == 1:
        v = value.ravel()[0]
        return v.decode() if isinstance(v, bytes) else str(v)
    return None
