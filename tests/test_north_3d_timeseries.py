"""North and 3-D in ``losdecomp:decompose_timeseries`` (issue 34), METHOD 0: synthetic east,
north and up displacement histories seen by ascending and descending LOS stacks and
along-track stacks (their unit vectors from the forward model), decomposed date by date
with COMPONENTS 1 and 2; the refusals in words."""

import datetime

import numpy as np
import pytest
from osgeo import gdal
from test_velocity_algorithm import GT, write_stack

import synthetic_scene as scene
from insar_decomposition.core.conventions import geometry as g
from insar_decomposition.core.io.model import HORIZONTAL, NORTH, SIGMA_NORTH, SIGMA_UP, UN_TILT, UP, UP_NORTH
from insar_decomposition.core.plan.decompose import Request
from insar_decomposition.core.plan.tracks import TrackError, TrackInput
from insar_decomposition.core.runs import timeseries_decomp_run as tsr
from insar_decomposition.core.solve import timeseries_decomp as tsd
from insar_decomposition.core.solve.resolvable import UNRESOLVED_3D
from insar_decomposition.core.solve.velocity import TimeSeriesError

D = datetime.date
SHAPE = (6, 7)
ASC, DESC = (348.0, 34.0), (192.0, 39.0)
ORIGIN = D(2020, 1, 1)


def every(days, n, start):
    return [start + datetime.timedelta(days=days * i) for i in range(n)]


def rates(north=None):
    y, x = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]].astype(float)
    vn = -12.0 + 0.5 * y if north is None else np.full(SHAPE, north)
    return 3.0 + 0.4 * x, vn, -5.0 + 0.2 * (x - y)  # east, north, up (mm/year): all non-zero


def stack(tmp, name, s, dates, tags, offset, north=None, gap=None):
    """Displacement (mm) of the rates seen along ``s``, plus the track's own offset;
    ``gap`` (first, last band) is NaN in the image's left half."""
    t = np.array([(d - ORIGIN).days / 365.25 for d in dates])[:, None, None]
    e, n, u = rates(north)
    values = g.forward(s, e * t, n * t, u * t) + offset
    if gap:
        values[gap[0] : gap[1], :, : SHAPE[1] // 2] = np.nan
    path = tmp / f"{name}.tif"
    scene.write_raster(str(path), values.astype(np.float32), 32611, GT, float("nan"), tags, "mm")
    return write_stack(path, values, dates, tags)


def los(tmp, name, geometry, start, north=None, offset=0.0):
    tags = {"INSAR_HEADING": str(geometry[0]), "INSAR_INCIDENCE": str(geometry[1])}
    s = g.from_heading_incidence(*geometry)
    return TrackInput(name, stack(tmp, name, s, every(12, 20, start), tags, offset, north), sigma=2.0,
                      time_series=True)  # fmt: skip


def along(tmp, name, heading, start, gap=None, north=None):
    tags = {"INSAR_HEADING": str(heading), "INSAR_KIND": "along-track"}
    s = g.along_track_unit_vector(heading)
    return TrackInput(name, stack(tmp, name, s, every(12, 20, start), tags, 7.0, north, gap), time_series=True)


def outputs(tmp, *products):
    return {p: str(tmp / f"{p}.tif") for p in products}


def bands(path):
    ds = gdal.Open(path)
    return np.stack([ds.GetRasterBand(i).ReadAsArray().astype(float) for i in range(1, ds.RasterCount + 1)])


def truth_since(job, north=None):
    """The true east, north, up displacement since the reference date on the output dates."""
    t = np.array([(d - job.reference).days / 365.25 for d in job.dates])[:, None, None]
    return [c * t for c in rates(north)]


def test_east_north_up_stacks_from_asc_desc_los_and_along_track_stacks(tmp_path):
    gap = (8, 14)  # 72 days without the along-track data in the left half: longer than MAX_GAP_DAYS
    tracks = [los(tmp_path, "asc", ASC, D(2020, 1, 1), offset=3.0), los(tmp_path, "desc", DESC, D(2020, 1, 4)),
              along(tmp_path, "asc_azimuth", ASC[0], D(2020, 1, 7), gap)]  # fmt: skip
    out = outputs(tmp_path, HORIZONTAL, UP, NORTH, SIGMA_NORTH, SIGMA_UP)
    req = tsr.TimeSeriesRequest(Request(tracks, out, components=1, along_track_sigma=50.0))
    job = tsr.plan(req)
    assert any("north solved" in line for line in job.log if line.startswith("assumption: "))
    result = tsr.run(job)
    e, n, u = truth_since(job)
    got = {k: bands(out[k]) for k in out}
    blank = np.isnan(got[NORTH])
    # the along-track stack's gap: all three components nodata on those pixel-dates, never 2-D
    assert blank.any() and (blank == np.isnan(got[UP])).all() and (blank == np.isnan(got[HORIZONTAL])).all()
    assert not blank[:, :, SHAPE[1] // 2 :].any()
    for key, want in ((HORIZONTAL, e), (NORTH, n), (UP, u)):
        np.testing.assert_allclose(got[key][~blank], want[~blank], atol=2e-3, err_msg=key)
    assert result["resolved"] == int((~blank).sum())
    later = ~blank[1:]  # past the reference date, where the displacements carry the weights' noise
    assert np.all(got[SIGMA_NORTH][1:][later] > got[SIGMA_UP][1:][later])  # north rests on the along-track data
    ds = gdal.Open(out[NORTH])
    assert ds.RasterCount == len(job.dates)
    assert ds.GetRasterBand(2).GetMetadataItem("INSAR_DATE") == job.dates[1].strftime("%Y%m%d")
    assert gdal.Open(out[SIGMA_NORTH]).GetRasterBand(1).GetMetadataItem("INSAR_SIGMA_KIND") == "propagated"
    assert "north solved" in ds.GetMetadataItem("INSAR_ASSUMPTION")


def test_two_along_track_stacks_signs_both_ways(tmp_path):
    tracks = [los(tmp_path, "asc", ASC, D(2020, 1, 1)), los(tmp_path, "desc", DESC, D(2020, 1, 4)),
              along(tmp_path, "asc_azimuth", ASC[0], D(2020, 1, 7)),
              along(tmp_path, "desc_azimuth", DESC[0], D(2020, 1, 10))]  # fmt: skip
    out = outputs(tmp_path, HORIZONTAL, UP, NORTH)
    job = tsr.plan(tsr.TimeSeriesRequest(Request(tracks, out, components=1, along_track_sigma=50.0)))
    tsr.run(job)
    e, n, u = truth_since(job)
    np.testing.assert_allclose(bands(out[NORTH]), n, atol=2e-3)  # north moving south, seen positive descending
    np.testing.assert_allclose(bands(out[HORIZONTAL]), e, atol=2e-3)


def up_north_direction():
    s1, s2 = np.array(g.from_heading_incidence(*ASC)), np.array(g.from_heading_incidence(*DESC))
    nrm = np.cross(s1, s2)
    d = np.array([0.0, -nrm[2], nrm[1]]) / np.hypot(nrm[1], nrm[2])
    return -d if d[2] < 0 else d


def test_up_north_stack_is_the_true_displacement_on_d_and_splits_with_a_known_north(tmp_path):
    tracks = [los(tmp_path, "asc", ASC, D(2020, 1, 1), north=-9.0), los(tmp_path, "desc", DESC, D(2020, 1, 4),
                                                                            north=-9.0)]  # fmt: skip
    d = up_north_direction()
    free = outputs(tmp_path, HORIZONTAL, UP, SIGMA_UP)
    job = tsr.plan(tsr.TimeSeriesRequest(Request(tracks, free, components=2)))
    tsr.run(job)
    e, n, u = truth_since(job, north=-9.0)
    np.testing.assert_allclose(bands(free[UP]), n * d[1] + u * d[2], atol=2e-3)
    md = gdal.Open(free[UP]).GetMetadata()
    assert float(md["LOSDECOMP_UN_TILT_DEG"]) == pytest.approx(np.degrees(np.arctan2(d[1], d[2])), abs=1e-3)
    assert "v_UN" in gdal.Open(free[UP]).GetRasterBand(2).GetMetadataItem("QUANTITY")
    (tmp_path / "known").mkdir()
    known = outputs(tmp_path / "known", UP, UP_NORTH, SIGMA_UP)
    job = tsr.plan(tsr.TimeSeriesRequest(Request(tracks, known, components=2, north_velocity=-9.0, north_sigma=1.0)))
    assert any("not removed from the tracks" in line for line in job.log)
    tsr.run(job)
    np.testing.assert_allclose(bands(known[UP]), u, atol=2e-3)  # up split with the known north's displacement
    np.testing.assert_allclose(bands(known[UP_NORTH]), n * d[1] + u * d[2], atol=2e-3)
    # the north's sigma enters as its displacement's since the reference date: sigma_N |t|, times dN
    t = np.array([(x - job.reference).days / 365.25 for x in job.dates])[:, None, None]
    want = np.sqrt(bands(free[SIGMA_UP]) ** 2 + (d[1] * 1.0 * t) ** 2) / d[2]
    np.testing.assert_allclose(bands(known[SIGMA_UP]), want, rtol=1e-5)


def test_refusals_in_words_before_any_output(tmp_path):
    asc_desc = [los(tmp_path, "asc", ASC, D(2020, 1, 1)), los(tmp_path, "desc", DESC, D(2020, 1, 4))]
    out = outputs(tmp_path, HORIZONTAL, UP)
    with pytest.raises(TrackError) as info:
        tsr.plan(tsr.TimeSeriesRequest(Request(asc_desc, out, components=1)))
    assert UNRESOLVED_3D in str(info.value)
    three = asc_desc + [along(tmp_path, "az", ASC[0], D(2020, 1, 7))]
    with pytest.raises(TimeSeriesError, match="METHOD 0 .* only; METHOD 1"):
        tsr.plan(tsr.TimeSeriesRequest(Request(three, out, components=1, along_track_sigma=50.0), method=tsd.JOINT))
    with pytest.raises(TimeSeriesError, match="OUTPUT_UN_TILT is not written by decompose_timeseries"):
        tsr.plan(tsr.TimeSeriesRequest(Request(asc_desc, dict(out, **{UN_TILT: str(tmp_path / "t.tif")}),
                                               components=2)))  # fmt: skip
    with pytest.raises(ValueError, match="OUTPUT_NORTH needs COMPONENTS 1"):
        tsr.plan(tsr.TimeSeriesRequest(Request(asc_desc, dict(out, **{NORTH: str(tmp_path / "n.tif")}))))
    assert not list(tmp_path.glob("*.tif.*")) and not (tmp_path / "up.tif").exists()


def test_through_processing_with_an_extra_along_track_stack(plugin, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    asc, desc = los(tmp_path, "asc", ASC, D(2020, 1, 1)), los(tmp_path, "desc", DESC, D(2020, 1, 4))
    az = along(tmp_path, "az", ASC[0], D(2020, 1, 7))
    sigma = str(tmp_path / "sigma.tif")
    scene.write_raster(sigma, np.full(SHAPE, 2.0, np.float32), 32611, GT, float("nan"), None, "mm")
    params = {"ASCENDING": asc.path, "DESCENDING": desc.path, "ASC_SIGMA": sigma, "DESC_SIGMA": sigma,
              "EXTRA_TRACKS": [az.path], "EXTRA_GEOMETRY": "348,,along", "ALONG_TRACK_SIGMA": 50.0, "COMPONENTS": 1,
              "OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif"),
              "OUTPUT_NORTH": str(tmp_path / "n.tif"), "OUTPUT_SIGMA_NORTH": str(tmp_path / "sn.tif")}  # fmt: skip
    with pytest.raises(QgsProcessingException, match="METHOD 1"):
        processing.run("losdecomp:decompose_timeseries", dict(params, METHOD=1))
    assert not (tmp_path / "n.tif").exists()
    out = processing.run("losdecomp:decompose_timeseries", params)
    north = bands(out["OUTPUT_NORTH"])
    ds = gdal.Open(out["OUTPUT_NORTH"])
    first, last = (datetime.datetime.strptime(ds.GetRasterBand(b).GetMetadataItem("INSAR_DATE"), "%Y%m%d")
                   for b in (1, ds.RasterCount))  # fmt: skip
    t = (last - first).days / 365.25
    np.testing.assert_allclose(north[-1], rates()[1] * t, atol=2e-3)
    assert np.isfinite(bands(out["OUTPUT_SIGMA_NORTH"])[1:]).all()
