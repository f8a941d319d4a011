"""``losdecomp:decompose``: a thin adapter from Processing parameters to ``core``."""

from qgis.core import (
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBand,
    QgsProcessingParameterCrs,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ...core.io.model import HORIZONTAL, QUALITY, SIGMA_HORIZONTAL, SIGMA_UP, UP, horizontal_label
from ...core.io.products import track_label
from ...core.plan.decompose import Request, check, plan
from ...core.plan.naming import layer_name, quality_names
from ...core.plan.tracks import TrackInput
from ...core.runs import engine
from .. import names as n
from ..base import LosDecompAlgorithm, tr
from ..layers import crs_wkt, file_crs, layer_path, layer_paths
from ..parameters import (
    INCIDENCE_FROM_LAYER,
    RasterFileParameter,
    RasterFilesParameter,
    angle_parameters,
    compression_parameter,
    look_side_parameter,
    los_sign_parameter,
    number_parameter,
    resampling_parameter,
    text_parameter,
)
from ..styling import register_outputs
from . import VELOCITY_MAPS, north_3d
from .remove_plate_motion import PLATE_HELP

#: Outputs in the order they sit in the result group: vertical on top.
LOAD_ORDER = (n.OUTPUT_UP, n.OUTPUT_EAST, n.OUTPUT_SIGMA_UP, n.OUTPUT_SIGMA_EAST, n.OUTPUT_QUALITY,
              n.OUTPUT_NORTH, n.OUTPUT_SIGMA_NORTH, n.OUTPUT_UN, n.OUTPUT_UN_TILT)  # fmt: skip


class DecomposeAlgorithm(LosDecompAlgorithm):
    """``losdecomp:decompose``."""

    NAME = "decompose"
    DISPLAY_NAME = "Decompose LOS velocities into east and vertical"
    GROUP = VELOCITY_MAPS
    HELP = (
        "Inverts line-of-sight (LOS) velocities from an ascending and a descending track (and "
        "optionally more tracks) for east-west and vertical velocity, pixel by pixel, by weighted "
        "least squares. The north component is assumed zero unless a known north velocity is given.\n\n"
        "Angles: heading is the flight direction in degrees clockwise from north (Sentinel-1 about 348 "
        "ascending, 192 descending); incidence is the angle between the LOS and the vertical. Angles left "
        "empty are read from the layer (plugin GeoTIFF tags, MintPy attributes, LiCSBAS E/N/U rasters, "
        "HyP3 lv_theta/lv_phi rasters); typed angles override them.\n\n"
        "Grids: layers may differ in CRS, pixel size and extent; they are resampled with GDAL to a "
        "common grid (default: the ascending layer's CRS, the coarsest pixel, the overlap).\n\n"
        "Outputs: float32 GeoTIFF, NaN nodata, positive east and up, in the unit of the inputs. Pixels "
        "without an east-looking and a west-looking track, or with cond(G) above the threshold, are nodata.\n\n"
        "Advanced options. Reference: each track is referenced to its own point or area; a common reference "
        "point (with a radius) or polygon subtracts each track's median there, so that all tracks share one "
        "reference (otherwise east and up carry the tracks' offsets). North: the north component is assumed "
        "zero; a known north velocity (raster such as interpolated GNSS, or a constant, with its standard "
        "deviation) is removed from every track instead. Extra tracks: more LOS rasters (other frames or "
        "satellites) join the least squares; their angles come from the layers or from 'heading,incidence"
        "[,left|right]' entries separated by ';'. Horizontal azimuth: solve the horizontal along another "
        "direction than east (e.g. a fault-parallel direction).\n\n"
        "Plate motion (PLATE or EULER_POLE, optional, at most one): the plate's velocity projected on each "
        "track's own unit vector, pixel by pixel on the common grid, is removed from every track before the "
        "inversion; this equals running losdecomp:remove_plate_motion on each track first. East (or the "
        "horizontal along the azimuth) is then relative to the plate. Removing the plate's east from the east "
        "output alone would leave its north motion in the tracks (|sN| times several mm/yr), leaking into east "
        "and up: the LOS removal avoids it. In effect the removal is horizontal: the up output changes only by "
        "the plate's own vertical on the ellipsoid (tens of micrometres per year, kept as MintPy keeps it). "
        "North, assumed zero, is zero relative to the plate; a known north velocity is taken in the tracks' "
        "frame and the plate's north is subtracted from it too. The tracks need a velocity unit. The outputs' "
        "metadata LOSDECOMP_PLATE_MODEL names the model and pole.\n\n" + PLATE_HELP + "\n\n" + north_3d.HELP
    )

    #: output parameter -> (core product, layer name)
    OUTPUTS = n.OUTPUTS
    #: Parameters of decompose that a subclass has no use for.
    LEFT_OUT = frozenset()

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        basic = self._track_parameters() + self._grid_parameters() + self._more_parameters()
        self.add_parameters([p for p in basic if p.name() not in self.LEFT_OUT])
        more = self._advanced_track_parameters() + self._advanced_options()
        self.add_parameters([p for p in more if p.name() not in self.LEFT_OUT], is_advanced=True)
        self.add_parameters(self._output_parameters())

    def _more_parameters(self):
        """Parameters after the grid's and before the advanced ones: decompose's plate (a
        subclass puts its own here instead)."""
        return [
            text_parameter(n.PLATE, "Remove the plate motion of (MODEL:Plate, e.g. ITRF2014-PMM:Eurasia; empty = "
                           "none)", optional=True),
            text_parameter(n.EULER_POLE, "or of the Euler pole ('lat,lon,rate' deg, deg/Myr; or 'wx,wy,wz mas/yr')",
                           optional=True),
        ]  # fmt: skip

    def _text(self, parameters, name, context):
        """A text parameter's value ('' when empty or when this algorithm has no such parameter)."""
        if self.parameterDefinition(name) is None:
            return ""
        return (self.parameterAsString(parameters, name, context) or "").strip()

    def _output_parameters(self):
        """East and up are required; the others are written only when asked for."""
        params = []
        for key, (product, label) in self.OUTPUTS.items():
            required = product in (HORIZONTAL, UP)
            params.append(
                QgsProcessingParameterRasterDestination(key, label, optional=not required, createByDefault=required)
            )
        return params

    def _track_parameters(self):
        params = []
        for t in n.TRACKS:
            params.append(RasterFileParameter(t.layer, f"{t.label.capitalize()} LOS velocity"))
            # optional so that qgis_process and the modeler fall back to the default band 1
            params.append(QgsProcessingParameterBand(t.band, f"{t.label.capitalize()} band", 1, t.layer, optional=True))
        for t in n.TRACKS:
            track = t.label.capitalize()
            params += angle_parameters(
                t.heading, t.incidence, f"{track} heading (flight direction, degrees clockwise from north; empty = "
                "from the layer)", f"{track} incidence ({INCIDENCE_FROM_LAYER})",
            )  # fmt: skip
        params.append(los_sign_parameter())
        return params

    def _grid_parameters(self):
        return [
            QgsProcessingParameterCrs(n.TARGET_CRS, tr("Target CRS (empty = the ascending layer's)"), optional=True),
            number_parameter(n.RESOLUTION, "Resolution in target CRS units (0 = the coarsest input pixel)",
                             defaultValue=0.0, minValue=0.0),  # fmt: skip
            QgsProcessingParameterExtent(n.EXTENT, tr("Extent (empty = the overlap of the inputs)"), optional=True),
            resampling_parameter(),
        ]

    def _advanced_track_parameters(self):
        params = []
        for t in n.TRACKS:
            label = f"{t.label.capitalize()} LOS standard deviation (empty = from the product)"
            params.append(RasterFileParameter(t.sigma, label, optional=True))
        for t in n.TRACKS:
            params.append(look_side_parameter(t.look_side, f"{t.label.capitalize()} look side"))
        params += north_3d.kind_parameters()
        params += [
            RasterFilesParameter(
                n.EXTRA_TRACKS,
                tr("Extra tracks (LOS velocity rasters)"),
                QgsProcessing.SourceType.TypeRaster,
                optional=True,
            ),  # fmt: skip
            QgsProcessingParameterString(
                n.EXTRA_GEOMETRY,
                tr(
                    "Extra tracks' geometry: 'heading,incidence[,left|right][,along]' per extra track, separated by "
                    "';' (an empty entry = from the layer; 'along': an along-track track)"
                ),
                optional=True,
            ),
        ]
        return params + north_3d.advanced_parameters()

    def _advanced_options(self):
        return [
            RasterFileParameter(
                n.NORTH_VELOCITY,
                tr("Known north velocity raster (e.g. interpolated GNSS; same unit as the tracks)"),
                optional=True,
            ),  # fmt: skip
            number_parameter(n.NORTH_VELOCITY_CONSTANT, "Known north velocity, constant", optional=True),
            number_parameter(n.NORTH_SIGMA, "Standard deviation of the north velocity", optional=True, minValue=0.0),
            number_parameter(n.HORIZONTAL_AZIMUTH, "Solve the horizontal along this azimuth (degrees clockwise "
                             "from north; empty = east)", optional=True),  # fmt: skip
            QgsProcessingParameterPoint(
                n.REFERENCE_POINT, tr("Common reference point (each track's median there is subtracted)"), optional=True
            ),
            number_parameter(n.REFERENCE_RADIUS, "Radius around the reference point (target CRS units; 0 = its "
                             "pixel)", defaultValue=0.0, minValue=0.0),  # fmt: skip
            QgsProcessingParameterFeatureSource(
                n.REFERENCE_AREA,
                tr("Common reference area (polygons; each track's median there is subtracted)"),
                [QgsProcessing.SourceType.TypeVectorPolygon],
                optional=True,
            ),
            number_parameter(n.MAX_CONDITION, "Largest condition number of the geometry (ill-conditioned pixels "
                             "become nodata)", defaultValue=n.DEFAULT_MAX_CONDITION, minValue=1.0),  # fmt: skip
            compression_parameter(),
        ]

    # -- from parameters to a core Request -------------------------------------------------

    def _named_track(self, parameters, context, t, sign):
        path = layer_path(self, parameters, t.layer, context, f"{t.label} track")
        if path is None:
            raise QgsProcessingException(f"{t.label} track: no layer given")
        return TrackInput(
            name=t.label,
            path=path,
            band=self.parameterAsInt(parameters, t.band, context) or 1,
            heading=self.optional_number(parameters, t.heading, context),
            incidence=self.optional_number(parameters, t.incidence, context),
            look_side=self.look_side(parameters, t.look_side, context),
            los_sign=sign,
            sigma=layer_path(self, parameters, t.sigma, context, f"{t.label} standard deviation"),
            kind=north_3d.track_kind(self, parameters, t.kind, context),
        )

    def _request(self, parameters, context):
        sign = self.los_sign(parameters, context)
        tracks = [self._named_track(parameters, context, t, sign) for t in n.TRACKS]
        tracks += self._extra_tracks(parameters, context, sign)
        crs = self.parameterAsCrs(parameters, n.TARGET_CRS, context)
        grid_crs = crs if crs.isValid() else file_crs(tracks[0].path, f"{tracks[0].name} track")
        north = layer_path(self, parameters, n.NORTH_VELOCITY, context, "north velocity")
        north_const = self.optional_number(parameters, n.NORTH_VELOCITY_CONSTANT, context)
        if north is not None and north_const is not None:
            raise QgsProcessingException("north velocity: give a raster or a constant, not both")
        return Request(
            tracks=tracks,
            outputs=self.asked_outputs(parameters, context, {key: out[0] for key, out in self.OUTPUTS.items()}),
            target_crs_wkt=crs_wkt(crs),
            resolution=self.parameterAsDouble(parameters, n.RESOLUTION, context),
            extent=self._extent(parameters, context, grid_crs),
            resampling=self.resampling(parameters, context),
            north_velocity=north if north is not None else north_const,
            north_sigma=self.optional_number(parameters, n.NORTH_SIGMA, context),
            horizontal_azimuth=self.optional_number(parameters, n.HORIZONTAL_AZIMUTH, context),
            max_condition=self.parameterAsDouble(parameters, n.MAX_CONDITION, context),
            reference_point=self._reference_point(parameters, context, grid_crs),
            reference_radius=self.parameterAsDouble(parameters, n.REFERENCE_RADIUS, context),
            reference_polygon_wkt=self._reference_polygon(parameters, context, grid_crs),
            compression=self.compression(parameters, context),
            plate=self._text(parameters, n.PLATE, context),
            euler_pole=self._text(parameters, n.EULER_POLE, context),
            components=self.parameterAsEnum(parameters, n.COMPONENTS, context),
            along_track_sigma=self.optional_number(parameters, n.ALONG_TRACK_SIGMA, context),
        )

    def _extent(self, parameters, context, grid_crs):
        if not parameters.get(n.EXTENT):
            return None
        rect = self.parameterAsExtent(parameters, n.EXTENT, context, grid_crs)
        if rect.isNull() or rect.isEmpty():
            return None
        return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())

    def _reference_point(self, parameters, context, grid_crs):
        if parameters.get(n.REFERENCE_POINT) in (None, ""):
            return None
        p = self.parameterAsPoint(parameters, n.REFERENCE_POINT, context, grid_crs)
        return (p.x(), p.y())

    def _reference_polygon(self, parameters, context, grid_crs):
        source = self.parameterAsSource(parameters, n.REFERENCE_AREA, context)
        if source is None:
            return ""
        transform = QgsCoordinateTransform(source.sourceCrs(), grid_crs, context.transformContext())
        parts = []
        for feature in source.getFeatures():
            geom = QgsGeometry(feature.geometry())
            if not geom.isEmpty():
                geom.transform(transform)
                parts.append(geom)
        if not parts:
            raise QgsProcessingException("reference area: the layer has no polygon")
        return QgsGeometry.unaryUnion(parts).asWkt()

    def _extra_tracks(self, parameters, context, sign):
        layers = layer_paths(self, parameters, n.EXTRA_TRACKS, context, "extra track")
        text = self.parameterAsString(parameters, n.EXTRA_GEOMETRY, context) or ""
        entries = [e.strip() for e in text.split(";")] if text.strip() else []
        if len(entries) > len(layers):
            raise QgsProcessingException(
                f"extra tracks: {len(entries)} geometry entries for {len(layers)} extra layer(s)"
            )
        sigmas = layer_paths(self, parameters, n.EXTRA_SIGMAS, context, "extra track standard deviation")
        if len(sigmas) > len(layers):
            raise QgsProcessingException(f"EXTRA_SIGMAS: {len(sigmas)} rasters for {len(layers)} extra track(s)")
        out = []
        for i, (path, name) in enumerate(layers):
            label = f"extra track {i + 1} ({track_label(path, name)})"
            heading, incidence, side, kind = north_3d.parse_entry(label, entries[i] if i < len(entries) else "")
            out.append(TrackInput(label, path, 1, heading, incidence, side, sign, north_3d.extra_sigma(sigmas, i),
                                  kind=kind))  # fmt: skip
        return out

    # -- checks and run --------------------------------------------------------------------

    def check(self, parameters, context):
        check(self._request(parameters, context))

    def process(self, parameters, context, feedback):
        the_plan = plan(self._request(parameters, context))
        job = the_plan.job
        try:
            summary = self.run_with_log(
                the_plan.log, the_plan.warnings, job.outputs.values(), lambda p, c: engine.run(job, p, c), context,
                feedback,
            )  # fmt: skip
        except (ValueError, OSError, RuntimeError) as exc:
            raise QgsProcessingException(f"decomposition failed, no output written: {exc}") from None
        if summary is None:
            return {key: None for key in n.OUTPUTS}
        _report(feedback, job, summary)
        return self._results(context, job, summary)

    def _results(self, context, job, summary):
        results, layers = {}, {}
        tracks = [track_label(t.velocity.path) for t in job.tracks]
        for key in LOAD_ORDER:
            product, label = n.OUTPUTS[key]
            if job.horizontal_azimuth is not None and product in (HORIZONTAL, SIGMA_HORIZONTAL):
                label = label.replace("East velocity", horizontal_label(job.horizontal_azimuth))
            if job.components == 2 and job.north is None and product in (UP, SIGMA_UP):
                label = label.replace("Vertical velocity", "Up-north velocity v_UN")
            results[key] = summary.outputs.get(product)
            if product in summary.outputs:
                name = (quality_names(job.unit, tracks, job.components) if product == QUALITY else
                        layer_name(label, job.unit, tracks))  # fmt: skip
                layers[summary.outputs[product]] = (name, product, summary.limits.get(product))
        register_outputs(context, layers, group=layer_name("East and vertical velocity", None, tracks))
        return results


def _report(feedback, job, summary):
    if summary.warped_inputs:
        feedback.pushInfo("resampled to the common grid: " + ", ".join(summary.warped_inputs))
    else:
        feedback.pushInfo("all inputs already on the common grid: read without resampling")
    for name, offset in summary.reference_offsets.items():
        feedback.pushInfo(f"reference: {name} track shifted by {-offset:.6g} {job.unit} (its median there)")
    share = 100.0 * summary.resolved / max(summary.pixels, 1)
    feedback.pushInfo(f"resolved {summary.resolved} of {summary.pixels} pixels ({share:.1f} %)")
