"""The time-function model of the dialog's time-series path (``losdecomp:fit_time_functions``):
a polynomial, periods, exponential and logarithmic terms and the uncertainty method, as rows
of the time-series panel (its window and step dates are the model's too). The model is fitted
to the decomposed east and up stacks, not to each track: decompose takes one velocity per
track, so a step, a seasonal amplitude or a relaxation fitted in the line of sight could not be
turned into east and up here; fitting east and up gives them in the components directly."""

from qgis.PyQt.QtCore import QObject
from qgis.PyQt.QtWidgets import QLineEdit, QSpinBox

from ..provider import names as n

#: Where the model is fitted and why, shown as the result's and the rows' tooltip.
WHY = (
    "The stacks are decomposed on common dates (losdecomp:decompose_timeseries, the rows below), then "
    "losdecomp:fit_time_functions fits the model to the east and to the up stack over the window: steps, "
    "seasonal amplitudes and peak days, exponential and logarithmic relaxation in east and up, in the stacks' "
    "unit, each with its fit standard deviation. It is not fitted to each track: losdecomp:decompose takes one "
    "velocity per track, so parameters fitted in the line of sight could not be turned into east and up here."
)
COMPONENTS = (("east", n.OUTPUT_EAST), ("up", n.OUTPUT_UP))


class TimeFunctionRows(QObject):
    """The model's controls, added as rows ``first``.. of ``panel`` (a TimeSeriesPanel: its
    ``_row`` and ``_combo``); ``parameters`` gives fit_time_functions' model options."""

    def __init__(self, panel, first: int):
        super().__init__(panel)
        self.polynomial = QSpinBox(panel)
        self.polynomial.setRange(1, 3)
        self.polynomial.setValue(n.DEFAULT_POLYNOMIAL)
        self.polynomial.setToolTip(self.tr("1: intercept and velocity; 2: + acceleration; 3: + a cubic term"))
        self.periods = QLineEdit(panel)
        self.periods.setPlaceholderText(self.tr("years, e.g. 1,0.5 (empty = none)"))
        self.periods.setToolTip(self.tr("An amplitude and a peak day for each period (1 = annual, 0.5 = semi-annual)"))
        panel._row(first, ("Polynomial", self.polynomial), ("periods", self.periods))
        self.exp, self.log = QLineEdit(panel), QLineEdit(panel)
        for edit, kind in ((self.exp, "exponential"), (self.log, "logarithmic")):
            edit.setPlaceholderText(self.tr("YYYY-MM-DD:days, …"))
            edit.setToolTip(self.tr("An {} relaxation from each onset date, decay time in days (given, not "
                                    "estimated)").format(kind))  # fmt: skip
        panel._row(first + 1, ("Exp", self.exp), ("log", self.log))
        self.uncertainty = panel._combo(n.UNCERTAINTY_OPTIONS)
        self.bootstrap_count = QSpinBox(panel)
        self.bootstrap_count.setRange(10, 100000)
        self.bootstrap_count.setValue(n.DEFAULT_BOOTSTRAP_COUNT)
        self.bootstrap_count.setToolTip(self.tr("Bootstrap draws (the bootstrap method only)"))
        panel._row(first + 2, ("Sigma", self.uncertainty), ("draws", self.bootstrap_count))
        for name in ("polynomial", "periods", "exp", "log", "uncertainty", "bootstrap_count"):
            widget = getattr(self, name)
            widget.setObjectName(name)
            if not widget.toolTip():
                widget.setToolTip(self.tr(WHY))
        self.uncertainty.currentIndexChanged.connect(self._enable)
        self._enable()

    def _enable(self):
        self.bootstrap_count.setEnabled(self.uncertainty.currentIndex() == 1)

    def parameters(self) -> dict:
        """fit_time_functions' model and uncertainty options (window, steps and reference
        date come from the time-series panel)."""
        return {n.POLYNOMIAL: self.polynomial.value(), n.PERIODS: self.periods.text().strip(),
                n.EXP: self.exp.text().strip(), n.LOG: self.log.text().strip(),
                n.UNCERTAINTY: self.uncertainty.currentIndex(),
                n.BOOTSTRAP_COUNT: self.bootstrap_count.value()}  # fmt: skip

    def model_text(self, steps: str) -> str:
        """The model as result names say it: ``degree 1 + periods 1,0.5 + steps 2020-06-01``."""
        parts = [f"degree {self.polynomial.value()}"]
        for what, text in (("periods", self.periods.text()), ("steps", steps), ("exp", self.exp.text()),
                           ("log", self.log.text())):  # fmt: skip
            if text.strip():
                parts.append(f"{what} {text.strip()}")
        return " + ".join(parts)
