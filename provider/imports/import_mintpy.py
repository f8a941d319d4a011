"""``losdecomp:import_mintpy``: a MintPy HDF5 file to a georeferenced GeoTIFF with its geometry."""

from qgis.core import QgsProcessingParameterFile, QgsProcessingParameterRasterDestination, QgsProcessingParameterString

from ..core.io.products import track_label
from ..core.io.writer import check_writable
from ..core.runs.mintpy_import import import_file
from . import names as n
from .base import LosDecompAlgorithm, tr
from .styling import register_product


class ImportMintpyAlgorithm(LosDecompAlgorithm):
    """``losdecomp:import_mintpy``."""

    NAME = "import_mintpy"
    DISPLAY_NAME = "Import MintPy HDF5 (velocity or time series)"
    HELP = (
        "Writes a dataset of a geocoded MintPy HDF5 file (velocity.h5 by default) as a GeoTIFF "
        "georeferenced from X_FIRST/Y_FIRST/X_STEP/Y_STEP, with its standard deviation band when the "
        "file has one, its geometry (heading, incidence, look side), unit, LOS sign and reference point "
        "as metadata tags, and, when a geometryGeo.h5 file is given, the per-pixel LOS unit vector as "
        "extra bands. The result is a ready input of 'Decompose LOS velocities'.\n\n"
        "MintPy stores masked pixels as 0: they become nodata (the reference pixel is kept). "
        "azimuthAngle is read in MintPy's or ARIA's convention, whichever agrees with HEADING; the log "
        "says which.\n\n"
        "A time series (timeseries*.h5: the 3-D dataset 'timeseries', dated by the 'date' dataset; chosen "
        "automatically when the file has no 'velocity') is written with one band per acquisition, each dated "
        "(INSAR_DATE and a YYYYMMDD description), in the file's unit: the input of 'Velocity over a window of "
        "a time series'. Pixels that are 0 at every acquisition lie outside MintPy's data and become nodata."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.addParameter(QgsProcessingParameterFile(n.INPUT, tr("MintPy file"), extension="h5"))
        self.addParameter(QgsProcessingParameterString(n.DATASET, tr("Dataset"), defaultValue=n.DEFAULT_DATASET))
        self.addParameter(
            QgsProcessingParameterFile(
                n.GEOMETRY, tr("MintPy geometry file (geometryGeo.h5)"), extension="h5", optional=True
            )
        )
        self.addParameter(QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Imported velocity or time series")))

    def process(self, parameters, context, feedback):
        path = self.parameterAsFile(parameters, n.INPUT, context)
        dataset = self.parameterAsString(parameters, n.DATASET, context) or n.DEFAULT_DATASET
        geometry_path = self.parameterAsFile(parameters, n.GEOMETRY, context) or None
        out = self.parameterAsOutputLayer(parameters, n.OUTPUT, context)
        check_writable(out, n.OUTPUT)
        done = self.run_with_log(
            [], [], [out], lambda p, c: import_file(path, out, dataset, geometry_path, feedback.pushInfo, p, c),
            context, feedback,
        )  # fmt: skip
        if done is None:
            return {n.OUTPUT: None}
        register_product(context, out, "LOS velocity" if dataset.lower().startswith("vel") else "LOS displacement",
                         [track_label(path)])  # fmt: skip
        return {n.OUTPUT: out}
