"""The tracks: the ascending and descending layers with their bands, angles, look sides,
standard deviations and the LOS sign; what each layer says (read by ``core.plan.readout``),
and the look vector each track gives."""

from typing import Optional

from qgis.core import QgsMapLayerProxyModel, QgsProject, QgsRasterLayer
from qgis.gui import QgsMapLayerComboBox, QgsRasterBandComboBox
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox, QLabel, QLineEdit

from ..core.conventions import geometry
from ..core.io.products import GENERIC_STEMS, track_label
from ..core.plan import readout
from ..provider import names as n
from . import readout_html
from .feedback import reported
from .panel import Panel

PREFIXES = ("asc", "desc")
TRACK_PARAMS = dict(zip(PREFIXES, n.TRACKS))
SLOT_NAMES = {"asc": "ascending", "desc": "descending"}
#: The kind choices: (label, kind or None = the layer's INSAR_KIND tag, else line of sight).
KIND_CHOICES = (("From the layer (else line of sight)", None), ("Line of sight", geometry.LINE_OF_SIGHT),
                ("Along-track (azimuth offsets, MAI)", geometry.ALONG_TRACK))  # fmt: skip

#: What a number field is called in errors.
FIELD_NAMES = {"ascHeading": "ascending heading", "ascIncidence": "ascending incidence",
               "descHeading": "descending heading", "descIncidence": "descending incidence",
               "azimuth": "horizontal azimuth", "referencePoint": "reference point"}  # fmt: skip


def typed_number(edit: QLineEdit, auto: Optional[dict] = None) -> Optional[float]:
    """A number the user typed, or None when empty or left as filled from the layer
    (``auto``: field name -> the text filled in)."""
    text = edit.text().strip()
    if not text or (auto or {}).get(edit.objectName()) == text:
        return None
    try:
        return float(text)
    except ValueError:
        name = FIELD_NAMES.get(edit.objectName(), edit.objectName())
        raise ValueError(f"the {name} '{text}' is not a number") from None


def name_by_frame(layer):
    """A layer named only by a generic file name (``vel.geo``) gets its frame or folder in
    front, so that two LiCSBAS frames are not two identical ``vel.geo`` in the combos."""
    if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal":
        return
    name = layer.name()
    if name.lower() not in GENERIC_STEMS:
        return
    label = track_label(layer.source())
    if label and label.lower() != name.lower():
        layer.setName(f"{label.split('/')[0]} {name}")


def _directions(rasters) -> dict:
    """{'ascending' | 'descending': the first layer that says so} among the first 30."""
    found = {}
    for layer in rasters[:30]:
        if layer.providerType() != "gdal":
            continue
        try:
            md, shown = readout.describe_layer(layer.source())
            direction = readout.pass_direction(md)
        except (RuntimeError, ValueError, OSError):
            continue
        if direction and not shown.warnings:  # not a standard deviation
            found.setdefault(direction, layer)
    return found


class TracksPanel(Panel):
    """The two tracks of the "Tracks" group (and their standard deviations in "Advanced").
    Signals: ``layersChanged`` once a picked layer has been read (angles filled, read-out
    shown), ``geometryChanged`` when a typed angle or a look side changes."""

    layersChanged = pyqtSignal()
    geometryChanged = pyqtSignal()

    ascLayer: QgsMapLayerComboBox
    descLayer: QgsMapLayerComboBox
    ascBand: QgsRasterBandComboBox
    descBand: QgsRasterBandComboBox
    ascHeading: QLineEdit
    descHeading: QLineEdit
    ascIncidence: QLineEdit
    descIncidence: QLineEdit
    ascLookSide: QComboBox
    descLookSide: QComboBox
    ascInfo: QLabel
    descInfo: QLabel
    ascSigma: QgsMapLayerComboBox
    descSigma: QgsMapLayerComboBox
    ascSigmaLabel: QLabel
    descSigmaLabel: QLabel
    losSign: QComboBox
    ascKind: QComboBox
    descKind: QComboBox

    def __init__(self, form):
        super().__init__(form)
        self.auto: dict = {}  # angle field -> text filled from the layer
        self.metadata: dict = {}  # prefix -> TrackMetadata
        self.warnings: dict = {}  # prefix -> likely mistakes the layer shows
        for combo in (self.ascLayer, self.descLayer):
            combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        # an empty second track offers the one-track projection instead of refusing
        self.descLayer.setAllowEmptyLayer(True)
        for combo in (self.ascSigma, self.descSigma):
            combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
            combo.setAllowEmptyLayer(True)
            combo.setLayer(None)
        for combo in (self.ascLookSide, self.descLookSide):
            combo.addItems([o[0] for o in n.LOOK_SIDE_OPTIONS])
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.losSign.addItems([o[0] for o in n.LOS_SIGN_OPTIONS])
        for combo in (self.ascKind, self.descKind):
            combo.addItems([label for label, _ in KIND_CHOICES])
            combo.currentIndexChanged.connect(self._geometry_edited)
        for edit in self._angle_edits():
            edit.setPlaceholderText(self.tr("from the layer"))
        # bound methods, not lambdas: Qt disconnects them when the panel is destroyed
        self.ascLayer.layerChanged.connect(self._asc_changed)
        self.descLayer.layerChanged.connect(self._desc_changed)
        for edit in self._angle_edits():
            edit.textChanged.connect(self._geometry_edited)
        for combo in (self.ascLookSide, self.descLookSide):
            combo.currentIndexChanged.connect(self._geometry_edited)

    def _angle_edits(self):
        return (self.ascHeading, self.ascIncidence, self.descHeading, self.descIncidence)

    def _widget(self, prefix, name):
        return getattr(self, f"{prefix}{name}")

    def _geometry_edited(self):
        self.geometryChanged.emit()

    # -- picking and reading layers -----------------------------------------------------------

    def initial_pick(self):
        """The likeliest pair: the first layer that says ascending and the first that says
        descending (by heading or look vector); the second slot stays empty rather than
        holding the same layer twice or a layer that says nothing."""
        rasters = [lyr for lyr in QgsProject.instance().mapLayers().values() if isinstance(lyr, QgsRasterLayer)]
        found = _directions(rasters)
        desc = found.get("descending")
        asc = found.get("ascending") or next((lyr for lyr in rasters if lyr is not desc), None)
        self.ascLayer.setLayer(asc)
        self.descLayer.setLayer(desc if desc is not asc else None)

    def read_both(self):
        """Read both picked layers again (as when each was picked)."""
        self._layer_changed("asc", self.ascLayer.currentLayer())
        self._layer_changed("desc", self.descLayer.currentLayer())

    def set_track(self, layer, descending: bool):
        """Pick ``layer`` as the descending track, or the ascending one."""
        (self.descLayer if descending else self.ascLayer).setLayer(layer)

    def _asc_changed(self, layer):
        self._layer_changed("asc", layer)

    def _desc_changed(self, layer):
        self._layer_changed("desc", layer)

    @reported
    def _layer_changed(self, prefix, layer):
        other = self.descLayer if prefix == "asc" else self.ascLayer
        if layer is not None and other.currentLayer() is layer:
            other.setLayer(None)  # one layer cannot be both tracks
        self._widget(prefix, "Band").setLayer(layer)
        self.metadata.pop(prefix, None)
        self.warnings.pop(prefix, None)
        self._widget(prefix, "SigmaLabel").setText(
            self.tr("{} LOS a-priori standard deviation").format("Ascending" if prefix == "asc" else "Descending")
        )
        for edit in (self._widget(prefix, "Heading"), self._widget(prefix, "Incidence")):
            self.auto.pop(edit.objectName(), None)
            edit.clear()
        if layer is None:
            self._widget(prefix, "Info").setText("")
        else:
            self._read_layer(prefix, layer)
        self.layersChanged.emit()

    def _read_layer(self, prefix, layer):
        """What the layer says: its read-out, the standard deviation found beside it, and
        its angles (filled in) or its per-pixel geometry."""
        info, sigma_label = self._widget(prefix, "Info"), self._widget(prefix, "SigmaLabel")
        heading, incidence = self._widget(prefix, "Heading"), self._widget(prefix, "Incidence")
        band = max(self._widget(prefix, "Band").currentBand(), 1)
        try:
            md, shown = readout.describe_layer(layer.source(), band, SLOT_NAMES[prefix])
        except (RuntimeError, ValueError, OSError) as exc:
            info.setText(self.tr("Cannot read this layer's metadata: {}").format(exc))
            return
        self.metadata[prefix] = md
        self.warnings[prefix] = shown.warnings
        info.setText(readout_html.form_html(shown.rows, shown.warnings))
        if md.sigma is not None:
            sigma_label.setText(sigma_label.text() + self.tr(" (empty = {})").format(md.sigma.source))
        if md.geometry is not None:
            for edit in (heading, incidence):
                edit.setPlaceholderText(self.tr("per pixel (from the layer)"))
            return
        for edit, found in ((heading, md.heading), (incidence, md.incidence)):
            if found is not None:
                text = f"{found.value:.4f}"
                edit.setText(text)
                self.auto[edit.objectName()] = text

    # -- what the tracks give -----------------------------------------------------------------

    def layers(self) -> tuple:
        """The picked (ascending, descending) layers, None where a slot is empty."""
        return self.ascLayer.currentLayer(), self.descLayer.currentLayer()

    def typed_angle(self, edit: QLineEdit) -> Optional[float]:
        """A number the user typed, or None when empty or left as filled from the layer."""
        return typed_number(edit, self.auto)

    def vector(self, prefix: str) -> tuple:
        """(look vector or None, note) of a track: typed angles, else what the layer says."""
        side = n.LOOK_SIDE_OPTIONS[self._widget(prefix, "LookSide").currentIndex()][1]
        try:
            h = self.typed_angle(self._widget(prefix, "Heading"))
            t = self.typed_angle(self._widget(prefix, "Incidence"))
        except ValueError as exc:
            return None, str(exc)
        return readout.track_vector(h, t, side, self.metadata.get(prefix), self.kind(prefix))

    def kind(self, prefix: str) -> str:
        """The track's kind as a run takes it: chosen, else its layer's tag, else line of sight."""
        chosen = KIND_CHOICES[self._widget(prefix, "Kind").currentIndex()][1]
        layer = self._widget(prefix, "Layer").currentLayer()
        if layer is None or chosen:
            return chosen or geometry.LINE_OF_SIGHT
        try:
            return readout.track_kind(None, layer.source(), max(self._widget(prefix, "Band").currentBand(), 1))
        except (RuntimeError, ValueError, OSError):
            return geometry.LINE_OF_SIGHT

    def _kind_parameter(self, prefix):
        """ASC_KIND / DESC_KIND (and KIND): 0 line of sight, 1 along-track; None = the layer's."""
        index = self._widget(prefix, "Kind").currentIndex()
        return None if index == 0 else index - 1

    def stacks_mode(self) -> bool:
        """Both picked layers are time series (one band per date): the time-series path."""
        mds = [self.metadata.get(p) for p in PREFIXES]
        return all(md is not None and md.dates is not None for md in mds)

    def single_track_mode(self) -> bool:
        """Only the first track is picked: the run projects it onto one direction."""
        return self.descLayer.currentLayer() is None and self.ascLayer.currentLayer() is not None

    def acquisitions(self) -> Optional[dict]:
        """{layer name: acquisition dates} when both tracks are stacks, else None."""
        if not self.stacks_mode():
            return None
        return {
            self._widget(p, "Layer").currentLayer().name(): list(self.metadata[p].dates.value.values())
            for p in PREFIXES
        }

    def parameters(self) -> dict:
        """Both tracks' parameters of losdecomp:decompose, and the LOS sign."""
        params = {}
        for prefix, t in TRACK_PARAMS.items():
            params[t.layer] = self._widget(prefix, "Layer").currentLayer()
            params[t.band] = max(self._widget(prefix, "Band").currentBand(), 1)
            params[t.heading] = self.typed_angle(self._widget(prefix, "Heading"))
            params[t.incidence] = self.typed_angle(self._widget(prefix, "Incidence"))
            params[t.look_side] = self._widget(prefix, "LookSide").currentIndex()
            params[t.sigma] = self._widget(prefix, "Sigma").currentLayer()
            params[t.kind] = self._kind_parameter(prefix)
        params[n.LOS_SIGN] = self.losSign.currentIndex()
        return params

    def single_track_parameters(self) -> dict:
        """The first track's parameters of losdecomp:project_single_track."""
        return {
            n.INPUT: self.ascLayer.currentLayer(),
            n.BAND: max(self.ascBand.currentBand(), 1),
            n.HEADING: self.typed_angle(self.ascHeading),
            n.INCIDENCE: self.typed_angle(self.ascIncidence),
            n.LOOK_SIDE: self.ascLookSide.currentIndex(),
            n.LOS_SIGN: self.losSign.currentIndex(),
            n.SIGMA: self.ascSigma.currentLayer(),
            n.KIND: self._kind_parameter("asc"),
        }
