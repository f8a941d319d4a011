"""losdecomp:fill_gaps: gaps within the distance filled, everything the raster says kept."""

import os

import numpy as np
import pytest
from osgeo import gdal, osr

from insar_decomposition.core.runs import fill
from insar_decomposition.core.runs.engine import Cancelled


def _raster(path, values, nodata=float("nan")):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), values.shape[1], values.shape[0], 2, gdal.GDT_Float32)
    ds.SetGeoTransform((10.0, 0.01, 0, 40.0, 0, -0.01))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetMetadata({"INSAR_HEADING": "348", "INSAR_UNIT": "mm/year"})
    for i, data in enumerate((values, np.full_like(values, 0.7)), start=1):
        band = ds.GetRasterBand(i)
        band.WriteArray(data)
        band.SetNoDataValue(nodata)
        band.SetDescription(f"band {i} description")
        band.SetUnitType("mm/year")
        band.SetMetadata({"INSAR_ROLE": "velocity" if i == 1 else "enu_up"})
    ds = None
    return str(path)


def _plane(shape=(60, 80)):
    y, x = np.mgrid[: shape[0], : shape[1]]
    return (0.5 * x - 0.2 * y + 3.0).astype(np.float32)


def test_small_gaps_are_filled_large_ones_kept_and_metadata_kept(tmp_path):
    values = _plane()
    values[10:14, 10:14] = np.nan  # 2 pixels from data at most
    values[30:60, 40:80] = np.nan  # a corner block: its far pixels are > 5 pixels from data
    src = _raster(tmp_path / "in.tif", values)
    before = open(src, "rb").read()
    filled = fill.fill_gaps(src, str(tmp_path / "out.tif"), band=1, max_distance=5)
    out = gdal.Open(str(tmp_path / "out.tif"))
    got = out.GetRasterBand(1).ReadAsArray()
    assert np.isfinite(got[10:14, 10:14]).all()
    np.testing.assert_allclose(got[10:14, 10:14], _plane()[10:14, 10:14], atol=1.0)  # inverse distance, near a plane
    assert np.isnan(got[50:, 60:]).all()  # beyond the distance: still a gap
    assert filled == int(np.count_nonzero(np.isfinite(got))) - int(np.count_nonzero(np.isfinite(values)))
    assert np.array_equal(got[np.isfinite(values)], values[np.isfinite(values)])  # data untouched
    assert out.RasterCount == 2 and out.GetMetadataItem("INSAR_HEADING") == "348"
    for i in (1, 2):
        band = out.GetRasterBand(i)
        assert band.GetDescription() == f"band {i} description" and band.GetUnitType() == "mm/year"
    assert out.GetRasterBand(1).GetMetadataItem("INSAR_ROLE") == "velocity"
    assert f"{filled} pixels up to 5 pixels" in out.GetRasterBand(1).GetMetadataItem("INSAR_FILLED")
    np.testing.assert_array_equal(out.GetRasterBand(2).ReadAsArray(), np.full_like(values, 0.7))
    assert open(src, "rb").read() == before  # the input is never modified


def test_explicit_nodata_value_is_a_gap(tmp_path):
    values = _plane()
    values[20:22, 20:22] = -9999.0
    src = _raster(tmp_path / "in.tif", values, nodata=-9999.0)
    assert fill.fill_gaps(src, str(tmp_path / "out.tif"), max_distance=3) == 4


@pytest.mark.parametrize(
    "kwargs, message",
    [({"band": 3}, "has no band 3"), ({"max_distance": 0}, "must be positive"), ({"iterations": -1}, "zero or more")],
)
def test_bad_options_leave_no_output(tmp_path, kwargs, message):
    src = _raster(tmp_path / "in.tif", _plane())
    with pytest.raises(ValueError, match=message):
        fill.fill_gaps(src, str(tmp_path / "out.tif"), **kwargs)
    assert sorted(os.listdir(tmp_path)) == ["in.tif"]


def test_the_input_is_never_the_output_and_a_cancel_leaves_nothing(tmp_path):
    values = _plane()
    values[5:30, 5:30] = np.nan
    src = _raster(tmp_path / "in.tif", values)
    with pytest.raises(OSError, match="is the input"):
        fill.fill_gaps(src, src)
    with pytest.raises(Cancelled):
        fill.fill_gaps(src, str(tmp_path / "out.tif"), max_distance=50, is_cancelled=lambda: True)
    assert sorted(os.listdir(tmp_path)) == ["in.tif"]
