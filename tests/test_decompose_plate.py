"""losdecomp:decompose with PLATE / EULER_POLE: the plate's LOS velocity removed from every
track (each with its own per-pixel unit vector) before the inversion. Known answers: tracks =
the forward model of (east, up) + the plate's LOS projection give east and up back; the same as
remove_plate_motion on each track then decompose; a known north (in the tracks' frame) loses
the plate's north too."""

import json

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band, run_logged
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.conventions.errors import PlateError
from insar_decomposition.core.conventions.schema import ROLE_ENU, TAG_ROLE
from insar_decomposition.core.io.model import HORIZONTAL, UP
from insar_decomposition.core.plan import decompose
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine, plate_motion
from insar_decomposition.core.solve import plate

H, W = 40, 60
GT = (29.0, 0.02, 0.0, 41.0, 0.0, -0.02)  # NAF area, WGS 84
GEOMETRIES = {"asc": (348.0, 30.0, 45.0), "desc": (192.0, 44.0, 31.0)}  # heading, incidence left -> right
PLATE = "ITRF2014-PMM:Eurasia"


def truth():
    rows, cols = np.mgrid[0:H, 0:W]
    lat, lon = 41.0 - (rows + 0.5) * 0.02, 29.0 + (cols + 0.5) * 0.02
    east = 4.0 * np.tanh((lat - 40.6) / 0.1)  # a shear zone, mm/yr
    up = -6.0 * np.exp(-((lat - 40.5) ** 2 + (lon - 29.6) ** 2) / 0.02)  # a bowl
    pe, pn, pu = (c * 1e3 for c in plate.velocity_enu(plate.plate_pole(PLATE), lat, lon))  # mm/yr
    return east, up, (pe, pn, pu)


def write_track(folder, tag, north=0.0, with_plate=True, unit="mm/year"):
    """A track with its unit vector as role bands: s . (east, north, up) + s . plate (toward)."""
    heading, i0, i1 = GEOMETRIES[tag]
    incidence = np.broadcast_to(i0 + (i1 - i0) * np.arange(W) / (W - 1), (H, W))
    s = geometry.from_heading_incidence(heading, incidence)
    east, up, p = truth()
    value = s[0] * east + s[1] * north + s[2] * up
    if with_plate:
        value = value + s[0] * p[0] + s[1] * p[1] + s[2] * p[2]
    path = str(folder / f"{tag}.tif")
    md = {"INSAR_LOS_SIGN": "toward", **({"INSAR_UNIT": unit} if unit else {})}
    scene.write_raster(path, np.stack([value, *s]).astype(np.float32), 4326, GT, metadata=md, unit=unit)
    ds = gdal.Open(path, gdal.GA_Update)
    for b, role in enumerate(["velocity", *ROLE_ENU], start=1):
        ds.GetRasterBand(b).SetMetadataItem(TAG_ROLE, role)
    ds = None
    return path


def run_decompose(folder, paths, tag, **kw):
    out = {HORIZONTAL: str(folder / f"{tag}_east.tif"), UP: str(folder / f"{tag}_up.tif")}
    req = decompose.Request([TrackInput("ascending", paths[0]), TrackInput("descending", paths[1])], out, **kw)
    the_plan = decompose.plan(req)
    engine.run(the_plan.job)
    return read_band(out[HORIZONTAL]), read_band(out[UP]), the_plan


def test_decompose_with_a_plate_gives_east_and_up_back(tmp_path):
    paths = [write_track(tmp_path, t) for t in GEOMETRIES]
    east, up, p = truth()
    e, u, the_plan = run_decompose(tmp_path, paths, "plate", plate=PLATE)
    assert np.max(np.abs(e - east)) < 1e-3 and np.max(np.abs(u - up)) < 1e-3
    # without the option the plate is in the outputs: its east and a leak of its north
    e0, u0, _ = run_decompose(tmp_path, paths, "bare")
    assert np.median(np.abs(e0 - east)) > 10.0 and np.median(np.abs(u0 - up)) > 1.0
    # removing the plate's east from the east output alone does not give east back: the north leaks
    leak_e, leak_u = np.abs(e0 - p[0] - east), np.abs(u0 - p[2] - up)
    print(f"\nnorth leak of the east-only removal: east {np.median(leak_e):.3f} (max {leak_e.max():.3f}), "
          f"up {np.median(leak_u):.3f} (max {leak_u.max():.3f}) mm/yr; plate north {np.median(p[1]):.2f}, "
          f"plate up {np.max(np.abs(p[2])) * 1e3:.1f} um/yr")
    assert np.median(leak_e) > 0.25 and np.median(leak_u) > 0.25
    log = "\n".join(the_plan.log)
    assert "Eurasia" in log and "up output changes only by the plate's own vertical" in log
    ds = gdal.Open(str(tmp_path / "plate_east.tif"))
    model = json.loads(ds.GetMetadataItem(plate.TAG_PLATE_MODEL))
    assert model["model"].startswith(PLATE)
    assert "relative to the plate" in ds.GetMetadataItem("LOSDECOMP_CONVENTIONS")


def test_decompose_with_a_plate_equals_remove_plate_motion_then_decompose(tmp_path):
    paths = [write_track(tmp_path, t) for t in GEOMETRIES]
    removed = []
    for k, path in enumerate(paths):
        out = {plate_motion.CORRECTED: str(tmp_path / f"removed{k}.tif")}
        req = plate_motion.PlateRequest(TrackInput(f"t{k}", path), out, euler_pole="55.070,-99.095,0.261")
        removed.append(plate_motion.run(plate_motion.plan(req)).outputs[plate_motion.CORRECTED])
    e1, u1, _ = run_decompose(tmp_path, removed, "two_steps")
    e2, u2, _ = run_decompose(tmp_path, paths, "one_step", euler_pole="55.070,-99.095,0.261")
    assert np.max(np.abs(e1 - e2)) < 1e-4 and np.max(np.abs(u1 - u2)) < 1e-4


def test_a_known_north_in_the_tracks_frame_loses_the_plates_north(tmp_path):
    north = 3.0  # mm/yr, known in the tracks' (global) frame
    paths = [write_track(tmp_path, t, north=north - truth()[2][1]) for t in GEOMETRIES]  # full north = 3
    east, up, _ = truth()
    e, u, _ = run_decompose(tmp_path, paths, "north", plate=PLATE, north_velocity=north)
    assert np.max(np.abs(e - east)) < 1e-3 and np.max(np.abs(u - up)) < 1e-3


@pytest.mark.parametrize("kw,words", [({"plate": PLATE, "euler_pole": "1,2,3"}, "not both"),
                                      ({"plate": "Atlantis"}, "one of Antarctica")])  # fmt: skip
def test_bad_plates_are_refused_before_any_output(tmp_path, kw, words):
    paths = [write_track(tmp_path, t) for t in GEOMETRIES]
    with pytest.raises(PlateError, match=words):
        run_decompose(tmp_path, paths, "never", **kw)
    assert not (tmp_path / "never_east.tif").exists()


def test_a_plate_needs_the_tracks_velocity_unit(tmp_path):
    paths = [write_track(tmp_path, t, unit="") for t in GEOMETRIES]
    with pytest.raises(PlateError, match="unit is unknown"):
        run_decompose(tmp_path, paths, "never", plate=PLATE)
    paths = [write_track(tmp_path, t, unit="mm") for t in GEOMETRIES]
    with pytest.raises(PlateError, match="not a velocity"):
        run_decompose(tmp_path, paths, "never", plate=PLATE)


def test_decompose_algorithm_takes_plate(plugin, tmp_path):
    paths = [write_track(tmp_path, t) for t in GEOMETRIES]
    east, up, _ = truth()
    out_e, out_u = str(tmp_path / "e.tif"), str(tmp_path / "u.tif")
    params = {"ASCENDING": paths[0], "DESCENDING": paths[1], "PLATE": PLATE, "OUTPUT_EAST": out_e, "OUTPUT_UP": out_u}
    _, log = run_logged("losdecomp:decompose", params)
    assert "removed from every track before the inversion" in log
    assert np.max(np.abs(read_band(out_e) - east)) < 1e-3 and np.max(np.abs(read_band(out_u) - up)) < 1e-3


def test_plate_with_components_one_and_an_along_track_track(tmp_path):
    """COMPONENTS 1 with a plate: the plate's 3-D velocity projected on each track's unit
    vector (the along-track track's flight direction too) is removed; east, north and up come
    back relative to the plate. A typed LOS_SIGN 'away' does not flip the along-track data."""
    from insar_decomposition.core.io.model import NORTH

    east, up, p = truth()
    rows = np.mgrid[0:H, 0:W][0]
    north = -3.0 + 2.0 * np.tanh((rows - H / 2) / 8.0)  # mm/yr, relative to the plate
    paths = [write_track(tmp_path, tag, north=north) for tag in ("asc", "desc")]
    s = geometry.along_track_unit_vector(348.0)
    value = s[0] * (east + p[0]) + s[1] * (north + p[1])  # positive along the flight, plate included
    along = str(tmp_path / "azimuth.tif")
    scene.write_raster(along, value.astype(np.float32), 4326, GT, metadata={"INSAR_HEADING": "348"}, unit="mm/year")
    tracks = [TrackInput("ascending", paths[0], sigma=2.0), TrackInput("descending", paths[1], sigma=2.0),
              TrackInput("azimuth", along, los_sign=geometry.AWAY, kind=geometry.ALONG_TRACK, sigma=50.0)]  # fmt: skip
    out = {HORIZONTAL: str(tmp_path / "e.tif"), UP: str(tmp_path / "u.tif"), NORTH: str(tmp_path / "n.tif")}
    the_plan = decompose.plan(decompose.Request(tracks, out, plate=PLATE, components=1))
    engine.run(the_plan.job)
    np.testing.assert_allclose(read_band(out[NORTH]), north, atol=2e-3)
    np.testing.assert_allclose(read_band(out[HORIZONTAL]), east, atol=2e-3)
    np.testing.assert_allclose(read_band(out[UP]), up, atol=2e-3)
    assert np.abs(p[1]).max() > 5  # the plate's north is large: left in, north would be far off
