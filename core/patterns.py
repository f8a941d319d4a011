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
    packed = np.ascontiguousarray(np.packbits(valid, axis=0).T)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, inverse, sizes = np.unique(keys, return_inverse=True, return_counts=True)
    return np.ravel(inverse), sizes


def large_groups(valid: np.ndarray) -> tuple:
    """([(epochs valid, member pixel indices)] of the patterns of at least
    PATTERN_MIN_PIXELS pixels, bool mask of the pixels left over). A block valid
    everywhere is one group without a search."""
    p = valid.shape[1]
    if valid.all():
        return [(np.ones(valid.shape[0], dtype=bool), slice(None))], np.zeros(p, dtype=bool)
    inverse, sizes = validity_patterns(valid)
    groups, rest = [], np.ones(p, dtype=bool)
    big = np.flatnonzero(sizes >= PATTERN_MIN_PIXELS)
    if big.size:
        order = np.argsort(inverse, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)])
        for g in big:
            members = order[starts[g] : starts[g + 1]]
            groups.append((valid[:, members[0]], members))
            rest[members] = False
    return groups, rest
