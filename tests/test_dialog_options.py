"""Every option of the dialog down every path: on each path (a velocity pair, stacks as a
velocity over a window, as time series on common dates or those fitted by a time-function
model, one track, GNSS, the MintPy import) each option the form offers is given a value other than its default, and the
parameters the dialog builds carry it under the algorithm's parameter name, or the dialog
refuses in words, or the form disables it on that path. An option the table below does not
know fails the test: a new widget must say where it goes."""

from typing import Callable, NamedTuple, Optional

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsMapLayer,
    QgsProcessingOutputLayerDefinition,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.gui import (
    QgsCheckableComboBox,
    QgsCollapsibleGroupBox,
    QgsFileWidget,
    QgsMapLayerComboBox,
    QgsProjectionSelectionWidget,
)
from qgis.PyQt.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit
from test_decompose_timeseries import ts_pair  # noqa: F401 (a fixture)
from test_dialog_desktop import fresh  # noqa: F401 (a fixture)

INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QCheckBox, QgsFileWidget, QgsProjectionSelectionWidget)
PATHS = ("pair", "velocity", "dates", "functions", "single", "gnss")


class Option(NamedTuple):
    """``give(dlg, env)`` sets a value other than the default and returns what the parameters
    must then hold (a string found in the value's text); ``names``: the parameter names it may
    reach; ``off``: path -> words of the refusal, or "disabled" (the form does not offer it)."""

    names: tuple
    give: Callable
    off: dict = {}


def _text(widget, text):
    widget.setText(text)
    return text


def _index(combo, i):
    combo.setCurrentIndex(i)
    return str(i)


def _value(spin, v):
    spin.setValue(v)
    return f"{v:g}"


def _layer(combo, layer):
    combo.setLayer(layer)
    return layer.source()


def _file(widget, env, name):
    path = str(env["tmp"] / name)
    widget.setFilePath(path)
    return path


def _checked(box, then=None):
    box.setChecked(True)
    return then


def _then(*calls):
    """Every call made, the last one's result returned (an option given with what it needs)."""
    return calls[-1]


REFUSED_ONE_TRACK = "cannot be used"


def _frame(combo, env):
    """The extra layer checked as one more frame of ``combo``'s direction."""
    combo.setItemCheckState(combo.findData(env["extra"].id()), 2)


T = "dlg.timeSeries"
OPTIONS = {
    "ascLayer": Option(("ASCENDING", "INPUT"), lambda d, e: d.ascLayer.currentLayer().source()),
    "descLayer": Option(("DESCENDING", "INPUT"), lambda d, e: d.descLayer.currentLayer().source()),
    "ascBand": Option(("ASC_BAND", "BAND"), lambda d, e: str(d.ascBand.currentBand())),
    "descBand": Option(("DESC_BAND", "BAND"), lambda d, e: str(d.descBand.currentBand()), {"single": "disabled"}),
    "ascHeading": Option(("ASC_HEADING", "HEADING"), lambda d, e: _text(d.ascHeading, "347.5")),
    "descHeading": Option(
        ("DESC_HEADING", "HEADING"), lambda d, e: _text(d.descHeading, "191.5"), {"single": "disabled"}
    ),  # fmt: skip
    "ascIncidence": Option(("ASC_INCIDENCE", "INCIDENCE"), lambda d, e: _text(d.ascIncidence, "33.5")),
    "descIncidence": Option(
        ("DESC_INCIDENCE", "INCIDENCE"), lambda d, e: _text(d.descIncidence, "38.5"), {"single": "disabled"}
    ),  # fmt: skip
    "ascLookSide": Option(("ASC_LOOK_SIDE", "LOOK_SIDE"), lambda d, e: _index(d.ascLookSide, 1)),
    "descLookSide": Option(
        ("DESC_LOOK_SIDE", "LOOK_SIDE"), lambda d, e: _index(d.descLookSide, 1), {"single": "disabled"}
    ),  # fmt: skip
    "losSign": Option(("LOS_SIGN",), lambda d, e: _index(d.losSign, 1)),
    "targetCrs": Option(
        ("TARGET_CRS",),
        lambda d, e: _then(d.targetCrs.setCrs(QgsCoordinateReferenceSystem("EPSG:32612")), "EPSG:32612"),
    ),  # fmt: skip
    "resolution": Option(("RESOLUTION",), lambda d, e: _value(d.resolution, 150.0)),
    "resampling": Option(("RESAMPLING",), lambda d, e: _index(d.resampling, 0)),
    "ascSigma": Option(("ASC_SIGMA", "SIGMA"), lambda d, e: _layer(d.ascSigma, e["extra"])),
    "descSigma": Option(("DESC_SIGMA",), lambda d, e: _layer(d.descSigma, e["extra"]), {"single": "disabled"}),
    "sigmaOutputs": Option(("OUTPUT_SIGMA_UP", "OUTPUT_SIGMA"), lambda d, e: _checked(d.sigmaOutputs, "")),
    "sigmaEastOutput": Option(
        ("OUTPUT_SIGMA_EAST",),
        lambda d, e: _then(d.sigmaOutputs.setChecked(True), _file(d.sigmaEastOutput, e, "se.tif")),
    ),  # fmt: skip
    "sigmaUpOutput": Option(
        ("OUTPUT_SIGMA_UP", "OUTPUT_SIGMA"),
        lambda d, e: _then(d.sigmaOutputs.setChecked(True), _file(d.sigmaUpOutput, e, "su.tif")),
    ),  # fmt: skip
    "qualityOutput": Option(
        ("OUTPUT_QUALITY",),
        lambda d, e: _checked(d.qualityOutput, ""),
        {"dates": "no quality layer", "functions": "no quality layer", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "qualityFile": Option(
        ("OUTPUT_QUALITY",),
        lambda d, e: _then(d.qualityOutput.setChecked(True), _file(d.qualityFile, e, "q.tif")),
        {"dates": "no quality layer", "functions": "no quality layer", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "eastOutput": Option(("OUTPUT_EAST",), lambda d, e: _file(d.eastOutput, e, "e.tif")),
    "upOutput": Option(("OUTPUT_UP", "OUTPUT"), lambda d, e: _file(d.upOutput, e, "u.tif")),
    "referencePoint": Option(
        ("REFERENCE_POINT",),
        lambda d, e: _then(d.referencePoint.setText("500100, 4099000"), "500100.0,4099000.0"),
        {"single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "referenceRadius": Option(
        ("REFERENCE_RADIUS",),
        lambda d, e: _then(d.referencePoint.setText("500100, 4099000"), _value(d.referenceRadius, 250.0)),
        {"single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "northVelocity": Option(
        ("NORTH_VELOCITY",), lambda d, e: _layer(d.northVelocity, e["extra"]), {"single": REFUSED_ONE_TRACK}
    ),  # fmt: skip
    "azimuth": Option(("HORIZONTAL_AZIMUTH",), lambda d, e: _text(d.azimuth, "30")),
    "maxCondition": Option(("MAX_CONDITION",), lambda d, e: _value(d.maxCondition, 20.0), {"single": "disabled"}),
    "extraTracks": Option(
        ("EXTRA_TRACKS", "INPUT"),
        lambda d, e: _then(
            d.extraTracks.setItemCheckState(d.extraTracks.findData(e["extra"].id()), 2), e["extra"].source()
        ),
        {"gnss": "reference each to GNSS first", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "gnssLayer": Option(
        ("GNSS",),
        lambda d, e: _layer(d.gnssLayer, e["stations"]),
        {"dates": "GNSS referencing applies to velocities", "functions": "GNSS referencing applies to velocities",
         "single": "GNSS stations"},
    ),  # fmt: skip
    "gnssSurface": Option(
        ("MODEL",),
        lambda d, e: _then(d.gnssLayer.setLayer(e["stations"]), _index(d.gnssSurface, 0)),
        {"dates": "GNSS referencing applies to velocities", "functions": "GNSS referencing applies to velocities",
         "single": "GNSS stations"},
    ),  # fmt: skip
    "start": Option(("START_DATE",), lambda d, e: _text(d.timeSeries.start, "2020-02-01")),
    "end": Option(("END_DATE",), lambda d, e: _text(d.timeSeries.end, "2021-03-01")),
    "steps": Option(("STEP_DATES",), lambda d, e: _text(d.timeSeries.steps, "2020-06-01")),
    "model": Option(("MODEL",), lambda d, e: _index(d.timeSeries.model, 1)),
    "dates": Option(("DATES",), lambda d, e: _index(d.timeSeries.dates, 2)),
    "interval": Option(
        ("INTERVAL_DAYS",), lambda d, e: _then(d.timeSeries.dates.setCurrentIndex(1), _value(d.timeSeries.interval, 24))
    ),  # fmt: skip
    "method": Option(("METHOD",), lambda d, e: _index(d.timeSeries.method, 1)),
    "regularization": Option(
        ("REGULARIZATION",),
        lambda d, e: _then(d.timeSeries.method.setCurrentIndex(1), _value(d.timeSeries.regularization, 3.0)),
    ),  # fmt: skip
    "reference_date": Option(("REFERENCE_DATE",), lambda d, e: _text(d.timeSeries.reference_date, "2020-03-01")),
    "max_gap": Option(
        ("MAX_GAP_DAYS",),
        lambda d, e: _then(d.timeSeries.method.setCurrentIndex(0), _value(d.timeSeries.max_gap, 60.0)),
    ),  # fmt: skip
    # the time-function model (the functions path: fit_time_functions on east and on up)
    "polynomial": Option(("POLYNOMIAL",), lambda d, e: _value(d.timeSeries.functions.polynomial, 2)),
    "periods": Option(("PERIODS",), lambda d, e: _text(d.timeSeries.functions.periods, "1,0.5")),
    "exp": Option(("EXP",), lambda d, e: _text(d.timeSeries.functions.exp, "2020-06-01:60")),
    "log": Option(("LOG",), lambda d, e: _text(d.timeSeries.functions.log, "2020-06-01:30")),
    "uncertainty": Option(("UNCERTAINTY",), lambda d, e: _index(d.timeSeries.functions.uncertainty, 2)),
    "bootstrap_count": Option(
        ("BOOTSTRAP_COUNT",),
        lambda d, e: _then(d.timeSeries.functions.uncertainty.setCurrentIndex(1),
                           _value(d.timeSeries.functions.bootstrap_count, 250)),
    ),  # fmt: skip
    # north and 3-D (issue 34): kinds, the extra tracks' geometry, the along-track sigma, COMPONENTS, its outputs
    "ascKind": Option(("ASC_KIND", "KIND"), lambda d, e: _then(d.ascKind.setCurrentIndex(2), "1")),
    "descKind": Option(("DESC_KIND",), lambda d, e: _then(d.descKind.setCurrentIndex(2), "1"), {"single": "disabled"}),
    "extraGeometry": Option(
        ("EXTRA_GEOMETRY",), lambda d, e: _text(d.extraGeometry, "348,,along"), {"single": REFUSED_ONE_TRACK}
    ),  # fmt: skip
    "alongTrackSigma": Option(
        ("ALONG_TRACK_SIGMA",), lambda d, e: _value(d.alongTrackSigma, 40.0), {"single": REFUSED_ONE_TRACK}
    ),  # fmt: skip
    "components": Option(("COMPONENTS",), lambda d, e: _index(d.components, 2), {"single": REFUSED_ONE_TRACK}),
    "northOutput": Option(
        ("OUTPUT_NORTH",),
        lambda d, e: _then(d.components.setCurrentIndex(1), _file(d.northOutput, e, "n.tif")),
        {"single": "disabled"},
    ),  # fmt: skip
    "sigmaNorthOutput": Option(
        ("OUTPUT_SIGMA_NORTH",),
        lambda d, e: _then(d.components.setCurrentIndex(1), d.sigmaOutputs.setChecked(True),
                           _file(d.sigmaNorthOutput, e, "sn.tif")),
        {"single": "disabled"},
    ),  # fmt: skip
    "unOutput": Option(
        ("OUTPUT_UN",),
        lambda d, e: _then(d.components.setCurrentIndex(2), _file(d.unOutput, e, "un.tif")),
        {"single": "disabled"},
    ),  # fmt: skip
    "unTiltOutput": Option(
        ("OUTPUT_UN_TILT",),
        lambda d, e: _then(d.components.setCurrentIndex(2), _file(d.unTiltOutput, e, "tilt.tif")),
        {"single": "disabled", "dates": "no tilt layer", "functions": "no tilt layer"},
    ),  # fmt: skip
    # regional maps (issue 35): frames merged per direction before decomposing, the plate removed
    "ascFrames": Option(
        ("INPUTS",), lambda d, e: _then(_frame(d.ascFrames, e), e["extra"].source()),
        {"velocity": "frames are merged", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "descFrames": Option(
        ("INPUTS",), lambda d, e: _then(_frame(d.descFrames, e), e["extra"].source()),
        {"velocity": "frames are merged", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "frameModel": Option(
        ("MODEL",), lambda d, e: _then(_frame(d.ascFrames, e), _index(d.frameModel, 0)),
        {"velocity": "frames are merged", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "plate": Option(
        ("PLATE",), lambda d, e: _then(d.plate.setCurrentIndex(3), d.plate.currentText()),
        {"dates": "removes no plate motion", "functions": "removes no plate motion", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "eulerPole": Option(
        ("EULER_POLE",), lambda d, e: _text(d.eulerPole, "55,-100,0.2"),
        {"dates": "removes no plate motion", "functions": "removes no plate motion", "single": REFUSED_ONE_TRACK},
    ),  # fmt: skip
    "direction": Option(("DIRECTION",), lambda d, e: _index(d.singleTrack.direction, 2)),
    "dem": Option(
        ("DEM",), lambda d, e: _then(d.singleTrack.direction.setCurrentIndex(2), _layer(d.singleTrack.dem, e["extra"]))
    ),  # fmt: skip
    "min_sensitivity": Option(("MIN_SENSITIVITY",), lambda d, e: _value(d.singleTrack.min_sensitivity, 0.5)),
}
#: The options that choose the path itself (checked by the algorithms a path runs).
PATH_CHOICES = {
    "mode": {"velocity": "losdecomp:velocity", "dates": "losdecomp:decompose_timeseries",
             "functions": "losdecomp:fit_time_functions"},
    "descLayer": {"single": "losdecomp:project_single_track"},  # left empty: one track
}


def _offered(dlg) -> list:
    """The input widgets the form shows (every collapsed group opened), by object name; a
    widget inside another input widget (a spin box's line edit) is part of that one."""
    for group in dlg.findChildren(QgsCollapsibleGroupBox):
        group.setCollapsed(False)
    found = []
    for w in dlg.findChildren(tuple(INPUTS)):
        parent, inner = w.parentWidget(), False
        while parent is not None and parent is not dlg:
            inner = inner or isinstance(parent, INPUTS)
            parent = parent.parentWidget()
        if not inner and w.isVisibleTo(dlg):
            assert w.objectName() and not w.objectName().startswith("qt_"), f"an unnamed input {w!r} in {w.parent()!r}"
            found.append(w)
    return found


def _text_of(value) -> str:
    if isinstance(value, QgsMapLayer):
        return value.source()
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        return value.sink.staticValue()
    if isinstance(value, QgsCoordinateReferenceSystem):
        return value.authid()
    if isinstance(value, (list, tuple)):
        return " ".join(_text_of(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _built(dlg) -> list:
    """(algorithm, parameters) of every step, the steps' outputs standing in for the results."""
    results, built = {}, []
    for step in dlg.builder.steps():
        params = step.make(results)
        built.append((step.algorithm, params))
        results[step.name] = {k: f"/results/{step.name}/{k}.tif" for k in (
            "OUTPUT", "OUTPUT_SIGMA", "OUTPUT_EAST", "OUTPUT_UP")}  # fmt: skip
    return built


#: Options that change what else may be given (a path refuses some together): undone once checked.
UNDONE = ("referencePoint", "qualityOutput", "gnssLayer", "extraTracks", "northVelocity", "components", "extraGeometry",
          "alongTrackSigma", "ascKind", "descKind", "unTiltOutput", "ascFrames", "descFrames", "plate", "eulerPole")


def _undo(dlg, path):
    """Undo the options of ``UNDONE`` (not the path's own), so that the next ones are checked on their own."""
    for name in UNDONE:
        widget = getattr(dlg, name)
        if path == "gnss" and name == "gnssLayer":
            continue
        if isinstance(widget, QCheckBox):
            widget.setChecked(False)
        elif isinstance(widget, QgsCheckableComboBox):
            widget.deselectAllOptions()
        elif isinstance(widget, QLineEdit):
            widget.clear()
        elif isinstance(widget, QAbstractSpinBox):
            widget.setValue(0)
        elif isinstance(widget, QgsFileWidget):
            widget.setFilePath("")
        elif isinstance(widget, QgsMapLayerComboBox):
            widget.setLayer(None)
        else:
            widget.setCurrentIndex(0)


def _check(dlg, path, widget, env):
    name = widget.objectName()
    if path in PATH_CHOICES.get(name, {}):
        return
    assert name in OPTIONS, f"the dialog offers '{name}' ({type(widget).__name__}): say in OPTIONS where it goes"
    option = OPTIONS[name]
    off = option.off.get(path)
    if off == "disabled":
        assert not widget.isEnabled(), f"{name} is said to be disabled on the {path} path"
        return
    expected = option.give(dlg, env)  # with what it depends on
    assert widget.isEnabled(), f"{path}: {name} is disabled once what it depends on is given"
    try:
        built = _built(dlg)
    except ValueError as exc:
        assert off and off in str(exc), f"{path}: {name} refused: {exc}"
        _undo(dlg, path)
        return
    assert not off, f"{path}: {name} should be refused ({off}), it was not"
    _undo(dlg, path)
    reached = [(alg, k, _text_of(v)) for alg, params in built for k, v in params.items() if k in option.names]
    assert any(expected in text for _, _, text in reached), f"{path}: {name}={expected!r} reached only {reached}"


@pytest.fixture()
def env(fresh, ts_pair, scene_paths, tmp_path):  # noqa: F811
    paths, _, _, _ = ts_pair
    layers = {
        "asc": QgsRasterLayer(scene_paths["asc"], "asc"),
        "desc": QgsRasterLayer(scene_paths["desc"], "desc"),
        "asc_stack": QgsRasterLayer(paths["asc"], "asc_stack"),
        "desc_stack": QgsRasterLayer(paths["desc"], "desc_stack"),
        "extra": QgsRasterLayer(scene_paths["desc"], "extra"),
        "stations": QgsVectorLayer("Point?crs=EPSG:4326&field=ve:double", "stations", "memory"),
    }
    QgsProject.instance().addMapLayers(list(layers.values()))
    return dict(layers, fresh=fresh, tmp=tmp_path)


def _open(env, path) -> Optional[object]:
    dlg = env["fresh"]()
    stacks = path in ("velocity", "dates", "functions")
    dlg.ascLayer.setLayer(env["asc_stack" if stacks else "asc"])
    dlg.descLayer.setLayer(None if path == "single" else env["desc_stack" if stacks else "desc"])
    dlg.sigmaOutputs.setChecked(False)
    dlg.qualityOutput.setChecked(False)
    if stacks:
        dlg.timeSeries.mode.setCurrentIndex({"velocity": 0, "dates": 1, "functions": 2}[path])
    if path == "gnss":
        dlg.gnssLayer.setLayer(env["stations"])
    dlg.show()
    return dlg


@pytest.mark.parametrize("path", PATHS)
def test_every_option_reaches_its_algorithm_or_is_refused(env, path):
    dlg = _open(env, path)
    stacks = path in ("velocity", "dates", "functions")
    assert dlg.stacks_mode() == stacks and dlg.single_track_mode() == (path == "single")
    widgets = _offered(dlg)
    assert len(widgets) > 20
    for widget in widgets:
        _check(dlg, path, widget, env)
    for algorithms in PATH_CHOICES.values():
        if path in algorithms:
            assert algorithms[path] in [alg for alg, _ in _built(dlg)]


def test_the_mintpy_import_sends_its_file(fresh, monkeypatch, tmp_path):  # noqa: F811
    """The MintPy path's one option is the file: it reaches losdecomp:import_mintpy as INPUT,
    the destination beside it as OUTPUT."""
    import processing

    sent = []

    def run(alg, params, **kwargs):
        sent.append((alg, params))
        raise processing.QgsProcessingException("stopped here by the test")

    monkeypatch.setattr(processing, "run", run)
    h5 = tmp_path / "velocity.h5"
    h5.write_bytes(b"")
    dlg = fresh()
    errors = []
    dlg.mintpy.error.connect(errors.append)
    assert dlg.add_mintpy_file(str(h5)) is None
    assert sent == [("losdecomp:import_mintpy", {"INPUT": str(h5), "OUTPUT": str(tmp_path / "velocity.tif")})]
    assert errors == ["stopped here by the test"]


def test_the_processing_dialog_of_decompose_timeseries_asks_for_two_stacks(plugin, ts_pair):  # noqa: F811
    """Its inputs say displacement stacks and neither defaults to a layer (the Processing
    dialog filled both with the same first layer); one left empty is refused by name."""
    import processing
    from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingParameterDefinition

    alg = QgsApplication.processingRegistry().algorithmById("losdecomp:decompose_timeseries")
    for name, label in (("ASCENDING", "Ascending"), ("DESCENDING", "Descending")):
        p = alg.parameterDefinition(name)
        assert p.description().startswith(f"{label} LOS time series (displacement stack")
        assert p.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional and p.defaultValue() is None
    paths, _, _, tmp = ts_pair
    with pytest.raises(QgsProcessingException, match="descending track: no layer given"):
        processing.run("losdecomp:decompose_timeseries", {"ASCENDING": paths["asc"], "OUTPUT_EAST": str(tmp / "e.tif"),
                                                          "OUTPUT_UP": str(tmp / "u.tif")})  # fmt: skip
