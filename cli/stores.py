"""Outputs of the command line: cloud-optimised GeoTIFFs (single epochs) and Zarr v2 /
NetCDF-CF stores (time series), each appearing under its final name only when complete.

- A COG is made by GDAL's COG driver from a complete GeoTIFF (the core's, in process) or
  from a VRT mosaic of the tiles the Dask workers wrote (one small GeoTIFF per chunk, in a
  hidden folder beside the output: no two processes ever write one file).
- A store is written under a hidden temporary name beside its final path and renamed into
  place once every chunk is written (an atomic rename on one file system): a failure, a
  cancel or a lost worker leaves no store that looks complete.

GDAL only, except :func:`series_dataset` and :func:`empty_store` (xarray, zarr, netCDF4,
imported there: the Dask path's extra)."""

import contextlib
import os
import shutil
import uuid
from typing import Iterable, Optional

import numpy as np
from osgeo import gdal

from ..core.io.gdal_mode import raises
from ..core.io.writer import BandSpec, describe

#: Creation options of every COG written: float32 as the core writes it, lossless.
COG_OPTIONS = ("COMPRESS=ZSTD", "LEVEL=1", "PREDICTOR=YES", "BLOCKSIZE=512", "BIGTIFF=IF_SAFER",
               "NUM_THREADS=ALL_CPUS", "OVERVIEWS=NONE")  # fmt: skip
#: Creation options of the workers' temporary tiles: uncompressed strips (no padding of small
#: chunks to a tile). They live only until the
#: mosaic is copied into the (compressed) COG; GDAL's default ZSTD level took 1.4 s per 2-band
#: 1024 x 1024 tile here against 0.02 s raw, the largest cost of a chunk (bench/bench_library.py).
TILE_OPTIONS = ("COMPRESS=NONE", "BIGTIFF=IF_SAFER")
#: Time-series formats by extension.
SERIES_FORMATS = {".zarr": "zarr", ".nc": "netcdf"}


def hidden_sibling(path: str, suffix: str) -> str:
    """A unique hidden name beside ``path`` (same folder: the final rename is atomic)."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.{suffix}")


def remove(path: Optional[str]) -> None:
    """Remove a file or a folder if it exists; never raises."""
    if not path:
        return
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
        return
    for p in (path, path + ".aux.xml"):
        try:
            os.remove(p)
        except OSError:
            pass


def replace(tmp: str, final: str) -> None:
    """Rename ``tmp`` to ``final``; a folder already at ``final`` (an older store) is
    removed first, only once the new one is complete."""
    if os.path.isdir(final) and not os.path.islink(final):
        old = hidden_sibling(final, "old")
        os.replace(final, old)
        os.replace(tmp, final)
        remove(old)
    else:
        os.replace(tmp, final)


class Placement(list):
    """Outputs made complete under hidden names, (tmp, final) pairs, renamed into place
    together by :func:`placed_together`: a run with several outputs leaves all or none."""

    def place(self, tmp: str, final: str) -> str:
        self.append((tmp, final))
        return final


@contextlib.contextmanager
def placed_together() -> Iterable[Placement]:
    """Within the block, :func:`to_cog`, :func:`tiles_to_cog` and :func:`finish_store`
    given the yielded placement keep their outputs under hidden names; when the block ends
    without an error they are renamed into place one after the other, else all removed."""
    pending = Placement()
    try:
        yield pending
    except BaseException:
        for tmp, _ in pending:
            remove(tmp)
        raise
    for tmp, final in pending:
        replace(tmp, final)


def _place(tmp: str, final: str, placement: Optional[Placement]) -> str:
    if placement is None:
        replace(tmp, final)
        return final
    return placement.place(tmp, final)


@raises
def to_cog(src, path: str, placement: Optional[Placement] = None) -> str:
    """``src`` (a path or an open dataset) copied as a COG to ``path``, atomically (or kept
    under a hidden name in ``placement`` until its block ends)."""
    tmp = hidden_sibling(path, "partial.tif")
    try:
        out = gdal.Translate(tmp, src, format="COG", creationOptions=list(COG_OPTIONS))
        if out is None:
            raise RuntimeError(gdal.GetLastErrorMsg() or "the COG driver failed")
        out = None
        return _place(tmp, path, placement)
    except BaseException:
        remove(tmp)
        raise


@raises
def geotiff_to_cog(path: str) -> str:
    """A complete GeoTIFF (the core's output) rewritten as a COG in its place: the file at
    ``path`` is always a complete raster, the GeoTIFF until the COG replaces it."""
    return to_cog(path, path)


def is_cog(path: str) -> bool:
    """Whether GDAL says ``path`` has the COG layout."""
    ds = gdal.Open(path)
    return ds is not None and (ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") or "") == "COG"


# --- tiles written by the workers, mosaicked into one COG ---------------------------------


@raises
def write_tile(folder: str, grid, col: int, row: int, block: np.ndarray) -> str:
    """One chunk (bands, rows, cols) as a small GeoTIFF placed on ``grid`` at (col, row)."""
    nb, nrows, ncols = block.shape
    gt = grid.geotransform
    path = os.path.join(folder, f"tile_{row}_{col}.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, ncols, nrows, nb, gdal.GDT_Float32, list(TILE_OPTIONS))
    ds.SetGeoTransform((gt[0] + col * gt[1], gt[1], 0.0, gt[3] + row * gt[5], 0.0, gt[5]))
    ds.SetProjection(grid.crs_wkt)
    for i in range(nb):
        band = ds.GetRasterBand(i + 1)
        band.SetNoDataValue(float("nan"))
        band.WriteArray(np.ascontiguousarray(block[i], dtype=np.float32))
    ds = None
    return path


@raises
def tiles_to_cog(tiles: Iterable[str], grid, bands: list, metadata: dict, path: str,
                 placement: Optional[Placement] = None) -> str:  # fmt: skip
    """The tiles mosaicked on ``grid`` (a VRT: nothing is read into Python), with the
    core's band descriptions, units and metadata, copied as one COG to ``path``."""
    tiles = sorted(tiles)
    vrt_path = hidden_sibling(path, "vrt")
    try:
        xmin, ymin, xmax, ymax = grid.bounds
        vrt = gdal.BuildVRT(vrt_path, tiles, outputBounds=(xmin, ymin, xmax, ymax), xRes=grid.pixel_size[0],
                            yRes=grid.pixel_size[1], srcNodata="nan", VRTNodata="nan")  # fmt: skip
        describe(vrt, bands, metadata)
        vrt.FlushCache()
        to_cog(vrt, path, placement)
        vrt = None
    finally:
        remove(vrt_path)
    return path


# --- time-series stores (xarray) ----------------------------------------------------------


def series_format(path: str) -> str:
    """'zarr' or 'netcdf' from the extension; anything else is refused by name."""
    ext = os.path.splitext(path.rstrip("/"))[1].lower()
    if ext not in SERIES_FORMATS:
        raise ValueError(f"{path}: a time-series output must end in .zarr (Zarr v2) or .nc (NetCDF-CF)")
    return SERIES_FORMATS[ext]


def series_dataset(name: str, data, dates: list, grid, bands: list, metadata: dict):
    """An xarray Dataset of one variable ``name`` (time, y, x) on ``grid``: a CF time
    coordinate, x/y pixel-centre coordinates and a CF grid mapping (``spatial_ref``, with
    the CRS as WKT and the GeoTransform GDAL reads)."""
    import xarray as xr

    gt = grid.geotransform
    x = gt[0] + (np.arange(grid.width) + 0.5) * gt[1]
    y = gt[3] + (np.arange(grid.height) + 0.5) * gt[5]
    time = np.array([np.datetime64(d.isoformat(), "ns") for d in dates])
    spec: BandSpec = bands[0]
    attrs = {"units": spec.unit or "", "long_name": spec.metadata.get("QUANTITY", spec.description),
             "grid_mapping": "spatial_ref"}  # fmt: skip
    attrs.update({k: v for k, v in spec.metadata.items() if k not in ("INSAR_DATE", "QUANTITY")})
    var = xr.DataArray(data, dims=("time", "y", "x"), coords={"time": time, "y": y, "x": x}, attrs=attrs, name=name)
    crs = xr.DataArray(0, attrs=_grid_mapping(grid))
    ds = xr.Dataset({name: var, "spatial_ref": crs}, attrs={k: str(v) for k, v in metadata.items()})
    ds["x"].attrs.update(standard_name="projection_x_coordinate", axis="X")
    ds["y"].attrs.update(standard_name="projection_y_coordinate", axis="Y")
    ds["time"].attrs.update(standard_name="time", axis="T")
    ds.attrs["Conventions"] = "CF-1.8"
    return ds


def _grid_mapping(grid) -> dict:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromWkt(grid.crs_wkt)
    attrs = {"crs_wkt": grid.crs_wkt, "spatial_ref": grid.crs_wkt,
             "GeoTransform": " ".join(repr(float(v)) for v in grid.geotransform)}  # fmt: skip
    name = srs.GetAttrValue("PROJECTION")
    attrs["grid_mapping_name"] = "latitude_longitude" if srs.IsGeographic() else (name or "unknown").lower()
    return attrs


def empty_store(ds, path: str, lock_name: Optional[str] = None):
    """(a ``dask.array.store`` target for ``ds``'s one variable, the store's path): a hidden
    temporary store beside ``path`` with everything but the variable's chunks written (its
    metadata, coordinates and grid mapping, by xarray); the chunks are then stored in it by
    ``dask.array.store`` and :func:`finish_store` renames it into place.

    No xarray Delayed: dask copies the whole upstream graph under new keys into every Delayed
    made from an array, so each chunk was solved once per store and once more for the count.
    A NetCDF file has one writer at a time: ``lock_name`` names a ``distributed.Lock`` held
    around each chunk's write (None: the chunks are written one after another)."""
    tmp = hidden_sibling(path, "partial" + os.path.splitext(path.rstrip("/"))[1])
    try:
        if series_format(path) == "zarr":
            return _empty_zarr(ds, tmp), tmp
        return _empty_netcdf(ds, tmp, lock_name), tmp
    except BaseException:
        remove(tmp)
        raise


def _empty_zarr(ds, tmp):
    import dask.array as da
    import zarr

    name = next(iter(ds.data_vars))
    var = ds[name]
    ds = ds.copy()
    ds[name] = var.copy(data=da.empty(var.shape, chunks=var.chunks or -1, dtype=var.dtype))  # never computed
    ds[name].attrs["_CRS"] = {"wkt": ds["spatial_ref"].attrs["crs_wkt"]}  # read by GDAL's Zarr driver (3.6)
    encoding = {name: {"chunks": tuple(c[0] for c in ds[name].chunks)}}
    ds.to_zarr(tmp, mode="w", compute=False, consolidated=False, zarr_format=2, encoding=encoding)
    return zarr.open_array(tmp, path=name, mode="r+", zarr_format=2)


def _empty_netcdf(ds, tmp, lock_name):
    import netCDF4

    name = next(iter(ds.data_vars))
    var = ds[name]
    ds.drop_vars(name).to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
    chunks = tuple(c[0] for c in var.chunks) if var.chunks else None
    with netCDF4.Dataset(tmp, "a") as nc:
        out = nc.createVariable(name, "f4", var.dims, zlib=True, complevel=1, chunksizes=chunks,
                                fill_value=np.float32("nan"))  # fmt: skip
        out.setncatts(dict(var.attrs))
    return NetCDFChunks(tmp, name, lock_name)


class NetCDFChunks:
    """A ``dask.array.store`` target: each chunk written into variable ``name`` of the NetCDF
    file ``path``, opened for that chunk only (any process), under the cluster-wide lock
    ``lock_name`` when given."""

    def __init__(self, path: str, name: str, lock_name: Optional[str] = None):
        self.path, self.name, self.lock_name = path, name, lock_name

    def __setitem__(self, key, block):
        import netCDF4

        with self._lock():
            with netCDF4.Dataset(self.path, "a") as nc:
                nc[self.name][key] = np.asarray(block, dtype=np.float32)

    def _lock(self):
        if self.lock_name is None:
            return contextlib.nullcontext()
        from distributed import Lock

        return Lock(self.lock_name)


def finish_store(tmp: str, path: str, placement: Optional[Placement] = None) -> str:
    """The complete temporary store renamed to ``path`` (a Zarr store's metadata consolidated
    first, as xarray and GDAL read it), or kept in ``placement`` until its block ends."""
    if series_format(path) == "zarr":
        import zarr

        zarr.consolidate_metadata(tmp, zarr_format=2)
    return _place(tmp, path, placement)
