"""Velocity over a window: known answers against numpy least squares with the same design
matrix (linear, seasonal, steps, noise, nodata epochs), and bad windows."""

import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insar_decomposition.core.solve import velocity as v

D = datetime.date
FIRST = D(2019, 1, 3)


def epochs_every(days, n, start=FIRST):
    return [start + datetime.timedelta(days=days * i) for i in range(n)]


def reference_fit(y, A):
    """numpy's lstsq per pixel on its valid epochs: velocity and sqrt(s^2 (A'A)^-1)_vv."""
    vel, sig = np.full(y.shape[1], np.nan), np.full(y.shape[1], np.nan)
    for j in range(y.shape[1]):
        ok = np.isfinite(y[:, j])
        if ok.sum() < A.shape[1] + 2:
            continue
        a, b = A[ok], y[ok, j]
        m, rss, *_ = np.linalg.lstsq(a, b, rcond=None)
        s2 = float(np.sum((b - a @ m) ** 2)) / (ok.sum() - A.shape[1])
        vel[j], sig[j] = m[1], np.sqrt(s2 * np.linalg.inv(a.T @ a)[1, 1])
    return vel, sig


@pytest.mark.parametrize("model", [v.LINEAR, v.ANNUAL, v.SEMIANNUAL])
@pytest.mark.parametrize("n_steps", [0, 1, 2])
def test_known_answer_against_numpy_least_squares(model, n_steps):
    rng = np.random.default_rng(model * 10 + n_steps)
    epochs = epochs_every(12, 80)
    steps = [epochs[25] + datetime.timedelta(days=5), epochs[55]][:n_steps]
    A = v.design_matrix(epochs, model, steps)
    truth = rng.normal(0, 10, (A.shape[1], 300))
    y = A @ truth + rng.normal(0, 1.5, (len(epochs), 300))
    y[rng.random(y.shape) < 0.2] = np.nan  # nodata epochs, different per pixel
    y[:, :5] = np.nan  # pixels with no data at all
    y[: len(epochs) - (A.shape[1] + 1), 5:10] = np.nan  # pixels with too few epochs (at most p + 1)
    vel, sig, count = v.fit(y, A)
    ref_v, ref_s = reference_fit(y, A)
    np.testing.assert_allclose(vel, ref_v, rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(sig, ref_s, rtol=1e-4, equal_nan=True)
    assert np.isnan(vel[:10]).all() and np.isfinite(vel[10:]).all()
    # and the truth is recovered within a few formal sigmas
    assert np.nanmax(np.abs(vel - truth[1]) / sig) < 6


def test_the_velocity_is_per_year_of_365_25_days():
    epochs = [D(2020, 1, 1), D(2020, 7, 1), D(2021, 1, 1), D(2021, 7, 1), D(2022, 1, 1)]
    t = np.array([(d - epochs[0]).days / 365.25 for d in epochs])
    y = (5.0 * t + 2.0)[:, None]
    vel, sig, _ = v.fit(y, v.design_matrix(epochs, v.LINEAR, []))
    assert vel[0] == pytest.approx(5.0, rel=1e-6) and sig[0] == pytest.approx(0.0, abs=1e-5)


def test_a_window_keeps_the_epochs_inside_it_inclusive():
    epochs = epochs_every(10, 20)
    inside = v.window(epochs, epochs[3], epochs[12], [], v.LINEAR)
    assert inside == list(range(3, 13))


@pytest.mark.parametrize(
    "start, end, steps, model, message",
    [
        (D(2019, 6, 1), D(2019, 2, 1), [], v.LINEAR, "is after the end date"),
        (D(2019, 1, 1), D(2019, 1, 20), [], v.LINEAR, "needs at least 4"),
        (None, None, [D(2018, 1, 1)], v.LINEAR, "is not inside the window"),
        (None, None, [D(2019, 1, 3)], v.LINEAR, "is not inside the window"),  # the first epoch
        (None, None, [D(2030, 1, 1)], v.LINEAR, "is not inside the window"),
        (None, None, [], 7, "unknown model"),
    ],
)
def test_bad_windows_are_refused(start, end, steps, model, message):
    with pytest.raises(v.TimeSeriesError, match=message):
        v.window(epochs_every(12, 30), start, end, steps, model)


def test_duplicate_dates_and_bad_date_text_are_refused():
    epochs = epochs_every(12, 10)
    with pytest.raises(v.TimeSeriesError, match="same date twice"):
        v.window(epochs + [epochs[3]], None, None, [], v.LINEAR)
    with pytest.raises(v.TimeSeriesError, match="START_DATE: '2021-13-01' is not a date"):
        v.parse_date("2021-13-01", "START_DATE")
    assert v.parse_dates("2021-03-01, 2020-01-05", "STEP_DATES") == [D(2020, 1, 5), D(2021, 3, 1)]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), model=st.sampled_from([0, 1, 2]), gap=st.floats(0, 0.6))
def test_property_agrees_with_numpy_for_random_gaps(seed, model, gap):
    rng = np.random.default_rng(seed)
    epochs = sorted(set(D(2018, 1, 1) + datetime.timedelta(days=int(x)) for x in rng.uniform(0, 1500, 40)))
    A = v.design_matrix(epochs, model, [])
    y = A @ rng.normal(0, 5, (A.shape[1], 40)) + rng.normal(0, 1, (len(epochs), 40))
    y[rng.random(y.shape) < gap] = np.nan
    vel, sig, _ = v.fit(y, A)
    ref_v, ref_s = reference_fit(y, A)
    np.testing.assert_allclose(vel, ref_v, rtol=1e-4, atol=1e-5, equal_nan=True)


def test_windows_more_than_a_repeat_cycle_apart_are_named():
    a = (D(2020, 1, 1), D(2021, 1, 1), 12.0)
    assert v.window_mismatch([("ascending", a)]) is None
    assert v.window_mismatch([("ascending", a), ("descending", (D(2020, 1, 13), D(2020, 12, 20), 12.0))]) is None
    text = v.window_mismatch([("ascending", a), ("descending", (D(2020, 1, 14), D(2021, 1, 1), 12.0))])
    assert "differ by 13 days, more than one repeat cycle (12 days)" in text
    # the longest repeat cycle of the tracks sets the tolerance; unknown counts as 12 days
    assert v.window_mismatch([("ascending", a), ("descending", (D(2020, 1, 20), D(2021, 1, 1), 24.0))]) is None
    assert "(12 days)" in v.window_mismatch([("a", a[:2] + (None,)), ("b", (D(2020, 2, 1), D(2021, 1, 1), None))])


def test_the_repeat_cycle_is_the_median_interval():
    epochs = [D(2020, 1, 1), D(2020, 1, 13), D(2020, 1, 25), D(2020, 3, 1), D(2020, 3, 13)]
    assert v.repeat_days(epochs) == 12.0


def test_pixels_grouped_by_their_valid_epochs_fit_as_pixel_by_pixel():
    rng = np.random.default_rng(7)
    epochs = [D(2020, 1, 1) + datetime.timedelta(days=12 * i) for i in range(30)]
    A = v.design_matrix(epochs, v.ANNUAL, [D(2020, 6, 1)])
    y = A @ rng.normal(size=(A.shape[1], 400)) + rng.normal(0, 0.1, (30, 400))
    y[5, 100:200] = np.nan  # a second large group
    y[rng.integers(0, 30, 60), rng.integers(200, 400, 60)] = np.nan  # scattered: small groups
    y[:26, 399] = np.nan  # too few epochs left
    vel, sig, count = v.fit(y, A)
    ref_vel, ref_sig, _ = v._fit_per_pixel(y, A)
    np.testing.assert_allclose(vel, ref_vel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sig, ref_sig, rtol=1e-5, atol=1e-6)
    assert np.isnan(vel[399]) and count[399] == 4
    ok = np.isfinite(y[:, 150])
    expected = np.linalg.lstsq(A[ok], y[ok, 150], rcond=None)[0][1]
    assert vel[150] == pytest.approx(expected, rel=1e-5)


def test_closed_form_two_by_two_inverse_and_condition_match_lapack():
    rng = np.random.default_rng(3)
    g = rng.normal(size=(500, 10, 2)) * rng.uniform(0.01, 100, (500, 1, 2))
    normal = np.einsum("kni,knj->kij", g, g)
    normal[0] = [[1.0, 2.0], [2.0, 4.0]]  # singular
    inverse, cond = v._inverse_and_condition(normal)
    want = np.linalg.cond(normal[1:])
    np.testing.assert_allclose(cond[1:], want, rtol=1e-6)
    np.testing.assert_allclose(inverse[1:], np.linalg.inv(normal[1:]), rtol=1e-8, atol=1e-12)
    assert not cond[0] < 1e12
    # larger systems go through LAPACK, with the same meaning
    big = np.einsum("kni,knj->kij", *(2 * [rng.normal(size=(20, 10, 4))]))
    inverse, cond = v._inverse_and_condition(big)
    np.testing.assert_allclose(inverse, np.linalg.inv(big), rtol=1e-8, atol=1e-10)
