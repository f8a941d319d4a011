"""The plugin's core: numpy and GDAL only, never QGIS or Qt (docs/architecture.md).

Layered packages, lowest first. A module may import modules of its own package and of the
packages on floors below it, never of a package on its own floor or above: ``solve`` and
``io`` stand side by side, so the solvers never touch GDAL and the readers never solve.
``tests/test_architecture.py`` enforces the order.

- ``conventions``: geometry, units, dates, the tag schema, the uncertainty words, errors,
  thresholds, the version (imports nothing of the plugin).
- ``solve``: the inversions and fits (numpy only).
- ``io``: GDAL readers and writers, the data model, product readers, tables and points.
- ``samplers``: values over an area (a point and radius, a polygon) on a grid.
- ``plan``: tracks resolved, requests checked and turned into jobs, names, read-outs.
- ``runs``: one module per algorithm's run, streaming windows from readers to writers.
"""

LAYERS = (("conventions",), ("solve", "io"), ("samplers",), ("plan",), ("runs",))
