"""Windows read ahead and written behind while the current one is computed.

GDAL releases the GIL while it reads, warps and compresses, and numpy while it computes,
so reading the next window and writing the previous one in background threads lets a run
take about the longest of the three stages instead of their sum. At most one window is
read ahead and one is being written: memory stays three windows."""

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional, Sequence

from ..conventions.errors import Cancelled  # noqa: F401 (re-exported: raised here)


def cancelled(is_cancelled: Optional[Callable]) -> bool:
    """Whether ``is_cancelled()`` says the run is cancelled (never, without one): the one
    place where every run asks."""
    return is_cancelled is not None and bool(is_cancelled())


def check_cancelled(is_cancelled: Optional[Callable]) -> None:
    """Raise :class:`Cancelled` when ``is_cancelled()`` says so."""
    if cancelled(is_cancelled):
        raise Cancelled("cancelled")


def overlapped(wins: Sequence, read: Callable, compute: Callable, write: Callable,
               progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None) -> None:  # fmt: skip
    """``write(win, compute(win, read(win)))`` for every window in order.

    ``read`` runs in one background thread and ``write`` in another (each stage sees its
    windows in order, so a dataset is only ever used by one thread at a time); ``compute``
    runs here. ``progress(fraction)`` is called after each window and ``is_cancelled()``
    before each (raising :class:`Cancelled`). The first error of any stage is raised here,
    and only once neither background stage still runs: the caller may then close or
    delete what they used."""
    if not wins:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="losdecomp-read") as reader, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="losdecomp-write") as writer:  # fmt: skip
        reading = reader.submit(read, wins[0])
        writing = None
        try:
            for i, win in enumerate(wins):
                check_cancelled(is_cancelled)
                data = reading.result()
                if i + 1 < len(wins):
                    reading = reader.submit(read, wins[i + 1])
                result = compute(win, data)
                if writing is not None:
                    writing.result()
                writing = writer.submit(write, win, result)
                if progress is not None:
                    progress((i + 1) / len(wins))
            writing.result()
        finally:
            for future in (reading, writing):
                if future is not None:
                    future.cancel()
                    try:
                        future.result()
                    except BaseException:  # noqa: BLE001 (the first error is the one raised)
                        pass
