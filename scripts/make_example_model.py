"""Regenerates examples/decompose_and_fill.model3: decompose, then 'Fill gaps, keeping band
names and units' on the vertical velocity. Every parameter the Modeler calls mandatory gets
its default as a static value, so that the model validates as saved. Run with QGIS's Python:
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
    QgsProcessingParameterDefinition,
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

    fill = QgsProcessingModelChildAlgorithm("losdecomp:fill_gaps")
    fill.setChildId("fill")
    fill.setDescription("Fill small gaps in the vertical velocity")
    fill.setPosition(QPointF(680, 100))
    fill.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromChildOutput("decompose", "OUTPUT_UP")]
    )
    up_out = QgsProcessingModelOutput("up_filled", "Vertical velocity, small gaps interpolated")
    up_out.setChildOutputName("OUTPUT")
    up_out.setChildId("fill")
    fill.setModelOutputs({"up_filled": up_out})
    model.addChildAlgorithm(fill)
    for child in (dec, fill):
        set_defaults(model.childAlgorithm(child.childId()))
    model.updateDestinationParameters()
    return model


def set_defaults(child):
    """A static source with the default value for every mandatory parameter left unset: the
    Modeler's validate() refuses a child with a mandatory parameter that has no source."""
    alg = QgsApplication.processingRegistry().algorithmById(child.algorithmId())
    sources = child.parameterSources()
    for p in alg.parameterDefinitions():
        optional = p.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional
        if p.isDestination() or optional or p.name() in sources:
            continue
        child.addParameterSources(p.name(), [QgsProcessingModelChildParameterSource.fromStaticValue(p.defaultValue())])


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
    valid, issues = model.validate()
    if not valid:
        sys.exit("the model does not validate:\n" + "\n".join(issues))
    assert any(isinstance(p, QgsProcessingParameterRasterDestination) for p in model.parameterDefinitions())
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    if not model.toFile(OUT):
        sys.exit(f"cannot write {OUT}")
    print(OUT)
