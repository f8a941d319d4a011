"""Layers and CRSs between QGIS and core's plain paths and WKT."""

import os

from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingException

from ..core.grid import raster_info
from .parameters import are_files


def crs_wkt(crs: QgsCoordinateReferenceSystem) -> str:
    """The WKT GDAL reads for a QGIS CRS; empty when the CRS is not set."""
    return crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT_PREFERRED_GDAL) if crs.isValid() else ""


def file_crs(path: str, label: str) -> QgsCoordinateReferenceSystem:
    """The CRS of a raster file as GDAL reads it (errors name ``label``)."""
    return QgsCoordinateReferenceSystem.fromWkt(raster_info(path, label).crs_wkt)


def layer_path(alg, parameters: dict, name: str, context, label: str):
    """The file behind a raster parameter, or None when it is empty.

    A value that is already a file path is used as it is: loading it as a QGIS layer would
    compute statistics and leave a ``.aux.xml`` file beside the user's input."""
    value = parameters.get(name)
    if isinstance(value, str) and are_files(value):
        return value
    layer = alg.parameterAsRasterLayer(parameters, name, context)
    if layer is None:
        return None
    if layer.providerType() != "gdal":
        raise QgsProcessingException(f"{label}: layer '{layer.name()}' is not a file GDAL can read")
    return layer.source()


def layer_paths(alg, parameters: dict, name: str, context, label: str) -> list:
    """(file, layer name) of each raster of a multiple-layer parameter; paths are used as
    they are (see :func:`layer_path`)."""
    value = parameters.get(name)
    if value and are_files(value):
        values = [value] if isinstance(value, str) else list(value)
        return [(v, os.path.splitext(os.path.basename(v))[0]) for v in values]
    out = []
    for i, layer in enumerate(alg.parameterAsLayerList(parameters, name, context) or []):
        if layer.providerType() != "gdal":
            raise QgsProcessingException(f"{label} {i + 1} ({layer.name()}): not a file GDAL can read")
        out.append((layer.source(), layer.name()))
    return out
