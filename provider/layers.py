"""Layers and CRSs between QGIS and core's plain paths and WKT."""

import os

from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingException

from ..core.grid import raster_info
from ..core.products import track_label


def crs_wkt(crs: QgsCoordinateReferenceSystem) -> str:
    """The WKT GDAL reads for a QGIS CRS; empty when the CRS is not set."""
    return crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL) if crs.isValid() else ""


def file_crs(path: str) -> QgsCoordinateReferenceSystem:
    """The CRS of a raster file as GDAL reads it."""
    return QgsCoordinateReferenceSystem.fromWkt(raster_info(path).crs_wkt)


def layer_path(alg, parameters: dict, name: str, context, label: str):
    """The file behind a raster parameter, or None when it is empty.

    A value that is already a file path is used as it is: loading it as a QGIS layer would
    compute statistics and leave a ``.aux.xml`` file beside the user's input."""
    value = parameters.get(name)
    if isinstance(value, str) and os.path.isfile(value):
        return value
    layer = alg.parameterAsRasterLayer(parameters, name, context)
    if layer is None:
        return None
    if layer.providerType() != "gdal":
        raise QgsProcessingException(f"{label}: layer '{layer.name()}' is not a file GDAL can read")
    return layer.source()


def track_name(path: str, layer_name: str = "") -> str:
    """A name that tells tracks apart: the frame or folder when the file name is generic
    (every LiCSBAS velocity is ``vel.geo.tif``), else the layer's name."""
    return track_label(path, layer_name)
