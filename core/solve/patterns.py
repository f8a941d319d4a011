"""Pixels grouped by their pattern of valid epochs: pixels that share one share every
per-epoch weight or normal matrix, so a group is solved once (velocity fits, interpolation
in time)."""

import numpy as np

#: Pixels a pattern needs to be solved as a group; smaller ones go pixel by pixel.
PATTERN_MIN_PIXELS = 64


def validity_patterns(valid: np.ndarray) -> tuple:
    """(pattern index per pixel, pixels per pattern) of the columns of ``valid`` (epochs x
    pixels, bool). The packed bits of each pixel are compared as one opaque value: sorting
    those is several times faster than ``np.unique(..., axis=0)`` on the byte rows."""
    packed = np.packbits(np.ascontiguousarray(valid.T), axis=1)  # the same bytes; twice as fast as along axis 0
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, inverse, sizes = np.unique(keys, return_inverse=True, return_counts=True)
    return np.ravel(inverse), sizes


def large_groups(valid: np.ndarray, min_pixels: int = PATTERN_MIN_PIXELS) -> tuple:
    """([(epochs valid, member pixel indices)] of the patterns of at least ``min_pixels``
    pixels, bool mask of the pixels left over). A block valid everywhere is one group
    without a search, and only the pixels missing an epoch are searched for patterns (the
    complete ones are usually most of a block)."""
    n, p = valid.shape
    complete = valid.all(axis=0)
    if complete.all():
        return [(np.ones(n, dtype=bool), slice(None))], np.zeros(p, dtype=bool)
    groups, rest = [], np.ones(p, dtype=bool)
    if np.count_nonzero(complete) >= min_pixels:
        groups.append((np.ones(n, dtype=bool), np.flatnonzero(complete)))
        rest[complete] = False
    others = np.flatnonzero(~complete)
    incomplete = np.take(valid, others, axis=1)  # valid[:, others] cost eight times more
    # a pattern of min_pixels pixels misses each of its epochs at min_pixels pixels or more:
    # pixels missing a rarer epoch cannot be in one (with 1 % random gaps: none can)
    rare = others.size - np.count_nonzero(incomplete, axis=1) < min_pixels
    candidates = ~np.any(~incomplete[rare], axis=0) if rare.any() else np.ones(others.size, dtype=bool)
    if np.count_nonzero(candidates) < min_pixels:
        return groups, rest
    others = others[candidates]
    inverse, sizes = validity_patterns(incomplete[:, candidates])
    big = np.flatnonzero(sizes >= min_pixels)
    if big.size:
        order = others[np.argsort(inverse, kind="stable")]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        for g in big:
            members = order[starts[g] : starts[g + 1]]
            groups.append((valid[:, members[0]], members))
            rest[members] = False
    return groups, rest
