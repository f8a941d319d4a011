"""The command line (cli/dask_run.py, cli/series.py, cli/points.py, cli/fits.py) calls core block code by
public core names (docs/library.md, 'Core names the command line needs'): this test fails with
the name that disappeared or changed shape, rather than the CLI failing at run time on a worker,
and with any private core name the CLI calls (no exception)."""

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
    # cli/points.py (grid-points on Dask): the columns to read, the cell size, a chunk's sums, the writer
    (point_grid, "Columns", {"of": [], "wanted": None, "sums": None}),
    (point_grid, "settle_cell", ["job", "log", "bounds"]),
    (point_grid, "cell_sums", ["job", "batch"]),
    (point_grid, "write_sums", ["job", "keys", "sums", "points", "log"]),
]


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
            if params is None:  # a property or attribute: its presence is what the CLI needs
                continue
            got = list(inspect.signature(getattr(obj, method)).parameters)[1:]
            assert got == params, f"{where}.{method}({', '.join(got)}): the CLI calls it with ({', '.join(params)})"
    elif uses:
        params = list(inspect.signature(obj).parameters)
        called = f"{where}({', '.join(uses)}, ...)"
        assert params[: len(uses)] == uses, f"{where}{inspect.signature(obj)}: the CLI calls it as {called}"


def core_calls(text: str, aliases: dict) -> set:
    """{module.name} that ``text`` calls on a core module it imports (``aliases`` gains them)."""
    found = set()
    for package, names in re.findall(r"from \.\.core((?:\.\w+)*) import (\([^)]*\)|[^\n]+)", text):
        for item in re.sub(r"#[^\n]*", "", names).strip("()").split(","):
            name, _, alias = item.strip().partition(" as ")
            if name.startswith("_"):  # a private name imported from core, whatever is done with it
                found.add(f"{package.rsplit('.', 1)[-1]}.{name}")
            elif name:
                aliases[alias.strip() or name] = name
    for alias, name in re.findall(r"\b(\w+)\.([A-Za-z_]\w*)\b", text):
        if alias in aliases and not name.startswith("__"):
            found.add(f"{aliases[alias]}.{name}")
    return found


def cli_core_calls() -> set:
    """{module.name} the CLI's modules call on core modules, as written there."""
    aliases, found = {}, set()
    for path in sorted(CLI.glob("*.py")):
        found |= core_calls(path.read_text(), aliases)
    return found


def test_the_cli_calls_no_private_core_name():
    found = cli_core_calls()
    private = sorted(n for n in found if n.split(".")[-1].startswith("_"))
    assert private == [], (
        f"the CLI calls private core names {private}: give them public names in core "
        "(docs/library.md, 'Core names the command line needs')"
    )  # fmt: skip
    assert {"point_grid.cell_sums", "point_grid.write_sums"} <= found, "the scan of cli/ no longer sees core calls"


def test_the_scan_sees_a_private_core_call():
    text = ("from ..core.io import grid, points as pts\nfrom ..core.runs.point_grid import (  # the writer\n"
            "    MEAN,  # the statistic\n    _write,\n)\npts._batch(1)\n")  # fmt: skip
    assert core_calls(text, {}) == {"points._batch", "point_grid._write"}
