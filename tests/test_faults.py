"""Faults during a run and what a run leaves behind: every I/O error becomes one clear
message naming the file, the command exits non-zero without a traceback, no output is
left, and the inputs' folders stay exactly as they were."""

import hashlib
import os
import shutil
import subprocess
import uuid

import numpy as np
import pytest
from osgeo import gdal

import synthetic_scene as scene
from conftest import QGIS_PROCESS, read_band, run_logged
from insar_decomposition.core.conventions import geometry

GT = (400000.0, 100.0, 0.0, 4000000.0, 0.0, -100.0)
SHAPE = (600, 600)  # several windows: faults happen after the first ones were written


def write_track(folder, name, heading, incidence, tiled=False):
    s = geometry.from_heading_incidence(heading, incidence)
    los = geometry.forward(s, 5.0, 0.0, -10.0) * np.ones(SHAPE, np.float32)
    tags = {"INSAR_HEADING": str(heading), "INSAR_INCIDENCE": str(incidence)}
    path = str(folder / f"{name}.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, SHAPE[1], SHAPE[0], 1, gdal.GDT_Float32, ["TILED=YES"] * tiled)
    ds.SetGeoTransform(GT)
    ds.SetProjection(scene.srs_of(32611).ExportToWkt())
    ds.SetMetadata(tags)
    ds.GetRasterBand(1).WriteArray(los.astype(np.float32))
    ds.GetRasterBand(1).SetNoDataValue(float("nan"))
    ds = None
    return path


def truncate(path, keep=0.5):
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(int(size * keep))
    return path


@pytest.fixture()
def pair(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    return inputs, out, write_track(inputs, "asc", 348.0, 34.0), write_track(inputs, "desc", 192.0, 39.0)


def qgis_process(env, args, timeout=300):
    cmd = [QGIS_PROCESS, "run", "losdecomp:decompose", "--"] + [f"{k}={v}" for k, v in args.items()]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def assert_refused(proc, *needles):
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text
    assert "Traceback" not in text and "Exception ignored" not in text, text
    for needle in needles:
        assert needle in text, text


@pytest.mark.qgis_process
def test_truncated_velocity_file(qgis_process_env, pair):
    inputs, out, asc, desc = pair
    truncate(desc)
    proc = qgis_process(
        qgis_process_env,
        {"ASCENDING": asc, "DESCENDING": desc, "OUTPUT_EAST": out / "e.tif", "OUTPUT_UP": out / "u.tif"},
    )
    assert_refused(proc, "desc.tif")
    assert os.listdir(out) == []


@pytest.mark.qgis_process
def test_truncated_sigma_file(qgis_process_env, pair):
    inputs, out, asc, desc = pair
    sigma = truncate(write_track(inputs, "sigma", 348.0, 34.0))
    proc = qgis_process(
        qgis_process_env,
        {
            "ASCENDING": asc,
            "DESCENDING": desc,
            "ASC_SIGMA": sigma,
            "DESC_SIGMA": asc,
            "OUTPUT_EAST": out / "e.tif",
            "OUTPUT_UP": out / "u.tif",
        },
    )
    assert_refused(proc, "sigma.tif")
    assert os.listdir(out) == []


@pytest.fixture()
def tiny_disk(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True)
    except FileNotFoundError:
        pytest.skip("cannot mount a small tmpfs here (no mount command)")
    if ok.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({ok.stderr.decode().strip() or 'not root'})")
    yield folder
    subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.mark.qgis_process
def test_disk_full(qgis_process_env, pair, tiny_disk):
    inputs, out, asc, desc = pair
    # noise does not compress: the outputs cannot fit in 256 kB
    noisy = np.random.default_rng(0).normal(0, 10, SHAPE).astype(np.float32)
    for path in (asc, desc):
        ds = gdal.Open(path, gdal.GA_Update)
        ds.GetRasterBand(1).WriteArray(noisy)
        ds = None
    proc = qgis_process(
        qgis_process_env,
        {"ASCENDING": asc, "DESCENDING": desc, "OUTPUT_EAST": tiny_disk / "e.tif", "OUTPUT_UP": tiny_disk / "u.tif"},
    )
    assert_refused(proc, "disk is full", "tiny")
    assert os.listdir(tiny_disk) == []


def test_output_folder_removed_during_the_run(plugin, pair):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback

    inputs, out, asc, desc = pair

    class RemoveFolder(QgsProcessingFeedback):
        def setProgress(self, progress):  # noqa: N802 (QGIS's name)
            super().setProgress(progress)
            if progress > 30 and out.exists():
                shutil.rmtree(out)

    params = {"ASCENDING": asc, "DESCENDING": desc, "OUTPUT_EAST": str(out / "e.tif"), "OUTPUT_UP": str(out / "u.tif")}
    with pytest.raises(QgsProcessingException, match="no longer exists") as info:
        processing.run("losdecomp:decompose", params, context=QgsProcessingContext(), feedback=RemoveFolder())
    assert "e.tif" in str(info.value) or "u.tif" in str(info.value)
    assert not out.exists()


def snapshot(folder):
    """Every file below ``folder`` with the hash of its bytes."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def copy_tree(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_decompose_leaves_the_input_folders_as_they_were(plugin, shared_data, tmp_path):
    naf = copy_tree(shared_data / "naf_licsbas", tmp_path / "naf")
    before = snapshot(naf)
    base = {"OUTPUT_EAST": str(tmp_path / "e.tif"), "OUTPUT_UP": str(tmp_path / "u.tif")}
    asc, desc = naf / "014A_04939_131313" / "vel.geo.tif", naf / "094D_04913_101213" / "vel.geo.tif"
    runs = [
        {"ASCENDING": str(asc), "DESCENDING": str(desc), "NORTH_VELOCITY": str(naf / "GNSS" / "interp_N.grd")},
        {
            "ASCENDING": str(asc),
            "DESCENDING": str(desc),
            "OUTPUT_QUALITY": str(tmp_path / "q.tif"),
            "OUTPUT_SIGMA_UP": str(tmp_path / "su.tif"),
        },
    ]
    for params in runs:
        res, _ = run_logged("losdecomp:decompose", dict(base, **params))
        assert np.isfinite(read_band(res["OUTPUT_UP"])).any()
        for p in tmp_path.glob("*.tif"):
            p.unlink()
    assert snapshot(naf) == before


def test_import_mintpy_leaves_the_input_folder_as_it_was(plugin, shared_data, tmp_path):
    coso = copy_tree(shared_data / "coso_mintpy", tmp_path / "coso")
    before = snapshot(coso)
    res, _ = run_logged(
        "losdecomp:import_mintpy", {"INPUT": str(coso / "a064_velocity.h5"), "OUTPUT": str(tmp_path / "a.tif")}
    )
    assert os.path.exists(res["OUTPUT"])
    assert snapshot(coso) == before


def test_decompose_through_qgis_process_leaves_inputs_alone(qgis_process_env, pair):
    inputs, out, asc, desc = pair
    before = snapshot(inputs)
    proc = qgis_process(
        qgis_process_env,
        {"ASCENDING": asc, "DESCENDING": desc, "OUTPUT_EAST": out / "e.tif", "OUTPUT_UP": out / "u.tif"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert snapshot(inputs) == before


def test_extra_tracks_are_named_by_their_frame(plugin, shared_data, tmp_path):
    asc = shared_data / "naf_licsbas" / "014A_04939_131313" / "vel.geo.tif"
    desc = shared_data / "naf_licsbas" / "094D_04913_101213" / "vel.geo.tif"
    _, log = run_logged(
        "losdecomp:decompose",
        {
            "ASCENDING": str(asc),
            "DESCENDING": str(desc),
            "EXTRA_TRACKS": [str(desc)],
            "OUTPUT_EAST": str(tmp_path / "e.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        },
    )
    assert "extra track 1 (094D_04913_101213) track:" in log


def test_a_given_extent_is_snapped_and_the_final_bounds_logged(plugin, pair):
    inputs, out, asc, desc = pair
    extent = (400050.0, 4000000.0 - 30020.0, 400000.0 + 20030.0, 4000000.0 - 70.0)
    res, log = run_logged(
        "losdecomp:decompose",
        {
            "ASCENDING": asc,
            "DESCENDING": desc,
            "EXTENT": f"{extent[0]},{extent[2]},{extent[1]},{extent[3]} [EPSG:32611]",
            "OUTPUT_EAST": str(out / "e.tif"),
            "OUTPUT_UP": str(out / "u.tif"),
        },
    )
    ds = gdal.Open(res["OUTPUT_UP"])
    x0, dx, _, y1, _, dy = ds.GetGeoTransform()
    bounds = (x0, y1 + dy * ds.RasterYSize, x0 + dx * ds.RasterXSize, y1)
    assert bounds == (400000.0, 3969900.0, 420100.0, 4000000.0)  # outward to whole 100 m pixels
    assert "was snapped outward" in log and "bounds " + ", ".join(f"{b:.6f}" for b in bounds) in log


def test_north_raster_without_unit_is_assumed_in_the_tracks_unit(plugin, shared_data, tmp_path):
    naf = shared_data / "naf_licsbas"
    _, log = run_logged(
        "losdecomp:decompose",
        {
            "ASCENDING": str(naf / "014A_04939_131313" / "vel.geo.tif"),
            "DESCENDING": str(naf / "094D_04913_101213" / "vel.geo.tif"),
            "NORTH_VELOCITY": str(naf / "GNSS" / "interp_N.grd"),
            "OUTPUT_EAST": str(tmp_path / f"{uuid.uuid4().hex}.tif"),
            "OUTPUT_UP": str(tmp_path / "u.tif"),
        },
    )
    assert "assumed to be the tracks' unit (mm/year)" in log


def test_project_single_track_leaves_the_input_folder_as_it_was(plugin, shared_data, tmp_path):
    frame = copy_tree(shared_data / "naf_licsbas" / "014A_04939_131313", tmp_path / "014A_04939_131313")
    before = snapshot(frame)
    res, _ = run_logged(
        "losdecomp:project_single_track",
        {
            "INPUT": str(frame / "vel.geo.tif"),
            "OUTPUT": str(tmp_path / "v.tif"),
            "OUTPUT_SIGMA": str(tmp_path / "s.tif"),
        },
    )
    assert np.isfinite(read_band(res["OUTPUT"])).any() and os.path.exists(res["OUTPUT_SIGMA"])
    assert snapshot(frame) == before
