"""COMPONENTS 1 and 2 of ``losdecomp:decompose_timeseries`` (DESIGN.md section 3c), METHOD 0:
each track interpolated to the output dates and referenced as for east + up, then every
date solved by ``solve.components`` (the same solver and the same guard as
``losdecomp:decompose``: a pixel-date is solved in 3-D only where at least three tracks are
valid on that date and cond(G) of their unit vectors is at most MAX_CONDITION; elsewhere
all three components are nodata).

- COMPONENTS 1: east, north and up displacement stacks (OUTPUT_NORTH and its propagated
  sigma as dated stacks too).
- COMPONENTS 2: OUTPUT_UP holds v_UN, the displacement along the direction ``d`` the tracks
  resolve, exact whatever the north; with a known north velocity its displacement since the
  reference date (vN times the years since then, its sigma likewise) splits up from v_UN
  (Ou et al. 2022) and v_UN goes to OUTPUT_UN. The known north is not removed from the
  tracks. The tilt of ``d`` (median, range) and the east leak go in the metadata.

METHOD 1 (the joint inversion) solves east + up only: COMPONENTS 1/2 with it are refused in
words before any work.
"""

from typing import Optional

import numpy as np

from ..conventions import dates as dates_
from ..conventions import uncertainty
from ..conventions.schema import TAG_ASSUMPTION, TAG_DATE
from ..io.model import (
    HORIZONTAL,
    NORTH,
    SIGMA_HORIZONTAL,
    SIGMA_KIND,
    SIGMA_NORTH,
    SIGMA_UP,
    UN_TILT,
    UP,
    UP_NORTH,
)
from ..io.writer import BandSpec
from ..solve import components as comp
from ..solve import timeseries_decomp as tsd
from ..solve.inversion import TrackBlock
from ..solve.velocity import TimeSeriesError
from .components_run import TiltSample
from .components_run import annotate as annotate_outputs

#: The dated products COMPONENTS 1 and 2 add to decompose_timeseries' four.
PRODUCTS = (NORTH, SIGMA_NORTH, UP_NORTH)
#: The reference date has zero interpolation variance by construction: floored, so weights stay finite.
_VARIANCE_FLOOR = 1e-12


def plan(job: object) -> None:
    """Check COMPONENTS against the method and the outputs, add the component outputs and
    state the assumption (log and tags). Nothing for COMPONENTS 0."""
    c = job.req.base.components
    if not c:
        return
    if job.req.method != tsd.INTERPOLATE:
        raise TimeSeriesError(f"COMPONENTS {c} ({comp.COMPONENT_NAMES[c]}) is solved date by date: METHOD 0 "
                              "(interpolation, then a per-date inversion) only; METHOD 1, the joint inversion, "
                              "solves east + up (COMPONENTS 0)")  # fmt: skip
    if job.req.base.outputs.get(UN_TILT):
        raise TimeSeriesError("OUTPUT_UN_TILT is not written by decompose_timeseries (with two tracks the tilt "
                              "of d is the geometry's alone; with three or more it moves with the tracks valid on "
                              "each date and their sigmas): its median and range over pixels and dates are in "
                              "the log and the metadata LOSDECOMP_UN_TILT_DEG; losdecomp:decompose writes it "
                              "per pixel")  # fmt: skip
    job.outputs.update({k: v for k, v in job.req.base.outputs.items() if k in PRODUCTS and v})
    words = assumption_words(c, job.north is not None)
    job.tags[TAG_ASSUMPTION] = job.tags[TAG_ASSUMPTION].split("; ")[0] + "; " + words
    job.log = [f"assumption: {job.tags[TAG_ASSUMPTION]}" if line.startswith("assumption: ") else line
               for line in job.log]  # fmt: skip


def assumption_words(components: int, known_north: bool) -> str:
    """What COMPONENTS 1 or 2 assume about north, for the log and INSAR_ASSUMPTION."""
    if components == comp.EAST_NORTH_UP:
        return ("north solved (east + north + up) on each date where the valid tracks' look vectors span 3-D "
                "(cond(G) at most MAX_CONDITION), all three nodata elsewhere")  # fmt: skip
    words = ("up-north v_UN along the direction d the tracks resolve, exact whatever the north; east absorbs a leak "
             "of north")
    if known_north:
        words += ("; up split from v_UN with the known north velocity's displacement since the reference date (not "
                  "removed from the tracks; v_UN in OUTPUT_UN)")  # fmt: skip
    return words


def band_specs(job: object) -> dict:
    """The dated bands COMPONENTS 1 and 2 add or change ({} for COMPONENTS 0)."""
    c = job.req.base.components
    if not c:
        return {}

    def dated(what, extra=None):
        return [BandSpec(dates_.compact(d), job.unit, {TAG_DATE: dates_.compact(d), "QUANTITY": what, **(extra or {})})
                for d in job.dates]  # fmt: skip

    un = "up-north displacement v_UN along the direction d the tracks resolve (= the true displacement on d)"
    sigma_north = uncertainty.label(uncertainty.PROPAGATED, "the north displacement")
    specs = {NORTH: dated("north displacement"), UP_NORTH: dated(un), SIGMA_NORTH: dated(sigma_north, SIGMA_KIND)}
    if c == comp.EAST_UP_NORTH:
        if job.north is None:
            specs[UP] = dated(un)
            specs[SIGMA_UP] = dated(uncertainty.label(uncertainty.PROPAGATED, "the up-north displacement v_UN"),
                                    SIGMA_KIND)  # fmt: skip
        else:
            specs[UP] = dated("up displacement split from v_UN with the known north (Ou et al. 2022)")
    return specs


class Solver:
    """``solve(job, blocks)`` of COMPONENTS 1 and 2 for the run's windows, keeping a sample
    of the tilt of d and the east leak for the metadata."""

    def __init__(self, job):
        self.tilts = TiltSample()

    def __call__(self, job: object, blocks: list) -> dict:
        origin = job.dates[0]
        targets = tsd.days_since(job.dates, origin)
        reference = float((job.reference - origin).days)
        tracks, north = [], None
        for reader, (values, s, sigma, north_v) in blocks:
            epochs = tsd.days_since(reader.epochs, origin)
            disp, var = tsd.since_reference(epochs, values, targets, reference, job.req.max_gap_days)
            scaled = None if sigma is None else sigma * np.sqrt(np.maximum(var, _VARIANCE_FLOOR))
            tracks.append(TrackBlock(disp, s[0], s[1], s[2], scaled))
            north = north_v
        nv, ns = _known_north(job, north, (targets - reference) / tsd.DAYS_PER_YEAR)
        sol = comp.solve(tracks, job.req.base.components, job.req.base.max_condition, nv, ns)
        self.tilts.add(sol)
        return {HORIZONTAL: sol.horizontal, UP: sol.up, SIGMA_HORIZONTAL: sol.sigma_horizontal, SIGMA_UP: sol.sigma_up,
                NORTH: sol.north, SIGMA_NORTH: sol.sigma_north, UP_NORTH: sol.up_north}  # fmt: skip


def _known_north(job, north, years):
    """The known north's displacement since the reference date on each output date (dates x
    pixels) and its sigma, for COMPONENTS 2; (None, None) without one."""
    if job.north is None or job.req.base.components != comp.EAST_UP_NORTH:
        return None, None
    years = years[:, None]
    sigma = job.north.sigma if job.north.sigma else None
    return years * np.asarray(north, dtype=np.float64), None if sigma is None else np.abs(years) * sigma


def solver(job: object) -> Optional[Solver]:
    """The run's solve for COMPONENTS 1 and 2, None for COMPONENTS 0."""
    return Solver(job) if job.req.base.components else None


def annotate(solve: object, writers: dict) -> None:
    """The tilt of d and the east leak (medians) in every output's metadata (COMPONENTS 2)."""
    if isinstance(solve, Solver):
        annotate_outputs(writers, solve.tilts.metadata())
