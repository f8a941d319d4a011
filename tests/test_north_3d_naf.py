"""The up-north component on the North Anatolian Fault frames against the GNSS north grid
(issue 34), and the exact direction d beside Ou et al.'s per-track approximation. The
tests print the figures quoted in docs/north_3d.md (run with -s to see them)."""

import numpy as np
import pytest
from osgeo import gdal

from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.io.model import HORIZONTAL, UN_TILT, UP, UP_NORTH
from insar_decomposition.core.plan.decompose import Request, plan
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine
from insar_decomposition.core.solve import components as comp
from insar_decomposition.core.solve.inversion import TrackBlock

ASC, DESC = "014A_04939_131313", "094D_04913_101213"


def read(path, band=1):
    ds = gdal.Open(path)
    return ds.GetRasterBand(band).ReadAsArray().astype(float)


def naf_tracks(base):
    return [TrackInput("ascending", str(base / ASC / "vel.geo.tif")),
            TrackInput("descending", str(base / DESC / "vel.geo.tif"))]  # fmt: skip


def test_naf_north_leak_into_up(shared_data, tmp_path):
    base = shared_data / "naf_licsbas"
    north = str(base / "GNSS" / "interp_N.grd")
    zero = {HORIZONTAL: str(tmp_path / "e0.tif"), UP: str(tmp_path / "u0.tif")}
    engine.run(plan(Request(naf_tracks(base), zero)).job)  # COMPONENTS 0, north assumed zero
    un = {HORIZONTAL: str(tmp_path / "e2.tif"), UP: str(tmp_path / "un.tif"), UN_TILT: str(tmp_path / "tilt.tif")}
    engine.run(plan(Request(naf_tracks(base), un, components=2)).job)
    split = {HORIZONTAL: str(tmp_path / "e3.tif"), UP: str(tmp_path / "u3.tif"), UP_NORTH: str(tmp_path / "un3.tif")}
    engine.run(plan(Request(naf_tracks(base), split, components=2, north_velocity=north)).job)
    up0, v_un, tilt = read(zero[UP]), read(un[UP]), read(un[UN_TILT])
    up_known, v_un3 = read(split[UP]), read(split[UP_NORTH])
    ok = np.isfinite(up0) & np.isfinite(up_known)
    assert ok.sum() > 10000
    np.testing.assert_allclose(v_un3[ok], v_un[ok], atol=1e-4)  # v_UN does not depend on the north
    leak = (up0 - up_known)[ok]  # what the GNSS north puts into up when it is assumed zero
    # the leak is tan(tilt) x north: up0 = v_UN / dU, up = (v_UN - dN vN) / dU
    md = gdal.Open(un[UP]).GetMetadata()
    print(f"\nNAF: {ok.sum()} pixels; tilt of d median {md['LOSDECOMP_UN_TILT_DEG']} deg, range "
          f"{md['LOSDECOMP_UN_TILT_RANGE_DEG']} deg; east leak per unit north {md['LOSDECOMP_UN_EAST_LEAK']}")
    print(f"NAF: north leaking into up when north is assumed zero: median |leak| {np.median(np.abs(leak)):.3f} "
          f"mm/yr, 95th percentile {np.percentile(np.abs(leak), 95):.3f}, max {np.abs(leak).max():.3f} mm/yr, "
          f"mean {leak.mean():+.3f} mm/yr; v_UN - up0 median {np.median((v_un - up0)[ok]):+.4f} mm/yr")  # fmt: skip
    assert 0.01 < np.median(np.abs(leak)) < 2.0  # a few mm/yr north x tan(a few degrees)
    assert np.all(np.abs(tilt[ok]) < 15)
    assert float(md["LOSDECOMP_UN_TILT_DEG"]) < 0  # right-looking asc/desc see a southward-tilted d


def ou_split(s1, s2, v, north_known):
    """Ou et al.'s per-track approximation: LOS_i = sE_i vE + c_i vUN with c = sqrt(sN^2 + sU^2),
    then vU = (vUN c - sN vN) / sU with the two tracks' mean c, sN, sU."""
    los = [float(np.dot(s, v)) for s in (s1, s2)]
    c = [np.hypot(s[1], s[2]) for s in (s1, s2)]
    ve, vun = np.linalg.solve(np.array([[s1[0], c[0]], [s2[0], c[1]]]), los)
    c_m, n_m, u_m = np.mean(c), np.mean([s1[1], s2[1]]), np.mean([s1[2], s2[2]])
    return ve, vun, (vun * c_m - n_m * north_known) / u_m


def exact_split(s1, s2, v, north_known):
    blocks = [TrackBlock(np.array([float(np.dot(s, v))]), *s) for s in (s1, s2)]
    sol = comp.solve(blocks, comp.EAST_UP_NORTH, north_velocity=north_known)
    return float(sol.horizontal[0]), float(sol.up_north[0]), float(sol.up[0]), float(sol.tilt[0])


@pytest.mark.parametrize("geoms", [((348.0, 39.0), (192.0, 39.0)), ((348.0, 34.0), (192.0, 39.0)),
                                   ((350.0, 30.0), (190.0, 45.0)), ((350.0, 45.0), (190.0, 30.0))])  # fmt: skip
def test_exact_direction_against_ou_per_track_approximation(geoms):
    s1, s2 = (np.array(g.from_heading_incidence(*x)) for x in geoms)
    lines = []
    for name, v in (("up 10", (0.0, 0.0, 10.0)), ("north 10", (0.0, 10.0, 0.0)), ("east 10", (10.0, 0.0, 0.0))):
        v = np.array(v)
        _, _, up_exact, tilt = exact_split(s1, s2, v, v[1])
        _, _, up_ou = ou_split(s1, s2, v, v[1])
        assert up_exact == pytest.approx(v[2], abs=1e-9)  # exact whatever the motion, north known
        lines.append(f"{name} mm/yr: Ou up error {up_ou - v[2]:+.4f}")
    tilts = [np.degrees(np.arctan2(s[1], s[2])) for s in (s1, s2)]
    print(f"\n{geoms}: exact d tilt {tilt:+.3f} deg; Ou per-track tilts {tilts[0]:+.3f}, {tilts[1]:+.3f} deg; "
          + "; ".join(lines))  # fmt: skip
