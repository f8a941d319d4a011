"""The command line (cli/dask_run.py, cli/series.py, cli/points.py, cli/fits.py) calls core block code by
public core names (docs/library.md, 'Core names the command line needs'): this test fails with
the name that disappeared or changed shape, rather than the CLI failing at run time on a worker,
and with any private core name the CLI starts to call. point_grid's names are the one exception
left (its module is being rewritten; listed in the docs)."""

import inspect
import re
from pathlib import Path

import pytest

from insar_decomposition.core.runs import engine, point_grid, velocity_run
from insar_decomposition.core.runs import time_functions_run as tfr
from insar_decomposition.core.runs import timeseries_decomp_run as run_ts

CLI = Path(__file__).resolve().parents[2] / "cli"

#: (module, name, what the CLI uses of it): a class's methods and their parameters (as the CLI
#: calls them), or a function's first parameters.
USED = [
    (engine, "reference_offsets", ["job"]),
    (engine, "solve_window", ["job", "offsets", "win"]),
    (engine, "solution_bands", ["sol"]),
    (run_ts, "reference_offsets", ["job"]),
    (run_ts, "solve_window", ["job", "offsets", "win", "keys"]),
    (run_ts, "band_specs", ["job"]),
    # cli/fits.py (velocity on Dask): the core's windows, each fitted as in process, and the counts' log
    (velocity_run, "window_shape", ["job"]),
    (velocity_run, "solve_window", ["job", "win", "dropped"]),
    (velocity_run, "band_specs", ["job"]),
    (velocity_run, "summary", ["job", "resolved", "dropped"]),
    # cli/fits.py (fit-time-functions on Dask)
    (tfr, "window_shape", ["job"]),
    (tfr, "solve_window", ["job", "win", "keys"]),
    (tfr, "band_specs", ["job"]),
    (tfr, "summary", ["job", "resolved", "dropped", "factors"]),
    (tfr, "WindowCounts", {}),
    # cli/points.py (grid-points on Dask): the core's cell keys per chunk, its sums and writer
    (point_grid, "_batch_cells", ["job", "cols", "batch", "ct"]),
    (point_grid, "_Columns", {"of": []}),
    (point_grid, "CellSums", {"__init__": ["names"], "add": ["keys", "values"]}),
    (point_grid, "_settle_cell", ["job", "log"]),
    (point_grid, "_write", ["run", "job", "sums", "medians", "summary"]),
]
#: Private core names the CLI may still call: point_grid's, until that module offers public ones.
PRIVATE_ALLOWED = {"point_grid._batch_cells", "point_grid._Columns", "point_grid._settle_cell", "point_grid._write"}


@pytest.mark.parametrize("module, name, uses", USED, ids=[f"{m.__name__.split('.')[-1]}.{n}" for m, n, _ in USED])
def test_the_core_names_the_cli_uses_are_there(module, name, uses):
    where = f"{module.__name__}.{name}"
    assert hasattr(module, name), (
        f"{where} is gone: the CLI (cli/dask_run.py, cli/series.py or cli/points.py) calls it; keep it or update "
        "the CLI and docs/library.md ('Core names the command line needs')"
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


def private_core_calls():
    """{module alias.private name} the CLI's modules call on a core module, as written there."""
    aliases = {}
    found = set()
    for path in sorted(CLI.glob("*.py")):
        text = path.read_text()
        for module, alias in re.findall(r"from \.\.core(?:\.\w+)* import (\w+)(?: as (\w+))?", text):
            aliases[alias or module] = module
        for alias, name in re.findall(r"\b(\w+)\.(_[A-Za-z]\w*)\b", text):
            if alias in aliases and not name.startswith("__"):
                found.add(f"{aliases[alias]}.{name}")
    return found


def test_the_cli_calls_no_private_core_name_but_point_grids():
    found = private_core_calls()
    assert found - PRIVATE_ALLOWED == set(), (
        f"the CLI calls private core names {sorted(found - PRIVATE_ALLOWED)}: give them public names in core "
        "(docs/library.md, 'Core names the command line needs')"
    )  # fmt: skip
    assert found, "no core call found at all: the scan of cli/ is broken"


def test_the_cell_sums_keep_the_attributes_the_cli_sets():
    source = inspect.getsource(point_grid.CellSums)
    assert "self.keys" in source and "self.sums" in source, (
        "point_grid.CellSums.keys/.sums are gone: cli/points.py sets them from the cluster's per-cell sums"
    )  # fmt: skip
