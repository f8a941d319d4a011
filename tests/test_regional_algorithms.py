"""losdecomp:merge_frames and losdecomp:remove_plate_motion through Processing: the parameter
names of the issue, the results, and the refusals before any output."""

import numpy as np
import pytest
from osgeo import osr
from qgis.core import QgsProcessingException
from test_merge_frames import ASC, ERRORS, centres, expected, field, write_frames
from test_merge_frames_gnss import ERRORS as GERRORS
from test_merge_frames_gnss import UTM_WKT, spread, truth
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


def test_merge_frames_with_gnss_held_fixed(plugin, tmp_path):
    """GNSS as a delimited text table (lon/lat, mm/year): the merged map is on the stations'
    reference (the true field), frame 1 corrected too; GNSS residual RMS in the results."""
    paths = write_frames(tmp_path, ASC, "gt", errors=GERRORS)
    cols, rows = spread(12)
    table = _gnss_table(tmp_path, cols, rows)
    out = str(tmp_path / "merged.tif")
    result, log = run_logged("losdecomp:merge_frames", {"INPUTS": paths, "MODEL": 1, "GNSS": table,
                                                        "GNSS_UNIT": 1, "RADIUS": 0, "OUTPUT": out})  # fmt: skip
    assert np.sqrt(np.nanmean((read_band(out) - truth()) ** 2)) < 0.3
    assert result["GNSS_RMS_BEFORE"] > 1.0 > 0.35 > result["GNSS_RMS_AFTER"]
    assert "(fixed)" not in log and "GNSS residual" in log and "mm/year" in log
    with pytest.raises(QgsProcessingException, match="FIXED_FRAME 3 and GNSS"):
        run_logged("losdecomp:merge_frames", {"INPUTS": paths, "FIXED_FRAME": 3, "GNSS": table,
                                              "OUTPUT": str(tmp_path / "never.tif")})  # fmt: skip
    # without GNSS, the default FIXED_FRAME 1 keeps today's behaviour: GNSS outputs empty
    result, _ = run_logged("losdecomp:merge_frames", {"INPUTS": paths, "OUTPUT": str(tmp_path / "plain.tif")})
    assert result["GNSS_RMS_AFTER"] is None and float(result["OFFSETS"].split(",")[0]) == 0.0


def _gnss_table(tmp_path, cols, rows, extra=(), sigma=("0.3",)):
    """A CSV of stations at pixel centres (lon/lat, mm/year), the field's velocity there, plus
    ``extra`` (name, x, y) stations with zero velocity; ``sigma`` per station (cycled)."""
    x, y = centres(np.asarray(cols, float), np.asarray(rows, float))
    names = [f"S{i}" for i in range(x.size)] + [p[0] for p in extra]
    x, y = np.r_[x, [p[1] for p in extra]], np.r_[y, [p[2] for p in extra]]
    utm, geo = osr.SpatialReference(UTM_WKT), osr.SpatialReference()
    geo.ImportFromEPSG(4326)
    for srs in (utm, geo):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lonlat = osr.CoordinateTransformation(utm, geo).TransformPoints(np.column_stack([x, y]).tolist())
    e, n_, u = field(x, y)
    lines = ["station,lon,lat,ve,vn,vu,se,sn,su"]
    for i, p in enumerate(lonlat):
        s = sigma[i % len(sigma)]
        lines.append(f"{names[i]},{p[0]:.9f},{p[1]:.9f},{e[i]},{n_[i]},{u[i]},{s},{s},{s}")
    table = tmp_path / "gnss.csv"
    table.write_text("\n".join(lines) + "\n")
    return str(table)


def test_merge_frames_gnss_station_lines_reach_the_processing_log(plugin, tmp_path):
    """The stations left out by name, the unit assumed, the weighting rule, the least trusted
    stations and the row counts are in the Processing log (they were only in the core's)."""
    paths = write_frames(tmp_path, ASC, "lg", errors=GERRORS)
    cols, rows = spread(10)
    table = _gnss_table(tmp_path, cols, rows, extra=[("FAR", 400_000.0 + 500 * 100.0, 3_900_000.0 - 5000.0)],
                        sigma=("0.3", "0.3", "0.3", ""))  # fmt: skip
    _, log = run_logged("losdecomp:merge_frames", {"INPUTS": paths, "MODEL": 1, "GNSS": table, "GNSS_UNIT": 1,
                                                   "OUTPUT": str(tmp_path / "m.tif")})  # fmt: skip
    for words in ("left out, outside the raster: FAR", "least trusted", "velocities in mm/year",
                  "station(s) in 3 frame(s)", "weighted 1/(sigma_GNSS_LOS^2", "variance components"):
        assert words in log, words
