"""A warped input's values do not depend on the window it is read in: GDAL >= 3.7 warps a
warped VRT's read larger than one of its blocks (or of the whole image) directly for the window
asked, with an approximate transformer fitted to that window, so the in-process windows and a
Dask chunk read different numbers (0.24 mm/yr apart on the demo pair with GDAL 3.10). The
readers make every warped read block by block, as GDAL 3.6 always does (reader.block_warps)."""

import numpy as np
import pytest
from osgeo import gdal

from insar_decomposition.core.io import reader as reader_module
from insar_decomposition.core.io.grid import common_grid, raster_info
from insar_decomposition.core.io.model import RasterRef
from insar_decomposition.core.io.reader import GridReader, StackReader
from insar_decomposition.core.runs.lifecycle import windows

OPTION = "GDAL_VRT_WARP_USE_DATASET_RASTERIO"


@pytest.fixture(scope="module")
def warped(tmp_path_factory):
    import synthetic_scene

    paths = synthetic_scene.make_scene(str(tmp_path_factory.mktemp("scene")))
    infos = [raster_info(paths["asc"]), raster_info(paths["desc"])]
    return paths["desc"], {"whole": common_grid(infos), "fine": common_grid(infos, resolution=30.0)}


def read_in(reader, grid, wins):
    out = np.full((grid.height, grid.width), np.nan, dtype=np.float32)
    for col, row, ncols, nrows in wins:
        block = np.asarray(reader.read(col, row, ncols, nrows))
        out[row : row + nrows, col : col + ncols] = block.reshape(nrows, ncols)
    return out


def chunks(grid, size):
    return [(c, r, min(size, grid.width - c), min(size, grid.height - r))
            for r in range(0, grid.height, size) for c in range(0, grid.width, size)]  # fmt: skip


@pytest.mark.parametrize("which", ["whole", "fine"])
@pytest.mark.parametrize("kind", ["grid", "stack"])
def test_a_warped_read_is_the_same_in_the_engines_windows_and_in_small_chunks(warped, which, kind):
    path, grids = warped
    grid = grids[which]
    engine_windows = list(windows(grid, 1 << 20))
    assert engine_windows[0][2] > 128 and engine_windows[0][3] > 128  # larger than a VRT block: GDAL's direct path
    reader = GridReader(RasterRef(path), grid) if kind == "grid" else StackReader(path, [1], grid)
    assert reader.warped if kind == "grid" else reader._vrt is not None
    a = read_in(reader, grid, engine_windows)
    b = read_in(reader, grid, chunks(grid, 64))
    assert np.isfinite(a).mean() > 0.5
    assert np.array_equal(a, b, equal_nan=True)


class Spy:
    """A GDAL band or dataset whose reads note the GDAL option in force."""

    def __init__(self, real, seen):
        self.real, self.seen = real, seen

    def ReadAsArray(self, *args, **kwargs):  # noqa: N802 (GDAL's name)
        self.seen.append(gdal.GetConfigOption(OPTION))
        return self.real.ReadAsArray(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("kind", ["grid", "stack"])
def test_warped_reads_go_block_by_block_on_every_gdal_and_the_option_is_restored(warped, kind):
    path, grids = warped
    grid = grids["fine"]
    seen = []
    if kind == "grid":
        reader = GridReader(RasterRef(path), grid)
        reader._band = Spy(reader._band, seen)
    else:
        reader = StackReader(path, [1], grid)
        reader._vrt = Spy(reader._vrt, seen)
    reader.read(0, 0, grid.width, 256)
    assert seen == ["NO"]
    assert gdal.GetConfigOption(OPTION) is None


def test_block_warps_restores_an_option_set_before(warped):
    gdal.SetThreadLocalConfigOption(OPTION, "YES")
    try:
        with reader_module.block_warps():
            assert gdal.GetConfigOption(OPTION) == "NO"
        assert gdal.GetConfigOption(OPTION) == "YES"
    finally:
        gdal.SetThreadLocalConfigOption(OPTION, None)
