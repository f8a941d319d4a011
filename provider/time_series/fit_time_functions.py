"""``losdecomp:fit_time_functions``: polynomial, periodic, step, exponential and logarithmic
time functions fitted to a dated stack (a thin adapter to ``core.runs.time_functions_run``)."""

from qgis.core import QgsProcessingParameterRasterDestination

from ...core.io.products import track_label
from ...core.plan.naming import layer_name
from ...core.runs import time_functions_run as tfr
from ...core.solve import time_functions as tf
from .. import names as n
from ..base import PlannedAlgorithm, advanced, report, tr
from ..layers import layer_path
from ..parameters import (
    compression_parameter,
    dated_window_parameters,
    enum_parameter,
    integer_parameter,
    optional_raster_output,
    text_parameter,
)
from ..styling import MAGNITUDE, SIGNED, register_outputs, register_product
from . import TIME_SERIES

OUTPUTS = {n.OUTPUT_RESIDUAL_RMS: tfr.RESIDUAL_RMS, n.OUTPUT_MODEL: tfr.MODEL, n.OUTPUT_RESIDUALS: tfr.RESIDUALS}


class FitTimeFunctionsAlgorithm(PlannedAlgorithm):
    """``losdecomp:fit_time_functions``."""

    NAME = "fit_time_functions"
    DISPLAY_NAME = "Fit time functions (trend, seasons, steps, relaxation)"
    GROUP = TIME_SERIES
    HELP = (
        "Fits, pixel by pixel, a dated stack (one band per acquisition: a track, or the east or up output of "
        "losdecomp:decompose_timeseries) between START_DATE and END_DATE (inclusive; empty = first / last) by "
        "least squares on the time functions of MintPy's timeseries2velocity.py: a polynomial t^k/k! of degree "
        "POLYNOMIAL (1-3: intercept, velocity, acceleration, poly3), cos and sin of 2 pi t / P for each of PERIODS "
        "(years, e.g. 1,0.5), a step H(t - T) at each of STEP_DATES, and for each EXP / LOG term "
        "(YYYY-MM-DD:tau, tau in days, several comma-separated) H(t - T) (1 - exp(-(t - T)/tau)) / "
        "H(t - T) ln(1 + (t - T)/tau). Decay times are given, not estimated (as MintPy does).\n\n"
        "Conventions: t in years = days since REFERENCE_DATE / 365.25 (t = 0 there; empty = the first acquisition "
        "of the window), as losdecomp:velocity. The fit is solved on t from the window's first acquisition (well "
        "conditioned whatever REFERENCE_DATE) and the polynomial re-expanded at REFERENCE_DATE, its covariance "
        "propagated: the same least-squares fit and sigmas as on t from REFERENCE_DATE. MintPy's clock is "
        "year + (day of year - 1) / 365.25 (the two drift "
        "apart by 0.75 day across a leap-year end, which moves the parameters by a fraction of their sigma: "
        "below 0.1 sigma for linear + annual + step, up to 0.5 sigma with acceleration and short exp/log terms). "
        "An acquisition on a step date counts as after the step (as losdecomp:velocity; MintPy counts it as "
        "before); exp and log are 0 on their onset date. Units are the input's (per year for rates: velocity "
        "unit/year, acceleration unit/year^2), stated in each band's unit and description.\n\n"
        "OUTPUT has one band per parameter, named as MintPy names its datasets, each followed by its sigma "
        "(...Std): intercept, velocity, acceleration, poly3 = the polynomial's coefficients of 1, t, t^2/2, t^3/6 "
        "(the intercept is the polynomial's constant, not the model's value at REFERENCE_DATE when periods are "
        "fitted; at a pixel where a step is dropped for want of data before it, the intercept is the level after "
        "that step), per period <name>Amplitude = sqrt(c^2 + s^2) and "
        "<name>PeakDay = the day of year of the first maximum on or after 1 January of the window's first year, "
        "1-based with the fraction of the day (74.0 = 00:00 on the 74th day, 74.5 noon; the day of year of the "
        "calendar date the maximum falls on; for a period over a year 1 + the days from 1 January; MintPy gives a "
        "phase in radians instead, hence the other name), annual / semiAnnual / period<P>Y, stepYYYYMMDD, "
        "expYYYYMMDDTau<tau>D, logYYYYMMDDTau<tau>D. "
        "Amplitude and peak sigmas are propagated to first order from the fit covariance of c and s. Where the "
        "amplitude is below 2 times its sigma the peak day and its sigma are nodata (the peak is then anywhere in "
        "the period and a first-order sigma meaningless); the amplitude itself is biased upwards at low signal to "
        "noise (with no seasonal signal at all it is about 1.25 sigma, not 0).\n\n"
        "UNCERTAINTY (every sigma is a fit sigma, the band says which): 0 formal sqrt(s^2 (A'A)^-1) with "
        "s^2 = RSS / (n - p) (MintPy's 'residue'), residuals assumed independent; 1 bootstrap: the residuals, "
        "scaled by sqrt(n / (n - p)), resampled with replacement BOOTSTRAP_COUNT times and the fit repeated, with "
        "a fixed seed (the same input gives the same sigmas; MintPy's bootstrap resamples acquisitions, unseeded); "
        "2 formal inflated for temporally correlated residuals: the variance times (1 + rho) / (1 - rho), rho the "
        "lag-1 autocorrelation of the pixel's residuals over consecutive valid acquisitions (bias-corrected, "
        "clipped to 0-0.95), i.e. an AR(1) effective sample size n (1 - rho) / (1 + rho); it overstates the "
        "sigma of the periodic terms. Methods 0 and 1 are too small when the noise is correlated in time.\n\n"
        "A term a pixel's data do not constrain is dropped there: a step with fewer than 2 valid acquisitions "
        "on either side (up to the next step; a lone acquisition on that side is not used), an exp/log term with "
        "fewer than 3 after its onset. Its band is nodata at that pixel, the other parameters are fitted without "
        "it, and the log counts such pixels per term. A pixel needs the parameters left + 2 valid acquisitions. "
        "A step or onset outside the window's acquisitions is refused, naming the date; so is a period longer than "
        "the acquisitions cover (first to last plus the median interval) or shorter than twice the median "
        "interval (aliased).\n\n"
        "OUTPUT_RESIDUAL_RMS is sqrt(RSS / n) (MintPy's residue is sqrt(RSS)); OUTPUT_MODEL the fitted series on "
        "the window's dates, OUTPUT_RESIDUALS data minus model where the data were used."
    )

    CORE = tfr

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            *dated_window_parameters(),
            integer_parameter(n.POLYNOMIAL, "Polynomial degree (1 linear, 2 + acceleration, 3)",
                              defaultValue=n.DEFAULT_POLYNOMIAL, minValue=1, maxValue=tf.MAX_DEGREE),
            text_parameter(n.PERIODS, "Periods in years (comma-separated, e.g. 1,0.5)", optional=True),
            text_parameter(n.STEP_DATES, "Step dates (comma-separated YYYY-MM-DD)", optional=True),
            text_parameter(n.EXP, "Exponential terms (YYYY-MM-DD:tau days, comma-separated)", optional=True),
            text_parameter(n.LOG, "Logarithmic terms (YYYY-MM-DD:tau days, comma-separated)", optional=True),
            text_parameter(n.REFERENCE_DATE, "Reference date, t = 0 (YYYY-MM-DD; empty = first)", optional=True),
            enum_parameter(n.UNCERTAINTY, "Uncertainty", n.UNCERTAINTY_OPTIONS, n.DEFAULT_UNCERTAINTY),
            integer_parameter(n.BOOTSTRAP_COUNT, "Bootstrap draws (UNCERTAINTY 1)",
                              defaultValue=n.DEFAULT_BOOTSTRAP_COUNT, minValue=10, maxValue=100000),
            compression_parameter(),
            QgsProcessingParameterRasterDestination(n.OUTPUT, tr("Time-function parameters")),
            optional_raster_output(n.OUTPUT_RESIDUAL_RMS, "Residual RMS"),
            optional_raster_output(n.OUTPUT_MODEL, "Fitted model on the input dates"),
            optional_raster_output(n.OUTPUT_RESIDUALS, "Residuals (data - model)"),
        ])  # fmt: skip
        advanced(self.parameterDefinition(n.BOOTSTRAP_COUNT))

    def request(self, parameters, context):
        def text(name):
            return self.parameterAsString(parameters, name, context)

        path = layer_path(self, parameters, n.INPUT, context, "time series")
        outputs = {tfr.PARAMETERS: self.parameterAsOutputLayer(parameters, n.OUTPUT, context)}
        outputs.update(self.asked_outputs(parameters, context, OUTPUTS))
        model = tf.Model(
            polynomial=self.parameterAsInt(parameters, n.POLYNOMIAL, context),
            periods=tf.parse_periods(text(n.PERIODS), n.PERIODS),
            steps=tuple(tf.parse_dates(text(n.STEP_DATES), n.STEP_DATES)),
            exps=tf.parse_onsets(text(n.EXP), n.EXP),
            logs=tf.parse_onsets(text(n.LOG), n.LOG),
        )
        return tfr.FitRequest(
            path=path, start=tf.parse_date(text(n.START_DATE), n.START_DATE),
            end=tf.parse_date(text(n.END_DATE), n.END_DATE), model=model, outputs=outputs,
            reference=tf.parse_date(text(n.REFERENCE_DATE), n.REFERENCE_DATE),
            uncertainty=self.parameterAsEnum(parameters, n.UNCERTAINTY, context),
            bootstrap_count=self.parameterAsInt(parameters, n.BOOTSTRAP_COUNT, context),
            compression=self.compression(parameters, context),
        )  # fmt: skip

    def results(self, job, result, parameters, context, feedback):
        report(feedback, [f"time functions: {result['resolved']} pixels fitted"] + list(result["log"]))
        first, last = job.bands[0][1], job.bands[-1][1]
        tracks = [track_label(job.path)]
        what = f"Time functions {first} to {last} (band 3: velocity)"
        path = result[tfr.PARAMETERS]
        register_outputs(context, {path: (layer_name(what, job.unit, tracks), SIGNED, None)}, band=3)
        labels = {tfr.RESIDUAL_RMS: ("Residual RMS of the time functions", MAGNITUDE),
                  tfr.MODEL: ("Time-function model", SIGNED), tfr.RESIDUALS: ("Time-function residuals", SIGNED)}
        for key, (label, product) in labels.items():
            if result.get(key):
                register_product(context, result[key], label, tracks, product)
        return {n.OUTPUT: path, **{name: result.get(key) for name, key in OUTPUTS.items()}}
