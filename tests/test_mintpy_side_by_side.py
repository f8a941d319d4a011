"""Coso decomposed by this plugin and by MintPy's own asc_desc2horz_vert.py, on the same
files with the same angles, compared pixel by pixel (MintPy runs in a venv of its own)."""

import numpy as np
import pytest
from osgeo import gdal

import mintpy_env
from conftest import read_band, run_logged
from insar_decomposition.core.io.products import mintpy

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


def test_same_grid_and_same_values_as_mintpy(both):
    (m_east, m_up), ours = both
    east, up = read_band(ours["OUTPUT_EAST"]), read_band(ours["OUTPUT_UP"])
    assert east.shape == m_east.shape == (541, 841)
    ok = np.isfinite(up)
    assert ok.sum() > 400000
    scale = np.nanmax(np.abs(up))
    # float32 precision of MintPy's single-precision solve
    np.testing.assert_allclose(up[ok], m_up[ok], rtol=0, atol=2e-6 * scale)
    np.testing.assert_allclose(east[ok], m_east[ok], rtol=0, atol=2e-6 * scale)


def test_mintpy_masked_zeros_are_nodata_here_not_data(both):
    (m_east, m_up), ours = both
    up = read_band(ours["OUTPUT_UP"])
    masked = ~np.isfinite(up)
    assert masked.sum() > 7000  # the union of both tracks' masks
    # MintPy inverts its 0 mask as if it were a measured 0: where only one track is masked
    # it returns a non-zero velocity made from one real value and one fake zero
    assert np.count_nonzero(m_up[masked]) > 5000


def test_per_pixel_geometry_file_is_used_exactly(shared_data, plugin, tmp_path):
    """geometryGeo.h5 with per-pixel incidenceAngle / azimuthAngle (MintPy's convention)
    becomes LOS unit-vector bands, and the decomposition is exact per pixel."""
    from insar_decomposition.core.conventions import geometry

    imported, s_vectors = {}, {}
    for t in TRACKS:
        h5 = str(shared_data / "coso_mintpy" / f"{t}_velocity.h5")
        attrs = mintpy.attributes(h5)
        rows, cols = int(attrs["LENGTH"]), int(attrs["WIDTH"])
        inc = float(attrs["incidenceAngle"]) + np.linspace(-3, 3, cols)[None, :] * np.ones((rows, 1))
        az = float(attrs["azimuthAngle"]) - 90.0 + np.linspace(-1, 1, rows)[:, None] * np.ones((1, cols))
        np.save(tmp_path / f"{t}_inc.npy", inc.astype(np.float32))
        np.save(tmp_path / f"{t}_az.npy", az.astype(np.float32))
        geom = str(tmp_path / f"{t}_geometryGeo.h5")
        mintpy_env.write_geometry(h5, geom, str(tmp_path / f"{t}_inc.npy"), str(tmp_path / f"{t}_az.npy"))
        res, log = run_logged(
            "losdecomp:import_mintpy", {"INPUT": h5, "GEOMETRY": geom, "OUTPUT": str(tmp_path / f"{t}.tif")}
        )
        assert "per-pixel azimuthAngle read in the mintpy convention" in log
        imported[t] = res["OUTPUT"]
        s_vectors[t] = geometry.from_mintpy_azimuth(
            az.astype(np.float32).astype(np.float64), inc.astype(np.float32).astype(np.float64)
        )
    ds = gdal.Open(imported["a064"])
    assert ds.RasterCount == 5  # velocity, velocityStd, three unit-vector components
    res, log = run_logged(
        "losdecomp:decompose",
        {
            "ASCENDING": imported["a064"],
            "DESCENDING": imported["d071"],
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        },
    )
    assert log.count("geometry per pixel, per-pixel LOS unit vector, bands of") == 2
    sa, sd = s_vectors["a064"], s_vectors["d071"]
    da, dd = read_band(imported["a064"]), read_band(imported["d071"])
    det = sa[0] * sd[2] - sd[0] * sa[2]
    east = (sd[2] * da - sa[2] * dd) / det
    up = (sa[0] * dd - sd[0] * da) / det
    ours_e, ours_u = read_band(res["OUTPUT_EAST"]), read_band(res["OUTPUT_UP"])
    ok = np.isfinite(ours_u)
    np.testing.assert_array_equal(ok, np.isfinite(up))
    scale = np.nanmax(np.abs(up))
    np.testing.assert_allclose(ours_u[ok], up[ok], atol=2e-5 * scale)
    np.testing.assert_allclose(ours_e[ok], east[ok], atol=2e-5 * scale)
