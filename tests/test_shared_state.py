"""Runs at once share one QGIS process: none may change what another run or QGIS itself
sees afterwards (GDAL's cache size, exception mode, configuration options), whether runs
overlap, fail or are cancelled."""

import time

import numpy as np
import pytest
from osgeo import gdal

from conftest import read_band

CACHE = 768 * 1024 * 1024
CONFIG_OPTIONS = (
    "GDAL_CACHEMAX",
    "GDAL_NUM_THREADS",
    "GDAL_PAM_ENABLED",
    "CHECK_DISK_FREE_SPACE",
    "GDAL_DISABLE_READDIR_ON_OPEN",
)


@pytest.fixture(scope="module")
def big_scene(tmp_path_factory):
    import synthetic_scene

    # about 1600 x 1600 pixels: several dozen windows, so that runs really overlap
    return synthetic_scene.make_scene(str(tmp_path_factory.mktemp("big")), asc_pixel_m=12.5, desc_pixel_deg=0.00015)


def process_state():
    from insar_decomposition.core.io import gdal_mode

    return gdal.GetCacheMax(), gdal_mode.modes(), {k: gdal.GetConfigOption(k) for k in CONFIG_OPTIONS}


def params(scene, folder, tag):
    return {
        "ASCENDING": scene["asc"],
        "DESCENDING": scene["desc"],
        "OUTPUT_EAST": str(folder / f"east_{tag}.tif"),
        "OUTPUT_UP": str(folder / f"up_{tag}.tif"),
    }


def start_tasks(param_sets, cancel_at=()):
    """Start one QgsProcessingAlgRunnerTask per parameter set, all at once; ``cancel_at``
    holds, per task, the progress (percent) at which it cancels itself, or None."""
    from qgis.core import QgsApplication, QgsProcessingAlgRunnerTask, QgsProcessingContext, QgsProcessingFeedback

    class Feedback(QgsProcessingFeedback):
        def __init__(self, cancel_at):
            super().__init__()
            self.cancel_at = cancel_at
            self.highest = 0.0
            self.times = []

        def setProgress(self, progress):  # noqa: N802 (QGIS's name)
            super().setProgress(progress)
            self.times.append(time.monotonic())
            self.highest = max(self.highest, progress)
            if self.cancel_at is not None and progress >= self.cancel_at:
                self.cancel()

    runs = []
    for i, p in enumerate(param_sets):
        alg = QgsApplication.processingRegistry().createAlgorithmById("losdecomp:decompose")
        context = QgsProcessingContext()
        feedback = Feedback(cancel_at[i] if i < len(cancel_at) else None)
        task = QgsProcessingAlgRunnerTask(alg, p, context, feedback)
        done = {}
        task.executed.connect(lambda ok, results, done=done: done.update(ok=ok, results=results))
        runs.append((task, feedback, done, context))
    for task, *_ in runs:
        QgsApplication.taskManager().addTask(task)
    return runs


def wait(runs, timeout=300):
    from qgis.PyQt.QtCore import QCoreApplication

    start = time.time()
    while not all(done for _, _, done, _ in runs):
        QCoreApplication.processEvents()
        assert time.time() - start < timeout, "the tasks did not finish"
        time.sleep(0.01)


def test_two_runs_at_once_leave_gdal_as_found(plugin, big_scene, tmp_path):
    import processing

    reference = processing.run("losdecomp:decompose", params(big_scene, tmp_path, "ref"))
    gdal.SetCacheMax(CACHE)
    before = process_state()
    runs = start_tasks([params(big_scene, tmp_path, "a"), params(big_scene, tmp_path, "b")])
    wait(runs)
    assert process_state() == before
    (_, fa, _, _), (_, fb, _, _) = runs
    assert fa.times[0] < fb.times[-1] and fb.times[0] < fa.times[-1]  # the two runs overlapped
    for tag, (_, _, done, _) in zip("ab", runs):
        assert done["ok"]
        for key in ("OUTPUT_EAST", "OUTPUT_UP"):
            expected = read_band(reference[key])
            np.testing.assert_array_equal(read_band(tmp_path / f"{key[7:].lower()}_{tag}.tif"), expected)


def test_one_run_cancelled_halfway_while_the_other_completes(plugin, big_scene, tmp_path):
    import processing

    reference = processing.run("losdecomp:decompose", params(big_scene, tmp_path, "ref"))
    gdal.SetCacheMax(CACHE)
    before = process_state()
    runs = start_tasks([params(big_scene, tmp_path, "a"), params(big_scene, tmp_path, "b")], cancel_at=(None, 30.0))
    wait(runs)
    assert process_state() == before
    (_, _, done_a, _), (_, feedback_b, done_b, _) = runs
    assert done_a["ok"]
    np.testing.assert_array_equal(read_band(tmp_path / "up_a.tif"), read_band(reference["OUTPUT_UP"]))
    assert feedback_b.isCanceled() and 30.0 <= feedback_b.highest < 100.0
    assert not (tmp_path / "up_b.tif").exists() and not (tmp_path / "east_b.tif").exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
