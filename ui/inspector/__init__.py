"""The time-series inspector: a map tool (tool.py), a dock (dock.py) with its plot canvas
(plot.py), and the state they share (state.py: the layers, the places, the reference),
whose numbers come from the core sampler (core/samplers/series.py), the same as
``losdecomp:sample_timeseries``."""
