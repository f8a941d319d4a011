"""Processing group "Points and polygons": point InSAR data and per-polygon results
(``losdecomp:grid_points``, ``losdecomp:decompose_polygons``)."""

from ..base import Group

POINTS = Group("points", "Points and polygons")
