"""Checks of a run's outputs before any work: writable, not an input, not twice the same file."""

import os

from ..io.model import HORIZONTAL, PRODUCTS, SIGMA_HORIZONTAL, SIGMA_NORTH, SIGMA_UP, UP, Job, input_refs
from ..io.writer import OutputError, check_writable


def _file_of(path):
    """The file behind a GDAL path (handles ``DRIVER:"file":sub`` forms)."""
    if ":" in path and '"' in path:
        path = path.split('"')[1]
    return os.path.realpath(path)


def check_outputs(job: Job) -> None:
    """Fail before any work when an output cannot be written or would overwrite an input."""
    wanted = {k: v for k, v in job.outputs.items() if v}
    unknown = set(wanted) - set(PRODUCTS)
    if unknown:
        raise ValueError(f"unknown output(s): {', '.join(sorted(unknown))}")
    if HORIZONTAL not in wanted and UP not in wanted:
        raise ValueError("no output requested")
    sigmas_wanted = SIGMA_HORIZONTAL in wanted or SIGMA_UP in wanted or SIGMA_NORTH in wanted
    if sigmas_wanted and any(t.sigma is None for t in job.tracks):
        missing = ", ".join(t.name for t in job.tracks if t.sigma is None)
        raise ValueError(
            f"the standard-deviation outputs need a standard deviation for every track ({missing} has none): give "
            "its sigma raster (ASC_SIGMA, DESC_SIGMA, EXTRA_SIGMAS), or make its velocity with losdecomp:velocity "
            "and OUTPUT_SIGMA (the velocity then names its sigma file)"
        )
    check_outputs_paths(wanted, input_refs(job))


def check_outputs_paths(outputs: dict, inputs: list) -> None:
    """Fail when an output (key -> path) is an input, two outputs are one file, or a
    folder cannot be written."""
    inputs = {_file_of(r.path) for r in inputs}
    seen = {}
    for key, path in outputs.items():
        if not path:
            continue
        real = os.path.realpath(path)
        if real in inputs:
            raise OutputError(f"output {key}: {path} is one of the inputs; choose another file")
        if real in seen:
            raise OutputError(f"outputs {seen[real]} and {key} are the same file {path}")
        seen[real] = key
        check_writable(path, f"output {key}")
