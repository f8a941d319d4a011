"""Three or more tracks whose footprints differ: every pattern of valid tracks, geometry
nodata outside each footprint, against an independent per-pixel solve."""

import itertools
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.solve.inversion import TrackBlock, invert

GEOMS = [(348.0, 34.0), (192.0, 39.0), (350.0, 44.0), (190.0, 31.0), (12.0, 30.0, g.LEFT)]


def independent_solve(los, s, sigma=None, max_condition=10.0):
    """Per pixel, with numpy's least squares on the tracks valid there: (east, up)."""
    n, shape = len(los), los[0].shape
    east, up = np.full(shape, np.nan), np.full(shape, np.nan)
    for idx in np.ndindex(shape):
        rows = [
            k
            for k in range(n)
            if np.isfinite(los[k][idx] + s[k][0][idx] + s[k][2][idx]) and (sigma is None or sigma[k][idx] > 0)
        ]
        a = np.array([s[k][0][idx] for k in rows])
        if not (np.any(a > 1e-6) and np.any(a < -1e-6)):
            continue
        G = np.array([[s[k][0][idx], s[k][2][idx]] for k in rows])
        if np.linalg.cond(G) > max_condition:
            continue
        w = np.ones(len(rows)) if sigma is None else np.array([1 / sigma[k][idx] for k in rows])
        m = np.linalg.lstsq(G * w[:, None], np.array([los[k][idx] for k in rows]) * w, rcond=None)[0]
        east[idx], up[idx] = m
    return east, up


def pattern_scene(n_tracks, reps=3, seed=0, per_pixel=True):
    """Pixels covering every subset of valid tracks ``reps`` times; outside a track's
    footprint both its LOS and its geometry are NaN."""
    rng = np.random.default_rng(seed)
    patterns = list(itertools.product([False, True], repeat=n_tracks))
    shape = (len(patterns), reps)
    valid = np.array([[p] * reps for p in patterns]).transpose(2, 0, 1)  # track, row, col
    east, up = rng.normal(0, 20, shape), rng.normal(0, 20, shape)
    los, vectors = [], []
    for k, (h, t, *side) in enumerate(GEOMS[:n_tracks]):
        jitter = rng.uniform(-2, 2, shape) if per_pixel else 0.0
        s = g.from_heading_incidence(h + jitter, t + jitter, side[0] if side else g.RIGHT)
        s = tuple(np.where(valid[k], np.broadcast_to(c, shape), np.nan).astype(np.float32) for c in s)
        los.append(np.where(valid[k], g.forward(s, east, 0.0, up), np.nan).astype(np.float32))
        vectors.append(s)
    return los, vectors, east, up, valid


@pytest.mark.parametrize("n_tracks", [3, 4, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_pattern_of_valid_tracks_matches_the_independent_solve(n_tracks, weighted):
    los, vectors, east, up, valid = pattern_scene(n_tracks)
    sigma = [np.full(los[0].shape, 1.0 + k, np.float32) for k in range(n_tracks)] if weighted else None
    blocks = [
        TrackBlock(d, *s, sigma=None if sigma is None else sigma[k]) for k, (d, s) in enumerate(zip(los, vectors))
    ]
    sol = invert(blocks)
    ref_e, ref_u = independent_solve(los, vectors, sigma)
    assert np.array_equal(np.isfinite(sol.up), np.isfinite(ref_u))  # the same pixels resolved
    # resolved exactly where an east-looking and a west-looking track are both valid
    looks_east = np.array([g.from_heading_incidence(h, t, *side)[0] > 0 for h, t, *side in GEOMS[:n_tracks]])
    both_ways = np.any(valid & looks_east[:, None, None], axis=0) & np.any(valid & ~looks_east[:, None, None], axis=0)
    assert np.array_equal(np.isfinite(ref_u), both_ways) and both_ways.sum() >= los[0].size // 4
    np.testing.assert_allclose(sol.horizontal, ref_e, atol=5e-4, equal_nan=True)
    np.testing.assert_allclose(sol.up, ref_u, atol=5e-4, equal_nan=True)
    np.testing.assert_allclose(sol.up, np.where(np.isfinite(ref_u), up, np.nan), atol=5e-4, equal_nan=True)
    # the quality band: tracks used is the number valid, cond is known wherever two are valid
    assert np.array_equal(sol.n_tracks, valid.sum(axis=0))
    assert np.all(np.isfinite(sol.condition[valid.sum(axis=0) >= 2]))


@settings(max_examples=40, deadline=None)
@given(
    n_tracks=st.integers(3, 5),
    seed=st.integers(0, 10_000),
    holes=st.floats(0.0, 0.7),
)
def test_property_random_footprints_match_the_independent_solve(n_tracks, seed, holes):
    rng = np.random.default_rng(seed)
    shape = (12, 9)
    east, up = rng.normal(0, 20, shape), rng.normal(0, 20, shape)
    los, vectors = [], []
    for h, t, *side in GEOMS[:n_tracks]:
        inside = rng.random(shape) >= holes
        r0, c0 = rng.integers(0, 6), rng.integers(0, 5)  # a footprint that covers part of the grid
        inside[:r0] = False
        inside[:, :c0] = False
        s = g.from_heading_incidence(h + rng.uniform(-3, 3, shape), t, side[0] if side else g.RIGHT)
        s = tuple(np.where(inside, c, np.nan).astype(np.float32) for c in s)
        los.append(np.where(inside, g.forward(s, east, 0.0, up), np.nan).astype(np.float32))
        vectors.append(s)
    sol = invert([TrackBlock(d, *s) for d, s in zip(los, vectors)])
    ref_e, ref_u = independent_solve(los, vectors)
    assert np.array_equal(np.isfinite(sol.up), np.isfinite(ref_u))
    np.testing.assert_allclose(sol.up, ref_u, atol=5e-4, equal_nan=True)
    np.testing.assert_allclose(sol.horizontal, ref_e, atol=5e-4, equal_nan=True)


PIECES = {  # frame piece -> (source frame, srcWin col, row, width, height) of the 354 x 268 frames
    "014A_04939_west": ("014A_04939_131313", 0, 0, 220, 268),
    "094D_04913_north": ("094D_04913_101213", 0, 0, 354, 170),
    "014A_04939_east": ("014A_04939_131313", 130, 0, 224, 268),
    "094D_04913_south": ("094D_04913_101213", 0, 100, 354, 168),
}


def cut_frames(shared_data, folder):
    """Four LiCSBAS-style frames cut from the two NAF frames, overlapping only partly; the
    geometry of each ends with its footprint."""
    from osgeo import gdal

    paths = {}
    for piece, (frame, *win) in PIECES.items():
        (folder / piece).mkdir()
        for name in ("vel", "vstd", "E", "N", "U"):
            src = str(shared_data / "naf_licsbas" / frame / f"{name}.geo.tif")
            gdal.Translate(str(folder / piece / f"{name}.geo.tif"), src, srcWin=win)
        paths[piece] = str(folder / piece / "vel.geo.tif")
    return paths


def test_four_partly_overlapping_naf_frames_match_the_independent_solve(plugin, shared_data, tmp_path):
    from conftest import read_band, run_logged
    from insar_decomposition.core.io.grid import Grid, raster_info
    from insar_decomposition.core.io.model import RasterRef
    from insar_decomposition.core.io.reader import GridReader

    paths = cut_frames(shared_data, tmp_path)
    names = list(PIECES)
    res, log = run_logged(
        "losdecomp:decompose",
        {
            "ASCENDING": paths[names[0]],
            "DESCENDING": paths[names[1]],
            "EXTRA_TRACKS": [paths[names[2]], paths[names[3]]],
            "EXTENT": "33.55,37.09,39.28,41.97 [EPSG:4326]",  # the union of the frames
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
            "OUTPUT_QUALITY": str(tmp_path / "q.tif"),
        },
    )
    assert "extra track 2 (094D_04913_south)" in log
    info = raster_info(res["OUTPUT_UP"])
    grid = Grid(info.crs_wkt, info.geotransform, info.width, info.height)
    los, vectors, sigma = [], [], []
    for piece in names:
        folder = os.path.dirname(paths[piece])

        def on_grid(name, folder=folder):
            reader = GridReader(RasterRef(os.path.join(folder, f"{name}.geo.tif")), grid)
            try:
                return reader.read(0, 0, grid.width, grid.height).astype(np.float64)
            finally:
                reader.close()

        e, n, u = on_grid("E"), on_grid("N"), on_grid("U")
        norm = np.sqrt(e * e + n * n + u * u)
        vectors.append((e / norm, n / norm, u / norm))
        los.append(on_grid("vel"))
        sigma.append(on_grid("vstd"))
    ref_e, ref_u = independent_solve(los, vectors, sigma)
    up, east = read_band(res["OUTPUT_UP"]), read_band(res["OUTPUT_EAST"])
    assert np.array_equal(np.isfinite(up), np.isfinite(ref_u))
    # pixels seen by 2, 3 and 4 tracks are all there: the footprints really differ
    n_tracks = read_band(res["OUTPUT_QUALITY"], 2)[np.isfinite(up)]
    assert {2, 3, 4} <= set(np.unique(n_tracks).astype(int))
    assert np.isfinite(read_band(res["OUTPUT_QUALITY"], 1)[np.isfinite(up)]).all()
    np.testing.assert_allclose(up, ref_u, atol=1e-3, equal_nan=True)
    np.testing.assert_allclose(east, ref_e, atol=1e-3, equal_nan=True)
