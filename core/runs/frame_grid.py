"""The common grid of ``merge_frames`` and each frame's place on it.

The output lies on the first frame's lattice (its CRS, pixel size and origin) extended to the
union of the frames, so the first frame is read as is, never resampled; only when TARGET_CRS
or RESOLUTION is given is the grid the one every other run uses (``io.grid.common_grid``:
the given CRS, the given resolution or the coarsest frame's pixel).
"""

import math
from typing import Optional

from ..conventions.errors import GridError
from ..io.grid import MAX_GRID_PIXELS, Grid, RasterInfo, common_grid, footprint

#: Tolerance (in pixels) on the union's edges landing on the lattice.
_TOL = 1e-6


def union_grid(infos: list, target_crs_wkt: str = "", resolution: float = 0.0) -> tuple:
    """(grid, each frame's footprint in the grid's CRS): the first frame's lattice extended to
    the union of the frames' footprints, or the common grid when a CRS or resolution is given
    (or the first frame is not north-up)."""
    target = target_crs_wkt or infos[0].crs_wkt
    boxes = [footprint(i, target) for i in infos]
    union = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    if target_crs_wkt or resolution or not infos[0].north_up:
        return common_grid(infos, target, resolution, extent=union), boxes
    return first_lattice(infos[0], union), boxes


def first_lattice(info: RasterInfo, union: tuple, max_pixels: int = MAX_GRID_PIXELS) -> Grid:
    """The lattice of ``info`` (north-up) extended to cover ``union`` (xmin, ymin, xmax, ymax
    in its CRS): its own pixel size (not necessarily square) and origin."""
    x0, dx, _, y0, _, dy = info.geotransform
    height = -dy
    col0 = math.floor((union[0] - x0) / dx + _TOL)
    col1 = math.ceil((union[2] - x0) / dx - _TOL)
    row0 = math.floor((y0 - union[3]) / height + _TOL)
    row1 = math.ceil((y0 - union[1]) / height - _TOL)
    width, rows = max(col1 - col0, 1), max(row1 - row0, 1)
    if width * rows > max_pixels:
        raise GridError(f"the union of the frames on the first frame's pixels would be {width} x {rows} pixels: "
                        "give a coarser RESOLUTION")  # fmt: skip
    return Grid(info.crs_wkt, (x0 + col0 * dx, dx, 0.0, y0 - row0 * height, 0.0, dy), width, rows)


def pixel_box(grid: Grid, box: tuple) -> tuple:
    """(col0, row0, col1, row1), end exclusive, of a footprint on the grid (clipped)."""
    x0, dx, _, y0, _, dy = grid.geotransform
    col0 = max(int(math.floor((box[0] - x0) / dx + _TOL)), 0)
    col1 = min(int(math.ceil((box[2] - x0) / dx - _TOL)), grid.width)
    row0 = max(int(math.floor((box[3] - y0) / dy + _TOL)), 0)
    row1 = min(int(math.ceil((box[1] - y0) / dy - _TOL)), grid.height)
    return col0, row0, col1, row1


def intersect(a: tuple, b: tuple) -> Optional[tuple]:
    """The intersection of two boxes, None when empty."""
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] < box[2] and box[1] < box[3] else None


def meets(box: tuple, win: tuple) -> bool:
    """Whether a pixel box meets a window (col, row, width, height)."""
    return intersect(box, (win[0], win[1], win[0] + win[2], win[1] + win[3])) is not None


def pairs_of(boxes: list) -> list:
    """(i, j, box) of the frames whose boxes on the grid intersect."""
    out = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            box = intersect(boxes[i], boxes[j])
            if box is not None:
                out.append((i, j, box))
    return out
