"""Parameters added to a published algorithm are optional: models and scripts saved before they
existed still validate and run (the Modeler refuses a model with a mandatory parameter left
without a value, and qgis_process a run without it). A parameter may leave this list (become
optional), never join it."""

import pytest
from qgis.core import QgsProcessingParameterDefinition

from insar_decomposition.provider.provider import ALGORITHMS

#: algorithm name -> its mandatory input parameters as published
MANDATORY = {
    "decompose": set(
        (
            "ASCENDING ASC_LOOK_SIDE COMPRESSION DESCENDING DESC_LOOK_SIDE LOS_SIGN MAX_CONDITION "
            "REFERENCE_RADIUS RESAMPLING RESOLUTION"
        ).split()
    ),
    "project_single_track": set(
        (
            "COMPRESSION DIRECTION INPUT LOOK_SIDE LOS_SIGN MIN_SENSITIVITY RESAMPLING RESOLUTION"
        ).split()
    ),
    "fill_gaps": {"COMPRESSION", "DISTANCE", "INPUT", "ITERATIONS"},
    "merge_frames": {"COMPRESSION", "FIXED_FRAME", "INPUTS", "LOS_SIGN", "MODEL", "RESAMPLING", "RESOLUTION"},
    "remove_plate_motion": {"COMPRESSION", "INPUT", "LOOK_SIDE", "LOS_SIGN"},
    "velocity": {"COMPRESSION", "INPUT", "MODEL"},
    "decompose_timeseries": set(
        (
            "ASC_LOOK_SIDE COMPRESSION DATES DESC_LOOK_SIDE INTERVAL_DAYS LOS_SIGN MAX_CONDITION MAX_GAP_DAYS "
            "METHOD REFERENCE_RADIUS REGULARIZATION RESAMPLING RESOLUTION"
        ).split()
    ),
    "fit_time_functions": {"BOOTSTRAP_COUNT", "COMPRESSION", "INPUT", "POLYNOMIAL", "UNCERTAINTY"},
    "sample_timeseries": {"INPUTS", "PLOT_FORMAT", "RADIUS", "REFERENCE_RADIUS"},
    "export_points_timeseries": {"INPUT", "STEP"},
    "export_timeseries": {"INPUT"},
    "import_mintpy": {"DATASET", "INPUT"},
    "import_licsbas": {"DATASET", "INPUT"},
    "gnss_to_los": {"GNSS", "GNSS_UNIT", "INPUT", "LOOK_SIDE", "LOS_SIGN", "RADIUS"},
    "reference_to_gnss": {"COMPRESSION", "GNSS", "GNSS_UNIT", "INPUT", "LOOK_SIDE", "LOS_SIGN", "MODEL", "RADIUS"},
    "compare_to_gnss": {"EAST", "GNSS", "GNSS_UNIT", "RADIUS", "UP"},
    "compare_timeseries_to_gnss": set(
        (
            "AVERAGE_DAYS BINS COMPONENT GNSS GNSS_UNIT INPUT LOOK_SIDE LOS_SIGN MAX_DISTANCE_KM RADIUS "
            "REQUIREMENT"
        ).split()
    ),
    "grid_points": {"COMPRESSION", "INPUT", "LOOK_SIDE", "LOS_SIGN", "MIN_POINTS", "RESOLUTION", "STATISTIC"},
    "decompose_polygons": set(
        (
            "ASCENDING ASC_LOOK_SIDE DESCENDING DESC_LOOK_SIDE LOS_SIGN POLYGONS STATISTIC"
        ).split()
    ),
}


def _mandatory(alg):
    return {
        p.name() for p in alg.parameterDefinitions()
        if not (p.flags() & QgsProcessingParameterDefinition.FlagOptional) and not p.isDestination()
    }


@pytest.mark.parametrize("cls", ALGORITHMS, ids=lambda c: c.__name__)
def test_no_published_algorithm_gains_a_mandatory_parameter(plugin, cls):
    alg = cls()
    alg.initAlgorithm({})
    assert alg.name() in MANDATORY, f"{alg.name()}: a new algorithm: add its mandatory parameters to MANDATORY"
    added = _mandatory(alg) - MANDATORY[alg.name()]
    assert not added, (
        f"{alg.name()}: {sorted(added)} would be mandatory: models and scripts saved before would break; "
        "make it optional with a default"
    )


#: algorithm name -> parameters added after publication, pinned optional (never to join MANDATORY)
ADDED_OPTIONAL = {
    "merge_frames": {"GNSS", "GNSS_UNIT", "RADIUS", "VE_FIELD", "VN_FIELD", "VU_FIELD", "SE_FIELD", "SN_FIELD",
                     "SU_FIELD"},
}


@pytest.mark.parametrize("name", sorted(ADDED_OPTIONAL))
def test_parameters_added_later_are_optional(plugin, name):
    alg = next(cls() for cls in ALGORITHMS if cls.NAME == name)
    alg.initAlgorithm({})
    given = {p.name() for p in alg.parameterDefinitions()}
    assert ADDED_OPTIONAL[name] <= given, f"{name}: {sorted(ADDED_OPTIONAL[name] - given)} missing"
    assert not ADDED_OPTIONAL[name] & _mandatory(alg)
