"""From what the dialog's panels hold to Processing parameters: the algorithm the dialog
stands for (decompose, or the one-track projection), its parameters, and the chain of runs
a time series or a GNSS layer adds (``run_chain.Step``). An option a path cannot use is
refused here in words, never dropped."""

import functools

from qgis.core import QgsProcessingOutputLayerDefinition, QgsProject

from ..core.io.products import track_label
from ..provider import names as n
from . import result_names, time_functions_panel
from .gnss_panel import GnssPanel, compare_parameters
from .grid_panel import GridPanel
from .north_panel import NorthPanel
from .options_panel import OptionsPanel, output
from .regional_panel import DIRECTIONS, RegionalPanel
from .run_chain import Step
from .single_track_panel import SingleTrackPanel
from .time_series_panel import TimeSeriesPanel
from .tracks_panel import TracksPanel

ALGORITHM = n.DECOMPOSE_ID
#: decompose's parameters decompose_timeseries does not define (it reads each stack whole).
NOT_IN_TIMESERIES = tuple(t.band for t in n.TRACKS) + (n.OUTPUT_QUALITY, n.OUTPUT_UN_TILT)


def _set(params):
    """The parameters that were given (None = left empty)."""
    return {k: v for k, v in params.items() if v is not None}


def _after(params, results, step):
    """``params`` reading the output of the earlier ``step`` (None: the layer itself), whose
    velocity band is the first."""
    if step is None:
        return params
    return dict(params, **{n.INPUT: results[step][n.OUTPUT], n.BAND: 1})


def _given(params, results):
    return params


def _decompose_after(params, last, results):
    """The decomposition reading each track from the last step that made it (``last``: track
    parameter -> step name; ``EXTRA_TRACKS`` -> the extra tracks' step names); a velocity's fit
    sigma (``sigma_from``: track parameter -> its velocity step) is the track's sigma when none
    was given, as a GNSS step's output does not carry it."""
    out = dict(params)
    for t in n.TRACKS:
        if last[t.layer] is not None:  # else the picked layer itself
            out[t.layer], out[t.band] = results[last[t.layer]][n.OUTPUT], 1
        made = results.get(last.get(("sigma", t.layer)), {}).get(n.OUTPUT_SIGMA)
        if made and out.get(t.sigma) is None:
            out[t.sigma] = made
    if last.get(n.EXTRA_TRACKS):
        out[n.EXTRA_TRACKS] = [results[step][n.OUTPUT] for step in last[n.EXTRA_TRACKS]]
    return out


def _merged_tracks(params, last, results):
    """``params`` reading each merged direction's track from its merge step's output."""
    return dict(params, **{t.layer: results[last[t.layer]][n.OUTPUT] for t in n.TRACKS if last[t.layer]})


def _fit(fit, output_name, results):
    """fit_time_functions of the decomposition's ``output_name`` (east or up)."""
    loaded = QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT", QgsProject.instance())
    return dict(fit, **{n.INPUT: results["main"][output_name], n.OUTPUT: loaded})


def _fit_rename(make, new, results) -> dict:
    """The fit's names say the stack by its file: say the component, the tracks and the model."""
    return {f"{result_names.PART}{track_label(make(results)[n.INPUT])}": f"{result_names.PART}{new}"}


def _reference_to_gnss(params, previous, results):
    return _set(_after(params, results, previous))


class Parameters:
    """The dialog's state read from its panels, as Processing parameters."""

    def __init__(self, tracks: TracksPanel, grid: GridPanel, options: OptionsPanel, single_track: SingleTrackPanel,
                 time_series: TimeSeriesPanel, gnss: GnssPanel, north: NorthPanel,
                 regional: RegionalPanel):  # fmt: skip
        self.tracks = tracks
        self.grid = grid
        self.options = options
        self.single_track = single_track
        self.time_series = time_series
        self.gnss = gnss
        self.north = north
        self.regional = regional

    def algorithm_id(self) -> str:
        return n.PROJECT_SINGLE_TRACK_ID if self.tracks.single_track_mode() else ALGORITHM

    def parameters(self) -> dict:
        """The parameters of the algorithm the dialog stands for (decompose, or the
        one-track projection when only the first track is picked)."""
        if self.tracks.single_track_mode():
            return self.single_track_parameters()
        params = {**self.tracks.parameters(), **self.grid.parameters(), **self.options.parameters(),
                  **self.north.parameters()}  # fmt: skip
        crs = self.grid.target_crs()
        asc = self.tracks.ascLayer.currentLayer()
        if not crs.isValid() and asc is not None:
            crs = asc.crs()
        params.update(self.options.reference_parameters(crs))
        params.update(self.regional.plate_parameters())
        extra = self.options.extra_tracks((params[n.ASC.layer], params[n.DESC.layer]))
        if extra:
            params[n.EXTRA_TRACKS] = extra
        return _set(params)

    def single_track_parameters(self) -> dict:
        """The parameters of losdecomp:project_single_track this dialog stands for; the
        options one track cannot use are refused in words."""
        unused = self.options.unused_with_one_track() + self.north.unused_with_one_track() + self.regional.given()
        unused += ["the GNSS stations"] if self.gnss.stations() else []
        if unused:
            raise ValueError(f"one track is projected, not decomposed: {', '.join(unused)} cannot be used; clear "
                             "them, or pick a second track")  # fmt: skip
        params = {
            **self.tracks.single_track_parameters(),
            n.HORIZONTAL_AZIMUTH: self.options.azimuth_value(),
            n.OUTPUT: output(self.options.upOutput),
            **self.single_track.parameters(),
            **self.grid.parameters(),
        }
        if self.options.sigmaOutputs.isChecked():
            params[n.OUTPUT_SIGMA] = output(self.options.sigmaUpOutput)
        return _set(params)

    def steps(self) -> list:
        """The runs this dialog stands for, in order (``Step``: name, algorithm id,
        parameters from the earlier steps' results, whether its layers are loaded)."""
        params = self.parameters()
        stacks = self.tracks.stacks_mode()
        gnss = self.gnss.stations() if not self.tracks.single_track_mode() else None
        if stacks and self.time_series.common_dates():
            return self._common_dates_steps(params, gnss)
        if gnss is not None and params.get(n.EXTRA_TRACKS):
            raise ValueError("GNSS referencing applies to the ascending and descending tracks only: leave the extra "
                             "tracks empty, or reference each to GNSS first (losdecomp:reference_to_gnss)")  # fmt: skip
        if stacks and self.regional.merging(params):
            raise ValueError("frames are merged before decomposing velocities, or stacks on common dates: choose "
                             "'Time series on common dates', or merge each direction's stacks first "
                             "(losdecomp:merge_frames)")  # fmt: skip
        last = {t.layer: None for t in n.TRACKS}  # the step whose output a track's velocity is
        before = self._velocity_steps(params, last) if stacks else self.regional.merge_steps(params, last)
        if gnss is not None:
            before += self._gnss_steps(params, gnss, last)
        if not before:
            return [Step("main", self.algorithm_id(), functools.partial(_given, params), True)]
        names = result_names.Names(self._track_names(params), self.time_series.window_text() if stacks else "")
        main = functools.partial(_decompose_after, params, last)
        steps = before + [Step("main", n.DECOMPOSE_ID, main, True, rename=names.renamer(main))]
        if gnss is not None:
            compare = functools.partial(compare_parameters, gnss, names.residuals())
            steps.append(Step("compare", n.COMPARE_TO_GNSS_ID, compare, True))
        return steps

    def _common_dates_steps(self, params, gnss) -> list:
        if gnss is not None:
            raise ValueError(
                "GNSS referencing applies to velocities: choose 'velocity over the window, then decompose', or "
                "leave the GNSS layer empty"
            )
        if n.OUTPUT_QUALITY in params:
            raise ValueError("time series on common dates have no quality layer: untick 'Also write the quality "
                             "layer', or choose 'velocity over the window, then decompose'")  # fmt: skip
        plate = [k for k in (n.PLATE, n.EULER_POLE) if k in params]
        if plate:
            raise ValueError("decompose_timeseries removes no plate motion: set the plate to 'none' and clear the "
                             "Euler pole, or choose 'velocity over the window, then decompose'")  # fmt: skip
        if self.north.tilt_file_typed():
            raise ValueError("time series on common dates have no tilt layer (the tilt of d does not change with "
                             "the date: it is in the log and the metadata): clear its file, or choose 'velocity over "
                             "the window, then decompose'")  # fmt: skip
        ts = {k: v for k, v in params.items() if k not in NOT_IN_TIMESERIES}
        ts.update(self.time_series.timeseries_parameters())
        last = {t.layer: None for t in n.TRACKS}
        steps = self.regional.merge_steps(params, last)
        make = functools.partial(_merged_tracks, ts, last)
        # named by the layers; the algorithm's names already say the dates and the method
        rename = result_names.Names(self._track_names(params)).renamer(make)
        steps += [Step("main", n.DECOMPOSE_TIMESERIES_ID, make, True, rename=rename)]
        if self.time_series.time_functions():
            steps += self._fit_steps(self._track_names(params))
        return steps

    def _track_names(self, params) -> list:
        """The layer names of the tracks (the picked two, each with its merged frames' count,
        then the extra ones)."""
        picked = [self.regional.track_name(widget, params[t.layer]) for widget, _, t in DIRECTIONS]
        return picked + [lyr.name() for lyr in params.get(n.EXTRA_TRACKS, ())]

    def _fit_steps(self, tracks) -> list:
        """losdecomp:fit_time_functions on the decomposed east and on the up stack (see
        time_functions_panel for why not on each track), named by component, tracks and model."""
        fit = self.time_series.fit_parameters()
        model = self.time_series.model_text()
        steps = []
        for component, output_name in time_functions_panel.COMPONENTS:
            make = functools.partial(_fit, fit, output_name)
            rename = functools.partial(_fit_rename, make, f"{component} of {' + '.join(tracks)} ({model})")
            steps.append(Step(f"fit {component}", n.FIT_TIME_FUNCTIONS_ID, make, True, label=component,
                              rename=rename))  # fmt: skip
        return steps

    def _velocity_steps(self, params, last) -> list:
        """losdecomp:velocity over the window for each track and extra track (``last``
        records them), with its fit sigma when standard deviations are asked for."""
        window = self.time_series.velocity_parameters()
        if self.options.sigmaOutputs.isChecked():
            window[n.OUTPUT_SIGMA] = "TEMPORARY_OUTPUT"
        inputs = [(t.layer, params[t.layer]) for t in n.TRACKS]
        inputs += [(f"extra track {i}", layer) for i, layer in enumerate(params.get(n.EXTRA_TRACKS, ()), start=1)]
        steps = []
        for name, layer in inputs:
            p = {n.INPUT: layer, n.OUTPUT: "TEMPORARY_OUTPUT", **window}
            steps.append(Step(name, n.VELOCITY_ID, functools.partial(_given, p), False, label=layer.name()))
            last[name] = last[("sigma", name)] = name
        if len(inputs) > len(n.TRACKS):
            last[n.EXTRA_TRACKS] = [name for name, _ in inputs[len(n.TRACKS) :]]
        return steps

    def _gnss_steps(self, params, gnss, last) -> list:
        """losdecomp:reference_to_gnss for each track, on its velocity when there is one."""
        steps = []
        for t in n.TRACKS:
            p = self.gnss.reference_parameters(params, t, gnss)
            steps.append(Step(f"{t.layer} GNSS", n.REFERENCE_TO_GNSS_ID,
                              functools.partial(_reference_to_gnss, p, last[t.layer]), False,
                              label=params[t.layer].name()))  # fmt: skip
            last[t.layer] = f"{t.layer} GNSS"
        return steps
