"""Processing group "Time series": stacks of dated bands in (``losdecomp:velocity``,
``losdecomp:decompose_timeseries``,
``losdecomp:sample_timeseries``, ``losdecomp:export_points_timeseries``,
``losdecomp:export_timeseries``)."""

from ..base import Group

TIME_SERIES = Group("time_series", "Time series")
