"""GDAL's exception mode, enabled only around the plugin's own GDAL calls.

``gdal.UseExceptions()`` is process-wide: QGIS, its Processing scripts and every other
plugin share it. The plugin never calls it at import. Its own calls run inside
:func:`raising`, which enables exceptions for ``gdal``, ``osr`` and ``ogr`` and, when the
outermost scope ends, restores the modes it found. GDAL 3.6 (QGIS 3.22 on Debian) has no
``gdal.ExceptionMgr`` and keeps one flag per module for all threads, so the scopes are
counted across threads: overlapping runs keep exceptions on until the last one ends, and
the mode found by the first is the one restored.
"""

import functools
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from osgeo import gdal, ogr, osr

_MODULES = (gdal, osr, ogr)
_lock = threading.Lock()
_depth = 0
_found: tuple = ()


def modes() -> tuple:
    """The exception mode of gdal, osr and ogr (for tests and checks)."""
    return tuple(bool(m.GetUseExceptions()) for m in _MODULES)


@contextmanager
def raising() -> Iterator[None]:
    """GDAL, OSR and OGR errors raise RuntimeError inside this scope."""
    global _depth, _found
    with _lock:
        if _depth == 0:
            _found = modes()
            for module, on in zip(_MODULES, _found):
                if not on:
                    module.UseExceptions()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                # GDAL 3.6 keeps a stack of error handlers: undo in the reverse order
                for module, on in reversed(list(zip(_MODULES, _found))):
                    if not on:
                        module.DontUseExceptions()


def raises(fn: Callable) -> Callable:
    """Decorator: run ``fn`` inside :func:`raising`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with raising():
            return fn(*args, **kwargs)

    return wrapper


@contextmanager
def quiet() -> Iterator[list]:
    """GDAL's messages of this thread collected in the yielded list instead of printed.

    GDAL's error-handler stack is per thread, so this changes nothing for other threads.
    Errors still raise inside :func:`raising`; this only keeps them off stderr (where
    ``ERROR 1: ...`` lines would repeat the plugin's own message)."""
    messages = []

    def handler(err_class, err_no, text):
        messages.append(text)

    gdal.PushErrorHandler(handler)
    try:
        yield messages
    finally:
        gdal.PopErrorHandler()


_unraisable_lock = threading.Lock()
_closing = threading.local()


@contextmanager
def closing_quietly() -> Iterator[list]:
    """Around dropping the last reference to a dataset whose close may fail (a full disk):
    the error GDAL raises from the dataset's destructor is collected in the yielded list
    instead of being printed as an ignored exception with a traceback. Only this thread's
    destructor errors are taken; anything else goes to the hook that was there."""
    caught = []
    with _unraisable_lock:
        previous = sys.unraisablehook

        def hook(unraisable):
            if getattr(_closing, "active", False) and isinstance(unraisable.exc_value, RuntimeError):
                caught.append(str(unraisable.exc_value))
            else:
                previous(unraisable)

        sys.unraisablehook = hook
        _closing.active = True
        try:
            with quiet():
                yield caught
        finally:
            _closing.active = False
            sys.unraisablehook = previous


def detached(exc: BaseException) -> BaseException:
    """``exc`` without its traceback, for an error raised in its place (as its context).

    The GDAL bindings' frames in that traceback hold the dataset or band that failed: a
    dataset would stay open after its owner closed it, so that its file cannot be deleted
    on Windows, and be closed by a later garbage collection, which crashed GDAL after a
    failed read of a truncated GeoTIFF."""
    return exc.with_traceback(None)
