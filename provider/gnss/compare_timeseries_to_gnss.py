"""``losdecomp:compare_timeseries_to_gnss``: an InSAR time series beside GNSS daily positions at
the stations, date by date, and the pairwise requirement test (a thin adapter to
``core.runs.gnss_series_run``)."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ...core.conventions import uncertainty
from ...core.plan.tracks import TrackInput
from ...core.runs import gnss_series_run as gr
from ...core.solve import gnss_series as gs
from ...core.solve.velocity import parse_date
from .. import names as n
from ..base import LosDecompAlgorithm, advanced, report, tr
from ..features import DOUBLE, INTEGER, TEXT, output_fields
from ..layers import layer_path
from ..parameters import (
    FileOrFolderParameter,
    RasterFileParameter,
    angle_parameters,
    enum_parameter,
    integer_parameter,
    look_side_parameter,
    los_sign_parameter,
    number_parameter,
)
from . import GNSS

GNSS_SIGMA_ALIAS = uncertainty.label(uncertainty.PROPAGATED, "GNSS in the stack's direction", "sqrt(s' C s)")


class CompareTimeseriesToGnssAlgorithm(LosDecompAlgorithm):
    """``losdecomp:compare_timeseries_to_gnss``."""

    NAME = "compare_timeseries_to_gnss"
    DISPLAY_NAME = "Compare a time series with GNSS time series"
    GROUP = GNSS
    HELP = (
        "Compares a dated InSAR stack (one band per acquisition, INSAR_DATE or a YYYYMMDD description) with GNSS "
        "daily positions at the stations, date by date (dates are calendar days; NGL's daily solutions at 12:00 "
        "UTC are that day).\n\n"
        "COMPONENT 0: the stack is a track's line of sight; its geometry as in decompose (the layer's tags or "
        "per-pixel unit-vector bands, or HEADING and INCIDENCE typed). GNSS in the line of sight = s . (e, n, u) "
        "with the track's sign. 1: east, 2: up of a decomposition (losdecomp:decompose_timeseries), against GNSS "
        "east or up; a decomposition assumed north = 0 unless a north velocity was given, so the log names the "
        "stations that move north (that motion appears in its east and up).\n\n"
        "GNSS is one path, a file or a folder (of .tenv3 and .csv files): NGL's .tenv3 (23 columns, positions as "
        "integer + fractional metres, sigmas, correlations; station coordinates from the file, longitudes wrapped "
        "to +/-180; columns found by their header names, a header without latitude and longitude refused) or a "
        "CSV (site, date, east, north, up, optional sig_e sig_n sig_u and corr_en corr_eu corr_nu, "
        "lon, lat) in GNSS_UNIT (for CSV only; .tenv3 is metres). A truncated line, a gap, an unknown column, a "
        "station outside the raster or with no epoch inside the InSAR span is reported by name and count, never "
        "fatal for the others; nothing usable is an error and no output. (Velocity files, NGL's 27-column MIDAS "
        "file and the plugin's 9-column headerless table, are metres per year; they belong to the velocity "
        "tools.)\n\n"
        "STEPS_FILE (optional NGL steps.txt): offsets at the equipment changes (code 1) are estimated with a "
        "linear trend, annual terms and the code-2 earthquake jumps on the daily series within 365 days of the "
        "InSAR span, and removed; the earthquake jumps are ground motion and stay; steps outside those days are "
        "ignored; steps with no GNSS day between them are one offset (with an earthquake among them: not "
        "removed, said). AVERAGE_DAYS: GNSS positions averaged over the acquisition "
        "day +/- n days. RADIUS: 0 the pixel holding the station, else the median of the pixels within it, "
        "in the stack's CRS units (degrees on a geographic stack: more than 1 is refused, as is a radius beyond "
        "the whole stack).\n\n"
        "REFERENCE_DATE (YYYY-MM-DD, an acquisition): both series are zero there; default the first acquisition "
        "on which the stations have GNSS positions (within AVERAGE_DAYS) and InSAR values; a station missing it "
        "is skipped and named, and so is a station with fewer than two acquisitions holding both series (or left "
        "without a residual by the reference station's gaps). REFERENCE_STATION (optional site): everything "
        "differenced to it, InSAR at its pixel too; it is not itself a compared station (not in STATIONS, RMSE).\n\n"
        "Outputs, in the stack's unit: OUTPUT stations with site, rmse (RMS of the residuals, bias included, the "
        "reference date's zero left out), bias (their mean), correlation (Pearson's r of the two series), epochs, "
        "velocity_difference (least-squares rate of InSAR minus that of GNSS over the same epochs, the unit per "
        "year). OUTPUT_TABLE: site, date (YYYY-MM-DD), gnss, insar, residual (= insar - gnss), gnss_sigma: the "
        "propagated LOS sigma sqrt(s' C s) from the file's sigmas and correlations (of the mean over AVERAGE_DAYS: "
        "sqrt(sum sigma^2) / n), combined in quadrature with the reference station's when referenced; it omits "
        f"{uncertainty.OMITS[uncertainty.PROPAGATED]}, and the reference date's own position error. Results RMSE "
        "(all residuals), MEDIAN_STATION_RMSE, STATIONS. GNSS and InSAR values at the stations that differ by a "
        "unit's factor (from 3 pairs on; the median magnitudes of the displacements referenced to the reference "
        "date, over the compared stations and dates, more than 300 times apart either way; mm read as m gives "
        "about 1000) are refused, naming both units, and nothing is written.\n\n"
        "Pairwise test (NISAR/OPERA): for every pair of compared stations, |(InSAR_i - InSAR_j) - (GNSS_i - "
        "GNSS_j)| against their great-circle distance L, written to OUTPUT_PAIRS (site_i, site_j, distance_km, "
        "residual, date). REQUIREMENT 0 transient: each epoch's pair residual against 3 (1 + sqrt(L/km)) mm; 1 "
        "secular: the pair's velocity_difference difference against 5 mm/year, from 0.1 km. BINS equal distance "
        "bins up to MAX_DISTANCE_KM; a bin passes when more than 68.3 % of its values lie under the requirement "
        "(a bin without pairs does not pass). Results REQUIREMENT_BINS (bins holding pairs) and "
        "REQUIREMENT_BINS_PASSED; the log lists each bin."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(RasterFileParameter(n.INPUT, tr("InSAR time series (dated bands)")))
        self.addParameter(enum_parameter(n.COMPONENT, "Component of the stack", n.COMPONENT_OPTIONS, 0))
        self.add_parameters(angle_parameters() + [los_sign_parameter(), advanced(look_side_parameter())])
        self.addParameter(FileOrFolderParameter(n.GNSS, tr("GNSS time series (.tenv3 or CSV file, or a folder)")))
        self.addParameter(enum_parameter(n.GNSS_UNIT, "Unit of CSV positions", n.SERIES_UNIT_OPTIONS, 0))
        self.addParameter(QgsProcessingParameterFile(n.STEPS_FILE, tr("NGL steps.txt (equipment steps removed)"),
                                                     optional=True))  # fmt: skip
        self.addParameter(QgsProcessingParameterString(n.REFERENCE_STATION, tr("Reference station (site)"),
                                                       optional=True))  # fmt: skip
        self.addParameter(QgsProcessingParameterString(n.REFERENCE_DATE, tr("Reference date (YYYY-MM-DD; empty = "
                                                       "the first common date)"), optional=True))  # fmt: skip
        self.addParameter(number_parameter(n.RADIUS, "Radius around each station, in the raster's CRS units (0 = "
                                           "the pixel holding it)", defaultValue=0.0, minValue=0.0))  # fmt: skip
        self.addParameter(integer_parameter(n.AVERAGE_DAYS, "GNSS averaged over the acquisition day +/- days",
                                            defaultValue=0, minValue=0))  # fmt: skip
        self.addParameter(enum_parameter(n.REQUIREMENT, "Requirement", n.REQUIREMENT_OPTIONS, 0))
        self.addParameter(integer_parameter(n.BINS, "Distance bins", defaultValue=10, minValue=1))
        self.addParameter(number_parameter(n.MAX_DISTANCE_KM, "Largest distance (km)", defaultValue=50.0,
                                           minValue=0.0))  # fmt: skip
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT, tr("Stations with their residual statistics")))
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT_TABLE, tr("Residuals date by date"),
                                                            QgsProcessing.SourceType.TypeVector))  # fmt: skip
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT_PAIRS, tr("Station pairs"),
                                                            QgsProcessing.SourceType.TypeVector, optional=True,
                                                            createByDefault=False))  # fmt: skip
        self.addParameter(QgsProcessingParameterFileDestination(
            n.OUTPUT_PLOT, tr("Plots (PNG file, or a folder of PNGs)"), tr("PNG files (*.png)"), optional=True,
            createByDefault=False))  # fmt: skip
        self.add_number_outputs([
            (n.RMSE, "RMS of all residuals (stack's unit)"), (n.MEDIAN_STATION_RMSE, "Median per-station RMSE"),
            (n.STATIONS, "Stations compared"), (n.REQUIREMENT_BINS, "Distance bins holding pairs"),
            (n.REQUIREMENT_BINS_PASSED, "Distance bins passing the requirement"),
        ])  # fmt: skip

    def request(self, parameters, context) -> gr.SeriesRequest:
        path = layer_path(self, parameters, n.INPUT, context, "time series")
        if path is None:
            raise QgsProcessingException("INPUT: no time series given")
        track = TrackInput("InSAR", path, heading=self.optional_number(parameters, n.HEADING, context),
                           incidence=self.optional_number(parameters, n.INCIDENCE, context),
                           look_side=self.look_side(parameters, n.LOOK_SIDE, context),
                           los_sign=self.los_sign(parameters, context), time_series=True)  # fmt: skip
        text = self.parameterAsString
        return gr.SeriesRequest(
            path, text(parameters, n.GNSS, context), self.parameterAsEnum(parameters, n.COMPONENT, context), track,
            n.SERIES_UNIT_VALUES[self.parameterAsEnum(parameters, n.GNSS_UNIT, context)],
            text(parameters, n.STEPS_FILE, context), text(parameters, n.REFERENCE_STATION, context).strip(),
            parse_date(text(parameters, n.REFERENCE_DATE, context), "REFERENCE_DATE"),
            self.parameterAsDouble(parameters, n.RADIUS, context),
            self.parameterAsInt(parameters, n.AVERAGE_DAYS, context),
            self.parameterAsEnum(parameters, n.REQUIREMENT, context), self.parameterAsInt(parameters, n.BINS, context),
            self.parameterAsDouble(parameters, n.MAX_DISTANCE_KM, context),
        )  # fmt: skip

    def process(self, parameters, context, feedback):
        result = gr.compare(self.request(parameters, context))
        report(feedback, result.log, result.warnings)
        out = {n.OUTPUT: self._stations(result, parameters, context)}
        table = result.table()
        out[n.OUTPUT_TABLE] = self._rows(parameters, context, n.OUTPUT_TABLE, [
            ("site", TEXT, table["site"]), ("date", TEXT, table["date"]), ("gnss", DOUBLE, table["gnss"]),
            ("insar", DOUBLE, table["insar"]), ("residual", DOUBLE, table["residual"]),
            ("gnss_sigma", DOUBLE, table["gnss_sigma"], GNSS_SIGMA_ALIAS)])  # fmt: skip
        if parameters.get(n.OUTPUT_PAIRS):
            p = result.pair_rows()
            out[n.OUTPUT_PAIRS] = self._rows(parameters, context, n.OUTPUT_PAIRS, [
                ("site_i", TEXT, p["site_i"]), ("site_j", TEXT, p["site_j"]),
                ("distance_km", DOUBLE, p["distance_km"]), ("residual", DOUBLE, p["residual"]),
                ("date", TEXT, p["date"])])  # fmt: skip
        bins = result.bins
        out.update({
            n.RMSE: result.rmse, n.MEDIAN_STATION_RMSE: result.median_station_rmse, n.STATIONS: len(result.stations),
            n.REQUIREMENT_BINS: int((bins.count > 0).sum()) if bins is not None else None,
            n.REQUIREMENT_BINS_PASSED: int(bins.passed.sum()) if bins is not None else None,
        })  # fmt: skip
        plot = self.parameterAsFileOutput(parameters, n.OUTPUT_PLOT, context) if parameters.get(n.OUTPUT_PLOT) else ""
        if plot:
            from ...core.io.gnss_series_plot import plot_comparison

            kind = self.parameterAsEnum(parameters, n.REQUIREMENT, context)
            out[n.OUTPUT_PLOT] = plot_comparison(result, plot, kind, gs.requirement)
        return out

    def _stations(self, result, parameters, context):
        extra = [("site", TEXT, [s.site for s in result.stations]),
                 ("rmse", DOUBLE, [s.stats.rmse for s in result.stations]),
                 ("bias", DOUBLE, [s.stats.bias for s in result.stations]),
                 ("correlation", DOUBLE, [s.stats.correlation for s in result.stations]),
                 ("epochs", INTEGER, [s.stats.epochs for s in result.stations]),
                 ("velocity_difference", DOUBLE, [s.stats.velocity_difference for s in result.stations])]  # fmt: skip
        geoms = [QgsGeometry.fromPointXY(QgsPointXY(s.lon, s.lat)) for s in result.stations]
        return self._rows(parameters, context, n.OUTPUT, extra, geoms)

    def _rows(self, parameters, context, name, extra, geometries=None):
        fields = output_fields(QgsFields(), extra)
        wkb = QgsWkbTypes.Type.Point if geometries is not None else QgsWkbTypes.Type.NoGeometry
        crs = QgsCoordinateReferenceSystem("EPSG:4326") if geometries is not None else QgsCoordinateReferenceSystem()
        sink, dest = self.parameterAsSink(parameters, name, context, fields, wkb, crs)
        if sink is None:
            raise QgsProcessingException(f"{name}: the output cannot be created")
        for k in range(len(extra[0][2])):
            feature = QgsFeature(fields)
            if geometries is not None:
                feature.setGeometry(geometries[k])
            feature.setAttributes([_plain(item[2][k]) for item in extra])
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        return dest


def _plain(value):
    if isinstance(value, str):
        return value
    v = float(value)
    return None if v != v else (int(v) if isinstance(value, int) else v)
