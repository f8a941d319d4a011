"""Regenerates examples/decompose_and_fill.model3: decompose, then QGIS's own
'Fill NoData cells' on the vertical velocity. Run with QGIS's Python:
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_example_model.py
"""

import os
import sys

from qgis.core import (
    QgsApplication,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)
from qgis.PyQt.QtCore import QPointF

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "examples", "decompose_and_fill.model3")


def build():
    model = QgsProcessingModelAlgorithm("Decompose and fill gaps", "InSAR LOS decomposition examples")
    for i, (name, label) in enumerate(
        (("ascending", "Ascending LOS velocity"), ("descending", "Descending LOS velocity"))
    ):
        p = QgsProcessingModelParameter(name)
        p.setPosition(QPointF(120, 60 + 80 * i))
        model.addModelParameter(QgsProcessingParameterRasterLayer(name, label), p)

    dec = QgsProcessingModelChildAlgorithm("losdecomp:decompose")
    dec.setChildId("decompose")
    dec.setDescription("Decompose LOS velocities")
    dec.setPosition(QPointF(400, 100))
    dec.addParameterSources("ASCENDING", [QgsProcessingModelChildParameterSource.fromModelParameter("ascending")])
    dec.addParameterSources("DESCENDING", [QgsProcessingModelChildParameterSource.fromModelParameter("descending")])
    east_out = QgsProcessingModelOutput("east", "East velocity")
    east_out.setChildOutputName("OUTPUT_EAST")
    east_out.setChildId("decompose")
    dec.setModelOutputs({"east": east_out})
    model.addChildAlgorithm(dec)

    fill = QgsProcessingModelChildAlgorithm("native:fillnodata")
    fill.setChildId("fill")
    fill.setDescription("Fill gaps in the vertical velocity")
    fill.setPosition(QPointF(680, 100))
    fill.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromChildOutput("decompose", "OUTPUT_UP")]
    )
    fill.addParameterSources("BAND", [QgsProcessingModelChildParameterSource.fromStaticValue(1)])
    fill.addParameterSources("FILL_VALUE", [QgsProcessingModelChildParameterSource.fromStaticValue(0)])
    up_out = QgsProcessingModelOutput("up_filled", "Vertical velocity, gaps filled with 0")
    up_out.setChildOutputName("OUTPUT")
    up_out.setChildId("fill")
    fill.setModelOutputs({"up_filled": up_out})
    model.addChildAlgorithm(fill)
    model.updateDestinationParameters()
    return model


def register_providers():
    """Processing's native algorithms and this plugin's provider (imported under its package name)."""
    import tempfile

    from qgis.analysis import QgsNativeAlgorithms

    QgsApplication.processingRegistry().addProvider(QgsNativeAlgorithms())
    parent = tempfile.mkdtemp()
    os.symlink(os.path.dirname(HERE), os.path.join(parent, "insar_decomposition"))
    sys.path.insert(0, parent)
    from insar_decomposition.provider.provider import LosDecompProvider

    provider = LosDecompProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    return provider


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    keep = register_providers()
    model = build()
    assert any(isinstance(p, QgsProcessingParameterRasterDestination) for p in model.parameterDefinitions())
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    if not model.toFile(OUT):
        sys.exit(f"cannot write {OUT}")
    print(OUT)
