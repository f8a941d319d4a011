"""Coso decomposed by this plugin and by MintPy's own asc_desc2horz_vert.py, on the same
files with the same angles, compared pixel by pixel (MintPy runs in a venv of its own)."""

import numpy as np
import pytest
from osgeo import gdal

import mintpy_env
from insar_decomposition.core import mintpy

TRACKS = ("a064", "d071")


@pytest.fixture(scope="module")
def both(shared_data, plugin, tmp_path_factory):
    import processing

    out = tmp_path_factory.mktemp("side_by_side")
    h5 = {t: str(shared_data / "coso_mintpy" / f"{t}_velocity.h5") for t in TRACKS}
    geometry = []
    for t in TRACKS:
        attrs = mintpy.attributes(h5[t])
        # the angles this plugin reads from the file, written in MintPy's own convention
        azimuth_aria = float(attrs["azimuthAngle"])
        geom = str(out / f"{t}_geometry.h5")
        mintpy_env.write_geometry(h5[t], geom, float(attrs["incidenceAngle"]), azimuth_aria - 90.0)
        geometry.append(geom)
    m_east, m_up, _ = mintpy_env.decompose(h5["a064"], h5["d071"], str(out / "mintpy"), geometry)

    imported = {}
    for t in TRACKS:
        imported[t] = processing.run("losdecomp:import_mintpy", {"INPUT": h5[t], "OUTPUT": str(out / f"{t}.tif")})[
            "OUTPUT"
        ]
    ours = processing.run(
        "losdecomp:decompose",
        {
            "ASCENDING": imported["a064"],
            "DESCENDING": imported["d071"],
            "OUTPUT_EAST": str(out / "east.tif"),
            "OUTPUT_UP": str(out / "up.tif"),
        },
    )
    return (np.load(m_east), np.load(m_up)), ours


def read(path):
    ds = gdal.Open(path)
    return ds.GetRasterBand(1).ReadAsArray().astype(np.float64)


def test_same_grid_and_same_values_as_mintpy(both):
    (m_east, m_up), ours = both
    east, up = read(ours["OUTPUT_EAST"]), read(ours["OUTPUT_UP"])
    assert east.shape == m_east.shape == (541, 841)
    ok = np.isfinite(up)
    assert ok.sum() > 400000
    scale = np.nanmax(np.abs(up))
    # float32 precision of MintPy's single-precision solve
    np.testing.assert_allclose(up[ok], m_up[ok], rtol=0, atol=2e-6 * scale)
    np.testing.assert_allclose(east[ok], m_east[ok], rtol=0, atol=2e-6 * scale)


def test_mintpy_masked_zeros_are_nodata_here_not_data(both):
    (m_east, m_up), ours = both
    up = read(ours["OUTPUT_UP"])
    masked = ~np.isfinite(up)
    assert masked.sum() > 7000  # the union of both tracks' masks
    # MintPy inverts its 0 mask as if it were a measured 0: where only one track is masked
    # it returns a non-zero velocity made from one real value and one fake zero
    assert np.count_nonzero(m_up[masked]) > 5000
