"""Statistics of points binned into cells, streamed batch by batch: ``CellSums`` (per-cell
sums, dense over the box of cells while it is small, else for the occupied cells only: memory
follows the cells) and ``CellMedians`` (per-cell medians without
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
from collections import Counter
from typing import Callable, Iterator, Optional

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


#: the sums are held dense over the box of cells seen while that box takes at most this many
#: bytes (8 a sum a cell) and at most ``DENSE_SPARSITY`` times the cells occupied; beyond, they
#: are held for the occupied cells only, keyed by a sorted int64 cell key
DENSE_BYTES, DENSE_SPARSITY = 64 << 20, 4


def _box_of(keys: np.ndarray, parts: Optional[tuple] = None) -> tuple:
    """(first row, first column, rows, columns) of the cell keys' bounding box (``parts``:
    the keys' rows and columns, when already split)."""
    row, col = parts if parts is not None else (keys >> 32, keys & 0xFFFFFFFF)
    r0, c0 = int(row.min()), int(col.min())
    return r0, c0, int(row.max()) - r0 + 1, int(col.max()) - c0 + 1


def weighted_counts(index: np.ndarray, values: dict, names: list, size: int,
                    counts: Optional[np.ndarray] = None) -> Iterator[tuple]:  # fmt: skip
    """(name, ``np.bincount(index, weights=values[name], minlength=size)``) name by name, to
    be read, not written: a weight of None is one per point (the count, int64: ``counts``
    when given), and an array given under several names is scattered once, its sums shared
    by those names (a column with no NaN is its own finite part). One at a time: each
    scatter allocates ``size`` sums, and a caller that drops each before the next reuses
    the same memory (eight held at once cost more in page faults than the scatters)."""
    uses = Counter(id(values[n]) for n in names)
    done = {}
    for n in names:
        w = values[n]
        if id(w) in done:
            yield n, done[id(w)]
            continue
        if w is None:
            a = counts if counts is not None else np.bincount(index, minlength=size)
        else:
            a = np.bincount(index, weights=w, minlength=size)
        if uses[id(w)] > 1:
            done[id(w)] = a
        yield n, a


class CellSums:
    """Sums per occupied cell, merged batch by batch: a batch's sums per cell (summed in point
    order from 0), added to the cells' running totals. Held dense over the box of the cells
    seen while that box is small (``DENSE_BYTES``, ``DENSE_SPARSITY``): one ``bincount`` a sum
    over the batch's box, added onto the box; else keyed by sorted int64 cell keys, the new
    cells inserted once a batch. ``keys`` and ``sums`` (the occupied cells, in key order) can
    be read and set; reading settles the sums to the keyed form. ``add``'s values follow
    ``weighted_counts``: None is one per point, the same array under two names is summed once."""

    def __init__(self, names: list):
        self.names = names
        self._keys = np.empty(0, dtype=np.int64)
        self._sums = {n: np.empty(0) for n in names}
        self._box: Optional[tuple] = None  # (row, column, rows, columns) of the dense sums
        self._dense: dict = {}
        self._seen = np.empty((0, 0), dtype=bool)

    @property
    def keys(self) -> np.ndarray:
        self._settle()
        return self._keys

    @keys.setter
    def keys(self, keys: np.ndarray) -> None:
        self._settle()
        self._keys = keys

    @property
    def sums(self) -> dict:
        self._settle()
        return self._sums

    @sums.setter
    def sums(self, sums: dict) -> None:
        self._settle()
        self._sums = sums

    def add(self, keys: np.ndarray, values: dict) -> None:
        if keys.size == 0:
            return
        parts = keys >> 32, keys & 0xFFFFFFFF
        box = _box_of(keys, parts)
        if not self._keys.size and self._dense_fits(box, keys.size):
            return self._add_dense(parts, box, values)
        known, sums = self.keys, self.sums  # the keyed form from here on
        u, inv = unique_cells(keys)
        chunk = dict(weighted_counts(inv, values, self.names, u.size))
        pos = np.searchsorted(known, u)
        hit = known[np.minimum(pos, known.size - 1)] == u if known.size else np.zeros(u.size, bool)
        if hit.any():
            at = pos[hit]
            for n in self.names:
                sums[n][at] += chunk[n][hit]
        if not hit.all():
            self._insert(u[~hit], {n: chunk[n][~hit] for n in self.names})

    def _dense_fits(self, box, points):
        """Whether the dense sums can cover ``box`` too (growing to the union box), given a
        batch of ``points`` (at most that many cells more occupied)."""
        if self._box is not None:
            box = _union(self._box, box)
        cells = box[2] * box[3]
        seen = int(np.count_nonzero(self._seen)) if self._box is not None else 0
        small = cells * 8 * max(len(self.names), 1) <= DENSE_BYTES
        return small and cells <= max(DENSE_SPARSITY * (seen + points), 1 << 16)

    def _add_dense(self, parts, box, values):
        """The batch's sums over its own box (one ``bincount`` a sum), added onto the dense box.
        A cell outside the batch gets 0.0 added: no change, as no total is ever -0.0 (a
        ``bincount`` sum starts at +0.0)."""
        self._grow(box)
        r0, c0, h, w = box
        local = (parts[0] - r0) * w + (parts[1] - c0)
        at = (slice(r0 - self._box[0], r0 - self._box[0] + h), slice(c0 - self._box[1], c0 - self._box[1] + w))
        counts = np.bincount(local, minlength=h * w)
        self._seen[at] |= (counts > 0).reshape(h, w)
        for n, a in weighted_counts(local, values, self.names, h * w, counts):
            self._dense[n][at] += a.reshape(h, w)

    def _grow(self, box):
        """The dense arrays, reallocated to the union of their box and ``box`` when it is outside."""
        new = box if self._box is None else _union(self._box, box)
        if new == self._box:
            return
        old, self._box = self._box, new
        at = None if old is None else (slice(old[0] - new[0], old[0] - new[0] + old[2]),
                                       slice(old[1] - new[1], old[1] - new[1] + old[3]))  # fmt: skip
        seen, self._seen = self._seen, np.zeros(new[2:], dtype=bool)
        dense, self._dense = self._dense, {n: np.zeros(new[2:]) for n in self.names}
        if at is not None:
            self._seen[at] = seen
            for n in self.names:
                self._dense[n][at] = dense[n]

    def _settle(self):
        """The dense sums, if any, to the keyed form (the occupied cells in key order)."""
        if self._box is None:
            return
        r0, c0, _, w = self._box
        flat = np.flatnonzero(self._seen)
        self._keys = ((flat // w + r0) << 32) | (flat % w + c0)
        self._sums = {n: self._dense[n].ravel()[flat] for n in self.names}
        self._box, self._dense, self._seen = None, {}, np.empty((0, 0), dtype=bool)

    def _insert(self, keys, sums):
        """New cells (sorted ``keys``) with their ``sums``: every array rebuilt once."""
        new_at = np.searchsorted(self._keys, keys) + np.arange(keys.size)
        old = np.ones(self._keys.size + keys.size, dtype=bool)
        old[new_at] = False
        self._keys = _placed(self._keys, keys, old, new_at)
        for n in self.names:
            self._sums[n] = _placed(self._sums[n], sums[n], old, new_at)


def _union(a, b):
    r0, c0 = min(a[0], b[0]), min(a[1], b[1])
    return r0, c0, max(a[0] + a[2], b[0] + b[2]) - r0, max(a[1] + a[3], b[1] + b[3]) - c0


def _placed(known, new, old, new_at):
    out = np.empty(old.size, dtype=known.dtype)
    out[old], out[new_at] = known, new
    return out


def _sortable(values: np.ndarray) -> np.ndarray:
    """uint32 of float32 ``values`` ordered as the numbers are (-0 and 0 equal, NaN last): a
    negative number's bits all flipped, a positive number's sign bit set."""
    b = (values + np.float32(0.0)).view(np.uint32)  # -0 + 0 = +0: the two zeros tie
    flip = (b.view(np.int32) >> 31).view(np.uint32)  # all ones for a negative number, else zero
    flip |= np.uint32(0x80000000)
    return np.bitwise_xor(b, flip, out=flip)


def block_medians(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Medians (float64) of consecutive groups of ``counts`` (each >= 1) of float32 ``values``
    in point order: the mean of the middle two sorted values, ties kept in point order."""
    key = np.repeat(np.arange(counts.size, dtype=np.uint64) << np.uint64(32), counts)
    key |= _sortable(values)
    order = np.argsort(key, kind="stable")
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
        cursor = np.cumsum(counts) - counts  # each cell's next free place
        index = cell_index(cell_keys)
        with open(self._keys.name, "rb") as fk, open(self._values.name, "rb") as fv:
            for size in self.sizes:
                idx = index(np.fromfile(fk, dtype=np.int64, count=size))
                values = np.fromfile(fv, dtype=np.float32, count=size)
                order = stable_order(idx, cell_keys.size)
                here = np.bincount(idx, minlength=cell_keys.size)
                shift = cursor - (np.cumsum(here) - here)  # a cell's place less its first place in the sorted batch
                ordered[shift[idx[order]] + np.arange(size)] = values[order]
                cursor += here
        return ordered


def cell_index(cell_keys: np.ndarray) -> Callable:
    """A function of keys (each one of the sorted ``cell_keys``) to their index in
    ``cell_keys``: a look-up table over the cells' box when it is small, else a binary search."""
    if cell_keys.size == 0:
        return lambda keys: np.searchsorted(cell_keys, keys)
    r0, c0, h, w = _box_of(cell_keys)
    if h * w > max(DENSE_SPARSITY * cell_keys.size, 1 << 16):
        return lambda keys: np.searchsorted(cell_keys, keys)
    lut = np.empty(h * w, dtype=np.int32 if cell_keys.size < 1 << 31 else np.int64)  # narrower: faster sorts
    lut[((cell_keys >> 32) - r0) * w + ((cell_keys & 0xFFFFFFFF) - c0)] = np.arange(cell_keys.size)
    return lambda keys: lut[((keys >> 32) - r0) * w + ((keys & 0xFFFFFFFF) - c0)]


def stable_order(idx: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(idx, kind="stable")`` of integers 0 <= idx < ``bound``: numpy's radix sort
    of 16-bit keys, one pass per 16 bits (least significant first), when ``bound`` <= 2**32."""
    if bound > 1 << 32:
        return np.argsort(idx, kind="stable")
    order = np.argsort((idx & 0xFFFF).astype(np.uint16), kind="stable")
    if bound > 1 << 16:
        order = order[np.argsort((idx[order] >> 16).astype(np.uint16), kind="stable")]
    return order
