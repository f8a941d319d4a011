"""``losdecomp:decompose_polygons``: east and up per polygon from rasters or points of each
track (a thin adapter to ``core.polygons``)."""

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterMultipleLayers,
)

from ...core.conventions import uncertainty
from ...core.runs import point_grid, polygons
from .. import names as n
from ..base import LosDecompAlgorithm, advanced, report, tr
from ..features import DOUBLE, INTEGER, StationInput, write_features
from ..layers import crs_wkt
from ..parameters import TrackLayerParameter, angle_parameters, enum_parameter, look_side_parameter, los_sign_parameter
from . import POINTS
from .sources import track_of


class DecomposePolygonsAlgorithm(LosDecompAlgorithm):
    """``losdecomp:decompose_polygons``."""

    NAME = "decompose_polygons"
    DISPLAY_NAME = "Decompose per polygon (landslides, buildings, areas)"
    GROUP = POINTS
    HELP = (
        "For each polygon, each track's statistic (median by default) of the LOS velocity of the pixels (centres "
        "inside; every touched pixel for a polygon smaller than a pixel) or points inside it, with their count, "
        "spread and mean look vector; then east and vertical velocity per polygon by the same least squares as "
        "losdecomp:decompose (north assumed zero). Tracks are rasters, point layers or EGMS CSVs, in any mix.\n\n"
        "Output: the polygons with, per track (asc, desc, extra1...), <track>_los (its statistic), <track>_count, "
        "<track>_spread (spread: the standard deviation of its values; never a weight) and sigma_<track>_los (the "
        "a-priori standard deviation of <track>_los: the RMS of the pixels' or points' sigmas divided by the "
        "square root of their count, those without a sigma taken at that RMS, times sqrt(pi n / (2 (n + c))), "
        "about 1.25, for the median; null when none has one), then east, up, sigma_east, sigma_up (propagated from "
        "the tracks' a-priori sigmas, which weigh the tracks) and cond. The pixels or points are assumed "
        "independent: the sigmas omit the spatially correlated noise they share (atmosphere, reference), so they "
        "are lower bounds where that noise dominates. When a track has no standard deviation at all, every polygon "
        "is solved with equal weights and sigma_east and sigma_up are null, as in losdecomp:decompose (the log "
        "says so). A polygon with no data of a track has that track's fields null and is counted in the log; a "
        "polygon the tracks' look directions do not resolve has null east and up, in the words of "
        "losdecomp:decompose."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        polygon = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.add_parameters([
            QgsProcessingParameterFeatureSource(n.POLYGONS, tr("Polygons"), polygon),
            TrackLayerParameter(n.ASCENDING, tr("Ascending track (raster, point layer or EGMS CSV)")),
            TrackLayerParameter(n.DESCENDING, tr("Descending track (raster, point layer or EGMS CSV)")),
            advanced(QgsProcessingParameterMultipleLayers(
                n.EXTRA_TRACKS, tr("More tracks"), QgsProcessing.SourceType.TypeMapLayer, optional=True
            )),
        ])  # fmt: skip
        for t in n.TRACKS:
            track = t.label.capitalize()
            self.add_parameters(angle_parameters(t.heading, t.incidence, f"{track} heading (empty = from the layer)",
                                                 f"{track} incidence (empty = from the layer)"))  # fmt: skip
            self.addParameter(advanced(look_side_parameter(t.look_side, f"{track} look side")))
        self.add_parameters([
            los_sign_parameter(),
            enum_parameter(n.STATISTIC, "Statistic per polygon", n.STATISTIC_OPTIONS, point_grid.MEDIAN),
            QgsProcessingParameterFeatureSink(n.OUTPUT, tr("Polygons with east and up velocity")),
        ])  # fmt: skip

    def _track(self, parameters, context, t):
        """The ascending or descending track (``t``: its parameter names) with its angles."""
        value = parameters.get(t.layer)
        angles = {"heading": self.optional_number(parameters, t.heading, context),
                  "incidence": self.optional_number(parameters, t.incidence, context),
                  "look_side": self.look_side(parameters, t.look_side, context)}  # fmt: skip
        layer = value if isinstance(value, str) else self.parameterAsLayer(parameters, t.layer, context)
        return track_of(layer, t.prefix.lower(), self.los_sign(parameters, context), angles)

    def process(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, n.POLYGONS, context)
        if source is None:
            raise QgsProcessingException("polygons: no layer given")
        features = list(source.getFeatures())
        wkts = [f.geometry().asWkt() for f in features]
        tracks = [self._track(parameters, context, t) for t in n.TRACKS]
        extra = parameters.get(n.EXTRA_TRACKS) or []
        values = list(extra) if isinstance(extra, (list, tuple)) else [extra]
        sign = self.los_sign(parameters, context)
        for i, v in enumerate(values, start=1):
            layer = v if not isinstance(v, str) or os.path.isfile(v) else context.getMapLayer(v)
            tracks.append(track_of(layer, f"extra{i}", sign, {"heading": None, "incidence": None, "look_side": None}))
        req = polygons.PolygonsRequest(wkts, crs_wkt(source.sourceCrs()), tracks,
                                       statistic=self.parameterAsEnum(parameters, n.STATISTIC, context))  # fmt: skip
        result = polygons.decompose(req, lambda f: feedback.setProgress(100.0 * f))
        report(feedback, result.log, result.warnings)
        extra_fields = _polygon_fields(result, self.parameterAsEnum(parameters, n.STATISTIC, context))
        inp = StationInput(None, source.fields(), [f.attributes() for f in features],
                           [f.geometry() for f in features], source.sourceCrs())  # fmt: skip
        dest = write_features(self, parameters, context, n.OUTPUT, inp, extra_fields, source.wkbType())
        return {n.OUTPUT: dest}


def _polygon_fields(result, statistic):
    """[(name, type, values, alias)] of the polygons' output: each name or alias says which
    kind of number it is (core/uncertainty.py)."""
    u = uncertainty
    stat = point_grid.STATISTICS[statistic]
    how = point_grid.aggregate_how("pixels or points", statistic)
    fields = []
    for t in result.tracks:
        of = f"the {t.name} track's LOS velocity ({stat} over the polygon)"
        spread = u.label(u.SPREAD, f"the {t.name} track's values in the polygon", "standard deviation")
        fields += [
            (f"{t.name}_los", DOUBLE, t.value, f"T{of[1:]}"),
            (f"{t.name}_count", INTEGER, t.count, f"Number of {t.name} pixels or points in the polygon"),
            (u.field_name(u.SPREAD, t.name), DOUBLE, t.spread, spread),
            (u.field_name(u.APRIORI, f"{t.name}_los"), DOUBLE, t.sigma, u.label(u.APRIORI, of, how)),
        ]
    east, up = u.label(u.PROPAGATED, "the east velocity"), u.label(u.PROPAGATED, "the vertical velocity")
    return fields + [
        ("east", DOUBLE, result.east, "East velocity"),
        ("up", DOUBLE, result.up, "Vertical velocity"),
        (u.field_name(u.PROPAGATED, "east"), DOUBLE, result.sigma_east, east),
        (u.field_name(u.PROPAGATED, "up"), DOUBLE, result.sigma_up, up),
        ("cond", DOUBLE, result.cond, "Condition number of G (the tracks' unit sensitivities)"),
    ]
