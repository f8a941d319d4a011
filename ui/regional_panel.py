"""Regional maps in the dialog (issue 35): more frames per viewing direction, merged by
``losdecomp:merge_frames`` before the decomposition (the picked track first, so held fixed),
and the plate whose rigid motion ``losdecomp:decompose`` removes (``PLATE`` or
``EULER_POLE``, never both)."""

import functools

from qgis.core import QgsProject, QgsRasterLayer
from qgis.gui import QgsCheckableComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QComboBox, QLineEdit

from ..core.solve.plate import plate_names
from ..provider import names as n
from .panel import Panel
from .run_chain import Step

#: The direction's frames widget, its words, and the decompose parameters of its track.
DIRECTIONS = (("ascFrames", "ascending", n.ASC), ("descFrames", "descending", n.DESC))
#: The grid options of the dialog merge_frames also has.
GRID = (n.TARGET_CRS, n.RESOLUTION, n.RESAMPLING, n.LOS_SIGN)


def _merge_parameters(params, results):
    return params


class RegionalPanel(Panel):
    """The "Regional: frames and plate" group; gives the merge steps and the plate parameters."""

    ascFrames: QgsCheckableComboBox
    descFrames: QgsCheckableComboBox
    frameModel: QComboBox
    plate: QComboBox
    eulerPole: QLineEdit

    def __init__(self, form):
        super().__init__(form)
        for combo in (self.ascFrames, self.descFrames):
            combo.setDefaultText(self.tr("none (the picked layer alone)"))
        self.fill_frames()
        self.frameModel.addItems(list(n.FRAME_MODEL_OPTIONS))
        self.frameModel.setCurrentIndex(n.DEFAULT_FRAME_MODEL)
        self.plate.addItem(self.tr("none"), "")
        for name in plate_names():
            self.plate.addItem(name, name)
        self.eulerPole.setPlaceholderText(self.tr("lat,lon,rate (deg, deg/Myr) or wx,wy,wz mas/yr"))

    def fill_frames(self):
        """The project's rasters as frames of either direction, keeping those checked."""
        for combo in (self.ascFrames, self.descFrames):
            checked = set(combo.checkedItemsData())
            combo.clear()
            for layer in QgsProject.instance().mapLayers().values():
                if isinstance(layer, QgsRasterLayer):
                    state = Qt.CheckState.Checked if layer.id() in checked else Qt.CheckState.Unchecked
                    combo.addItemWithCheckState(layer.name(), state, layer.id())

    # -- frames --------------------------------------------------------------------------------

    def frames(self, widget: str, picked) -> list:
        """The direction's frames: its picked layer first, then the checked ones still in the
        project (the picked layer once); one frame (no merge) when none is checked."""
        combo = getattr(self, widget)
        more = [QgsProject.instance().mapLayer(i) for i in combo.checkedItemsData()]
        return [picked] + [lyr for lyr in more if lyr is not None and lyr is not picked]

    def merging(self, params) -> list:
        """The directions with frames to merge, in words ("ascending")."""
        return [words for widget, words, t in DIRECTIONS if len(self.frames(widget, params.get(t.layer))) > 1]

    def merge_steps(self, params, last) -> list:
        """losdecomp:merge_frames for each direction with more than one frame (``last``
        records the step a track's velocity now comes from); refused in words where the
        track's own band or sigma layer cannot follow the merge."""
        steps = []
        for widget, words, t in DIRECTIONS:
            frames = self.frames(widget, params.get(t.layer))
            if len(frames) < 2:
                continue
            if params.get(t.band, 1) != 1:
                raise ValueError(f"the {words} frames are merged from their first band: pick band 1 of the "
                                 f"{words} track, or uncheck its frames")  # fmt: skip
            if params.get(t.sigma) is not None:
                raise ValueError(f"the merged {words} frames carry their own standard deviation band: clear the "
                                 f"{words} standard deviation layer, or uncheck its frames")  # fmt: skip
            p = {n.INPUTS: frames, n.MODEL: self.frameModel.currentIndex(), n.FIXED_FRAME: 1,
                 n.OUTPUT: "TEMPORARY_OUTPUT", **{k: params[k] for k in GRID if params.get(k) is not None}}  # fmt: skip
            name = f"{words} frames"
            steps.append(Step(name, n.MERGE_FRAMES_ID, functools.partial(_merge_parameters, p), False,
                              label=f"{words} frames"))  # fmt: skip
            last[t.layer] = name
        return steps

    def track_name(self, widget: str, layer) -> str:
        """A track's name in result names: ``asc (merged 3 frames)`` when merged."""
        count = len(self.frames(widget, layer))
        return f"{layer.name()} (merged {count} frames)" if count > 1 else layer.name()

    # -- plate ---------------------------------------------------------------------------------

    def plate_parameters(self) -> dict:
        """PLATE or EULER_POLE of losdecomp:decompose ({} when neither); both is refused."""
        plate, pole = self.plate.currentData() or "", self.eulerPole.text().strip()
        if plate and pole:
            raise ValueError(f"a plate ({plate}) or an Euler pole ({pole}), not both: set the plate to 'none' or "
                             "clear the Euler pole")  # fmt: skip
        if plate:
            return {n.PLATE: plate}
        return {n.EULER_POLE: pole} if pole else {}

    def given(self) -> list:
        """The regional options given, in words (for the paths that cannot use them)."""
        given = {"frames to merge": self.ascFrames.checkedItemsData() or self.descFrames.checkedItemsData(),
                 "a plate or an Euler pole": self.plate.currentData() or self.eulerPole.text().strip()}  # fmt: skip
        return [what for what, value in given.items() if value]
