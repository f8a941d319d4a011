"""Vector outputs shared by the GNSS and polygon algorithms: the input's features (stations,
polygons) written back with their attributes and the algorithm's fields."""

from qgis.core import Qgis, QgsFeature, QgsFeatureSink, QgsField, QgsFields, QgsProcessingException, QgsWkbTypes
from qgis.PyQt.QtCore import QMetaType, QVariant

if Qgis.versionInt() >= 33800:  # QgsField takes QMetaType from QGIS 3.38 (and only it in Qt6)
    DOUBLE, INTEGER, TEXT = QMetaType.Type.Double, QMetaType.Type.Int, QMetaType.Type.QString
else:
    DOUBLE, INTEGER, TEXT = QVariant.Type.Double, QVariant.Type.Int, QVariant.Type.String


class StationInput:
    """The features an algorithm read (stations for core, polygons), and what is needed to
    write them back: their fields, attributes, geometries and CRS."""

    def __init__(self, stations, fields, attributes, geometries, crs):
        self.stations, self.fields, self.attributes = stations, fields, attributes
        self.geometries, self.crs = geometries, crs


def output_fields(fields: QgsFields, extra: list) -> QgsFields:
    """``fields`` and the ``extra`` fields [(name, type, values[, alias])]: the alias says
    what a field holds (a propagated sigma, a spread) where the name cannot."""
    fields = QgsFields(fields)
    for item in extra:
        f = QgsField(item[0], item[1])
        if len(item) > 3 and item[3]:
            f.setAlias(item[3])
        fields.append(f)
    return fields


def write_features(alg, parameters, context, name, inp: StationInput, extra: list, wkb_type=None):
    """The features (stations, polygons) with their attributes and ``extra`` [(field, type,
    values[, alias])] as the sink ``name``; returns the sink's id."""
    fields = output_fields(inp.fields, extra)
    sink, dest = alg.parameterAsSink(parameters, name, context, fields, wkb_type or QgsWkbTypes.Type.Point, inp.crs)
    if sink is None:
        raise QgsProcessingException(f"{name}: the output cannot be created")
    for i, (attrs, geom) in enumerate(zip(inp.attributes, inp.geometries)):
        feature = QgsFeature(fields)
        feature.setGeometry(geom)
        values = list(attrs) + [_plain(item[2][i]) for item in extra]
        feature.setAttributes(values)
        sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
    return dest


def _plain(value):
    """A Python value for an attribute: None for NaN."""
    if isinstance(value, str):
        return value
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if v != v:
        return None
    return int(v) if float(v).is_integer() and not isinstance(value, float) else v
