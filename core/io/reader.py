"""Read one raster band on a target grid, window by window, as float32 with NaN for nodata.

A raster already on the grid's pixel lattice is read directly (no resampling); a stack on
the grid's lattice spacing shifted by a fraction of a pixel is resampled bilinearly here;
any other raster goes through an in-memory GDAL warped VRT, so warping happens window by
window.
"""

import math
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import numpy as np
from osgeo import gdal

from ..conventions import geometry
from ..conventions.errors import ReadError  # noqa: F401 (re-exported: raised here)
from .gdal_mode import detached, quiet, raises
from .grid import Grid, GridError, lattice_offset, raster_info, window_offset
from .model import RasterGeometry, RasterRef

#: Resampling methods offered, as (name, GDAL name).
RESAMPLING_METHODS = (("nearest", "near"), ("bilinear", "bilinear"), ("cubic", "cubic"), ("average", "average"))
DEFAULT_RESAMPLING = "bilinear"
_GDAL_RESAMPLING = dict(RESAMPLING_METHODS)
#: GDAL >= 3.7 warps a warped VRT's read larger than one of its blocks directly for the window
#: asked, with an approximate transformer fitted to that window: a pixel's value then depends
#: on the window it was read in (up to 0.24 mm/yr on the demo pair with GDAL 3.10). Off, every
#: read is made of the VRT's own blocks, each warped alone, as GDAL 3.6 always does.
_WARP_BY_WINDOW = "GDAL_VRT_WARP_USE_DATASET_RASTERIO"


@contextmanager
def block_warps() -> Iterator[None]:
    """Warped VRT reads in this thread go block by block (window-independent values on every
    GDAL: the in-process windows and a Dask chunk read the same numbers); a thread-local
    GDAL option, restored after, so QGIS and other threads are untouched."""
    found = gdal.GetThreadLocalConfigOption(_WARP_BY_WINDOW, None)
    gdal.SetThreadLocalConfigOption(_WARP_BY_WINDOW, "NO")
    try:
        yield
    finally:
        gdal.SetThreadLocalConfigOption(_WARP_BY_WINDOW, found)


def _read_failure(ref, exc):
    return ReadError(f"{ref.name}: cannot read {ref.path} (damaged or truncated file?): {exc}")


def _is_float(band):
    return band.DataType in (gdal.GDT_Float32, gdal.GDT_Float64)


def warped_vrt(ds: gdal.Dataset, bands: list, grid: Grid, resampling: str) -> gdal.Dataset:
    """An in-memory warped VRT of ``bands`` of ``ds`` on ``grid``, float32 with NaN for
    nodata: warping then happens window by window, all bands of a window in one pass (one
    coordinate transformation for every band of a time series)."""
    src = ds
    if list(bands) != list(range(1, ds.RasterCount + 1)):
        src = gdal.Translate("", ds, format="VRT", bandList=list(bands))
    nodata = []
    for b in bands:
        band = ds.GetRasterBand(b)
        value = band.GetNoDataValue()
        nodata.append(repr(float(value)) if value is not None else ("nan" if _is_float(band) else None))
    src_nodata = None if all(v is None for v in nodata) else " ".join(v or "nan" for v in nodata)
    return gdal.Warp(
        "",
        src,
        format="VRT",
        dstSRS=grid.crs_wkt,
        outputBounds=grid.bounds,
        width=grid.width,
        height=grid.height,
        resampleAlg=_GDAL_RESAMPLING[resampling],
        outputType=gdal.GDT_Float32,
        srcNodata=src_nodata,
        dstNodata="nan",
        # each band's nodata masks that band only, whatever gdal.Warp's default for several bands
        warpOptions=["UNIFIED_SRC_NODATA=NO"],
    )


class GridReader:
    """Delivers windows of ``ref`` resampled onto ``grid``."""

    @raises
    def __init__(self, ref: RasterRef, grid: Grid, resampling: str = DEFAULT_RESAMPLING):
        if resampling not in _GDAL_RESAMPLING:
            raise ValueError(f"unknown resampling method {resampling!r}")
        self.ref = ref
        self.grid = grid
        info = raster_info(ref.path, ref.name)
        if not 1 <= ref.band <= info.band_count:
            raise GridError(f"{ref.name}: has no band {ref.band} (it has {info.band_count})")
        self._ds = gdal.Open(ref.path)
        band = self._ds.GetRasterBand(ref.band)
        self._nodata = band.GetNoDataValue()
        self._offset = window_offset(info, grid)
        self.warped = self._offset is None
        self._vrt = None
        if self.warped:
            self._vrt = warped_vrt(self._ds, [ref.band], grid, resampling)
            self._band = self._vrt.GetRasterBand(1)
            self._use_mask = False
        else:
            self._band = band
            flags = band.GetMaskFlags()
            self._use_mask = not (flags & (gdal.GMF_ALL_VALID | gdal.GMF_NODATA))
            self._size = (info.width, info.height)
        # A tiled input's blocks (and a warped VRT's) belong to few windows: they are dropped
        # after every window. Strips span the whole width: they are kept until the last
        # window of their row band, so that no strip is read twice.
        self._drop_each_window = band.GetBlockSize()[0] < info.width

    @raises
    def read(self, col: int, row: int, ncols: int, nrows: int) -> np.ndarray:
        """Window of the grid as float32, NaN where there is no data."""
        try:
            with quiet():
                out = self._read(col, row, ncols, nrows)
            if self._drop_each_window or col + ncols >= self.grid.width:
                self._drop_blocks()
        except RuntimeError as exc:
            raise _read_failure(self.ref, detached(exc)) from None
        if out is None:
            raise _read_failure(self.ref, gdal.GetLastErrorMsg() or "no data returned")
        if self.ref.scale != 1.0:
            out *= np.float32(self.ref.scale)
        return out

    def _drop_blocks(self):
        # Windows go row band by row band: released blocks are not needed again. This keeps
        # memory bounded without changing GDAL's process-wide cache size.
        for ds in (self._vrt, self._ds):
            if ds is not None:
                ds.FlushCache()

    def _read(self, col, row, ncols, nrows):
        if self.warped:
            with block_warps():
                out = self._band.ReadAsArray(col, row, ncols, nrows, buf_type=gdal.GDT_Float32)
        else:
            out = np.full((nrows, ncols), np.nan, dtype=np.float32)
            c0, r0 = col + self._offset[0], row + self._offset[1]
            w, h = self._size
            x0, y0 = max(c0, 0), max(r0, 0)
            x1, y1 = min(c0 + ncols, w), min(r0 + nrows, h)
            if x1 > x0 and y1 > y0:
                part = self._band.ReadAsArray(x0, y0, x1 - x0, y1 - y0, buf_type=gdal.GDT_Float32)
                if self._nodata is not None and not np.isnan(self._nodata):
                    part[part == np.float32(self._nodata)] = np.nan
                if self._use_mask:
                    mask = self._band.GetMaskBand().ReadAsArray(x0, y0, x1 - x0, y1 - y0)
                    part[mask == 0] = np.nan
                out[y0 - r0 : y1 - r0, x0 - c0 : x1 - c0] = part
        return out

    def close(self) -> None:
        self._band = None
        self._vrt = None
        self._ds = None


class StackReader:
    """Windows of several bands of one raster (a time series) on ``grid``, as (bands, rows,
    columns) float32 with NaN for nodata, scaled by ``scale``.

    Every band of a window is read in one call on one dataset: GDAL then reads each block
    once, whether the file interleaves by pixel (every band of a tile together, the GeoTIFF
    default) or by band. Blocks are dropped after each window (strips at the end of their
    row band), so memory stays one window of blocks.

    Off the grid's lattice: a raster with the grid's CRS and pixel size shifted by a
    fraction of a pixel (two geocoded tracks with different origins) is resampled
    bilinearly here, every band at once, each pixel from the valid ones among its four
    neighbours, weighted (nodata when none is): four times faster than GDAL's warper. Any
    other raster, or another resampling, goes through one GDAL warped VRT of all the bands
    (a VRT per band cost twenty times more), each band masked by its own nodata."""

    @raises
    def __init__(self, path: str, bands: list, grid: Grid, resampling: str = DEFAULT_RESAMPLING,
                 scale: float = 1.0, label: str = ""):  # fmt: skip
        if resampling not in _GDAL_RESAMPLING:
            raise ValueError(f"unknown resampling method {resampling!r}")
        self.ref = RasterRef(path, bands[0], label or path, scale)
        self.bands, self.grid = list(bands), grid
        info = raster_info(path, self.ref.name)
        missing = [b for b in self.bands if not 1 <= b <= info.band_count]
        if missing:
            raise GridError(f"{self.ref.name}: has no band {missing[0]} (it has {info.band_count})")
        self._ds = gdal.Open(path)
        self._vrt, self._shift = None, None
        self._nodata = [self._ds.GetRasterBand(b).GetNoDataValue() for b in bands]
        self._size = (info.width, info.height)
        self._drop_each_window = self._ds.GetRasterBand(bands[0]).GetBlockSize()[0] < info.width
        self._offset = window_offset(info, grid)
        if self._offset is not None:
            return
        lattice = lattice_offset(info, grid)
        if lattice is not None and resampling == "bilinear":
            self._offset = tuple(math.floor(c) for c in lattice)
            self._shift = tuple(c - w for c, w in zip(lattice, self._offset))
        else:
            self._vrt = warped_vrt(self._ds, self.bands, grid, resampling)
            self._drop_each_window = True

    @raises
    def read(self, col: int, row: int, ncols: int, nrows: int) -> np.ndarray:
        extra = 1 if self._shift is not None else 0  # the neighbours right of and below the last pixel
        try:
            with quiet():
                if self._vrt is not None:
                    out = self._warped(col, row, ncols, nrows)
                else:
                    out = self._rect(col + self._offset[0], row + self._offset[1], ncols + extra, nrows + extra)
                if self._drop_each_window or col + ncols >= self.grid.width:
                    for ds in (self._vrt, self._ds):
                        if ds is not None:
                            ds.FlushCache()
        except RuntimeError as exc:
            raise _read_failure(self.ref, detached(exc)) from None
        if self._shift is not None:
            out = _bilinear(out, *self._shift)
            self._blank_off_raster(out, col, row)
        if self.ref.scale != 1.0:
            out *= np.float32(self.ref.scale)
        return out

    def _blank_off_raster(self, out, col, row):
        """As GDAL's warper does: a pixel whose centre is off the raster is nodata, even
        with a valid neighbour."""
        for k, axis, start in ((0, 2, col), (1, 1, row)):  # x along columns, y along rows
            centre = start + np.arange(out.shape[axis]) + self._offset[k] + self._shift[k] + 0.5
            off = (centre < 0) | (centre >= self._size[k])
            if off.any():
                index = [slice(None)] * 3
                index[axis] = off
                out[tuple(index)] = np.nan

    def _warped(self, col, row, ncols, nrows):
        with block_warps():
            out = self._vrt.ReadAsArray(col, row, ncols, nrows, buf_type=gdal.GDT_Float32)
        if out is None:
            raise RuntimeError(gdal.GetLastErrorMsg() or "no data returned")
        return out.reshape(len(self.bands), nrows, ncols)

    def _rect(self, c0, r0, ncols, nrows):
        """Source pixels [c0, c0 + ncols) x [r0, r0 + nrows), NaN outside the raster."""
        out = np.full((len(self.bands), nrows, ncols), np.nan, dtype=np.float32)
        x0, y0 = max(c0, 0), max(r0, 0)
        x1, y1 = min(c0 + ncols, self._size[0]), min(r0 + nrows, self._size[1])
        if x1 > x0 and y1 > y0:
            part = self._ds.ReadAsArray(x0, y0, x1 - x0, y1 - y0, band_list=self.bands, buf_type=gdal.GDT_Float32)
            part = part.reshape(len(self.bands), y1 - y0, x1 - x0)
            for k, nodata in enumerate(self._nodata):
                if nodata is not None and not np.isnan(nodata):
                    part[k][part[k] == np.float32(nodata)] = np.nan
            out[:, y0 - r0 : y1 - r0, x0 - c0 : x1 - c0] = part
        return out

    def close(self) -> None:
        self._vrt = None
        self._ds = None


def _bilinear(source: np.ndarray, fx: float, fy: float) -> np.ndarray:
    """(bands, rows, cols) from (bands, rows + 1, cols + 1): each pixel at (fx, fy) of the
    way to its right and lower neighbours, from the valid ones among the four, weighted."""
    weights = ((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
    corners = (source[:, :-1, :-1], source[:, :-1, 1:], source[:, 1:, :-1], source[:, 1:, 1:])
    if np.isfinite(source).all():  # most blocks: no weight to renormalise
        total = corners[0] * np.float32(weights[0])
        for w, corner in zip(weights[1:], corners[1:]):
            if w != 0:
                total += corner * np.float32(w)
        return total
    total = np.zeros(corners[0].shape, dtype=np.float32)
    weight = np.zeros(corners[0].shape, dtype=np.float32)
    for w, corner in zip(weights, corners):
        if w == 0:
            continue
        valid = np.isfinite(corner)
        total += np.where(valid, corner, 0) * np.float32(w)
        weight += valid * np.float32(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / weight, np.nan).astype(np.float32, copy=False)


@raises
def has_valid_data(ref: RasterRef, samples: int = 8, sample_size: int = 64, rows_per_read: int = 256) -> bool:
    """True when the band holds at least one valid (finite, not nodata) value.

    A few small windows spread over the raster answer for almost every raster at the cost
    of a few blocks; only a raster that looks empty there is scanned in full, row block by
    row block."""
    ds = gdal.Open(ref.path)
    band = ds.GetRasterBand(ref.band)
    nodata = band.GetNoDataValue()

    def any_valid(a):
        ok = np.isfinite(a)
        if nodata is not None and not np.isnan(nodata):
            ok &= a != np.float64(nodata)
        return bool(ok.any())

    w, h = ds.RasterXSize, ds.RasterYSize
    sw, sh = min(w, sample_size), min(h, sample_size)
    for i in range(samples):
        f = (i + 0.5) / samples
        col, row = int(f * (w - sw)), int(f * (h - sh))
        if any_valid(band.ReadAsArray(col, row, sw, sh, buf_type=gdal.GDT_Float64)):
            return True
    for row in range(0, h, rows_per_read):
        n = min(rows_per_read, h - row)
        if any_valid(band.ReadAsArray(0, row, w, n, buf_type=gdal.GDT_Float64)):
            return True
    return False


@raises
def sample(ref: RasterRef, size: int = 256) -> np.ndarray:
    """A decimated read (at most ``size`` x ``size``) of the band, nodata as NaN, scaled:
    enough for summary figures in the log."""
    ds = gdal.Open(ref.path)
    band = ds.GetRasterBand(ref.band)
    bx, by = min(ds.RasterXSize, size), min(ds.RasterYSize, size)
    a = band.ReadAsArray(buf_xsize=bx, buf_ysize=by, buf_type=gdal.GDT_Float64)
    nodata = band.GetNoDataValue()
    if nodata is not None and not np.isnan(nodata):
        a[a == nodata] = np.nan
    return a * ref.scale


class GeometryReader:
    """A track's ground-to-satellite unit vector window by window: the constant itself, or
    computed from its convention's rasters, read on the grid by readers from
    ``open_reader(ref)`` (which the caller keeps, to close them)."""

    def __init__(self, geom: object, open_reader: Callable, open_stack: Optional[Callable] = None):
        self.geometry = geom
        self._values, self._stack = None, None
        if not isinstance(geom, RasterGeometry):
            return
        refs = [c for c in geom.components if isinstance(c, RasterRef)]
        if open_stack is not None and len(refs) > 1 and len({(r.path, r.scale) for r in refs}) == 1:
            # bands of one file (a stack's INSAR_ROLE bands): one dataset reads them together, so
            # each block of a pixel-interleaved file is read once, not once per component
            self._stack = open_stack(refs[0], [r.band for r in refs])
        self._values = [open_reader(c) if isinstance(c, RasterRef) and self._stack is None else c
                        for c in geom.components]  # fmt: skip

    def read(self, col: int, row: int, ncols: int, nrows: int) -> tuple:
        g = self.geometry
        if self._values is None:
            return (g.s_east, g.s_north, g.s_up)
        if self._stack is not None:
            bands = iter(self._stack.read(col, row, ncols, nrows))
            values = [next(bands) if isinstance(v, RasterRef) else v for v in self._values]
        else:
            values = [v.read(col, row, ncols, nrows) if isinstance(v, GridReader) else v for v in self._values]
        return geometry.unit_vector(g.convention, *values)


@raises
def sampled_unit_vector(geom: RasterGeometry, size: int = 256) -> tuple:
    """The unit vector of per-pixel geometry on a decimated read of its rasters (at most
    ``size`` x ``size``, nodata as NaN): enough for summaries in the log and the dialog."""
    values = [sample(c, size) if isinstance(c, RasterRef) else c for c in geom.components]
    return geometry.unit_vector(geom.convention, *values)
