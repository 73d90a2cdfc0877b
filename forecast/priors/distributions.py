"""The distribution registry: every family a prior may use, defined once, and the interval solver.

One :class:`Family` per distribution holds its parameter names (equal to PyMC's keywords), its
support, the parameter domains it may serve, the scipy call that evaluates it, the PyMC class
that samples it and the derivation of its parameters from a stated interval. The prior checks,
:class:`~forecast.priors.priorset.Prior` (scipy) and ``forecast.model.graph.random_variable``
(PyMC) all read :data:`FAMILIES`, so adding a family is one entry here (see priors/README.md).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import optimize, special, stats

from forecast.core.definitions import Domain
from forecast.core.tomlfile import format_number as _fmt

__all__ = [
    "ALL_PARAMS",
    "DISTRIBUTIONS",
    "FAMILIES",
    "INTERVAL_RTOL",
    "DerivationError",
    "Family",
    "derive_params",
    "families_for",
    "interval_matches",
    "param_problem",
    "ppf",
    "snap",
    "stated_interval",
]

# Relative tolerance within which a derived distribution must reproduce the stated interval.
INTERVAL_RTOL = 1e-6


class DerivationError(ValueError):
    """No distribution of the family has the stated interval; the message is the reason."""


_ScipyCall = tuple[Any, tuple[float, ...], dict[str, float]]
"""A scipy distribution with its shape arguments and loc/scale keywords (not frozen: freezing
builds a docstring each time and makes loading ten times slower)."""


def _normal_args(p: Mapping[str, float]) -> _ScipyCall:
    return stats.norm, (), {"loc": p["mu"], "scale": p["sigma"]}


def _lognormal_args(p: Mapping[str, float]) -> _ScipyCall:
    return stats.lognorm, (p["sigma"],), {"scale": math.exp(p["mu"])}


def _halfnormal_args(p: Mapping[str, float]) -> _ScipyCall:
    return stats.halfnorm, (), {"scale": p["sigma"]}


def _beta_args(p: Mapping[str, float]) -> _ScipyCall:
    return stats.beta, (p["alpha"], p["beta"]), {}


def _gamma_args(p: Mapping[str, float]) -> _ScipyCall:
    return stats.gamma, (p["alpha"],), {"scale": 1.0 / p["beta"]}


def _uniform_args(p: Mapping[str, float]) -> _ScipyCall:
    return stats.uniform, (), {"loc": p["lower"], "scale": p["upper"] - p["lower"]}


def _z(prob: float) -> float:
    """Standard-normal quantile for an equal-tailed interval of probability ``prob``."""
    return float(stats.norm.ppf((1.0 + prob) / 2.0))


def _tails(prob: float) -> tuple[float, float]:
    """Lower and upper tail quantile levels of an equal-tailed interval."""
    return (1.0 - prob) / 2.0, (1.0 + prob) / 2.0


def _derive_normal(lo: float, hi: float, prob: float) -> dict[str, float]:
    return {"mu": lo / 2.0 + hi / 2.0, "sigma": (hi / 2.0 - lo / 2.0) / _z(prob)}


def _derive_lognormal(lo: float, hi: float, prob: float) -> dict[str, float]:
    if lo <= 0:
        raise DerivationError(
            f"lognormal needs a lower bound above 0 (its values are positive), got {_fmt(lo)}"
        )
    return _derive_normal(math.log(lo), math.log(hi), prob)


def _derive_halfnormal(lo: float, hi: float, prob: float) -> dict[str, float]:
    if lo != 0:
        raise DerivationError(
            "a halfnormal interval is [0, upper] (prob is the mass below upper), "
            f"got lower bound {_fmt(lo)}"
        )
    return {"sigma": hi / _z(prob)}


_UNDERFLOW_GAP = 1e6  # a large finite log-ratio gap keeps brentq's bracket signs meaningful


def _derive_gamma(lo: float, hi: float, prob: float) -> dict[str, float]:
    """Shape from the ratio hi/lo (scale-free), then the rate from hi; solved with brentq."""
    if lo <= 0:
        raise DerivationError(
            f"gamma needs a lower bound above 0 (its values are positive), got {_fmt(lo)}"
        )
    q_lo, q_hi = _tails(prob)
    target = math.log(hi) - math.log(lo)

    def gap(log_shape: float) -> float:
        shape = math.exp(log_shape)
        upper = special.gammaincinv(shape, q_hi)
        lower = special.gammaincinv(shape, q_lo)
        if not lower > 0 or not math.isfinite(upper):
            return _UNDERFLOW_GAP  # lower quantile underflowed: the ratio is "infinitely" wide
        return math.log(upper) - math.log(lower) - target

    bracket = (math.log(1e-4), math.log(1e12))
    ends = (gap(bracket[0]), gap(bracket[1]))
    if not (ends[0] > 0 > ends[1]):
        width = "wide" if ends[0] <= 0 else "narrow"
        raise DerivationError(
            f"no gamma distribution has the equal-tailed interval [{_fmt(lo)}, {_fmt(hi)}] "
            f"at prob {_fmt(prob)}: the interval is too {width} (ratio {_fmt(hi / lo)})"
        )
    log_shape = optimize.brentq(gap, *bracket, xtol=1e-14, rtol=1e-15, maxiter=500)
    shape = math.exp(log_shape)
    scale = hi / special.gammaincinv(shape, q_hi)
    return {"alpha": shape, "beta": 1.0 / scale}


def _derive_beta(lo: float, hi: float, prob: float) -> dict[str, float]:
    """For each alpha, the beta that puts hi at the upper quantile; then alpha from lo (brentq)."""
    if not (0 < lo < hi < 1):
        raise DerivationError(
            f"beta needs 0 < lower < upper < 1 (its values lie in (0, 1)), "
            f"got [{_fmt(lo)}, {_fmt(hi)}]"
        )
    q_lo, q_hi = _tails(prob)

    def beta_for(alpha: float) -> float:
        return float(special.btdtrib(alpha, q_hi, hi))

    def gap(log_alpha: float) -> float:
        alpha = math.exp(log_alpha)
        b = beta_for(alpha)
        if not (b > 0 and math.isfinite(b)):
            return math.nan
        return float(special.betainc(alpha, b, lo)) - q_lo

    # gap falls from q_hi - q_lo (alpha -> 0) to -q_lo (alpha -> inf): scan up to the sign change.
    grid = np.linspace(math.log(1e-4), math.log(1e8), 61)
    previous = (float(grid[0]), gap(float(grid[0])))
    for point in grid[1:]:
        current = (float(point), gap(float(point)))
        if (
            math.isfinite(previous[1])
            and math.isfinite(current[1])
            and previous[1] >= 0 >= current[1]
        ):
            log_alpha = optimize.brentq(
                gap, previous[0], current[0], xtol=1e-14, rtol=1e-15, maxiter=500
            )
            alpha = math.exp(log_alpha)
            return {"alpha": alpha, "beta": beta_for(alpha)}
        previous = current
    raise DerivationError(
        f"no beta distribution has the equal-tailed interval [{_fmt(lo)}, {_fmt(hi)}] "
        f"at prob {_fmt(prob)} (no solution found for alpha in [1e-4, 1e8])"
    )


def _derive_uniform(lo: float, hi: float, prob: float) -> dict[str, float]:
    if prob != 1:
        raise DerivationError(
            f"a uniform prior's interval is its whole support: prob must be 1, got {_fmt(prob)}"
        )
    return {"lower": lo, "upper": hi}


Support = Literal["real", "nonnegative", "positive", "unit", "bounded"]


@dataclass(frozen=True)
class Family:
    """One supported distribution family.

    ``params`` are the names a prior file uses, in PyMC's order; ``pymc`` is the PyMC class name
    and ``pymc_names`` maps a parameter to PyMC's keyword where they differ (none do today).
    ``domains`` lists the parameter domains (``forecast.core.definitions.Domain``) the family may
    serve; ``positive_params`` must be above 0. ``scipy`` turns parameters into a scipy call and
    ``derive`` turns a stated interval (lower, upper, prob) into parameters.
    """

    params: tuple[str, ...]
    support: Support
    domains: frozenset[Domain]
    scipy: Callable[[Mapping[str, float]], _ScipyCall]
    pymc: str
    derive: Callable[[float, float, float], dict[str, float]]
    positive_params: tuple[str, ...] = ()
    pymc_names: Mapping[str, str] = field(default_factory=dict)

    def pymc_kwargs(self, params: Mapping[str, float]) -> dict[str, float]:
        """The keyword arguments of the PyMC class for these parameters."""
        return {self.pymc_names.get(name, name): float(params[name]) for name in self.params}


_REAL: frozenset[Domain] = frozenset({"real"})
_POSITIVE: frozenset[Domain] = frozenset({"real", "positive"})
_UNIT: frozenset[Domain] = frozenset({"real", "unit"})
_ANY: frozenset[Domain] = frozenset({"real", "positive", "unit"})  # bounds checked per prior

FAMILIES: dict[str, Family] = {
    "normal": Family(
        params=("mu", "sigma"),
        support="real",
        domains=_REAL,
        scipy=_normal_args,
        pymc="Normal",
        derive=_derive_normal,
        positive_params=("sigma",),
    ),
    "lognormal": Family(  # mu and sigma are of ln x
        params=("mu", "sigma"),
        support="positive",
        domains=_POSITIVE,
        scipy=_lognormal_args,
        pymc="LogNormal",
        derive=_derive_lognormal,
        positive_params=("sigma",),
    ),
    "halfnormal": Family(
        params=("sigma",),
        support="nonnegative",
        domains=_POSITIVE,
        scipy=_halfnormal_args,
        pymc="HalfNormal",
        derive=_derive_halfnormal,
        positive_params=("sigma",),
    ),
    "beta": Family(
        params=("alpha", "beta"),
        support="unit",
        domains=_UNIT,
        scipy=_beta_args,
        pymc="Beta",
        derive=_derive_beta,
        positive_params=("alpha", "beta"),
    ),
    "gamma": Family(  # beta is a rate
        params=("alpha", "beta"),
        support="positive",
        domains=_POSITIVE,
        scipy=_gamma_args,
        pymc="Gamma",
        derive=_derive_gamma,
        positive_params=("alpha", "beta"),
    ),
    "uniform": Family(  # the stated interval is the support (prob = 1)
        params=("lower", "upper"),
        support="bounded",
        domains=_ANY,
        scipy=_uniform_args,
        pymc="Uniform",
        derive=_derive_uniform,
    ),
}
"""Every family a prior may use, by the name a prior file gives in ``dist``."""

DISTRIBUTIONS = FAMILIES  # the name earlier code used

ALL_PARAMS: tuple[str, ...] = tuple(
    dict.fromkeys(name for family in FAMILIES.values() for name in family.params)
)
"""Every parameter name of any family, in registry order."""


def families_for(domain: Domain) -> tuple[str, ...]:
    """The families that may serve a parameter of ``domain``, in registry order."""
    return tuple(name for name, family in FAMILIES.items() if domain in family.domains)


def ppf(dist: str, params: Mapping[str, float], q: Any) -> Any:
    """Quantiles of the ``dist`` distribution with ``params`` at probabilities ``q``."""
    generator, args, kwargs = FAMILIES[dist].scipy(params)
    return generator.ppf(q, *args, **kwargs)


def derive_params(dist: str, lo: float, hi: float, prob: float) -> dict[str, float]:
    """Parameters of the ``dist`` distribution whose stated interval at ``prob`` is [lo, hi].

    Equal-tailed for every family except halfnormal (``[0, hi]`` with P(x <= hi) = prob) and
    uniform (the interval is the support, prob = 1). Raises :class:`DerivationError` with the
    reason when no member of the family matches within ``INTERVAL_RTOL``.
    """
    if dist not in FAMILIES:
        raise DerivationError(f"unknown distribution '{dist}'")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise DerivationError("interval bounds must be finite")
    if lo >= hi:
        relation = "above" if lo > hi else "equal to"
        raise DerivationError(f"lower bound {_fmt(lo)} is {relation} upper bound {_fmt(hi)}")
    if dist == "uniform":
        if not (0 < prob <= 1):
            raise DerivationError(f"prob {_fmt(prob)} is not in (0, 1]")
    elif not (0 < prob < 1):
        raise DerivationError(f"prob {_fmt(prob)} is not in (0, 1)")
    # Extreme intervals overflow or underflow inside scipy; the checks below catch the results.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            params = {name: float(v) for name, v in FAMILIES[dist].derive(lo, hi, prob).items()}
        except DerivationError:
            raise
        except (ValueError, ArithmeticError) as exc:  # scipy / math domain problems
            raise DerivationError(f"could not derive {dist} parameters: {exc}") from exc
        problem = param_problem(dist, params)
        if problem:
            raise DerivationError(f"the derived {dist} is unusable: {problem}")
        got = stated_interval(dist, params, prob)
    if not interval_matches(dist, (lo, hi), got):
        raise DerivationError(
            f"no {dist} distribution reproduces [{_fmt(lo)}, {_fmt(hi)}] at prob {_fmt(prob)} "
            f"within {INTERVAL_RTOL:g} (closest: [{_fmt(got[0])}, {_fmt(got[1])}])"
        )
    return params


def param_problem(dist: str, params: Mapping[str, float]) -> str | None:
    """Why explicit (or derived) parameters are impossible, or None if they are fine."""
    for name in FAMILIES[dist].params:
        value = params[name]
        if not math.isfinite(value):
            return f"{name} must be finite, got {_fmt(value)}"
        if name in FAMILIES[dist].positive_params and value <= 0:
            return f"{name} must be above 0, got {_fmt(value)}"
    if dist == "uniform" and params["lower"] >= params["upper"]:
        relation = "above" if params["lower"] > params["upper"] else "equal to"
        return f"lower {_fmt(params['lower'])} is {relation} upper {_fmt(params['upper'])}"
    return None


def stated_interval(dist: str, params: Mapping[str, float], prob: float) -> tuple[float, float]:
    """The interval at ``prob`` in the convention a forecaster states it for ``dist``."""
    if dist == "halfnormal":
        return 0.0, float(ppf(dist, params, prob))
    if dist == "uniform" and prob == 1:
        return float(params["lower"]), float(params["upper"])
    q_lo, q_hi = _tails(prob)
    return float(ppf(dist, params, q_lo)), float(ppf(dist, params, q_hi))


def snap(bounds: tuple[float, float]) -> tuple[float, float]:
    """Bounds for display: floating-point dust (below 1e-12 of the larger bound) shown as 0."""
    scale = max(abs(bounds[0]), abs(bounds[1]))
    lo, hi = (0.0 if abs(v) <= 1e-12 * scale else v for v in bounds)
    return lo, hi


def interval_matches(dist: str, stated: tuple[float, float], got: tuple[float, float]) -> bool:
    """True if ``got`` reproduces ``stated`` within INTERVAL_RTOL.

    Positive families are compared bound by bound (relative to each bound); families on the
    real line relative to the interval's scale max(|lo|, |hi|), since a bound may be near 0.
    """
    if not all(math.isfinite(v) for v in got):
        return False
    if FAMILIES[dist].support in ("real", "bounded"):
        scale = max(abs(stated[0]), abs(stated[1]))
        return all(abs(g - s) <= INTERVAL_RTOL * scale for g, s in zip(got, stated, strict=True))
    return all(abs(g - s) <= INTERVAL_RTOL * abs(s) for g, s in zip(got, stated, strict=True))


# ------------------------------------------------------------------------------------------------
