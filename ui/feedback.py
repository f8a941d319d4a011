"""What the dialog's parts report: a Processing feedback that keeps what an algorithm said, and
a decorator that turns a slot's exception into a message instead of a crash."""

import functools
import inspect

from qgis.core import QgsProcessingFeedback


def reported(slot):
    """A slot whose exceptions are shown in the dialog: an exception escaping a Qt slot
    would abort QGIS. The slot's object says the error with its ``show_error`` (the dialog
    shows it, a panel or the run chain passes it on by a signal)."""

    takes = len(inspect.signature(slot).parameters) - 1  # signals may pass more than a slot takes

    @functools.wraps(slot)
    def wrapper(self, *args):
        try:
            return slot(self, *args[:takes])
        except Exception as exc:  # noqa: BLE001 (any failure is reported, none may escape)
            self.show_error(f"{slot.__name__.strip('_').replace('_', ' ')}: {exc}")
            return None

    return wrapper


class Feedback(QgsProcessingFeedback):
    """Keeps the log, warnings and errors the algorithm reports, to show them in the dialog."""

    def __init__(self):
        super().__init__()
        self.errors, self.infos, self.warnings = [], [], []

    def reportError(self, error, fatalError=False):  # noqa: N802, N803 (QGIS's names)
        self.errors.append(error)
        super().reportError(error, fatalError)

    def pushInfo(self, info):  # noqa: N802 (QGIS's name)
        self.infos.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802 (QGIS's name)
        self.warnings.append(warning)
        super().pushWarning(warning)
