"""The dialog's choices remembered between sessions (QgsSettings), read from and written to
the form's widgets by name."""

from qgis.core import QgsSettings
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QWidget

from ..provider import names as n

SETTINGS = "insar_decomposition/dialog/"
#: (key, widget name, default)
REMEMBERED = (
    ("los_sign", "losSign", n.DEFAULT_LOS_SIGN),
    ("resampling", "resampling", n.DEFAULT_RESAMPLING_INDEX),
    ("asc_look_side", "ascLookSide", n.DEFAULT_LOOK_SIDE),
    ("desc_look_side", "descLookSide", n.DEFAULT_LOOK_SIDE),
    ("max_condition", "maxCondition", n.DEFAULT_MAX_CONDITION),
    ("sigma_outputs", "sigmaOutputs", False),
    ("quality_output", "qualityOutput", False),
)


def save(form: QWidget):
    """Remember the form's choices."""
    s = QgsSettings()
    for key, name, _ in REMEMBERED:
        widget = getattr(form, name)
        if isinstance(widget, QComboBox):
            value = widget.currentIndex()
        elif isinstance(widget, QCheckBox):
            value = widget.isChecked()
        else:
            value = widget.value()
        s.setValue(SETTINGS + key, value)


def restore(form: QWidget):
    """Set the form's widgets to the choices remembered (the defaults the first time)."""
    s = QgsSettings()
    for key, name, default in REMEMBERED:
        widget = getattr(form, name)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(int(s.value(SETTINGS + key, default)))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(s.value(SETTINGS + key, default, type=bool))
        else:
            widget.setValue(float(s.value(SETTINGS + key, default)))
