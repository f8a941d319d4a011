"""The speed-ups of the time-function run change no result (issue 33, the speed must-show):
the peak day from a calendar of the day range is the same as from the calendar of each
pixel."""

import datetime

import numpy as np
import pytest

from insar_decomposition.core.solve import time_functions as tf


@pytest.mark.parametrize("january", [datetime.date(2020, 1, 1), datetime.date(2021, 1, 1)])
def test_peak_day_is_the_calendar_of_each_pixel(january):
    rng = np.random.default_rng(january.year)
    days = np.concatenate([rng.random(20000) * 366.0, [0.0, 364.5, 365.0, 365.9, np.nan]])
    whole = np.floor(np.nan_to_num(days))
    expected = np.where(np.isfinite(days), tf._day_of_year(whole, january) + (days - whole), np.nan)
    np.testing.assert_array_equal(tf.peak_day(days, january, 1.0), expected)
    if january.year == 2021:  # 365.x days after 1 January 2021 is 1 January 2022
        assert tf.peak_day(np.array([365.25]), january, 1.0)[0] == 1.25
