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
draws with scipy. The MC error is the standard error of the estimate across the run's chains
(each chain scored on its own).

**Likelihood side.** Runs store no pointwise log likelihood by default, and then only the prior
side is given. Given a tree with a ``log_likelihood`` group (``forecast.fit.loglik``; the
caller passes it as ``tree``), the answer also power-scales the likelihood: the whole likelihood
and each observed block alone (``stock_obs``, ``compute_obs``, ...), for each arrival, plus all
priors scaled together, and the paper's diagnosis per arrival (ArviZ ``psense_summary``'s rule):
prior and likelihood both sensitive is a potential prior-data conflict; a sensitive prior with a
likelihood below the threshold is a strong prior / weak likelihood. ``sides`` names the sides
computed; without the group the answer is exactly the prior-only answer.
"""

from __future__ import annotations

from pathlib import Path
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


def run_log_prior(f: Forecaster, prior_set: PriorSet) -> dict[str, np.ndarray]:
    """:func:`log_prior` at the forecaster's draws, where a structure that does not use a
    parameter pinned it: its prior does not act on those draws (log density 0 there), and a
    parameter pinned in every draw has no prior to scale."""
    lp = log_prior(prior_set, f.projector.draws)
    for name in list(lp):
        pinned = f.run.pinned_mask(name)
        if pinned.all():
            del lp[name]
        elif pinned.any():
            lp[name] = np.where(pinned, 0.0, lp[name])
    return lp


def _tree(
    quantities: dict[str, np.ndarray],
    lp: dict[str, np.ndarray],
    chains: int,
    ll: dict[str, np.ndarray] | None = None,
) -> xr.DataTree:
    def dataset(values: dict[str, np.ndarray]) -> xr.Dataset:
        return xr.Dataset(
            {k: (("chain", "draw"), v.reshape(chains, -1)) for k, v in values.items()}
        )

    groups = {"posterior": dataset(quantities), "log_prior": dataset(lp)}
    if ll is not None:
        groups["log_likelihood"] = dataset(ll)
    return xr.DataTree.from_dict(groups)


def _sensitivity(
    tree: xr.DataTree, prior: str | None, names: list[str], group: str = "prior"
) -> dict[str, float]:
    """Sensitivity of each of ``names`` to power-scaling ``group`` (``prior`` or ``likelihood``):
    only its variable ``prior`` when given, else all its variables together."""
    from arviz_stats import psense

    values = psense(
        tree,
        var_names=names,
        group=group,
        group_var_names=None if prior is None else [prior],
        alphas=ALPHAS,
    )
    return {k: float(values[k].values) for k in names}


def _scored(
    quantities: dict[str, np.ndarray],
    lp: dict[str, np.ndarray],
    chains: int,
    target: str | None,
    group: str = "prior",
    ll: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Sensitivities on all draws, and on each chain alone (for the MC errors)."""
    names = list(quantities)
    whole = _sensitivity(_tree(quantities, lp, chains, ll), target, names, group)

    def chain(values: dict[str, np.ndarray], i: int) -> dict[str, np.ndarray]:
        return {k: v.reshape(chains, -1)[i] for k, v in values.items()}

    per_chain = [
        _sensitivity(
            _tree(chain(quantities, i), chain(lp, i), 1, None if ll is None else chain(ll, i)),
            target,
            names,
            group,
        )
        for i in range(chains)
    ]
    return whole, per_chain


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


def _stored_groups(f: Forecaster) -> xr.DataTree | None:
    """The run's stored log-likelihood group, when its posterior file holds one (runs fitted
    with ``log_densities``); None otherwise."""
    path = getattr(f.run, "posterior_path", None)
    if path is None or not Path(path).exists():
        return None
    with xr.open_datatree(path, engine="h5netcdf") as stored:
        if "log_likelihood" not in stored.children:
            return None
        tree = xr.DataTree.from_dict(
            {
                name: stored[name].to_dataset().load()
                for name in ("posterior", "log_likelihood", "log_prior")
                if name in stored.children
            }
        )
    tree.attrs = {"id": f.run.id}
    return tree


def prior_sensitivity(
    f: Forecaster, scenario: str | None = None, tree: xr.DataTree | None = None
) -> dict[str, Any]:
    """Power-scaling sensitivity of each country's arrival (and of the parameter itself) to each
    prior of the run's prior set, with MC errors across chains.

    With ``tree`` holding the run's ``log_likelihood`` group (``forecast.fit.loglik``), the
    likelihood side too (``sides`` and ``likelihood`` in the answer); without, prior side only.
    """
    if f.run.priors_text is None:
        raise ForecastError(f"run {f.run.id} has no stored prior set (priors.toml)")
    if tree is None:
        tree = _stored_groups(f)
    prior_set = parse_prior_set(f.run.priors_text, "priors.toml")
    draws = f.projector.draws
    lp = run_log_prior(f, prior_set)
    projected = f.scenario(scenario)
    end = float(f.projector.grid[-1])
    arrivals = {
        f"arrival_{c}": np.minimum(np.asarray(projected.paths[c].arrival, dtype=float), end)
        for c in COUNTRIES
    }
    chains = int(f.run.chains)
    rows = []
    for name in lp:
        whole, per_chain = _scored({**arrivals, name: draws[name]}, lp, chains, name)
        rows.append(
            {
                "prior": name,
                "description": prior_set.priors[name].description,
                "parameter": _entry(name, whole, per_chain),
                "arrival": {c: _entry(f"arrival_{c}", whole, per_chain) for c in COUNTRIES},
            }
        )
    rows.sort(key=lambda r: -max(r["arrival"][c]["sensitivity"] for c in COUNTRIES))
    method = (
        "prior power-scaling sensitivity (Kallioinen et al. 2024; ArviZ psense): "
        f"alpha {ALPHAS[0]}-{ALPHAS[1]}, PSIS weights, cumulative Jensen-Shannon distance; "
        f"informative above {THRESHOLD}; MC error across chains"
    )
    answer: dict[str, Any] = {
        "question": "psense",
        "run_id": f.run.id,
        "structure": f.structure,
        "scenario": projected.scenario.name,
        "draws": int(f.projector.n_draws),
        "chains": chains,
        "method": f"{method}; prior side only (runs store no pointwise log likelihood)",
        "threshold": THRESHOLD,
        "priors": rows,
    }
    if tree is None:
        return answer
    from forecast.fit.loglik import has_log_likelihood  # pymc loads only with a tree

    if not has_log_likelihood(tree):
        return answer
    ll, sizes = _likelihood_blocks(tree, f)
    answer["method"] = (
        f"{method}; prior and likelihood sides (pointwise log likelihood stored with the run): "
        "each prior alone, all priors together and the likelihood (whole and per observed "
        "block), with the paper's diagnosis per arrival"
    )
    answer["sides"] = ["prior", "likelihood"]
    answer["likelihood"] = likelihood_side(arrivals, lp, ll, chains, sizes)
    return answer


def _likelihood_blocks(
    tree: xr.DataTree, f: Forecaster
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Each observed block's log likelihood per draw (summed over its observations, float64),
    flattened in the run's draw order, and its number of observations; refuses a tree whose
    draws are not the run's."""
    group = tree["log_likelihood"].to_dataset()
    n = int(f.projector.n_draws)
    chains = int(f.run.chains)
    # a mixture's or one structure's draws are a subset of the stored ones (source_index)
    index = getattr(f.run, "source_index", None)
    stored = int(group.sizes.get("chain", 0)) * int(group.sizes.get("draw", 0))
    if index is None and (int(group.sizes.get("chain", -1)) != chains or stored != n):
        raise ForecastError(
            f"the log likelihood has {dict(group.sizes)} draws; run {f.run.id} has "
            f"{chains} chains x {n // max(chains, 1)} draws"
        )
    if index is not None and (index.size != n or (index.size and index.max() >= stored)):
        raise ForecastError(f"the log likelihood holds {stored} draws, not run {f.run.id}'s")

    def flat(values: Any) -> np.ndarray:
        out = np.asarray(values, dtype=float).reshape(-1)
        return out if index is None else out[index]

    if "posterior" in tree.children:
        post = tree["posterior"].to_dataset()
        for name in set(post.data_vars) & set(f.projector.draws):
            if f.run.pinned_mask(name).any():
                continue  # pinned draws differ from the stored ones by design
            if not np.allclose(flat(post[name].values), f.run.draws[name]):
                raise ForecastError(
                    f"the tree's posterior is not run {f.run.id}'s ({name} differs)"
                )
    out, sizes = {}, {}
    for name, values in group.data_vars.items():
        obs_dims = [d for d in values.dims if d not in ("chain", "draw")]
        total = values.astype(np.float64).sum(obs_dims).transpose("chain", "draw")
        out[str(name)] = flat(total.values)
        sizes[str(name)] = int(np.prod([values.sizes[d] for d in obs_dims]))
    return out, sizes


def diagnosis(prior: float, likelihood: float, threshold: float = THRESHOLD) -> str:
    """The paper's reading of a quantity's prior and likelihood sensitivities (as ArviZ's
    ``psense_summary``)."""
    if prior >= threshold and likelihood >= threshold:
        return "potential prior-data conflict"
    if prior > threshold > likelihood:
        return "potential strong prior / weak likelihood"
    return "ok"


def likelihood_side(
    arrivals: dict[str, np.ndarray],
    lp: dict[str, np.ndarray],
    ll: dict[str, np.ndarray],
    chains: int,
    sizes: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Each arrival's sensitivity to power-scaling the whole likelihood, each observed block
    alone and all priors together, and the diagnosis per arrival (whole likelihood against all
    priors together)."""

    def per_country(whole: dict[str, float], per_chain: list[dict[str, float]]) -> dict:
        return {c: _entry(f"arrival_{c}", whole, per_chain) for c in COUNTRIES}

    like = per_country(*_scored(arrivals, lp, chains, None, "likelihood", ll))
    prior_all = per_country(*_scored(arrivals, lp, chains, None, "prior", ll))
    blocks = []
    for name in ll:
        entries = per_country(*_scored(arrivals, lp, chains, name, "likelihood", ll))
        count = (sizes or {}).get(name)
        blocks.append({"block": name, "observations": count, "arrival": entries})
    blocks.sort(key=lambda b: -max(b["arrival"][c]["sensitivity"] for c in COUNTRIES))
    return {
        "arrival": like,
        "all_priors": prior_all,
        "diagnosis": {
            c: diagnosis(prior_all[c]["sensitivity"], like[c]["sensitivity"]) for c in COUNTRIES
        },
        "blocks": blocks,
    }
