"""InSAR LOS Decomposition: a QGIS plugin."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import InsarDecompositionPlugin

    return InsarDecompositionPlugin(iface)
