"""Defects found by the scientist's review of issue 31 (sample_timeseries,
export_points_timeseries, the inspector's state), each as a known-answer test; no QGIS."""

import numpy as np
from osgeo import gdal
from series_stacks import centre, truth, utm_wkt, write_stack

from insar_decomposition.core.runs import series_run as sr
from insar_decomposition.core.samplers import series as ts

gdal.UseExceptions()
F32 = truth().astype(np.float32).astype(np.float64)


def test_layers_of_the_same_name_keep_their_own_reference_and_distinct_names(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    pa = write_stack(tmp_path / "a" / "up.tif", truth())
    pb = write_stack(tmp_path / "b" / "up.tif", truth(offset=100.0))
    ref = ts.Target(utm_wkt(), *centre(0, 0))
    out = sr.sample(sr.SampleRequest([(pa, "up"), (pb, "up")], [(1, *centre(2, 6))], utm_wkt(), reference=ref))
    names = sorted({r[1] for r in out.rows})
    assert names == ["a/up", "b/up"]
    expected = F32[:, 2, 6] - F32[:, 0, 0]
    for name in names:
        np.testing.assert_allclose([r[3] for r in out.rows if r[1] == name], expected, atol=1e-4)


def test_the_same_file_twice_gets_a_numbered_name(tmp_path):
    p = write_stack(tmp_path / "up.tif", truth())
    layers = sr.open_layers([(p, "up"), (p, "up")])
    assert [la.name for la in layers] == ["up", "up #2"]


def test_the_inspector_keys_references_by_layer_not_by_name(tmp_path):
    from insar_decomposition.ui.inspector.state import InspectorState

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    pa = write_stack(tmp_path / "a" / "up.tif", truth())
    pb = write_stack(tmp_path / "b" / "up.tif", truth(offset=100.0))
    st = InspectorState()
    st.set_layers([(pa, "up"), (pb, "up")])
    st.reference = ts.Target(utm_wkt(), *centre(0, 0))
    st.place(ts.Target(utm_wkt(), *centre(2, 6)))
    st.compute()
    got = {s.layer: s.value for _, s in st.data}
    assert sorted(got) == ["a/up", "b/up"]
    for value in got.values():
        np.testing.assert_allclose(value, F32[:, 2, 6] - F32[:, 0, 0], atol=1e-4)


def _sigma_stack(path, value=7.0, gt=None):
    from series_stacks import GT

    tracks = '["asc.tif", "desc.tif"]'
    return write_stack(path, value + 0.0 * truth(), gt=gt or GT,
                       tags={"LOSDECOMP_PRODUCT": "sigma_up", "LOSDECOMP_TRACKS": tracks},
                       band_tags={"INSAR_SIGMA_KIND": "propagated"})  # fmt: skip


def test_a_sigma_stack_on_another_grid_or_from_another_folder_is_not_paired(tmp_path):
    from series_stacks import GT, decomposed_pair

    up, _ = decomposed_pair(tmp_path)
    (tmp_path / "sigma_up.tif").unlink()
    for folder, gt in (("shifted", (GT[0] + 5, GT[1], 0.0, GT[3] - 5, 0.0, GT[5])), ("other_run", GT)):
        (tmp_path / folder).mkdir()
        sigma = _sigma_stack(tmp_path / folder / "sigma_up.tif", gt=gt if folder == "shifted" else None)
        layers = sr.open_layers([(up, "up"), (sigma, "sigma_up")])
        assert [(la.name, la.sigma_path) for la in layers] == [("up", None), ("sigma_up", None)], folder


def test_one_sigma_stack_goes_with_one_value_layer(tmp_path):
    from series_stacks import decomposed_pair

    up, sigma = decomposed_pair(tmp_path)
    copy = write_stack(tmp_path / "up_again.tif", truth(), tags=dict(gdal.Open(up).GetMetadata()))
    layers = sr.open_layers([(up, "up"), (copy, "up_again"), (sigma, "sigma_up")])
    assert [(la.name, la.sigma_path) for la in layers] == [("up", sigma), ("up_again", None)]


def test_a_sigma_stack_is_never_referenced_nor_zeroed(tmp_path):
    from series_stacks import DATES

    from insar_decomposition.ui.inspector.state import InspectorState

    sigma = write_stack(tmp_path / "sigma_east.tif", 0.5 + 0.0 * truth() + 0.1 * np.arange(6)[:, None, None],
                        tags={"LOSDECOMP_PRODUCT": "sigma_east", "LOSDECOMP_TRACKS": "[]"})  # fmt: skip
    ref = ts.Target(utm_wkt(), *centre(0, 0))
    req = sr.SampleRequest([(sigma, "")], [(1, *centre(2, 6))], utm_wkt(), reference=ref, reference_date=DATES[3])
    out = sr.sample(req)
    np.testing.assert_allclose([r[3] for r in out.rows], 0.5 + 0.1 * np.arange(6), rtol=1e-6)
    assert any("sigma_east: a sigma stack: not referenced nor zeroed" in line for line in out.log)
    st = InspectorState()
    st.set_layers([(sigma, "sigma_east")])
    st.reference, st.reference_date = ref, DATES[3]
    st.place(ts.Target(utm_wkt(), *centre(2, 6)))
    st.compute()
    np.testing.assert_allclose(st.data[0][1].value, 0.5 + 0.1 * np.arange(6), rtol=1e-6)


def test_a_zero_date_on_nodata_at_the_point_interpolates_inside_the_valid_span_else_says_why(tmp_path):
    from series_stacks import DATES

    first = truth()
    first[0, 2, 6] = np.nan  # the first date is nodata at the point
    inner = truth()
    inner[2, 2, 6] = np.nan
    p_first = write_stack(tmp_path / "first.tif", first)
    p_inner = write_stack(tmp_path / "inner.tif", inner)
    req = sr.SampleRequest([(p_first, ""), (p_inner, "")], [(1, *centre(2, 6))], utm_wkt(),
                           reference_date=DATES[0])  # fmt: skip
    out = sr.sample(req)
    assert {r[1] for r in out.rows} == {"inner"}
    np.testing.assert_allclose([r[3] for r in out.rows], (F32[:, 2, 6] - F32[0, 2, 6])[[0, 1, 3, 4, 5]], atol=1e-5)
    assert not any("outside every layer" in w for w in out.warnings)
    said = "point 1: first: no value on both sides of 2020-01-01 there (valid from 2020-01-13"
    assert any(w.startswith(said) for w in out.warnings)
    out = sr.sample(sr.SampleRequest([(p_inner, "")], [(1, *centre(2, 6))], utm_wkt(), reference_date=DATES[2]))
    expected = F32[:, 2, 6] - 0.5 * (F32[1, 2, 6] + F32[3, 2, 6])
    np.testing.assert_allclose([r[3] for r in out.rows], expected[[0, 1, 3, 4, 5]], atol=1e-5)


def test_a_reference_without_data_is_said_with_its_dates(tmp_path):
    from series_stacks import HOLE

    t = truth()
    t[4, 0, 0] = np.nan
    p = write_stack(tmp_path / "asc.tif", t)
    point = [(1, *centre(2, 6))]
    out = sr.sample(sr.SampleRequest([(p, "")], point, utm_wkt(), reference=ts.Target(utm_wkt(), *centre(*HOLE))))
    assert out.rows == []
    assert "asc: the reference (point 1045, 1965) has no data on any date: no value relative to it" in out.warnings
    out = sr.sample(sr.SampleRequest([(p, "")], point, utm_wkt(), reference=ts.Target(utm_wkt(), *centre(0, 0))))
    assert len(out.rows) == 5
    assert "asc: the reference (point 1005, 1995) has no data on 2020-02-18: no value on that date" in out.warnings


def _line(years, y):
    a = np.c_[np.ones(len(y)), years]
    coef, res, *_ = np.linalg.lstsq(a, y, rcond=None)
    if len(y) < 3:
        return coef[1], np.nan
    return coef[1], float(np.sqrt(res[0] / (len(y) - 2) * np.linalg.inv(a.T @ a)[1, 1]))


def test_vel_from_two_dates_and_v_stdev_from_three(tmp_path):
    from series_stacks import DATES

    rng = np.random.default_rng(1)
    t = truth() + rng.normal(0, 0.3, truth().shape)
    t[:4, 5, 6] = np.nan  # two valid dates
    t[:3, 5, 7] = np.nan  # three
    p = write_stack(tmp_path / "cm.tif", t / 10.0, unit="cm")
    out = sr.export(sr.ExportRequest(p, step=1))
    stored = np.asarray(t / 10.0, dtype=np.float32).astype(np.float64) * 10.0
    years = np.array([(d - DATES[0]).days / 365.25 for d in DATES])
    for col, valid in ((6, 2), (7, 3), (5, 6)):
        k = int(np.flatnonzero(np.isclose(out.x, centre(5, col)[0]) & np.isclose(out.y, centre(5, col)[1]))[0])
        ok = np.isfinite(stored[:, 5, col])
        rate, sigma = _line(years[ok], stored[ok, 5, col])
        assert ok.sum() == valid
        np.testing.assert_allclose(out.vel[k], rate, rtol=1e-4)
        np.testing.assert_allclose(out.v_stdev[k], sigma, rtol=1e-3)
        series = ts.Series("x", DATES, stored[:, 5, col], np.ones(6), np.zeros(6), np.full(6, np.nan))
        got = ts.linear_rate(series)
        np.testing.assert_allclose([got.rate, got.sigma], [rate, sigma], rtol=1e-4)


def test_the_fit_label_says_no_sigma_with_two_dates(tmp_path):
    from insar_decomposition.ui.inspector.state import InspectorState

    t = truth()
    t[:4, 2, 6] = np.nan
    p = write_stack(tmp_path / "few.tif", t)
    st = InspectorState()
    st.set_layers([(p, "few")])
    st.place(ts.Target(utm_wkt(), *centre(2, 6)))
    st.fit = True
    st.compute()
    label = st.curves()[0][0]
    assert "nan" not in label and "no sigma: 2 dates" in label


def test_a_sigma_file_in_metres_is_converted_to_the_layers_unit(tmp_path):
    from series_stacks import DATES

    order = [5, 4, 3, 2, 1, 0]
    sigma = (0.3 + 0.1 * np.arange(6))[:, None, None] + 0 * truth()
    write_stack(tmp_path / "sig.tif", sigma[order], dates=[DATES[k] for k in order], unit="m")
    p = write_stack(tmp_path / "asc.tif", truth(), tags={"INSAR_SIGMA_FILE": "sig.tif"}, unit="mm")
    layer = ts.open_layer(p)
    s = ts.sample_series(layer, ts.Target(utm_wkt(), *centre(2, 6)))
    np.testing.assert_allclose(s.sigma, (0.3 + 0.1 * np.arange(6)) * 1000.0, rtol=1e-6)
    assert "m -> mm" in layer.sigma_source


def test_a_sigma_file_whose_unit_is_not_a_length_is_not_used_and_said(tmp_path):
    write_stack(tmp_path / "sig.tif", 0.5 + 0 * truth(), unit="rad")
    p = write_stack(tmp_path / "asc.tif", truth(), tags={"INSAR_SIGMA_FILE": "sig.tif"}, unit="mm")
    layer = ts.open_layer(p)
    assert layer.sigma_path is None and "rad" in layer.sigma_source and "not used" in layer.sigma_source


def test_a_radius_over_layers_in_metres_and_degrees_is_warned(tmp_path):
    asc = write_stack(tmp_path / "asc.tif", truth())
    gdal.Warp(str(tmp_path / "geo.tif"), asc, dstSRS="EPSG:4326", resampleAlg="near").FlushCache()
    inputs = [(asc, ""), (str(tmp_path / "geo.tif"), "")]
    out = sr.sample(sr.SampleRequest(inputs, [(1, *centre(4, 6))], utm_wkt(), radius=15.0))
    said = [w for w in out.warnings if "RADIUS" in w]
    assert len(said) == 1 and "asc: metre" in said[0] and "geo: degree" in said[0]
    out = sr.sample(sr.SampleRequest(inputs, [(1, *centre(4, 6))], utm_wkt(), radius=0.0))
    assert not [w for w in out.warnings if "RADIUS" in w]


def test_step_skips_pixels_nodata_on_every_date_and_keeps_those_with_some_and_says_so(tmp_path):
    from series_stacks import HEIGHT, HOLE, WIDTH

    from insar_decomposition.provider.time_series.series_help import EXPORT_HELP

    t = truth()
    t[2, 1, 1] = np.nan  # one nodata date
    out = sr.export(sr.ExportRequest(write_stack(tmp_path / "up.tif", t), step=1))
    assert len(out.index) == WIDTH * HEIGHT - 1  # only the hole (nodata on every date) is skipped
    assert not (np.isclose(out.x, centre(*HOLE)[0]) & np.isclose(out.y, centre(*HOLE)[1])).any()
    k = int(np.flatnonzero(np.isclose(out.x, centre(1, 1)[0]) & np.isclose(out.y, centre(1, 1)[1]))[0])
    assert np.isnan(out.values[k, 2]) and np.isfinite(out.values[k]).sum() == 5
    text = " ".join(EXPORT_HELP.split())
    assert "pixels that are nodata on every date are skipped" in text
    assert "a pixel with some nodata dates is kept, those date fields empty" in text
