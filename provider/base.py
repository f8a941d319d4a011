"""What every algorithm of the provider shares: no group, instances of their own class."""

from qgis.core import QgsProcessingAlgorithm


class LosDecompAlgorithm(QgsProcessingAlgorithm):
    """Subclasses give NAME, DISPLAY_NAME and HELP."""

    NAME = ""
    DISPLAY_NAME = ""
    HELP = ""

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802 (QGIS's name)
        return self.DISPLAY_NAME

    def shortHelpString(self):  # noqa: N802 (QGIS's name)
        return self.HELP

    def group(self):
        return ""

    def groupId(self):  # noqa: N802 (QGIS's name)
        return ""

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return type(self)()
