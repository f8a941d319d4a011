"""bench/summary.py (`make bench-summary`): the figures each bench run reports through
bench/figures.py, summarised per figure over the runs (values, median, spread, target met)."""

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


summary, figures = _load("summary"), _load("figures")


def _run(path, monkeypatch, reported):
    monkeypatch.setenv("BENCH_FIGURES", str(path))
    for args in reported:
        figures.report(*args)
    return str(path)


def test_figures_of_three_runs_are_summarised_per_name(tmp_path, monkeypatch, capsys):
    runs = [
        _run(tmp_path / "1.jsonl", monkeypatch, [("a.ratio", 0.9, 1.1, "pair"), ("m.mb", 900.0, 1024.0, "d", " MB")]),
        _run(tmp_path / "2.jsonl", monkeypatch, [("a.ratio", 1.3, 1.1, "pair"), ("c.cost", 1.2, None, "zstd")]),
        _run(tmp_path / "3.jsonl", monkeypatch, [("a.ratio", 1.0, 1.1, "pair"), ("m.mb", 1100.0, 1024.0, "d", " MB")]),
    ]
    assert "FIGURE a.ratio: 0.90x (target <= 1.1x)  met  pair" in capsys.readouterr().out
    rows = {r[0]: r for r in summary.rows([summary.read_figures(p) for p in runs])}
    assert list(rows) == ["a.ratio", "m.mb", "c.cost"]  # the order first reported
    name, values, median, spread, target, met, count, unit, _ = rows["a.ratio"]
    assert (values, median, target, met, count, unit) == ([0.9, 1.3, 1.0], 1.0, 1.1, 2, 3, "x")
    assert abs(spread - 0.4) < 1e-12
    assert rows["m.mb"][1:7] == ([900.0, None, 1100.0], 1000.0, 200.0, 1024.0, 1, 2)
    assert rows["c.cost"][4:6] == (None, None)  # no target: nothing to meet


def test_the_markdown_table_and_the_file_written(tmp_path, monkeypatch):
    first = [("x.ratio", 0.84, 1.1, "floor | start-up"), ("k.ms", 222.4, 300.0, "", " ms")]
    a = _run(tmp_path / "1.jsonl", monkeypatch, first)
    b = _run(tmp_path / "2.jsonl", monkeypatch, [("x.ratio", 1.2, 1.1, "floor | start-up")])
    out = tmp_path / "summary.md"
    assert summary.main(["--from", a, b, "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| figure | run 1 | run 2 | median | spread | target | met | what |"
    assert table[2] == "| `x.ratio` | 0.84x | 1.20x | 1.02x | 0.36x | <= 1.10x | 1/2 | floor / start-up |"
    assert table[3] == "| `k.ms` | 222 ms | - | 222 ms | 0.0 ms | <= 300 ms | 1/1 |  |"


def test_a_failed_run_stops_the_series_and_says_so(tmp_path):
    script = tmp_path / "one_run.py"
    script.write_text(
        "import os, json, sys\n"
        "path = os.environ['BENCH_FIGURES']\n"
        "k = len([f for f in os.listdir(os.path.dirname(path)) if f.endswith('.log')])\n"
        "fig = {'name': 'r', 'value': k, 'target': 1.5, 'unit': 'x', 'detail': ''}\n"
        "open(path, 'a').write(json.dumps(fig) + '\\n')\n"
        "sys.exit(3 if k == 2 else 0)\n"
    )
    out = tmp_path / "s.md"
    status = summary.main(["--runs", "3", "--folder", str(tmp_path / "runs"), "--out", str(out), "--",
                           sys.executable, str(script)])  # fmt: skip
    text = out.read_text()
    assert status == 1
    assert "| `r` | 1.00x | 2.00x | 1.50x | 1.00x | <= 1.50x | 1/2 |" in text
    assert "run 2 failed (exit status 3" in text
    assert not (tmp_path / "runs" / "run-3.jsonl").exists()
    assert json.loads((tmp_path / "runs" / "run-1.jsonl").read_text())["value"] == 1
