"""GNSS beside the inspector's series (core/runs/series_gnss.py): the station of a .tenv3 nearest
a place within a radius, its daily positions in a track's line of sight (the track's geometry
tags) or along east/up for decomposed stacks, in the layer's unit, zero at the InSAR series'
zero date. Known answers from a station written here with linear motion."""

import datetime

import numpy as np
import pytest
from osgeo import osr
from test_gnss_series import HEADER, PIX, X0, Y0, s_vector, tenv3_line, write_stack

from insar_decomposition.core.runs import series_gnss as sg
from insar_decomposition.core.samplers import series as ts

START = datetime.date(2020, 1, 1)
RATE = np.array([0.010, -0.004, -0.020])  # m/yr east, north, up
SIG = (0.001, 0.002, 0.004)  # m


def write_station(path, site, lon, lat, days=400):
    lines = [HEADER]
    for k in range(days):
        d = START + datetime.timedelta(days=k)
        lines.append(tenv3_line(site, d, RATE * k / 365.25 + np.array([3.0, 5.0, 100.0]), SIG, (0, 0, 0), lat, lon))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def wgs84():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs.ExportToWkt()


def stations(tmp_path):
    folder = tmp_path / "gnss"
    folder.mkdir()
    lon, lat = X0 + 10.5 * PIX, Y0 - 7.5 * PIX  # the centre of pixel (row 7, col 10)
    write_station(folder / "NEAR.tenv3", "NEAR", lon, lat)
    write_station(folder / "FAR_.tenv3", "FAR_", lon + 40 * PIX, lat)
    return sg.read_stations(str(folder)).series, lon, lat


def stack(tmp_path, tags=True, product=""):
    dates = [START + datetime.timedelta(days=30 + 12 * k) for k in range(10)]
    path = write_stack(str(tmp_path / f"stack{product}.tif"), np.zeros((10, 20, 20)), dates, tags=tags)
    if product:
        from osgeo import gdal

        ds = gdal.Open(path, gdal.GA_Update)
        ds.SetMetadata({"LOSDECOMP_PRODUCT": product, "INSAR_UNIT": "mm"})
        for b in range(1, 11):
            ds.GetRasterBand(b).SetMetadataItem("QUANTITY", f"{product} displacement")
        ds = None
    return ts.open_layer(path, "track"), dates


def test_the_nearest_station_within_the_radius_in_metres_on_the_ground(tmp_path):
    found, lon, lat = stations(tmp_path)
    east = sg.EARTH_MEAN_RADIUS_M * np.cos(np.radians(lat)) * np.radians(PIX)  # PIX of longitude, in m
    north = sg.EARTH_MEAN_RADIUS_M * np.radians(PIX)  # PIX of latitude, in m
    station, distance = sg.nearest_station(found, wgs84(), lon + PIX, lat, 5 * east)
    assert station.site == "NEAR" and distance == pytest.approx(east, rel=1e-9)
    _, distance = sg.nearest_station(found, wgs84(), lon, lat + PIX, 5 * east)
    assert distance == pytest.approx(north, rel=1e-6)  # the same degrees, 1.24x the metres at 36 N
    assert sg.nearest_station(found, wgs84(), lon + 20 * PIX, lat, 5 * east) is None
    # a radius in degrees (the map's units) would have found nothing or everything: 5 m finds nothing
    assert sg.nearest_station(found, wgs84(), lon + PIX, lat, 5.0) is None


def test_the_same_radius_finds_the_same_station_in_a_projected_map(tmp_path):
    found, lon, lat = stations(tmp_path)
    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32611)
    geo = osr.SpatialReference()
    geo.ImportFromWkt(wgs84())
    geo.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(geo, utm).TransformPoint(lon + PIX, lat)
    _, in_degrees = sg.nearest_station(found, wgs84(), lon + PIX, lat, 1000.0)
    station, in_utm = sg.nearest_station(found, utm.ExportToWkt(), x, y, 1000.0)
    assert station.site == "NEAR" and in_utm == pytest.approx(in_degrees, rel=1e-6)


def test_the_station_in_the_tracks_line_of_sight_in_mm_zero_at_the_insar_zero(tmp_path):
    found, lon, lat = stations(tmp_path)
    layer, dates = stack(tmp_path)
    curve = sg.gnss_curve(found[0] if found[0].site == "NEAR" else found[1], 0.0, layer, dates[0])
    s = np.array(s_vector())
    days = np.array([(d - START).days for d in curve.dates])
    want = 1000 * (s @ RATE) * (days - (dates[0] - START).days) / 365.25
    np.testing.assert_allclose(curve.values, want, atol=2e-3)  # tenv3 keeps micrometres (1e-3 mm)
    np.testing.assert_allclose(curve.sigma, 1000 * np.sqrt(np.sum((s * SIG) ** 2)), rtol=1e-6)
    assert curve.what == "LOS" and curve.label.startswith("track GNSS NEAR (LOS")


def test_up_and_east_stacks_see_the_up_and_east_components(tmp_path):
    found, _, _ = stations(tmp_path)
    near = [s for s in found if s.site == "NEAR"][0]
    for product, k in (("up", 2), ("horizontal", 0)):
        layer, dates = stack(tmp_path, product=product)
        if product == "horizontal":  # the decomposition's east says so in its bands
            from osgeo import gdal

            ds = gdal.Open(layer.path, gdal.GA_Update)
            for b in range(1, 11):
                ds.GetRasterBand(b).SetMetadataItem("QUANTITY", "east displacement")
            ds = None
        curve = sg.gnss_curve(near, 0.0, layer, dates[3])
        days = np.array([(d - dates[3]).days for d in curve.dates])
        np.testing.assert_allclose(curve.values, 1000 * RATE[k] * days / 365.25, atol=2e-3)


def test_no_curve_without_a_direction_or_around_the_zero_date(tmp_path):
    found, _, _ = stations(tmp_path)
    layer, dates = stack(tmp_path, tags=False)
    assert sg.gnss_curve(found[0], 0.0, layer, dates[0]) is None  # no geometry: no line of sight
    layer, _ = stack(tmp_path)
    assert sg.gnss_curve(found[0], 0.0, layer, START - datetime.timedelta(days=5)) is None
