"""``losdecomp:compare_to_gnss``: a decomposition's east and up checked against GNSS (a thin
adapter to ``core.gnss_run``)."""

from qgis.core import QgsProcessingException, QgsProcessingParameterFeatureSink, QgsProcessingParameterFileDestination

from ...core.io.gnss_plot import Panel, page_html
from ...core.runs import gnss_run
from ...core.solve import gnss
from .. import names as n
from ..base import LosDecompAlgorithm, report, tr
from ..features import DOUBLE, TEXT, write_features
from ..layers import layer_path
from ..parameters import RasterFileParameter
from . import GNSS
from .stations import COMMON_HELP, gnss_parameters, radius_parameter, read_stations


class CompareToGnssAlgorithm(LosDecompAlgorithm):
    """``losdecomp:compare_to_gnss``."""

    NAME = "compare_to_gnss"
    DISPLAY_NAME = "Check a decomposition against GNSS (east and up)"
    GROUP = GNSS
    HELP = (
        "Samples decomposed EAST (or horizontal along the azimuth the decomposition used, read from its metadata) "
        "and UP rasters at the GNSS stations and writes the stations with east_gnss, east_insar, east_residual, "
        "up_gnss, up_insar, up_residual (decomposition - GNSS) and status; results RMS_EAST, RMS_UP (in the "
        "decomposition's unit, named in the log) and COUNT; optionally OUTPUT_PLOT, an HTML page with two scatters "
        "(east or horizontal, and up: decomposition against GNSS, the 1:1 line, each station named beside its point, "
        "+/-1 sigma bars: horizontal GNSS's a-priori sigma (propagated onto the azimuth for a horizontal), vertical "
        "the spread of the decomposition within the radius).\n\n"
        "A decomposition of two tracks assumes north = 0 unless a north velocity was given: where the stations "
        "move north, part of that motion appears in east and up, and the log says so. For calibration, compare "
        "each track in its line of sight instead (losdecomp:gnss_to_los).\n\n" + COMMON_HELP
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(RasterFileParameter(n.EAST, tr("East (or horizontal) velocity of a decomposition")))
        self.addParameter(RasterFileParameter(n.UP, tr("Vertical velocity of a decomposition")))
        self.add_parameters(gnss_parameters() + [radius_parameter()])
        self.addParameter(QgsProcessingParameterFeatureSink(n.OUTPUT, tr("Stations with decomposition residuals")))
        self.addParameter(QgsProcessingParameterFileDestination(
            n.OUTPUT_PLOT, tr("Scatter plots (east and up)"), tr("HTML files (*.html)"), optional=True,
            createByDefault=False,
        ))  # fmt: skip
        self.add_number_outputs([
            (n.RMS_EAST, "RMS of the east residuals (in the decomposition's unit)"),
            (n.RMS_UP, "RMS of the up residuals (in the decomposition's unit)"),
            (n.COUNT, "Stations used"),
        ])  # fmt: skip

    def process(self, parameters, context, feedback):
        east = layer_path(self, parameters, n.EAST, context, "east raster")
        up = layer_path(self, parameters, n.UP, context, "up raster")
        if east is None or up is None:
            raise QgsProcessingException("give both the east and the up raster")
        inp = read_stations(self, parameters, context)
        radius = self.parameterAsDouble(parameters, n.RADIUS, context)
        result = gnss_run.compare_components(gnss_run.ComponentsRequest(east, up, inp.stations, radius))
        report(feedback, result.log, result.warnings)
        status = [e if e != gnss_run.OK else u for e, u in zip(result.east.status, result.up.status)]
        extra = [
            ("east_gnss", DOUBLE, result.gnss_horizontal), ("east_insar", DOUBLE, result.east.value),
            ("east_residual", DOUBLE, result.east_residual), ("up_gnss", DOUBLE, result.gnss_up),
            ("up_insar", DOUBLE, result.up.value), ("up_residual", DOUBLE, result.up_residual),
            ("status", TEXT, status),
        ]  # fmt: skip
        dest = write_features(self, parameters, context, n.OUTPUT, inp, extra)
        count = int(sum(s == gnss_run.OK for s in status))
        plot = self.parameterAsFileOutput(parameters, n.OUTPUT_PLOT, context) if parameters.get(n.OUTPUT_PLOT) else ""
        if plot:
            with open(plot, "w", encoding="utf-8") as f:
                f.write(plot_page(result, inp.stations.names))
        return {n.OUTPUT: dest, n.RMS_EAST: result.stats_east["rms"], n.RMS_UP: result.stats_up["rms"], n.COUNT: count,
                n.OUTPUT_PLOT: plot or None}  # fmt: skip


def plot_page(result, names: list) -> str:
    """The two scatters of a comparison (east or horizontal, and up) as one HTML page."""
    horizontal = "East" if result.azimuth is None else f"Horizontal (azimuth {result.azimuth:g})"
    unit = result.unit
    panels = [
        Panel(result.gnss_horizontal, result.east.value, names, f"{horizontal}: decomposition against GNSS", unit,
              result.gnss_horizontal_sigma, result.east.spread),
        Panel(result.gnss_up, result.up.value, names, "Up: decomposition against GNSS", unit,
              result.gnss_up_sigma, result.up.spread),
    ]  # fmt: skip
    lines = [f"{horizontal} residual (decomposition - GNSS): {gnss.describe(result.stats_east, unit)}",
             f"Up residual (decomposition - GNSS): {gnss.describe(result.stats_up, unit)}"] + list(result.warnings)
    bars = ("Bars: +/-1 sigma; horizontal: GNSS's a-priori standard deviation (propagated onto the azimuth for a "
            "horizontal); vertical: the spread of the decomposition within the radius (none for one pixel).")
    return page_html("A decomposition against GNSS", panels, lines, bars)
