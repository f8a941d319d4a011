"""Dated stacks (one band per acquisition, DESIGN 3b) in QGIS: each band's date as core's
reader finds it, per-band temporal ranges where QGIS has them (3.38 and later: the temporal
controller then steps through the dates); styling.show_band draws one
date (the date slider's way on older QGIS)."""

import datetime
from typing import Dict, Tuple

from qgis.core import Qgis, QgsDateTimeRange, QgsRasterLayer, QgsRasterLayerTemporalProperties
from qgis.PyQt.QtCore import QDate, QDateTime, QTime

from ..core.io.gdal_mode import raising


def band_dates(layer) -> Dict[int, datetime.date]:
    """{band: date} of a raster layer's dated bands (the file's ``INSAR_DATE`` items or date
    descriptions); empty for anything else (not a GDAL raster, one band, undated)."""
    if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal" or layer.bandCount() < 2:
        return {}
    from ..core.io.products.timeseries import band_dates as read_dates

    try:
        with raising():
            found = read_dates(layer.source())
    except RuntimeError:
        return {}
    return found if len(found) >= 2 else {}


def by_date(dates: Dict[int, datetime.date]) -> list:
    """The (band, date) pairs in date order (a stack's bands need not be)."""
    return sorted(dates.items(), key=lambda item: (item[1], item[0]))


def band_ranges(dates: Dict[int, datetime.date]) -> Dict[int, Tuple[datetime.date, datetime.date]]:
    """Each band's span [start, end): from its date to the next acquisition (the last band
    one day), so a step of any length lands on the latest acquisition before it."""
    ordered = by_date(dates)
    out = {}
    for i, (band, date) in enumerate(ordered):
        end = ordered[i + 1][1] if i + 1 < len(ordered) else date + datetime.timedelta(days=1)
        out[band] = (date, max(end, date + datetime.timedelta(days=1)))
    return out


def per_band_mode():
    """QGIS's fixed-range-per-band temporal mode, or None where QGIS has none (before 3.38)."""
    modes = getattr(Qgis, "RasterTemporalMode", None)
    mode = getattr(modes, "FixedRangePerBand", None) if modes is not None else None
    if mode is None or not hasattr(QgsRasterLayerTemporalProperties, "setFixedRangePerBand"):
        return None
    return mode


def _qdatetime(date: datetime.date) -> QDateTime:
    return QDateTime(QDate(date.year, date.month, date.day), QTime(0, 0))


def set_band_ranges(layer, dates=None) -> bool:
    """Give a dated stack per-band temporal ranges; False (nothing changed) where QGIS
    cannot (before 3.38) or the layer has no dated bands."""
    mode = per_band_mode()
    dates = band_dates(layer) if dates is None else dates
    if mode is None or not dates:
        return False
    ranges = {
        band: QgsDateTimeRange(_qdatetime(start), _qdatetime(end), True, False)
        for band, (start, end) in band_ranges(dates).items()
    }
    props = layer.temporalProperties()
    props.setMode(mode)
    props.setFixedRangePerBand(ranges)
    props.setIsActive(True)
    return True


def rendered_band(layer) -> int:
    """The band the layer's renderer draws (0 when it draws several, as RGB does)."""
    renderer = layer.renderer()
    if renderer is None:
        return 0
    bands = renderer.usesBands()
    return bands[0] if len(bands) == 1 else 0
