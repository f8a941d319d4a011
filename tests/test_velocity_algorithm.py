"""losdecomp:velocity on dated stacks, then losdecomp:decompose on two velocity outputs with
no angle typed; bad time series and windows refused with no output."""

import datetime
import os

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.solve import velocity as v

GT = (500000.0, 100.0, 0.0, 4100000.0, 0.0, -100.0)
SHAPE = (40, 50)
D = datetime.date


def dates_every(days, n, start):
    return [start + datetime.timedelta(days=days * i) for i in range(n)]


def write_stack(path, stack, epochs, metadata=None, unit="mm", descriptions=False):
    scene.write_raster(str(path), stack.astype(np.float32), 32611, GT, float("nan"), metadata, unit)
    ds = gdal.Open(str(path), gdal.GA_Update)
    for i, d in enumerate(epochs, start=1):
        band = ds.GetRasterBand(i)
        if descriptions:
            band.SetDescription(d.isoformat())
        else:
            band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None
    return str(path)


def los_stack(s, epochs, east_rate, up_rate, jump_at=None, jump=0.0, seasonal=0.0):
    t = np.array([(d - epochs[0]).days / 365.25 for d in epochs])[:, None, None]
    east = east_rate * t + seasonal * np.sin(2 * np.pi * t)
    up = up_rate * t + (jump * (np.array(epochs) >= jump_at)[:, None, None] if jump_at else 0.0)
    return geometry.forward(s, east, 0.0, up) * np.ones((len(epochs),) + SHAPE)


@pytest.fixture()
def stacks(tmp_path):
    rng = np.random.default_rng(0)
    east_rate = rng.normal(0, 8, SHAPE)
    up_rate = rng.normal(-5, 8, SHAPE)
    asc_epochs = dates_every(12, 60, D(2019, 1, 4))
    desc_epochs = dates_every(12, 60, D(2019, 1, 9))  # another track, other days
    s_asc = geometry.from_heading_incidence(348.0, 34.0)
    asc = write_stack(tmp_path / "asc_ts.tif", los_stack(s_asc, asc_epochs, east_rate, up_rate),
                      asc_epochs, {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"})  # fmt: skip
    frame = tmp_path / "094D_01234_000000"  # LiCSBAS-style: per-pixel geometry beside the stack
    frame.mkdir()
    inc = np.linspace(32, 44, SHAPE[1])[None, :] + np.zeros(SHAPE)
    s_desc = geometry.from_heading_incidence(192.0, inc)
    for name, comp in zip("ENU", s_desc):
        scene.write_raster(str(frame / f"{name}.geo.tif"), comp.astype(np.float32), 32611, GT, float("nan"), None, "")
    desc = write_stack(frame / "cum.tif", los_stack(s_desc, desc_epochs, east_rate, up_rate), desc_epochs,
                       descriptions=True)  # fmt: skip
    return asc, desc, east_rate, up_rate, tmp_path


def test_velocities_of_two_stacks_decompose_with_no_angle_typed(plugin, stacks):
    asc, desc, east_rate, up_rate, tmp = stacks
    outs = {}
    for name, path in (("asc", asc), ("desc", desc)):
        res, log = run_logged("losdecomp:velocity", {"INPUT": path, "START_DATE": "2019-03-01",
                              "END_DATE": "2020-12-31", "OUTPUT": str(tmp / f"v_{name}.tif"),
                              "OUTPUT_SIGMA": str(tmp / f"s_{name}.tif")})  # fmt: skip
        outs[name] = res["OUTPUT"]
        assert "acquisitions used" in log
        ds = gdal.Open(res["OUTPUT"])
        assert ds.GetMetadataItem("INSAR_UNIT") == "mm/year"
        first, last = ds.GetMetadataItem("LOSDECOMP_WINDOW").split("/")
        assert "2019-03-01" <= first and last <= "2020-12-31"
    assert gdal.Open(outs["desc"]).RasterCount == 4  # velocity + the per-pixel LOS unit vector
    res, log = run_logged("losdecomp:decompose", {"ASCENDING": outs["asc"], "DESCENDING": outs["desc"],
                          "OUTPUT_EAST": str(tmp / "e.tif"), "OUTPUT_UP": str(tmp / "u.tif")})  # fmt: skip
    assert "geometry per pixel" in log and "heading 348.0000" in log
    # the velocities carry their fit sigmas (INSAR_SIGMA_FILE) and weigh the tracks; these
    # noise-free stacks fit some pixels exactly, and a zero sigma is no usable weight
    weighed = (read_band(str(tmp / "s_asc.tif")) > 0) & (read_band(str(tmp / "s_desc.tif")) > 0)
    assert weighed.mean() > 0.5
    for key, truth in (("OUTPUT_EAST", east_rate), ("OUTPUT_UP", up_rate)):
        got = read_band(res[key])
        np.testing.assert_array_equal(np.isfinite(got), weighed)
        np.testing.assert_allclose(got[weighed], truth[weighed], atol=1e-3)


def test_tracks_cut_to_windows_more_than_a_repeat_cycle_apart_get_a_warning(plugin, stacks):
    asc, desc, _, _, tmp = stacks
    windows = {"asc": ("2019-03-01", "2020-12-31"), "desc": ("2019-06-01", "2020-12-31")}
    outs = {}
    for name, path in (("asc", asc), ("desc", desc)):
        start, end = windows[name]
        res, _ = run_logged("losdecomp:velocity", {"INPUT": path, "START_DATE": start, "END_DATE": end,
                            "OUTPUT": str(tmp / f"w_{name}.tif")})  # fmt: skip
        outs[name] = res["OUTPUT"]
    params = {"ASCENDING": outs["asc"], "DESCENDING": outs["desc"], "OUTPUT_EAST": str(tmp / "e.tif"),
              "OUTPUT_UP": str(tmp / "u.tif")}  # fmt: skip
    _, log = run_logged("losdecomp:decompose", params)
    warning = [line for line in log.splitlines() if "cover different periods" in line]
    assert len(warning) == 1 and warning[0].startswith("WARNING:"), log
    assert "more than one repeat cycle (12 days)" in warning[0]
    assert "ascending track: velocity over 2019-03-05 to 2020-12-12" in log
    # the same window, acquired on other days (within one repeat cycle): no warning
    res, _ = run_logged("losdecomp:velocity", {"INPUT": asc, "START_DATE": windows["desc"][0],
                        "END_DATE": windows["desc"][1], "OUTPUT": str(tmp / "w_asc2.tif")})  # fmt: skip
    _, log = run_logged("losdecomp:decompose", dict(params, ASCENDING=res["OUTPUT"], OUTPUT_EAST=str(tmp / "e2.tif"),
                        OUTPUT_UP=str(tmp / "u2.tif")))  # fmt: skip
    assert "cover different periods" not in log and "ascending track: velocity over 2019-06-09" in log


def test_a_time_series_given_as_a_velocity_gets_a_warning(plugin, stacks):
    asc, desc, _, _, tmp = stacks
    params = {"ASCENDING": asc, "DESCENDING": desc, "ASC_BAND": 5, "DESC_BAND": 5}
    _, log = run_logged(
        "losdecomp:decompose", dict(params, OUTPUT_EAST=str(tmp / "e.tif"), OUTPUT_UP=str(tmp / "u.tif"))
    )
    assert "WARNING: ascending track: band 5 is the displacement on 2019-02-21 of a time series" in log


def test_a_step_date_takes_up_the_co_event_jump(plugin, tmp_path):
    epochs = dates_every(12, 50, D(2020, 1, 2))
    s = geometry.from_heading_incidence(348.0, 34.0)
    stack = los_stack(s, epochs, 0.0, 10.0, jump_at=D(2020, 9, 1), jump=-40.0, seasonal=3.0)
    path = write_stack(tmp_path / "ts.tif", stack, epochs, {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"})
    params = {"INPUT": path, "MODEL": 1, "OUTPUT": str(tmp_path / "v.tif")}
    res, _ = run_logged("losdecomp:velocity", dict(params, STEP_DATES="2020-09-01"))
    np.testing.assert_allclose(read_band(res["OUTPUT"]), 10.0 * s[2], atol=1e-3)
    res, _ = run_logged("losdecomp:velocity", dict(params, OUTPUT=str(tmp_path / "v2.tif")))
    assert abs(np.nanmean(read_band(res["OUTPUT"])) - 10.0 * s[2]) > 5  # without the step, the jump leaks in


@pytest.mark.parametrize(
    "change, message",
    [
        ({"START_DATE": "2021-01-01", "END_DATE": "2020-01-01"}, "is after the end date"),
        ({"START_DATE": "2020-01-01", "END_DATE": "2020-01-20"}, "needs at least 4"),
        ({"STEP_DATES": "2015-01-01"}, "is not inside the window"),
        ({"START_DATE": "2020-02-30"}, "START_DATE: '2020-02-30' is not a date"),
        ({"INPUT": "single"}, "not a time series"),
        ({"INPUT": "duplicate"}, "same date twice"),
        ({"INPUT": "undated"}, "carry no date"),
    ],
)
def test_bad_input_gets_a_clear_error_and_no_output(plugin, tmp_path, change, message):
    from qgis.core import QgsProcessingException

    epochs = dates_every(12, 20, D(2020, 1, 2))
    stack = np.ones((20,) + SHAPE)
    inputs = {"good": write_stack(tmp_path / "ts.tif", stack, epochs)}
    inputs["single"] = scene.write_raster(str(tmp_path / "one.tif"), np.ones(SHAPE, np.float32), 32611, GT)
    inputs["duplicate"] = write_stack(tmp_path / "dup.tif", stack, epochs[:-1] + [epochs[3]])
    undated = write_stack(tmp_path / "undated.tif", stack, epochs)
    ds = gdal.Open(undated, gdal.GA_Update)
    ds.GetRasterBand(7).SetMetadataItem("INSAR_DATE", "")
    ds.GetRasterBand(7).SetDescription("band seven")
    ds = None
    inputs["undated"] = undated
    out = tmp_path / "out"
    out.mkdir()
    params = {"INPUT": inputs["good"], "OUTPUT": str(out / "v.tif")}
    params.update(change)
    params["INPUT"] = inputs.get(params["INPUT"], params["INPUT"])
    with pytest.raises(QgsProcessingException) as info:
        run_logged("losdecomp:velocity", params)
    assert message in str(info.value)
    assert os.listdir(out) == []


def test_the_core_fit_matches_the_algorithm(plugin, stacks):
    asc, _, east_rate, up_rate, tmp = stacks
    res, _ = run_logged("losdecomp:velocity", {"INPUT": asc, "OUTPUT": str(tmp / "v.tif")})
    ds = gdal.Open(asc)
    epochs = [v.parse_date(ds.GetRasterBand(i).GetMetadataItem("INSAR_DATE"), "") for i in range(1, 61)]
    y = np.stack([read_band(asc, i).ravel() for i in range(1, 61)])
    vel, _, _ = v.fit(y, v.design_matrix(epochs, v.LINEAR, []))
    np.testing.assert_allclose(read_band(res["OUTPUT"]).ravel(), vel, atol=1e-5)


def test_a_velocity_carries_its_sigma_into_decompose(plugin, stacks):
    """velocity -> decompose chains (models, qgis_process) give sigmas without ASC_SIGMA /
    DESC_SIGMA: the velocity names its OUTPUT_SIGMA file (INSAR_SIGMA_FILE), each its own,
    though both tracks' files share a folder; without one, the refusal says how to get it."""
    from qgis.core import QgsProcessingException

    asc, desc, _, _, tmp = stacks
    outs = {}
    for name, path in (("asc", asc), ("desc", desc)):
        res, _ = run_logged("losdecomp:velocity", {"INPUT": path, "OUTPUT": str(tmp / f"v_{name}.tif"),
                            "OUTPUT_SIGMA": str(tmp / f"sigma_{name}.tif")})  # fmt: skip
        outs[name] = res["OUTPUT"]
        ds = gdal.Open(res["OUTPUT"])
        assert ds.GetMetadataItem("INSAR_SIGMA_FILE") == f"sigma_{name}.tif"
        ds = None
    res, log = run_logged("losdecomp:decompose", {"ASCENDING": outs["asc"], "DESCENDING": outs["desc"],
                          "OUTPUT_EAST": str(tmp / "e.tif"), "OUTPUT_UP": str(tmp / "u.tif"),
                          "OUTPUT_SIGMA_UP": str(tmp / "su.tif")})  # fmt: skip
    assert "sigma_asc.tif" in log and "sigma_desc.tif" in log
    sigma_up = read_band(res["OUTPUT_SIGMA_UP"])
    assert np.isfinite(sigma_up).any() and (sigma_up[np.isfinite(sigma_up)] > 0).all()
    res, _ = run_logged("losdecomp:velocity", {"INPUT": asc, "OUTPUT": str(tmp / "v_plain.tif")})
    with pytest.raises(QgsProcessingException, match="make its velocity with losdecomp:velocity and OUTPUT_SIGMA"):
        run_logged("losdecomp:decompose", {"ASCENDING": res["OUTPUT"], "DESCENDING": outs["desc"],
                   "OUTPUT_EAST": str(tmp / "e2.tif"), "OUTPUT_UP": str(tmp / "u2.tif"),
                   "OUTPUT_SIGMA_UP": str(tmp / "su2.tif")})  # fmt: skip
