"""Prior sets: forecaster-editable TOML files in ``priors/``, validated into distributions.

A prior set is one TOML file with three sections: ``[meta]`` (name, description), ``[settings]``
(fixed numbers such as the share of Epoch's "Other" chip owners counted as American) and one
``[priors.KEY]`` table per model parameter. A prior is stated either as an interval the forecaster
means ("90% between X and Y": ``interval`` + ``prob``), from which the loader derives the
distribution's parameters, or with explicit parameters. Parameter names equal PyMC's keyword
names (``pm.Normal(mu, sigma)``, ``pm.LogNormal(mu, sigma)`` on ln x, ``pm.HalfNormal(sigma)``,
``pm.Beta(alpha, beta)``, ``pm.Gamma(alpha, beta)`` with ``beta`` a rate, ``pm.Uniform(lower,
upper)``), so the model can pass them on unchanged.

Every problem found in a file is reported at once, each naming file, line, key and reason, e.g.
``priors/default.toml:42: priors.efficiency_rate.interval: lower bound 1.5 is above upper bound
0.3``. The numbers a forecaster may want to change live in the TOML files, never here; the
constants below describe what the model needs (names, units, domains) and numerical tolerances.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
import tomllib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import optimize, special, stats

from forecast.core.definitions import (
    COUNTRY_FILE_NAME,
    Domain,
    ParameterSpec,
    parameter_specs,
    priors_dir,
)
from forecast.core.errors import ForecastError

__all__ = [
    "DISTRIBUTIONS",
    "PRIOR_SPECS",
    "REQUIRED_PRIORS",
    "REQUIRED_SETTINGS",
    "SETTING_SPECS",
    "DerivationError",
    "Prior",
    "PriorError",
    "PriorIssue",
    "PriorSet",
    "PriorSpec",
    "SettingSpec",
    "available_prior_sets",
    "derive_params",
    "load_prior_set",
    "parse_prior",
    "parse_prior_set",
    "priors_dir",
]

# ------------------------------------------------------------------------------------------------
# What the model needs: prior keys with their units and domains, settings with their ranges.
# ------------------------------------------------------------------------------------------------

PriorSpec = ParameterSpec
PRIOR_SPECS: dict[str, ParameterSpec] = parameter_specs()
"""Every prior a prior set must state: the model's parameter layout, with units and domains."""

REQUIRED_PRIORS: tuple[str, ...] = tuple(PRIOR_SPECS)


@dataclass(frozen=True)
class SettingSpec:
    """Allowed range of a numeric setting; open or closed at each end."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        """The range in interval notation, e.g. ``[0, 1]`` or ``(0, 1]``."""
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}"

    def contains(self, value: float) -> bool:
        """True if ``value`` lies in the range."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


SETTING_SPECS: dict[str, SettingSpec] = {
    "us_share_of_other_stock": SettingSpec(0.0, 1.0),
    "cn_smuggled_weight": SettingSpec(0.0, 2.0),
    "eci_record_step": SettingSpec(0.0, 10.0),
    "compute_noise_confident": SettingSpec(0.0, 5.0, low_open=True),
    "compute_noise_likely": SettingSpec(0.0, 5.0, low_open=True),
    "compute_noise_speculative": SettingSpec(0.0, 5.0, low_open=True),
    "reference_year": SettingSpec(2020.0, 2035.0),
    "fit_start_year": SettingSpec(2010.0, 2035.0),
    "horizon_end_year": SettingSpec(2025.0, 2200.0),
    "grid_step_years": SettingSpec(0.0, 1.0, low_open=True),
    "stock_origin_year": SettingSpec(1990.0, 2022.0),
    "record_warmup_years": SettingSpec(0.0, 5.0),
    "horizon_fit_start_year": SettingSpec(2015.0, 2030.0),
}

REQUIRED_SETTINGS: tuple[str, ...] = tuple(SETTING_SPECS)

# Pairs (smaller, larger): the first setting may not exceed the second (equal allowed when the
# flag is False, strictly smaller required when True).
_SETTING_ORDER: tuple[tuple[str, str, bool], ...] = (
    ("compute_noise_confident", "compute_noise_likely", False),
    ("compute_noise_likely", "compute_noise_speculative", False),
    ("fit_start_year", "reference_year", True),
    ("reference_year", "horizon_end_year", True),
    ("stock_origin_year", "fit_start_year", True),
)

_SECTIONS: tuple[str, ...] = ("meta", "settings", "priors")
_META_KEYS: tuple[str, ...] = ("name", "description")
_TEXT_FIELDS: tuple[str, ...] = ("dist", "unit", "source", "description")
_REQUIRED_TEXT_FIELDS: dict[str, str] = {
    "dist": "every prior names its distribution",
    "unit": "every prior states its unit",
    "source": "every prior cites its source",
    "description": "every prior says what it means",
}
_SCENARIO_FILE_NAME = "scenarios.toml"
_NOT_PRIOR_SETS = (_SCENARIO_FILE_NAME, COUNTRY_FILE_NAME)
_SET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# Relative tolerance within which a derived distribution must reproduce the stated interval.
INTERVAL_RTOL = 1e-6


# ------------------------------------------------------------------------------------------------
# Issues and errors
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorIssue:
    """One problem in a prior or scenario file: where it is and why it is a problem.

    ``line`` is 1-based; 0 means the problem concerns the file as a whole (e.g. not found).
    """

    file: str
    line: int
    key: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return f"{where}: {self.key}: {self.reason}" if self.key else f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: file, line, key, reason."""
        return {"file": self.file, "line": self.line, "key": self.key, "reason": self.reason}


class PriorError(ForecastError):
    """A prior file (or set name) that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[PriorIssue]) -> None:
        self.issues: list[PriorIssue] = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class DerivationError(ValueError):
    """No distribution of the family has the stated interval; the message is the reason."""


# ------------------------------------------------------------------------------------------------
# Distributions (an allow-list; no dynamic imports)
# ------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class _DistSpec:
    """One supported family: PyMC parameter names, support and how to call scipy for it."""

    params: tuple[str, ...]
    support: Literal["real", "nonnegative", "positive", "unit", "bounded"]
    scipy: Callable[[Mapping[str, float]], _ScipyCall]


DISTRIBUTIONS: dict[str, _DistSpec] = {
    "normal": _DistSpec(("mu", "sigma"), "real", _normal_args),
    "lognormal": _DistSpec(("mu", "sigma"), "positive", _lognormal_args),
    "halfnormal": _DistSpec(("sigma",), "nonnegative", _halfnormal_args),
    "beta": _DistSpec(("alpha", "beta"), "unit", _beta_args),
    "gamma": _DistSpec(("alpha", "beta"), "positive", _gamma_args),
    "uniform": _DistSpec(("lower", "upper"), "bounded", _uniform_args),
}


def _ppf(dist: str, params: Mapping[str, float], q: Any) -> Any:
    """Quantiles of the ``dist`` distribution with ``params`` at probabilities ``q``."""
    generator, args, kwargs = DISTRIBUTIONS[dist].scipy(params)
    return generator.ppf(q, *args, **kwargs)


_ALL_PARAMS: tuple[str, ...] = ("mu", "sigma", "alpha", "beta", "lower", "upper")
_PRIOR_FIELDS: tuple[str, ...] = (
    "dist",
    "interval",
    "prob",
    *_ALL_PARAMS,
    "unit",
    "description",
    "source",
)
# Families whose values can never be negative (for priors whose domain is "positive").
_POSITIVE_FAMILIES: tuple[str, ...] = ("lognormal", "halfnormal", "gamma", "uniform")
_UNIT_FAMILIES: tuple[str, ...] = ("beta", "uniform")


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


_DERIVERS: dict[str, Callable[[float, float, float], dict[str, float]]] = {
    "normal": _derive_normal,
    "lognormal": _derive_lognormal,
    "halfnormal": _derive_halfnormal,
    "beta": _derive_beta,
    "gamma": _derive_gamma,
    "uniform": _derive_uniform,
}


def derive_params(dist: str, lo: float, hi: float, prob: float) -> dict[str, float]:
    """Parameters of the ``dist`` distribution whose stated interval at ``prob`` is [lo, hi].

    Equal-tailed for every family except halfnormal (``[0, hi]`` with P(x <= hi) = prob) and
    uniform (the interval is the support, prob = 1). Raises :class:`DerivationError` with the
    reason when no member of the family matches within ``INTERVAL_RTOL``.
    """
    if dist not in _DERIVERS:
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
            params = {name: float(v) for name, v in _DERIVERS[dist](lo, hi, prob).items()}
        except DerivationError:
            raise
        except (ValueError, ArithmeticError) as exc:  # scipy / math domain problems
            raise DerivationError(f"could not derive {dist} parameters: {exc}") from exc
        problem = _param_problem(dist, params)
        if problem:
            raise DerivationError(f"the derived {dist} is unusable: {problem}")
        got = _stated_interval(dist, params, prob)
    if not _interval_matches(dist, (lo, hi), got):
        raise DerivationError(
            f"no {dist} distribution reproduces [{_fmt(lo)}, {_fmt(hi)}] at prob {_fmt(prob)} "
            f"within {INTERVAL_RTOL:g} (closest: [{_fmt(got[0])}, {_fmt(got[1])}])"
        )
    return params


def _param_problem(dist: str, params: Mapping[str, float]) -> str | None:
    """Why explicit (or derived) parameters are impossible, or None if they are fine."""
    for name in DISTRIBUTIONS[dist].params:
        value = params[name]
        if not math.isfinite(value):
            return f"{name} must be finite, got {_fmt(value)}"
        if name in ("sigma", "alpha", "beta") and value <= 0:
            return f"{name} must be above 0, got {_fmt(value)}"
    if dist == "uniform" and params["lower"] >= params["upper"]:
        relation = "above" if params["lower"] > params["upper"] else "equal to"
        return f"lower {_fmt(params['lower'])} is {relation} upper {_fmt(params['upper'])}"
    return None


def _stated_interval(dist: str, params: Mapping[str, float], prob: float) -> tuple[float, float]:
    """The interval at ``prob`` in the convention a forecaster states it for ``dist``."""
    if dist == "halfnormal":
        return 0.0, float(_ppf(dist, params, prob))
    if dist == "uniform" and prob == 1:
        return float(params["lower"]), float(params["upper"])
    q_lo, q_hi = _tails(prob)
    return float(_ppf(dist, params, q_lo)), float(_ppf(dist, params, q_hi))


def _snap(bounds: tuple[float, float]) -> tuple[float, float]:
    """Bounds for display: floating-point dust (below 1e-12 of the larger bound) shown as 0."""
    scale = max(abs(bounds[0]), abs(bounds[1]))
    lo, hi = (0.0 if abs(v) <= 1e-12 * scale else v for v in bounds)
    return lo, hi


def _interval_matches(dist: str, stated: tuple[float, float], got: tuple[float, float]) -> bool:
    """True if ``got`` reproduces ``stated`` within INTERVAL_RTOL.

    Positive families are compared bound by bound (relative to each bound); families on the
    real line relative to the interval's scale max(|lo|, |hi|), since a bound may be near 0.
    """
    if not all(math.isfinite(v) for v in got):
        return False
    if DISTRIBUTIONS[dist].support in ("real", "bounded"):
        scale = max(abs(stated[0]), abs(stated[1]))
        return all(abs(g - s) <= INTERVAL_RTOL * scale for g, s in zip(got, stated, strict=True))
    return all(abs(g - s) <= INTERVAL_RTOL * abs(s) for g, s in zip(got, stated, strict=True))


# ------------------------------------------------------------------------------------------------
# Prior and PriorSet
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prior:
    """One parameter's prior: its family, parameters (always filled) and how it was stated.

    ``interval``/``prob`` are what the file stated (None when stated with parameters). Units are
    those of the parameter (``unit``); for lognormal, ``mu`` and ``sigma`` are of ln x.
    """

    key: str
    dist: str
    params: dict[str, float]
    interval: tuple[float, float] | None
    prob: float | None
    unit: str
    source: str
    description: str

    def _scipy(self) -> _ScipyCall:
        return DISTRIBUTIONS[self.dist].scipy(self.params)

    def ppf(self, q: Any) -> np.ndarray:
        """Quantile function (scipy), in the prior's unit, for probabilities ``q``."""
        return np.asarray(_ppf(self.dist, self.params, np.asarray(q, dtype=float)), dtype=float)

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        """``size`` independent draws in the prior's unit, from the generator ``rng``."""
        generator, args, kwargs = self._scipy()
        draws = generator.rvs(*args, size=size, random_state=rng, **kwargs)
        return np.asarray(draws, dtype=float)

    def stated_interval(self, prob: float = 0.9) -> tuple[float, float]:
        """The interval at ``prob`` in the convention used to state priors.

        Equal-tailed for every family except halfnormal, whose interval is [0, upper] with
        P(x <= upper) = prob, and uniform at prob = 1, whose interval is its support.
        """
        if not 0 < prob <= 1:
            raise ValueError(f"prob must be in (0, 1], got {prob}")
        if prob == 1 and self.dist != "uniform":
            generator, args, kwargs = self._scipy()
            lo, hi = (float(v) for v in generator.support(*args, **kwargs))
            return lo, hi
        return _stated_interval(self.dist, self.params, prob)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: dist, params, the interval (stated or derived at 90%), unit."""
        prob = self.prob if self.prob is not None else 0.9
        lo, hi = _snap(self.stated_interval(prob))
        return {
            "dist": self.dist,
            "params": dict(self.params),
            "interval": [lo, hi],
            "prob": prob,
            "median": float(self.ppf(0.5)),
            "stated_as": "interval" if self.interval is not None else "params",
            "unit": self.unit,
            "description": self.description,
            "source": self.source,
        }


@dataclass(frozen=True)
class PriorSet:
    """A validated prior file. ``hash`` is the sha256 hex digest of the file's bytes."""

    name: str
    description: str
    path: Path
    hash: str
    priors: dict[str, Prior]
    settings: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Prior:
        try:
            return self.priors[key]
        except KeyError:
            raise KeyError(f"prior set '{self.name}' has no prior '{key}'") from None

    def __contains__(self, key: object) -> bool:
        return key in self.priors

    def __iter__(self) -> Iterator[str]:
        return iter(self.priors)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of the set: name, description, hash, settings and priors."""
        return {
            "name": self.name,
            "description": self.description,
            "hash": self.hash,
            "settings": dict(self.settings),
            "priors": {key: prior.to_dict() for key, prior in self.priors.items()},
        }


# ------------------------------------------------------------------------------------------------
# TOML reading with line numbers
# ------------------------------------------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = re.compile(r"\s*(?:(" + _BARE + r')|"((?:[^"\\]|\\.)*)"|\'([^\']*)\')\s*')
_HEADER = re.compile(r"^\s*\[\[?(?P<key>[^\[\]]+?)\]\]?\s*(?:#.*)?$")
_KEY_LINE = re.compile(
    r"^\s*(?P<key>(?:" + _BARE + r'|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
    r"(?:\s*\.\s*(?:" + _BARE + r'|"(?:[^"\\]|\\.)*"|\'[^\']*\'))*)\s*=(?P<rest>.*)$'
)
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


def _split_dotted(text: str) -> tuple[str, ...] | None:
    """Split a TOML dotted key (bare or quoted parts) into its parts; None if malformed."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _KEY_PART.match(text, pos)
        if not match:
            return None
        bare, basic, literal = match.groups()
        parts.append(bare if bare is not None else basic if basic is not None else literal or "")
        pos = match.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


class _Locator:
    """Line numbers of tables and keys in a TOML text, found by scanning (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        self._first_under: dict[tuple[str, ...], int] = {}
        self._scan(text)

    def _record(self, path: tuple[str, ...], line: int) -> None:
        self._lines.setdefault(path, line)
        for n in range(1, len(path)):
            prefix = path[:n]
            self._first_under[prefix] = min(self._first_under.get(prefix, line), line)

    def _scan(self, text: str) -> None:
        table: tuple[str, ...] = ()
        open_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if open_string is not None:
                if line.count(open_string) % 2 == 1:
                    open_string = None
                continue
            header = _HEADER.match(line)
            if header:
                parts = _split_dotted(header.group("key"))
                if parts is not None:
                    table = parts
                    self._record(table, number)
                continue
            key_line = _KEY_LINE.match(line)
            if key_line:
                parts = _split_dotted(key_line.group("key"))
                if parts is not None:
                    self._record(table + parts, number)
                rest = key_line.group("rest")
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        open_string = quote
                        break

    def line(self, *path: str) -> int:
        """Line of ``path``; else of its nearest recorded ancestor (or the first line under it)."""
        for n in range(len(path), 0, -1):
            prefix = tuple(path[:n])
            if prefix in self._lines:
                return self._lines[prefix]
            if prefix in self._first_under:
                return self._first_under[prefix]
        return 1


@dataclass
class _Reporter:
    """Collects issues for one file, locating each key path."""

    file: str
    locator: _Locator
    issues: list[PriorIssue] = field(default_factory=list)

    def add(self, path: Sequence[str], reason: str, *, at: Sequence[str] | None = None) -> None:
        """Record an issue for key ``path`` (located at ``at`` if given)."""
        line = self.locator.line(*(at if at is not None else path))
        self.issues.append(PriorIssue(self.file, line, ".".join(path), reason))


def _display_path(path: Path) -> str:
    """The path as shown in messages: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _read_toml(
    path: Path, kind: str
) -> tuple[bytes | None, str | None, dict[str, Any] | None, list[PriorIssue]]:
    """Read and parse a TOML file: (bytes, text, data, issues); missing parts are None."""
    label = _display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None, None, [PriorIssue(label, 0, "", f"{kind} file not found")]
    except OSError as exc:
        reason = f"cannot read {kind} file: {exc.strerror or exc}"
        return None, None, None, [PriorIssue(label, 0, "", reason)]
    text, data, issues = _parse_toml_bytes(raw, label)
    return raw, text, data, issues


def _parse_toml_bytes(
    raw: bytes, label: str
) -> tuple[str | None, dict[str, Any] | None, list[PriorIssue]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, None, [PriorIssue(label, 0, "", f"not UTF-8 text ({exc.reason})")]
    try:
        return text, tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return text, None, [_syntax_issue(exc, text, label)]


def _syntax_issue(exc: tomllib.TOMLDecodeError, text: str, label: str) -> PriorIssue:
    """A TOML syntax error as an issue at the line tomllib reports."""
    message = str(exc)
    match = _TOML_POSITION.search(message)
    line = len(text.splitlines()) or 1
    detail = ""
    if match and match.group(1):
        line = int(match.group(1))
        detail = f" (column {match.group(2)})"
    elif match:
        detail = " (at end of file)"
    reason = _TOML_POSITION.sub("", message).strip()
    return PriorIssue(label, line, "(syntax)", f"invalid TOML: {reason}{detail}")


# ------------------------------------------------------------------------------------------------
# Validation helpers
# ------------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """A number as a forecaster wrote it: 1.5, 3e+06, 0 (no trailing .0)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10g}"
    return repr(value)


def _type_name(value: Any) -> str:
    """TOML-ish name of a parsed value's type, for messages."""
    names = {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
    }
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _describe_value(value: Any) -> str:
    """A parsed value for messages: its TOML type and, for scalars, the value itself."""
    name = _type_name(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{name} '{shown}'"
    if isinstance(value, bool | int | float):
        return f"{name} {_fmt(value)}"
    return name


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> tuple[float | None, str | None]:
    """(float, None) for a finite number, else (None, reason)."""
    if not _is_number(value):
        return None, f"expected a number, got {_describe_value(value)}"
    number = float(value)
    if not math.isfinite(number):
        return None, f"must be finite, got {_fmt(number)}"
    return number, None


def unknown_key_reason(kind: str, name: str, allowed: Sequence[str], *, list_allowed: bool) -> str:
    """Reason text for an unknown key: a close match if any, else (optionally) the allowed keys."""
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.75)
    if close:
        return f"unknown {kind}; did you mean '{close[0]}'?"
    if list_allowed:
        return f"unknown {kind} (allowed: {', '.join(allowed)})"
    return f"unknown {kind}"


def _check_prior(key: str, table: Any, report: _Reporter) -> Prior | None:
    """Validate one ``[priors.KEY]`` table; return the Prior, or None after reporting issues."""
    base = ("priors", key)
    if not isinstance(table, dict):
        report.add(base, f"expected a table ([priors.{key}]), got {_describe_value(table)}")
        return None
    before = len(report.issues)
    for name in table:
        if name not in _PRIOR_FIELDS:
            reason = unknown_key_reason("field", name, _PRIOR_FIELDS, list_allowed=True)
            report.add((*base, name), reason)

    texts: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        if name not in table:
            continue
        value = table[name]
        if not isinstance(value, str):
            report.add((*base, name), f"expected a string, got {_describe_value(value)}")
        elif not value.strip():
            report.add((*base, name), "must not be empty")
        else:
            texts[name] = value.strip()
    for name, why in _REQUIRED_TEXT_FIELDS.items():
        if name not in table:
            expected = f"; the model expects '{PRIOR_SPECS[key].unit}'" if name == "unit" else ""
            report.add((*base, name), f"missing ({why}{expected})", at=base)

    spec = PRIOR_SPECS.get(key)
    unit = texts.get("unit")
    if spec is not None and unit is not None and unit != spec.unit:
        report.add((*base, "unit"), f"'{unit}' is not the model's unit for {key} ('{spec.unit}')")

    dist = texts.get("dist")
    if dist is not None and dist not in DISTRIBUTIONS:
        report.add(
            (*base, "dist"),
            f"unknown distribution '{dist}' (allowed: {', '.join(DISTRIBUTIONS)})",
        )
        dist = None
    if dist is not None and spec is not None:
        _check_family_domain(key, dist, spec.domain, report)

    params = _check_statement(key, table, dist, report)
    if len(report.issues) > before or dist is None or params is None:
        return None
    if spec is not None and not _check_param_domain(key, dist, params, spec.domain, report):
        return None
    interval = table.get("interval")
    return Prior(
        key=key,
        dist=dist,
        params=params,
        interval=(float(interval[0]), float(interval[1])) if interval is not None else None,
        prob=float(table["prob"]) if "prob" in table else None,
        unit=texts["unit"],
        source=texts["source"],
        description=texts["description"],
    )


def _check_family_domain(key: str, dist: str, domain: Domain, report: _Reporter) -> None:
    """Report a family whose values can fall outside the parameter's domain."""
    path = ("priors", key, "dist")
    if domain == "positive" and dist not in _POSITIVE_FAMILIES:
        report.add(
            path,
            f"{dist} allows negative values but {key} must be positive "
            f"(use {', '.join(_POSITIVE_FAMILIES)})",
        )
    elif domain == "unit" and dist not in _UNIT_FAMILIES:
        report.add(
            path,
            f"{dist} allows values outside (0, 1) but {key} is a share "
            f"(use {' or '.join(_UNIT_FAMILIES)})",
        )


def _check_param_domain(
    key: str, dist: str, params: Mapping[str, float], domain: Domain, report: _Reporter
) -> bool:
    """Uniform bounds must respect the parameter's domain; report and return False if not."""
    if dist != "uniform":
        return True
    lower, upper = params["lower"], params["upper"]
    if domain == "positive" and lower < 0:
        report.add(
            ("priors", key),
            f"uniform lower bound {_fmt(lower)} is below 0 but {key} must be positive",
        )
        return False
    if domain == "unit" and (lower < 0 or upper > 1):
        report.add(
            ("priors", key),
            f"uniform [{_fmt(lower)}, {_fmt(upper)}] leaves [0, 1] but {key} is a share",
        )
        return False
    return True


def _check_statement(
    key: str, table: Mapping[str, Any], dist: str | None, report: _Reporter
) -> dict[str, float] | None:
    """Validate the interval or the explicit parameters; return the parameters if all is well."""
    base = ("priors", key)
    given_params = [name for name in _ALL_PARAMS if name in table]
    has_interval = "interval" in table
    has_prob = "prob" in table
    ok = True

    interval: tuple[float, float] | None = None
    if has_interval:
        interval = _check_interval_value(table["interval"], (*base, "interval"), report)
        ok &= interval is not None
    prob: float | None = None
    if has_prob:
        prob, problem = _number(table["prob"])
        if problem:
            report.add((*base, "prob"), problem)
            ok = False
        elif dist == "uniform":
            if prob != 1:
                report.add(
                    (*base, "prob"),
                    "a uniform prior's interval is its whole support: "
                    f"prob must be 1, got {_fmt(prob)}",
                )
                ok = False
        elif prob is not None and not 0 < prob < 1:
            report.add((*base, "prob"), f"{_fmt(prob)} is not in (0, 1)")
            ok = False
    param_values: dict[str, float] = {}
    for name in given_params:
        value, problem = _number(table[name])
        if problem:
            report.add((*base, name), problem)
            ok = False
        else:
            param_values[name] = value  # type: ignore[assignment]

    if has_interval and given_params:
        report.add(
            base,
            f"states both an interval and parameters ({', '.join(given_params)}); use one",
        )
        return None
    if has_interval != has_prob:
        missing, reason = (
            ("prob", "an interval needs its probability, e.g. prob = 0.9")
            if has_interval
            else ("interval", "prob is given but the interval it belongs to is not")
        )
        report.add((*base, missing), f"missing ({reason})", at=base)
        return None
    if dist is None:
        return None
    if not has_interval and not given_params:
        wanted = " and ".join(DISTRIBUTIONS[dist].params)
        report.add(
            base,
            f"states neither an interval (interval + prob) nor parameters ({wanted})",
        )
        return None
    if has_interval:
        if not ok or interval is None or prob is None:
            return None
        try:
            return derive_params(dist, interval[0], interval[1], prob)
        except DerivationError as exc:
            report.add((*base, "interval"), str(exc))
            return None
    return _check_explicit_params(key, dist, param_values, given_params, ok, report)


def _check_interval_value(
    value: Any, path: tuple[str, ...], report: _Reporter
) -> tuple[float, float] | None:
    """An interval must be [lower, upper]: two finite numbers with lower < upper."""
    if not isinstance(value, list) or len(value) != 2:
        got = f"{len(value)} items" if isinstance(value, list) else _describe_value(value)
        report.add(path, f"expected [lower, upper] (two numbers), got {got}")
        return None
    bounds: list[float] = []
    for item in value:
        number, problem = _number(item)
        if problem:
            report.add(path, f"bound {problem}")
            return None
        bounds.append(number)  # type: ignore[arg-type]
    lo, hi = bounds
    if lo >= hi:
        relation = "above" if lo > hi else "equal to"
        report.add(path, f"lower bound {_fmt(lo)} is {relation} upper bound {_fmt(hi)}")
        return None
    return lo, hi


def _check_explicit_params(
    key: str,
    dist: str,
    values: Mapping[str, float],
    given: Sequence[str],
    ok: bool,
    report: _Reporter,
) -> dict[str, float] | None:
    """Explicit parameters: exactly the family's, each possible."""
    base = ("priors", key)
    wanted = DISTRIBUTIONS[dist].params
    for name in given:
        if name not in wanted:
            report.add(
                (*base, name), f"not a parameter of {dist} (its parameters: {', '.join(wanted)})"
            )
            ok = False
    for name in wanted:
        if name not in given:
            report.add(
                (*base, name),
                f"missing ({dist} with explicit parameters needs {' and '.join(wanted)})",
                at=base,
            )
            ok = False
    if not ok:
        return None
    params = {name: values[name] for name in wanted}
    for name in wanted:
        value = params[name]
        if name in ("sigma", "alpha", "beta") and value <= 0:
            report.add((*base, name), f"must be above 0, got {_fmt(value)}")
            ok = False
    if dist == "uniform" and params["lower"] >= params["upper"]:
        relation = "above" if params["lower"] > params["upper"] else "equal to"
        report.add(
            (*base, "lower"),
            f"lower {_fmt(params['lower'])} is {relation} upper {_fmt(params['upper'])}",
        )
        ok = False
    return params if ok else None


def _check_meta(data: Mapping[str, Any], stem: str | None, report: _Reporter) -> tuple[str, str]:
    """Validate ``[meta]``; return (name, description), possibly empty after issues."""
    meta = data.get("meta")
    if meta is None:
        report.add(("meta",), "missing section ([meta] with name and description)")
        return "", ""
    if not isinstance(meta, dict):
        report.add(("meta",), f"expected a table, got {_describe_value(meta)}")
        return "", ""
    for name in meta:
        if name not in _META_KEYS:
            extra = (
                " (prior sets are complete files with no inheritance: copy default.toml)"
                if name == "extends"
                else ""
            )
            reason = unknown_key_reason("key", name, _META_KEYS, list_allowed=True)
            report.add(("meta", name), reason + extra)
    values: dict[str, str] = {}
    for name in _META_KEYS:
        if name not in meta:
            report.add(("meta", name), "missing", at=("meta",))
            continue
        value = meta[name]
        if not isinstance(value, str) or not value.strip():
            got = "an empty string" if isinstance(value, str) else _describe_value(value)
            report.add(("meta", name), f"expected a non-empty string, got {got}")
            continue
        values[name] = value.strip()
    name = values.get("name", "")
    if name and stem is not None and name != stem:
        report.add(
            ("meta", "name"),
            f"'{name}' does not match the file name '{stem}.toml' "
            "(a prior set is found by its file name)",
        )
    return name, values.get("description", "")


def _check_settings(data: Mapping[str, Any], report: _Reporter) -> dict[str, float]:
    """Validate ``[settings]``: every required setting, a number in its range, in order."""
    settings = data.get("settings")
    if settings is None:
        report.add(("settings",), "missing section ([settings])")
        return {}
    if not isinstance(settings, dict):
        report.add(("settings",), f"expected a table, got {_describe_value(settings)}")
        return {}
    result: dict[str, float] = {}
    for name, value in settings.items():
        path = ("settings", name)
        if name not in SETTING_SPECS:
            report.add(
                path, unknown_key_reason("setting", name, REQUIRED_SETTINGS, list_allowed=True)
            )
            continue
        number, problem = _number(value)
        if problem:
            report.add(path, problem)
            continue
        spec = SETTING_SPECS[name]
        if not spec.contains(number):  # type: ignore[arg-type]
            report.add(path, f"{_fmt(number)} is not in {spec.describe()}")
            continue
        result[name] = number  # type: ignore[assignment]
    for name in REQUIRED_SETTINGS:
        if name not in settings:
            report.add(("settings", name), "missing required setting", at=("settings",))
    for small, large, strict in _SETTING_ORDER:
        if small in result and large in result:
            a, b = result[small], result[large]
            if a > b or (strict and a == b):
                word = "below" if strict else "at most"
                report.add(
                    ("settings", small),
                    f"{_fmt(a)} must be {word} {large} ({_fmt(b)})",
                )
    return result


def _check_priors(data: Mapping[str, Any], report: _Reporter) -> dict[str, Prior]:
    """Validate ``[priors.*]``: every required prior present, no unknown ones, each valid."""
    section = data.get("priors")
    if section is None:
        report.add(("priors",), "missing section (one [priors.KEY] table per model parameter)")
        return {}
    if not isinstance(section, dict):
        report.add(("priors",), f"expected a table, got {_describe_value(section)}")
        return {}
    priors: dict[str, Prior] = {}
    for key, table in section.items():
        if key not in PRIOR_SPECS:
            reason = unknown_key_reason("prior", key, REQUIRED_PRIORS, list_allowed=False)
            report.add(
                ("priors", key), reason + (" (see priors/README.md)" if "?" not in reason else "")
            )
            continue
        prior = _check_prior(key, table, report)
        if prior is not None:
            priors[key] = prior
    for key in REQUIRED_PRIORS:
        if key not in section:
            report.add(("priors", key), "missing required prior")
    return {key: priors[key] for key in REQUIRED_PRIORS if key in priors}


def _check_prior_data(
    data: Mapping[str, Any], stem: str | None, report: _Reporter
) -> tuple[str, str, dict[str, float], dict[str, Prior]]:
    for section in data:
        if section not in _SECTIONS:
            report.add(
                (section,), unknown_key_reason("section", section, _SECTIONS, list_allowed=True)
            )
    name, description = _check_meta(data, stem, report)
    settings = _check_settings(data, report)
    priors = _check_priors(data, report)
    return name, description, settings, priors


def _sorted_issues(issues: Sequence[PriorIssue]) -> list[PriorIssue]:
    """Issues in file order (stable for issues on the same line)."""
    return sorted(issues, key=lambda issue: (issue.file, issue.line))


# ------------------------------------------------------------------------------------------------
# Public loading API
# ------------------------------------------------------------------------------------------------


def parse_prior(key: str, table: Mapping[str, Any], *, file: str = "<table>") -> Prior:
    """Validate one prior given as a parsed table (as under ``[priors.KEY]``).

    Raises :class:`PriorError` listing every problem (line numbers are 1: there is no text).
    """
    report = _Reporter(file, _Locator(""))
    if key not in PRIOR_SPECS:
        reason = unknown_key_reason("prior", key, REQUIRED_PRIORS, list_allowed=False)
        raise PriorError([PriorIssue(file, 1, f"priors.{key}", reason)])
    prior = _check_prior(key, dict(table), report)
    if prior is None:
        raise PriorError(report.issues)
    return prior


def parse_prior_set(text: str, path: Path | str = "<string>") -> PriorSet:
    """Validate a prior set given as TOML text; ``path`` names it in messages and as its home.

    The set's name must match the file stem of ``path`` when ``path`` ends in ``.toml``.
    """
    path = Path(path)
    raw = text.encode("utf-8")
    prior_set, issues = _check_prior_bytes(raw, path, _display_path(path))
    if prior_set is None:
        raise PriorError(issues)
    return prior_set


def _check_prior_bytes(
    raw: bytes, path: Path, label: str
) -> tuple[PriorSet | None, list[PriorIssue]]:
    text, data, issues = _parse_toml_bytes(raw, label)
    if data is None or text is None:
        return None, issues
    report = _Reporter(label, _Locator(text))
    stem = path.stem if path.suffix == ".toml" else None
    name, description, settings, priors = _check_prior_data(data, stem, report)
    if report.issues:
        return None, _sorted_issues(report.issues)
    prior_set = PriorSet(
        name=name,
        description=description,
        path=path,
        hash=hashlib.sha256(raw).hexdigest(),
        priors=priors,
        settings={key: settings[key] for key in REQUIRED_SETTINGS},
    )
    return prior_set, []


def _check_prior_file(path: Path) -> tuple[PriorSet | None, list[PriorIssue]]:
    """Load and validate a prior file; (set, []) or (None, issues)."""
    raw, _text, _data, issues = _read_toml(path, "prior set")
    if raw is None:
        return None, issues
    return _check_prior_bytes(raw, path, _display_path(path))


def available_prior_sets() -> list[str]:
    """Names (file stems) of the prior sets in :func:`priors_dir`, sorted; scenarios excluded."""
    folder = priors_dir()
    if not folder.is_dir():
        return []
    return sorted(
        path.stem
        for path in folder.glob("*.toml")
        if path.name not in _NOT_PRIOR_SETS and path.is_file()
    )


def _is_set_name(text: str) -> bool:
    """A bare set name (``default``), as opposed to a file path."""
    return bool(_SET_NAME_PATTERN.match(text)) and not text.endswith(".toml")


def load_prior_set(name_or_path: str | Path) -> PriorSet:
    """Load and validate a prior set by name (``"default"``) or by file path.

    A name is looked up as ``<priors_dir()>/<name>.toml``; an unknown name raises
    :class:`PriorError` listing the available names. Any invalid file raises :class:`PriorError`
    listing every problem found.
    """
    if isinstance(name_or_path, str) and _is_set_name(name_or_path):
        path = priors_dir() / f"{name_or_path}.toml"
        if path.name in _NOT_PRIOR_SETS or not path.is_file():
            available = ", ".join(available_prior_sets()) or "none"
            raise PriorError(
                [
                    PriorIssue(
                        _display_path(priors_dir()),
                        0,
                        "",
                        f"unknown prior set '{name_or_path}' (available: {available})",
                    )
                ]
            )
    else:
        path = Path(name_or_path)
    prior_set, issues = _check_prior_file(path)
    if prior_set is None:
        raise PriorError(issues)
    return prior_set


# ------------------------------------------------------------------------------------------------
# `forecast priors check`
# ------------------------------------------------------------------------------------------------
