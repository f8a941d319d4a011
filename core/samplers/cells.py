"""Statistics of points binned into cells, streamed batch by batch: ``CellSums`` (per-cell
sums, memory following the occupied cells) and ``CellMedians`` (per-cell medians without
holding every point: the (cell, value) pairs are spilled to a temporary folder, counted into
cell order on a disk-backed array once the cells' counts are known, then sorted a block of
cells at a time).

Cells are keyed by a sorted int64 key. Both give the numbers of the straightforward forms bit
for bit: a cell's batch sum is summed in point order from 0 and added to its running total;
a cell's median is the mean of the middle two of its values sorted with ties in point order
(as ``np.lexsort((values, keys))`` over every point would)."""

import os
import shutil
import tempfile
from typing import Optional

import numpy as np

#: cells per median block hold at most this many points (more only when one cell holds more):
#: about 40 bytes a point of transient arrays while a block is sorted
MEDIAN_BLOCK_POINTS = 1 << 21


def unique_cells(keys: np.ndarray) -> tuple:
    """``np.unique(keys, return_inverse=True)`` of cell keys ``(row << 32) | column`` (both
    parts non-negative): by marking the batch's box of cells when it is small (no sort), else
    by sorting."""
    if keys.size == 0:
        return keys.copy(), np.empty(0, dtype=np.int64)
    row, col = keys >> 32, keys & 0xFFFFFFFF
    r0, c0 = int(row.min()), int(col.min())
    width, height = int(col.max()) - c0 + 1, int(row.max()) - r0 + 1
    if width * height > max(4 * keys.size, 1 << 16):
        return np.unique(keys, return_inverse=True)
    local = (row - r0) * width + (col - c0)
    seen = np.zeros(width * height, dtype=bool)
    seen[local] = True
    occupied = np.flatnonzero(seen)
    lut = np.empty(width * height, dtype=np.int64)
    lut[occupied] = np.arange(occupied.size)
    return ((occupied // width + r0) << 32) | (occupied % width + c0), lut[local]


class CellSums:
    """Sums per occupied cell, keyed by a sorted int64 cell key; merged batch by batch: a
    batch's sums per cell, added to the cells already known; the new cells inserted."""

    def __init__(self, names: list):
        self.names = names
        self.keys = np.empty(0, dtype=np.int64)
        self.sums = {n: np.empty(0) for n in names}

    def add(self, keys: np.ndarray, values: dict) -> None:
        u, inv = unique_cells(keys)
        chunk = {n: np.bincount(inv, weights=values[n], minlength=u.size) for n in self.names}
        pos = np.searchsorted(self.keys, u)
        hit = self.keys[np.minimum(pos, self.keys.size - 1)] == u if self.keys.size else np.zeros(u.size, bool)
        if hit.any():
            at = pos[hit]
            for n in self.names:
                self.sums[n][at] += chunk[n][hit]
        if not hit.all():
            self._insert(u[~hit], {n: chunk[n][~hit] for n in self.names})

    def _insert(self, keys, sums):
        """New cells (sorted ``keys``) with their ``sums``: every array rebuilt once."""
        new_at = np.searchsorted(self.keys, keys) + np.arange(keys.size)
        old = np.ones(self.keys.size + keys.size, dtype=bool)
        old[new_at] = False
        self.keys = _placed(self.keys, keys, old, new_at)
        for n in self.names:
            self.sums[n] = _placed(self.sums[n], sums[n], old, new_at)


def _placed(known, new, old, new_at):
    out = np.empty(old.size, dtype=known.dtype)
    out[old], out[new_at] = known, new
    return out


def _sortable(values: np.ndarray) -> np.ndarray:
    """uint64 of float32 ``values`` ordered as the numbers are (-0 and 0 equal, NaN last)."""
    b = (values + np.float32(0.0)).view(np.uint32)  # -0 + 0 = +0: the two zeros tie
    return np.where(b >> np.uint32(31) == 1, ~b, b | np.uint32(0x80000000)).astype(np.uint64)


def _ranks(sorted_index: np.ndarray) -> np.ndarray:
    """The position of each element within its run of equal values of ``sorted_index``."""
    i = np.arange(sorted_index.size)
    start = np.ones(sorted_index.size, dtype=bool)
    start[1:] = sorted_index[1:] != sorted_index[:-1]
    return i - np.maximum.accumulate(np.where(start, i, 0))


def block_medians(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Medians (float64) of consecutive groups of ``counts`` (each >= 1) of float32 ``values``
    in point order: the mean of the middle two sorted values, ties kept in point order."""
    local = np.repeat(np.arange(counts.size, dtype=np.uint64), counts)
    order = np.argsort((local << np.uint64(32)) | _sortable(values), kind="stable")
    s = values[order]
    starts = np.cumsum(counts) - counts
    lo, hi = starts + (counts - 1) // 2, starts + counts // 2
    with np.errstate(invalid="ignore"):  # -inf and inf (float32 overflow) in a cell: NaN, as before
        return 0.5 * (s[lo].astype(np.float64) + s[hi])


class CellMedians:
    """Per-cell medians of streamed (cell key, value) pairs in bounded memory: ``add`` appends
    each batch to two files in a temporary folder (12 bytes a point, on disk); ``medians``
    counts them into cell order in a disk-backed float32 array (a counting sort: the cells'
    counts are known once the points are read) and sorts blocks of cells of at most
    ``MEDIAN_BLOCK_POINTS`` points. Use as a context manager: the folder is removed on exit."""

    def __init__(self, folder: Optional[str] = None, block_points: int = MEDIAN_BLOCK_POINTS):
        self.folder = tempfile.mkdtemp(prefix="losdecomp-median-", dir=folder)
        self.block_points = block_points
        self.sizes: list = []
        self._keys = open(os.path.join(self.folder, "keys.i8"), "wb")
        self._values = open(os.path.join(self.folder, "values.f4"), "wb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._keys.close()
        self._values.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        np.ascontiguousarray(keys, dtype=np.int64).tofile(self._keys)
        np.ascontiguousarray(values, dtype=np.float32).tofile(self._values)
        self.sizes.append(int(keys.size))

    def medians(self, cell_keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """The median of every cell of the sorted ``cell_keys`` (which hold every key added;
        ``counts``: each cell's number of points added), float64."""
        self._keys.close()
        self._values.close()
        counts = np.asarray(counts, dtype=np.int64)
        ordered = self._in_cell_order(cell_keys, counts)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        out, c0 = np.empty(cell_keys.size), 0
        while c0 < cell_keys.size:
            c1 = max(int(np.searchsorted(offsets, offsets[c0] + self.block_points, side="right")) - 1, c0 + 1)
            out[c0:c1] = block_medians(np.array(ordered[offsets[c0] : offsets[c1]]), counts[c0:c1])
            c0 = c1
        del ordered
        return out

    def _in_cell_order(self, cell_keys, counts):
        """The values spilled, in cell order and point order within a cell, on disk."""
        total = int(counts.sum())
        ordered = np.memmap(os.path.join(self.folder, "ordered.f4"), dtype=np.float32, mode="w+",
                            shape=(max(total, 1),))  # fmt: skip
        cursor = np.cumsum(counts) - counts
        with open(self._keys.name, "rb") as fk, open(self._values.name, "rb") as fv:
            for size in self.sizes:
                u, inv = unique_cells(np.fromfile(fk, dtype=np.int64, count=size))
                idx = np.searchsorted(cell_keys, u)[inv]
                values = np.fromfile(fv, dtype=np.float32, count=size)
                order = np.argsort(idx, kind="stable")
                sidx = idx[order]
                ordered[cursor[sidx] + _ranks(sidx)] = values[order]
                cursor += np.bincount(idx, minlength=cell_keys.size)
        return ordered
