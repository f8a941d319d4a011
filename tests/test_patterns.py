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
