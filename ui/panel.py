"""The base of the dialog's panels that work on widgets of ``dialog.ui``: a panel declares
the widgets it uses as annotated attributes and takes them from the form by name."""

import inspect

from qgis.PyQt.QtCore import QObject, pyqtSignal
from qgis.PyQt.QtWidgets import QWidget


def declared_widgets(cls) -> list:
    """The names annotated on ``cls`` and its bases up to ``Panel``, in declaration order."""
    names = []
    for klass in reversed(cls.__mro__):
        if issubclass(klass, Panel) and klass is not Panel:
            # not vars(klass)["__annotations__"]: from Python 3.14 a class's annotations are
            # made on demand (PEP 649) and are not in its __dict__
            names += [name for name in inspect.get_annotations(klass) if name not in names]
    return names


class Panel(QObject):
    """A part of the dialog over widgets of the form set up from ``dialog.ui``: every
    attribute annotated on a subclass is the form's widget of that name. A panel never
    knows the dialog: it is given the form, and says what happened by its signals
    (``error`` with a message to show)."""

    error = pyqtSignal(str)

    def __init__(self, form: QWidget):
        super().__init__(form)
        for name in declared_widgets(type(self)):
            setattr(self, name, getattr(form, name))

    def show_error(self, text: str):
        """Pass a message on to whoever shows them (``reported`` slots call this)."""
        self.error.emit(text)
