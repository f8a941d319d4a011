"""Plate motion: the Euler-pole velocity against a computation written here, against a
published calculator's values for the model, the tables against an independent transcription,
and the removal from a track's LOS with per-pixel unit vectors and the track's sign."""

import json
import math

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import read_band
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.conventions.errors import PlateError
from insar_decomposition.core.conventions.schema import ROLE_ENU, TAG_ROLE
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import plate_motion
from insar_decomposition.core.solve import plate, plate_tables


def direct_enu(wx_mas, wy_mas, wz_mas, lat, lon):
    """omega x r by np.cross on WGS84 (a, f) and the ENU rotation matrix, written out here."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi, lam = math.radians(lat), math.radians(lon)
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    r = np.array([n * math.cos(phi) * math.cos(lam), n * math.cos(phi) * math.sin(lam), n * (1 - e2) * math.sin(phi)])
    omega = np.radians(np.array([wx_mas, wy_mas, wz_mas]) / 3.6e6)
    v = np.cross(omega, r)
    rot = np.array([
        [-math.sin(lam), math.cos(lam), 0.0],
        [-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi)],
        [math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)],
    ])  # fmt: skip
    return rot @ v


@pytest.mark.parametrize("name,lat,lon", [("Eurasia", 40.5, 30.0), ("Pacific", 19.7, -155.1), ("Nubia", -10, 20)])
def test_velocity_equals_a_direct_computation_from_the_pole(name, lat, lon):
    _, wx, wy, wz, *_ = plate_tables.ITRF2014_PMM[name]
    got = np.array(plate.velocity_enu(plate.plate_pole(f"ITRF2014-PMM:{name}"), lat, lon))
    assert got == pytest.approx(direct_enu(wx, wy, wz, lat, lon), abs=1e-9)  # metres per year


#: ITRF2014-PMM velocities from the UNAVCO Plate Motion Calculator (height 0, NNR), as MintPy's
#: tests/objects/euler_pole.py lists them (accessed 29 Oct 2022): lat, lon, v_north, v_east mm/yr.
UNAVCO_ITRF2014 = {"AUST": (-24, 132, 59.12, 32.69), "EURA": (27, 62, 5.40, 28.34), "ARAB": (18, 48, 29.32, 36.11)}


@pytest.mark.parametrize("abbrev", sorted(UNAVCO_ITRF2014))
def test_velocity_equals_the_published_calculator_within_the_model_precision(abbrev):
    lat, lon, vn, ve = UNAVCO_ITRF2014[abbrev]
    east, north, _ = plate.velocity_enu(plate.plate_pole(abbrev), lat, lon)  # no prefix: ITRF2014-PMM
    # the model's precision is its WRMS, 0.2-0.4 mm/yr; the calculator agrees far better
    assert east * 1e3 == pytest.approx(ve, abs=0.05) and north * 1e3 == pytest.approx(vn, abs=0.05)


#: ITRF2020-PMM poles in deg/Myr as the ITRF product file ITRF2020-PMM.dat gives them (transcribed
#: independently of the mas/yr table shipped): x 3.6 = mas/yr to the table's rounding.
ITRF2020_DAT_DEG_PER_MYR = {
    "AMUR": (-0.0364, -0.1532, 0.2325), "ANTA": (-0.0746, -0.0866, 0.1882), "ARAB": (0.3135, -0.0406, 0.3994),
    "AUST": (0.4132, 0.3265, 0.3398), "CARB": (0.0576, -0.3949, 0.2017), "EURA": (-0.0237, -0.1442, 0.2091),
    "INDI": (0.3159, 0.0037, 0.4010), "NAZC": (-0.0907, -0.4336, 0.4459), "NOAM": (0.0126, -0.1849, -0.0272),
    "NUBI": (0.0250, -0.1625, 0.1991), "PCFC": (-0.1122, 0.2836, -0.5984), "SOAM": (-0.0725, -0.0784, -0.0437),
    "SOMA": (-0.0225, -0.1997, 0.2401),
}  # fmt: skip


def test_the_itrf2020_table_agrees_with_the_product_file():
    table = {row[0]: row[1:4] for row in plate_tables.ITRF2020_PMM.values()}
    assert set(table) == set(ITRF2020_DAT_DEG_PER_MYR)
    for abbrev, deg in ITRF2020_DAT_DEG_PER_MYR.items():
        assert np.array(table[abbrev]) == pytest.approx(np.array(deg) * 3.6, abs=0.0012), abbrev


def test_itrf2020_adds_its_origin_rate_bias_to_the_horizontal_only():
    pole = plate.plate_pole("ITRF2020-PMM:eura")
    bare = plate.Pole(pole.wx, pole.wy, pole.wz)
    lat, lon = 40.0, 30.0
    with_orb, without = plate.velocity_enu(pole, lat, lon), plate.velocity_enu(bare, lat, lon)
    # the ORB (0.37, 0.35, 0.74) mm/yr along X, Y, Z, rotated to east at (lat, lon)
    orb_east = -math.sin(math.radians(lon)) * 0.37 + math.cos(math.radians(lon)) * 0.35
    assert (with_orb[0] - without[0]) * 1e3 == pytest.approx(orb_east, abs=1e-9)
    assert with_orb[2] == without[2]
    assert "origin rate bias" in pole.description


def test_euler_pole_forms_agree():
    eura = plate.plate_pole("ITRF2014-PMM:Eurasia")
    lat, lon, rate = eura.geographic
    assert (lat, lon, rate) == pytest.approx((55.070, -99.095, 0.261), abs=2e-3)  # Altamimi et al. (2017) Table 1
    spherical = plate.parse_pole(f"{lat},{lon},{rate}")
    cartesian = plate.parse_pole("-0.085, -0.531, 0.770 mas/yr")
    for p in (spherical, cartesian):
        assert (p.wx, p.wy, p.wz) == pytest.approx((eura.wx, eura.wy, eura.wz), abs=1e-9)


@pytest.mark.parametrize("text,words", [
    ("ITRF2014-PMM:Atlantis", "one of Antarctica, Arabia"), ("Anatolia", "not in ITRF2014-PMM"),
    ("NUVEL:Eurasia", "one of ITRF2014-PMM, ITRF2020-PMM"),
])  # fmt: skip
def test_an_unknown_plate_is_refused_with_the_valid_names(text, words):
    with pytest.raises(PlateError, match=words):
        plate.plate_pole(text)


@pytest.mark.parametrize("text", ["55,-99", "a,b,c", "55,-99,0.26 deg/Myr", "95,10,0.3", "1,2,3 mas"])
def test_a_malformed_pole_is_refused_with_both_forms(text):
    with pytest.raises(PlateError, match="lat,lon,rate"):
        plate.parse_pole(text)


def _track(folder, sign="toward"):
    """A small geographic track (NAF area) with a per-pixel unit vector varying across the swath."""
    h, w = 40, 60
    gt = (29.0, 0.02, 0.0, 41.0, 0.0, -0.02)
    rows, cols = np.mgrid[0:h, 0:w]
    incidence = 30.0 + 15.0 * np.arange(w) / w
    s = geometry.from_heading_incidence(348.0, incidence)
    value = np.full((h, w), 2.0, dtype=np.float32)
    value[5, 7] = np.nan
    bands = np.stack([value, *[np.broadcast_to(c, (h, w)) for c in s]]).astype(np.float32)
    path = str(folder / "track.tif")
    scene.write_raster(path, bands, 4326, gt, metadata={"INSAR_UNIT": "mm/year", "INSAR_LOS_SIGN": sign})
    ds = gdal.Open(path, gdal.GA_Update)
    for b, role in enumerate(["velocity", *ROLE_ENU], start=1):
        ds.GetRasterBand(b).SetMetadataItem(TAG_ROLE, role)
    ds = None
    lat, lon = 41.0 - (rows + 0.5) * 0.02, 29.0 + (cols + 0.5) * 0.02
    return path, s, lat, lon, value


@pytest.mark.parametrize("sign", ["toward", "away"])
def test_removal_projects_the_plate_with_each_pixels_unit_vector(tmp_path, sign):
    path, s, lat, lon, value = _track(tmp_path, sign)
    outputs = {plate_motion.CORRECTED: str(tmp_path / "out.tif"), plate_motion.PLATE_LOS: str(tmp_path / "pl.tif")}
    req = plate_motion.PlateRequest(TrackInput("asc", path, los_sign=sign), outputs, plate="Eurasia")
    summary = plate_motion.run(plate_motion.plan(req))
    removed = read_band(summary.outputs[plate_motion.PLATE_LOS])
    _, wx, wy, wz, *_ = plate_tables.ITRF2014_PMM["Eurasia"]
    for r, c in ((0, 0), (20, 30), (39, 59)):
        v = direct_enu(wx, wy, wz, lat[r, c], lon[r, c]) * 1e3
        toward = s[0][c] * v[0] + s[1][c] * v[1] + s[2][c] * v[2]
        assert removed[r, c] == pytest.approx(toward if sign == "toward" else -toward, abs=1e-4)
    out = read_band(summary.outputs[plate_motion.CORRECTED])
    assert np.nanmax(np.abs(out + removed - value)) < 1e-4  # OUTPUT_PLATE_LOS = input - output
    assert np.isnan(out[5, 7]) and np.isnan(removed[5, 7])
    # across the swath the incidence changes: the removed field is a ramp of a few mm/yr, not a constant
    assert np.nanmax(removed) - np.nanmin(removed) > 1.0
    ds = gdal.Open(summary.outputs[plate_motion.CORRECTED])
    model = json.loads(ds.GetMetadataItem(plate_motion.TAG_PLATE_MODEL))
    assert model["model"].startswith("ITRF2014-PMM:Eurasia") and "boundaries not checked" in model["velocity"]
    assert [ds.GetRasterBand(b).GetMetadataItem(TAG_ROLE) for b in (2, 3, 4)] == list(ROLE_ENU)


def test_plate_and_pole_together_or_neither_are_refused(tmp_path):
    path = _track(tmp_path)[0]
    out = {plate_motion.CORRECTED: str(tmp_path / "o.tif")}
    for kw, words in (({"plate": "Eurasia", "euler_pole": "1,2,3"}, "not both"), ({}, "give a PLATE")):
        with pytest.raises(PlateError, match=words):
            plate_motion.plan(plate_motion.PlateRequest(TrackInput("asc", path), out, **kw))
    assert not (tmp_path / "o.tif").exists()


@pytest.mark.parametrize("text", ["Antartica", "ITRF2014-PMM:Antartica", "ITRF2020-PMM:antartica"])
def test_mintpy_spelling_of_antarctica_is_accepted(text):
    model = text.rpartition(":")[0] or "ITRF2014-PMM"
    expected = plate.plate_pole(f"{model}:Antarctica")
    assert (plate.plate_pole(text).wx, plate.plate_pole(text).wz) == (expected.wx, expected.wz)


@pytest.mark.parametrize("text", ["-0.085, -0.531, 0.770", "1.510,1.182,1.215", "0,0,0.3"])
def test_cartesian_rates_without_their_suffix_are_refused_with_a_hint(text):
    with pytest.raises(PlateError, match="add ' mas/yr'"):
        plate.parse_pole(text)


def test_out_of_range_pole_says_how_three_numbers_are_read():
    with pytest.raises(PlateError, match="without the 'mas/yr' suffix are read as lat,lon,rate"):
        plate.parse_pole("95,10,0.3")
