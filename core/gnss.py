"""GNSS beside InSAR, the maths (DESIGN.md section 3b): a station's velocity in a track's
line of sight, residual statistics, and the smooth surface (offset, plane or quadratic) that
ties a track to the stations."""

from dataclasses import dataclass

import numpy as np

from .geometry import Values

OFFSET, PLANE, QUADRATIC = 0, 1, 2
MODEL_NAMES = {OFFSET: "offset", PLANE: "plane", QUADRATIC: "quadratic surface"}
TERMS = {OFFSET: 1, PLANE: 3, QUADRATIC: 6}


class SurfaceError(ValueError):
    """The stations cannot determine the surface asked for."""


def los(s: tuple, ve: Values, vn: Values, vu: Values, sign: float = 1.0) -> Values:
    """GNSS velocity seen in the line of sight, ``sign`` * s . v (sign -1: positive away)."""
    return sign * (s[0] * ve + s[1] * vn + s[2] * vu)


def los_sigma(s: tuple, se: Values, sn: Values, su: Values) -> Values:
    """Standard deviation of :func:`los` from independent component sigmas (NaN if one is unknown)."""
    return np.sqrt((s[0] * se) ** 2 + (s[1] * sn) ** 2 + (s[2] * su) ** 2)


def statistics(residual: Values) -> dict:
    """count, bias (mean), rms, std (about the mean) and median of the finite residuals."""
    r = np.asarray(residual, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return {"count": 0, "bias": float("nan"), "rms": float("nan"), "std": float("nan"), "median": float("nan")}
    return {
        "count": int(r.size),
        "bias": float(r.mean()),
        "rms": float(np.sqrt(np.mean(r**2))),
        "std": float(r.std()),
        "median": float(np.median(r)),
    }


def describe(stats: dict, unit: str) -> str:
    """The statistics in one line."""
    if not stats["count"]:
        return "no station"
    u = f" {unit}" if unit else ""
    return (
        f"{stats['count']} stations, bias (mean) {stats['bias']:.4g}{u}, RMS {stats['rms']:.4g}{u}, "
        f"standard deviation {stats['std']:.4g}{u}, median {stats['median']:.4g}{u}"
    )


@dataclass(frozen=True)
class Surface:
    """c0 + c1 x' + c2 y' (+ c3 x'^2 + c4 x'y' + c5 y'^2), x' = (x - x0) / scale, y' likewise:
    centred and scaled coordinates keep the fit well conditioned in degrees or metres."""

    model: int
    x0: float
    y0: float
    scale: float
    coefficients: tuple

    def _columns(self, x, y):
        xs, ys = (
            (np.asarray(x, dtype=np.float64) - self.x0) / self.scale,
            (np.asarray(y, dtype=np.float64) - self.y0) / self.scale,
        )
        return design(self.model, xs, ys)

    def __call__(self, x, y):
        cols = self._columns(x, y)
        return sum(c * col for c, col in zip(self.coefficients, cols))

    def describe(self) -> str:
        names = ("offset", "x", "y", "x^2", "xy", "y^2")[: len(self.coefficients)]
        terms = ", ".join(f"{n} {c:.6g}" for n, c in zip(names, self.coefficients))
        return (
            f"{MODEL_NAMES[self.model]}: {terms} (x' = (x - {self.x0:.6f}) / {self.scale:.6g}, "
            f"y' = (y - {self.y0:.6f}) / {self.scale:.6g}, in the track's CRS)"
        )


def design(model: int, xs: np.ndarray, ys: np.ndarray) -> list:
    """The columns of the surface model at scaled coordinates."""
    one = np.ones_like(xs)
    cols = [one]
    if model >= PLANE:
        cols += [xs, ys]
    if model >= QUADRATIC:
        cols += [xs * xs, xs * ys, ys * ys]
    return cols


def fit_surface(x: Values, y: Values, residual: Values, model: int) -> Surface:
    """Least-squares surface through the residuals (InSAR - GNSS) at the stations, equal
    weights: stations are few, and their InSAR and GNSS errors are both rarely known well."""
    if model not in MODEL_NAMES:
        raise SurfaceError(f"unknown surface model {model}: 0 offset, 1 plane, 2 quadratic")
    x, y, r = (np.asarray(a, dtype=np.float64) for a in (x, y, residual))
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(r)
    x, y, r = x[ok], y[ok], r[ok]
    need = TERMS[model]
    if r.size < need:
        raise SurfaceError(
            f"a {MODEL_NAMES[model]} needs at least {need} stations with InSAR and GNSS values, there are {r.size}"
        )
    x0, y0 = float(x.mean()), float(y.mean())
    scale = float(max(np.abs(x - x0).max(), np.abs(y - y0).max())) or 1.0
    a = np.column_stack(design(model, (x - x0) / scale, (y - y0) / scale))
    coef, _, rank, _ = np.linalg.lstsq(a, r, rcond=None)
    if rank < need:
        raise SurfaceError(
            f"the stations cannot determine a {MODEL_NAMES[model]} (they lie on a line, or too close together); "
            "use a simpler model"
        )
    return Surface(model, x0, y0, scale, tuple(float(c) for c in coef))
