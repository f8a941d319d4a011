"""``losdecomp:fill_gaps``: gaps filled in one band, the raster's names, units and metadata
kept (a thin adapter to ``core.fill``)."""

from qgis.core import QgsProcessingParameterBand, QgsProcessingParameterRasterDestination

from ...core.io.products import track_label
from ...core.runs import fill
from .. import names as n
from ..base import LosDecompAlgorithm, advanced, tr
from ..layers import layer_path
from ..parameters import RasterFileParameter, compression_parameter, integer_parameter, number_parameter
from ..styling import register_product
from . import VELOCITY_MAPS


class FillGapsAlgorithm(LosDecompAlgorithm):
    """``losdecomp:fill_gaps``."""

    NAME = "fill_gaps"
    DISPLAY_NAME = "Fill gaps, keeping band names and units"
    GROUP = VELOCITY_MAPS
    HELP = (
        "Interpolates the nodata pixels of one band that lie within DISTANCE pixels of valid data "
        "(inverse-distance weighting, GDAL FillNodata), optionally smoothed. Unlike the generic fill tools, "
        "the output keeps every band, the band descriptions and units, and the metadata the other "
        "algorithms read (geometry tags, unit, sign), so a filled velocity can still be decomposed or "
        "compared. The filled pixels are interpolated, not measured: the metadata says how many."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            RasterFileParameter(n.INPUT, tr("Raster with gaps")),
            # optional so that qgis_process and the modeler fall back to the default band 1
            QgsProcessingParameterBand(n.BAND, tr("Band to fill"), 1, n.INPUT, optional=True),
            number_parameter(n.DISTANCE, "Largest distance from valid data (pixels)",
                             defaultValue=fill.DEFAULT_MAX_DISTANCE, minValue=0.0),
            integer_parameter(n.ITERATIONS, "Smoothing iterations", defaultValue=0, minValue=0),
            advanced(compression_parameter()),
            QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Filled raster")),
        ])  # fmt: skip

    def process(self, parameters, context, feedback):
        path = layer_path(self, parameters, n.INPUT, context, "raster with gaps")
        band = self.parameterAsInt(parameters, n.BAND, context) or 1
        distance = self.parameterAsDouble(parameters, n.DISTANCE, context)
        iterations = self.parameterAsInt(parameters, n.ITERATIONS, context)
        compression = self.compression(parameters, context)
        out = self.parameterAsOutputLayer(parameters, n.OUTPUT, context)

        def write(progress, is_cancelled):
            return fill.fill_gaps(path, out, band, distance, iterations, compression, progress, is_cancelled)

        filled = self.write_file(out, write, context, feedback)
        if filled is None:
            return {n.OUTPUT: None}
        feedback.pushInfo(f"{filled} pixels filled (band {band}, up to {distance:g} pixels from data)")
        what = fill.band_description(out, band) + f", gaps up to {distance:g} px filled"
        register_product(context, out, what, [track_label(path)])
        return {n.OUTPUT: out}
