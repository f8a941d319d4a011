"""``losdecomp:decompose``: a thin adapter from Processing parameters to ``core``."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBand,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..core import engine, geometry
from ..core.plan import Request, plan
from ..core.reader import RESAMPLING_METHODS
from ..core.tracks import TrackInput
from ..core.writer import COMPRESSIONS
from .base import LosDecompAlgorithm
from .styling import register_outputs

LOOK_SIDE_OPTIONS = (
    ("From the layer's metadata, else right", None),
    ("Right", geometry.RIGHT),
    ("Left", geometry.LEFT),
)
LOS_SIGN_OPTIONS = (
    ("Positive toward the satellite", geometry.TOWARD),
    ("Positive away from the satellite (range increase)", geometry.AWAY),
)

# Output parameter -> (engine product, layer name)
OUTPUTS = {
    "OUTPUT_EAST": (engine.HORIZONTAL, "East velocity"),
    "OUTPUT_UP": (engine.UP, "Vertical velocity"),
    "OUTPUT_SIGMA_EAST": (engine.SIGMA_HORIZONTAL, "East velocity standard deviation"),
    "OUTPUT_SIGMA_UP": (engine.SIGMA_UP, "Vertical velocity standard deviation"),
    "OUTPUT_QUALITY": (engine.QUALITY, "Decomposition quality"),
}
TRACKS = (("ASC", "ASCENDING", "ascending"), ("DESC", "DESCENDING", "descending"))


class DecomposeAlgorithm(LosDecompAlgorithm):
    NAME = "decompose"
    DISPLAY_NAME = "Decompose LOS velocities into east and vertical"
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
        "without an east-looking and a west-looking track, or with cond(G) above the threshold, are nodata."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        for prefix, layer_param, label in TRACKS:
            self.addParameter(QgsProcessingParameterRasterLayer(layer_param, f"{label.capitalize()} LOS velocity"))
            self.addParameter(
                # optional so that qgis_process and the modeler fall back to the default band 1
                QgsProcessingParameterBand(
                    f"{prefix}_BAND", f"{label.capitalize()} band", 1, layer_param, optional=True
                )
            )
        for prefix, _, label in TRACKS:
            for angle, help_text in (
                ("HEADING", "flight direction, degrees clockwise from north"),
                ("INCIDENCE", "degrees from the vertical"),
            ):
                p = QgsProcessingParameterNumber(
                    f"{prefix}_{angle}",
                    f"{label.capitalize()} {angle.lower()} ({help_text}; empty = from the layer)",
                    QgsProcessingParameterNumber.Double,
                    optional=True,
                )
                self.addParameter(p)
        self.addParameter(
            QgsProcessingParameterEnum(
                "LOS_SIGN", "LOS sign convention", [o[0] for o in LOS_SIGN_OPTIONS], defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterCrs("TARGET_CRS", "Target CRS (empty = the ascending layer's)", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "RESOLUTION",
                "Resolution in target CRS units (0 = the coarsest input pixel)",
                QgsProcessingParameterNumber.Double,
                defaultValue=0.0,
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent("EXTENT", "Extent (empty = the overlap of the inputs)", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                "RESAMPLING", "Resampling method", [m[0] for m in RESAMPLING_METHODS], defaultValue=1
            )
        )

        advanced = []
        for prefix, _, label in TRACKS:
            advanced.append(
                QgsProcessingParameterRasterLayer(
                    f"{prefix}_SIGMA",
                    f"{label.capitalize()} LOS standard deviation (empty = from the product)",
                    optional=True,
                )
            )
        for prefix, _, label in TRACKS:
            advanced.append(
                QgsProcessingParameterEnum(
                    f"{prefix}_LOOK_SIDE",
                    f"{label.capitalize()} look side",
                    [o[0] for o in LOOK_SIDE_OPTIONS],
                    defaultValue=0,
                )
            )
        advanced += [
            QgsProcessingParameterMultipleLayers(
                "EXTRA_TRACKS", "Extra tracks (LOS velocity rasters)", QgsProcessing.TypeRaster, optional=True
            ),
            QgsProcessingParameterString(
                "EXTRA_GEOMETRY",
                "Extra tracks' geometry: 'heading,incidence[,left|right]' per extra track, separated by ';' "
                "(an empty entry = from the layer)",
                optional=True,
            ),
            QgsProcessingParameterRasterLayer(
                "NORTH_VELOCITY",
                "Known north velocity raster (e.g. interpolated GNSS; same unit as the tracks)",
                optional=True,
            ),
            QgsProcessingParameterNumber(
                "NORTH_VELOCITY_CONSTANT",
                "Known north velocity, constant",
                QgsProcessingParameterNumber.Double,
                optional=True,
            ),
            QgsProcessingParameterNumber(
                "NORTH_SIGMA",
                "Standard deviation of the north velocity",
                QgsProcessingParameterNumber.Double,
                optional=True,
                minValue=0.0,
            ),
            QgsProcessingParameterNumber(
                "HORIZONTAL_AZIMUTH",
                "Solve the horizontal along this azimuth (degrees clockwise from north; empty = east)",
                QgsProcessingParameterNumber.Double,
                optional=True,
            ),
            QgsProcessingParameterPoint(
                "REFERENCE_POINT", "Common reference point (each track's median there is subtracted)", optional=True
            ),
            QgsProcessingParameterNumber(
                "REFERENCE_RADIUS",
                "Radius around the reference point (target CRS units; 0 = its pixel)",
                QgsProcessingParameterNumber.Double,
                defaultValue=0.0,
                minValue=0.0,
            ),
            QgsProcessingParameterFeatureSource(
                "REFERENCE_AREA",
                "Common reference area (polygons; each track's median there is subtracted)",
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            ),
            QgsProcessingParameterNumber(
                "MAX_CONDITION",
                "Largest condition number of the geometry (ill-conditioned pixels become nodata)",
                QgsProcessingParameterNumber.Double,
                defaultValue=engine.DEFAULT_MAX_CONDITION,
                minValue=1.0,
            ),
            QgsProcessingParameterEnum(
                "COMPRESSION", "Output compression (lossless)", [c[1] for c in COMPRESSIONS], defaultValue=0
            ),
        ]
        for p in advanced:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(p)

        for key, (product, label) in OUTPUTS.items():
            required = product in (engine.HORIZONTAL, engine.UP)
            self.addParameter(
                QgsProcessingParameterRasterDestination(key, label, optional=not required, createByDefault=required)
            )

    # -- from parameters to a core Request -------------------------------------------------

    def _number(self, parameters, name, context):
        if parameters.get(name) in (None, ""):
            return None
        return self.parameterAsDouble(parameters, name, context)

    def _layer_path(self, parameters, name, context, label):
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            return None
        if layer.providerType() != "gdal":
            raise QgsProcessingException(f"{label}: layer '{layer.name()}' is not a file GDAL can read")
        return layer.source()

    def _request(self, parameters, context):
        sign = LOS_SIGN_OPTIONS[self.parameterAsEnum(parameters, "LOS_SIGN", context)][1]
        tracks = []
        for prefix, layer_param, label in TRACKS:
            path = self._layer_path(parameters, layer_param, context, f"{label} track")
            if path is None:
                raise QgsProcessingException(f"{label} track: no layer given")
            sigma = self._layer_path(parameters, f"{prefix}_SIGMA", context, f"{label} standard deviation")
            tracks.append(
                TrackInput(
                    name=label,
                    path=path,
                    band=self.parameterAsInt(parameters, f"{prefix}_BAND", context) or 1,
                    heading=self._number(parameters, f"{prefix}_HEADING", context),
                    incidence=self._number(parameters, f"{prefix}_INCIDENCE", context),
                    look_side=LOOK_SIDE_OPTIONS[self.parameterAsEnum(parameters, f"{prefix}_LOOK_SIDE", context)][1],
                    los_sign=sign,
                    sigma=sigma,
                )
            )
        tracks += self._extra_tracks(parameters, context, sign)

        crs = self.parameterAsCrs(parameters, "TARGET_CRS", context)
        target_wkt = crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL) if crs.isValid() else ""
        grid_crs = crs if crs.isValid() else self.parameterAsRasterLayer(parameters, "ASCENDING", context).crs()
        extent = None
        if parameters.get("EXTENT"):
            rect = self.parameterAsExtent(parameters, "EXTENT", context, grid_crs)
            if not rect.isNull() and not rect.isEmpty():
                extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())

        north = self._layer_path(parameters, "NORTH_VELOCITY", context, "north velocity")
        north_const = self._number(parameters, "NORTH_VELOCITY_CONSTANT", context)
        if north is not None and north_const is not None:
            raise QgsProcessingException("north velocity: give a raster or a constant, not both")
        outputs = {}
        for key, (product, _) in OUTPUTS.items():
            if parameters.get(key) is not None:
                path = self.parameterAsOutputLayer(parameters, key, context)
                if path:
                    outputs[product] = path
        return Request(
            tracks=tracks,
            outputs=outputs,
            target_crs_wkt=target_wkt,
            resolution=self.parameterAsDouble(parameters, "RESOLUTION", context),
            extent=extent,
            resampling=RESAMPLING_METHODS[self.parameterAsEnum(parameters, "RESAMPLING", context)][0],
            north_velocity=north if north is not None else north_const,
            north_sigma=self._number(parameters, "NORTH_SIGMA", context),
            horizontal_azimuth=self._number(parameters, "HORIZONTAL_AZIMUTH", context),
            max_condition=self.parameterAsDouble(parameters, "MAX_CONDITION", context),
            reference_point=self._reference_point(parameters, context, grid_crs),
            reference_radius=self.parameterAsDouble(parameters, "REFERENCE_RADIUS", context),
            reference_polygon_wkt=self._reference_polygon(parameters, context, grid_crs),
            compression=COMPRESSIONS[self.parameterAsEnum(parameters, "COMPRESSION", context)][0],
        )

    def _reference_point(self, parameters, context, grid_crs):
        if parameters.get("REFERENCE_POINT") in (None, ""):
            return None
        p = self.parameterAsPoint(parameters, "REFERENCE_POINT", context, grid_crs)
        return (p.x(), p.y())

    def _reference_polygon(self, parameters, context, grid_crs):
        source = self.parameterAsSource(parameters, "REFERENCE_AREA", context)
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
        layers = self.parameterAsLayerList(parameters, "EXTRA_TRACKS", context) or []
        text = self.parameterAsString(parameters, "EXTRA_GEOMETRY", context) or ""
        entries = [e.strip() for e in text.split(";")] if text.strip() else []
        if len(entries) > len(layers):
            raise QgsProcessingException(
                f"extra tracks: {len(entries)} geometry entries for {len(layers)} extra layer(s)"
            )
        out = []
        for i, layer in enumerate(layers):
            label = f"extra track {i + 1} ({layer.name()})"
            heading = incidence = side = None
            entry = entries[i] if i < len(entries) else ""
            if entry:
                parts = [p.strip() for p in entry.split(",")]
                try:
                    heading, incidence = float(parts[0]), float(parts[1])
                except (IndexError, ValueError):
                    raise QgsProcessingException(
                        f"{label}: geometry '{entry}' is not 'heading,incidence[,left|right]'"
                    ) from None
                if len(parts) > 2:
                    side = parts[2].lower()
                    if side not in geometry.LOOK_SIDES:
                        raise QgsProcessingException(f"{label}: look side '{parts[2]}' is not 'left' or 'right'")
            if layer.providerType() != "gdal":
                raise QgsProcessingException(f"{label}: not a file GDAL can read")
            out.append(TrackInput(label, layer.source(), 1, heading, incidence, side, sign))
        return out

    # -- checks and run --------------------------------------------------------------------

    def checkParameterValues(self, parameters, context):  # noqa: N802 (QGIS's name)
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            plan(self._request(parameters, context))
        except (QgsProcessingException, ValueError, OSError) as exc:
            return False, str(exc)
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 (QGIS's name)
        try:
            the_plan = plan(self._request(parameters, context))
        except (ValueError, OSError) as exc:
            raise QgsProcessingException(str(exc)) from None
        for line in the_plan.log:
            feedback.pushInfo(line)
        for line in the_plan.warnings:
            feedback.reportError(f"Warning: {line}", fatalError=False)
        job = the_plan.job

        try:
            summary = engine.run(
                job,
                progress=lambda f: feedback.setProgress(100.0 * f),
                is_cancelled=feedback.isCanceled,
            )
        except engine.Cancelled:
            feedback.pushInfo("Cancelled: no output written.")
            pending = context.layersToLoadOnCompletion()
            context.setLayersToLoadOnCompletion({k: v for k, v in pending.items() if k not in job.outputs.values()})
            return {key: None for key in OUTPUTS}
        except (ValueError, OSError, RuntimeError) as exc:
            raise QgsProcessingException(f"decomposition failed, no output written: {exc}") from None

        if summary.warped_inputs:
            feedback.pushInfo("resampled to the common grid: " + ", ".join(summary.warped_inputs))
        else:
            feedback.pushInfo("all inputs already on the common grid: read without resampling")
        for name, offset in summary.reference_offsets.items():
            feedback.pushInfo(f"reference: {name} track shifted by {-offset:.6g} {job.unit} (its median there)")
        share = 100.0 * summary.resolved / max(summary.pixels, 1)
        feedback.pushInfo(f"resolved {summary.resolved} of {summary.pixels} pixels ({share:.1f} %)")

        results = {}
        names = {}
        for key, (product, label) in OUTPUTS.items():
            if job.horizontal_azimuth is not None and product in (engine.HORIZONTAL, engine.SIGMA_HORIZONTAL):
                label = label.replace("East velocity", engine.horizontal_label(job.horizontal_azimuth))
            if product in summary.outputs:
                results[key] = summary.outputs[product]
                names[summary.outputs[product]] = (label, product)
            else:
                results[key] = None
        register_outputs(context, names)
        return results
