"""Prior sensitivity: how much each prior moves the answer, by power-scaling, without a refit.

Power-scaling a prior p(theta) to p(theta)^alpha for alpha near 1 perturbs the posterior; the
perturbed posterior is estimated from the stored draws by Pareto-smoothed importance sampling
with weights p(theta)^(alpha - 1), and the sensitivity of a quantity is the derivative, in
log2(alpha), of the cumulative Jensen-Shannon distance between its base and perturbed
distributions (Kallioinen, Paananen, Buerkner and Vehtari, "Detecting and diagnosing prior and
likelihood sensitivity with power-scaling", Statistics and Computing 34, 57, 2024; ArviZ
``psense``). Each prior is scaled on its own, and the quantities are each country's arrival
date and the prior's own parameter. A value above 0.05 (the paper's rule of thumb) flags a prior
that shapes the answer: the data do not override it.

The log prior of every draw is the run's resolved prior set (``priors.toml``) evaluated on the
draws with scipy. Runs store no pointwise log likelihood, so only the prior side of the
diagnostic is given (the likelihood side would tell prior-data conflict from a weak likelihood).
The MC error is the standard error of the estimate across the run's chains (each chain scored
on its own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from forecast.core.definitions import COUNTRIES
from forecast.core.errors import ForecastError
from forecast.priors.priorset import PriorSet, parse_prior_set
from forecast.questions.forecaster import Forecaster

THRESHOLD = 0.05
"""Sensitivity above which a prior is called informative for a quantity (Kallioinen et al.)."""
ALPHAS = (0.99, 1.01)


def log_prior(prior_set: PriorSet, draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Log density of each parameter's prior at its draws (natural scale, as the model states
    it)."""
    return {name: p.logpdf(draws[name]) for name, p in prior_set.priors.items() if name in draws}


def _tree(quantities: dict[str, np.ndarray], lp: dict[str, np.ndarray], chains: int) -> xr.DataTree:
    def dataset(values: dict[str, np.ndarray]) -> xr.Dataset:
        return xr.Dataset(
            {k: (("chain", "draw"), v.reshape(chains, -1)) for k, v in values.items()}
        )

    return xr.DataTree.from_dict({"posterior": dataset(quantities), "log_prior": dataset(lp)})


def _sensitivity(tree: xr.DataTree, prior: str, names: list[str]) -> dict[str, float]:
    from arviz_stats import psense

    values = psense(tree, var_names=names, group="prior", group_var_names=[prior], alphas=ALPHAS)
    return {k: float(values[k].values) for k in names}


def _entry(key: str, whole: dict[str, float], per_chain: list[dict[str, float]]) -> dict[str, Any]:
    """One quantity's sensitivity, its MC error across chains and whether it passes the rule."""
    spread = [pc[key] for pc in per_chain]
    n = len(spread)
    mcse = float(np.std(spread, ddof=1) / np.sqrt(n)) if n > 1 else None
    value = whole[key]
    return {
        "sensitivity": round(value, 4),
        "mcse": None if mcse is None else round(mcse, 4),
        "informative": bool(value > THRESHOLD),
    }


def prior_sensitivity(f: Forecaster, scenario: str | None = None) -> dict[str, Any]:
    """Power-scaling sensitivity of each country's arrival (and of the parameter itself) to each
    prior of the run's prior set, with MC errors across chains."""
    if f.run.priors_text is None:
        raise ForecastError(f"run {f.run.id} has no stored prior set (priors.toml)")
    prior_set = parse_prior_set(f.run.priors_text, "priors.toml")
    draws = f.projector.draws
    lp = log_prior(prior_set, draws)
    answer = f.scenario(scenario)
    end = float(f.projector.grid[-1])
    arrivals = {
        f"arrival_{c}": np.minimum(np.asarray(answer.paths[c].arrival, dtype=float), end)
        for c in COUNTRIES
    }
    chains = int(f.run.chains)
    rows = []
    for name in lp:
        quantities = {**arrivals, name: draws[name]}
        names = list(quantities)
        whole = _sensitivity(_tree(quantities, lp, chains), name, names)
        per_chain = [
            _sensitivity(
                _tree(
                    {k: v.reshape(chains, -1)[i] for k, v in quantities.items()},
                    {k: v.reshape(chains, -1)[i] for k, v in lp.items()},
                    1,
                ),
                name,
                names,
            )
            for i in range(chains)
        ]

        rows.append(
            {
                "prior": name,
                "description": prior_set.priors[name].description,
                "parameter": _entry(name, whole, per_chain),
                "arrival": {c: _entry(f"arrival_{c}", whole, per_chain) for c in COUNTRIES},
            }
        )
    rows.sort(key=lambda r: -max(r["arrival"][c]["sensitivity"] for c in COUNTRIES))
    return {
        "question": "psense",
        "run_id": f.run.id,
        "scenario": answer.scenario.name,
        "draws": int(f.projector.n_draws),
        "chains": chains,
        "method": "prior power-scaling sensitivity (Kallioinen et al. 2024; ArviZ psense): "
        f"alpha {ALPHAS[0]}-{ALPHAS[1]}, PSIS weights, cumulative Jensen-Shannon distance; "
        f"informative above {THRESHOLD}; MC error across chains; prior side only (runs store "
        "no pointwise log likelihood)",
        "threshold": THRESHOLD,
        "priors": rows,
    }
