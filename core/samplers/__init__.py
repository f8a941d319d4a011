"""Values over an area on a grid: ``area`` (a point and radius or a polygon -> window and
mask; the one rule for an area's value, spread, sigma and look vector) and ``reference``
(the decomposition's common reference area)."""
