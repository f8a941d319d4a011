"""One run's lifecycle, the same for every algorithm: the readers it opens (closed at the
end), the outputs it creates (renamed into place when the run succeeds, removed on any
error or cancel: an input is never touched and nothing half-written is left), the windows
streamed from readers to writers with progress and the cancel check, and the colour
limits sampled from the values written.

    with Run(job.grid, job.resampling, progress, is_cancelled) as run:
        velocity = run.open(spec.velocity)                    # closed when the run ends
        outputs = run.create(job.outputs, specs, job.metadata, job.compression)
        run.stream(list(windows(job.grid, job.block_pixels)), read, compute, write)
        limit = run.limit(UP)                                 # from run.sample(UP, values)
        paths = run.commit()                                  # else committed on leaving

A loop that is not a pipeline of windows (epochs, bands, point batches) goes through
:meth:`Run.each` (the cancel check before each item, progress after it) or calls
:meth:`Run.check` and :meth:`Run.report` itself; a GDAL algorithm takes
:meth:`Run.gdal_progress` as its callback.
"""

from typing import Callable, Iterable, Iterator, Optional, TypeVar

import numpy as np

from ..io.grid import Grid
from ..io.model import COLOUR_PERCENTILE, RasterRef
from ..io.pipeline import Cancelled, cancelled, check_cancelled, overlapped  # noqa: F401 (Cancelled: raised here)
from ..io.reader import DEFAULT_RESAMPLING, GridReader, StackReader
from ..io.writer import DEFAULT_COMPRESSION, TILE, AtomicGeoTiff, OutputSet

T = TypeVar("T")

#: Values kept per product for the colour limit of the styled layer.
STYLE_SAMPLE = 200_000


def windows(grid: Grid, block_pixels: int) -> Iterator[tuple]:
    """(col, row, ncols, nrows) windows aligned to the output tiles."""
    rows = min(grid.height, TILE)
    cols = max(TILE, (block_pixels // max(rows, 1)) // TILE * TILE)
    cols = min(grid.width, cols)
    for row in range(0, grid.height, rows):
        for col in range(0, grid.width, cols):
            yield col, row, min(cols, grid.width - col), min(rows, grid.height - row)


class Run:
    """A context manager around one run: it owns the readers opened through it (closed when
    it ends) and the outputs created through it (committed when the ``with`` block ends
    normally, unless :meth:`commit` was called already; aborted, that is deleted, when it
    ends with any exception, a cancel included).

    ``grid`` and ``resampling`` are the defaults of :meth:`open`, :meth:`open_stack` and
    :meth:`create`; ``progress(fraction)`` and ``is_cancelled()`` are the caller's (either
    may be None)."""

    def __init__(self, grid: Optional[Grid] = None, resampling: str = DEFAULT_RESAMPLING,
                 progress: Optional[Callable] = None, is_cancelled: Optional[Callable] = None):  # fmt: skip
        self.grid, self.resampling = grid, resampling
        self.progress, self.is_cancelled = progress, is_cancelled
        #: Every reader opened (or kept) by this run, in order.
        self.readers: list = []
        #: The outputs not yet committed, {key: writer}.
        self.outputs = OutputSet()
        #: {key: final path} of the outputs committed.
        self.committed: dict = {}
        self._samples: dict = {}

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.outputs.abort()
        finally:
            self.close()
        return False

    # --- readers ---------------------------------------------------------------------

    def open(self, ref: RasterRef, grid: Optional[Grid] = None, resampling: Optional[str] = None) -> GridReader:
        """A reader of ``ref`` on the grid, closed when the run ends. One reader (one GDAL
        dataset) per use, never shared: readers may run in parallel threads."""
        reader = GridReader(ref, grid or self.grid, resampling or self.resampling)
        return self.keep(reader)

    def open_stack(self, path: str, bands: list, scale: float = 1.0, label: str = "", grid: Optional[Grid] = None,
                   resampling: Optional[str] = None) -> StackReader:  # fmt: skip
        """A reader of several bands of ``path`` at once, closed when the run ends."""
        reader = StackReader(path, bands, grid or self.grid, resampling or self.resampling, scale, label)
        return self.keep(reader)

    def keep(self, reader: T) -> T:
        """``reader`` (anything with ``close()``) closed when the run ends; returned."""
        self.readers.append(reader)
        return reader

    def warped(self) -> list:
        """The names of the inputs read through GDAL's warper, each once, in order."""
        return list(dict.fromkeys(r.ref.name for r in self.readers if getattr(r, "warped", False)))

    def close(self) -> None:
        """Close every reader (the end of the run does it)."""
        readers, self.readers = self.readers, []
        for reader in readers:
            reader.close()

    # --- outputs ---------------------------------------------------------------------

    def create(self, paths: dict, specs: dict, metadata: Optional[dict] = None,
               compression: str = DEFAULT_COMPRESSION, grid: Optional[Grid] = None) -> OutputSet:  # fmt: skip
        """The outputs {key: path} (an empty path is not written), each with its band specs
        ``specs[key]``, ``metadata`` and ``LOSDECOMP_PRODUCT`` = key; returns every output of
        the run, {key: writer}."""
        self.outputs.update(OutputSet(paths, grid or self.grid, specs, metadata, compression))
        return self.outputs

    def output(self, path: str, specs: list, metadata: Optional[dict] = None,
               compression: str = DEFAULT_COMPRESSION, grid: Optional[Grid] = None) -> AtomicGeoTiff:  # fmt: skip
        """One output with exactly ``metadata`` (no product key added), under the key ``path``."""
        return self.add(path, AtomicGeoTiff(path, grid or self.grid, specs, metadata, compression))

    def add(self, key: str, writer: T) -> T:
        """An output made elsewhere (anything with ``path``, ``commit()`` and ``abort()``,
        such as a ``writer.AtomicCopy``), committed or aborted with the others; returned."""
        self.outputs[key] = writer
        return writer

    def commit(self) -> dict:
        """Rename every output created so far into place; {key: final path} of all the
        outputs committed by this run. On a failure none of those not yet renamed is left."""
        self.committed.update(self.outputs.commit())
        return dict(self.committed)

    # --- progress, cancel and windows --------------------------------------------------

    def cancelled(self) -> bool:
        """Whether the caller cancelled the run."""
        return cancelled(self.is_cancelled)

    def check(self) -> None:
        """Raise :class:`Cancelled` when the caller cancelled the run."""
        check_cancelled(self.is_cancelled)

    def report(self, fraction: float) -> None:
        """Progress, as a fraction of the run."""
        if self.progress is not None:
            self.progress(fraction)

    def each(self, items: Iterable, total: Optional[int] = None) -> Iterator:
        """The items in order: the cancel check before each, progress ``k / total`` after
        the k-th (``total`` the number of items unless given)."""
        items = list(items)
        total = total or len(items)
        for k, item in enumerate(items, start=1):
            self.check()
            yield item
            self.report(k / total)

    def stream(self, wins: list, read: Callable, compute: Callable, write: Callable) -> None:
        """``write(win, compute(win, read(win)))`` for every window, reading ahead and
        writing behind in background threads (:func:`pipeline.overlapped`), with progress
        after each window and the cancel check before each."""
        overlapped(list(wins), read, compute, write, self.progress, self.is_cancelled)

    def gdal_progress(self) -> Callable:
        """A GDAL progress callback: reports progress and stops GDAL on a cancel (GDAL then
        fails; call :meth:`check` where it does, to raise the cancel instead)."""

        def callback(done, *_):
            self.report(done)
            return 0 if self.cancelled() else 1

        return callback

    # --- colour limits ---------------------------------------------------------------

    def sample(self, key: str, values: np.ndarray, stride: Optional[int] = None) -> None:
        """Keep |values| (finite ones, every ``stride``-th; by default so that about
        :data:`STYLE_SAMPLE` values of the grid are kept) for the colour limit of ``key``."""
        if stride is None:
            stride = max(1, (self.grid.width * self.grid.height) // STYLE_SAMPLE) if self.grid is not None else 1
        picked = np.ravel(values)[::stride]
        self._samples.setdefault(key, []).append(np.abs(picked[np.isfinite(picked)]))

    def limit(self, key: str) -> float:
        """The :data:`COLOUR_PERCENTILE` of the |values| sampled for ``key`` (NaN without any)."""
        picked = self._samples.get(key)
        values = np.concatenate(picked) if picked else np.empty(0)
        return float(np.percentile(values, COLOUR_PERCENTILE)) if values.size else float("nan")

    def limits(self, keys: Iterable) -> dict:
        """{key: :meth:`limit`} for every key."""
        return {key: self.limit(key) for key in keys}
