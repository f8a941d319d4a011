"""What every algorithm of the provider shares: its Processing group from the class (as QGIS's
own ``processing/algs/gdal`` declares them), instances of their own class, GDAL's exception mode
enabled only while the algorithm runs, core errors as messages, and the readings of parameters
that several algorithms share (compression, resampling, optional outputs)."""

from dataclasses import dataclass

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDefinition,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..core.io import gdal_mode
from ..core.io.reader import RESAMPLING_METHODS
from ..core.io.writer import COMPRESSIONS, check_writable
from ..core.runs.engine import Cancelled
from . import names as n

#: Errors core raises for bad input or failed I/O: shown as one message, no traceback.
USER_ERRORS = (ValueError, OSError, RuntimeError)


def tr(text: str) -> str:
    """``text`` in the user's language, when a translation exists (context ``LosDecomp``)."""
    return QCoreApplication.translate("LosDecomp", text)


def advanced(parameter: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    """The parameter, flagged advanced."""
    parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    return parameter


@dataclass(frozen=True)
class Group:
    """A Processing group as the toolbox shows it: ``id`` is the name of the folder under
    ``provider/`` that holds its algorithms, ``name`` what the toolbox shows."""

    id: str
    name: str


class LosDecompAlgorithm(QgsProcessingAlgorithm):
    """Subclasses give NAME, DISPLAY_NAME, HELP and GROUP (their folder's :class:`Group`), and
    implement ``process`` (and optionally ``check``, which must stay cheap: it runs on the GUI
    thread)."""

    NAME = ""
    DISPLAY_NAME = ""
    HELP = ""
    GROUP = Group("", "")

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802 (QGIS's name)
        return tr(self.DISPLAY_NAME)

    def shortHelpString(self):  # noqa: N802 (QGIS's name)
        return tr(self.HELP)

    def group(self):
        return tr(self.GROUP.name)

    def groupId(self):  # noqa: N802 (QGIS's name)
        return self.GROUP.id

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return type(self)()

    def validateInputCrs(self, parameters, context):  # noqa: N802 (QGIS's name)
        # Inputs in different CRSs are expected (they are resampled to a common grid), so
        # there is nothing to warn about; QGIS's own check would also load every input as
        # a layer, which computes statistics and leaves .aux.xml files beside the inputs.
        return True

    @property
    def notes(self) -> list:
        """What the adapter decided on the user's behalf (e.g. a layer's CRS), said as warnings."""
        if not hasattr(self, "_notes"):
            self._notes = []
        return self._notes

    def note(self, text: str) -> None:
        self.notes.append(text)

    def add_parameters(self, params, is_advanced: bool = False) -> None:
        """Add each of ``params``, flagged advanced when ``is_advanced``."""
        for p in params:
            self.addParameter(advanced(p) if is_advanced else p)

    def add_number_outputs(self, outputs) -> None:
        """A number output for each (name, description) of ``outputs``."""
        for name, text in outputs:
            self.addOutput(QgsProcessingOutputNumber(name, tr(text)))

    def optional_number(self, parameters, name, context):
        """The number given for ``name``, or None when it was left empty."""
        if parameters.get(name) in (None, ""):
            return None
        return self.parameterAsDouble(parameters, name, context)

    def los_sign(self, parameters, context) -> str:
        """The LOS sign convention chosen (``LOS_SIGN``)."""
        return n.LOS_SIGN_OPTIONS[self.parameterAsEnum(parameters, n.LOS_SIGN, context)][1]

    def look_side(self, parameters, name, context):
        """The look side chosen in ``name``; None = from the layer's metadata."""
        return n.LOOK_SIDE_OPTIONS[self.parameterAsEnum(parameters, name, context)][1]

    def compression(self, parameters, context) -> str:
        """The GDAL compression chosen (``COMPRESSION``)."""
        return COMPRESSIONS[self.parameterAsEnum(parameters, n.COMPRESSION, context)][0]

    def resampling(self, parameters, context) -> str:
        """The resampling method chosen (``RESAMPLING``)."""
        return RESAMPLING_METHODS[self.parameterAsEnum(parameters, n.RESAMPLING, context)][0]

    def asked_outputs(self, parameters, context, products: dict) -> dict:
        """{product: path} of the optional raster outputs given a destination; ``products``
        maps each output parameter to its product."""
        outputs = {}
        for key, product in products.items():
            if parameters.get(key) is not None:
                path = self.parameterAsOutputLayer(parameters, key, context)
                if path:
                    outputs[product] = path
        return outputs

    def run_with_log(self, log, warnings, outputs, run, context, feedback):
        """Report ``log`` and ``warnings``, then ``run(progress, is_cancelled)`` with the
        feedback's progress and cancel. None when cancelled: nothing was written, and the
        ``outputs`` (paths) are taken off the layers to load."""
        report(feedback, log, list(dict.fromkeys(self.notes)) + list(warnings))
        try:
            return run(lambda f: feedback.setProgress(100.0 * f), feedback.isCanceled)
        except Cancelled:
            feedback.pushInfo("Cancelled: no output written.")
            pending = context.layersToLoadOnCompletion()
            context.setLayersToLoadOnCompletion({k: v for k, v in pending.items() if k not in outputs})
            return None

    def write_file(self, out, write, context, feedback):
        """``write(progress, is_cancelled)`` of the one output ``out`` (the ``OUTPUT`` path),
        once the path is known to be writable; None when cancelled (see :meth:`run_with_log`)."""
        check_writable(out, n.OUTPUT)
        return self.run_with_log([], [], [out], write, context, feedback)

    def run_job(self, job, run, context, feedback):
        """:meth:`run_with_log` for a planned core job (``log``, ``warnings``, ``outputs``):
        ``run(job, progress, is_cancelled)``."""
        return self.run_with_log(
            job.log, job.warnings, job.outputs.values(), lambda p, c: run(job, p, c), context, feedback
        )

    def check(self, parameters, context):
        """Cheap cross-parameter checks; raise ValueError or QgsProcessingException."""

    def process(self, parameters, context, feedback):
        raise NotImplementedError

    def unknown_parameters(self, parameters: dict) -> list:
        """A warning per parameter name this algorithm does not define: qgis_process and
        scripts pass a misspelt or foreign name (another algorithm's option) silently, and
        the user would believe it applied."""
        known = {p.name() for p in self.parameterDefinitions()}
        return [
            f"{name}: not a parameter of {self.id() or 'losdecomp:' + self.NAME}; it was ignored"
            for name in sorted(set(parameters) - known)
        ]

    def checkParameterValues(self, parameters, context):  # noqa: N802 (QGIS's name)
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            with gdal_mode.raising():
                self.check(parameters, context)
        except (QgsProcessingException, *USER_ERRORS) as exc:
            return False, str(exc)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 (QGIS's name)
        for line in self.unknown_parameters(parameters):
            warn(feedback, line)
        try:
            with gdal_mode.raising():
                return self.process(parameters, context, feedback)
        except USER_ERRORS as exc:
            raise QgsProcessingException(str(exc)) from None


class PlannedAlgorithm(LosDecompAlgorithm):
    """An algorithm that hands one request to a core run: subclasses give ``CORE`` (a module
    with ``plan(request)`` -> job and ``run(job, progress, is_cancelled)``) and implement
    :meth:`request` and :meth:`results`. The checks plan the request (a subclass whose core has
    a cheaper check overrides :meth:`check`); when the run is cancelled, every output is None."""

    CORE = None

    def request(self, parameters, context):
        """The core request of the parameters."""
        raise NotImplementedError

    def results(self, job, result, parameters, context, feedback) -> dict:
        """The algorithm's results once the job ran (its outputs registered for loading)."""
        raise NotImplementedError

    def check(self, parameters, context):
        self.CORE.plan(self.request(parameters, context))

    def process(self, parameters, context, feedback):
        job = self.CORE.plan(self.request(parameters, context))
        result = self.run_job(job, self.CORE.run, context, feedback)
        if result is None:
            return {output.name(): None for output in self.outputDefinitions()}
        return self.results(job, result, parameters, context, feedback)


def warn(feedback, text: str) -> None:
    """A warning in the log (QGIS shows it as a warning, not as an error)."""
    feedback.pushWarning(text)


def report(feedback, log, warnings=()) -> None:
    """Each line of ``log`` as information, then each of ``warnings`` as a warning."""
    for line in log:
        feedback.pushInfo(line)
    for line in warnings:
        warn(feedback, line)
