"""Names of result layers: what they hold, in which unit, from which tracks."""

from typing import Optional, Sequence

from ..io.model import QUALITY_BANDS, QUALITY_BANDS_3D

UNKNOWN_UNIT = "unit not stated"


def layer_name(what: str, unit: Optional[str], tracks: Sequence[str] = (), note: str = "") -> str:
    """``Vertical velocity (mm/year) · 014A + 094D``: two runs on different tracks load as
    layers that say which is which, and a legend of ±0.004 is never read as mm/year when it
    is m/year. ``unit`` None: a pure number (no unit shown); empty: the unit is not known.
    ``note`` (an assumption, a window) ends the name after a comma."""
    name = what if unit is None else f"{what} ({unit or UNKNOWN_UNIT})"
    tracks = [t for t in tracks if t]
    name = f"{name} · {' + '.join(tracks)}" if tracks else name
    return f"{name}, {note}" if note else name


def quality_names(unit: str, tracks: Sequence[str] = (), components: int = 0) -> list:
    """One name per band of the quality product, each with its own unit: four bands, seven
    under COMPONENTS 1 and 2 (the 3-D cond, the east-north and north-up correlations)."""
    bands = list(QUALITY_BANDS_3D if components else QUALITY_BANDS)
    if components == 2:  # band 4 correlates east with v_UN
        bands[3] = (bands[3][0], "Correlation of the east and v_UN estimates", bands[3][2])
    return [
        layer_name(f"Decomposition quality: {desc[0].lower()}{desc[1:]}", unit if u is None else (u or None), tracks)
        for _, desc, u in bands
    ]
