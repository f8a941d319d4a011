"""merge_frames with GNSS held fixed: the offsets' sigmas, from two variance components (the
overlaps' and the stations'), checked by Monte Carlo against the scatter of the estimated
offsets over many noise draws. The station rows carry the whole datum, so their own scatter
(GNSS - InSAR), not the overlaps', must set the datum's sigma: frames without sigmas (equal
weights) and weighted frames whose GNSS sigma understates the real GNSS - InSAR scatter."""

import numpy as np
import pytest

from insar_decomposition.core.solve import frames as solver

CENTRES = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)]
PIXEL_NOISE = 0.2
GNSS_NOISE = 2.0  # the real scatter of GNSS - InSAR at a station, in the line of sight
ERR = np.array([2.0, 5.0, -3.0])  # each frame's offset from the truth


def _draw(rng, model, weighted, declared, stations=10):
    """One noise draw: overlaps of 1-2 and 2-3 (400 pixels each), ``stations`` stations spread
    over the frames; returns the fit."""
    normals = solver.Normals(CENTRES, model, 10.0)
    w_pix = 1.0 / (2 * PIXEL_NOISE**2) if weighted else None
    for i, j, x0 in ((0, 1, 4.0), (1, 2, 14.0)):
        x, y = rng.uniform(x0, x0 + 2, 400), rng.uniform(-5, 5, 400)
        di = ERR[i] + rng.normal(0, PIXEL_NOISE, 400)
        dj = ERR[j] + rng.normal(0, PIXEL_NOISE, 400)
        normals.add(i, j, x, y, di, dj, None if w_pix is None else np.full(400, w_pix))
    sx, sy = np.linspace(-4, 24, stations), np.resize([-4.0, 4.0, 0.0], stations)
    g = rng.normal(0, GNSS_NOISE, stations)  # the truth is 0 everywhere
    frame = np.clip(((sx + 5) // 10).astype(int), 0, 2)
    w_st = 1.0 / (declared**2 + PIXEL_NOISE**2) if weighted else normals.mean_weight
    normals.station_apriori = weighted
    for k in range(3):
        on = frame == k
        d = ERR[k] + rng.normal(0, PIXEL_NOISE, on.sum())
        normals.add_stations(k, sx[on], sy[on], d, g[on], np.full(on.sum(), w_st), np.flatnonzero(on))
    normals.gnss_stations = stations
    return solver.solve(normals, None, ["a", "b", "c"])


@pytest.mark.parametrize("model,weighted,declared", [(solver.OFFSET, False, np.nan), (solver.PLANE, False, np.nan),
                                                     (solver.OFFSET, True, 0.3), (solver.PLANE, True, 0.3),
                                                     (solver.OFFSET, True, GNSS_NOISE)])  # fmt: skip
def test_offset_sigmas_match_the_scatter_of_the_offsets(model, weighted, declared):
    rng = np.random.default_rng(5)
    errors, sigmas = [], []
    for _ in range(300):
        fit = _draw(rng, model, weighted, declared)
        errors.append(fit.params[:, 0] + ERR)
        sigmas.append(fit.sigmas[:, 0])
    scatter, stated = np.std(errors, axis=0), np.mean(sigmas, axis=0)
    print(f"\nMODEL {model}, weighted {weighted}, declared {declared}: scatter {scatter}, stated {stated}")
    assert stated == pytest.approx(scatter, rel=0.25)


def test_exactly_determined_station_factor_is_not_estimated_and_says_so():
    rng = np.random.default_rng(1)
    fit = _draw(rng, solver.OFFSET, True, 0.3, stations=1)
    assert fit.variance["stations_estimated"] is False and fit.variance["stations"] == 1.0
    fit = _draw(rng, solver.OFFSET, False, np.nan, stations=1)  # equal weights: as one overlap pixel
    assert fit.variance["stations_estimated"] is False
    assert fit.variance["stations"] == pytest.approx(fit.variance["overlaps"])
    fit = _draw(rng, solver.OFFSET, True, 0.3, stations=10)
    assert fit.variance["stations_estimated"] is True and fit.variance["stations"] > 10
