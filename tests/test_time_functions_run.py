"""losdecomp:fit_time_functions' core run (core/runs/time_functions_run.py) on small
GeoTIFF stacks, without QGIS: the reference date, the peak day and the periods a window
can resolve (review 33)."""

import datetime
import math

import numpy as np
import pytest
from osgeo import gdal, osr

from insar_decomposition.core.runs import time_functions_run as tfr
from insar_decomposition.core.solve import batch_lsq as bl
from insar_decomposition.core.solve import time_functions as tf

D = datetime.date
EPOCHS = [D(2021, 1, 3) + datetime.timedelta(days=12 * i) for i in range(40)]  # to 2022-04-16
SHAPE = (2, 3)


def write(path, data, epochs):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), SHAPE[1], SHAPE[0], len(epochs), gdal.GDT_Float32)
    ds.SetGeoTransform((500000, 30, 0, 4000000, 0, -30))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ds.SetProjection(srs.ExportToWkt())
    for i, d in enumerate(epochs, start=1):
        band = ds.GetRasterBand(i)
        band.WriteArray(data[i - 1].astype(np.float32))
        band.SetUnitType("mm")
        band.SetNoDataValue(float("nan"))
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None
    return str(path)


def stack(tmp_path, seed=0, epochs=EPOCHS):
    """3 mm + 5 mm/year + an annual term peaking in mid-April, 0.1 mm noise."""
    t = np.array([(d - epochs[0]).days / 365.25 for d in epochs])
    clean = 3 + 5 * t + 2 * np.cos(2 * np.pi * (t - 0.3))
    noise = np.random.default_rng(seed).normal(0, 0.1, (len(epochs),) + SHAPE)
    return write(tmp_path / "ts.tif", clean[:, None, None] + noise, epochs)


def run(tmp_path, path, model, name="p", **kw):
    out = str(tmp_path / f"{name}.tif")
    tfr.run(tfr.plan(tfr.FitRequest(path, None, None, model, {tfr.PARAMETERS: out}, **kw)))
    ds = gdal.Open(out)
    bands = [ds.GetRasterBand(i) for i in range(1, ds.RasterCount + 1)]
    return {b.GetMetadataItem("LOSDECOMP_PARAMETER"): b.ReadAsArray().astype(np.float64) for b in bands}


def test_a_reference_date_decades_away_is_the_same_fit_re_expressed(tmp_path):
    """Review 33 item 1: with REFERENCE_DATE 1950-01-01 and degree 3 the design on t from
    1950 had a normal matrix of condition > 1e12 and every pixel was refused ("no pixel has
    enough valid acquisitions"). Now the fit is solved on t from the window's first
    acquisition and re-expressed: the polynomial's coefficients at 1950 are the derivatives
    of the fitted polynomial there; amplitude and peak day do not change."""
    path = stack(tmp_path)
    model = tf.Model(3, (1.0,))
    base = run(tmp_path, path, model, "base")
    far = run(tmp_path, path, model, "far", reference=D(1950, 1, 1))
    shift = (EPOCHS[0] - D(1950, 1, 1)).days / 365.25
    names = ["intercept", "velocity", "acceleration", "poly3"]
    coefficients = [base[n] / math.factorial(k) for k, n in enumerate(names)]  # of t'^k
    for j, name in enumerate(names):
        derivative = sum(c * math.factorial(k) / math.factorial(k - j) * (-shift) ** (k - j)
                         for k, c in enumerate(coefficients) if k >= j)  # fmt: skip
        np.testing.assert_allclose(far[name], derivative, rtol=1e-4, err_msg=name)
    for name in ("annualAmplitude", "annualAmplitudeStd", "annualPeakDay", "annualPeakDayStd", "poly3Std"):
        np.testing.assert_array_equal(far[name], base[name], err_msg=name)


@pytest.mark.parametrize("reference", [D(2019, 2, 1), D(2021, 7, 1)])
@pytest.mark.parametrize("method", [bl.FORMAL, bl.CORRELATED])
def test_parameters_and_sigmas_at_a_reference_date_are_those_of_the_design_there(tmp_path, reference, method):
    """Where the design on t from the reference date is well conditioned (2 years before
    the window, inside it) its direct solve gives what the run writes: values and sigmas
    (the propagated covariance) to float32 precision."""
    path = stack(tmp_path)
    model = tf.Model(2, (1.0, 0.5))
    out = run(tmp_path, path, model, uncertainty=method, reference=reference)
    y = gdal.Open(path).ReadAsArray().reshape(len(EPOCHS), -1).astype(np.float64)
    A = tf.design(EPOCHS, model, reference)
    direct = bl.fit_terms(y, A, tf.terms(EPOCHS, model), bl.Options(method))
    for k, name in enumerate(["intercept", "velocity", "acceleration"]):
        np.testing.assert_allclose(out[name].ravel(), direct.params[k], rtol=2e-6, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(out[name + "Std"].ravel(), direct.sigma[k], rtol=2e-5, err_msg=name)


def test_peak_day_does_not_depend_on_the_reference_date(tmp_path):
    """Review 33 item 5: 111.862 with REFERENCE_DATE 2021-07-01, 112.112 with 2030-07-01
    (the peak counted from 1 January of the reference date's year). The peak is now the
    first maximum on or after 1 January of the window's first year, whatever t = 0."""
    path = stack(tmp_path)
    model = tf.Model(1, (1.0,))
    mid, far = (run(tmp_path, path, model, str(r), reference=r) for r in (D(2021, 7, 1), D(2030, 7, 1)))
    np.testing.assert_array_equal(mid["annualPeakDay"], far["annualPeakDay"])
    # 2 cos(2 pi (t - 0.3)), t from 2021-01-03: the maximum 0.3 years (109.575 days) later, 00:00 on day 3 + 109.575
    assert np.median(mid["annualPeakDay"]) == pytest.approx(3 + 109.575, abs=0.5)


@pytest.mark.parametrize("period, words", [
    (50.0, ["PERIODS", "50 years", "longer than the window", "2021-01-03 to 2022-04-16", "1.31 years"]),
    (0.01, ["PERIODS", "0.01 years (3.7 days)", "twice the median interval", "12 days", "aliased"]),
])  # fmt: skip
def test_a_period_the_window_cannot_resolve_is_refused_before_any_output(tmp_path, period, words):
    """Review 33 item 3: PERIODS=50 on 1.3 years was fitted (amplitude 73360 mm), and a
    period of 3.7 days on 12-day acquisitions too (aliased)."""
    path = stack(tmp_path)
    with pytest.raises(tf.TimeSeriesError) as err:
        run(tmp_path, path, tf.Model(1, (period,)))
    for word in words:
        assert word in str(err.value)
    assert not (tmp_path / "p.tif").exists()


def test_a_period_as_long_as_the_acquisitions_cover_is_fitted(tmp_path):
    """A year of 12-day acquisitions (31, 2021-01-03 to 2021-12-29: 360 days plus one
    interval) resolves the annual term; 0.07 years (25.6 days) is above twice 12 days."""
    path = stack(tmp_path, epochs=EPOCHS[:31])
    out = run(tmp_path, path, tf.Model(1, (1.0, 0.07)))
    assert np.median(out["annualAmplitude"]) == pytest.approx(2.0, abs=0.1)


def test_polynomial_bands_say_they_are_coefficients(tmp_path):
    """Review 33 item 4: the intercept was described as the "value at the reference date",
    which it is not with periodic terms (nor where a step is dropped for want of data before
    it: then it is the level after the step), the velocity as the "rate at the reference
    date". Each says it is the polynomial's coefficient."""
    path = stack(tmp_path)
    out = str(tmp_path / "p.tif")
    tfr.run(tfr.plan(tfr.FitRequest(path, None, None, tf.Model(3, (1.0,)), {tfr.PARAMETERS: out})))
    ds = gdal.Open(out)
    described = [ds.GetRasterBand(i).GetDescription() for i in (1, 3, 5, 7)]
    ds = None  # closed before any assertion (a failing one keeps the frame, and GDAL's dataset, alive)
    assert described[0].startswith("intercept (mm): the polynomial's constant coefficient")
    assert "not the model's value there when periods are fitted" in described[0]
    assert "dropped for want of data before it, the level after that step" in described[0]
    assert described[1].startswith("velocity (mm/year): coefficient of t ")
    assert described[2].startswith("acceleration (mm/year^2): coefficient of t^2/2")
    assert described[3].startswith("poly3 (mm/year^3): coefficient of t^3/3!")
    assert not any("value at the reference date" in d for d in described)


def test_where_no_data_precede_a_step_the_intercept_is_the_level_after_it(tmp_path):
    """As the intercept's description says: a pixel with nothing before the step has it
    dropped, and its intercept is then 3 mm + the 10 mm step."""
    t = np.array([(d - EPOCHS[0]).days / 365.25 for d in EPOCHS])
    step = EPOCHS[10]
    data = (3 + 5 * t + 10 * np.array([d >= step for d in EPOCHS]))[:, None, None]
    data = data + np.random.default_rng(1).normal(0, 0.1, (len(EPOCHS),) + SHAPE)
    data[:10, 0, 0] = np.nan
    out = run(tmp_path, write(tmp_path / "ts.tif", data, EPOCHS), tf.Model(1, (), (step,)))
    assert np.isnan(out["step" + step.strftime("%Y%m%d")][0, 0])
    assert out["intercept"][0, 0] == pytest.approx(13.0, abs=0.3)
    assert np.median(out["intercept"].ravel()[1:]) == pytest.approx(3.0, abs=0.3)


def test_a_one_band_dated_raster_is_told_it_needs_two_dates(tmp_path):
    """Review 33 item 7: a single band with INSAR_DATE was refused as carrying no date."""
    path = write(tmp_path / "one.tif", np.zeros((1,) + SHAPE), EPOCHS[:1])
    with pytest.raises(tf.TimeSeriesError) as err:
        run(tmp_path, path, tf.Model(1))
    assert "needs at least two dated acquisitions; this one has one, dated 2021-01-03" in str(err.value)
    assert "no band carries a date" not in str(err.value)
    assert not (tmp_path / "p.tif").exists()


def test_fit_series_at_a_reference_date_is_the_design_there():
    """The inspector's fit (time_functions.fit_series) re-expresses as the run does: every
    column, the periodic (sin, cos) rotated, equals the direct solve on t from the
    reference date, values and sigmas."""
    model = tf.Model(2, (1.0, 0.5), (EPOCHS[20],))
    truth = np.array([1.0, 5.0, -2.0, 1.5, 0.5, -0.3, 0.8, 4.0])
    y = tf.design(EPOCHS, model, EPOCHS[0]) @ truth + np.random.default_rng(2).normal(0, 0.3, len(EPOCHS))
    reference = D(2020, 5, 17)
    series = tf.fit_series(EPOCHS, y, model, reference)
    direct = bl.fit_terms(y[:, None], tf.design(EPOCHS, model, reference), tf.terms(EPOCHS, model))
    values = np.array([v for v, _ in series.parameters.values()])
    sigmas = np.array([s for _, s in series.parameters.values()])
    np.testing.assert_allclose(values, direct.params[:, 0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(sigmas, direct.sigma[:, 0], rtol=1e-7)
    np.testing.assert_allclose(series.model, tf.design(EPOCHS, model, reference) @ direct.params[:, 0], atol=1e-8)


def test_solve_window_returns_the_outputs_asked_and_residuals_only_when_asked(tmp_path):
    """The library's chunk function: MODEL alone gives no RESIDUALS entry (the epochs-used
    mask is kept only for them); both give data - model at the epochs used."""
    epochs = [datetime.date(2021, 1, 3) + datetime.timedelta(days=12 * i) for i in range(40)]
    path = str(tmp_path / "s.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 4, 3, len(epochs), gdal.GDT_Float32)
    ds.SetGeoTransform((500000, 30, 0, 4000000, 0, -30))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ds.SetProjection(srs.ExportToWkt())
    rng = np.random.default_rng(0)
    data = rng.normal(size=(len(epochs), 3, 4)).astype(np.float32)
    data[5, 1, 2] = np.nan
    for i, d in enumerate(epochs, 1):
        band = ds.GetRasterBand(i)
        band.WriteArray(data[i - 1])
        band.SetUnitType("mm")
        band.SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None
    job = tfr.plan(tfr.FitRequest(path, None, None, tf.Model(1), {tfr.PARAMETERS: str(tmp_path / "p.tif")}))
    only, _ = tfr.solve_window(job, (0, 0, 4, 3), [tfr.MODEL])
    both, _ = tfr.solve_window(job, (0, 0, 4, 3), [tfr.MODEL, tfr.RESIDUALS])
    assert sorted(only) == [tfr.MODEL] and sorted(both) == [tfr.MODEL, tfr.RESIDUALS]
    np.testing.assert_array_equal(only[tfr.MODEL], both[tfr.MODEL])
    expected = data.reshape(len(epochs), -1) - both[tfr.MODEL]
    np.testing.assert_allclose(both[tfr.RESIDUALS], expected, rtol=1e-6, atol=1e-6)
    assert np.isnan(both[tfr.RESIDUALS][5, 6]) and np.isfinite(both[tfr.RESIDUALS]).sum() == data.size - 1
