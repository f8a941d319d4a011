"""Dated stacks are written in blocks of writer.STACK_TILE (a click of the time-series
inspector reads one block of every band: issue 31's latency), every other output in blocks
of writer.TILE; the engines' windows stay aligned to both (bench/bench_inspector.py,
docs/performance.md)."""

import numpy as np
import pytest
from osgeo import gdal, osr

from insar_decomposition.core.io.grid import Grid
from insar_decomposition.core.io.writer import STACK_TILE, TILE, AtomicCopy, AtomicGeoTiff, BandSpec, creation_options
from insar_decomposition.core.runs.lifecycle import windows

gdal.UseExceptions()


def _grid(width=300, height=200):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    return Grid(srs.ExportToWkt(), (500000.0, 20.0, 0.0, 4000000.0, 0.0, -20.0), width, height)


def _dated(n):
    return [BandSpec(f"2020010{k + 1}", "mm", {"INSAR_DATE": f"2020010{k + 1}"}) for k in range(n)]


def _written(path, bands):
    out = AtomicGeoTiff(str(path), _grid(), bands)
    for i in range(1, len(bands) + 1):
        out.write(i, np.full((200, 300), float(i), np.float32), 0, 0)
    out.commit()
    ds = gdal.Open(str(path))
    return [ds.GetRasterBand(i).GetBlockSize() for i in range(1, ds.RasterCount + 1)], ds


def test_the_chosen_blocks_are_smaller_than_the_window_unit_and_divide_it():
    assert STACK_TILE < TILE and TILE % STACK_TILE == 0
    assert f"BLOCKXSIZE={STACK_TILE}" in creation_options("zstd", stack=True)
    assert f"BLOCKXSIZE={TILE}" in creation_options("deflate")
    assert "INTERLEAVE=BAND" in creation_options("none", stack=True)


@pytest.mark.parametrize(
    "bands, block",
    [
        (_dated(5), STACK_TILE),  # a dated stack (decomposed series, imports, merges, models)
        (_dated(3) + [BandSpec("LOS unit vector east", "", {"INSAR_ROLE": "los_east"})], STACK_TILE),
        (_dated(1), TILE),  # one dated band: a single epoch
        ([BandSpec("Vertical (up) velocity", "mm/year")], TILE),
        ([BandSpec("velocity", "mm/year"), BandSpec("sigma", "mm/year"), BandSpec("count")], TILE),
    ],
)
def test_dated_stacks_get_stack_blocks_and_everything_else_tiles(tmp_path, bands, block):
    blocks, ds = _written(tmp_path / "out.tif", bands)
    assert blocks == [[block, block]] * len(bands)
    assert ds.GetMetadata("IMAGE_STRUCTURE")["INTERLEAVE"] == "BAND"
    for i in range(1, len(bands) + 1):  # the values written through the engines' windows
        assert np.all(ds.GetRasterBand(i).ReadAsArray() == i)


def test_a_copy_keeps_the_layout_of_what_it_copies(tmp_path):
    for name, bands, block in (("stack", _dated(4), STACK_TILE), ("single", _dated(1), TILE)):
        _, src = _written(tmp_path / f"{name}.tif", bands)
        copy = AtomicCopy(str(tmp_path / f"{name}_copy.tif"), src)
        copy.commit()
        assert gdal.Open(str(tmp_path / f"{name}_copy.tif")).GetRasterBand(1).GetBlockSize() == [block, block]


@pytest.mark.parametrize("width, height, block_pixels", [(300, 200, 1 << 16), (1000, 700, 1 << 19), (70, 900, 1 << 12)])
def test_engine_windows_start_on_block_edges_of_both_layouts(width, height, block_pixels):
    wins = list(windows(_grid(width, height), block_pixels))
    covered = np.zeros((height, width), int)
    for col, row, w, h in wins:
        assert col % TILE == 0 and row % TILE == 0  # so also multiples of STACK_TILE
        assert (w % STACK_TILE == 0 or col + w == width) and (h % STACK_TILE == 0 or row + h == height)
        covered[row : row + h, col : col + w] += 1
    assert np.all(covered == 1)
