"""``losdecomp:export_timeseries``: a dated time-series raster as one NetCDF-CF (``.nc``) or
Zarr v2 (``.zarr``) store (a thin adapter to ``core.io.series_store``, GDAL only)."""

from qgis.core import QgsProcessingParameterFileDestination

from ...core.io import series_store
from .. import names as n
from ..base import LosDecompAlgorithm, report, tr
from ..layers import layer_path
from ..parameters import RasterFileParameter, text_parameter
from . import TIME_SERIES


class ExportTimeSeriesAlgorithm(LosDecompAlgorithm):
    """``losdecomp:export_timeseries``."""

    NAME = "export_timeseries"
    DISPLAY_NAME = "Export a time series to NetCDF-CF or Zarr"
    GROUP = TIME_SERIES
    HELP = (
        "Copies a time-series raster (one band per acquisition, dated by INSAR_DATE or a YYYYMMDD band "
        "description; a track, or an east/up output of 'Decompose LOS time series') into one store whose "
        "format follows OUTPUT's extension: .nc = NetCDF-CF (NetCDF-4), .zarr = Zarr v2 (a folder), both "
        "written by GDAL. The store holds one variable (time, y, x), float32 with NaN for nodata, named "
        "VARIABLE (empty = after the component: east, up, sigma_east, sigma_up; los for a track), with its "
        "unit, a CF time coordinate in days since the first date (dates are calendar days), x/y pixel "
        "centres and a CF grid mapping 'spatial_ref' (crs_wkt, GeoTransform). Values are copied as they "
        "are, nothing resampled; a sigma band keeps its uncertainty kind in the variable's attributes.\n\n"
        "Reading it back: xarray.open_dataset (NetCDF) or xarray.open_zarr (Zarr); in QGIS a .nc opens as "
        "a raster of one band per date that the plugin's time-series algorithms take as a dated stack; a "
        'Zarr store opens one date at a time (ZARR:"path":/variable:K) or, as a dated stack, through '
        "core.io.series_store.dated_vrt. The store is written under a hidden name and renamed when complete."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add_parameters([
            RasterFileParameter(n.INPUT, tr("Time series (one band per acquisition)")),
            text_parameter(n.VARIABLE, "Variable name (empty = after the component)", optional=True),
            QgsProcessingParameterFileDestination(n.OUTPUT, tr("Time-series store"),
                                                  "NetCDF-CF (*.nc);;Zarr v2 (*.zarr)"),
        ])  # fmt: skip

    def check(self, parameters, context):
        out = self.parameterAsFileOutput(parameters, n.OUTPUT, context)
        if out:
            series_store.store_format(out)

    def process(self, parameters, context, feedback):
        path = layer_path(self, parameters, n.INPUT, context, "time series")
        variable = self.parameterAsString(parameters, n.VARIABLE, context).strip()
        out = self.parameterAsFileOutput(parameters, n.OUTPUT, context)
        series_store.store_format(out)
        series_store.variable_for(path, variable)

        def write(progress, is_cancelled):
            return series_store.export(path, out, variable, progress, is_cancelled)

        result = self.write_file(out, write, context, feedback)
        if result is None:
            return {n.OUTPUT: None}
        report(feedback, result["log"])
        return {n.OUTPUT: out}
