"""``losdecomp:import_licsbas``: a LiCSBAS ``cum.h5`` to the plugin's time-series GeoTIFF."""

from qgis.core import QgsProcessingParameterFile, QgsProcessingParameterRasterDestination, QgsProcessingParameterString

from ..core.io.products import track_label
from ..core.io.writer import check_writable
from ..core.runs.licsbas_import import import_file
from . import names as n
from .base import LosDecompAlgorithm, tr
from .styling import register_product


class ImportLicsbasAlgorithm(LosDecompAlgorithm):
    """``losdecomp:import_licsbas``."""

    NAME = "import_licsbas"
    DISPLAY_NAME = "Import LiCSBAS time series (cum.h5)"
    HELP = (
        "Writes the cumulative displacement of a LiCSBAS cum.h5 or cum_filt.h5 (dataset 'cum' by default, in "
        "mm, dated by 'imdates') as a GeoTIFF with one band per acquisition, each dated (INSAR_DATE and a "
        "YYYYMMDD description), georeferenced from corner_lat/corner_lon (the centre of the first pixel) and "
        "post_lat/post_lon in WGS 84, with the unit, the LOS sign (positive toward the satellite) and the "
        "centre of the reference area ('refarea') as metadata tags.\n\n"
        "The frame's per-pixel LOS unit vector is added as three bands when its E/N/U files are found (E.geo.tif "
        "or <frame>.geo.E.tif, or LiCSBAS's float32 E.geo, beside the file, in its parent folder or in the "
        "parent's GEOC* folders); the log says which were used. Without them, give the heading and incidence "
        "to the decomposition. The result is the input of 'Velocity over a window of a time series'."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(QgsProcessingParameterFile(n.INPUT, tr("LiCSBAS file (cum.h5)"), extension="h5"))
        self.addParameter(
            QgsProcessingParameterString(n.DATASET, tr("Dataset"), defaultValue=n.DEFAULT_LICSBAS_DATASET)
        )
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Imported time series")))

    def process(self, parameters, context, feedback):
        path = self.parameterAsFile(parameters, n.INPUT, context)
        dataset = self.parameterAsString(parameters, n.DATASET, context) or n.DEFAULT_LICSBAS_DATASET
        out = self.parameterAsOutputLayer(parameters, n.OUTPUT, context)
        check_writable(out, n.OUTPUT)
        done = self.run_with_log(
            [], [], [out], lambda p, c: import_file(path, out, dataset, feedback.pushInfo, p, c), context, feedback
        )
        if done is None:
            return {n.OUTPUT: None}
        register_product(context, out, "LOS velocity" if dataset.lower().startswith("vel") else "LOS displacement",
                         [track_label(path)])  # fmt: skip
        return {n.OUTPUT: out}
