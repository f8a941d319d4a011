"""One guard for every inversion: each solve path, given tracks whose look directions do
not resolve east and up (parallel look vectors), gives nodata or a refusal, and says so in
the same words (``resolvable.UNRESOLVED``); COMPONENTS 1 and 2 (issue 34) likewise with
their own words (``UNRESOLVED_3D``, ``UNRESOLVED_UN``) on every path, and a NaN sigma or
too few valid tracks leave a pixel nodata on every solver, never a lesser answer."""

import numpy as np
import pytest
from test_trust_points import X0, Y0, laea, square
from test_trust_timeseries import ASC_DATES, DESC_DATES, enu_frame, stack_of
from test_velocity_algorithm import GT, SHAPE, write_stack

import synthetic_scene as scene
from insar_decomposition.core.conventions import geometry
from insar_decomposition.core.io import points
from insar_decomposition.core.io.model import HORIZONTAL, UP
from insar_decomposition.core.plan.decompose import Request, plan
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import engine, polygons
from insar_decomposition.core.runs import timeseries_decomp_run as tsr
from insar_decomposition.core.solve import components, inversion, resolvable
from insar_decomposition.core.solve import timeseries_decomp as tsd

ASC = geometry.from_heading_incidence(348.0, 34.0)
ASC2 = geometry.from_heading_incidence(350.0, 44.0)  # another ascending track: looks the same way
TAGS = {"INSAR_HEADING": "348", "INSAR_INCIDENCE": "34"}
TAGS2 = {"INSAR_HEADING": "350", "INSAR_INCIDENCE": "44"}
ASC3 = geometry.from_heading_incidence(346.0, 39.0)  # a third ascending track
TAGS3 = {"INSAR_HEADING": "346", "INSAR_INCIDENCE": "39"}


def velocity_raster(path, s, tags=None):
    los = geometry.forward(s, 3.0, 0.0, -5.0) * np.ones(SHAPE)
    scene.write_raster(str(path), los.astype(np.float32), 32611, GT, float("nan"), tags, "mm/year")
    return str(path)


def single_epoch(tmp, per_pixel):
    a = TrackInput("ascending", velocity_raster(tmp / "a.tif", ASC, TAGS))
    if per_pixel:
        frame = enu_frame(tmp / "014A_00001_000000", ASC2)
        b = TrackInput("second ascending", velocity_raster(frame / "vel.geo.tif", ASC2))
    else:
        b = TrackInput("second ascending", velocity_raster(tmp / "b.tif", ASC2, TAGS2))
    out = {HORIZONTAL: str(tmp / "e.tif"), UP: str(tmp / "u.tif")}
    engine.run(plan(Request([a, b], out)).job)


def time_series(tmp, per_pixel, method, components=0):
    a = write_stack(tmp / "a.tif", stack_of(ASC, ASC_DATES, 3, 0, -5), ASC_DATES, TAGS)
    second = ASC if components == 2 else ASC2  # COMPONENTS 2: the same look vector (two incidences resolve v_UN)
    tags = TAGS if components == 2 else TAGS2
    if per_pixel:
        frame = enu_frame(tmp / "014A_00002_000000", second)
        b = write_stack(frame / "cum.tif", stack_of(second, DESC_DATES, 3, 0, -5), DESC_DATES)
    else:
        b = write_stack(tmp / "b.tif", stack_of(second, DESC_DATES, 3, 0, -5), DESC_DATES, tags)
    tracks = [TrackInput("ascending", a, time_series=True), TrackInput("second ascending", b, time_series=True)]
    if components == 1:
        c = write_stack(tmp / "c.tif", stack_of(ASC3, ASC_DATES, 3, 0, -5), ASC_DATES, TAGS3)
        tracks.append(TrackInput("third ascending", c, time_series=True))
    req = tsr.TimeSeriesRequest(Request(tracks=tracks, outputs={UP: str(tmp / "u.tif")}, components=components),
                                method=method)  # fmt: skip
    tsr.run(tsr.plan(req))


def components_epoch(tmp, per_pixel, components):
    """COMPONENTS 1: three ascending LOS tracks (their look vectors nearly in one plane);
    COMPONENTS 2: two tracks with the same look vector."""
    second = ASC2 if components == 1 else ASC
    a = TrackInput("ascending", velocity_raster(tmp / "a.tif", ASC, TAGS))
    if per_pixel:
        frame = enu_frame(tmp / "014A_00001_000000", second)
        b = TrackInput("second ascending", velocity_raster(frame / "vel.geo.tif", second))
    else:
        b = TrackInput("second ascending", velocity_raster(tmp / "b.tif", second, TAGS2 if components == 1 else TAGS))
    tracks = [a, b]
    if components == 1:
        tracks.append(TrackInput("third ascending", velocity_raster(tmp / "c.tif", ASC3, TAGS3)))
    out = {HORIZONTAL: str(tmp / "e.tif"), UP: str(tmp / "u.tif")}
    engine.run(plan(Request(tracks, out, components=components)).job)


def polygon_points(tmp, per_pixel):
    rng = np.random.default_rng(3)
    tracks = []
    for name, s in (("asc", ASC), ("asc2", ASC2)):
        x, y = X0 + rng.uniform(5, 395, 40), Y0 + rng.uniform(5, 395, 40)
        jitter = rng.normal(0, 1e-3, 40) if per_pixel else 0.0
        cols = {"velocity": rng.normal(0, 1, 40), "los_east": s[0] + jitter, "los_north": np.full(40, s[1]),
                "los_up": np.full(40, s[2])}  # fmt: skip
        tracks.append(polygons.PointTrack(name, points.ArrayPoints(x, y, cols, laea())))
    res = polygons.decompose(polygons.PolygonsRequest([square(X0 + 1, Y0 + 1, 398)], laea(), tracks))
    assert np.isnan(res.east[0]) and np.isnan(res.up[0])
    raise ValueError(" ".join(res.warnings))


PATHS = {
    "decompose, single-valued geometry": lambda tmp: single_epoch(tmp, False),
    "decompose, per-pixel geometry": lambda tmp: single_epoch(tmp, True),
    "decompose_timeseries method 0, single-valued": lambda tmp: time_series(tmp, False, tsd.INTERPOLATE),
    "decompose_timeseries method 0, per-pixel": lambda tmp: time_series(tmp, True, tsd.INTERPOLATE),
    "decompose_timeseries method 1, single-valued": lambda tmp: time_series(tmp, False, tsd.JOINT),
    "decompose_timeseries method 1, per-pixel": lambda tmp: time_series(tmp, True, tsd.JOINT),
    "decompose_polygons, points": lambda tmp: polygon_points(tmp, True),
}
#: COMPONENTS 1 and 2 (issue 34): path -> (run, the words it must say)
COMPONENT_PATHS = {
    f"{name}, COMPONENTS {c}, {kind}": (run, resolvable.unresolved(c))
    for c in (1, 2)
    for kind, per_pixel in (("single-valued", False), ("per-pixel", True))
    for name, run in (
        ("decompose", lambda tmp, c=c, p=per_pixel: components_epoch(tmp, p, c)),
        ("decompose_timeseries method 0", lambda tmp, c=c, p=per_pixel: time_series(tmp, p, tsd.INTERPOLATE, c)),
    )
}


@pytest.mark.parametrize("path", list(PATHS))
def test_every_path_refuses_parallel_look_vectors_in_the_same_words(tmp_path, path):
    with pytest.raises(ValueError) as info:
        PATHS[path](tmp_path)
    assert resolvable.UNRESOLVED in str(info.value)
    assert not list(tmp_path.glob("[eu].tif*"))  # no output left


@pytest.mark.parametrize("path", list(COMPONENT_PATHS))
def test_components_paths_refuse_in_their_guards_words(tmp_path, path):
    run, words = COMPONENT_PATHS[path]
    with pytest.raises(ValueError) as info:
        run(tmp_path)
    assert words in str(info.value)
    assert not list(tmp_path.glob("[eu].tif*"))  # no output left


def test_nan_sigma_and_too_few_tracks_leave_nodata_on_every_solver():
    """A track with a NaN sigma at a pixel does not count there, on every solver; with too
    few tracks left the pixel is nodata: COMPONENTS 1 never answers in 2-D, COMPONENTS 0 and 2
    never with one track."""
    desc = geometry.from_heading_incidence(192.0, 39.0)
    along = geometry.along_track_unit_vector(348.0)
    v = (3.0, -12.0, -5.0)
    sig = np.array([np.nan, 2.0, 2.0])  # pixel 0: this track's sigma unknown
    los = np.array([1.0, np.nan, 1.0])  # pixel 1: this track's value missing

    def tracks(*vectors, sigma_of_last=sig):
        out = [inversion.TrackBlock(np.full(3, geometry.forward(s, *v)), *s, np.full(3, 2.0)) for s in vectors[:-1]]
        s = vectors[-1]
        return out + [inversion.TrackBlock(geometry.forward(s, *v) * los, *s, sigma_of_last)]

    sol0 = inversion.invert(tracks(ASC, desc), max_condition=resolvable.DEFAULT_MAX_CONDITION)
    sol1 = components.solve(tracks(ASC, desc, along), components.EAST_NORTH_UP)
    sol2 = components.solve(tracks(ASC, desc), components.EAST_UP_NORTH)
    for name, sol in (("COMPONENTS 0", sol0), ("COMPONENTS 1", sol1), ("COMPONENTS 2", sol2)):
        for values in (sol.horizontal, sol.up):
            assert np.isnan(values[:2]).all() and np.isfinite(values[2]), name
    assert np.isnan(sol1.north[:2]).all() and sol1.north[2] == pytest.approx(v[1])
    assert list(sol1.n_tracks) == [2, 2, 3]


def test_every_solver_leaves_parallel_look_vectors_nodata():
    """The solvers themselves (the pair, pattern and per-pixel inversions; the joint method)."""
    p = 30
    s1 = [np.full(p, c) for c in ASC]
    s2 = [np.full(p, c) for c in ASC2]
    d = np.ones(p)
    cases = {
        "pattern": [inversion.TrackBlock(d, *ASC), inversion.TrackBlock(d, *ASC2)],
        "pair, per pixel": [inversion.TrackBlock(d, *s1), inversion.TrackBlock(d, *s2)],
        "three, per pixel": [inversion.TrackBlock(d, *s1), inversion.TrackBlock(d, *s2), inversion.TrackBlock(d, *s2)],
    }
    for name, tracks in cases.items():
        sol = inversion.invert(tracks)
        assert np.isnan(sol.up).all() and np.isnan(sol.horizontal).all(), name
    days = np.arange(0.0, 120.0, 12.0)
    y = np.ones((days.size, p))
    east, up, _, _ = tsd.joint_solve([(days, y, s1[0], s1[2], None), (days + 5, y, s2[0], s2[2], None)], days, 0.0, 1.0)
    assert np.isnan(east).all() and np.isnan(up).all()
