"""RADIUS around GNSS stations is in the raster's CRS units: a radius that cannot be meant
(metres typed for a geographic raster's degrees, or more than the whole raster) is refused
before anything is sampled or written, in gnss_to_los / reference_to_gnss (``compare_los``),
compare_to_gnss (``compare_components``) and compare_timeseries_to_gnss; a sensible radius
still samples."""

import pytest
from osgeo import osr
from test_gnss import centres, field_at, make_field_tracks, station_pixels, write
from test_gnss_algorithms import write_csv

from conftest import run_logged
from insar_decomposition.core.conventions.errors import FrameError
from insar_decomposition.core.io.grid import Grid
from insar_decomposition.core.runs import merge_gnss
from insar_decomposition.core.samplers.area import MAX_RADIUS_DEGREES, not_a_distance, radius_problem


def _wkt(epsg):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


GEOGRAPHIC = Grid(_wkt(4326), (30.0, 0.001, 0.0, 40.0, 0.0, -0.001), 2000, 1000)  # 2 x 1 degrees
UTM = Grid(_wkt(32635), (500000.0, 100.0, 0.0, 4400000.0, 0.0, -100.0), 300, 400)  # 30 x 40 km


@pytest.mark.parametrize("grid, radius, words", [
    (GEOGRAPHIC, 500.0, "degrees (5.56e+04 km): give degrees"),
    (GEOGRAPHIC, MAX_RADIUS_DEGREES * 1.01, "give degrees"),
    (UTM, 50001.0, "more than the whole track (30000 x 40000 metre)"),
    (UTM, -1.0, "positive distance"),
    (UTM, float("nan"), "positive distance"),
])  # fmt: skip
def test_a_radius_that_cannot_be_meant_is_named(grid, radius, words):
    assert words in radius_problem(grid, radius, "track")


@pytest.mark.parametrize("radius", [-1.0, float("nan"), float("inf")])
def test_every_comparison_refuses_a_radius_that_is_no_distance_in_the_same_words(radius):
    """Before any grid is known (merge_frames' request check) as after (radius_problem)."""
    words = not_a_distance(radius)
    assert "positive distance" in words and radius_problem(UTM, radius, "track") == words
    with pytest.raises(FrameError, match="positive distance"):
        merge_gnss.check_request(1, radius)
    assert not_a_distance(0.0) is None and not_a_distance(1e9) is None


@pytest.mark.parametrize("grid, radius", [(GEOGRAPHIC, 0.0), (GEOGRAPHIC, 0.0045), (GEOGRAPHIC, 1.0), (UTM, 0.0),
                                          (UTM, 500.0), (UTM, 50000.0)])  # fmt: skip
def test_sensible_radii_pass(grid, radius):
    assert radius_problem(grid, radius, "track") is None


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    return make_field_tracks(tmp_path_factory.mktemp("radius_guard"))


def test_gnss_algorithms_refuse_a_radius_beyond_the_raster_and_write_nothing(plugin, tracks, tmp_path):
    from qgis.core import QgsProcessingException

    rows, cols = station_pixels(12, seed=3)
    csv = write_csv(tmp_path / "g.csv", rows, cols)
    out = tmp_path / "out"
    out.mkdir()
    x, y = centres()
    e, _, u = field_at(x, y)
    east, up = write(tmp_path / "e.tif", e), write(tmp_path / "u.tif", u)
    huge = 1e9
    cases = [
        ("losdecomp:gnss_to_los", {"INPUT": tracks["asc"], "OUTPUT": str(out / "s.gpkg")}),
        ("losdecomp:reference_to_gnss", {"INPUT": tracks["asc"], "MODEL": 1, "OUTPUT": str(out / "r.tif")}),
        ("losdecomp:compare_to_gnss", {"EAST": east, "UP": up, "OUTPUT": str(out / "c.gpkg")}),
    ]
    for algorithm, params in cases:
        with pytest.raises(QgsProcessingException, match="more than the whole .*nothing was written"):
            run_logged(algorithm, dict(params, GNSS=csv, GNSS_UNIT=1, RADIUS=huge))
    assert sorted(p.name for p in out.iterdir()) == []
    res, _ = run_logged("losdecomp:gnss_to_los", {"INPUT": tracks["asc"], "GNSS": csv, "GNSS_UNIT": 1,
                                                   "RADIUS": 150.0, "OUTPUT": str(out / "s.gpkg")})  # fmt: skip
    assert res["COUNT"] == 12


def test_the_time_series_comparison_refuses_a_radius_beyond_the_stack(tmp_path):
    from test_gnss_unit_guard import series_scene

    from insar_decomposition.core.conventions.errors import StationError
    from insar_decomposition.core.runs import gnss_series_run as gr

    csv, stack, _ = series_scene(tmp_path)  # a geographic stack: RADIUS in degrees
    with pytest.raises(StationError, match=r"RADIUS 500 is in the InSAR stack .* degrees .*nothing was written"):
        gr.compare(gr.SeriesRequest(stack, csv, gnss_unit="mm", radius=500.0))
    for radius in (0.0, 0.0001):
        assert len(gr.compare(gr.SeriesRequest(stack, csv, gnss_unit="mm", radius=radius)).stations) == 6
