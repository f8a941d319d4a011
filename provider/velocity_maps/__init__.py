"""Processing group "Velocity maps": one velocity raster per track in, maps out
(``losdecomp:decompose``, ``losdecomp:project_single_track``, ``losdecomp:fill_gaps``)."""

from ..base import Group

VELOCITY_MAPS = Group("velocity_maps", "Velocity maps")
