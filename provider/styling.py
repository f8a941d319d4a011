"""Styling and naming of the outputs once Processing loads them.

Every single quantity is drawn as a single-band pseudocolour layer: signed quantities
(velocity, displacement, LOS) with a red-white-blue ramp symmetric about zero, magnitudes
(standard deviations, condition numbers, counts, residuals) with a sequential ramp from their
floor. A multi-band quality raster loads as one layer per band, each named by its meaning."""

import math
from dataclasses import dataclass
from typing import Optional

from qgis.core import (
    QgsColorRampShader,
    QgsLayerTree,
    QgsLayerTreeLayer,
    QgsProcessingLayerPostProcessorInterface,
    QgsProject,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

from ..core.io.model import (
    COLOUR_PERCENTILE,
    HORIZONTAL,
    NORTH,
    QUALITY,
    QUALITY_BANDS_3D,
    SIGMA_HORIZONTAL,
    SIGMA_NORTH,
    SIGMA_UP,
    UP,
    UP_NORTH,
)
from .temporal import band_dates, by_date, set_band_ranges

DIVERGING, SEQUENTIAL = "diverging", "sequential"
RAMPS = {DIVERGING: ("RdBu",), SEQUENTIAL: ("Viridis", "Reds")}  # RdBu: red = west/down/away
SAMPLE = 250000
#: The share of |values| below the diverging limit when the run did not report one (see
#: core.model.COLOUR_PERCENTILE).
DIVERGING_CUT = COLOUR_PERCENTILE / 100
SEQUENTIAL_CUT = 0.98
#: Generic product names that non-decomposition algorithms pass to :func:`register_outputs`.
SIGNED, MAGNITUDE = "signed", "magnitude"
KINDS = {HORIZONTAL: DIVERGING, UP: DIVERGING, SIGNED: DIVERGING, NORTH: DIVERGING, UP_NORTH: DIVERGING,
         SIGMA_HORIZONTAL: SEQUENTIAL, SIGMA_UP: SEQUENTIAL, SIGMA_NORTH: SEQUENTIAL,
         MAGNITUDE: SEQUENTIAL}  # fmt: skip
#: Quality band key -> (kind, fixed floor, fixed ceiling); None = from the data.
QUALITY_STYLES = {
    "condition": (SEQUENTIAL, 1.0, None),
    "n_tracks": (SEQUENTIAL, 0.0, None),
    "residual_rms": (SEQUENTIAL, 0.0, None),
    "correlation": (DIVERGING, None, 1.0),
    "condition_3d": (SEQUENTIAL, 1.0, None),
    "correlation_en": (DIVERGING, None, 1.0),
    "correlation_nu": (DIVERGING, None, 1.0),
}


@dataclass(frozen=True)
class BandStyle:
    """How to draw one band: ``kind``, and limits (None = from the data)."""

    band: int
    kind: str
    name: str
    low: Optional[float] = None
    high: Optional[float] = None


def _cut(layer, band, lower, upper):
    provider = layer.dataProvider()
    return provider.cumulativeCut(band, lower, upper, layer.extent(), SAMPLE)


def round_out(value: float, up: bool, digits: int = 2) -> float:
    """``value`` rounded away from the data to ``digits`` significant figures (up: towards
    +inf, else towards -inf), so a legend reads +/-80, not +/-79.187412."""
    if not math.isfinite(value) or value == 0:
        return value
    step = 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    scaled = value / step
    scaled = round(scaled, 6)  # 0.3 / 0.01 is 29.999999999999996: no spurious step
    return (math.ceil(scaled) if up else math.floor(scaled)) * step


def _limits(layer, style):
    """(low, high) of the ramp, rounded out to two significant figures: symmetric about zero
    for diverging quantities."""
    lo, hi = _data_limits(layer, style)
    lo, hi = round_out(lo, up=False), round_out(hi, up=True)
    # float noise of the step (0.1 * 3) is not a figure of the limit
    return float(f"{lo:.12g}"), float(f"{hi:.12g}")


def _data_limits(layer, style):
    if style.kind == DIVERGING:
        limit = style.high
        if limit is None or not math.isfinite(limit) or limit <= 0:
            lo, hi = _cut(layer, style.band, 1 - DIVERGING_CUT, DIVERGING_CUT)
            limit = max(abs(lo), abs(hi))
        if not math.isfinite(limit) or limit == 0:
            limit = 1.0
        return -limit, limit
    lo, hi = style.low, style.high
    if lo is None or hi is None:
        cut_lo, cut_hi = _cut(layer, style.band, 0.0, SEQUENTIAL_CUT)
        lo = cut_lo if lo is None else lo
        hi = cut_hi if hi is None else hi
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = (lo if math.isfinite(lo) else 0.0) + 1.0
        lo = hi - 1.0
    return lo, hi


def _ramp(kind):
    style = QgsStyle.defaultStyle()
    for name in RAMPS[kind]:
        ramp = style.colorRamp(name)
        if ramp is not None:
            return ramp
    raise RuntimeError(f"no colour ramp among {RAMPS[kind]} in the default style")


def apply_style(layer, style: BandStyle):
    """A single-band pseudocolour renderer on ``style.band``; returns (low, high)."""
    lo, hi = _limits(layer, style)
    shader_fn = QgsColorRampShader(lo, hi, _ramp(style.kind))
    shader_fn.setColorRampType(QgsColorRampShader.Type.Interpolated)
    shader_fn.classifyColorRamp(11, -1)  # -1: no statistics, the limits given above
    items = shader_fn.colorRampItemList()
    # classifyColorRamp spans the band's min/max; spread the classes evenly over [lo, hi]
    count = len(items)
    unit = _band_unit(layer, style.band)
    for i, item in enumerate(items):
        item.value = lo + (hi - lo) * i / max(count - 1, 1)
        item.label = f"{item.value:.3g}" + (f" {unit}" if unit and i in (0, count - 1) else "")
    shader_fn.setColorRampItemList(items)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), style.band, shader)
    renderer.setClassificationMin(lo)
    renderer.setClassificationMax(hi)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
    return lo, hi


def _band_unit(layer, band):
    from osgeo import gdal

    from ..core.io.gdal_mode import raising

    try:
        with raising():
            ds = gdal.Open(layer.source())
            return ds.GetRasterBand(band).GetUnitType() if ds is not None and band <= ds.RasterCount else ""
    except RuntimeError:
        return ""


def style_stack(layer) -> bool:
    """Draw a dated stack (one band per acquisition) as a single-band pseudocolour of its
    last date (displacement since the first; band 1 of a stack is often all zero, and QGIS's
    default RGB of bands 1-3 means nothing here), with per-band temporal ranges where QGIS
    has them. False, and nothing changed, for a layer that is not a dated stack."""
    dates = band_dates(layer)
    if not dates:
        return False
    last = by_date(dates)[-1][0]
    apply_style(layer, BandStyle(last, DIVERGING, layer.name()))
    set_band_ranges(layer, dates)
    return True


def show_band(layer, band: int) -> None:
    """Draw ``band`` of the layer with its present colours: a single-band pseudocolour
    renderer keeps its ramp and limits (so two dates compare), anything else is replaced by
    the plugin's diverging pseudocolour."""
    renderer = layer.renderer()
    if renderer is not None and renderer.type() == "singlebandpseudocolor":
        if hasattr(renderer, "setInputBand"):  # 3.38 and later
            renderer.setInputBand(band)
        else:
            renderer.setBand(band)
        layer.triggerRepaint()
    else:
        apply_style(layer, BandStyle(band, DIVERGING, layer.name()))


def band_styles(name, product: str, limit=None, band: int = 1) -> list:
    """The styles of one output: one per quality band (``name``: one name per band: four, or
    seven under COMPONENTS 1 and 2), else one on ``band``."""
    if product == QUALITY:
        styles = []
        for i, ((key, _, _), band_name) in enumerate(zip(QUALITY_BANDS_3D, name), start=1):
            kind, low, high = QUALITY_STYLES[key]
            styles.append(BandStyle(i, kind, band_name, low, high))
        return styles
    kind = KINDS.get(product, DIVERGING)
    return [BandStyle(band, kind, name, None, limit if kind == DIVERGING else None)]


class RunGroup:
    """The layer-tree group of one run's results, created at the top of the tree by the first
    layer placed in it (named uniquely: a second run never merges into the first's group)."""

    KEY = "losdecomp/sort_key"

    def __init__(self, name: str):
        self.name = name
        self.node = None

    def _group(self, project):
        if self.node is None:
            root = project.layerTreeRoot()
            taken = {child.name() for child in root.children() if QgsLayerTree.isGroup(child)}
            name, i = self.name, 2
            while name in taken:
                name, i = f"{self.name} ({i})", i + 1
            self.node = root.insertGroup(0, name)
        return self.node

    def place(self, project, layer, key: float, visible: bool = True):
        """Move ``layer`` into the group, ordered by ``key`` (smallest on top)."""
        group = self._group(project)
        old = project.layerTreeRoot().findLayer(layer.id())
        node = QgsLayerTreeLayer(layer)
        node.setCustomProperty(self.KEY, float(key))
        node.setItemVisibilityChecked(visible)
        index = sum(1 for child in group.children() if float(child.customProperty(self.KEY, 0.0)) <= key)
        group.insertChildNode(index, node)
        if old is not None:
            old.parent().removeChildNode(old)


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles the loaded layer with the first style and adds one layer per further style
    (the quality bands); with a :class:`RunGroup`, puts them in it at ``key``. Processing
    keeps only a pointer: instances are held in ``_alive`` until used."""

    _alive = []

    def __init__(self, styles, auxiliary=False, group=None, key=0.0):
        super().__init__()
        self.styles, self.auxiliary, self.group, self.key = styles, auxiliary, group, key

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        try:
            first, *rest = self.styles
            layer.setName(first.name)
            lo, hi = apply_style(layer, first)
            if set_band_ranges(layer):
                feedback.pushInfo(f"{layer.name()}: one temporal range per band (QGIS's temporal controller steps "
                                  "through the dates)")
            feedback.pushInfo(f"{layer.name()}: drawn from {lo:.3g} to {hi:.3g}")
            project = context.project() or QgsProject.instance()
            layers = [layer]
            for style in rest:
                extra = QgsRasterLayer(layer.source(), style.name, layer.providerType())
                apply_style(extra, style)
                project.addMapLayer(extra, False)
                layers.append(extra)
            for offset, each in enumerate(layers):
                if self.group is not None:
                    self.group.place(project, each, self.key + offset / 100, visible=not self.auxiliary)
                elif each is not layer:
                    _insert_below(project, layer, each, offset)
        finally:
            if self in StylePostProcessor._alive:
                StylePostProcessor._alive.remove(self)

    @classmethod
    def create(cls, styles, auxiliary=False, group=None, key=0.0):
        inst = cls(styles, auxiliary, group, key)
        cls._alive.append(inst)
        return inst


def _insert_below(project, anchor, layer, offset):
    """Put ``layer`` ``offset`` places below ``anchor`` in the layer tree."""
    node = project.layerTreeRoot().findLayer(anchor.id())
    if node is None:
        project.layerTreeRoot().addLayer(layer)
        return
    parent = node.parent()
    parent.insertLayer(parent.children().index(node) + offset, layer)


#: Products drawn but not shown at first: they sit below the velocities without hiding them.
AUXILIARY = (SIGMA_HORIZONTAL, SIGMA_UP, SIGMA_NORTH, QUALITY, MAGNITUDE)


def register_outputs(context, names, band=1, group=None):
    """Name and style the outputs Processing will load.

    ``names`` maps an output path to (layer name, product, colour limit or None); the product
    is a decomposition product or :data:`SIGNED` / :data:`MAGNITUDE`. The quality product
    takes one name per band. With ``group`` (a name), the layers load into one new group at
    the top of the layer tree, in the order of ``names``; auxiliary products (standard
    deviations, quality) load unticked, below the velocities."""
    run_group = RunGroup(group) if group else None
    for key, (path, (label, product, limit)) in enumerate(names.items()):
        if not context.willLoadLayerOnCompletion(path):
            continue
        details = context.layerToLoadOnCompletionDetails(path)
        styles = band_styles(label, product, limit, band)
        details.name = styles[0].name
        auxiliary = product in AUXILIARY
        details.setPostProcessor(StylePostProcessor.create(styles, auxiliary, run_group, float(key)))


def register_product(context, path: str, what: str, tracks=(), product: str = SIGNED):
    """Name and style a raster output from what its file says: its unit, and for a time
    series its dates (the last date is drawn: displacement since the first)."""
    from ..core.io import products
    from ..core.plan.naming import layer_name

    md = products.read(path)
    unit = md.unit.value if md.unit is not None else ""
    band = max(md.dates.value, key=md.dates.value.get) if md.dates is not None else 1
    if md.dates is not None:
        what = f"{what}, {len(md.dates.value)} dates"
    register_outputs(context, {path: (layer_name(what, unit, tracks), product, None)}, band=band)
