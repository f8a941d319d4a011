"""What the inspector shows, without widgets: the loaded layers (time series, and
single-epoch rasters for the read-out), the places clicked or drawn, the reference, and the
series at each place from the core sampler (core/runs/series_run.series_or_why, the same code as
losdecomp:sample_timeseries)."""

import csv
from dataclasses import replace
from typing import Optional

from ...core.conventions.errors import TimeSeriesError
from ...core.runs import series_gnss
from ...core.runs.series_run import reference_gaps, series_or_why
from ...core.samplers import series as ts

#: Places compared at once (a click, then a shift-click).
MAX_PLACES = 2
PLACE_NAMES = ("A", "B")


class InspectorState:
    """Layers, places (targets), the reference (a target or None) and the series drawn."""

    def __init__(self):
        self.layers: list = []  # ts.SeriesLayer
        self.single: list = []  # (path, name) of single-epoch rasters
        self.places: list = []  # ts.Target
        self.reference: Optional[ts.Target] = None
        self.reference_date = None  # datetime.date: every series zero there (REFERENCE_DATE)
        self.fit = False
        self.gnss_path, self.gnss_radius = "", 1000.0
        self.stations: list = []  # io.gnss_series.Series of gnss_path
        self.gnss: list = []  # series_gnss.GnssCurve drawn
        self.data: list = []  # (place name, ts.Series) drawn
        self.notes: list = []
        self.reasons: list = []  # the notes that say why a place with data shows none
        self._key = None

    def set_layers(self, entries: list) -> None:
        """(path, name) of every raster loaded: dated stacks become series layers (their
        sigma stacks paired), the others go to the read-out. Opened once per set of files."""
        key = tuple(entries)
        if key == self._key:
            return
        self._key, layers, self.single = key, [], []
        for path, name in entries:
            try:
                layers.append(ts.open_layer(path, name))
            except (TimeSeriesError, ValueError, RuntimeError):
                self.single.append((path, name))
        self.layers = ts.pair_sigmas(ts.distinct_names(layers))

    def place(self, target: ts.Target, add: bool = False) -> None:
        """A new place (replacing the others), or a second one (``add``: shift-click; a third
        drops the first, place A)."""
        self.places = (self.places + [target])[-MAX_PLACES:] if add and self.places else [target]

    def compute(self) -> list:
        """The series at every place, relative to the reference; notes say what is missing."""
        self.data, self.notes = [], []
        self.reasons: list = []  # why values are missing: the reference's gaps, the zero date
        refs = {}  # by layer (id): names may clash
        for layer in self.layers if self.reference else ():
            if layer.is_sigma:  # never referenced
                continue
            try:
                refs[id(layer)] = ts.reference_values(layer, self.reference)
            except ValueError as exc:
                self.notes.append(str(exc))
                continue
            self.reasons += [reference_gaps(layer, refs[id(layer)], self.reference)]
        for name, target in zip(PLACE_NAMES, self.places):
            for layer in self.layers:
                if self.reference is not None and id(layer) not in refs and not layer.is_sigma:
                    continue
                s, why = series_or_why(layer, target, refs.get(id(layer)), self.reference_date,
                                       envelope=bool(target.polygon_wkt))  # fmt: skip
                self.reasons.append(why)
                if s is not None and s.valid.any():
                    label = s.layer if len(self.places) == 1 else f"{s.layer} ({name})"
                    self.data.append((name, replace(s, layer=label)))
        self.reasons = [why for why in dict.fromkeys(self.reasons) if why]
        self.notes += self.reasons
        self.gnss = self._gnss()
        return self.data

    def set_gnss(self, path: str) -> list:
        """Read the stations of a GNSS file or folder (.tenv3 or CSV); '' removes them.
        Returns what the reader said (ValueError when nothing is usable)."""
        self.gnss_path, self.stations = "", []
        if path:
            found = series_gnss.read_stations(path)
            self.gnss_path, self.stations = path, found.series
            return found.log
        return []

    def _gnss(self) -> list:
        """The station nearest the first place (within the radius) in each drawn layer's
        direction, zero where the layer's series is zero (reference date, else its first)."""
        place = self.places[0] if self.places and not self.places[0].polygon_wkt else None
        if place is None or not self.stations:
            return []
        found = series_gnss.nearest_station(self.stations, place.crs_wkt, place.x, place.y, self.gnss_radius)
        if found is None:
            self.notes.append(f"no GNSS station within {self.gnss_radius:g} m of the place")
            return []
        layers = {la.name: la for la in self.layers}
        out = []
        for name, s in self.data:
            layer = layers.get(s.layer.rsplit(" (", 1)[0] if len(self.places) > 1 else s.layer)
            if name != PLACE_NAMES[0] or layer is None:
                continue
            zero = self.reference_date or s.dates[int(s.valid.argmax())]
            curve = series_gnss.gnss_curve(found[0], found[1], layer, zero, s.layer)
            if curve is not None:
                out.append(curve)
        if not out:
            self.notes.append(f"GNSS {found[0].site}: no drawn layer has a direction there, or no position at its zero")
        return out

    def curves(self) -> list:
        """The GNSS curves, and a fitted line per series when the fit is ticked: (label (with
        the rate), dates, values). A time-function model adds its curve the same way."""
        out = [(c.label, c.dates, c.values) for c in self.gnss]
        for _, s in self.data if self.fit else ():
            rate = ts.linear_rate(s)
            if rate is not None:
                unit = f" {s.unit}/yr" if s.unit else "/yr"
                sigma = f" +/- {rate.sigma:.2g}" if rate.sigma == rate.sigma else ""
                tail = "" if sigma else f" (no sigma: {int(s.valid.sum())} dates)"
                out.append((f"{s.layer} line: {rate.rate:.3g}{sigma}{unit}{tail}", s.dates, rate.line))
        return out

    def readout(self) -> list:
        """(layer, band, value) of every single-epoch raster at the first place's pixel."""
        if not self.places or self.places[0].polygon_wkt:
            return []
        rows = []
        for path, name in self.single:
            try:
                values = ts.single_values(path, self.places[0])
            except (ValueError, RuntimeError):
                continue
            rows += [(name, band, value) for band, value in values or ()]
        return rows

    def write_csv(self, path: str) -> None:
        """The series drawn, one row per place, layer and date (the table's fields)."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["place", "layer", "date", "value", "sigma", "count", "spread", "unit"])
            for place, s in self.data:
                for k, d in enumerate(s.dates):
                    if s.valid[k]:
                        out.writerow([place, s.layer, d.isoformat(), repr(float(s.value[k])), _text(s.sigma[k]),
                                      int(s.count[k]), repr(float(s.spread[k])), s.unit])  # fmt: skip


def _text(v):
    return repr(float(v)) if v == v else ""
