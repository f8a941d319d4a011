"""The dialog's other paths: stacks (velocity over a window, or east/up time series on common
dates, chained with progress and cancel) and GNSS (each track referenced to the stations
before decomposing, east/up compared after, the RMS in the run summary)."""

import numpy as np
from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer
from test_decompose_timeseries import ts_pair  # noqa: F401 (a fixture)
from test_dialog import wait_for
from test_dialog_desktop import fresh  # noqa: F401 (a fixture)
from test_gnss import EPSG, GT, station_pixels
from test_gnss_algorithms import tracks, write_csv  # noqa: F401 (tracks is a fixture)

import synthetic_scene as scene
from conftest import read_band


def _layers(paths, names):
    layers = [QgsRasterLayer(str(p), name) for p, name in zip(paths, names)]
    QgsProject.instance().addMapLayers(layers)
    return layers


def _group_layers():
    group = QgsProject.instance().layerTreeRoot().children()[0]
    return group.name(), [child.layer() for child in group.children()]


def _with_noise(path, sigma, seed):
    """``path`` with Gaussian noise added to every band, in place (a fitted velocity's sigma is
    then never 0: a noise-free stack fits some pixels exactly, or not, by float rounding)."""
    from osgeo import gdal

    rng = np.random.default_rng(seed)
    ds = gdal.Open(str(path), gdal.GA_Update)
    for b in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(b)
        data = band.ReadAsArray().astype(np.float64)
        band.WriteArray((data + rng.normal(0, sigma, data.shape)).astype(np.float32))
    ds = None
    return path


def test_stacks_give_a_velocity_over_one_window_for_both_tracks(fresh, ts_pair, tmp_path):  # noqa: F811
    paths, (asc, desc), (ve, vu), _ = ts_pair
    for seed, key in enumerate(("asc", "desc")):
        _with_noise(paths[key], 0.5, seed)
    _layers([paths["asc"], paths["desc"]], ["asc stack", "desc stack"])
    dlg = fresh()
    assert dlg.stacks_mode() and dlg.timeSeries.isVisibleTo(dlg)
    assert set(dlg.timeSeries.timeline.tracks) == {"asc stack", "desc stack"}
    common = (max(asc[0], desc[0]), min(asc[-1], desc[-1]))
    assert (dlg.timeSeries.start.text(), dlg.timeSeries.end.text()) == tuple(str(d) for d in common)
    assert "Common span" in dlg.timeSeries.note.text()
    dlg.timeSeries.mode.setCurrentIndex(0)
    assert not dlg.ascBand.isVisibleTo(dlg) and "displacement" in dlg.tracksGroup.title()
    assert dlg.ascSigmaLabel.text().startswith("Ascending LOS velocity over the window: a-priori standard deviation")
    dlg.upOutput.setFilePath(str(tmp_path / "up.tif"))
    dlg.sigmaOutputs.setChecked(True)  # the velocities' fit sigmas carry to decompose
    dlg.run()
    assert [s.algorithm for s in dlg.chain.steps] == ["losdecomp:velocity"] * 2 + ["losdecomp:decompose"]
    wait_for(lambda: dlg.task is None and (dlg.summary.text().startswith("<b>Done") or "Cannot" in dlg.summary.text()))
    assert "Done" in dlg.summary.text(), dlg.summary.text()
    assert all(dlg.chain.results[t]["OUTPUT_SIGMA"] for t in ("ASCENDING", "DESCENDING"))
    up = read_band(str(tmp_path / "up.tif"))
    sigma_up = read_band(dlg.chain.results["main"]["OUTPUT_SIGMA_UP"])
    ok = np.isfinite(up)
    # linear motion plus 0.5 mm of noise per acquisition: every pixel solved, the velocity within
    # its propagated sigma (from the fits' sigmas, so the sigmas reached decompose)
    assert ok.all() and np.isfinite(sigma_up).all() and (sigma_up > 0).all()
    z = (up - vu) / sigma_up
    assert np.abs(z).max() < 6 and 0.5 < z.std() < 2, z.std()
    window = f"{common[0]} to {common[1]}"
    name, layers = _group_layers()
    assert name == f"East and vertical velocity · asc stack + desc stack · {window}"
    assert [lyr.name() for lyr in layers] == [
        f"{what} (mm/year) · asc stack + desc stack · {window}"
        for what in ("Vertical velocity", "East velocity", "Vertical velocity propagated standard deviation",
                     "East velocity propagated standard deviation")
    ]  # fmt: skip
    assert len(QgsProject.instance().mapLayers()) == 2 + 4  # the stacks and the results, nothing else
    summary = dlg.summary.text()
    for line in (f"asc stack: window: {window}", f"desc stack: window: {window}", "model: linear"):
        assert summary.count(line) == 1, summary
    lines = summary.split("<br>")
    assert len(lines) == len(set(lines)), summary


def test_stacks_give_east_and_up_time_series_on_common_dates(fresh, ts_pair, tmp_path, monkeypatch):  # noqa: F811
    """Named by the layers (not the files) and the dates they span; each dated output loaded
    as Processing loads one: its last date drawn, per-band temporal ranges asked for."""
    from insar_decomposition.provider import styling, temporal

    ranged = []
    monkeypatch.setattr(styling, "set_band_ranges", lambda layer, dates=None: ranged.append(layer.source()))
    paths, _, _, _ = ts_pair
    _layers([paths["asc"], paths["desc"]], ["asc stack", "desc stack"])
    dlg = fresh()
    dlg.timeSeries.mode.setCurrentIndex(1)
    assert not dlg.timeSeries.start.isVisibleTo(dlg) and dlg.timeSeries.max_gap.isVisibleTo(dlg)
    for label, side in ((dlg.ascSigmaLabel, "Ascending"), (dlg.descSigmaLabel, "Descending")):
        assert label.text() == f"{side} LOS displacement stack: a-priori standard deviation of each date's value"
    dlg.run()
    assert len(dlg.chain.steps) == 1
    wait_for(lambda: dlg.task is None and ("Done" in dlg.summary.text() or "Cannot" in dlg.summary.text()))
    assert "east and vertical time series" in dlg.summary.text(), dlg.summary.text()
    name, layers = _group_layers()
    dates = sorted(temporal.band_dates(layers[0]).values())
    span = f"asc stack + desc stack, {dates[0]} to {dates[-1]}, interpolated in time, {len(dates)} dates"
    assert name == f"East and vertical displacement · {span}"
    assert [lyr.name() for lyr in layers] == [f"{what} (mm) · {span}" for what in ("Vertical displacement",
                                                                                   "East displacement")]
    assert layers[0].bandCount() > 10 and len(QgsProject.instance().mapLayers()) == 2 + 2
    for layer in layers:
        assert temporal.rendered_band(layer) == max(temporal.band_dates(layer).items(), key=lambda b: b[1])[0]
    assert sorted(ranged) == sorted(lyr.source() for lyr in layers)


def test_gnss_references_each_track_and_the_summary_gives_the_rms(fresh, tracks, tmp_path):  # noqa: F811
    rows, cols = station_pixels(30, seed=6)
    csv = write_csv(tmp_path / "g.csv", rows, cols)
    uri = f"file://{csv}?type=csv&xField=lon&yField=lat&crs=EPSG:4326&detectTypes=yes&geomType=point"
    gnss = QgsVectorLayer(uri, "stations", "delimitedtext")
    assert gnss.isValid()
    QgsProject.instance().addMapLayer(gnss)
    _layers([tracks["asc"], tracks["desc"]], ["asc", "desc"])
    dlg = fresh()
    dlg.gnssLayer.setLayer(gnss)
    dlg.run()
    assert [step[1] for step in dlg.chain.steps] == ["losdecomp:reference_to_gnss"] * 2 + [
        "losdecomp:decompose", "losdecomp:compare_to_gnss"]  # fmt: skip
    wait_for(lambda: dlg.task is None and ("GNSS:" in dlg.summary.text() or "Cannot" in dlg.summary.text()))
    assert "GNSS: 30 stations, east RMS" in dlg.summary.text(), dlg.summary.text()
    assert "up RMS" in dlg.summary.text() and " mm/year, up RMS" in dlg.summary.text(), dlg.summary.text()
    names = sorted(lyr.name() for lyr in QgsProject.instance().mapLayers().values())
    assert names == sorted(
        [
            "asc",
            "desc",
            "stations",
            "Vertical velocity (mm/year) · asc + desc",
            "East velocity (mm/year) · asc + desc",
            "GNSS stations: east and up residuals (decomposition - GNSS) · asc + desc",
        ]
    ), names
    residuals = QgsProject.instance().mapLayersByName(next(n for n in names if n.startswith("GNSS")))
    assert residuals and residuals[0].featureCount() == 30 and "up_residual" in residuals[0].fields().names()


def _stack_of(velocity_path, out_path, start, days=12, count=25):
    """A dated stack (mm) whose motion is the velocity raster's, linear in time, keeping its tags."""
    import datetime

    from osgeo import gdal

    ds = gdal.Open(velocity_path)
    v = ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
    dates = [start + datetime.timedelta(days=days * i) for i in range(count)]
    t = np.array([(d - dates[0]).days / 365.25 for d in dates])[:, None, None]
    tags = {k: v for k, v in ds.GetMetadata().items() if k != "INSAR_UNIT"}
    path = scene.write_raster(str(out_path), (v[None] * t).astype(np.float32), EPSG, GT, float("nan"), tags, "mm")
    out = gdal.Open(path, gdal.GA_Update)
    for i, d in enumerate(dates, start=1):
        out.GetRasterBand(i).SetMetadataItem("INSAR_DATE", d.strftime("%Y%m%d"))
    out = None
    return path


def test_stacks_with_gnss_chain_velocity_then_reference_then_decompose(fresh, tracks, tmp_path):  # noqa: F811
    """Stacks and a GNSS layer: each track's velocity over the window, referenced to the
    stations, decomposed, compared; the per-pixel geometry of the ascending frame is carried
    through the velocity step."""
    import datetime

    rows, cols = station_pixels(30, seed=6)
    csv = write_csv(tmp_path / "g.csv", rows, cols)
    uri = f"file://{csv}?type=csv&xField=lon&yField=lat&crs=EPSG:4326&detectTypes=yes&geomType=point"
    gnss = QgsVectorLayer(uri, "stations", "delimitedtext")
    QgsProject.instance().addMapLayer(gnss)
    frame = tmp_path / "asc"
    frame.mkdir()
    for name in "ENU":  # the ascending frame's per-pixel geometry, beside its stack
        (frame / f"{name}.geo.tif").write_bytes((tracks["root"] / "asc" / f"{name}.geo.tif").read_bytes())
    asc = _stack_of(tracks["asc"], frame / "cum.tif", datetime.date(2020, 1, 3))
    desc = _stack_of(tracks["desc"], tmp_path / "desc_stack.tif", datetime.date(2020, 1, 8))
    _layers([asc, desc], ["asc stack", "desc stack"])
    dlg = fresh()
    assert dlg.stacks_mode()
    dlg.timeSeries.mode.setCurrentIndex(0)
    dlg.gnssLayer.setLayer(gnss)
    dlg.run()
    assert [step[1] for step in dlg.chain.steps] == ["losdecomp:velocity"] * 2 + ["losdecomp:reference_to_gnss"] * 2 + [
        "losdecomp:decompose", "losdecomp:compare_to_gnss"]  # fmt: skip
    wait_for(lambda: dlg.task is None and ("GNSS:" in dlg.summary.text() or "Cannot" in dlg.summary.text()))
    assert "GNSS: 30 stations, east RMS" in dlg.summary.text(), dlg.summary.text()
    compared = [lyr for lyr in QgsProject.instance().mapLayers().values() if lyr.type() == lyr.VectorLayer]
    rms = dlg.summary.text().split("up RMS")[1]
    assert compared and float(rms.split()[0].strip(" ,:")) < 0.5, dlg.summary.text()  # the ramps are gone
    dlg.timeSeries.mode.setCurrentIndex(1)
    dlg.run()
    assert "GNSS referencing applies to velocities" in dlg.summary.text()


def test_gnss_keeps_the_sigma_found_beside_a_velocity(fresh, tracks, tmp_path):  # noqa: F811
    """A velocity pair with a sigma found beside the layer (LiCSBAS vstd.geo.tif) or picked in
    the dialog, referenced to GNSS: the decomposition still has each track's a-priori sigma and
    writes the propagated standard deviations."""
    import shutil

    from osgeo import gdal

    rows, cols = station_pixels(30, seed=6)
    csv = write_csv(tmp_path / "g.csv", rows, cols)
    uri = f"file://{csv}?type=csv&xField=lon&yField=lat&crs=EPSG:4326&detectTypes=yes&geomType=point"
    gnss = QgsVectorLayer(uri, "stations", "delimitedtext")
    QgsProject.instance().addMapLayer(gnss)
    frame = tmp_path / "asc"
    shutil.copytree(tracks["root"] / "asc", frame)
    v = read_band(str(frame / "vel.geo.tif"))
    sigma_path = scene.write_raster(str(frame / "vstd.geo.tif"), np.full(v.shape, 2.0, np.float32), EPSG, GT,
                                    float("nan"), None, "mm/year")  # fmt: skip
    desc_sigma = scene.write_raster(str(tmp_path / "desc_sigma.tif"), np.full(v.shape, 3.0, np.float32), EPSG, GT,
                                    float("nan"), None, "mm/year")  # fmt: skip
    asc, desc, dsig = _layers([frame / "vel.geo.tif", tracks["desc"], desc_sigma], ["asc", "desc", "desc sigma"])
    dlg = fresh()
    dlg.ascLayer.setLayer(asc)
    dlg.descLayer.setLayer(desc)
    dlg.descSigma.setLayer(dsig)
    dlg.gnssLayer.setLayer(gnss)
    dlg.sigmaOutputs.setChecked(True)
    dlg.sigmaUpOutput.setFilePath(str(tmp_path / "su.tif"))
    dlg.run()
    wait_for(lambda: dlg.task is None and ("GNSS:" in dlg.summary.text() or "Cannot" in dlg.summary.text()))
    assert "GNSS:" in dlg.summary.text(), dlg.summary.text()
    su = read_band(str(tmp_path / "su.tif"))
    assert np.isfinite(su).mean() > 0.5
    assert gdal.Info(str(tmp_path / "su.tif")).count("propagated") >= 1
    # reference_to_gnss carried the vstd as its a-priori band 2, and says so; the descending
    # track had none beside it (its sigma is the dialog's layer, given to decompose)
    ds = gdal.Open(dlg.chain.results["ASCENDING GNSS"]["OUTPUT"])
    band = ds.GetRasterBand(2)
    assert band.GetMetadataItem("INSAR_SIGMA_KIND") == "a-priori" and "vstd.geo.tif" in band.GetDescription()
    assert np.allclose(band.ReadAsArray()[np.isfinite(v)], 2.0)
    assert any("carried unchanged as band 2" in line for line in dlg.chain.logs["ASCENDING GNSS"])
    assert any("none carried" in line for line in dlg.chain.logs["DESCENDING GNSS"])
    assert sigma_path


def test_stacks_give_a_time_function_model_of_east_and_up(fresh, ts_pair, tmp_path):  # noqa: F811
    """The third result: the stacks decomposed on common dates, then fit_time_functions on the
    east and on the up stack over the window; the parameters named by component, tracks, model
    and window; linear motion gives back the true east/up velocities."""
    paths, _, (ve, vu), _ = ts_pair
    _layers([paths["asc"], paths["desc"]], ["asc stack", "desc stack"])
    dlg = fresh()
    dlg.timeSeries.mode.setCurrentIndex(2)
    ts = dlg.timeSeries
    assert ts.start.isVisibleTo(dlg) and ts.functions.polynomial.isVisibleTo(dlg) and ts.max_gap.isVisibleTo(dlg)
    from qgis.PyQt.QtCore import Qt

    assert not ts.model.isVisibleTo(dlg)
    assert "not fitted to each track" in ts.mode.itemData(2, Qt.ItemDataRole.ToolTipRole)
    ts.functions.periods.setText("1")
    dlg.run()
    assert [s.algorithm for s in dlg.chain.steps] == ["losdecomp:decompose_timeseries"] + [
        "losdecomp:fit_time_functions"] * 2  # fmt: skip
    wait_for(lambda: dlg.task is None and ("Done" in dlg.summary.text() or "Cannot" in dlg.summary.text()))
    assert "time-function models" in dlg.summary.text(), dlg.summary.text()
    assert "time functions:" in dlg.summary.text() and "model: " in dlg.summary.text(), dlg.summary.text()
    window = f"{ts.start.text()} to {ts.end.text()}"
    names = {lyr.name(): lyr for lyr in QgsProject.instance().mapLayers().values()}
    assert len(names) == 2 + 2 + 2, sorted(names)  # the stacks, east/up stacks, east/up parameters
    for component, truth in (("east", ve), ("up", vu)):
        fitted = [k for k in names if k.startswith("Time functions") and f"· {component} of asc stack + desc stack"
                  in k]  # fmt: skip
        assert len(fitted) == 1, sorted(names)
        assert "(degree 1 + periods 1)" in fitted[0] and fitted[0].count("20") >= 2, fitted[0]
        velocity = read_band(names[fitted[0]].source(), 3)
        ok = np.isfinite(velocity)
        assert ok.mean() > 0.5 and np.allclose(velocity[ok], truth[ok], atol=1e-2)
    assert window
