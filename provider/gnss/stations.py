"""What the GNSS algorithms share: the GNSS stations parameter (a point layer, any QGIS vector
source, or the path of a delimited text table, of NGL's MIDAS velocity file or of a table
without a header) read into core's ``Stations``, the track compared with them, and the help
on both. The stations are written back by :mod:`..features`."""

import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBand,
    QgsProcessingParameterField,
)

from ...core.io import gnss_stations
from ...core.runs import gnss_run
from .. import names as n
from ..base import LosDecompAlgorithm, advanced, tr
from ..features import DOUBLE, TEXT, StationInput
from ..layers import crs_wkt, input_track
from ..parameters import (
    PointsOrTableParameter,
    RasterFileParameter,
    angle_parameters,
    enum_parameter,
    is_table_file,
    look_side_parameter,
    los_sign_parameter,
    number_parameter,
)

COMMON_HELP = (
    "GNSS stations: a point layer with east, north and up velocity fields (and optionally their a-priori "
    "standard deviations and correlations corr_en, corr_eu, corr_nu), or the path of a delimited text file "
    "with a header (longitude/latitude columns), or of a file without a header: NGL's MIDAS velocity file "
    "(27 columns: site, MIDAS version, ..., ve vn vu in columns 9-11, their sigmas in 12-14, lat lon height in "
    "25-27) or a table of the columns station lon lat ve vn vu se sn su. Both files without a header are in "
    "metres per year whatever the track's unit (converted to it, as the log says). Fields are recognised from "
    "their usual names (ve, vel_e, east, ...; se, sig_e, ...) unless named. GNSS_UNIT says the stations' unit; "
    "its default is the track's unit for a layer or a table with a header (m/year for a file without one); the "
    "track's unit is read from the layer. Stations outside the raster, on nodata or with missing values are "
    "listed in the log and left out; with no station left there is an error and no output. GNSS and InSAR "
    "values at the stations that differ by a unit's factor (from 3 stations on; their median magnitudes more "
    "than 300 times apart either way; mm/year read as m/year gives about 1000) are refused, naming both units, "
    "and nothing is written.\n\n"
    "RADIUS: 0 takes the pixel holding each station; otherwise the median of the valid pixels whose centres "
    "lie within the radius (in the raster's CRS units), with their count and spread (standard deviation of "
    "those pixels, not a sigma of the median). On a geographic raster the radius is in degrees: more than 1 "
    "degree is refused (metres typed for degrees), as is a radius beyond the whole raster.\n\n"
    "Residual statistics, in the track's unit (the log names it): bias (mean), RMS, spread (the standard "
    "deviation of the residuals about their mean: a dispersion, not the sigma of any one residual) and median."
)


def gnss_parameters(optional: bool = False) -> list:
    """GNSS, its six field parameters and GNSS_UNIT (``optional``: all of them, for an algorithm
    that works without stations)."""
    params = [
        PointsOrTableParameter(
            n.GNSS, tr("GNSS stations (point layer, delimited text table, or MIDAS velocity file)"),
            [QgsProcessing.SourceType.TypeVectorPoint], optional=optional,
        )
    ]  # fmt: skip
    for name, role in n.GNSS_FIELDS.items():
        label = tr(f"GNSS {gnss_stations.ROLE_NAMES[role]} field (empty = recognised)")
        params.append(advanced(QgsProcessingParameterField(name, label, None, n.GNSS, optional=True)))
    params.append(enum_parameter(n.GNSS_UNIT, "GNSS velocity unit", n.GNSS_UNIT_OPTIONS, n.DEFAULT_GNSS_UNIT,
                                 optional=optional))  # fmt: skip
    return params


def radius_parameter(optional: bool = False):
    return number_parameter(n.RADIUS, "Radius around each station, in the raster's CRS units (0 = the pixel "
                            "holding it)", defaultValue=0.0, minValue=0.0, optional=optional)  # fmt: skip


def stations_given(parameters) -> bool:
    """Whether the GNSS parameter holds something (it may be absent or empty when optional)."""
    value = parameters.get(n.GNSS)
    return value is not None and value != ""


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


class TrackAndStations(LosDecompAlgorithm):
    """A track as decompose takes it (geometry typed or from the layer) and the stations."""

    def _track_parameters(self):
        return [
            RasterFileParameter(n.INPUT, tr("LOS velocity (a track)")),
            QgsProcessingParameterBand(n.BAND, tr("Band"), 1, n.INPUT, optional=True),
            *angle_parameters(),
            los_sign_parameter(),
            advanced(look_side_parameter()),
        ]

    def _add_inputs(self):
        self.add_parameters(self._track_parameters() + gnss_parameters() + [radius_parameter()])

    def _request(self, parameters, context, cls=gnss_run.GnssRequest, **extra):
        track = input_track(self, parameters, context)
        stations = read_stations(self, parameters, context)
        radius = self.parameterAsDouble(parameters, n.RADIUS, context)
        return stations, cls(track, stations.stations, radius, **extra)
