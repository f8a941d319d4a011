"""The dialog's run: one algorithm, or a chain of them (velocities over a window, referencing
to GNSS, the decomposition, the comparison with GNSS), each a background Processing task
started when the one before has ended. It reports back by signals only."""

from typing import Callable, NamedTuple, Optional

from qgis.core import QgsApplication, QgsProcessingAlgRunnerTask, QgsProcessingContext, QgsProject
from qgis.PyQt.QtCore import QObject, pyqtSignal, pyqtSlot

from . import result_names
from .feedback import Feedback, reported


class Step(NamedTuple):
    """One run of the chain: its name (the later steps find its results by it), the
    algorithm, its parameters from the results of the steps before, whether the layers it
    writes are loaded, the track it works on, and how its loaded layers are renamed."""

    name: str
    algorithm: str
    make: Callable[[dict], dict]
    load: bool
    label: str = ""  # the track a per-track step works on, as the summary names it
    rename: Optional[Callable[[dict], dict]] = None  # results -> {old part of a name: new}, for its layers


class RunChain(QObject):
    """Runs steps one after the other as background tasks. Signals: ``progressed`` (0-100
    over the whole chain), ``runningChanged`` (a task is running or not), ``failed`` (a
    message: a step was refused or failed), ``cancelled``, and ``finished`` (the main
    step's algorithm id, the results by step name) once every step has ended."""

    progressed = pyqtSignal(int)
    runningChanged = pyqtSignal(bool)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()
    finished = pyqtSignal(str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.steps: list = []
        self.results: dict = {}
        self.step = -1
        self.task = None
        self.alg = None
        self.feedback = None
        self.context = None
        self.logs: dict = {}  # step name -> what it logged
        self._logged = 0

    def show_error(self, text: str):
        """What a ``reported`` slot caught, passed on."""
        self.failed.emit(text)

    def start(self, steps: list):
        """Run ``steps`` (``Step``) in order; the first is started now."""
        self.steps, self.results, self.step, self.logs, self._logged = steps, {}, -1, {}, 0
        self.feedback = Feedback()
        # a bound slot, not a lambda: the task reports from its own thread and Qt must queue
        # the call to the dialog's thread
        self.feedback.progressChanged.connect(self._progress)
        self._start_next()

    def cancel(self):
        if self.feedback is not None:
            self.feedback.cancel()

    def _start_next(self):
        """Start the next step; False (with the error said) when its parameters are refused."""
        self.step += 1
        step = self.steps[self.step]
        params = step.make(self.results)
        alg = QgsApplication.processingRegistry().createAlgorithmById(step.algorithm)
        self.context = QgsProcessingContext()
        self.context.setProject(QgsProject.instance())
        ok, msg = alg.checkParameterValues(params, self.context)
        if not ok:
            self._set_running(False)
            self.failed.emit(msg if len(self.steps) == 1 else f"{alg.displayName()}: {msg}")
            return False
        self.alg = alg
        self.task = QgsProcessingAlgRunnerTask(alg, params, self.context, self.feedback)
        self.task.executed.connect(self._finished)
        self._set_running(True)
        QgsApplication.taskManager().addTask(self.task)
        return True

    @pyqtSlot(float)
    def _progress(self, percent):
        steps = max(len(self.steps), 1)
        self.progressed.emit(int((max(self.step, 0) + percent / 100.0) / steps * 100))

    def _set_running(self, running):
        if not running:
            self.task = None
        self.runningChanged.emit(running)

    @reported
    def _finished(self, ok, results):
        """A step's end, in the GUI thread: the next step, or the chain's end."""
        self._set_running(False)
        if self.feedback.isCanceled():
            self.cancelled.emit()
            return
        if not ok:
            self.failed.emit(self.feedback.errors[-1] if self.feedback.errors else "the algorithm failed")
            self.progressed.emit(0)
            return
        step = self.steps[self.step]
        self.results[step.name] = results
        self.logs[step.name] = self.feedback.infos[self._logged :]
        if step.load:
            from processing.gui.Postprocessing import handleAlgorithmResults

            handleAlgorithmResults(self.alg, self.context, self.feedback, False)
            if step.rename is not None:
                result_names.rename_loaded(QgsProject.instance(), results, step.rename(self.results))
        self._logged = len(self.feedback.infos)  # what loading said is no step's story
        if self.step + 1 < len(self.steps):
            self._start_next()
            return
        self.progressed.emit(100)
        main_id = next(s.algorithm for s in self.steps if s.name == "main")
        self.finished.emit(main_id, self.results)
