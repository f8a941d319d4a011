"""Point InSAR data for core: a QGIS point layer (``LayerPoints``) or a table file (EGMS CSV,
read by core), and a track given as a raster, a point layer or a table."""

import os

import numpy as np
from osgeo import gdal
from qgis.core import QgsFeatureRequest, QgsProcessingException, QgsRasterLayer, QgsVectorLayer

from ...core.io import points
from ...core.io.gnss_stations import to_number
from ...core.plan.tracks import TrackInput
from ...core.runs import polygons
from ..layers import crs_wkt
from ..parameters import is_table_file


class LayerPoints(points.PointSource):
    """The features of a QGIS point layer, read in batches (only the wanted fields)."""

    def __init__(self, source, label: str, batch_size: int = 1 << 18):
        self.source, self.label, self.batch_size = source, label, batch_size
        self.names = [f.name() for f in source.fields()]
        self.crs_wkt = crs_wkt(source.sourceCrs())
        self.unit = ""

    def batches(self, wanted, progress=None):
        request = QgsFeatureRequest().setSubsetOfAttributes(wanted, self.source.fields())
        total = max(self.source.featureCount(), 1)
        xs, ys, cols, done = [], [], {k: [] for k in wanted}, 0
        for feature in self.source.getFeatures(request):
            geom = feature.geometry()
            p = None if geom.isEmpty() else geom.centroid().asPoint()
            xs.append(p.x() if p else float("nan"))  # no geometry: counted as read, not used
            ys.append(p.y() if p else float("nan"))
            for k in wanted:
                cols[k].append(to_number(feature[k]))
            if len(xs) == self.batch_size:
                done += len(xs)
                yield self._batch(xs, ys, cols)
                xs, ys, cols = [], [], {k: [] for k in wanted}
                if progress is not None:
                    progress(min(done / total, 1.0))
        if xs:
            yield self._batch(xs, ys, cols)

    def bounds(self):
        rect = self.source.sourceExtent()
        box = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
        if rect.isNull() or not all(np.isfinite(box)):
            return super().bounds()  # the provider does not know it: read the coordinates
        return box

    @staticmethod
    def _batch(xs, ys, cols):
        return points.PointBatch(
            np.array(xs), np.array(ys), {k: np.array(v, dtype=np.float64) for k, v in cols.items()}
        )


def point_source(alg, parameters, name, context, label):
    """A PointSource of a point layer or a table file (EGMS CSV)."""
    value = parameters.get(name)
    if is_table_file(value):
        return points.CsvPoints(value, label=f"{label} ({os.path.basename(value)})")
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(f"{label}: no point layer given")
    return LayerPoints(source, label)


def is_raster_file(path):
    return not is_table_file(path) and gdal.OpenEx(path, gdal.OF_RASTER) is not None


def track_of(value, label, sign, angles):
    """A TrackInput (raster) or a PointTrack (points) for what the user gave."""
    if isinstance(value, str):
        if is_table_file(value):
            return polygons.PointTrack(label, points.CsvPoints(value, label=label), los_sign=sign, **angles)
        if is_raster_file(value):
            return TrackInput(label, value, los_sign=sign, **angles)
        value = QgsVectorLayer(value, label, "ogr")
    if isinstance(value, QgsRasterLayer):
        return TrackInput(label, value.source(), los_sign=sign, **angles)
    if isinstance(value, QgsVectorLayer) and value.isValid():
        return polygons.PointTrack(label, LayerPoints(value, label), los_sign=sign, **angles)
    raise QgsProcessingException(f"{label} track: not a raster, a point layer or a point table")
