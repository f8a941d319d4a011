"""What every algorithm of the provider shares: no group, instances of their own class,
GDAL's exception mode enabled only while the algorithm runs, core errors as messages."""

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingParameterDefinition
from qgis.PyQt.QtCore import QCoreApplication

from ..core.io import gdal_mode
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


class LosDecompAlgorithm(QgsProcessingAlgorithm):
    """Subclasses give NAME, DISPLAY_NAME and HELP, and implement ``process`` (and
    optionally ``check``, which must stay cheap: it runs on the GUI thread)."""

    NAME = ""
    DISPLAY_NAME = ""
    HELP = ""

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802 (QGIS's name)
        return tr(self.DISPLAY_NAME)

    def shortHelpString(self):  # noqa: N802 (QGIS's name)
        return tr(self.HELP)

    def group(self):
        return ""

    def groupId(self):  # noqa: N802 (QGIS's name)
        return ""

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

    def run_with_log(self, log, warnings, outputs, run, context, feedback):
        """Report ``log`` and ``warnings``, then ``run(progress, is_cancelled)`` with the
        feedback's progress and cancel. None when cancelled: nothing was written, and the
        ``outputs`` (paths) are taken off the layers to load."""
        for line in log:
            feedback.pushInfo(line)
        for line in list(dict.fromkeys(self.notes)) + list(warnings):
            warn(feedback, line)
        try:
            return run(lambda f: feedback.setProgress(100.0 * f), feedback.isCanceled)
        except Cancelled:
            feedback.pushInfo("Cancelled: no output written.")
            pending = context.layersToLoadOnCompletion()
            context.setLayersToLoadOnCompletion({k: v for k, v in pending.items() if k not in outputs})
            return None

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
        try:
            with gdal_mode.raising():
                return self.process(parameters, context, feedback)
        except USER_ERRORS as exc:
            raise QgsProcessingException(str(exc)) from None


def warn(feedback, text: str) -> None:
    """A warning in the log (QGIS shows it as a warning, not as an error)."""
    feedback.pushWarning(text)
