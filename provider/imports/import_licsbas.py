"""``losdecomp:import_licsbas``: a LiCSBAS ``cum.h5`` to the plugin's time-series GeoTIFF."""

from ...core.runs.licsbas_import import import_file
from .. import names as n
from . import IMPORTS
from .importer import ImportAlgorithm


class ImportLicsbasAlgorithm(ImportAlgorithm):
    """``losdecomp:import_licsbas``."""

    NAME = "import_licsbas"
    DISPLAY_NAME = "Import LiCSBAS time series (cum.h5)"
    GROUP = IMPORTS
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

    INPUT_LABEL, OUTPUT_LABEL = "LiCSBAS file (cum.h5)", "Imported time series"
    DEFAULT_DATASET = n.DEFAULT_LICSBAS_DATASET

    def writer(self, parameters, context, path, out, dataset, log):
        return lambda p, c: import_file(path, out, dataset, log, p, c)
