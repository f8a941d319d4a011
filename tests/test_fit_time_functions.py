"""losdecomp:fit_time_functions through Processing: the bands (MintPy's names, units, the
kind and method of every sigma), the parameters of a known stack, terms dropped pixel by
pixel and counted, the model and residual outputs, refusals with no output, and the east/up
stacks of losdecomp:decompose_timeseries fitted as their true east/up series."""

import datetime
import os

import numpy as np
import pytest
from osgeo import gdal
from test_velocity_algorithm import SHAPE, write_stack

from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry, uncertainty
from insar_decomposition.core.solve import time_functions as tf

D = datetime.date
EPOCHS = [D(2021, 1, 3) + datetime.timedelta(days=12 * i) for i in range(90)]
EVENT = D(2022, 3, 1)
MODEL = tf.Model(1, (1.0,), (EVENT,), ((EVENT, 60.0),), ((D(2022, 9, 1), 30.0),))
TRUTH = np.array([2.0, 5.0, -1.0, 3.0, 10.0, 6.0, 4.0])  # intercept velocity sin cos step exp log
PARAMS = {"INPUT": None, "POLYNOMIAL": 1, "PERIODS": "1", "STEP_DATES": "2022-03-01", "EXP": "2022-03-01:60",
          "LOG": "2022-09-01:30"}  # fmt: skip
NAMES = ["intercept", "velocity", "annualAmplitude", "annualPeakDay", "step20220301", "exp20220301Tau60D",
         "log20220901Tau30D"]  # fmt: skip


def series(model, truth, epochs=EPOCHS, reference=None):
    return tf.design(epochs, model, reference or epochs[0]) @ truth


@pytest.fixture()
def stack(tmp_path):
    rng = np.random.default_rng(0)
    clean = series(MODEL, TRUTH)
    data = clean[:, None, None] + rng.normal(0, 0.5, (len(EPOCHS),) + SHAPE)
    after = np.array([d >= EVENT for d in EPOCHS])
    data[np.ix_(after, range(0, 3), range(SHAPE[1]))] = np.nan  # rows 0-2: nothing after the event
    return write_stack(tmp_path / "ts.tif", data, EPOCHS), data, tmp_path


def bands(path):
    ds = gdal.Open(path)
    return [ds.GetRasterBand(i) for i in range(1, ds.RasterCount + 1)], ds


def test_bands_named_as_mintpy_with_units_and_the_sigma_kind(plugin, stack):
    path, data, tmp = stack
    res, log = run_logged("losdecomp:fit_time_functions", dict(PARAMS, INPUT=path, OUTPUT=str(tmp / "p.tif")))
    items, ds = bands(res["OUTPUT"])
    names = [b.GetMetadataItem("LOSDECOMP_PARAMETER") for b in items]
    assert names == [x for name in NAMES for x in (name, name + "Std")]
    units = [b.GetUnitType() for b in items[::2]]
    assert units == ["mm", "mm/year", "mm", "day", "mm", "mm", "mm"]
    for band in items[1::2]:
        assert band.GetMetadataItem(uncertainty.TAG_SIGMA_KIND) == uncertainty.FIT
        assert "Fit standard deviation" in band.GetDescription() and "formal" in band.GetDescription()
    assert items[2].GetDescription().startswith("velocity (mm/year): coefficient of t")
    assert "day of year of the first maximum" in items[6].GetDescription()
    md = ds.GetMetadata()
    assert "days since the reference date / 365.25" in md["LOSDECOMP_CONVENTIONS"]
    assert "counts as after the step (MintPy: before)" in md["LOSDECOMP_CONVENTIONS"]
    assert md["LOSDECOMP_UNCERTAINTY"].startswith("formal: sqrt(s^2 (A'A)^-1)")
    assert md["LOSDECOMP_REFERENCE_DATE"] == "2021-01-03"
    # the parameters of the pixels with the whole series: the truth within their sigma
    full = (slice(3, None), slice(None))
    for name, value in zip(["velocity", "step20220301", "exp20220301Tau60D", "log20220901Tau30D"],
                           [5.0, 10.0, 6.0, 4.0]):  # fmt: skip
        band = NAMES.index(name) * 2 + 1
        z = (read_band(res["OUTPUT"], band)[full] - value) / read_band(res["OUTPUT"], band + 1)[full]
        assert np.abs(z).max() < 5 and np.mean(np.abs(z) < 1) > 0.6, name
    amp = read_band(res["OUTPUT"], 5)[full]
    assert np.median(amp) == pytest.approx(np.hypot(3.0, -1.0), abs=0.05)
    # 3 cos + (-1) sin peaks at atan2(-1, 3) / 2 pi years after the reference date (2021-01-03, day 3)
    peak = (np.arctan2(-1.0, 3.0) / (2 * np.pi) * 365.25 + 2) % 365.25 + 1
    assert np.median(read_band(res["OUTPUT"], 7)[full]) == pytest.approx(peak, abs=1.0)
    assert "uncertainty: formal" in log and "t in years = days since the reference date / 365.25" in log


def test_terms_dropped_at_a_pixel_are_nodata_there_and_counted(plugin, stack):
    path, data, tmp = stack
    res, log = run_logged("losdecomp:fit_time_functions", dict(PARAMS, INPUT=path, OUTPUT=str(tmp / "p.tif")))
    one_sided = 3 * SHAPE[1]
    for name in ("step20220301", "exp20220301Tau60D", "log20220901Tau30D"):
        value = read_band(res["OUTPUT"], NAMES.index(name) * 2 + 1)
        assert np.isnan(value[:3]).all() and np.isfinite(value[3:]).all(), name
        assert f"{name}: dropped at {one_sided} of the {SHAPE[0] * SHAPE[1]} pixels fitted" in log
    # fitted without them: the velocity before the event, from the data before it
    velocity = read_band(res["OUTPUT"], 3)[:3]
    assert np.isfinite(velocity).all() and np.median(velocity) == pytest.approx(5.0, abs=0.5)


def test_model_residuals_and_rms(plugin, stack):
    path, data, tmp = stack
    out = {k: str(tmp / f"{k}.tif") for k in ("OUTPUT", "OUTPUT_RESIDUAL_RMS", "OUTPUT_MODEL", "OUTPUT_RESIDUALS")}
    res, _ = run_logged("losdecomp:fit_time_functions", dict(PARAMS, INPUT=path, UNCERTAINTY=2, **out))
    model, ds = bands(res["OUTPUT_MODEL"])
    assert len(model) == len(EPOCHS) and model[5].GetMetadataItem("INSAR_DATE") == "20210304"
    k = 60
    fitted, residual = read_band(res["OUTPUT_MODEL"], k + 1), read_band(res["OUTPUT_RESIDUALS"], k + 1)
    np.testing.assert_allclose(fitted[3:] + residual[3:], data[k][3:], atol=1e-4)
    np.testing.assert_allclose(np.nanmedian(fitted[3:]), series(MODEL, TRUTH)[k], atol=0.2)
    rms = read_band(res["OUTPUT_RESIDUAL_RMS"])
    assert np.median(rms[3:]) == pytest.approx(0.5, rel=0.1)  # the noise
    assert "inflated for temporally correlated" in gdal.Open(res["OUTPUT"]).GetMetadata()["LOSDECOMP_UNCERTAINTY"]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"STEP_DATES": "2020-06-01"}, ["2020-06-01", "not inside the window"]),
        ({"EXP": "2024-12-01:30"}, ["EXP", "2024-12-01", "outside the window"]),
        ({"LOG": "2022-09-01"}, ["LOG", "onset and a decay time"]),
        ({"PERIODS": "1,banana"}, ["PERIODS", "banana"]),
        ({"START_DATE": "2023-01-01", "STEP_DATES": ""}, ["EXP: the onset 2022-03-01", "outside"]),
    ],
)
def test_bad_terms_are_refused_naming_them_with_no_output(plugin, stack, change, words):
    from qgis.core import QgsProcessingException

    path, _, tmp = stack
    with pytest.raises(QgsProcessingException) as err:
        run_logged("losdecomp:fit_time_functions", dict(PARAMS, INPUT=path, OUTPUT=str(tmp / "p.tif"), **change))
    for word in words:
        assert word in str(err.value)
    assert not [f for f in os.listdir(tmp) if f.startswith("p") or "partial" in f]


def test_east_and_up_from_decompose_timeseries_give_the_parameters_of_the_true_series(plugin, tmp_path):
    """Two tracks acquiring on the same days (no interpolation in time): the up and east
    stacks of losdecomp:decompose_timeseries, fitted, give the parameters fitted on the true
    up and east series (referenced to the first date, as the decomposition references them)."""
    s_asc, s_desc = geometry.from_heading_incidence(348.0, 34.0), geometry.from_heading_incidence(192.0, 39.0)
    rng = np.random.default_rng(1)
    up_truth = TRUTH[:, None, None] * rng.uniform(0.5, 1.5, (1,) + SHAPE)
    east_truth = np.array([0.0, -3.0, 1.0, 0.5, 4.0, -2.0, 1.0])[:, None, None] * np.ones((1,) + SHAPE)
    A = tf.design(EPOCHS, MODEL, EPOCHS[0])
    up, east = np.einsum("np,pij->nij", A, up_truth), np.einsum("np,pij->nij", A, east_truth)
    up += rng.normal(0, 0.3, up.shape)  # noise in the truth itself: the fits must agree, not the truth
    paths = {}
    for name, s, heading, inc in (("asc", s_asc, "348", "34"), ("desc", s_desc, "192", "39")):
        los = geometry.forward(s, east, 0.0, up)
        paths[name] = write_stack(tmp_path / f"{name}.tif", los, EPOCHS,
                                  {"INSAR_HEADING": heading, "INSAR_INCIDENCE": inc})  # fmt: skip
    res, _ = run_logged("losdecomp:decompose_timeseries", {"ASCENDING": paths["asc"], "DESCENDING": paths["desc"],
                        "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif")})  # fmt: skip
    for key, truth_series in (("OUTPUT_UP", up), ("OUTPUT_EAST", east)):
        fitted, _ = run_logged("losdecomp:fit_time_functions",
                               dict(PARAMS, INPUT=res[key], OUTPUT=str(tmp_path / f"{key}_p.tif")))  # fmt: skip
        truth_path = write_stack(tmp_path / f"{key}_truth.tif", truth_series - truth_series[0], EPOCHS)
        direct, _ = run_logged("losdecomp:fit_time_functions",
                               dict(PARAMS, INPUT=truth_path, OUTPUT=str(tmp_path / f"{key}_t.tif")))  # fmt: skip
        for band in range(3, 15):  # every parameter but the intercept, and their sigmas
            a, b = read_band(fitted["OUTPUT"], band), read_band(direct["OUTPUT"], band)
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4, err_msg=f"{key} {band}")  # float32 values of ~50 mm
