"""Names of what a chain of runs loads: the tracks as the user's layers are named (an
intermediate velocity is a temporary ``OUTPUT.tif``, which the decomposition would name its
results after) and the window the velocities were fitted over, e.g.
``Vertical velocity (mm/year) · asc_stack + desc_stack · 2020-01-01 to 2022-12-31``."""

from qgis.core import QgsLayerTree

from ..core.io.products import track_label
from ..provider import names as n

#: The separator of a result name's parts (core.plan.naming.layer_name).
PART = " · "


class Names:
    """The tracks (layer names) and the window (empty: none) that a chain's results are named by."""

    def __init__(self, tracks: list, window: str = ""):
        self.tracks, self.window = list(tracks), window

    def suffix(self) -> str:
        """``asc_stack + desc_stack · 2020-01-01 to 2022-12-31``."""
        text = " + ".join(self.tracks)
        return f"{text}{PART}{self.window}" if self.window else text

    def residuals(self) -> str:
        """The name of the GNSS stations layer with the decomposition's residuals."""
        return f"GNSS stations: east and up residuals (decomposition - GNSS){PART}{self.suffix()}"

    def renamer(self, make):
        """A ``Step.rename`` for the decomposition (of velocities, or of stacks on common
        dates) whose parameters ``make`` gives from the results: the tracks its names were
        made of (the files' labels) -> ``suffix``."""

        def rename(results: dict) -> dict:
            params = make(results)
            paths = [params[t.layer] for t in n.TRACKS] + list(params.get(n.EXTRA_TRACKS) or [])
            old = " + ".join(track_label(_source(p)) for p in paths)
            return {f"{PART}{old}": f"{PART}{self.suffix()}"}

        return rename


def _source(track) -> str:
    """The file of a track given as a path or as a layer."""
    return track.source() if hasattr(track, "source") else str(track)


def _renamed(name: str, substitutions: dict) -> str:
    for old, new in substitutions.items():
        if old in name:
            return name.replace(old, new, 1)
    return name


def rename_loaded(project, results: dict, substitutions: dict) -> None:
    """Rename the layers ``project`` loaded from ``results`` (their sources), and the group
    they were put in, by ``substitutions`` (old part of a name -> new)."""
    paths = {str(v) for v in results.values() if isinstance(v, str) and v}
    groups = {}
    for layer in project.mapLayers().values():
        if layer.source() not in paths:
            continue
        layer.setName(_renamed(layer.name(), substitutions))
        node = project.layerTreeRoot().findLayer(layer.id())
        parent = node.parent() if node is not None else None
        if parent is not None and parent.parent() is not None and QgsLayerTree.isGroup(parent):  # not the root
            groups[id(parent)] = parent
    for group in groups.values():
        group.setName(_renamed(group.name(), substitutions))
