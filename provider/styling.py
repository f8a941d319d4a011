"""Styling of the outputs once Processing loads them: a diverging ramp symmetric about zero."""

import math

from qgis.core import (
    QgsColorRampShader,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

from ..core.engine import STYLED_PRODUCTS

DIVERGING_PRODUCTS = STYLED_PRODUCTS
RAMP = "RdBu"  # red = negative (west, down), blue = positive (east, up)
SAMPLE = 250000


def symmetric_limit(layer, band=1):
    """The 98th percentile of |value|, so that a few outliers do not wash out the map.
    Used only when the run did not report one (it computes its own from what it wrote)."""
    provider = layer.dataProvider()
    lower, upper = provider.cumulativeCut(band, 0.02, 0.98, layer.extent(), SAMPLE)
    limit = max(abs(lower), abs(upper))
    if not math.isfinite(limit) or limit == 0:
        limit = 1.0
    return limit


def apply_diverging_style(layer, band=1, limit=None):
    """A red-white-blue ramp symmetric about zero, up to ``limit`` (else computed)."""
    if limit is None or not math.isfinite(limit) or limit <= 0:
        limit = symmetric_limit(layer, band)
    ramp = QgsStyle.defaultStyle().colorRamp(RAMP)
    shader_fn = QgsColorRampShader(-limit, limit, ramp)
    shader_fn.setColorRampType(QgsColorRampShader.Type.Interpolated)
    shader_fn.classifyColorRamp(11, -1)  # -1: no statistics, the limits given above
    items = shader_fn.colorRampItemList()
    # classifyColorRamp spans the band's min/max; spread the classes evenly over [-limit, limit]
    n = len(items)
    for i, item in enumerate(items):
        item.value = -limit + 2 * limit * i / max(n - 1, 1)
        item.label = f"{item.value:.3g}"
    shader_fn.setColorRampItemList(items)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), band, shader)
    renderer.setClassificationMin(-limit)
    renderer.setClassificationMax(limit)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
    return limit


class DivergingStylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Processing keeps only a pointer: instances are held in ``_alive`` until used."""

    _alive = []

    def __init__(self, limit=None, band=1):
        super().__init__()
        self.limit = limit
        self.band = band

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        try:
            limit = apply_diverging_style(layer, self.band, limit=self.limit)
            feedback.pushInfo(f"{layer.name()}: styled with a diverging ramp from {-limit:.3g} to {limit:.3g}")
        finally:
            if self in DivergingStylePostProcessor._alive:
                DivergingStylePostProcessor._alive.remove(self)

    @classmethod
    def create(cls, limit=None, band=1):
        inst = cls(limit, band)
        cls._alive.append(inst)
        return inst


def register_outputs(context, names, band=1):
    """Name the outputs Processing will load and style the velocity ones (on ``band``).

    ``names`` maps an output path to (layer name, core product, colour limit or None)."""
    for path, (label, product, limit) in names.items():
        if not context.willLoadLayerOnCompletion(path):
            continue
        details = context.layerToLoadOnCompletionDetails(path)
        details.name = label
        if product in DIVERGING_PRODUCTS:
            details.setPostProcessor(DivergingStylePostProcessor.create(limit, band))
