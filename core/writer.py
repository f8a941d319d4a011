"""Float32 GeoTIFF outputs written under a temporary name and renamed when complete."""

import os
import uuid
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal

gdal.UseExceptions()

TILE = 256
BASE_OPTIONS = ("TILED=YES", f"BLOCKXSIZE={TILE}", f"BLOCKYSIZE={TILE}", "BIGTIFF=IF_SAFER", "NUM_THREADS=ALL_CPUS")
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


def creation_options(compression=DEFAULT_COMPRESSION):
    for name, _, options in COMPRESSIONS:
        if name == compression:
            return list(BASE_OPTIONS + options)
    raise ValueError(f"unknown compression {compression!r}")


class OutputError(OSError):
    """An output cannot be written where asked."""


@dataclass
class BandSpec:
    description: str
    unit: str = ""
    metadata: dict = field(default_factory=dict)


def check_writable(path, label):
    """Fail early, with the output's name, when ``path`` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{label}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{label}: the folder {folder} is not writable")


class AtomicGeoTiff:
    """A multi-band float32 GeoTIFF written block by block to a temporary file beside the
    final path; :meth:`commit` renames it into place, :meth:`abort` deletes it."""

    def __init__(self, path, grid, bands, metadata=None, compression=DEFAULT_COMPRESSION):
        self.path = path
        folder, name = os.path.split(os.path.abspath(path))
        self.tmp_path = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.partial.tif")
        driver = gdal.GetDriverByName("GTiff")
        try:
            self._ds = driver.Create(
                self.tmp_path, grid.width, grid.height, len(bands), gdal.GDT_Float32, creation_options(compression)
            )
        except RuntimeError as exc:
            self._remove_tmp()
            raise OutputError(f"cannot create {path}: {exc}") from None
        self._ds.SetGeoTransform(grid.geotransform)
        self._ds.SetProjection(grid.crs_wkt)
        if metadata:
            self._ds.SetMetadata({k: str(v) for k, v in metadata.items()})
        for i, spec in enumerate(bands, start=1):
            band = self._ds.GetRasterBand(i)
            band.SetNoDataValue(float("nan"))
            band.SetDescription(spec.description)
            if spec.unit:
                band.SetUnitType(spec.unit)
            if spec.metadata:
                band.SetMetadata({k: str(v) for k, v in spec.metadata.items()})

    def write(self, band_index, array, col, row):
        # contiguous: GDAL's numpy bridge does not handle broadcast (zero-stride) views
        data = np.ascontiguousarray(array, dtype=np.float32)
        try:
            self._ds.GetRasterBand(band_index).WriteArray(data, col, row)
        except RuntimeError as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None

    def commit(self):
        ds, self._ds = self._ds, None
        try:
            ds.FlushCache()
            ds = None
            os.replace(self.tmp_path, self.path)
        except (RuntimeError, OSError) as exc:
            ds = None
            self._remove_tmp()
            raise OutputError(f"cannot write {self.path}: {exc}") from None

    def abort(self):
        self._ds = None
        self._remove_tmp()

    def _remove_tmp(self):
        for p in (self.tmp_path, self.tmp_path + ".aux.xml"):
            if os.path.exists(p):
                os.remove(p)
