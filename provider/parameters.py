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
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterLayer,
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


def los_sign_parameter() -> QgsProcessingParameterEnum:
    """``LOS_SIGN``, as every algorithm that reads LOS values offers it."""
    return QgsProcessingParameterEnum(
        n.LOS_SIGN, tr("LOS sign convention"), [o[0] for o in n.LOS_SIGN_OPTIONS], defaultValue=n.DEFAULT_LOS_SIGN
    )


def look_side_parameter(name: str = n.LOOK_SIDE, label: str = "Look side") -> QgsProcessingParameterEnum:
    """A look-side choice (``LOOK_SIDE``, or a track's ``<prefix>_LOOK_SIDE``)."""
    return QgsProcessingParameterEnum(
        name, tr(label), [o[0] for o in n.LOOK_SIDE_OPTIONS], defaultValue=n.DEFAULT_LOOK_SIDE
    )


def resampling_parameter() -> QgsProcessingParameterEnum:
    """``RESAMPLING``, as every algorithm that resamples offers it."""
    return QgsProcessingParameterEnum(
        n.RESAMPLING, tr("Resampling method"), list(n.RESAMPLING_OPTIONS), defaultValue=n.DEFAULT_RESAMPLING_INDEX
    )


def compression_parameter() -> QgsProcessingParameterEnum:
    """``COMPRESSION``, as every algorithm that writes rasters offers it."""
    return QgsProcessingParameterEnum(
        n.COMPRESSION, tr("Output compression (lossless)"), list(n.COMPRESSION_OPTIONS),
        defaultValue=n.DEFAULT_COMPRESSION_INDEX,
    )  # fmt: skip
