"""``losdecomp:import_mintpy``: a MintPy HDF5 file to a georeferenced GeoTIFF with its geometry."""

from qgis.core import QgsProcessingParameterFile

from ...core.runs.mintpy_import import import_file
from .. import names as n
from ..base import tr
from . import IMPORTS
from .importer import ImportAlgorithm


class ImportMintpyAlgorithm(ImportAlgorithm):
    """``losdecomp:import_mintpy``."""

    NAME = "import_mintpy"
    DISPLAY_NAME = "Import MintPy HDF5 (velocity or time series)"
    GROUP = IMPORTS
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

    INPUT_LABEL, OUTPUT_LABEL = "MintPy file", "Imported velocity or time series"
    DEFAULT_DATASET = n.DEFAULT_DATASET

    def _more_parameters(self):
        return [QgsProcessingParameterFile(n.GEOMETRY, tr("MintPy geometry file (geometryGeo.h5)"), extension="h5",
                                           optional=True)]  # fmt: skip

    def writer(self, parameters, context, path, out, dataset, log):
        geometry_path = self.parameterAsFile(parameters, n.GEOMETRY, context) or None
        return lambda p, c: import_file(path, out, dataset, geometry_path, log, p, c)
