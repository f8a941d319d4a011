"""The GNSS stations parameter and the station outputs, shared by the GNSS algorithms: a
point layer (any QGIS vector source) or the path of a delimited text table, of NGL's MIDAS
velocity file or of a table without a header, read into core's ``Stations``; results
written as points with the input's attributes."""

import os

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QMetaType, QVariant

from ..core.io import gnss_stations
from . import names as n
from .base import advanced, tr
from .layers import crs_wkt
from .parameters import PointsOrTableParameter, is_table_file

if Qgis.versionInt() >= 33800:  # QgsField takes QMetaType from QGIS 3.38 (and only it in Qt6)
    DOUBLE, INTEGER, TEXT = QMetaType.Type.Double, QMetaType.Type.Int, QMetaType.Type.QString
else:
    DOUBLE, INTEGER, TEXT = QVariant.Type.Double, QVariant.Type.Int, QVariant.Type.String


def gnss_parameters() -> list:
    """GNSS, its six field parameters and GNSS_UNIT."""
    params = [
        PointsOrTableParameter(
            n.GNSS, tr("GNSS stations (point layer, delimited text table, or MIDAS velocity file)"),
            [QgsProcessing.SourceType.TypeVectorPoint],
        )
    ]  # fmt: skip
    for name, role in n.GNSS_FIELDS.items():
        label = tr(f"GNSS {gnss_stations.ROLE_NAMES[role]} field (empty = recognised)")
        params.append(advanced(QgsProcessingParameterField(name, label, None, n.GNSS, optional=True)))
    params.append(
        QgsProcessingParameterEnum(
            n.GNSS_UNIT, tr("GNSS velocity unit"), list(n.GNSS_UNIT_OPTIONS), defaultValue=n.DEFAULT_GNSS_UNIT
        )
    )
    return params


def radius_parameter() -> QgsProcessingParameterNumber:
    return QgsProcessingParameterNumber(
        n.RADIUS, tr("Radius around each station, in the raster's CRS units (0 = the pixel holding it)"),
        QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0,
    )  # fmt: skip


class StationInput:
    """The stations for core, and what is needed to write them back as points."""

    def __init__(self, stations, fields, attributes, geometries, crs):
        self.stations, self.fields, self.attributes = stations, fields, attributes
        self.geometries, self.crs = geometries, crs


def read_stations(alg, parameters, context) -> StationInput:
    given = {role: alg.parameterAsString(parameters, name, context) for name, role in n.GNSS_FIELDS.items()}
    unit = n.GNSS_UNIT_VALUES[alg.parameterAsEnum(parameters, n.GNSS_UNIT, context)]
    value = parameters.get(n.GNSS)
    if is_table_file(value):
        return _stations_from_table(value, given, unit)
    source = alg.parameterAsSource(parameters, n.GNSS, context)
    if source is None:
        raise QgsProcessingException("GNSS: no stations given")
    return _stations_from_layer(source, given, unit)


def _stations_from_table(path, given, unit):
    label = f"GNSS table {os.path.basename(path)}"
    table = gnss_stations.read_table(path, label)
    stations = gnss_stations.from_table(table, given, unit, label)
    fields = QgsFields()
    kinds = {}
    for name, values in table.columns.items():
        numeric = all(not v.strip() or gnss_stations.is_number(v) for v in values)
        kinds[name] = numeric
        fields.append(QgsField(name, DOUBLE if numeric else TEXT))
    attributes = [
        [gnss_stations.to_number(v) if kinds[name] else v for name, v in zip(table.columns, row)]
        for row in zip(*table.columns.values())
    ]
    geometries = [QgsGeometry.fromPointXY(QgsPointXY(x, y)) for x, y in zip(stations.x, stations.y)]
    return StationInput(stations, fields, attributes, geometries, QgsCoordinateReferenceSystem("EPSG:4326"))


def _stations_from_layer(source, given, unit):
    label = "GNSS layer"
    names = [f.name() for f in source.fields()]
    columns = {name: [] for name in names}
    xs, ys, attributes, geometries = [], [], [], []
    for feature in source.getFeatures():
        geom = feature.geometry()
        point = geom.centroid().asPoint() if not geom.isEmpty() else None
        xs.append(point.x() if point else float("nan"))
        ys.append(point.y() if point else float("nan"))
        attrs = feature.attributes()
        for name, v in zip(names, attrs):
            columns[name].append(v)
        attributes.append(attrs)
        geometries.append(QgsGeometry.fromPointXY(point) if point else QgsGeometry())
    stations = gnss_stations.from_columns(columns, xs, ys, crs_wkt(source.sourceCrs()), given, unit=unit, label=label)
    return StationInput(stations, source.fields(), attributes, geometries, source.sourceCrs())


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
