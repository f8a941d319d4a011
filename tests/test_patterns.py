"""Pixels grouped by their valid epochs: the groups and the rest partition the block, each
group's pixels have exactly its pattern, and no pattern with enough pixels is left over."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from insar_decomposition.core.solve.patterns import large_groups


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), p=st.integers(0, 600), gaps=st.floats(0, 0.2),
       min_pixels=st.sampled_from([1, 8, 64]))  # fmt: skip
def test_groups_and_rest_partition_the_block(seed, n, p, gaps, min_pixels):
    rng = np.random.default_rng(seed)
    valid = rng.random((n, p)) >= gaps
    valid[:, : p // 4] = False  # a masked area
    valid[rng.integers(0, n), p // 4 : p // 2] = False  # an epoch missing over an area
    groups, rest = large_groups(valid, min_pixels)
    seen = np.zeros(p, dtype=int)
    for rows, members in groups:
        idx = np.arange(p)[members]
        seen[idx] += 1
        assert isinstance(members, slice) or idx.size >= min_pixels  # a slice: the whole block, complete
        assert (valid[:, idx] == rows[:, None]).all()
    seen[rest] += 1
    assert (seen == 1).all()
    left = valid[:, rest]
    if left.size:
        _, counts = np.unique(left.T, axis=0, return_counts=True)
        assert counts.max() < min_pixels


def _search_everything(valid, min_pixels):
    """The search before the rare-epoch filter: every incomplete pixel's pattern sorted."""
    from insar_decomposition.core.solve.patterns import validity_patterns

    complete = valid.all(axis=0)
    groups = [np.flatnonzero(complete)] if np.count_nonzero(complete) >= min_pixels else []
    others = np.flatnonzero(~complete)
    inverse, sizes = validity_patterns(valid[:, others])
    order = others[np.argsort(inverse, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return groups + [order[starts[g] : starts[g + 1]] for g in np.flatnonzero(sizes >= min_pixels)]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), p=st.integers(1, 3000), gaps=st.floats(0, 0.05),
       min_pixels=st.sampled_from([2, 16, 64, 1024]), areas=st.integers(0, 3))  # fmt: skip
def test_rare_epoch_filter_finds_the_same_groups_in_the_same_order(seed, n, p, gaps, min_pixels, areas):
    """Pixels missing an epoch that fewer than min_pixels pixels miss are left out of the
    search: the groups found, their order and their members are the former search's."""
    rng = np.random.default_rng(seed)
    valid = rng.random((n, p)) >= gaps
    for _ in range(areas):  # epochs missing over areas: frequent epochs, combined with rare ones
        a, b = sorted(rng.integers(0, p + 1, 2))
        valid[rng.integers(0, n), a:b] = False
    groups, _ = large_groups(valid, min_pixels)
    found = [np.arange(p)[members] for _, members in groups]
    if found and valid.all():
        return  # a complete block: one slice, no search
    expected = _search_everything(valid, min_pixels)
    assert len(found) == len(expected)
    for got, want in zip(found, expected):
        np.testing.assert_array_equal(got, want)


def test_one_percent_random_gaps_search_nothing():
    """1 % random gaps on 100 epochs of 65 536 pixels: no epoch is missing at 1024 pixels, so
    no group but the complete pixels' can exist and none is searched for."""
    rng = np.random.default_rng(1)
    valid = rng.random((100, 1 << 16)) >= 0.01
    groups, rest = large_groups(valid, 1024)
    assert len(groups) == 1 and np.array_equal(np.arange(1 << 16)[groups[0][1]], np.flatnonzero(valid.all(axis=0)))
    assert np.array_equal(rest, ~valid.all(axis=0))
