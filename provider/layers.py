"""Layers and CRSs between QGIS and core's plain paths and WKT, and the one track of the
one-track algorithms as core's ``TrackInput``."""

import os
import tempfile

from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingException, QgsProcessingUtils

from ..core.io.grid import raster_info, with_crs
from ..core.io.products import track_label
from ..core.plan.readout import file_crs_wkt
from ..core.plan.tracks import TrackInput
from . import names as n
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
    return layer_file(alg, layer, label)


def layer_file(alg, layer, label: str) -> str:
    """The file behind a layer, read in the CRS QGIS knows for the layer: when the user set
    another CRS than the file says (or the file says none), a virtual copy carries it, and
    the run's log says so."""
    path = layer.source()
    folder = tempfile.mkdtemp(dir=QgsProcessingUtils.tempFolder())
    virtual = with_crs(path, crs_wkt(layer.crs()), folder)
    if virtual is None:
        os.rmdir(folder)
        return path
    said = file_crs_wkt(path)
    said = QgsCoordinateReferenceSystem.fromWkt(said).authid() or "another CRS" if said else "no CRS"
    alg.note(f"{label}: read in {layer.crs().authid() or layer.crs().description()}, the CRS of layer "
             f"'{layer.name()}' in QGIS (the file says {said})")  # fmt: skip
    return virtual


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
        out.append((layer_file(alg, layer, f"{label} {i + 1}"), layer.name()))
    return out


def _track_name(alg, parameters: dict, context, path: str) -> str:
    """What the one track is called in messages ("<name> track: ..."): its layer's name, or
    a short name from its file (never the word "track", which read "track track:")."""
    value = parameters.get(n.INPUT)
    if not (isinstance(value, str) and are_files(value)):
        layer = alg.parameterAsRasterLayer(parameters, n.INPUT, context)
        if layer is not None and layer.name():
            return layer.name()
    return track_label(value if isinstance(value, str) and are_files(value) else path)


def input_track(alg, parameters: dict, context, default_band=1, with_sigma: bool = False) -> TrackInput:
    """The track of a one-track algorithm: ``INPUT`` with ``BAND`` (``default_band`` when
    empty), ``HEADING``, ``INCIDENCE``, ``LOOK_SIDE``, ``LOS_SIGN`` and, ``with_sigma``,
    ``SIGMA``."""
    path = layer_path(alg, parameters, n.INPUT, context, "track")
    if path is None:
        raise QgsProcessingException("track: no layer given")
    given = parameters.get(n.BAND) not in (None, "")
    band = alg.parameterAsInt(parameters, n.BAND, context) if given else default_band
    return TrackInput(
        name=_track_name(alg, parameters, context, path), path=path, band=band or default_band,
        heading=alg.optional_number(parameters, n.HEADING, context),
        incidence=alg.optional_number(parameters, n.INCIDENCE, context),
        look_side=alg.look_side(parameters, n.LOOK_SIDE, context),
        los_sign=alg.los_sign(parameters, context),
        sigma=layer_path(alg, parameters, n.SIGMA, context, "standard deviation") if with_sigma else None,
    )  # fmt: skip
