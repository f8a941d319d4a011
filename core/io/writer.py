"""Float32 GeoTIFF outputs written under a temporary name and renamed when complete."""

import errno
import os
import shutil
import uuid
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import gdal

from ..conventions.errors import OutputError  # noqa: F401 (re-exported: raised here)
from ..conventions.schema import TAG_DATE
from .gdal_mode import closing_quietly, detached, quiet, raises

TILE = 256
#: Block side of a dated stack (a raster of more than one dated band: decomposed east/up
#: series and their sigmas, imported and merged stacks, modelled series and residuals). A
#: click of the time-series inspector reads the block under it in every band: 128 x 128 keeps
#: that 13 MB for 200 dates where 256 x 256 was 52 MB, and full reads and writes cost the
#: same (64 x 64: 1.6 times the writing; bench/bench_inspector.py,
#: docs/performance.md). It divides :data:`TILE`, so the engines' windows (multiples of
#: TILE, core/runs/lifecycle.windows) stay aligned to the blocks of every output.
STACK_TILE = 128
# band interleaved: a band of a time series is read (or shown) without reading all the others
_TILING = ("TILED=YES", "BIGTIFF=IF_SAFER", "NUM_THREADS=ALL_CPUS", "INTERLEAVE=BAND")
BASE_OPTIONS = _TILING + (f"BLOCKXSIZE={TILE}", f"BLOCKYSIZE={TILE}")
STACK_OPTIONS = _TILING + (f"BLOCKXSIZE={STACK_TILE}", f"BLOCKYSIZE={STACK_TILE}")
#: Lossless compression choices, as (name, label, creation options).
COMPRESSIONS = (
    ("zstd", "ZSTD: fast, lossless (GDAL 2.3 or later, QGIS 3.4 or later)", ("COMPRESS=ZSTD", "ZSTD_LEVEL=1")),
    (
        "deflate",
        "DEFLATE with floating-point predictor: smallest, readable by any GeoTIFF reader",
        ("COMPRESS=DEFLATE", "PREDICTOR=3", "ZLEVEL=1"),
    ),
    ("none", "None: fastest, largest files", ("COMPRESS=NONE",)),
)
DEFAULT_COMPRESSION = "zstd"


def creation_options(compression: str = DEFAULT_COMPRESSION, stack: bool = False) -> list:
    """GeoTIFF creation options: blocks of :data:`STACK_TILE` for a dated ``stack``, else
    :data:`TILE`."""
    for name, _, options in COMPRESSIONS:
        if name == compression:
            return list((STACK_OPTIONS if stack else BASE_OPTIONS) + options)
    raise ValueError(f"unknown compression {compression!r}")


def is_stack(dated_bands: int) -> bool:
    """A raster with this many dated bands is written as a stack (:data:`STACK_TILE`)."""
    return dated_bands > 1


def _dated_specs(bands) -> int:
    return sum(1 for spec in bands if TAG_DATE in (spec.metadata or {}))


def _dated_bands(ds: gdal.Dataset) -> int:
    return sum(1 for i in range(1, ds.RasterCount + 1) if ds.GetRasterBand(i).GetMetadataItem(TAG_DATE))


#: Free bytes under which a failed write is reported as a full disk.
_FULL_DISK_BYTES = 4 * 1024 * 1024


def write_failure(path: str, exc: BaseException) -> str:
    """One sentence for a failed write of ``path``: a full disk is named as such."""
    folder = os.path.dirname(os.path.abspath(path))
    full = getattr(exc, "errno", None) == errno.ENOSPC
    try:
        full = full or shutil.disk_usage(folder).free < _FULL_DISK_BYTES
    except OSError:
        pass
    if full:
        return f"cannot write {path}: the disk is full ({folder})"
    if not os.path.isdir(folder):
        return f"cannot write {path}: its folder {folder} no longer exists"
    return f"cannot write {path}: {exc}"


@dataclass
class BandSpec:
    """One output band: description, unit and band metadata items."""

    description: str
    unit: str = ""
    metadata: dict = field(default_factory=dict)


def check_writable(path: str, label: str) -> None:
    """Fail early, with the output's name, when ``path`` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{label}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{label}: the folder {folder} is not writable")


def _partial_path(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.partial.tif")


class _Partial:
    """A GeoTIFF open under a temporary name beside its final ``path``: :meth:`commit`
    renames it into place, :meth:`abort` deletes it."""

    path: str
    tmp_path: str
    _ds = None

    @raises
    def commit(self) -> None:
        """Flush, close and rename the file into place; on failure nothing is left."""
        try:
            with quiet():
                self._ds.FlushCache()
            with closing_quietly() as failed:
                self._ds = None  # closes the file
            if failed:
                raise RuntimeError(failed[0])
            os.replace(self.tmp_path, self.path)
        except (RuntimeError, OSError) as exc:
            self.abort()
            raise OutputError(write_failure(self.path, detached(exc))) from None

    def abort(self) -> None:
        """Delete the partial file; nothing is left behind and nothing is raised."""
        if self._ds is not None:
            # Closing a GeoTIFF writes its pending blocks and directory, which fails on a full
            # disk: that second failure of the same write is not reported again.
            with closing_quietly():
                self._ds = None
        self._remove_tmp()

    def _remove_tmp(self):
        for p in (self.tmp_path, self.tmp_path + ".aux.xml"):
            try:
                os.remove(p)
            except FileNotFoundError:
                pass


class AtomicCopy(_Partial):
    """A copy of the raster ``src`` (every band, its data type, descriptions, units and
    metadata) as a GeoTIFF under a temporary name beside ``path``, to be changed in place
    through :attr:`dataset`; :meth:`commit` renames it into place, :meth:`abort` deletes it."""

    @raises
    def __init__(self, path: str, src: gdal.Dataset, compression: str = DEFAULT_COMPRESSION):
        self.path = path
        self.tmp_path = _partial_path(path)
        try:
            options = creation_options(compression, is_stack(_dated_bands(src)))
            self._ds = gdal.Translate(self.tmp_path, src, format="GTiff", creationOptions=options)
        except BaseException as exc:
            self._remove_tmp()
            if isinstance(exc, OSError):
                raise OutputError(write_failure(path, detached(exc))) from None
            raise

    @property
    def dataset(self) -> gdal.Dataset:
        """The copy, open for update until :meth:`commit` or :meth:`abort`."""
        return self._ds


def describe(ds: gdal.Dataset, bands: list, metadata: Optional[dict]) -> None:
    """NaN nodata, descriptions, units and metadata of every band of ``ds`` (``bands``: its
    BandSpecs in order), and the dataset's ``metadata``: as every output of the plugin says them."""
    if metadata:
        ds.SetMetadata({k: str(v) for k, v in metadata.items()})
    for i, spec in enumerate(bands, start=1):
        band = ds.GetRasterBand(i)
        band.SetNoDataValue(float("nan"))
        band.SetDescription(spec.description)
        if spec.unit:
            band.SetUnitType(spec.unit)
        if spec.metadata:
            band.SetMetadata({k: str(v) for k, v in spec.metadata.items()})


class AtomicGeoTiff(_Partial):
    """A multi-band float32 GeoTIFF written block by block to a temporary file beside the
    final path; :meth:`commit` renames it into place, :meth:`abort` deletes it."""

    @raises
    def __init__(self, path, grid, bands, metadata=None, compression=DEFAULT_COMPRESSION):
        self.path = path
        self.tmp_path = _partial_path(path)
        driver = gdal.GetDriverByName("GTiff")
        try:
            options = creation_options(compression, is_stack(_dated_specs(bands)))
            self._ds = driver.Create(self.tmp_path, grid.width, grid.height, len(bands), gdal.GDT_Float32, options)
        except RuntimeError as exc:
            self._remove_tmp()
            raise OutputError(write_failure(path, detached(exc)).replace("cannot write", "cannot create", 1)) from None
        self._ds.SetGeoTransform(grid.geotransform)
        self._ds.SetProjection(grid.crs_wkt)
        describe(self._ds, bands, metadata)

    @raises
    def write(self, band_index: int, array: np.ndarray, col: int, row: int) -> None:
        # contiguous: GDAL's numpy bridge does not handle broadcast (zero-stride) views
        data = np.ascontiguousarray(array, dtype=np.float32)
        try:
            with quiet():
                self._ds.GetRasterBand(band_index).WriteArray(data, col, row)
        except RuntimeError as exc:
            raise OutputError(write_failure(self.path, detached(exc))) from None

    @raises
    def annotate(self, items: dict) -> None:
        """Add metadata items known only once the data are written (a median, a range)."""
        for key, value in items.items():
            self._ds.SetMetadataItem(key, str(value))

    @raises
    def flush(self) -> None:
        """Write the blocks held in GDAL's cache and drop them: memory stays bounded
        without changing GDAL's process-wide cache size."""
        try:
            with quiet():
                for i in range(1, self._ds.RasterCount + 1):
                    self._ds.GetRasterBand(i).FlushCache()
        except RuntimeError as exc:
            raise OutputError(write_failure(self.path, detached(exc))) from None



class OutputSet(dict):
    """The outputs of one run, {key: AtomicGeoTiff}: created together, then all renamed into
    place by :meth:`commit` or all removed by :meth:`abort` (a failure leaves none)."""

    def __init__(self, paths=None, grid=None, specs=None, metadata=None, compression: str = DEFAULT_COMPRESSION):
        super().__init__()
        try:
            for key, path in (paths or {}).items():
                if path:
                    meta = dict(metadata or {}, LOSDECOMP_PRODUCT=key)
                    self[key] = AtomicGeoTiff(path, grid, specs[key], meta, compression)
        except BaseException:
            self.abort()
            raise

    def flush(self) -> None:
        for writer in self.values():
            writer.flush()

    def commit(self) -> dict:
        """{key: final path}; on a failure the outputs not yet renamed are removed."""
        done = {}
        try:
            for key, writer in list(self.items()):
                writer.commit()
                done[key] = writer.path
                del self[key]
        except BaseException:
            self.abort()
            raise
        return done

    def abort(self) -> None:
        for writer in self.values():
            writer.abort()
        self.clear()
