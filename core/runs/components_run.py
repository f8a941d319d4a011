"""The engine's part of COMPONENTS 1 and 2 (``solve.components``): the solve of a window,
the arrays of each product, and the median tilt of the up-north direction (the metadata
``LOSDECOMP_UN_TILT_DEG``) with the east estimate's leak from north."""

from typing import Optional

import numpy as np

from ..io.model import (
    HORIZONTAL,
    NORTH,
    QUALITY,
    SIGMA_HORIZONTAL,
    SIGMA_NORTH,
    SIGMA_UP,
    UN_TILT,
    UP,
    UP_NORTH,
)
from ..solve import components as comp
from ..solve.resolvable import nothing_resolved

#: At most this many resolved pixels of a window are kept for the median tilt.
TILT_SAMPLE = 4096


def solve(job: object, blocks: list, north_v: object, north_s: object) -> comp.ComponentsSolution:
    """The window's solution for ``job.components``; a known north only splits up
    (COMPONENTS 2), it is not removed from the tracks."""
    known = job.components == comp.EAST_UP_NORTH and job.north is not None
    return comp.solve(blocks, job.components, job.max_condition, north_v if known else None,
                      north_s if known else None)  # fmt: skip


def arrays(sol: object) -> dict:
    """{product: [band arrays]} of a components solution ({} for an east + up one)."""
    if not isinstance(sol, comp.ComponentsSolution):
        return {}
    quality = [sol.condition, sol.n_tracks, sol.residual_rms, sol.correlation, sol.condition_3d, sol.correlation_en,
               sol.correlation_nu]  # fmt: skip
    return {HORIZONTAL: [sol.horizontal], UP: [sol.up], SIGMA_HORIZONTAL: [sol.sigma_horizontal],
            SIGMA_UP: [sol.sigma_up], QUALITY: quality, NORTH: [sol.north], SIGMA_NORTH: [sol.sigma_north],
            UP_NORTH: [sol.up_north], UN_TILT: [sol.tilt]}  # fmt: skip


class TiltSample:
    """A sample of the resolved pixels' tilt of d and east leak, window by window."""

    def __init__(self):
        self.tilt, self.leak = [], []

    def add(self, sol: object) -> None:
        if not isinstance(sol, comp.ComponentsSolution) or sol.tilt is None:
            return
        ok = np.isfinite(sol.tilt)
        tilt, leak = np.asarray(sol.tilt)[ok], np.asarray(sol.east_per_north)[ok]
        step = max(1, tilt.size // TILT_SAMPLE)
        self.tilt.append(tilt[::step])
        self.leak.append(leak[::step])

    def metadata(self) -> dict:
        """The medians as metadata items ({} when nothing was sampled)."""
        if not self.tilt or not sum(t.size for t in self.tilt):
            return {}
        tilt, leak = np.concatenate(self.tilt), np.concatenate(self.leak)
        return {"LOSDECOMP_UN_TILT_DEG": f"{float(np.median(tilt)):.4f}",
                "LOSDECOMP_UN_TILT_RANGE_DEG": f"{float(tilt.min()):.4f}/{float(tilt.max()):.4f}",
                "LOSDECOMP_UN_EAST_LEAK": f"{float(np.median(leak)):.5f}"}  # fmt: skip


def nothing_resolved_words(components: int) -> str:
    """Why a run ends with no pixel, for ``components`` (the guard's words)."""
    return nothing_resolved(components=components)


def annotate(outputs: dict, items: Optional[dict]) -> None:
    """Add ``items`` to every output's metadata before it is committed."""
    for writer in outputs.values():
        if items:
            writer.annotate(items)
