"""The command line's Dask path (cli/dask_run.py, cli/series.py, cli/points.py) calls core block code that
core does not yet offer under a public name. Until core does (the names it should offer are
listed in docs/library.md), this test fails with the private name that disappeared or changed
shape, rather than the CLI failing at run time on a worker."""

import inspect

import pytest

from insar_decomposition.core.runs import engine, point_grid
from insar_decomposition.core.runs import timeseries_decomp_run as run_ts

#: (module, private name, what the CLI uses of it): a class's methods and their parameters
#: (as the CLI calls them), or a function's first parameters.
USED = [
    (
        engine,
        "_Decomposition",
        {
            "__init__": ["job", "run_"],
            "read_window": ["pool", "win"],
            "invert": ["blocks", "nv", "ns", "win"],
            "reference": [],
        },
    ),
    (
        run_ts,
        "_Reader",
        {"__init__": ["track", "open_reader", "north"], "read": ["win"], "reference": ["area", "name"]},
    ),
    (run_ts, "_solve_window", ["job", "solve", "readers", "blocks", "keys"]),
    (run_ts, "_solve_interpolated", []),
    (run_ts, "_solve_joint", []),
    (run_ts, "_band_specs", ["job"]),
    # cli/points.py (grid-points on Dask): the core's cell keys per chunk, its sums and writer
    (point_grid, "_batch_cells", ["job", "cols", "batch", "ct"]),
    (point_grid, "_Columns", {"of": []}),
    (point_grid, "CellSums", {"__init__": ["names"], "add": ["keys", "values"]}),
    (point_grid, "_settle_cell", ["job", "log"]),
    (point_grid, "_write", ["run", "job", "sums", "medians", "summary"]),
]


@pytest.mark.parametrize("module, name, uses", USED, ids=[f"{m.__name__.split('.')[-1]}.{n}" for m, n, _ in USED])
def test_the_private_core_names_the_cli_uses_are_there(module, name, uses):
    where = f"{module.__name__}.{name}"
    assert hasattr(module, name), (
        f"{where} is gone: cli/dask_run.py or cli/series.py calls it; give the CLI a public core name "
        "for it (docs/library.md, 'Core names the command line needs') and update the CLI"
    )  # fmt: skip
    obj = getattr(module, name)
    if inspect.isclass(obj):
        missing = [a for a in uses if not hasattr(obj, a)]
        assert not missing, f"{where} has no {', '.join(missing)} any more (the CLI's Dask path calls them)"
        for method, params in uses.items():
            got = list(inspect.signature(getattr(obj, method)).parameters)[1:]
            assert got == params, f"{where}.{method}({', '.join(got)}): the CLI calls it with ({', '.join(params)})"
    elif uses:
        params = list(inspect.signature(obj).parameters)
        called = f"{where}({', '.join(uses)}, ...)"
        assert params[: len(uses)] == uses, f"{where}{inspect.signature(obj)}: the CLI calls it as {called}"


def test_the_decomposition_state_keeps_the_attributes_the_cli_sets():
    source = inspect.getsource(engine._Decomposition)
    assert "self.tracks" in source, "engine._Decomposition.tracks is gone: the CLI sets each track's .offset"
    assert "self.offsets" in inspect.getsource(run_ts._Reader), "timeseries_decomp_run._Reader.offsets is gone"


def test_the_cell_sums_keep_the_attributes_the_cli_sets():
    source = inspect.getsource(point_grid.CellSums)
    assert "self.keys" in source and "self.sums" in source, (
        "point_grid.CellSums.keys/.sums are gone: cli/points.py sets them from the cluster's per-cell sums"
    )  # fmt: skip
