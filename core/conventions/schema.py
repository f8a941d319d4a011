"""The plugin's GeoTIFF metadata schema: the ``INSAR_*`` items it reads and writes.

Imports nothing else of the plugin, so that every reader and writer can share it.
"""

from typing import Optional

TAG_HEADING = "INSAR_HEADING"  # degrees, flight direction clockwise from north
TAG_INCIDENCE = "INSAR_INCIDENCE"  # degrees from the vertical
TAG_LOOK_SIDE = "INSAR_LOOK_SIDE"  # right | left
TAG_LOS_SIGN = "INSAR_LOS_SIGN"  # toward | away (positive toward the satellite or away)
TAG_UNIT = "INSAR_UNIT"  # e.g. mm/year (else the band's unit type)
TAG_REF_X = "INSAR_REF_X"  # reference point, in the raster's CRS
TAG_REF_Y = "INSAR_REF_Y"
TAG_SOURCE = "INSAR_SOURCE"  # the product a raster was imported from
TAG_ROLE = "INSAR_ROLE"  # band level, one of the roles below
TAG_DATE = "INSAR_DATE"  # band level: acquisition date of a time-series band, YYYYMMDD
TAG_ASSUMPTION = "INSAR_ASSUMPTION"  # what a single-track projection assumes
TAG_PREFIX = "INSAR_"
# dataset level, written by losdecomp:velocity and the imports: first/last acquisition used
# (YYYY-MM-DD/YYYY-MM-DD) and the median interval between acquisitions, in days
TAG_WINDOW, TAG_REPEAT_DAYS = "LOSDECOMP_WINDOW", "LOSDECOMP_REPEAT_DAYS"
# dataset level: the file that holds this raster's standard deviation (band 1), relative to
# the raster's folder; written by losdecomp:velocity beside OUTPUT_SIGMA, so that a velocity
# carries its sigma into losdecomp:decompose (named, never guessed from the folder)
TAG_SIGMA_FILE = "INSAR_SIGMA_FILE"

ROLE_VELOCITY, ROLE_STD = "velocity", "velocity_std"
ROLE_ENU = ("los_east", "los_north", "los_up")


def track_tags(
    heading: Optional[float] = None,
    incidence: Optional[float] = None,
    look_side: Optional[str] = None,
    los_sign: Optional[str] = None,
    unit: Optional[str] = None,
    reference: Optional[tuple] = None,
) -> dict:
    """The ``INSAR_*`` items for a raster, as written by this plugin."""
    tags = {}
    if heading is not None:
        tags[TAG_HEADING] = repr(float(heading))
    if incidence is not None:
        tags[TAG_INCIDENCE] = repr(float(incidence))
    if look_side:
        tags[TAG_LOOK_SIDE] = look_side
    if los_sign:
        tags[TAG_LOS_SIGN] = los_sign
    if unit:
        tags[TAG_UNIT] = unit
    if reference is not None:
        tags[TAG_REF_X], tags[TAG_REF_Y] = repr(float(reference[0])), repr(float(reference[1]))
    return tags
