"""Answers under a changed prior without a refit: Pareto-smoothed importance reweighting.

A forecaster who writes ``--prior efficiency_rate=0.3..0.9`` means: the same prior family, now
with that central interval (at the prior's own probability, 90% in the bundled sets). Each
posterior draw theta_i gets the importance ratio new_prior(theta_i) / old_prior(theta_i) (the
likelihood is unchanged); the log ratios are Pareto-smoothed (PSIS: Vehtari, Simpson, Gelman,
Yao and Gabry, "Pareto smoothed importance sampling", JMLR 25, 2024), and the answer is computed
from a weighted resample of the draws of size equal to the weights' effective sample size, so
the MC errors the answer states are those of that many draws. The reweighting is reported with
its Pareto k: above 0.7 the estimate is unreliable and a refit with the changed prior is needed
(``POST /v1/refits`` or ``forecast fit`` with a prior file that states it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import numpy as np

from forecast.core.definitions import COUNTRIES
from forecast.core.errors import ForecastError, UsageError
from forecast.priors.distributions import DerivationError, derive_params
from forecast.priors.priorset import Prior, PriorSet, parse_prior_set
from forecast.questions.forecaster import Forecaster

K_RELIABLE = 0.7
"""Pareto k above which importance sampling is unreliable (Vehtari et al. 2024)."""
MIN_DRAWS = 100
"""Fewest effective draws an answer may rest on."""
STATED_PROB = 0.9
"""Probability of the new interval when the prior was stated by its parameters, not an interval
(the bundled sets state every prior as a 90% interval)."""
_OVERRIDE = re.compile(r"^\s*([a-z0-9_]+)\s*=\s*([^.][^\s]*?)\s*\.\.\s*(\S+)\s*$")


@dataclass(frozen=True)
class PriorOverride:
    """A prior's new central interval (same family, same probability)."""

    name: str
    low: float
    high: float

    def text(self) -> str:
        return f"{self.name}={self.low:g}..{self.high:g}"


def parse_override(text: str) -> PriorOverride:
    """``NAME=LO..HI`` (CLI) or ``NAME:LO:HI`` (HTTP) as a prior override, or a UsageError."""
    spec = text.strip()
    if "=" not in spec and spec.count(":") == 2:
        name, lo, hi = spec.split(":")
        spec = f"{name}={lo}..{hi}"
    match = _OVERRIDE.match(spec)
    if match is None:
        raise UsageError(
            f"prior {text!r}: expected NAME=LOW..HIGH (HTTP: NAME:LOW:HIGH), e.g. "
            "efficiency_rate=0.3..0.9"
        )
    name, lo, hi = match.groups()
    try:
        low, high = float(lo), float(hi)
    except ValueError:
        raise UsageError(f"prior {text!r}: the bounds must be numbers") from None
    if not (np.isfinite(low) and np.isfinite(high)) or not low < high:
        raise UsageError(f"prior {text!r}: the lower bound must be below the upper bound")
    return PriorOverride(name, low, high)


def changed_prior(prior_set: PriorSet, override: PriorOverride) -> Prior:
    """The prior with the override's interval, re-derived in its own family."""
    old = prior_set.priors.get(override.name)
    if old is None:
        raise UsageError(
            f"prior {override.name!r}: not a prior of set {prior_set.name!r} "
            "(forecast priors check --show lists them)"
        )
    prob = old.prob if old.prob is not None else STATED_PROB
    try:
        params = derive_params(old.dist, override.low, override.high, prob)
    except DerivationError as exc:
        raise UsageError(f"prior {override.text()}: {exc}") from None
    return replace(old, interval=(override.low, override.high), prob=prob, params=params)


def reweighted(
    f: Forecaster, overrides: Sequence[str | PriorOverride], seed: int = 0
) -> tuple[Forecaster, dict[str, Any]]:
    """A forecaster over the draws resampled under the changed priors, and the diagnostics
    (``reweighting``: priors, pareto_k, ess, reliable)."""
    from arviz_stats.base import array_stats

    if f.run.priors_text is None:
        raise ForecastError(f"run {f.run.id} has no stored prior set (priors.toml)")
    prior_set = parse_prior_set(f.run.priors_text, "priors.toml")
    parsed = [o if isinstance(o, PriorOverride) else parse_override(o) for o in overrides]
    names = [o.name for o in parsed]
    if len(set(names)) != len(names):
        raise UsageError("prior: each prior may be changed once per question")
    draws = f.run.draws
    log_ratio = np.zeros(next(iter(draws.values())).size)
    stated = []
    for o in parsed:
        new = changed_prior(prior_set, o)
        # a structure that does not use the parameter pinned it: its prior does not matter there
        free = ~f.run.pinned_mask(o.name)
        x = draws[o.name][free]
        old_lp, new_lp = prior_set.priors[o.name].logpdf(x), new.logpdf(x)
        if not np.all(np.isfinite(old_lp)):
            raise ForecastError(f"prior {o.name}: the run's draws lie outside its stored prior")
        log_ratio[free] += np.where(np.isfinite(new_lp), new_lp, -np.inf) - old_lp
        stated.append({"prior": o.name, "dist": new.dist, "interval": [o.low, o.high]})
    if not np.any(np.isfinite(log_ratio)):
        raise UsageError("prior: the changed priors give every posterior draw zero density")
    finite = np.isfinite(log_ratio)
    if np.ptp(log_ratio[finite]) < 1e-9 and finite.all():
        weights, k = np.full(log_ratio.size, 1.0 / log_ratio.size), 0.0  # an unchanged prior
    else:
        # arviz_stats' psislw takes minus the log ratios (it is built for LOO's 1 / p(y_i | theta))
        floor = np.min(log_ratio[finite]) - 50.0
        log_w, khat = array_stats.psislw(-np.where(finite, log_ratio, floor))
        log_w = np.where(finite, log_w, -np.inf)
        weights = np.exp(log_w - np.max(log_w))
        weights /= weights.sum()
        k = float(khat)
    ess = float(1.0 / np.sum(weights**2))
    n = int(np.floor(ess))
    if n < MIN_DRAWS:
        raise UsageError(
            f"prior: only {ess:.0f} effective draws remain under the changed priors (fewer "
            f"than {MIN_DRAWS}); refit with a prior file that states them"
        )
    # systematic resampling: n draws, each kept in proportion to its weight
    rng = np.random.default_rng([f.run.seed, 11, seed])
    positions = (rng.random() + np.arange(n)) / n
    index = np.minimum(np.searchsorted(np.cumsum(weights), positions), weights.size - 1)
    run = replace(
        f.run,
        draws={name: v[index] for name, v in draws.items()},
        chains=1,
        posterior_path=None,  # resampled draws: the stored groups are not theirs
        structure=None if f.run.structure is None else f.run.structure[index],
        source_index=None,
    )
    changed = Forecaster(run, f.scenarios)
    _share_projections(f, changed, index)
    diagnostics = {
        "priors": stated,
        "pareto_k": round(k, 3),
        "ess": round(ess, 1),
        "draws": n,
        "reliable": bool(k <= K_RELIABLE),
        "note": "answer from the stored draws reweighted by Pareto-smoothed importance sampling "
        f"({n} draws resampled by weight, one per effective draw)"
        + (
            ""
            if k <= K_RELIABLE
            else f"; Pareto k {k:.2f} > {K_RELIABLE}: unreliable, refit with the changed prior"
        ),
    }
    return changed, diagnostics


def _take(obj: Any, index: np.ndarray, n: int) -> Any:
    """A dataclass of per-draw arrays with the draws ``index`` picked (other fields kept)."""
    picked = {}
    for item in fields(obj):
        if not item.init:  # a cache (CountryPaths' summed racing paths): rebuilt when read
            continue
        value = getattr(obj, item.name)
        if is_dataclass(value):
            picked[item.name] = _take(value, index, n)
        elif isinstance(value, np.ndarray) and value.ndim and value.shape[0] == n:
            picked[item.name] = value[index]
        elif isinstance(value, Mapping):  # per-draw arrays by name (supply-channel shares)
            picked[item.name] = {
                k: v[index] if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == n else v
                for k, v in value.items()
            }
    return replace(obj, **picked)


def _share_projections(source: Forecaster, target: Forecaster, index: np.ndarray) -> None:
    """Give the resampled forecaster the source's status-quo projections of the picked draws.

    A draw's projection (with its own capability random walk) does not depend on the other
    draws, so the resampled draws' paths are the source's rows ``index``: no re-projection.
    """
    src, dst = source.projector, target.projector
    n = src.n_draws
    for code in COUNTRIES:
        dst._baselines[code] = _take(src.baseline(code), index, n)
    for source in ("slope_noise", "race_shocks"):
        dst.__dict__[source] = {c: v[index] for c, v in getattr(src, source).items()}
    dst.__dict__["regime"] = tuple(v[index] for v in src.regime)
