"""losdecomp:merge_frames with GNSS held fixed instead of a frame (issue 35's scope: "one frame or
GNSS held fixed"), known answers from a forward model: a field whose true reference is known
(the GNSS velocities are the field at the stations, plus noise), cut into three frames with known
offsets and ramps, frame 1 included (no frame is fixed). The merged map equals the true field,
not just the field up to frame 1's correction; the refusals name what is missing."""

import json
import os

import numpy as np
import pytest
from osgeo import gdal
from test_merge_frames import ASC, HEIGHT, NOISE, WIDTH, centres, field, write_frames

import synthetic_scene as scene
from conftest import read_band
from insar_decomposition.core.conventions.errors import FrameError
from insar_decomposition.core.io import gnss_stations
from insar_decomposition.core.plan.tracks import TrackInput
from insar_decomposition.core.runs import merge_frames
from insar_decomposition.core.solve import frames as solver

S = scene.los_unit_vector(*ASC)
#: Every frame off the true reference, frame 1 too: offset (mm/yr), ramps (mm/yr per km E, N).
ERRORS = ((2.0, 0.05, -0.03), (5.0, 0.08, -0.05), (-3.0, -0.04, 0.06))
OFFSETS_ONLY = ((2.0, 0, 0), (5.0, 0, 0), (-3.0, 0, 0))
UTM_WKT = scene.srs_of(32611).ExportToWkt()


def truth():
    """The true LOS velocity on the union grid (the frames' lattice)."""
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    e, n, u = field(*centres(cols, rows))
    return S[0] * e + S[1] * n + S[2] * u


def stations(cols, rows, noise=0.0, sigma=0.3, seed=1, wkt=UTM_WKT, xy=None):
    """Stations at pixel centres (cols, rows of the union grid) whose velocity is the field there
    plus white noise of ``noise`` mm/yr per component, with a-priori ``sigma`` (NaN: unknown)."""
    x, y = centres(np.asarray(cols, float), np.asarray(rows, float)) if xy is None else xy
    e, n, u = field(x, y) if xy is None else (0 * x, 0 * x, 0 * x)
    rng = np.random.default_rng(seed)
    ve, vn, vu = (c + rng.normal(0, noise, np.shape(x)) if noise else c for c in (e, n, u))
    sig = np.broadcast_to(np.asarray(sigma, float), np.shape(x))
    columns = {"station": [f"S{i:02d}" for i in range(np.size(x))], "ve": list(ve), "vn": list(vn), "vu": list(vu),
               "se": list(sig), "sn": list(sig), "su": list(sig)}  # fmt: skip
    return gnss_stations.from_columns(columns, x, y, wkt, {}, unit="mm/year", label="GNSS test")


def spread(count, seed=7):
    """``count`` station pixels spread over the union (not on a line)."""
    rng = np.random.default_rng(seed)
    return rng.integers(5, WIDTH - 5, count), rng.integers(5, HEIGHT - 5, count)


def merge(paths, out, st, model=solver.PLANE, **kw):
    frames = [TrackInput(f"frame {k + 1}", p) for k, p in enumerate(paths)]
    req = merge_frames.MergeRequest(frames, str(out), model=model, stations=st, **kw)
    job = merge_frames.plan(req)
    return job, merge_frames.run(job)


@pytest.mark.parametrize("model,errors", [(solver.OFFSET, OFFSETS_ONLY), (solver.PLANE, ERRORS)])
def test_gnss_held_fixed_gives_the_true_field(tmp_path, model, errors):
    paths = write_frames(tmp_path, ASC, "g", errors=errors)
    cols, rows = spread(15)
    gnss_noise = 0.3
    st = stations(cols, rows, noise=gnss_noise, sigma=gnss_noise)
    job, summary = merge(paths, tmp_path / "m.tif", st, model=model)
    err = read_band(summary.outputs[merge_frames.MERGED]) - truth()
    bias, rms = float(np.nanmean(err)), float(np.sqrt(np.nanmean(err**2)))
    # GNSS in the LOS has sigma |s| gnss_noise = gnss_noise; the datum from 15 stations within
    # 4 sigma / sqrt(15) (a plane's tilt adds at most as much again across the scene)
    datum = 4 * gnss_noise / np.sqrt(15) * (1 if model == solver.OFFSET else 2)
    print(f"\nGNSS held fixed, MODEL {model}: bias {bias:.3f}, RMS {rms:.3f} mm/yr (pixel noise {NOISE}, datum "
          f"tolerance {datum:.3f})\n" + "\n".join(summary.lines))  # fmt: skip
    assert abs(bias) < datum and rms < 1.5 * NOISE + datum
    assert np.nanmax(np.abs(err)) < 7 * NOISE + datum
    for k, (offset, *_) in enumerate(errors):  # frame 1 corrected too: nothing held fixed
        assert abs(summary.offsets[k] + offset) < datum + 4 * summary.offset_sigmas[k]
    assert summary.gnss["before"]["rms"] > 1.0 and summary.gnss["after"]["rms"] < 2 * gnss_noise
    assert summary.gnss["after"]["count"] >= 15  # a station in an overlap gives one row per frame
    assert job.fixed is None and "(fixed)" not in "\n".join(summary.lines)
    assert any("after the corrections: " in line and "(15 stations" in line and "mm/year" in line
               for line in summary.lines)
    info = json.loads(gdal.Open(summary.outputs[merge_frames.MERGED]).GetMetadataItem(merge_frames.TAG_FRAMES))
    assert info["fixed_frame"] is None and info["gnss"]["unit"] == "mm/year"
    assert info["gnss"]["after"]["rms"] == pytest.approx(summary.gnss["after"]["rms"])


def test_exact_gnss_puts_the_merge_on_the_true_reference_within_the_pixel_noise(tmp_path):
    paths = write_frames(tmp_path, ASC, "x", errors=ERRORS)
    _, summary = merge(paths, tmp_path / "m.tif", stations(*spread(12), noise=0.0))
    err = read_band(summary.outputs[merge_frames.MERGED]) - truth()
    # the pixel noise at 12 stations (0.2 / sqrt(12) = 0.06) and the overlaps' own error
    assert abs(float(np.nanmean(err))) < 0.15 and float(np.sqrt(np.nanmean(err**2))) < 1.5 * NOISE


def test_a_single_station_fixes_model_0(tmp_path):
    paths = write_frames(tmp_path, ASC, "one", errors=OFFSETS_ONLY)
    _, summary = merge(paths, tmp_path / "m.tif", stations([250], [70]), model=solver.OFFSET)
    err = read_band(summary.outputs[merge_frames.MERGED]) - truth()
    # one station in frame 3: its pixel's noise (0.2) moves every frame with it
    assert abs(float(np.nanmean(err))) < 4 * NOISE and float(np.nanstd(err)) < 1.5 * NOISE
    # the one station is fitted exactly: its residual after says nothing, and the run says so
    assert summary.gnss["after"]["count"] == 1 and summary.gnss["after"]["rms"] < 1e-3
    assert any("barely constrained" in w for w in summary.warnings)


def test_collinear_stations_are_refused_with_model_1(tmp_path):
    paths = write_frames(tmp_path, ASC, "col", errors=ERRORS)
    st = stations([20, 80, 140, 200, 260], [70] * 5)  # one row: a line across all frames
    with pytest.raises(FrameError, match="collinear: the plane's tilt across them is not fixed"):
        merge(paths, tmp_path / "never.tif", st)
    assert not (tmp_path / "never.tif").exists()
    merge(paths, tmp_path / "offsets.tif", st, model=solver.OFFSET)  # an offset needs no plane


def test_nearly_collinear_stations_are_refused_as_reference_to_gnss_refuses_them(tmp_path):
    paths = write_frames(tmp_path, ASC, "near", errors=ERRORS)
    st = stations([20, 80, 140, 200, 260], [70, 71, 70, 71, 70])
    with pytest.raises(FrameError, match="nearly lie on a line"):
        merge(paths, tmp_path / "never.tif", st)


def test_too_few_stations_inside_the_frames_are_refused_before_reading(tmp_path):
    paths = write_frames(tmp_path, ASC, "few", errors=ERRORS)
    st = stations([20, 250, WIDTH + 50, WIDTH + 90], [30, 100, 50, 60])
    with pytest.raises(FrameError, match=r"2 of its 4 stations lie inside the frames.*at least 3"):
        merge_frames.check(merge_frames.MergeRequest([TrackInput(f"f{k}", p) for k, p in enumerate(paths)],
                                                     str(tmp_path / "never.tif"), stations=st))  # fmt: skip
    with pytest.raises(FrameError, match=r"0 of its 1 stations lie inside the frames.*at least 1"):
        merge(paths, tmp_path / "never.tif", stations([WIDTH + 50], [50]), model=solver.OFFSET)


def test_stations_outside_or_on_nodata_are_counted_and_ignored(tmp_path):
    paths = write_frames(tmp_path, ASC, "nod", errors=ERRORS)
    ds = gdal.Open(paths[0], gdal.GA_Update)  # station S15 at column 30, row 40: only frame 1 there
    a = ds.GetRasterBand(1).ReadAsArray()
    a[40, 30] = np.nan
    ds.GetRasterBand(1).WriteArray(a)
    ds = None
    cols, rows = spread(12)
    st = stations(list(cols) + [WIDTH + 40, WIDTH + 60, 30], list(rows) + [20, 30, 40])
    job, summary = merge(paths, tmp_path / "m.tif", st)
    log = "\n".join(job.log)
    assert "2 station(s) left out, outside the raster: S12, S13" in log
    assert "1 station(s) left out, on nodata: S14" in log
    assert np.sqrt(np.nanmean((read_band(summary.outputs[merge_frames.MERGED]) - truth()) ** 2)) < 1.5 * NOISE


def test_nan_station_sigmas_are_weighted_as_the_least_trusted_known_station(tmp_path):
    paths = write_frames(tmp_path, ASC, "nan", errors=ERRORS)
    cols, rows = spread(12)
    sig = np.full(12, 0.3)
    sig[[2, 5]] = np.nan
    job, summary = merge(paths, tmp_path / "m.tif", stations(cols, rows, sigma=sig))
    log = "\n".join(job.log)
    assert "without a known combined sigma" in log and "S02" in log and "S05" in log
    assert np.sqrt(np.nanmean((read_band(summary.outputs[merge_frames.MERGED]) - truth()) ** 2)) < 1.5 * NOISE
    # no station sigma known at all: each station weighs as an average overlap pixel
    job, summary = merge(paths, tmp_path / "m2.tif", stations(cols, rows, sigma=np.nan))
    assert any("no station has a known combined sigma" in line for line in job.log)
    assert np.sqrt(np.nanmean((read_band(summary.outputs[merge_frames.MERGED]) - truth()) ** 2)) < 1.5 * NOISE


def test_fixed_frame_other_than_the_default_is_refused_with_gnss(tmp_path):
    paths = write_frames(tmp_path, ASC, "ff", errors=ERRORS)
    with pytest.raises(FrameError, match="FIXED_FRAME 2 and GNSS: GNSS is held fixed instead of a frame"):
        merge(paths, tmp_path / "never.tif", stations(*spread(5)), fixed_frame=2)


def test_time_series_stacks_with_gnss_are_refused_in_words(tmp_path):
    from test_merge_frames_stacks import write_stacks

    paths = write_stacks(tmp_path, extra=False)
    with pytest.raises(FrameError, match="GNSS held fixed merges velocities only.*per date"):
        merge(paths, tmp_path / "never.tif", stations(*spread(5)))
    assert not (tmp_path / "never.tif").exists()


def test_geographic_frames_without_sigmas(tmp_path):
    """Frames in EPSG:4326 (planes per degree), no sigmas (equal weights), stations given in
    lon/lat moving up only, so that their LOS is s_up * vu: the merged map is the field."""
    d, lon0, lat0 = 0.001, -117.0, 35.0

    def los(lon, lat):
        return 800.0 * (lon - lon0) - 500.0 * (lat - lat0)  # mm/yr: 0.8 per 0.001 degree

    paths = []
    for k, (c0, c1, off) in enumerate(((0, 60, 3.0), (40, 100, -2.0))):
        lon, lat = np.meshgrid(lon0 + (np.arange(c0, c1) + 0.5) * d, lat0 - (np.arange(50) + 0.5) * d)
        bands = np.stack([los(lon, lat) + off] + [np.full(lon.shape, c) for c in S]).astype(np.float32)
        path = os.path.join(tmp_path, f"geo{k}.tif")
        scene.write_raster(path, bands, 4326, (lon0 + c0 * d, d, 0, lat0, 0, -d),
                           metadata={"INSAR_UNIT": "mm/year", "INSAR_LOS_SIGN": "toward"})  # fmt: skip
        ds = gdal.Open(path, gdal.GA_Update)
        for b, role in enumerate(["velocity", "los_east", "los_north", "los_up"], 1):
            ds.GetRasterBand(b).SetMetadataItem("INSAR_ROLE", role)
        ds = None
        paths.append(path)
    pick = np.array([[5, 10], [30, 40], [55, 20], [90, 30], [70, 5]])  # (col, row) of pixel centres
    lon, lat = lon0 + (pick[:, 0] + 0.5) * d, lat0 - (pick[:, 1] + 0.5) * d
    st = stations(None, None, xy=(lon, lat), wkt=gnss_stations.WGS84_WKT)
    for i in range(len(lon)):
        st.velocity["vu"][i] = los(lon[i], lat[i]) / S[2]
    job, summary = merge(paths, tmp_path / "m.tif", st, model=solver.PLANE)
    lons, lats = np.meshgrid(lon0 + (np.arange(100) + 0.5) * d, lat0 - (np.arange(50) + 0.5) * d)
    err = read_band(summary.outputs[merge_frames.MERGED]) - los(lons, lats)
    assert np.nanmax(np.abs(err)) < 1e-3 and summary.offsets == pytest.approx([-3.0, 2.0], abs=1e-3)
    assert any("equal weights" in line and "GNSS sigmas are not used" in line for line in job.log)


def test_solver_station_rows_fix_the_datum_exactly():
    normals = solver.Normals([(0.0, 0.0), (10.0, 0.0)], solver.OFFSET)
    x = np.linspace(4, 6, 50)
    normals.add(0, 1, x, 0 * x, np.zeros(50), np.full(50, 2.5))  # frame 2 is 2.5 above frame 1
    normals.add_stations(1, np.array([8.0]), np.array([0.0]), np.array([7.5]), np.array([1.0]), np.array([1.0]))
    fit = solver.solve(normals, None, ["a", "b"])
    assert fit.params[:, 0] == pytest.approx([-4.0, -6.5])  # frame 2 + (-6.5) = 1 at the station
    assert fit.gnss_before == pytest.approx([6.5]) and fit.gnss_after == pytest.approx([0.0], abs=1e-9)
    empty = solver.Normals([(0.0, 0.0), (10.0, 0.0)], solver.OFFSET)
    empty.add(0, 1, x, 0 * x, np.zeros(50), np.full(50, 2.5))
    with pytest.raises(FrameError, match="rank-deficient"):
        solver.solve(empty, None, ["a", "b"])


def test_stations_lost_to_nodata_are_refused_by_name_when_too_few_remain(tmp_path):
    paths = write_frames(tmp_path, ASC, "lost", errors=ERRORS)
    ds = gdal.Open(paths[0], gdal.GA_Update)  # S02 at column 30, row 40: only frame 1 holds it
    a = ds.GetRasterBand(1).ReadAsArray()
    a[40, 30] = np.nan
    ds.GetRasterBand(1).WriteArray(a)
    ds = None
    with pytest.raises(FrameError, match=r"2 station\(s\) with values in the frames \(S00, S01\): MODEL 1 needs"):
        merge(paths, tmp_path / "never.tif", stations([150, 250, 30], [20, 100, 40]))
    with pytest.raises(FrameError, match="no station has both GNSS values and a frame value"):
        merge(paths, tmp_path / "never.tif", stations([30], [40]), model=solver.OFFSET)
    assert not (tmp_path / "never.tif").exists()


def test_a_gnss_sigma_of_zero_is_unknown_not_exact(tmp_path):
    """se = sn = su = 0 (a placeholder of CSV exports) on a station off by 5 mm/yr up: it must
    weigh as the least trusted known station, named, not as an exact value (frames with a
    small sigma, 0.1, would let it outweigh the ten others ten to one)."""
    paths = write_frames(tmp_path, ASC, "zero", noise=0.05, errors=OFFSETS_ONLY)
    cols, rows = spread(11)
    sig = np.full(11, 0.3)
    sig[3] = 0.0
    st = stations(cols, rows, sigma=sig)
    st.velocity["vu"][3] += 5.0
    job, summary = merge(paths, tmp_path / "m.tif", st, model=solver.OFFSET)
    bias = float(np.nanmean(read_band(summary.outputs[merge_frames.MERGED]) - truth()))
    log = "\n".join(job.log + summary.lines)
    assert "GNSS LOS sigma not a positive number" in log and "S03" in log
    assert any("least trusted" in line and "S03" in line for line in job.log + summary.lines)
    assert abs(bias) < 1.0  # one bad station in eleven at an equal weight: 5 * 0.8 / 11 = 0.36


def _to_m_per_year(path):
    """The frame's velocity and sigma in m/yr, tagged so (its geometry bands unchanged)."""
    ds = gdal.Open(path, gdal.GA_Update)
    ds.SetMetadataItem("INSAR_UNIT", "m/year")
    for b in (1, 2):
        band = ds.GetRasterBand(b)
        band.WriteArray(band.ReadAsArray() * 1e-3)
        band.SetUnitType("m/year")
    ds = None


def test_gnss_in_mm_read_as_the_first_frames_m_per_year_is_refused(tmp_path):
    """Frame 1 in m/yr, frames 2-3 in mm/yr, GNSS in mm/yr without a stated unit ("same as the
    track": frame 1's): a factor 1000 that would pass as plausible mm/yr numbers."""
    paths = write_frames(tmp_path, ASC, "unit", errors=OFFSETS_ONLY)
    _to_m_per_year(paths[0])
    cols, rows = spread(12)
    st = stations(cols, rows)
    st.unit = ""  # a table without a unit: taken to be in the track's
    with pytest.raises(FrameError, match=r"read as m/year.*times the InSAR.*mm/year.*choose GNSS_UNIT"):
        merge(paths, tmp_path / "never.tif", st, model=solver.OFFSET)
    assert not (tmp_path / "never.tif").exists()
    job, summary = merge(paths, tmp_path / "m.tif", stations(cols, rows), model=solver.OFFSET)  # mm/year stated
    assert any("converted from mm/year to m/year" in line for line in job.log + summary.lines)
    err = read_band(summary.outputs[merge_frames.MERGED]) * 1e3 - truth()
    assert abs(float(np.nanmean(err))) < 0.2


def _warped_to_geographic(path, out):
    """The frame warped to EPSG:4326 (nearest), its tags and roles kept."""
    gdal.Warp(out, path, dstSRS="EPSG:4326", resampleAlg="near", dstNodata=float("nan"))
    src = gdal.Open(path)
    md = src.GetMetadata()
    roles = [src.GetRasterBand(b).GetMetadataItem("INSAR_ROLE") for b in range(1, src.RasterCount + 1)]
    src = None
    ds = gdal.Open(out, gdal.GA_Update)
    ds.SetMetadata(md)
    for b, role in enumerate(roles, 1):
        ds.GetRasterBand(b).SetMetadataItem("INSAR_ROLE", role)
        ds.GetRasterBand(b).SetUnitType("mm/year" if role.startswith("velocity") else "")
    ds = None
    return out


def test_radius_is_in_the_common_grids_units_for_a_geographic_frame(tmp_path):
    """Frames 1-2 in UTM, frame 3 the same data in EPSG:4326: RADIUS 300 is 300 m (the common
    grid's CRS, frame 1's) for frame 3 too, not 300 degrees (its whole footprint)."""
    paths = write_frames(tmp_path, ASC, "rad", errors=ERRORS)
    paths[2] = _warped_to_geographic(paths[2], str(tmp_path / "rad_frame3_geo.tif"))
    st = stations(*spread(12))
    _, at_pixel = merge(paths, tmp_path / "r0.tif", st, radius=0.0)
    job, near = merge(paths, tmp_path / "r300.tif", st, radius=300.0)
    assert near.offsets == pytest.approx(at_pixel.offsets, abs=0.15)
    assert near.gnss["after"]["rms"] < 0.5
    log = "\n".join(job.log + near.lines)
    assert "within 300 metre" in log
    with pytest.raises(FrameError, match=r"RADIUS 3000 metre .*a tenth of the smaller side of frame 1 "):
        merge(paths, tmp_path / "never.tif", st, radius=3000.0)


def test_stations_that_only_just_fix_the_datum_are_warned_and_left_out_one_by_one(tmp_path):
    """Three stations with MODEL 1 fit exactly (GNSS residual after ~0 whatever their error):
    warned as reference_to_gnss warns; with twelve, each station against the fit without it
    (leave-one-station-out) is reported, and it is near the GNSS noise, not ~0."""
    paths = write_frames(tmp_path, ASC, "loo", errors=ERRORS)
    job, summary = merge(paths, tmp_path / "three.tif", stations([20, 150, 260], [20, 120, 40], noise=2.0))
    assert summary.gnss["after"]["rms"] < 1e-6
    assert any("barely constrained, residuals after it say little" in w for w in summary.warnings)
    assert any("leave-one-station-out" in line and "not available" in line for line in summary.lines)
    job, summary = merge(paths, tmp_path / "many.tif", stations(*spread(12), noise=1.0, sigma=1.0))
    assert not any("barely constrained" in w for w in summary.warnings)
    loo = summary.gnss["leave_one_out"]
    assert loo["count"] >= 12 and loo["rms"] > summary.gnss["after"]["rms"]
    assert 0.5 < loo["rms"] < 2.5  # GNSS noise 1 mm/yr per component, about 1 in the LOS
    assert any("leave-one-station-out" in line and f"{loo['rms']:.4g}" in line for line in summary.lines)


@pytest.mark.parametrize("model,offsets,sigmas,rms_after", [
    (solver.OFFSET, [4.635974975558829, 0.0, 8.13677657333405], [0.007252207643819088, 0.0, 0.006280596053067018],
     0.4699488110045722),
    (solver.PLANE, [4.251833671614246, 0.0, 8.664023298503013], [0.022871069224008944, 0.0, 0.015056449041501354],
     0.27987642522851125),
])  # fmt: skip
def test_without_gnss_the_merge_is_the_frozen_answer_of_the_code_before_gnss(tmp_path, model, offsets, sigmas,
                                                                              rms_after):  # fmt: skip
    """The no-GNSS path is unchanged: the numbers the code gave before GNSS held fixed existed
    (FIXED_FRAME 2, the test frames of test_merge_frames; bitwise equal on the machine that froze
    them, to 1e-12 here for other numpy builds)."""
    paths = write_frames(tmp_path, ASC, "frozen")
    frames = [TrackInput(f"f{k}", p) for k, p in enumerate(paths)]
    job = merge_frames.plan(merge_frames.MergeRequest(frames, str(tmp_path / "m.tif"), model=model, fixed_frame=2))
    summary = merge_frames.run(job)
    assert summary.offsets == pytest.approx(offsets, rel=1e-12, abs=1e-12)
    assert summary.offset_sigmas == pytest.approx(sigmas, rel=1e-9)
    assert summary.rms_after == pytest.approx(rms_after, rel=1e-12) and not summary.gnss and not summary.warnings
