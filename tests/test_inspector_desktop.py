"""The time-series inspector on the real QGIS desktop (Xvfb): scripts/inspector_screenshot.py
decomposes a synthetic stack pair with sigmas, loads both tracks and east/up, opens the
inspector, clicks the map canvas (then a reference), and checks the dock's data against the
rasters; it exits non-zero when they differ or a step did not happen."""

import shutil
import subprocess
import sys

import pytest

import package
from conftest import ROOT


@pytest.mark.e2e
def test_a_click_on_the_desktop_canvas_plots_the_rasters_values(tmp_path):
    if not (shutil.which("Xvfb") and shutil.which("qgis")):
        pytest.skip("Xvfb or the qgis desktop is not installed")
    zip_path = package.build(str(tmp_path / "insar_decomposition.zip"))
    out, work = tmp_path / "img", tmp_path / "work"  # docs/img is left alone: make screenshots updates it
    cmd = [sys.executable, str(ROOT / "scripts" / "inspector_screenshot.py"), "--zip", zip_path, "--out", str(out),
           "--work", str(work), "--timeout", "300", "--startup-timeout", "120"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=420)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "the dock's data equal the rasters" in proc.stdout
    for png in ("inspector_tracks_east_up.png", "inspector_reference.png"):
        assert (out / png).stat().st_size > 10000


def test_the_check_names_a_dock_value_that_differs_from_the_raster(tmp_path):
    import inspector_screenshot as shot
    import numpy as np
    from series_stacks import DATES, centre, truth, write_stack

    paths = {name: write_stack(tmp_path / f"{name}.tif", truth(offset=k)) for k, name in enumerate(shot.LAYERS)}
    sigma = write_stack(tmp_path / "sigma.tif", 0 * truth() + 0.5)
    x, y = centre(2, 3)
    v = truth().astype(np.float32).astype(float)

    def shown(shift=0.0, sigma_path=sigma):
        series = {name: {"dates": [d.isoformat() for d in DATES], "value": list(v[:, 2, 3] + k + shift),
                         "sigma": [0.5] * len(DATES), "unit": "mm"} for k, name in enumerate(shot.LAYERS)}  # fmt: skip
        files = {name: [paths[name], sigma_path if name in ("east", "up") else None] for name in shot.LAYERS}
        return {"places": [[x, y]], "series": series, "files": files, "markers": 1}

    assert shot.check(shown(), shot.LAYERS) == []
    assert "up: values differ from the raster at 6 dates" in " ".join(shot.check(shown(0.01), shot.LAYERS))
    assert "east: its sigma stack was not paired" in shot.check(shown(sigma_path=None), shot.LAYERS)
    assert "the dock shows" in shot.check(shown(), shot.LAYERS + ("north",))[0]
