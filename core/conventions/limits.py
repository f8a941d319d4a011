"""Thresholds shared by every solve path (DESIGN.md section 3c). Imports nothing else of the plugin."""

#: cond(G) above which a pixel is left as nodata. Sentinel-1 ascending + descending is
#: about 1.3 to 1.6; 10 means a LOS error can be amplified ten times more in one
#: component than in the other.
DEFAULT_MAX_CONDITION = 10.0

#: A track counts as looking one way or the other only when its horizontal sensitivity is
#: clearly non-zero.
LOOK_EPS = 1e-6
