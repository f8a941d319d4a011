"""Layer parameters that leave the user's files alone.

QGIS checks a layer parameter given as a path by loading it as a layer (qgis_process does
so for every parameter before running, the history log to write the command). Loading a
raster computes statistics and leaves a ``.aux.xml`` file beside the input, which may be
read-only or under version control. These parameters accept an existing file path as it
is: the plugin opens it with GDAL itself and reports a file it cannot read by name."""

import os

from qgis.core import (
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from . import names as n
from .base import tr


def are_files(value) -> bool:
    """True for a path, or a list of paths, of existing files."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return bool(values) and all(isinstance(v, str) and os.path.isfile(v) for v in values)


class _TakenAsIs:
    """A parameter that takes values ``accepts`` approves (file paths) as they are, without
    loading them as QGIS layers (which would compute statistics beside the user's files)."""

    @staticmethod
    def accepts(value) -> bool:
        return are_files(value)

    def checkValueIsAcceptable(self, value, context=None):  # noqa: N802 (QGIS's name)
        return True if self.accepts(value) else super().checkValueIsAcceptable(value, context)

    def valueAsPythonString(self, value, context):  # noqa: N802 (QGIS's name)
        if not self.accepts(value):
            return super().valueAsPythonString(value, context)
        return repr(list(value) if isinstance(value, (list, tuple)) else value)


class RasterFileParameter(_TakenAsIs, QgsProcessingParameterRasterLayer):
    """A raster layer parameter that takes a file path without loading it."""


class RasterFilesParameter(_TakenAsIs, QgsProcessingParameterMultipleLayers):
    """A multiple-layer parameter that takes a list of file paths without loading them."""


class FileOrFolderParameter(_TakenAsIs, QgsProcessingParameterFile):
    """A file, or a folder of files, by its path (a file widget; a folder's path may be typed)."""

    @staticmethod
    def accepts(value) -> bool:
        return isinstance(value, str) and bool(value) and os.path.exists(value)


#: Files the plugin reads as point tables itself (QGIS would load a CSV without geometry).
TABLE_EXTENSIONS = (".txt", ".csv", ".tsv", ".dat", ".vel", ".tenv")


def is_table_file(value) -> bool:
    return isinstance(value, str) and os.path.isfile(value) and value.lower().endswith(TABLE_EXTENSIONS)


class PointsOrTableParameter(_TakenAsIs, QgsProcessingParameterFeatureSource):
    """A point layer, or the path of a delimited text table (stations, EGMS CSV), taken as it is."""

    @staticmethod
    def accepts(value) -> bool:
        return is_table_file(value)


class TrackLayerParameter(_TakenAsIs, QgsProcessingParameterMapLayer):
    """A raster, a point layer or a point table file (a track given as points), taken as it is."""


def number_parameter(name: str, label: str, **kwargs) -> QgsProcessingParameterNumber:
    """A decimal number (``kwargs``: optional, defaultValue, minValue, maxValue)."""
    return QgsProcessingParameterNumber(name, tr(label), QgsProcessingParameterNumber.Type.Double, **kwargs)


def integer_parameter(name: str, label: str, **kwargs) -> QgsProcessingParameterNumber:
    """A whole number (``kwargs`` as :func:`number_parameter`)."""
    return QgsProcessingParameterNumber(name, tr(label), QgsProcessingParameterNumber.Type.Integer, **kwargs)


def text_parameter(name: str, label: str, **kwargs) -> QgsProcessingParameterString:
    """A string (``kwargs``: optional, defaultValue)."""
    return QgsProcessingParameterString(name, tr(label), **kwargs)


def dated_window_parameters() -> list:
    """The dated stack and the window of the fits over time (losdecomp:velocity and
    losdecomp:fit_time_functions): INPUT, START_DATE, END_DATE."""
    return [
        RasterFileParameter(n.INPUT, tr("Time series (one band per acquisition)")),
        text_parameter(n.START_DATE, "Start date (YYYY-MM-DD; empty = first)", optional=True),
        text_parameter(n.END_DATE, "End date (YYYY-MM-DD; empty = last)", optional=True),
    ]


def enum_parameter(name: str, label: str, options, default: int, optional: bool = False) -> QgsProcessingParameterEnum:
    """A choice among ``options`` (labels; the index is the value). ``optional``: a parameter added
    to an existing algorithm, so that models and scripts saved before it still validate (the
    default applies when it is absent)."""
    return QgsProcessingParameterEnum(name, tr(label), list(options), defaultValue=default, optional=optional)


#: What the heading and incidence parameters of a track say when the layer may give them.
HEADING_FROM_LAYER = "degrees clockwise from north; empty = from the layer"
INCIDENCE_FROM_LAYER = "degrees from the vertical; empty = from the layer"


def angle_parameters(heading: str = n.HEADING, incidence: str = n.INCIDENCE, heading_label: str = "",
                     incidence_label: str = "") -> list:  # fmt: skip
    """A track's optional heading and incidence (by default ``HEADING`` and ``INCIDENCE``, empty
    = from the layer)."""
    return [
        number_parameter(heading, heading_label or f"Heading ({HEADING_FROM_LAYER})", optional=True),
        number_parameter(incidence, incidence_label or f"Incidence ({INCIDENCE_FROM_LAYER})", optional=True),
    ]


def optional_raster_output(name: str, label: str) -> QgsProcessingParameterRasterDestination:
    """A raster output written only when asked for."""
    return QgsProcessingParameterRasterDestination(name, tr(label), optional=True, createByDefault=False)


def los_sign_parameter() -> QgsProcessingParameterEnum:
    """``LOS_SIGN``, as every algorithm that reads LOS values offers it."""
    return enum_parameter(n.LOS_SIGN, "LOS sign convention", [o[0] for o in n.LOS_SIGN_OPTIONS], n.DEFAULT_LOS_SIGN)


def look_side_parameter(name: str = n.LOOK_SIDE, label: str = "Look side") -> QgsProcessingParameterEnum:
    """A look-side choice (``LOOK_SIDE``, or a track's ``<prefix>_LOOK_SIDE``)."""
    return enum_parameter(name, label, [o[0] for o in n.LOOK_SIDE_OPTIONS], n.DEFAULT_LOOK_SIDE)


def resampling_parameter() -> QgsProcessingParameterEnum:
    """``RESAMPLING``, as every algorithm that resamples offers it."""
    return enum_parameter(n.RESAMPLING, "Resampling method", n.RESAMPLING_OPTIONS, n.DEFAULT_RESAMPLING_INDEX)


def compression_parameter() -> QgsProcessingParameterEnum:
    """``COMPRESSION``, as every algorithm that writes rasters offers it."""
    return enum_parameter(
        n.COMPRESSION, "Output compression (lossless)", n.COMPRESSION_OPTIONS, n.DEFAULT_COMPRESSION_INDEX
    )
