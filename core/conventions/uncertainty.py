"""The words for uncertainty (DESIGN.md section 3c): every band description, field, layer
label and help text that gives a standard deviation says which of these kinds it is.

Imports nothing else of the plugin.

- a-priori: the 1-sigma of one value as its product states it or as the user typed it
  (a track's velocity or displacement sigma). The only kind used as a weight. A sigma of
  another kind becomes the a-priori sigma of its value when a later step weighs with it
  (a fitted velocity's sigma, weighing that velocity in a decomposition): the later step
  says so in its log.
- propagated: formal, carried through a linear estimate from a-priori sigmas (decomposed
  components, projections, GNSS in the line of sight). Omits what the a-priori sigmas omit
  and any model error.
- fit: from a fit's residuals, ``s^2 (A'A)^-1`` with ``s^2 = RSS / (n - p)`` (or a
  bootstrap, or inflated for correlated residuals: the output says which). Assumes the
  residuals are independent.
- spread: the dispersion of the values in an area or cell (a standard deviation, or
  1.4826 x the median absolute deviation: the output says which). Never a weight by itself.
- standard error of a mean: spread / sqrt(n), n the independent samples assumed.

An aggregate (the mean or median of an area's, a polygon's or a gridded cell's values) has
one a-priori sigma rule, :func:`aggregate_sigma` (:func:`sigma_of_mean`, times
:func:`median_factor` for the median), said in words by :func:`aggregate_how`, with what it
leaves out in :data:`AGGREGATE_OMITS`; samplers/area.py applies it.
"""

from typing import Optional

import numpy as np

APRIORI = "a-priori"
PROPAGATED = "propagated"
FIT = "fit"
SPREAD = "spread"
STANDARD_ERROR = "standard error"
KINDS = (APRIORI, PROPAGATED, FIT, SPREAD, STANDARD_ERROR)

#: 1.4826 x the median absolute deviation: the standard deviation of a normal distribution
#: (the robust spreads of the samplers and of the GNSS unit guard).
MAD_FACTOR = 1.4826

#: Band metadata item naming the kind of a standard-deviation band (one of KINDS).
TAG_SIGMA_KIND = "INSAR_SIGMA_KIND"

#: What each kind leaves out, said beside every output of that kind.
OMITS = {
    APRIORI: "whatever the product's own estimate leaves out",
    PROPAGATED: "spatially and temporally correlated noise the input sigmas do not describe, and model error",
    FIT: "temporally correlated residuals (the residuals are assumed independent)",
    SPREAD: "nothing about the error of any one value: it is the dispersion of the values",
    STANDARD_ERROR: "correlation between the samples (they are assumed independent)",
}

_NOUN = {
    APRIORI: "a-priori standard deviation",
    PROPAGATED: "propagated standard deviation",
    FIT: "fit standard deviation",
    SPREAD: "spread",
    STANDARD_ERROR: "standard error of the mean",
}


def label(kind: str, of: str, how: Optional[str] = None) -> str:
    """'<kind> standard deviation of <of>' (with ``how`` in brackets), the one way a
    sigma is named: ``label(PROPAGATED, "the vertical velocity")``."""
    if kind not in _NOUN:
        raise ValueError(f"unknown uncertainty kind {kind!r}: one of {', '.join(KINDS)}")
    text = f"{_NOUN[kind][0].upper()}{_NOUN[kind][1:]} of {of}"
    return f"{text} ({how})" if how else text


def field_name(kind: str, of: str) -> str:
    """A short field name for a sigma of ``of``: ``sigma_<of>`` for the a-priori,
    propagated and fit kinds (the field's alias or help says which), ``<of>_spread`` and
    ``<of>_stderr`` for the other two, so that a spread is never read as a sigma."""
    if kind == SPREAD:
        return f"{of}_spread"
    if kind == STANDARD_ERROR:
        return f"{of}_stderr"
    if kind not in _NOUN:
        raise ValueError(f"unknown uncertainty kind {kind!r}: one of {', '.join(KINDS)}")
    return f"sigma_{of}"


def standard_error(spread: object, n: object) -> object:
    """spread / sqrt(n): the standard error of a mean of ``n`` independent samples."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, np.asarray(spread, dtype=float) / np.sqrt(np.where(n > 0, n, 1.0)), np.nan)


def combine_in_quadrature(*sigmas: object) -> object:
    """sqrt(sum sigma^2) of independent sigmas; NaN where any is NaN (a missing sigma is
    unknown, never zero)."""
    total = 0.0
    for s in sigmas:
        total = total + np.square(np.asarray(s, dtype=float))
    return np.sqrt(total)


def sigma_of_mean(sum_squares: object, n_with_sigma: object, n: object) -> object:
    """The a-priori standard deviation of a mean of ``n`` values of which ``n_with_sigma``
    have a sigma, ``sum_squares`` the sum of their squared sigmas: ``rms / sqrt(n)``, the
    values without a sigma taken at the RMS sigma of those with one, every value assumed
    independent (it omits spatially correlated noise). NaN where no value has a sigma:
    a missing sigma is unknown, never zero."""
    k = np.asarray(n_with_sigma, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (k > 0) & (n > 0)
        rms2 = np.asarray(sum_squares, dtype=float) / np.where(ok, k, 1.0)
        return np.where(ok, np.sqrt(rms2 / np.where(ok, n, 1.0)), np.nan)


#: The statistic of an aggregate (the values of an area, a polygon or a gridded cell): its
#: a-priori sigma (:func:`aggregate_sigma`) depends on which.
MEAN, MEDIAN = 0, 1
STATISTICS = {MEAN: "mean", MEDIAN: "median"}

#: What the a-priori sigma of an aggregate leaves out (said beside every such output).
AGGREGATE_OMITS = ("the members are assumed independent: it omits the spatially correlated noise they share "
                   "(atmosphere, reference), so it is a lower bound where that noise dominates")  # fmt: skip


def aggregate_how(members: str, statistic: int) -> str:
    """How :func:`aggregate_sigma` is made, in words (``members``: 'points', 'pixels or points')."""
    how = f"RMS of the sigmas of its {members} / sqrt(n), {members} without one taken at that RMS"
    return how + (", x sqrt(pi n / (2 (n + c))) for the median" if statistic == MEDIAN else "")


def median_factor(n: object) -> object:
    """sigma(median) / sigma(mean) of ``n`` independent normal values of one sigma: 1 up to
    n = 2 (the median is the mean), then sqrt(pi n / (2 (n + c))) with c = 0.5 for odd n and
    1.4 for even n (within 1.5 % of simulation from n = 3), tending to sqrt(pi / 2) = 1.2533."""
    n = np.asarray(n, dtype=float)
    c = np.where(n % 2 == 1, 0.5, 1.4)
    with np.errstate(invalid="ignore"):
        return np.where(n > 2, np.sqrt(np.pi * n / (2.0 * (n + c))), 1.0)


def aggregate_sigma(sum_squares: object, n_with_sigma: object, n: object, statistic: int = MEAN) -> object:
    """The a-priori standard deviation of the mean (or median) of ``n`` members of which
    ``n_with_sigma`` have a finite sigma, ``sum_squares`` the sum of their squares: the one
    rule of areas, polygons and gridded cells (:func:`sigma_of_mean`, times
    :func:`median_factor` for the median). NaN where no member has a sigma; see
    :data:`AGGREGATE_OMITS`."""
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}: {MEAN} mean, {MEDIAN} median")
    sigma = sigma_of_mean(sum_squares, n_with_sigma, n)
    return sigma * median_factor(n) if statistic == MEDIAN else sigma
