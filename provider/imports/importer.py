"""What the importers share: an HDF5 file (``INPUT``) and a dataset (``DATASET``) written by
``core`` as one GeoTIFF (``OUTPUT``), loaded under a name that says what it holds."""

from qgis.core import QgsProcessingParameterFile, QgsProcessingParameterRasterDestination

from ...core.io.products import track_label
from .. import names as n
from ..base import LosDecompAlgorithm, tr
from ..parameters import text_parameter
from ..styling import register_product


class ImportAlgorithm(LosDecompAlgorithm):
    """An importer: subclasses give the labels, the default dataset and :meth:`writer`."""

    INPUT_LABEL = OUTPUT_LABEL = ""
    DEFAULT_DATASET = ""

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            QgsProcessingParameterFile(n.INPUT, tr(self.INPUT_LABEL), extension="h5"),
            text_parameter(n.DATASET, "Dataset", defaultValue=self.DEFAULT_DATASET),
            *self._more_parameters(),
            QgsProcessingParameterRasterDestination(n.OUTPUT, tr(self.OUTPUT_LABEL)),
        ])  # fmt: skip

    def _more_parameters(self):
        """A subclass's own parameters, between the dataset and the output."""
        return []

    def writer(self, parameters, context, path: str, out: str, dataset: str, log):
        """``write(progress, is_cancelled)`` that imports ``dataset`` of ``path`` to ``out``,
        reporting through ``log``."""
        raise NotImplementedError

    def process(self, parameters, context, feedback):
        path = self.parameterAsFile(parameters, n.INPUT, context)
        dataset = self.parameterAsString(parameters, n.DATASET, context) or self.DEFAULT_DATASET
        out = self.parameterAsOutputLayer(parameters, n.OUTPUT, context)
        write = self.writer(parameters, context, path, out, dataset, feedback.pushInfo)
        if self.write_file(out, write, context, feedback) is None:
            return {n.OUTPUT: None}
        what = "LOS velocity" if dataset.lower().startswith("vel") else "LOS displacement"
        register_product(context, out, what, [track_label(path)])
        return {n.OUTPUT: out}
