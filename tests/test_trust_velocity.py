"""losdecomp:velocity, what its numbers can be trusted for: step dates that make the fit
singular are refused at planning, naming them; a step that a pixel's data do not constrain
is dropped at that pixel (the velocity fitted from the rest); the sigma output is a fit
sigma and says so; Monte Carlo: the stated fit sigma is the scatter of the fitted
velocities under white noise; a NaN is never read as a zero."""

import datetime
import os

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import run_logged
from insar_decomposition.core.conventions import uncertainty
from insar_decomposition.core.conventions.schema import ROLE_STD, TAG_ROLE
from insar_decomposition.core.runs import velocity_run as vr
from insar_decomposition.core.solve import velocity as v

D = datetime.date
GT = (500000.0, 100.0, 0.0, 4100000.0, 0.0, -100.0)
EPOCHS = [D(2020, 1, 2) + datetime.timedelta(days=12 * i) for i in range(40)]  # ..., 08-29, 09-10, ...
STEP = D(2020, 9, 1)


def years(epochs):
    return np.array([(d - epochs[0]).days / 365.25 for d in epochs])


def reference_fit(y, epochs, model, steps):
    """Pixel by pixel with numpy's lstsq, the rule written out plainly: the acquisitions
    between consecutive step dates (or the window's ends) form a segment; a segment with
    fewer than 2 valid acquisitions is not used; a step is kept where its next segment is
    used and some segment before it is; the velocity and sqrt(s^2 (A'A)^-1)_vv from the rest."""
    A = v.design_matrix(epochs, model, steps)
    base = A.shape[1] - len(steps)
    segment = np.array([sum(d >= s for s in steps) for d in epochs])
    vel, sig = np.full(y.shape[1], np.nan), np.full(y.shape[1], np.nan)
    for j in range(y.shape[1]):
        ok = np.isfinite(y[:, j])
        enough = [np.count_nonzero(ok & (segment == s)) >= 2 for s in range(len(steps) + 1)]
        ok &= np.array([enough[s] for s in segment])
        keep = [enough[k + 1] and any(enough[: k + 1]) for k in range(len(steps))]
        a = A[ok][:, list(range(base)) + [base + k for k in range(len(steps)) if keep[k]]]
        if ok.sum() < a.shape[1] + 2:
            continue
        m = np.linalg.lstsq(a, y[ok, j], rcond=None)[0]
        s2 = float(np.sum((y[ok, j] - a @ m) ** 2)) / (ok.sum() - a.shape[1])
        vel[j], sig[j] = m[1], np.sqrt(s2 * np.linalg.inv(a.T @ a)[1, 1])
    return vel, sig


def write_stack(path, stack, epochs):
    scene.write_raster(str(path), stack.astype(np.float32), 32611, GT, float("nan"), None, "mm")
    ds = gdal.Open(str(path), gdal.GA_Update)
    for i, d in enumerate(epochs, start=1):
        ds.GetRasterBand(i).SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    ds = None
    return str(path)


@pytest.fixture(params=["default", "patterns", "per pixel"])
def path(request, monkeypatch):
    """Every way through the fit: as it chooses, every pattern as a group, every pixel on its own."""
    if request.param != "default":
        monkeypatch.setattr(v, "FIT_GROUP_PIXELS", 1 if request.param == "patterns" else 10**9)
    return request.param


# --- 1. step dates that make the fit singular, refused when planning ----------------------


@pytest.mark.parametrize(
    "steps, words",
    [
        ([STEP, STEP], ["2020-09-01", "twice"]),
        ([STEP, D(2020, 9, 5)], ["2020-09-01 and 2020-09-05", "no acquisition between"]),
        ([STEP, D(2020, 9, 15)], ["2020-09-01 and 2020-09-15", "only 1 acquisition"]),
        ([D(2020, 1, 10)], ["2020-01-10", "only 1 acquisition", "before"]),
        ([EPOCHS[-1]], [str(EPOCHS[-1]), "only 1 acquisition", "from"]),
    ],
)
def test_steps_the_fit_cannot_separate_are_refused_naming_their_dates(steps, words):
    with pytest.raises(v.TimeSeriesError) as info:
        v.window(EPOCHS, None, None, sorted(steps), v.LINEAR)
    for word in words:
        assert word in str(info.value)


def test_duplicate_steps_are_refused_before_any_pixel_is_read(tmp_path):
    """Before: planned, then every pixel nodata and 'no pixel has enough valid acquisitions'."""
    ts = write_stack(tmp_path / "ts.tif", np.ones((len(EPOCHS), 4, 5)), EPOCHS)
    out = tmp_path / "out"
    out.mkdir()
    req = vr.VelocityRequest(ts, None, None, v.LINEAR, [STEP, D(2020, 9, 5)], {vr.VELOCITY: str(out / "v.tif")})
    with pytest.raises(v.TimeSeriesError, match="2020-09-01 and 2020-09-05"):
        vr.plan(req)
    assert os.listdir(out) == []


def test_the_algorithm_refuses_a_step_given_twice(plugin, tmp_path):
    from qgis.core import QgsProcessingException

    ts = write_stack(tmp_path / "ts.tif", np.ones((len(EPOCHS), 4, 5)), EPOCHS)
    with pytest.raises(QgsProcessingException, match="2020-09-01.*twice"):
        run_logged("losdecomp:velocity", {"INPUT": ts, "STEP_DATES": "2020-09-01,2020-09-01",
                                          "OUTPUT": str(tmp_path / "v.tif")})  # fmt: skip


# --- 2. a step a pixel's data do not constrain is dropped at that pixel -------------------


def one_sided_stack(rng, shape=(6, 10), noise=0.5):
    """5 mm/yr, a 20 mm jump at STEP; columns 0-2 valid before the step only, 3-4 after only,
    5 with one acquisition after it (the jump, which only a step could fit), the rest both."""
    t, after = years(EPOCHS)[:, None, None], (np.array(EPOCHS) >= STEP)[:, None, None]
    stack = 5.0 * t + 20.0 * after + rng.normal(0, noise, (len(EPOCHS),) + shape)
    stack[:, :, 0:3][after[:, 0, 0]] = np.nan
    stack[:, :, 3:5][~after[:, 0, 0]] = np.nan
    first_after = int(np.argmax(after))
    stack[first_after + 1 :, :, 5] = np.nan
    return stack


def test_pixels_with_data_on_one_side_of_a_step_get_the_velocity_of_that_side(tmp_path):
    """Before: columns 0-4 were nodata (6 x 5 of 60 pixels), column 5 biased by the jump."""
    stack = one_sided_stack(np.random.default_rng(1))
    ts = write_stack(tmp_path / "ts.tif", stack, EPOCHS)
    outs = {vr.VELOCITY: str(tmp_path / "v.tif"), vr.SIGMA: str(tmp_path / "s.tif")}
    result = vr.run(vr.plan(vr.VelocityRequest(ts, None, None, v.LINEAR, [STEP], outs)))
    vel = gdal.Open(result[vr.VELOCITY]).ReadAsArray()
    sig = gdal.Open(result[vr.SIGMA]).ReadAsArray()
    ref_v, ref_s = reference_fit(stack.reshape(len(EPOCHS), -1), EPOCHS, v.LINEAR, [STEP])
    assert np.isfinite(vel).all() and result["resolved"] == vel.size
    np.testing.assert_allclose(vel.ravel(), ref_v, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sig.ravel(), ref_s, rtol=1e-4)
    assert np.abs(vel - 5.0).max() < 6 * sig.max()  # the jump leaks into no pixel
    assert result["steps_dropped"] == {STEP: 6 * 6}  # columns 0-5
    assert any("step 2020-09-01: dropped at 36 of the 60 pixels with a velocity" in line for line in result["log"])


def test_the_algorithm_logs_the_pixels_where_a_step_was_dropped(plugin, tmp_path):
    ts = write_stack(tmp_path / "ts.tif", one_sided_stack(np.random.default_rng(5)), EPOCHS)
    _, log = run_logged("losdecomp:velocity", {"INPUT": ts, "STEP_DATES": "2020-09-01",
                                               "OUTPUT": str(tmp_path / "v.tif")})  # fmt: skip
    assert "the step is dropped and the velocity fitted without it" in log  # the rule, before the run
    assert "step 2020-09-01: dropped at 36 of the 60 pixels with a velocity" in log  # the count, after it


def test_the_rule_is_the_same_for_every_pattern_and_pixel_by_pixel(path):
    rng = np.random.default_rng(2)
    steps = [D(2020, 5, 1), STEP]
    A = v.design_matrix(EPOCHS, v.ANNUAL, steps)
    y = (A @ rng.normal(0, 10, (A.shape[1], 3000)) + rng.normal(0, 1, (len(EPOCHS), 3000))).astype(np.float32)
    first, second = (EPOCHS.index(min(d for d in EPOCHS if d >= s)) for s in steps)
    y[second - 1 :, :1100] = np.nan  # before the second step only: a large group
    y[:first, 1100:1200] = np.nan  # after the first only
    y[first:second, 1200:1300] = np.nan  # nothing between the two: one step left, taking both jumps
    y[first + 1 : second, 1300:1400] = np.nan  # one acquisition between them: not used
    y[:, 1400:][rng.random((len(EPOCHS), 1600)) < 0.15] = np.nan  # scattered gaps: small groups
    dropped = np.zeros(2, dtype=np.int64)
    vel, sig, count = v.fit(y, A, n_steps=2, dropped=dropped)
    ref_v, ref_s = reference_fit(y, EPOCHS, v.ANNUAL, steps)
    np.testing.assert_allclose(vel, ref_v, rtol=1e-4, atol=1e-4, equal_nan=True)
    np.testing.assert_allclose(sig, ref_s, rtol=1e-4, equal_nan=True)
    assert np.isfinite(vel[:1400]).mean() > 0.95
    assert dropped[1] >= 1000 and dropped[0] >= 100


# --- 3. the sigma output says it is a fit sigma -------------------------------------------


def test_the_sigma_band_is_labelled_a_fit_sigma_and_keeps_its_role(tmp_path):
    stack = 5.0 * years(EPOCHS)[:, None, None] + np.random.default_rng(3).normal(0, 1, (len(EPOCHS), 4, 5))
    ts = write_stack(tmp_path / "ts.tif", stack, EPOCHS)
    outs = {vr.VELOCITY: str(tmp_path / "v.tif"), vr.SIGMA: str(tmp_path / "s.tif")}
    result = vr.run(vr.plan(vr.VelocityRequest(ts, None, None, v.LINEAR, [], outs)))
    ds = gdal.Open(result[vr.SIGMA])
    band = ds.GetRasterBand(1)
    assert band.GetDescription().startswith(uncertainty.label(uncertainty.FIT, "the LOS velocity"))
    assert band.GetMetadataItem(uncertainty.TAG_SIGMA_KIND) == uncertainty.FIT
    assert band.GetMetadataItem(TAG_ROLE) == ROLE_STD  # decompose weighs the track with it


# --- 4. Monte Carlo: the stated fit sigma is the scatter of the fitted velocities ----------


@pytest.mark.parametrize("model", [v.LINEAR, v.ANNUAL])
@pytest.mark.parametrize("side", ["both", "before only", "before, and one after"])
def test_monte_carlo_the_fit_sigma_is_the_scatter_of_the_velocities(model, side, path):
    rng = np.random.default_rng(4)
    n_pixels, noise, truth = 1000, 2.0, 5.0
    t = years(EPOCHS)
    after = np.array(EPOCHS) >= STEP
    clean = truth * t + 3.0 * np.sin(2 * np.pi * t + 0.4) * (model == v.ANNUAL) + 20.0 * after - 7.0
    y = clean[:, None] + rng.normal(0, noise, (len(EPOCHS), n_pixels))
    y[[3, 4, 11, 30]] = np.nan  # gaps in the acquisitions
    if side != "both":
        y[after] = np.nan
    if side == "before, and one after":
        y[np.argmax(after)] = clean[np.argmax(after)] + rng.normal(0, noise, n_pixels)
    vel, sig, _ = v.fit(y, v.design_matrix(EPOCHS, model, [STEP]), n_steps=1)
    assert np.isfinite(vel).all()
    scatter = np.std(vel, ddof=1)
    assert np.median(sig) == pytest.approx(scatter, rel=0.10)
    assert abs(np.mean(vel) - truth) < 4 * scatter / np.sqrt(n_pixels)  # and no bias


# --- a NaN is never a zero ----------------------------------------------------------------


def test_a_nan_is_never_read_as_a_zero(path):
    """Noise-free 100 mm + 5 mm/yr (+ a jump): with NaN at some epochs the fit is exact; a
    NaN read as 0 would pull the velocity far off and give a non-zero sigma."""
    t, after = years(EPOCHS), np.array(EPOCHS) >= STEP
    y = np.repeat((100.0 + 5.0 * t + 30.0 * after)[:, None], 200, axis=1)
    y[5, :] = np.nan
    y[[2, 9, 31], 100:] = np.nan
    y[after, 150:] = np.nan  # before the step only
    y[np.argmax(after), 180:] = 1e6  # ... and one acquisition after it, not used
    vel, sig, count = v.fit(y, v.design_matrix(EPOCHS, v.ANNUAL, [STEP]), n_steps=1)
    np.testing.assert_allclose(vel, 5.0, rtol=1e-6)
    assert np.nanmax(sig) < 1e-4
    assert count[0] == len(EPOCHS) - 1 and count[199] == int(np.argmax(after)) - 3
