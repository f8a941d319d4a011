"""The provider as the toolbox shows it: every algorithm in a Processing group, the group the
one its folder under provider/ declares, and the algorithm ids those of before the grouping
(scripts, models and qgis_process calls name them)."""

import importlib

import pytest

from conftest import ROOT

#: Every algorithm id of the provider before it was grouped: none may change or disappear.
IDS = {
    "losdecomp:compare_timeseries_to_gnss",
    "losdecomp:compare_to_gnss",
    "losdecomp:decompose",
    "losdecomp:decompose_polygons",
    "losdecomp:decompose_timeseries",
    "losdecomp:fill_gaps",
    "losdecomp:fit_time_functions",
    "losdecomp:gnss_to_los",
    "losdecomp:grid_points",
    "losdecomp:import_licsbas",
    "losdecomp:import_mintpy",
    "losdecomp:merge_frames",
    "losdecomp:project_single_track",
    "losdecomp:reference_to_gnss",
    "losdecomp:remove_plate_motion",
    "losdecomp:velocity",
    "losdecomp:sample_timeseries",
    "losdecomp:export_points_timeseries",
    "losdecomp:export_timeseries",
}

#: The toolbox's layout: group id (= folder under provider/) -> its algorithms.
LAYOUT = {
    "velocity_maps": {"decompose", "project_single_track", "fill_gaps", "merge_frames", "remove_plate_motion"},
    "time_series": {
        "velocity", "decompose_timeseries", "fit_time_functions", "sample_timeseries", "export_points_timeseries",
        "export_timeseries",
    },
    "imports": {"import_mintpy", "import_licsbas"},
    "gnss": {"gnss_to_los", "reference_to_gnss", "compare_to_gnss", "compare_timeseries_to_gnss"},
    "points": {"grid_points", "decompose_polygons"},
}


@pytest.fixture(scope="module")
def algorithms(plugin):
    from qgis.core import QgsApplication

    provider = QgsApplication.processingRegistry().providerById("losdecomp")
    assert provider is not None
    return provider.algorithms()


def folder_of(alg):
    """The folder under provider/ of the module that defines the algorithm's class."""
    parts = type(alg).__module__.split(".")
    assert parts[:2] == ["insar_decomposition", "provider"] and len(parts) == 4, type(alg).__module__
    return parts[2]


def test_the_algorithm_ids_are_those_of_before(algorithms):
    assert {a.id() for a in algorithms} == IDS


def test_every_algorithm_has_a_group(algorithms):
    for alg in algorithms:
        assert alg.group() and alg.groupId(), alg.id()


def test_each_group_is_the_one_its_folder_declares(algorithms):
    for alg in algorithms:
        folder = folder_of(alg)
        assert alg.groupId() == folder, alg.id()
        declared = [g for g in vars(importlib.import_module(f"insar_decomposition.provider.{folder}")).values()
                    if type(g).__name__ == "Group"]  # fmt: skip
        assert [g.id for g in declared] == [folder]
        assert alg.group() == declared[0].name, alg.id()
        assert "GROUP" in vars(type(alg)), f"{alg.id()}: the class declares its group itself"


def test_the_toolbox_layout(algorithms):
    layout = {}
    for alg in algorithms:
        layout.setdefault(alg.groupId(), set()).add(alg.name())
    assert layout == LAYOUT
    assert len({alg.group() for alg in algorithms}) == len(LAYOUT)  # one name per group


def test_every_folder_of_the_provider_is_a_group():
    folders = {p.name for p in (ROOT / "provider").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(LAYOUT)
    assert all((ROOT / "provider" / folder / "__init__.py").is_file() for folder in folders)
