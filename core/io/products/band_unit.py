"""Any raster: the band's own unit, when nothing before said which unit it is in."""

from .base import Source, TrackMetadata, set_unit

PRODUCT = None  # adds to whichever product was recognised; never names one


def recognise(src: Source, md: TrackMetadata) -> bool:
    return md.unit is None and bool(src.band_unit)


def read(src: Source, md: TrackMetadata) -> None:
    set_unit(md, src.band_unit, f"{src.name} band unit")


def siblings(src: Source) -> list:
    return []
