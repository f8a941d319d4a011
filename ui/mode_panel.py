"""What the form says and offers in each mode: a velocity pair, stacks (a velocity over a
window, or east/up displacement time series on common dates), or one track. Labels say
displacement for stacks, the bands (ignored for stacks) are hidden, and an option that
depends on another is enabled only with it."""

from qgis.gui import QgsCollapsibleGroupBox, QgsDoubleSpinBox, QgsFileWidget, QgsMapLayerComboBox, QgsRasterBandComboBox
from qgis.PyQt.QtWidgets import QComboBox, QGroupBox, QLabel, QLineEdit

from .panel import Panel

#: mode -> (tracks group title, east output label, up output label)
TITLES = {
    "pair": ("Tracks (LOS velocity)", "East velocity", "Vertical velocity"),
    "velocity": ("Tracks (LOS displacement stacks: a velocity over the window of each)", "East velocity",
                 "Vertical velocity"),
    "dates": ("Tracks (LOS displacement stacks)", "East displacement (time series)",
              "Vertical displacement (time series)"),
    "single": ("Track (LOS velocity; no second track: a projection)", "", "Projected motion"),
}  # fmt: skip
#: mode -> what a track's sigma layer is the sigma of (the tracks panel adds what was found beside it)
SIGMA_OF = {
    "pair": "LOS velocity: a-priori standard deviation",
    "velocity": "LOS velocity over the window: a-priori standard deviation (none: the window fit's sigma)",
    "dates": "LOS displacement stack: a-priori standard deviation of each date's value",
    "single": "LOS velocity: a-priori standard deviation",
}


class ModePanel(Panel):
    """Sets the form for a mode (``show_mode``) and keeps dependent options enabled only with
    what they depend on (a reference radius with a point, a GNSS surface with stations)."""

    tracksGroup: QGroupBox
    bandLabel: QLabel
    ascBand: QgsRasterBandComboBox
    descBand: QgsRasterBandComboBox
    descHeading: QLineEdit
    descIncidence: QLineEdit
    descLookSide: QComboBox
    descSigma: QgsMapLayerComboBox
    descKind: QComboBox
    maxCondition: QgsDoubleSpinBox
    eastLabel: QLabel
    upLabel: QLabel
    ascSigmaLabel: QLabel
    descSigmaLabel: QLabel
    sigmaEastLabel: QLabel
    sigmaUpLabel: QLabel
    eastOutput: QgsFileWidget
    sigmaEastOutput: QgsFileWidget
    referencePoint: QLineEdit
    referenceRadius: QgsDoubleSpinBox
    gnssLayer: QgsMapLayerComboBox
    gnssSurface: QComboBox
    outputGroup: QgsCollapsibleGroupBox

    def __init__(self, form, tracks=None):
        super().__init__(form)
        self.tracks = tracks  # the tracks panel: what was found beside each layer
        self.mode = "pair"
        # a collapsible group shows all its widgets when opened: the mode hides some again
        self.outputGroup.collapsedStateChanged.connect(self._reshow)
        self.referencePoint.textChanged.connect(self._dependent)
        self.gnssLayer.layerChanged.connect(self._dependent)
        self._dependent()

    def _dependent(self):
        self.referenceRadius.setEnabled(bool(self.referencePoint.text().strip()))
        self.gnssSurface.setEnabled(self.gnssLayer.currentLayer() is not None)

    def _reshow(self, collapsed):
        if not collapsed:
            self.show_mode(self.mode)

    def show_mode(self, mode: str):
        """``mode``: "pair", "velocity" (stacks, velocity over the window), "dates" (stacks,
        time series on common dates) or "single"."""
        self.mode = mode
        title, east, up = TITLES[mode]
        self.tracksGroup.setTitle(self.tr(title))
        stacks, single = mode in ("velocity", "dates"), mode == "single"
        for w in (self.bandLabel, self.ascBand, self.descBand):
            w.setVisible(not stacks)
        for w in (self.descHeading, self.descIncidence, self.descLookSide, self.descBand, self.descSigma,
                  self.maxCondition, self.descKind):  # fmt: skip
            w.setEnabled(not single)
        for w in (self.eastLabel, self.eastOutput, self.sigmaEastLabel, self.sigmaEastOutput):
            w.setVisible(not single)
        self.eastLabel.setText(self.tr(east))
        self.upLabel.setText(self.tr(up))
        self.sigmaEastLabel.setText(self.tr("{}: propagated standard deviation").format(east))
        self.sigmaUpLabel.setText(self.tr("{}: propagated standard deviation").format(up))
        self._sigma_labels(mode)

    def _sigma_labels(self, mode):
        """Each track's sigma label says what it is the sigma of in ``mode``; what the tracks
        panel found beside the layer is kept, except for a velocity over the window (its
        sigma is the fit's, not the stack's)."""
        labels = (("asc", "Ascending", self.ascSigmaLabel), ("desc", "Descending", self.descSigmaLabel))
        for prefix, side, label in labels:
            md = self.tracks.metadata.get(prefix) if self.tracks is not None else None
            found = md.sigma.source if md is not None and md.sigma is not None and mode != "velocity" else ""
            text = self.tr("{} {}").format(side, SIGMA_OF[mode])
            label.setText(text + (self.tr(" (empty = {})").format(found) if found else ""))
