"""A chain's story for the dialog's summary: each step's log lines that tell it, named by the
track a step worked on, a line every track said alike once, and the GNSS comparison with its
unit."""

from ..core.io import products
from ..provider import names as n

#: Log lines that make a run's story, by their start.
STORY = ("common grid", "resolved", "projected", "reference:", "output dates", "velocity:", "window:", "model:",
         "GNSS", "residual", "time functions:", "uncertainty:", "merge:", "frame ", "overlaps:", "plate")  # fmt: skip


def story(steps: list, logs: dict) -> list:
    """The lines of each step's log (``logs``: step name -> lines) that tell the run's story,
    in order, each once; a per-track step's lines start with its track, except those every
    per-track step of the same algorithm said alike."""
    told = {s.name: [line for line in logs.get(s.name, []) if line.startswith(STORY)] for s in steps}
    alike = {}
    for s in steps:
        if s.label:
            alike.setdefault(s.algorithm, []).append(set(told[s.name]))
    common = {a: set.intersection(*sets) if len(sets) > 1 else set() for a, sets in alike.items()}
    lines = []
    for s in steps:
        for line in told[s.name]:
            shown = line if not s.label or line in common[s.algorithm] else f"{s.label}: {line}"
            if shown not in lines:
                lines.append(shown)
    return lines


def gnss_line(results: dict) -> str:
    """The GNSS comparison (step "compare" of ``results``) with the decomposition's unit."""
    c = results["compare"]
    md = products.read(results["main"][n.OUTPUT_UP])
    unit = (md.unit.value if md.unit is not None else "") or "unit not stated"
    return (f"GNSS: {c[n.COUNT]} stations, east RMS {c[n.RMS_EAST]:.3g} {unit}, up RMS {c[n.RMS_UP]:.3g} {unit} "
            "(residuals in the GNSS stations layer)")  # fmt: skip
