"""The streamed cell statistics of point gridding (samplers/cells.py) pinned bit for bit
against the straightforward forms they replaced (every point's (cell, value) in memory, one
``np.lexsort``; sums merged with ``np.unique``/``np.union1d``), on random cells and values:
empty cells, cells of one point, even counts, ties, signed zeros, NaN velocities, MIN_POINTS,
medians sorted in several blocks; and the median's temporary folder removed."""

import contextlib
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from osgeo import gdal

from insar_decomposition.core.io import points
from insar_decomposition.core.io.grid import srs_from_user_input
from insar_decomposition.core.runs import point_grid
from insar_decomposition.core.samplers import cells

OFFSET = 1 << 30


class ReferenceSums:
    """The sums as merged before the streamed cells (np.unique per batch, np.union1d)."""

    def __init__(self, names):
        self.names, self.keys, self.sums = names, np.empty(0, dtype=np.int64), {n: np.empty(0) for n in names}

    def add(self, keys, values):
        u, inv = np.unique(keys, return_inverse=True)
        ones = np.ones(keys.size)  # None: one per point (cells.weighted_counts)
        chunk = {n: np.bincount(inv, weights=ones if values[n] is None else values[n], minlength=u.size)
                 for n in self.names}  # fmt: skip
        if self.keys.size == 0:
            self.keys, self.sums = u, chunk
            return
        merged = np.union1d(self.keys, u)
        old, new = np.searchsorted(merged, self.keys), np.searchsorted(merged, u)
        for n in self.names:
            total = np.zeros(merged.size)
            total[old] = self.sums[n]
            total[new] += chunk[n]
            self.sums[n] = total
        self.keys = merged


class ReferenceMedians:
    """Every point's (cell, value) in memory, sorted by one lexsort (the former median)."""

    def __init__(self):
        self.pairs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def add(self, keys, values):
        self.pairs.append((keys, values.astype(np.float32)))

    def medians(self, cell_keys, counts):
        keys = np.concatenate([k for k, _ in self.pairs])
        vals = np.concatenate([v for _, v in self.pairs])
        order = np.lexsort((vals, keys))
        keys, vals = keys[order], vals[order]
        starts = np.searchsorted(keys, cell_keys, side="left")
        ends = np.searchsorted(keys, cell_keys, side="right")
        lo, hi = starts + (ends - starts - 1) // 2, starts + (ends - starts) // 2
        with np.errstate(invalid="ignore"):  # -inf and +inf in the middle: NaN, as the core gives
            return 0.5 * (vals[lo].astype(np.float64) + vals[hi])


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


VALUES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e-3, -7.25, 1e30, -np.inf, np.inf])


@st.composite
def batches(draw, max_points=60):
    """Batches of (cell keys, values): rows and columns in a small box (many empty cells,
    ties) or, now and then, far apart (the sorted path of unique_cells)."""
    spread = draw(st.sampled_from([3, 20, 1 << 20]))
    out = []
    for _ in range(draw(st.integers(1, 5))):
        n = draw(st.integers(1, max_points))
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        rows, cols = rng.integers(0, spread, n) + OFFSET - 2, rng.integers(0, spread, n) + OFFSET - 5
        keys = (rows.astype(np.int64) << 32) | cols
        pick = draw(st.booleans())
        values = (np.array(draw(st.lists(VALUES, min_size=n, max_size=n))) if pick
                  else np.round(rng.normal(0, 3, n), 1))  # fmt: skip
        out.append((keys, values))
    return out


@settings(max_examples=150, deadline=None)
@given(batches())
def test_unique_cells_is_np_unique(bs):
    for keys, _ in bs:
        u, inv = cells.unique_cells(keys)
        ru, rinv = np.unique(keys, return_inverse=True)
        assert same_bits(u, ru) and np.array_equal(inv, rinv)


@settings(max_examples=150, deadline=None)
@given(batches())
def test_cell_sums_equal_the_former_merge_bit_for_bit(bs):
    names = ["n", "v", "v2"]
    ours, ref = cells.CellSums(names), ReferenceSums(names)
    for keys, v in bs:
        finite = np.where(np.isfinite(v), v, 0.5)  # the sums only ever see finite velocities
        values = {"n": np.ones(v.size), "v": finite, "v2": finite * finite}
        ours.add(keys, values)
        ref.add(keys, values)
    assert same_bits(ours.keys, ref.keys)
    for n in names:
        assert same_bits(ours.sums[n], ref.sums[n]), n


@settings(max_examples=100, deadline=None)
@given(batches())
def test_cell_sums_of_counts_and_shared_columns_equal_their_written_out_forms(bs):
    """None (one per point) and one array under two names (a column without NaN, its own
    finite part) give the sums of the arrays written out."""
    names = ["n", "v", "v2", "c"]
    ours, ref = cells.CellSums(names), ReferenceSums(names)
    for keys, v in bs:
        finite = np.where(np.isfinite(v), v, 0.5)
        ours.add(keys, {"n": None, "v": finite, "v2": finite, "c": None})
        ref.add(keys, {"n": np.ones(keys.size), "v": finite, "v2": finite.copy(), "c": np.ones(keys.size)})
    assert same_bits(ours.keys, ref.keys)
    for n in names:
        assert same_bits(ours.sums[n], ref.sums[n]), n
    got = dict(cells.weighted_counts(np.array([0, 2, 2]), {"a": None, "b": np.array([0.5, 1.0, 2.0])}, ["a", "b"], 4))
    assert np.array_equal(got["a"], [1, 0, 2, 0]) and same_bits(got["b"], np.array([0.5, 0.0, 3.0, 0.0]))


def _medians_match_the_lexsort(folder, bs, block):
    sums, ref = cells.CellSums(["n"]), ReferenceMedians()
    with cells.CellMedians(str(folder), block_points=block) as ours:
        for keys, v in bs:
            sums.add(keys, {"n": np.ones(keys.size)})
            ours.add(keys, v.astype(np.float32))
            ref.add(keys, v)
        got = ours.medians(sums.keys, sums.sums["n"])
    assert same_bits(got, ref.medians(sums.keys, sums.sums["n"]))


@settings(max_examples=150, deadline=None)
@given(batches(), st.integers(1, 9))
def test_cell_medians_equal_one_lexsort_bit_for_bit(tmp_path_factory, bs, block):
    """Blocks of at most ``block`` points (one cell alone when it holds more): the cells'
    medians in any blocking, ties (and -0 against 0) kept in point order, as the lexsort."""
    folder = tmp_path_factory.mktemp("spill")
    _medians_match_the_lexsort(folder, bs, block)
    assert os.listdir(folder) == []


def _source(n, seed, batch_size):
    """Points over a few 100 m cells (EPSG:3035): counts from 0 to many per cell, some NaN
    velocities and sigmas, exact ties."""
    rng = np.random.default_rng(seed)
    x = 4_000_000 + rng.uniform(0, 700, n)
    y = 3_000_000 + rng.uniform(0, 500, n)
    x[: n // 3] = 4_000_010 + rng.integers(0, 3, n // 3) * 100.0  # crowded cells
    v = np.round(rng.normal(0, 3, n), 1)
    v[rng.random(n) < 0.1] = np.nan
    v[rng.random(n) < 0.05] = -0.0
    s = np.where(rng.random(n) < 0.2, np.nan, rng.uniform(0.3, 2.0, n))
    wkt = srs_from_user_input("EPSG:3035").ExportToWkt()
    return points.ArrayPoints(x, y, {"velocity": v, "velocity_std": s}, wkt, batch_size=batch_size)


def _bands(path):
    ds = gdal.Open(path)
    return [ds.GetRasterBand(i).ReadAsArray() for i in range(1, ds.RasterCount + 1)]


@pytest.mark.parametrize("statistic", [point_grid.MEAN, point_grid.MEDIAN])
@pytest.mark.parametrize("seed, n, batch, min_points", [(0, 400, 37, 1), (1, 1000, 1000, 3), (2, 5, 2, 1),
                                                        (3, 3000, 256, 2)])  # fmt: skip
def test_a_run_writes_the_former_rasters_bit_for_bit(tmp_path, monkeypatch, statistic, seed, n, batch, min_points):
    def grid(name):
        req = point_grid.GridPointsRequest(_source(n, seed, batch), str(tmp_path / name), heading=190.0,
                                           incidence=39.0, statistic=statistic, min_points=min_points)  # fmt: skip
        with contextlib.suppress(point_grid.PointError):
            point_grid.run(point_grid.plan(req))
        return _bands(str(tmp_path / name)) if os.path.exists(tmp_path / name) else None

    ours = grid("ours.tif")
    monkeypatch.setattr(point_grid, "CellSums", ReferenceSums)
    monkeypatch.setattr(point_grid, "CellMedians", ReferenceMedians)
    ref = grid("ref.tif")
    assert (ours is None) == (ref is None)
    if ours is not None:
        assert len(ours) == len(ref) and all(same_bits(a, b) for a, b in zip(ours, ref))


def _by_cell_sums(job, src):
    """The Dask path's order of work in one process: each batch's ``cell_sums``, added per key
    in batch order (as the cluster's groupby adds the chunks'), written by ``write_sums``."""
    total = ReferenceSums(point_grid.Columns.of(job).sums)
    read = 0
    for batch in src.batches(point_grid.Columns.of(job).wanted):
        keys, sums = point_grid.cell_sums(job, batch)
        assert np.all(np.diff(keys) > 0) and set(sums) == set(total.names)
        total.add(keys, sums)
        read += batch.x.size
    return point_grid.write_sums(job, total.keys, total.sums, points=read, log=["said before"])


@pytest.mark.parametrize("seed, n, batch, min_points", [(0, 400, 37, 1), (1, 1000, 1000, 3), (3, 3000, 256, 2)])
def test_write_sums_of_cell_sums_writes_the_runs_rasters_bit_for_bit(tmp_path, seed, n, batch, min_points):
    def job(name):
        req = point_grid.GridPointsRequest(_source(n, seed, batch), str(tmp_path / name), heading=190.0,
                                           incidence=39.0, min_points=min_points)  # fmt: skip
        return point_grid.plan(req)

    ran = point_grid.run(job("run.tif"))
    by_sums = _by_cell_sums(job("sums.tif"), _source(n, seed, batch))
    assert (by_sums.points, by_sums.used, by_sums.cells) == (ran.points, ran.used, ran.cells) and by_sums.cells > 0
    assert by_sums.grid.geotransform == ran.grid.geotransform and by_sums.log[0] == "said before"
    ours, ref = _bands(str(tmp_path / "sums.tif")), _bands(str(tmp_path / "run.tif"))
    assert len(ours) == len(ref) == 4 and all(same_bits(a, b) for a, b in zip(ours, ref))


def test_settle_cell_uses_the_given_bounds_and_write_sums_refuses_no_points_and_the_median(tmp_path):
    rng = np.random.default_rng(5)
    wkt = srs_from_user_input("EPSG:4326").ExportToWkt()
    src = points.ArrayPoints(10 + rng.uniform(0, 0.01, 50), 50 + rng.uniform(0, 0.01, 50),
                             {"velocity": rng.normal(0, 2, 50)}, wkt)  # fmt: skip

    def job(name):
        return point_grid.plan(point_grid.GridPointsRequest(src, str(tmp_path / name), heading=190.0, incidence=39.0))

    ran = job("run.tif")
    point_grid.run(ran)
    given, log = job("given.tif"), []
    assert given.cell is None
    point_grid.settle_cell(given, log, bounds=src.bounds())
    assert given.cell == ran.cell and "latitude 50.0" in log[0]
    north = job("north.tif")
    point_grid.settle_cell(north, [], bounds=(10.0, 60.0, 10.01, 60.01))  # not the points': the given box counts
    assert north.cell[1] == pytest.approx(ran.cell[1], rel=1e-2)  # a degree of latitude: nearly constant
    assert north.cell[0] / ran.cell[0] == pytest.approx(np.cos(np.radians(50)) / np.cos(np.radians(60)), rel=1e-2)
    with pytest.raises(point_grid.PointError, match="no points with coordinates and a velocity .of 50 read"):
        point_grid.write_sums(given, np.empty(0, np.int64), {"n": np.empty(0)}, points=50)
    given.req.statistic = point_grid.MEDIAN
    with pytest.raises(point_grid.PointError, match="median of a cell cannot be written from its sums"):
        point_grid.write_sums(given, np.array([1]), {"n": np.array([3.0]), "v": np.array([1.0])}, points=3)
    assert not (tmp_path / "given.tif").exists()


def test_the_median_spill_folder_is_removed_after_a_run_and_a_failure(tmp_path, monkeypatch):
    made = []
    real = cells.CellMedians

    class Recorded(real):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self.folder)

    monkeypatch.setattr(point_grid, "CellMedians", Recorded)
    req = point_grid.GridPointsRequest(_source(500, 4, 100), str(tmp_path / "m.tif"), heading=190.0, incidence=39.0,
                                       statistic=point_grid.MEDIAN)  # fmt: skip
    point_grid.run(point_grid.plan(req))
    req = point_grid.GridPointsRequest(_source(500, 4, 100), str(tmp_path / "x.tif"), heading=190.0, incidence=39.0,
                                       statistic=point_grid.MEDIAN, min_points=10_000)  # fmt: skip
    with pytest.raises(point_grid.PointError, match="no cell holds"):
        point_grid.run(point_grid.plan(req))
    assert len(made) == 2 and not any(os.path.exists(f) for f in made)
    assert not (tmp_path / "x.tif").exists()


@st.composite
def shifted_batches(draw, max_points=60):
    """Batches each in a box of its own (shifted, of its own size): the dense sums grow, and
    past a limit turn to the keyed form mid-stream."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.integers(1, max_points))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        spread = draw(st.sampled_from([1, 4, 30, 300, 1 << 18]))
        r0, c0 = draw(st.integers(-40, 40)), draw(st.integers(-40, 40))
        rows = rng.integers(0, spread, n) + OFFSET + r0
        cols = rng.integers(0, draw(st.sampled_from([1, 4, 30, spread])), n) + OFFSET + c0
        values = np.round(rng.normal(0, 3, n), 1)
        values[rng.random(n) < 0.2] = draw(VALUES)
        out.append(((rows.astype(np.int64) << 32) | cols, values))
    return out


@contextlib.contextmanager
def dense_limit(nbytes):
    saved = cells.DENSE_BYTES
    cells.DENSE_BYTES = nbytes
    try:
        yield
    finally:
        cells.DENSE_BYTES = saved


@settings(max_examples=200, deadline=None)
@given(shifted_batches(), st.sampled_from([0, 24 * 5, 24 * 200, cells.DENSE_BYTES]), st.integers(0, 6))
def test_dense_and_keyed_cell_sums_equal_the_former_merge_bit_for_bit(bs, nbytes, read_after):
    """Dense sums (growing), keyed sums, the turn from one to the other mid-stream, and the
    keys read (settled) between batches: the former merge's bits."""
    names = ["n", "v", "v2"]
    ref = ReferenceSums(names)
    with dense_limit(nbytes):
        ours = cells.CellSums(names)
        for i, (keys, v) in enumerate(bs):
            finite = np.where(np.isfinite(v), v, 0.5)
            values = {"n": np.ones(v.size), "v": finite, "v2": finite * finite}
            ours.add(keys, values)
            ref.add(keys, values)
            if i == read_after:
                assert same_bits(ours.keys, ref.keys)
    assert same_bits(ours.keys, ref.keys)
    for n in names:
        assert same_bits(ours.sums[n], ref.sums[n]), n


@settings(max_examples=100, deadline=None)
@given(shifted_batches(), st.integers(1, 9))
def test_cell_medians_of_shifted_batches_equal_one_lexsort_bit_for_bit(tmp_path_factory, bs, block):
    """The look-up table of cells (a small box) and the binary search (a wide one)."""
    folder = tmp_path_factory.mktemp("spill")
    _medians_match_the_lexsort(folder, bs, block)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 2, 255, 1 << 16, (1 << 16) + 1, 1 << 20, 1 << 32, 1 << 40]),
       st.integers(0, 3000))  # fmt: skip
def test_stable_order_is_a_stable_argsort(seed, bound, n):
    idx = np.random.default_rng(seed).integers(0, bound, n)
    assert np.array_equal(cells.stable_order(idx, bound), np.argsort(idx, kind="stable"))


@settings(max_examples=100, deadline=None)
@given(shifted_batches())
def test_cell_index_finds_every_key(bs):
    keys = np.concatenate([k for k, _ in bs])
    cell_keys = np.unique(keys)
    assert np.array_equal(cells.cell_index(cell_keys)(keys), np.searchsorted(cell_keys, keys))
