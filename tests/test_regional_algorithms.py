"""losdecomp:merge_frames and losdecomp:remove_plate_motion through Processing: the parameter
names of the issue, the results, and the refusals before any output."""

import numpy as np
import pytest
from qgis.core import QgsProcessingException
from test_merge_frames import ASC, ERRORS, expected, write_frames
from test_plate_motion import _track

from conftest import read_band, run_logged


def test_merge_frames_algorithm(plugin, tmp_path):
    paths = write_frames(tmp_path, ASC, "asc")
    out = str(tmp_path / "merged.tif")
    result, log = run_logged("losdecomp:merge_frames", {"INPUTS": paths, "MODEL": 1, "FIXED_FRAME": 1, "OUTPUT": out})
    offsets = [float(v) for v in result["OFFSETS"].split(",")]
    sigmas = [float(v) for v in result["OFFSET_SIGMAS"].split(",")]
    assert len(offsets) == 3 and all(abs(o + e[0]) <= 4 * s + 1e-9 for o, e, s in zip(offsets, ERRORS, sigmas))
    assert result["RMS_BEFORE"] > 3 > 0.5 > result["RMS_AFTER"]
    assert log.count("\nframe ") + log.startswith("frame ") >= 3 and "(fixed)" in log
    assert np.sqrt(np.nanmean((read_band(out) - expected(ASC)) ** 2)) < 0.3


def test_merge_frames_refuses_a_lonely_frame_by_index_and_path(plugin, tmp_path):
    paths = write_frames(tmp_path, ASC, "gap", spans=((0, 100), (90, 180), (200, 300)))
    with pytest.raises(QgsProcessingException, match="frame 3 .*gap_frame3.tif.* overlaps no other"):
        run_logged("losdecomp:merge_frames", {"INPUTS": paths, "OUTPUT": str(tmp_path / "never.tif")})
    assert not (tmp_path / "never.tif").exists()


def test_remove_plate_motion_algorithm(plugin, tmp_path):
    path = _track(tmp_path)[0]
    out, removed = str(tmp_path / "out.tif"), str(tmp_path / "removed.tif")
    result, log = run_logged("losdecomp:remove_plate_motion", {"INPUT": path, "PLATE": "ITRF2020-PMM:Eurasia",
                                                               "OUTPUT": out, "OUTPUT_PLATE_LOS": removed})  # fmt: skip
    assert result["OUTPUT"] == out and "ITRF2020-PMM:Eurasia" in log and "origin rate bias" in log
    assert np.nanmax(np.abs(read_band(out) + read_band(removed) - read_band(path))) < 1e-4


@pytest.mark.parametrize("params,words", [({"PLATE": "Atlantis"}, "one of Antarctica"),
                                          ({"EULER_POLE": "1,2"}, "lat,lon,rate")])  # fmt: skip
def test_remove_plate_motion_refuses_bad_plates(plugin, tmp_path, params, words):
    with pytest.raises(QgsProcessingException, match=words):
        run_logged("losdecomp:remove_plate_motion", {"INPUT": _track(tmp_path)[0], "OUTPUT": str(tmp_path / "o.tif"),
                                                     **params})  # fmt: skip
