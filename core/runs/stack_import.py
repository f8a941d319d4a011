"""The run that writes a time series of another product (a ``io.stack_import.Stack``: MintPy,
LiCSBAS) in the plugin's time-series format, epoch by epoch in date order."""

from typing import Callable, Optional

import numpy as np

from ..io.stack_import import Stack, band_specs, outside, parse_dates
from .lifecycle import Run


def write_stack(
    stack: Stack,
    out_path: str,
    log: Callable = print,
    progress: Optional[Callable] = None,
    is_cancelled: Optional[Callable] = None,
) -> dict:
    """Write ``stack`` to ``out_path`` (nothing is left on failure); returns the tags."""
    epochs = parse_dates(stack.dates, stack.label)
    order = sorted(range(len(epochs)), key=epochs.__getitem__)
    if order != list(range(len(epochs))):
        log(f"{stack.label}: acquisitions written in date order (the product does not list them so)")
    masked = outside(stack, len(epochs)) if stack.zero_is_mask else None
    if masked is not None:
        log(f"{stack.label}: {int(masked.sum())} pixels are 0 at every acquisition (outside the data): nodata")
    specs = band_specs([epochs[i] for i in order], stack.unit, stack.geometry is not None)
    tags = dict(stack.tags)
    with Run(stack.grid, progress=progress, is_cancelled=is_cancelled) as run_:
        writer = run_.output(out_path, specs, tags)
        # the last step of the progress is the geometry bands and the rename
        for k, i in enumerate(run_.each(order, total=len(order) + 1), start=1):
            data = np.asarray(stack.read_epoch(i), dtype=np.float32)
            if masked is not None:
                data = np.where(masked, np.nan, data)
            writer.write(k, data, 0, 0)
            writer.flush()
        for k, comp in enumerate(stack.geometry or (), start=len(order) + 1):
            writer.write(k, comp, 0, 0)
    log(f"{stack.label}: {len(epochs)} acquisitions {min(epochs)} to {max(epochs)}, in {stack.unit or 'its unit'}")
    return tags
