"""The geometry read-out: what the picked tracks can resolve and how they amplify LOS noise
(from ``core.plan.readout``), the mistakes only both tracks together show, and why Run
cannot work yet."""

from qgis.gui import QgsDoubleSpinBox
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import QLabel, QLineEdit

from ..core.plan import readout
from . import readout_html
from .feedback import reported
from .north_panel import EAST_UP, NorthPanel
from .panel import Panel
from .single_track_panel import SingleTrackPanel
from .tracks_panel import PREFIXES, SLOT_NAMES, TracksPanel, typed_number


class GeometryReadout(Panel):
    """The "Geometry read-out" group. Signal: ``blockingChanged`` after each read-out, with
    why Run cannot work (empty when it can)."""

    blockingChanged = pyqtSignal(str)

    geometryReadout: QLabel
    azimuth: QLineEdit
    maxCondition: QgsDoubleSpinBox
    referencePoint: QLineEdit

    def __init__(self, form, tracks: TracksPanel, single_track: SingleTrackPanel, north: NorthPanel):
        super().__init__(form)
        self.tracks: TracksPanel = tracks
        self.single_track: SingleTrackPanel = single_track
        self.north: NorthPanel = north
        north.changed.connect(self.update_readout)
        self.azimuth.textChanged.connect(self.update_readout)
        self.maxCondition.valueChanged.connect(self.update_readout)
        single_track.direction.currentIndexChanged.connect(self.update_readout)
        single_track.min_sensitivity.valueChanged.connect(self.update_readout)

    @reported
    def update_readout(self):
        """The read-out of what is picked and typed now; says what blocks a run."""
        blocking = ""
        try:
            single = self.tracks.single_track_mode()
            self.single_track.setVisible(single)
            if single:
                text = self._single_track_readout()
            else:
                text, blocking = self._two_track_readout()
            self.geometryReadout.setText(text)
        finally:
            self.blockingChanged.emit(blocking)

    def _single_track_readout(self) -> str:
        v, note = self.tracks.vector("asc")
        if v is None:
            return f"The track's geometry is not known yet: {note}."
        try:
            az = typed_number(self.azimuth)
        except ValueError as exc:
            return f"{exc}."
        panel = self.single_track
        text = readout.single_track_text(v, panel.direction.currentIndex(), az, panel.min_sensitivity.value())
        return text + (f" Geometry {note}." if note else "")

    def _two_track_readout(self) -> tuple:
        """(the read-out, why Run cannot work or empty)."""
        if self.tracks.ascLayer.currentLayer() is None:
            return (self.tr("Pick the tracks: an ascending and a descending velocity layer."),
                    self.tr("pick the ascending track"))  # fmt: skip
        vectors, notes, kinds = [], [], []
        for prefix in PREFIXES:
            v, note = self.tracks.vector(prefix)
            name = SLOT_NAMES[prefix]
            if v is None:
                return self.tr("The {} track's geometry is not known yet: {}.").format(name, note), ""
            vectors.append(v)
            kinds.append(self.tracks.kind(prefix))
            if note:
                notes.append(f"{name}: {note}")
        try:
            az = typed_number(self.azimuth)
            extra = self.north.extra_vectors(self.tracks.layers())
        except ValueError as exc:
            return readout_html.error_html(str(exc)), str(exc)
        text, blocking = self._components_readout(vectors, kinds, extra)
        if self.north.value() == EAST_UP:
            amp = readout.amplification(vectors, az, self.maxCondition.value())
            if not amp.resolvable:
                return (f"<b style='color:#b2182b'>These tracks cannot resolve east and up: {amp.reason}.</b>",
                        self.tr("these tracks cannot resolve east and up: {}").format(amp.reason))  # fmt: skip
            h = "east" if az is None else f"the {az:g}° direction"
            text = (f"1 unit of LOS noise becomes ±{amp.sigma_horizontal:.2f} {h} and ±{amp.sigma_up:.2f} up "
                    f"(cond(G) = {amp.condition:.2f}).") + (f"<br>{text}" if text else "")  # fmt: skip
        elif blocking:
            text = f"<b style='color:#b2182b'>{text}</b>"
        if notes:
            text += " Geometry " + "; ".join(notes) + "."
        text += "".join(f"<br><span style='color:#b35806'>⚠ {w}</span>" for w in self._pair_warnings())
        return text, blocking

    def _components_readout(self, vectors, kinds, extra) -> tuple:
        """(the read-out of north and 3-D, why Run cannot work): every track's unit vector
        (the extra ones too), the expected sigmas for a stated noise (core's read-out)."""
        known = [(v, k) for v, _, k in extra if v is not None]
        vectors, kinds = vectors + [v for v, _ in known], kinds + [k for _, k in known]
        along = self.north.along_sigma()
        ro = readout.components_readout(vectors, kinds, self.maxCondition.value(), 2.0,
                                        along if along is not None else 60.0)  # fmt: skip
        self.north.offer_3d(ro.spans_3d)
        lines, blocking = readout.components_text(ro, self.north.value())
        return " ".join(lines), blocking

    def _pair_warnings(self) -> list:
        """Mistakes only the two tracks together show: different reference points."""
        mds = [self.tracks.metadata.get(p) for p in PREFIXES if self.tracks.metadata.get(p) is not None]
        if len(mds) < 2 or self.referencePoint.text().strip():
            return []
        refs = [md.reference for md in mds]
        if all(r is None for r in refs) and all("LiCSBAS" in md.product for md in mds):
            return [self.tr(
                "each LiCSBAS frame is referenced to its own area: give a common reference point (advanced "
                "options), or reference both to GNSS, or east and up carry the difference"
            )]  # fmt: skip
        if all(r is not None for r in refs):
            (x1, y1), (x2, y2) = refs[0].value, refs[1].value
            if max(abs(x1 - x2), abs(y1 - y2)) > 1e-6:
                return [self.tr(
                    "the tracks are referenced to different points ({:.4f}, {:.4f} and {:.4f}, {:.4f}): give a "
                    "common reference point (advanced options) or the velocities differ by a constant"
                ).format(x1, y1, x2, y2)]  # fmt: skip
        return []
