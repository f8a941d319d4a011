"""Bad and awkward inputs: each gets one clear sentence naming the layer and the problem,
no output file is left behind and the inputs are unchanged."""

import hashlib
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from osgeo import gdal
from qgis.core import QgsProcessingException

import synthetic_scene as scene
from conftest import run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io import writer as writer_module

GT = (400000.0, 100.0, 0.0, 4000000.0, 0.0, -100.0)
ASC, DESC = (348.0, 34.0), (192.0, 39.0)


def run(params):
    import processing

    return processing.run("losdecomp:decompose", params)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def track(
    folder, name, hi, shape=(30, 30), gt=GT, epsg=32611, fill=None, dtype=np.float32, nodata=float("nan"), tags=True
):
    s = geometry.from_heading_incidence(*hi)
    los = geometry.forward(s, 5.0, 0.0, -10.0) * np.ones(shape)
    if fill is not None:
        los[...] = fill
    meta = {"INSAR_HEADING": str(hi[0]), "INSAR_INCIDENCE": str(hi[1])} if tags else None
    return scene.write_raster(str(folder / f"{name}.tif"), los.astype(dtype), epsg, gt, nodata, meta)


@pytest.fixture()
def pair(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    return inputs, out, track(inputs, "asc", ASC), track(inputs, "desc", DESC)


def no_crs(folder):
    path = str(folder / "nocrs.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 10, 10, 1, gdal.GDT_Float32)
    ds.SetGeoTransform(GT)
    ds.SetMetadata({"INSAR_HEADING": "192", "INSAR_INCIDENCE": "39"})
    ds.GetRasterBand(1).Fill(1.0)
    ds = None
    return path


def corrupt(folder):
    path = str(folder / "corrupt.tif")
    with open(path, "wb") as f:
        f.write(b"II*\x00" + os.urandom(200))
    return path


# Each case: a function of (inputs folder, output folder, asc, desc) returning the
# parameter changes, and a pattern the error message must contain.
CASES = {
    "no overlap": (
        lambda i, o, a, d: {"DESCENDING": track(i, "far", DESC, gt=(900000.0, 100, 0, 4000000.0, 0, -100))},
        "do not overlap",
    ),
    "overlap under one pixel": (
        lambda i, o, a, d: {"DESCENDING": track(i, "edge", DESC, gt=(400000.0 + 2995.0, 100, 0, 4000000.0, 0, -100))},
        "less than one output pixel",
    ),
    "same look direction": (
        lambda i, o, a, d: {"DESC_HEADING": 350.0, "DESC_INCIDENCE": 44.0},
        "all look the same way",
    ),
    "incidence zero": (
        lambda i, o, a, d: {"ASC_INCIDENCE": 0.0},
        "ascending track: the incidence angle must be between 0 and 90",
    ),
    "incidence over 90": (
        lambda i, o, a, d: {"DESC_INCIDENCE": 95.0},
        "descending track: the incidence angle must be between",
    ),
    "missing angles": (
        lambda i, o, a, d: {"DESCENDING": track(i, "untagged", DESC, tags=False)},
        "descending track: no heading and no incidence angle given",
    ),
    "missing incidence only": (
        lambda i, o, a, d: {"DESCENDING": track(i, "untagged", DESC, tags=False), "DESC_HEADING": 192.0},
        "descending track: no incidence angle given",
    ),
    "no crs": (lambda i, o, a, d: {"DESCENDING": no_crs(i)}, "descending track: has no coordinate reference system"),
    "missing file": (lambda i, o, a, d: {"DESCENDING": str(i / "nowhere.tif")}, "DESCENDING"),
    "corrupt file": (lambda i, o, a, d: {"ASCENDING": corrupt(i)}, "ascending track: cannot be opened"),
    "band out of range": (lambda i, o, a, d: {"ASC_BAND": 3}, "ascending track: has no band 3 (it has 1)"),
    "all nan": (
        lambda i, o, a, d: {"ASCENDING": track(i, "empty", ASC, fill=np.nan)},
        "ascending track: the layer holds no valid pixel",
    ),
    "all nodata integer": (
        lambda i, o, a, d: {"DESCENDING": track(i, "int_empty", DESC, fill=-1, dtype=np.int16, nodata=-1)},
        "descending track: the layer holds no valid pixel",
    ),
    "output is an input": (lambda i, o, a, d: {"OUTPUT_UP": a}, "is one of the inputs"),
    "output folder missing": (
        lambda i, o, a, d: {"OUTPUT_EAST": str(o / "missing" / "east.tif")},
        "output horizontal: the folder",
    ),
    "same file for two outputs": (lambda i, o, a, d: {"OUTPUT_EAST": str(o / "up.tif")}, "are the same file"),
    "absurd resolution": (lambda i, o, a, d: {"RESOLUTION": 1e-4}, "would be 30000000 x 30000000 pixels"),
    "incompatible units": (
        lambda i, o, a, d: {"DESCENDING": _with_unit(track(i, "metres", DESC), "m")},
        "its unit m cannot be converted to mm/year",
    ),
    "north raster and constant": (
        lambda i, o, a, d: {"NORTH_VELOCITY": a, "NORTH_VELOCITY_CONSTANT": 1.0},
        "give a raster or a constant, not both",
    ),
    "north and azimuth": (
        lambda i, o, a, d: {"NORTH_VELOCITY_CONSTANT": 1.0, "HORIZONTAL_AZIMUTH": 30.0},
        "cannot be combined",
    ),
    "extra geometry malformed": (
        lambda i, o, a, d: {"EXTRA_TRACKS": [d], "EXTRA_GEOMETRY": "north-ish"},
        "extra track 1 (desc): geometry 'north-ish' is not",
    ),
    "extra geometry count": (lambda i, o, a, d: {"EXTRA_GEOMETRY": "190,40"}, "1 geometry entries for 0 extra layer"),
}


def _with_unit(path, unit):
    ds = gdal.Open(path, gdal.GA_Update)
    ds.GetRasterBand(1).SetUnitType(unit)
    ds = None
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_clearly(plugin, pair, case):
    inputs, out, asc, desc = pair
    change, pattern = CASES[case]
    params = {
        "ASCENDING": asc,
        "DESCENDING": desc,
        "OUTPUT_EAST": str(out / "east.tif"),
        "OUTPUT_UP": str(out / "up.tif"),
    }
    params.update(change(inputs, out, asc, desc))
    before = {p: digest(inputs / p) for p in os.listdir(inputs)}
    with pytest.raises(QgsProcessingException) as err:
        run(params)
    message = str(err.value)
    assert pattern in message
    assert "Traceback" not in message
    assert os.listdir(out) == []
    assert {p: digest(inputs / p) for p in before} == before


def test_read_only_location_is_a_clear_error(plugin, pair):
    inputs, out, asc, desc = pair
    params = {"ASCENDING": asc, "DESCENDING": desc, "OUTPUT_EAST": "/proc/east.tif", "OUTPUT_UP": str(out / "up.tif")}
    with pytest.raises(QgsProcessingException, match="east.tif"):
        run(params)
    assert os.listdir(out) == []


def test_heading_in_radians_warns(plugin, pair):
    inputs, out, asc, desc = pair
    params = {"ASCENDING": asc, "DESCENDING": desc, "ASC_HEADING": 6.07, "ASC_INCIDENCE": 34.0}
    params.update(OUTPUT_EAST=str(out / "e.tif"), OUTPUT_UP=str(out / "u.tif"))
    _, log = run_logged("losdecomp:decompose", params)
    assert "WARNING: ascending track: heading 6.07 looks like radians" in log
    assert "ERROR:" not in log


def test_units_of_two_products_are_converted(plugin, tmp_path):
    a = track(tmp_path, "asc", ASC)
    d = _with_unit(track(tmp_path, "desc", DESC), "m/yr")
    ds = gdal.Open(d, gdal.GA_Update)
    band = ds.GetRasterBand(1)
    band.WriteArray(band.ReadAsArray() / 1000.0)  # the same motion in m/year
    ds = None
    out = run(
        {"ASCENDING": a, "DESCENDING": d, "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif")}
    )
    up = gdal.Open(out["OUTPUT_UP"])
    np.testing.assert_allclose(up.GetRasterBand(1).ReadAsArray(), -10.0, atol=1e-4)
    assert up.GetRasterBand(1).GetUnitType() == "mm/year"


def test_single_pixel_rasters(plugin, tmp_path):
    a = track(tmp_path, "asc", ASC, shape=(1, 1))
    d = track(tmp_path, "desc", DESC, shape=(1, 1))
    out = run(
        {"ASCENDING": a, "DESCENDING": d, "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif")}
    )
    ds = gdal.Open(out["OUTPUT_UP"])
    assert (ds.RasterXSize, ds.RasterYSize) == (1, 1)
    assert ds.GetRasterBand(1).ReadAsArray()[0, 0] == pytest.approx(-10.0, abs=1e-4)


def test_integer_inputs_with_nodata(plugin, tmp_path):
    a = track(tmp_path, "asc", ASC, dtype=np.int16, nodata=-32768)
    d = track(tmp_path, "desc", DESC, dtype=np.int16, nodata=-32768)
    ds = gdal.Open(d, gdal.GA_Update)
    arr = ds.GetRasterBand(1).ReadAsArray()
    arr[:5, :] = -32768
    ds.GetRasterBand(1).WriteArray(arr)
    ds = None
    out = run(
        {"ASCENDING": a, "DESCENDING": d, "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif")}
    )
    ds = gdal.Open(out["OUTPUT_UP"])
    up = ds.GetRasterBand(1).ReadAsArray()
    assert np.isnan(up[:5]).all() and np.isfinite(up[5:]).all()


def test_cancel_in_the_toolbox_leaves_nothing(plugin, pair):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    inputs, out, asc, desc = pair
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda p: feedback.cancel() if p > 0 else None)
    params = {"ASCENDING": asc, "DESCENDING": desc, "RESOLUTION": 5.0}
    params.update(OUTPUT_EAST=str(out / "e.tif"), OUTPUT_UP=str(out / "u.tif"))
    result = processing.run("losdecomp:decompose", params, context=QgsProcessingContext(), feedback=feedback)
    assert feedback.isCanceled()
    assert result["OUTPUT_UP"] is None
    assert os.listdir(out) == []


def test_full_disk_while_writing_leaves_nothing(plugin, pair, monkeypatch):
    inputs, out, asc, desc = pair
    calls = []

    def failing_write(self, band_index, array, col, row):
        calls.append(1)
        if len(calls) > 1:
            raise writer_module.OutputError(f"cannot write {self.path}: No space left on device")

    monkeypatch.setattr(writer_module.AtomicGeoTiff, "write", failing_write)
    params = {"ASCENDING": asc, "DESCENDING": desc, "RESOLUTION": 10.0}
    params.update(OUTPUT_EAST=str(out / "e.tif"), OUTPUT_UP=str(out / "u.tif"))
    with pytest.raises(QgsProcessingException, match="No space left on device"):
        run(params)
    assert os.listdir(out) == []


# The same corner (UTM 11N 400000 E, 4000000 N) in three CRSs, so that the tracks overlap.
CRSS = {
    "utm": (32611, (400000.0, 4000000.0), 100.0),
    "geo": (4326, (-118.111478, 36.139560), 0.001),
    "merc": (3857, (-13148109.6, 4319841.7), 120.0),
}
valid_geometry = st.tuples(st.floats(330, 370), st.floats(20, 50), st.floats(170, 210), st.floats(20, 50))
any_geometry = st.tuples(
    st.one_of(st.floats(-400, 400), st.floats(0, 2 * math.pi)),
    st.floats(-10, 100),
    st.floats(-400, 400),
    st.floats(-10, 100),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    crs_a=st.sampled_from(sorted(CRSS)),
    crs_d=st.sampled_from(sorted(CRSS)),
    size_a=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    size_d=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    angles=st.one_of(valid_geometry, valid_geometry, valid_geometry, any_geometry),
)
def test_fuzz_succeeds_with_finite_outputs_or_fails_clearly(
    plugin, tmp_path_factory, data, crs_a, crs_d, size_a, size_d, angles
):
    h_a, t_a, h_d, t_d = angles
    folder = tmp_path_factory.mktemp("fuzz")
    paths = []
    for name, crs, size in (("a", crs_a, size_a), ("d", crs_d, size_d)):
        epsg, origin, px = CRSS[crs]
        values = data.draw(st.lists(st.floats(-50, 50), min_size=size[0] * size[1], max_size=size[0] * size[1]))
        holes = data.draw(st.lists(st.booleans(), min_size=size[0] * size[1], max_size=size[0] * size[1]))
        arr = np.array(values, dtype=np.float32).reshape(size)
        if data.draw(st.booleans()):  # a nodata pattern, from none to all
            arr[np.array(holes).reshape(size)] = np.nan
        shift = data.draw(st.floats(-1, 1)) * px
        gt = (origin[0] + shift, px, 0.0, origin[1] - shift, 0.0, -px)
        paths.append(scene.write_raster(str(folder / f"{name}.tif"), arr, epsg, gt, float("nan")))
    params = {"ASCENDING": paths[0], "DESCENDING": paths[1], "ASC_HEADING": h_a, "ASC_INCIDENCE": t_a}
    params.update(
        DESC_HEADING=h_d, DESC_INCIDENCE=t_d, OUTPUT_EAST=str(folder / "e.tif"), OUTPUT_UP=str(folder / "u.tif")
    )
    params["OUTPUT_QUALITY"] = str(folder / "q.tif")
    try:
        out = run(params)
    except QgsProcessingException as exc:
        event("refused: " + str(exc).splitlines()[-1][:60])
        message = str(exc)
        assert "Traceback" not in message and len(message) < 600
        assert not os.path.exists(folder / "e.tif") and not os.path.exists(folder / "u.tif")
        return
    event("succeeded")
    for key in ("OUTPUT_EAST", "OUTPUT_UP", "OUTPUT_QUALITY"):
        ds = gdal.Open(out[key])
        for b in range(1, ds.RasterCount + 1):
            a = ds.GetRasterBand(b).ReadAsArray()
            assert not np.isinf(a).any()
    assert math.isfinite(h_a) and 0 < t_a < 90
