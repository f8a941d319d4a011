"""``losdecomp:decompose_timeseries``: east and up displacement time series on common dates
(a thin adapter to ``core.timeseries_decomp_run``; the track, grid and sigma parameters are
those of ``losdecomp:decompose``, with the same names and defaults)."""

import dataclasses

from qgis.core import QgsProcessingParameterString

from ...core.io.model import SIGMA_UP, UP
from ...core.io.products import track_label
from ...core.plan.naming import layer_name
from ...core.runs import timeseries_decomp_run as run_ts
from ...core.solve.velocity import parse_date
from .. import names as n
from ..base import PlannedAlgorithm, tr, warn
from ..parameters import RasterFileParameter, enum_parameter, integer_parameter, number_parameter
from ..styling import register_outputs
from ..velocity_maps.decompose import LOAD_ORDER, DecomposeAlgorithm
from . import TIME_SERIES


class DecomposeTimeSeriesAlgorithm(PlannedAlgorithm, DecomposeAlgorithm):
    """``losdecomp:decompose_timeseries``: decompose's parameters (less the bands) and the
    time's, run as a planned core job."""

    NAME = "decompose_timeseries"
    DISPLAY_NAME = "Decompose LOS time series into east and vertical time series"
    GROUP = TIME_SERIES
    HELP = (
        "East and vertical displacement time series from two or more LOS time series (one band per "
        "acquisition, dated by INSAR_DATE or a YYYYMMDD description; imports of MintPy and LiCSBAS write "
        "them) whose tracks are acquired on different days.\n\n"
        "DATES: the output dates inside the span every track covers: every acquisition of any track, a "
        "regular INTERVAL_DAYS from the first common date, or the ascending track's dates. REFERENCE_DATE "
        "(empty = the first output date): every track is set to zero there, so the outputs are "
        "displacements since that date.\n\n"
        "METHOD 0 (default) interpolates each track linearly in time to each output date, only between two "
        "of its valid acquisitions at most MAX_GAP_DAYS apart (per pixel; else nodata at that date), then "
        "inverts each date like a velocity. It assumes no sudden motion between a track's acquisitions.\n"
        "METHOD 1 (the MSBAS family) solves, per pixel, the east and up velocities in every interval "
        "between output dates from all increments between consecutive acquisitions of all tracks at once "
        "(with their full covariance: consecutive increments share an acquisition), with first-order "
        "temporal smoothing of weight REGULARIZATION (1 = as strong as one increment spanning the median "
        "interval). It assumes constant velocity within an interval and, through the smoothing, slow "
        "changes; nothing is interpolated. Its sigma outputs propagate the acquisitions' errors through the "
        "smoothed estimate; the smoothing's own bias is not in them. With single-valued geometry, pixels "
        "sharing their acquisitions share one factored system; with per-pixel geometry every pixel is solved "
        "on its own, at a cost that grows with the cube of the number of output dates: for large rasters, "
        "prefer DATES 1 with a longer INTERVAL_DAYS.\n\n"
        "North: assumed zero, unless a known north velocity is given (NORTH_VELOCITY raster or "
        "NORTH_VELOCITY_CONSTANT, in the tracks' unit per year): its displacement since the reference date is "
        "removed from every track, and NORTH_SIGMA enters the sigma outputs through the outputs' response to "
        "the north (one error shared by every track and date). HORIZONTAL_AZIMUTH solves the horizontal along "
        "that azimuth instead of east. REFERENCE_POINT (with REFERENCE_RADIUS) or REFERENCE_AREA: every "
        "track is referenced date by date, each date's median there subtracted from that date, so per-date "
        "offsets between tracks vanish.\n\n"
        "Every path, both methods included, leaves a pixel nodata where the valid tracks' look directions do "
        "not resolve east and up (one must look east and one west, cond(G) at most MAX_CONDITION). Angles, "
        "signs, grid and standard deviations work as in "
        "'Decompose LOS velocities'; a standard deviation here is that of one acquisition's displacement. "
        "Outputs: one band per output date (INSAR_DATE and a YYYYMMDD description), in the inputs' unit; "
        "the assumption is in the log, the metadata (INSAR_ASSUMPTION) and the layer names.\n\n"
        "North and 3-D (METHOD 0 only; METHOD 1 refuses them): track kinds, EXTRA_SIGMAS and ALONG_TRACK_SIGMA "
        "as in 'Decompose LOS velocities' (an along-track stack holds displacement along the flight direction, "
        "positive along it). COMPONENTS 1: east, north and up displacement on each date, where at least three "
        "tracks are valid on that date and cond(G) of their unit vectors is at most MAX_CONDITION (else all "
        "three nodata); OUTPUT_NORTH and OUTPUT_SIGMA_NORTH (propagated) are dated stacks. COMPONENTS 2: "
        "OUTPUT_UP holds v_UN, the displacement along the direction d in the up-north plane the tracks resolve, "
        "exact whatever the north; with a known north velocity, its displacement since the reference date splits "
        "up from v_UN (vU = (v_UN - dN vN t) / dU; not removed from the tracks) and v_UN goes to OUTPUT_UN. The "
        "tilt of d is in the log and the metadata LOSDECOMP_UN_TILT_DEG (OUTPUT_UN_TILT is decompose's)."
    )

    CORE = run_ts
    #: A band: the stack is read whole.
    LEFT_OUT = frozenset(t.band for t in n.TRACKS)
    OUTPUTS = n.TS_OUTPUTS

    def _track_parameters(self):
        """decompose's, the two inputs said to be displacement stacks; neither is filled in
        by default (the Processing dialog would pick the same first layer for both): an
        empty one is refused by name when the algorithm checks its parameters."""
        params = super()._track_parameters()
        for t in n.TRACKS:
            i = next(k for k, p in enumerate(params) if p.name() == t.layer)
            params[i] = RasterFileParameter(t.layer, tr(f"{t.label.capitalize()} LOS time series (displacement "
                                                        "stack, one band per date)"), optional=True)  # fmt: skip
        return params

    def _more_parameters(self):
        return [
            enum_parameter(n.DATES, "Output dates", n.DATES_OPTIONS, n.DEFAULT_DATES),
            integer_parameter(n.INTERVAL_DAYS, "Interval of the regular dates (days)",
                              defaultValue=n.DEFAULT_INTERVAL_DAYS),
            number_parameter(n.MAX_GAP_DAYS, "Largest gap interpolated across (days)",
                             defaultValue=n.DEFAULT_MAX_GAP_DAYS),
            QgsProcessingParameterString(n.REFERENCE_DATE, tr("Reference date (YYYY-MM-DD; empty = the first "
                                         "output date)"), optional=True),
            enum_parameter(n.METHOD, "Method", n.METHOD_OPTIONS, n.DEFAULT_METHOD),
            number_parameter(n.REGULARIZATION, "Temporal smoothing weight (method 1)",
                             defaultValue=n.DEFAULT_REGULARIZATION, minValue=0.0),
        ]  # fmt: skip

    def request(self, parameters, context):
        base = self._request(parameters, context)
        base.tracks = [dataclasses.replace(t, band=1, time_series=True) for t in base.tracks]
        return run_ts.TimeSeriesRequest(
            base=base,
            dates_mode=self.parameterAsEnum(parameters, n.DATES, context),
            interval_days=self.parameterAsInt(parameters, n.INTERVAL_DAYS, context),
            max_gap_days=self.parameterAsDouble(parameters, n.MAX_GAP_DAYS, context),
            reference=parse_date(self.parameterAsString(parameters, n.REFERENCE_DATE, context), n.REFERENCE_DATE),
            method=self.parameterAsEnum(parameters, n.METHOD, context),
            regularization=self.parameterAsDouble(parameters, n.REGULARIZATION, context),
        )

    def results(self, job, result, parameters, context, feedback):
        feedback.pushInfo(f"resolved {result['resolved']} pixel-dates over {len(job.dates)} dates")
        for line in result.get("warnings", []):
            warn(feedback, line)
        results, layers = {}, {}
        short = "interpolated in time" if job.req.method == 0 else "joint inversion in time"
        first, last = job.dates[0], job.dates[-1]
        zero = "" if job.reference == first else f", zero at {job.reference}"
        note = f"{first} to {last}{zero}, {short}, {len(job.dates)} dates"
        tracks = [track_label(t.spec.velocity.path) for t in job.tracks]
        for key in (k for k in LOAD_ORDER if k in self.OUTPUTS):
            product, label = self.OUTPUTS[key]
            if job.req.base.components == 2 and job.north is None and product in (UP, SIGMA_UP):
                label = label.replace("Vertical displacement", "Up-north displacement v_UN")
            results[key] = result.get(product)
            if product in result:
                layers[result[product]] = (layer_name(label, job.unit, tracks, note), product, None)
        group = layer_name("East and vertical displacement", None, tracks, note)
        register_outputs(context, layers, band=len(job.dates), group=group)
        return results
