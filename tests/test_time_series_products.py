"""Time series of other software read without typing anything: MintPy's timeseries.h5
(written by MintPy's own writer) through losdecomp:import_mintpy, compared side by side
with MintPy's timeseries2velocity.py; LiCSBAS's cum.h5 (made here in the layout LiCSBAS
writes) through losdecomp:import_licsbas, then velocity and decomposition end to end
through qgis_process.bin."""

import datetime
import json
import os
import subprocess

import numpy as np
import pytest
from osgeo import gdal

import mintpy_env
from conftest import QGIS_PROCESS, read_band, run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io.writer import STACK_TILE, TILE
from insar_decomposition.core.solve import velocity as v

D = datetime.date
SHAPE = (30, 40)
MINTPY_ATTRS = {
    "X_FIRST": "-117.90", "Y_FIRST": "36.20", "X_STEP": "0.001", "Y_STEP": "-0.001", "UNIT": "m",
    "REF_Y": "10", "REF_X": "12", "HEADING": "-168.0", "azimuthAngle": "-101.9", "incidenceAngle": "36.5",
    "ANTENNA_SIDE": "-1", "PLATFORM": "Sen", "ORBIT_DIRECTION": "DESCENDING",
}  # fmt: skip
OUTSIDE = (slice(0, 3), slice(0, 4))  # MintPy writes 0 outside its data
REF = (10, 12)


def every(days, n, start):
    return [start + datetime.timedelta(days=days * i) for i in range(n)]


def compact(dates):
    return [d.strftime("%Y%m%d") for d in dates]


def years(dates):
    return np.array([(d - dates[0]).days / 365.25 for d in dates])


@pytest.fixture(scope="module")
def mintpy_stack(tmp_path_factory):
    """A MintPy timeseries.h5 (m): velocity, annual term, a jump on 2021-01-15, noise."""
    out = tmp_path_factory.mktemp("mintpy_ts")
    rng = np.random.default_rng(1)
    dates = every(12, 75, D(2019, 12, 20))  # across two year ends, one of a leap year
    t = years(dates)[:, None, None]
    rate = rng.normal(0, 0.01, SHAPE)
    stack = (
        rate * t + 0.004 * np.sin(2 * np.pi * t + 0.3)
        + 0.02 * (np.array(dates) >= D(2021, 1, 15))[:, None, None]
        + rng.normal(0, 0.002, (len(dates),) + SHAPE)
    )  # fmt: skip
    stack -= stack[:, REF[0], REF[1]][:, None, None]  # referenced to the reference pixel
    stack -= stack[0]  # and to the first date, as MintPy's time series are
    stack[(slice(None),) + OUTSIDE] = 0.0
    np.save(out / "stack.npy", stack.astype(np.float32))
    h5 = str(out / "timeseries.h5")
    mintpy_env.write_timeseries(h5, str(out / "stack.npy"), compact(dates), MINTPY_ATTRS)
    return h5, dates, stack.astype(np.float32), out


def test_a_mintpy_time_series_imports_with_its_dates_unit_and_mask(plugin, mintpy_stack, tmp_path):
    h5, dates, stack, _ = mintpy_stack
    result, log = run_logged("losdecomp:import_mintpy", {"INPUT": h5, "OUTPUT": str(tmp_path / "ts.tif")})
    assert "dataset 'timeseries' imported" in log
    ds = gdal.Open(result["OUTPUT"])
    assert ds.RasterCount == len(dates)
    md = ds.GetMetadata()
    assert md["INSAR_UNIT"] == "m" and md["INSAR_LOS_SIGN"] == "toward" and md["MINTPY_FILE_TYPE"] == "timeseries"
    for i, d in enumerate(dates, start=1):
        band = ds.GetRasterBand(i)
        assert band.GetMetadataItem("INSAR_DATE") == d.strftime("%Y%m%d") == band.GetDescription()
        assert band.GetUnitType() == "m"
        assert band.GetBlockSize() == [STACK_TILE, STACK_TILE]  # a dated stack: the inspector's blocks
    data = read_band(result["OUTPUT"], 40)
    assert np.isnan(data[OUTSIDE]).all()  # 0 at every date: outside MintPy's data
    assert data[REF] == 0.0  # the reference pixel is 0 at every date too, and kept
    inside = np.isfinite(data)
    np.testing.assert_array_equal(data[inside], stack[39][inside])
    assert inside.sum() == SHAPE[0] * SHAPE[1] - 12


def test_a_mintpy_time_series_with_its_geometry_file_gets_unit_vector_bands(plugin, mintpy_stack, tmp_path):
    h5, dates, _, out = mintpy_stack
    inc = np.linspace(31.0, 45.0, SHAPE[1])[None, :] + np.zeros(SHAPE)
    np.save(tmp_path / "inc.npy", inc)
    geom = str(tmp_path / "geometryGeo.h5")
    mintpy_env.write_geometry(h5, geom, str(tmp_path / "inc.npy"), -101.9)
    result, _ = run_logged(
        "losdecomp:import_mintpy", {"INPUT": h5, "GEOMETRY": geom, "OUTPUT": str(tmp_path / "ts.tif")}
    )
    ds = gdal.Open(result["OUTPUT"])
    assert ds.RasterCount == len(dates) + 3
    roles = [ds.GetRasterBand(i).GetMetadataItem("INSAR_ROLE") for i in range(len(dates) + 1, len(dates) + 4)]
    assert roles == ["los_east", "los_north", "los_up"]
    np.testing.assert_allclose(read_band(result["OUTPUT"], len(dates) + 3), np.cos(np.radians(inc)), atol=1e-6)


WINDOW = ("2020-03-01", "2021-11-30")
STEP = "2021-01-15"


@pytest.fixture(scope="module")
def side_by_side(plugin, mintpy_stack):
    h5, dates, stack, out = mintpy_stack
    mintpy = mintpy_env.timeseries2velocity(
        h5, str(out / "mintpy"),
        ["--start-date", WINDOW[0].replace("-", ""), "--end-date", WINDOW[1].replace("-", ""),
         "--periodic", "1.0", "--step", STEP.replace("-", "")],
    )  # fmt: skip
    imported = run_logged("losdecomp:import_mintpy", {"INPUT": h5, "OUTPUT": str(out / "ts.tif")})[0]["OUTPUT"]
    ours, log = run_logged(
        "losdecomp:velocity",
        {"INPUT": imported, "START_DATE": WINDOW[0], "END_DATE": WINDOW[1], "MODEL": 1, "STEP_DATES": STEP,
         "OUTPUT": str(out / "vel.tif"), "OUTPUT_SIGMA": str(out / "vstd.tif")},
    )  # fmt: skip
    return mintpy, ours, log, (h5, dates, stack, out)


def _compared(side_by_side):
    mintpy, ours, _, _ = side_by_side
    m_vel, m_std = np.load(mintpy["velocity"]), np.load(mintpy["velocityStd"])
    vel, std = read_band(ours["OUTPUT"]), read_band(ours["OUTPUT_SIGMA"])
    ok = np.isfinite(vel) & (m_vel != 0)
    ok[REF] = False
    return ok, (m_vel, m_std), (vel, std)


def test_same_velocity_and_sigma_as_mintpy_timeseries2velocity(side_by_side):
    ok, (m_vel, m_std), (vel, std) = _compared(side_by_side)
    for key in ("OUTPUT", "OUTPUT_SIGMA"):  # single-epoch outputs of a stack keep the 256 tiles
        assert gdal.Open(side_by_side[1][key]).GetRasterBand(1).GetBlockSize() == [TILE, TILE]
    assert ok.sum() == SHAPE[0] * SHAPE[1] - 13
    # MintPy's time is year + (day of year - 1) / 365.25, ours whole days / 365.25 from the first
    # acquisition: the two clocks drift apart by up to a day at year ends (0.75 day over this
    # window's leap-year end), which moves velocity and sigma by a few 1e-3, hence 5e-3 and not 1e-6
    np.testing.assert_allclose(vel[ok], m_vel[ok], rtol=5e-3, atol=5e-3 * np.abs(m_vel[ok]).max())
    np.testing.assert_allclose(std[ok], m_std[ok], rtol=5e-3)
    assert not np.allclose(vel[ok], m_vel[ok], rtol=1e-6, atol=0)  # the clocks do differ


def test_with_mintpy_clock_the_fit_is_mintpy_to_float32_precision(side_by_side, tmp_path):
    """MintPy's own design matrix (its clock) in this plugin's fit: the only difference left
    is float32 rounding, so the comparison above differs by the time convention alone."""
    _, _, _, (h5, dates, stack, out) = side_by_side
    ok, (m_vel, m_std), _ = _compared(side_by_side)
    start, end = (D.fromisoformat(w) for w in WINDOW)
    inside = [i for i, d in enumerate(dates) if start <= d <= end]
    model = {"polynomial": 1, "periodic": [1.0], "stepDate": [STEP.replace("-", "")]}
    A = np.load(mintpy_env.design_matrix([compact(dates)[i] for i in inside], model, str(tmp_path / "A.npy")))
    A = A.astype(np.float64)
    y = stack[inside].reshape(len(inside), -1).astype(np.float64)
    vel, std, _ = v.fit(y, A)
    vel, std = vel.reshape(SHAPE), std.reshape(SHAPE)
    np.testing.assert_allclose(vel[ok], m_vel[ok], rtol=1e-4, atol=1e-6 * np.abs(m_vel[ok]).max())
    np.testing.assert_allclose(std[ok], m_std[ok], rtol=1e-4)


def test_the_log_and_metadata_say_the_window_the_model_and_the_epochs(side_by_side):
    _, ours, log, (_, dates, _, _) = side_by_side
    start, end = (D.fromisoformat(w) for w in WINDOW)
    used = [d for d in dates if start <= d <= end]
    md = gdal.Open(ours["OUTPUT"]).GetMetadata()
    assert md["LOSDECOMP_WINDOW"] == f"{used[0]}/{used[-1]}"
    assert md["LOSDECOMP_EPOCHS"] == str(len(used)) and md["LOSDECOMP_REPEAT_DAYS"] == "12.0"
    assert f"{len(used)} acquisitions used, {used[0]} to {used[-1]}" in log
    assert "linear + annual, steps at 2021-01-15" in log
    assert gdal.Open(ours["OUTPUT"]).GetRasterBand(1).GetUnitType() == "m/year"


# --- LiCSBAS ---------------------------------------------------------------------------

LICSBAS_SHAPE = (24, 32)
CORNER = (36.2, -117.9)  # centre of the first pixel (lat, lon)
POST = (-0.002, 0.002)


def write_cum_h5(path, dates, cum, refarea="10:12/8:10", extra=None, imdates=None):
    """A cum.h5 with the datasets and types LiCSBAS13_sb_inv.py writes."""
    np.save(str(path) + ".npy", cum.astype(np.float32))
    mintpy_env.run_python(
        """
        import sys, json, h5py, numpy as np
        path, npy, imdates, refarea, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5]
        cum = np.load(npy)
        with h5py.File(path, "w") as f:
            f.create_dataset("imdates", data=[np.int32(d) for d in imdates])
            f.create_dataset("bperp", data=np.zeros(len(imdates), np.float32))
            f.create_dataset("cum", data=cum, compression="gzip")
            f.create_dataset("vel", data=cum[-1], compression="gzip")
            f.create_dataset("vintercept", data=np.zeros(cum.shape[1:], np.float32))
            f.create_dataset("gap", data=np.zeros((len(imdates) - 1,) + cum.shape[1:], np.int8))
            f.create_dataset("refarea", data=refarea)
            for key, value in json.loads(extra).items():
                f.create_dataset(key, data=value)
        """,
        str(path), str(path) + ".npy", json.dumps(imdates or [int(d) for d in compact(dates)]), refarea,
        json.dumps(extra if extra is not None else {"corner_lat": CORNER[0], "corner_lon": CORNER[1],
                                                    "post_lat": POST[0], "post_lon": POST[1]}),
    )  # fmt: skip
    return str(path)


def write_components(folder, s, names):
    """The frame's E/N/U files: GeoTIFFs (``*.geo.E.tif``) or LiCSBAS's raw float32 ``E.geo``."""
    folder.mkdir(parents=True, exist_ok=True)
    gt = (CORNER[1] - POST[1] / 2, POST[1], 0.0, CORNER[0] - POST[0] / 2, 0.0, POST[0])
    for comp, name in zip(s, names):
        comp = (comp * np.ones(LICSBAS_SHAPE)).astype(np.float32)
        if name.endswith(".tif"):
            ds = gdal.GetDriverByName("GTiff").Create(str(folder / name), LICSBAS_SHAPE[1], LICSBAS_SHAPE[0], 1,
                                                      gdal.GDT_Float32)  # fmt: skip
            ds.SetGeoTransform(gt)
            ds.SetProjection('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
                             'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')  # fmt: skip
            ds.GetRasterBand(1).WriteArray(comp)
            ds = None
        else:
            comp.astype("<f4").tofile(str(folder / name))


@pytest.fixture(scope="module")
def licsbas_frames(tmp_path_factory):
    """Two LiCSBAS frames, acquired on other days, seeing one linear east/up field (mm)."""
    root = tmp_path_factory.mktemp("licsbas")
    rng = np.random.default_rng(2)
    east = rng.normal(0, 6, LICSBAS_SHAPE)
    up = rng.normal(-4, 6, LICSBAS_SHAPE)
    inc = np.linspace(30.0, 45.0, LICSBAS_SHAPE[1])[None, :] + np.zeros(LICSBAS_SHAPE)
    frames = {}
    for name, heading, start, layout in (
        ("014A_04939_131313", 348.0, D(2019, 1, 3), "tif"),
        ("021D_05266_252525", 192.0, D(2019, 1, 8), "raw"),
    ):
        dates = every(12, 80, start)
        s = geometry.from_heading_incidence(heading, inc)
        cum = geometry.forward(s, east, 0.0, up)[None] * years(dates)[:, None, None]
        frame = root / name
        if layout == "tif":  # LiCSAR's <frame>.geo.E.tif beside the frame's folders
            write_components(frame, s, [f"{name}.geo.{c}.tif" for c in "ENU"])
        else:  # LiCSBAS's float32 E.geo in its GEOCml folder
            write_components(frame / "GEOCml10GACOS", s, [f"{c}.geo" for c in "ENU"])
        ts = frame / "TS_GEOCml10GACOS"
        ts.mkdir(parents=True)
        cum[:, 0:2, 0:3] = np.nan  # LiCSBAS masks with NaN
        frames[name] = write_cum_h5(ts / "cum_filt.h5", dates, cum)
    return frames, east, up, root


def qgis_process(env, algorithm, params):
    cmd = [QGIS_PROCESS, "run", algorithm, "--json", "--"] + [f"{k}={v}" for k, v in params.items()]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout[out.stdout.index("{") :])


@pytest.mark.qgis_process
def test_licsbas_cum_h5_imported_velocity_and_decomposed_through_qgis_process(qgis_process_env, licsbas_frames,
                                                                             tmp_path):  # fmt: skip
    frames, east, up, _ = licsbas_frames
    velocities = []
    for name, h5 in frames.items():
        imported = qgis_process(qgis_process_env, "losdecomp:import_licsbas",
                                {"INPUT": h5, "OUTPUT": tmp_path / f"{name}_ts.tif"})  # fmt: skip
        ts = imported["results"]["OUTPUT"]
        vel = qgis_process(qgis_process_env, "losdecomp:velocity",
                           {"INPUT": ts, "START_DATE": "2019-06-01", "END_DATE": "2021-06-01",
                            "OUTPUT": tmp_path / f"{name}_vel.tif"})  # fmt: skip
        velocities.append(vel["results"]["OUTPUT"])
    out = qgis_process(qgis_process_env, "losdecomp:decompose",
                       {"ASCENDING": velocities[0], "DESCENDING": velocities[1],
                        "OUTPUT_EAST": tmp_path / "east.tif", "OUTPUT_UP": tmp_path / "up.tif"})  # fmt: skip
    got_e, got_u = read_band(out["results"]["OUTPUT_EAST"]), read_band(out["results"]["OUTPUT_UP"])
    ok = np.isfinite(got_u)
    assert ok.sum() == LICSBAS_SHAPE[0] * LICSBAS_SHAPE[1] - 6
    np.testing.assert_allclose(got_u[ok], up[ok], atol=1e-3)
    np.testing.assert_allclose(got_e[ok], east[ok], atol=1e-3)
    assert gdal.Open(out["results"]["OUTPUT_UP"]).GetRasterBand(1).GetUnitType() == "mm/year"


def test_licsbas_import_georeferences_from_pixel_centres_and_reads_the_frame(plugin, licsbas_frames, tmp_path):
    frames, _, _, _ = licsbas_frames
    for name, h5 in frames.items():
        result, log = run_logged("losdecomp:import_licsbas", {"INPUT": h5, "OUTPUT": str(tmp_path / f"{name}.tif")})
        ds = gdal.Open(result["OUTPUT"])
        gt = ds.GetGeoTransform()
        assert gt[0] == pytest.approx(CORNER[1] - POST[1] / 2) and gt[3] == pytest.approx(CORNER[0] - POST[0] / 2)
        assert ds.RasterCount == 80 + 3
        md = ds.GetMetadata()
        assert md["INSAR_UNIT"] == "mm" and md["LICSBAS_REFAREA"] == "10:12/8:10"
        # the reference area's centre: columns 10-11, rows 8-9 -> the corner between them
        assert float(md["INSAR_REF_X"]) == pytest.approx(gt[0] + 11 * POST[1])
        assert float(md["INSAR_REF_Y"]) == pytest.approx(gt[3] + 9 * POST[0])
        assert "per-pixel LOS unit vector from" in log
        assert ("GEOCml10GACOS" in log) == name.startswith("021D")


def test_a_licsbas_file_without_its_frame_files_imports_without_geometry(plugin, tmp_path):
    dates = every(12, 5, D(2020, 1, 1))
    h5 = write_cum_h5(tmp_path / "cum.h5", dates, np.zeros((5,) + LICSBAS_SHAPE))
    result, log = run_logged("losdecomp:import_licsbas", {"INPUT": h5, "OUTPUT": str(tmp_path / "ts.tif")})
    assert gdal.Open(result["OUTPUT"]).RasterCount == 5
    assert "no E/N/U files of the frame found" in log


@pytest.mark.parametrize(
    "case, message",
    [
        ("no_imdates", "not a LiCSBAS time series (no 'imdates' dataset)"),
        ("duplicate", "the same acquisition date twice: 2020-01-13"),
        ("bad_date", "'20201340' is not an acquisition date"),
        ("not_geocoded", "not geocoded (no corner_lat, corner_lon, post_lat, post_lon)"),
        ("one_date", "needs at least two acquisitions, it has 1"),
    ],
)
def test_bad_licsbas_files_get_a_clear_error_and_no_output(plugin, tmp_path, case, message):
    from qgis.core import QgsProcessingException

    dates = every(12, 4, D(2020, 1, 1))
    n = 1 if case == "one_date" else 4
    imdates = {"duplicate": [20200101, 20200113, 20200113, 20200206], "bad_date": [20200101, 20201340, 20200125,
               20200206]}.get(case)  # fmt: skip
    h5 = write_cum_h5(tmp_path / "cum.h5", dates[:n], np.zeros((n,) + LICSBAS_SHAPE), imdates=imdates,
                      extra={} if case == "not_geocoded" else None)  # fmt: skip
    if case == "no_imdates":
        mintpy_env.run_python("import sys, h5py; f = h5py.File(sys.argv[1], 'a'); del f['imdates']; f.close()", h5)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(QgsProcessingException, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_logged("losdecomp:import_licsbas", {"INPUT": h5, "OUTPUT": str(out / "ts.tif")})
    assert os.listdir(out) == []


def test_a_mintpy_file_with_a_duplicate_date_is_refused(plugin, tmp_path):
    from qgis.core import QgsProcessingException

    np.save(tmp_path / "s.npy", np.ones((3,) + SHAPE, np.float32))
    h5 = str(tmp_path / "timeseries.h5")
    mintpy_env.write_timeseries(h5, str(tmp_path / "s.npy"), ["20200101", "20200113", "20200113"], MINTPY_ATTRS)
    with pytest.raises(QgsProcessingException, match="the same acquisition date twice: 2020-01-13"):
        run_logged("losdecomp:import_mintpy", {"INPUT": h5, "OUTPUT": str(tmp_path / "ts.tif")})
    assert not os.path.exists(tmp_path / "ts.tif")
