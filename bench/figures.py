"""The figures `make bench` reports against the issues' targets, one call per figure.

Each benchmark script prints its own tables; for every figure that has a target it also calls
``report``, which prints one ``FIGURE`` line and, when the environment names a file in
``BENCH_FIGURES``, appends the figure there as one JSON line. ``bench/summary.py`` runs
``make bench`` several times with that file set and prints each figure's spread over the
runs beside its target: the README's tables come from that summary.

A ratio is always taken between two measurements of the same run (the same process or
script, the same machine load), never against a figure remembered from elsewhere."""

from __future__ import annotations

import json
import os


def report(name: str, ratio: float, target: float | None, detail: str = "", unit: str = "x") -> None:
    """One figure: ``name`` (stable across runs: the summary groups by it), its ``ratio`` (or a
    value in ``unit``, e.g. "MB" for a memory figure), the target it must stay at or under
    (None: reported without one), and a short ``detail`` (sizes, what the ratio is against)."""
    met = "" if target is None else ("  met" if ratio <= target else "  NOT met")
    bound = "" if target is None else f" (target <= {target:g}{unit})"
    print(f"FIGURE {name}: {ratio:.2f}{unit}{bound}{met}  {detail}".rstrip(), flush=True)
    path = os.environ.get("BENCH_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"name": name, "value": ratio, "target": target, "unit": unit, "detail": detail}) + "\n")
