"""Processing group "GNSS": tracks and decompositions against GNSS stations
(``losdecomp:gnss_to_los``, ``losdecomp:reference_to_gnss``, ``losdecomp:compare_to_gnss``)."""

from ..base import Group

GNSS = Group("gnss", "GNSS")
