"""HyP3 look-vector products, differing reference points, and re-referencing to a common
point or area."""

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

import synthetic_scene as scene
from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry as g

GT = (400000.0, 100.0, 0.0, 4000000.0, 0.0, -100.0)
SHAPE = (40, 50)


def run(params):
    return run_logged("losdecomp:decompose", params)


def truth_fields():
    y, x = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    east = 0.02 * np.sin(x / 7.0)  # metres
    up = -0.03 * np.exp(-((x - 25) ** 2 + (y - 20) ** 2) / 80.0)
    return east, up


def hyp3_product(folder, stem, heading, inc_near, inc_far, east, up):
    """HyP3-like files: los_disp (m, toward the sensor), lv_theta / lv_phi (radians) with
    incidence varying across the swath."""
    inc = np.linspace(inc_near, inc_far, SHAPE[1])[None, :] * np.ones(SHAPE)
    s = g.from_heading_incidence(heading, inc)
    theta = np.arcsin(s[2])  # elevation of the look vector
    phi = np.arctan2(s[1], s[0])  # from east, anticlockwise
    disp = g.forward(s, east, 0.0, up)
    paths = {}
    for name, arr, unit in (("los_disp", disp, "m"), ("lv_theta", theta, ""), ("lv_phi", phi, "")):
        paths[name] = scene.write_raster(
            str(folder / f"{stem}_{name}.tif"), arr.astype(np.float32), 32611, GT, unit=unit
        )
    return paths


def test_hyp3_products_use_per_pixel_look_vectors(plugin, tmp_path):
    east, up = truth_fields()
    asc = hyp3_product(
        tmp_path, "S1AA_20200101T010101_20200113T010101_VVP012_INT80_G_ueF_A1B2", 348.0, 30, 46, east, up
    )
    desc = hyp3_product(
        tmp_path, "S1AA_20200102T131313_20200114T131313_VVP012_INT80_G_ueF_C3D4", 192.0, 31, 45, east, up
    )
    out, log = run(
        {
            "ASCENDING": asc["los_disp"],
            "DESCENDING": desc["los_disp"],
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        }
    )
    assert log.count("geometry per pixel, per-pixel look vector from") == 2
    assert "(HyP3)" in log
    np.testing.assert_allclose(read_band(out["OUTPUT_EAST"]), east, atol=1e-6)
    np.testing.assert_allclose(read_band(out["OUTPUT_UP"]), up, atol=1e-6)
    assert gdal.Open(out["OUTPUT_UP"]).GetRasterBand(1).GetUnitType() == "m"


def offset_tracks(folder, east, up, offsets, ref_tags=None):
    paths = []
    for (h, t), off, name in zip(((348.0, 34.0), (192.0, 39.0)), offsets, ("asc", "desc")):
        los = g.forward(g.from_heading_incidence(h, t), east, 0.0, up) + off
        tags = {"INSAR_HEADING": str(h), "INSAR_INCIDENCE": str(t)}
        if ref_tags:
            tags.update(ref_tags[name])
        paths.append(scene.write_raster(str(folder / f"{name}.tif"), los.astype(np.float32), 32611, GT, metadata=tags))
    return paths


def centre(col, row):
    return GT[0] + (col + 0.5) * GT[1], GT[3] + (row + 0.5) * GT[5]


@pytest.mark.parametrize("how", ["point", "point with radius", "polygon"])
def test_common_reference_removes_each_track_offset(plugin, tmp_path, how):
    east, up = truth_fields()
    east, up = east * 1000 - east[5, 5] * 1000, up * 1000 - up[5, 5] * 1000  # mm/year, zero at (5, 5)
    east[3:8, 3:8], up[3:8, 3:8] = 0.0, 0.0
    a, d = offset_tracks(tmp_path, east, up, (3.0, -2.0))
    params = {
        "ASCENDING": a,
        "DESCENDING": d,
        "OUTPUT_EAST": str(tmp_path / "e.tif"),
        "OUTPUT_UP": str(tmp_path / "u.tif"),
    }
    biased, _ = run(dict(params, OUTPUT_EAST=str(tmp_path / "e0.tif"), OUTPUT_UP=str(tmp_path / "u0.tif")))
    assert abs(np.nanmean(read_band(biased["OUTPUT_UP"]) - up)) > 0.1
    x, y = centre(5, 5)
    if how == "point":
        params["REFERENCE_POINT"] = f"{x},{y} [EPSG:32611]"
    elif how == "point with radius":
        params["REFERENCE_POINT"] = f"{x},{y} [EPSG:32611]"
        params["REFERENCE_RADIUS"] = 180.0
    else:
        layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "ref", "memory")
        # the 5 x 5 zero patch, given in another CRS than the grid's
        from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

        tr = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem("EPSG:32611"), QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance()
        )
        x0, y0 = centre(3, 3)
        x1, y1 = centre(7, 7)
        geom = QgsGeometry.fromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")
        geom.transform(tr)
        feature = QgsFeature()
        feature.setGeometry(geom)
        layer.dataProvider().addFeature(feature)
        params["REFERENCE_AREA"] = layer
    out, log = run(params)
    np.testing.assert_allclose(read_band(out["OUTPUT_UP"]), up, atol=1e-3)
    np.testing.assert_allclose(read_band(out["OUTPUT_EAST"]), east, atol=1e-3)
    assert "reference: ascending track shifted by -3" in log
    assert "reference: descending track shifted by 2" in log


def test_differing_reference_points_are_warned(plugin, tmp_path):
    east, up = truth_fields()
    x0, y0 = centre(5, 5)
    x1, y1 = centre(30, 20)
    tags = {
        "asc": {"INSAR_REF_X": str(x0), "INSAR_REF_Y": str(y0)},
        "desc": {"INSAR_REF_X": str(x1), "INSAR_REF_Y": str(y1)},
    }
    a, d = offset_tracks(tmp_path, east, up, (0.0, 0.0), tags)
    _, log = run({"ASCENDING": a, "DESCENDING": d, "OUTPUT_EAST": "TEMPORARY_OUTPUT", "OUTPUT_UP": "TEMPORARY_OUTPUT"})
    assert "WARNING: the tracks are referenced to different points" in log
    assert "ERROR:" not in log
    tags["desc"] = tags["asc"]
    a, d = offset_tracks(tmp_path, east, up, (0.0, 0.0), tags)
    _, log = run({"ASCENDING": a, "DESCENDING": d, "OUTPUT_EAST": "TEMPORARY_OUTPUT", "OUTPUT_UP": "TEMPORARY_OUTPUT"})
    assert "referenced to different points" not in log


def test_reference_outside_the_grid_is_refused(plugin, tmp_path):
    from qgis.core import QgsProcessingException

    east, up = truth_fields()
    a, d = offset_tracks(tmp_path, east, up, (0.0, 0.0))
    with pytest.raises(QgsProcessingException, match="outside the common grid"):
        run(
            {
                "ASCENDING": a,
                "DESCENDING": d,
                "REFERENCE_POINT": "900000,4000000 [EPSG:32611]",
                "OUTPUT_EAST": str(tmp_path / "e.tif"),
                "OUTPUT_UP": str(tmp_path / "u.tif"),
            }
        )
