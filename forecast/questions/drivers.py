"""Drivers: how much of an answer's uncertainty each group of inputs accounts for.

The answer is a function of the posterior draws, Y = f(X_threshold, X_efficiency, X_chips,
X_link, X_noise), where each X is one input group (:data:`GROUPS`): the fitted parameters of that
group, and for projection noise the draw's capability random-walk path. For each group g this
module estimates the **first-order Sobol index**

    S_g = Var(E[Y | X_g]) / Var(Y),

the share of Var(Y) that knowing X_g alone removes, with the pick-freeze estimator (Sobol 1993;
Saltelli et al., Global Sensitivity Analysis: The Primer, 2008, ch. 4): re-project every draw
with X_g kept and all the other groups taken from another draw (one random permutation of the
draws, applied jointly to the other groups, so their joint posterior is kept), giving Y'; then
S_g = Cov(Y, Y') / Var(Y). This is repeated over ``permutations`` permutations and averaged. The
MC error is the bootstrap standard deviation (draws resampled with replacement, ``bootstrap``
times) of that estimate.

Y is the arrival date (``quantity="arrival"``) or the indicator of arrival by a date
(``quantity="p_by"``). The arrival is taken on the rank scale by default (``scale="rank"``: Y is
the draw's rank, i.e. its value of the arrival CDF): the few draws that never arrive before the
horizon end (2060) and the long right tail would otherwise dominate Var(Y), and the indices would
describe that tail rather than the bulk of the answer (its quantiles). ``scale="years"`` gives the
indices of the date itself, an arrival beyond the horizon end counted as the horizon end.

Caveats: the indices treat the groups as independent, while in the
posterior they are correlated (the fit trades efficiency against the capability link, for
instance); the sum of the first-order indices is below 1 by the share of interactions between
groups (reported as ``interactions``) and may exceed 1 when the groups are correlated.
Re-projection uses the model's own projection (no refit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy.stats import rankdata

from forecast.core.definitions import BASELINE_SCENARIO
from forecast.core.errors import UsageError
from forecast.data.observations import COUNTRIES, country_index
from forecast.model.projection import Projector
from forecast.priors.scenarios import get_scenario
from forecast.questions.forecaster import Forecaster, iso, parse_date, projector_for

GROUPS: dict[str, str] = {
    "threshold": "the breakthrough threshold (prior) and the ECI-to-METR-horizon link",
    "efficiency": "algorithmic efficiency: its rate and China's lag",
    "chip_supply": "chip supply: additions, growth and slowdown, supply channels, ceilings, chip "
    "life, frontier share of the stock",
    "capability_link": "capability per OOM of effective compute, compute elasticity and the "
    "2025 ECI level",
    "projection_noise": "the random walk in the capability slope (process noise), each "
    "country's race shocks and breaks in the capability trend",
    "structure": "the structure of the chips-to-capability channel a draw comes from, with its "
    "own parameters (compute exponent, catch-up rate)",
}
"""Input groups and what each holds."""

_PREFIXES: dict[str, tuple[str, ...]] = {
    "structure": ("efficiency_compute_exponent", "efficiency_catchup_rate"),
    "threshold": ("threshold_", "horizon_"),
    "efficiency": ("efficiency_",),
    "chip_supply": (
        "stock_",
        "chip_",
        "supply_",
        "frontier_flop_per_h100e",
        "frontier_share_drift",
    ),
    "capability_link": (
        "capability_per_oom",
        "compute_elasticity",
        "frontier_eci_2025",
        "cross_section_eci",
        "eci_",
        "frontier_noise",
    ),
    "projection_noise": ("capability_slope_",),
}
QUANTITIES = ("arrival", "p_by")
DEFAULT_PERMUTATIONS = 4
DEFAULT_BOOTSTRAP = 200


def group_of(name: str) -> str:
    """The input group of a posterior variable (``other`` when none claims it)."""
    for group, prefixes in _PREFIXES.items():
        if name.startswith(prefixes):
            return group
    return "other"


def _projector(
    f: Forecaster, draws: dict[str, np.ndarray], structure: np.ndarray | None = None
) -> Projector:
    return projector_for(f.run, draws, structure)


SCALES = ("rank", "years")


def _outcome(
    arrival: np.ndarray, quantity: str, end: float, by: float | None, scale: str = "rank"
) -> np.ndarray:
    if quantity == "p_by":
        return (arrival <= by).astype(float)
    if scale == "rank":
        return rankdata(arrival) / arrival.size
    return np.minimum(arrival, end)


def first_order(y: np.ndarray, y_fixed: np.ndarray) -> float:
    """Pick-freeze estimate Cov(Y, Y') / Var(Y) (0 when Y does not vary)."""
    var = float(np.var(y))
    if var <= 0:
        return 0.0
    return float(np.mean((y - y.mean()) * (y_fixed - y_fixed.mean())) / var)


def drivers(
    f: Forecaster,
    country: str,
    quantity: str = "arrival",
    by: str | None = None,
    scenario: str | None = None,
    scale: str = "rank",
    permutations: int = DEFAULT_PERMUTATIONS,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    threshold: str | None = None,
    levers: Sequence[str] | None = None,
) -> dict[str, Any]:
    """First-order Sobol indices of each input group for one country's answer, with MC errors.

    ``threshold`` and ``levers`` are those of :mod:`forecast.questions.custom` (a fixed
    threshold leaves only the ECI-to-horizon link in the threshold group).
    """
    code = COUNTRIES[country_index(country)]
    if quantity not in QUANTITIES:
        raise UsageError(f"quantity: expected one of {', '.join(QUANTITIES)}, got {quantity!r}")
    t_by = None
    if quantity == "p_by":
        if by is None:
            raise UsageError("by: p_by needs a date --by YYYY-MM-DD")
        t_by = f._check_range(parse_date(by, "by"))
    elif by is not None:
        raise UsageError("by: only with quantity p_by")
    if scale not in SCALES:
        raise UsageError(f"scale: expected one of {', '.join(SCALES)}, got {scale!r}")
    if not 1 <= permutations <= 16:
        raise UsageError("permutations: between 1 and 16")
    from forecast.questions import custom
    from forecast.questions import thresholds as th
    from forecast.questions.levers import with_levers

    options = custom.parse_options(threshold, levers)
    chosen = get_scenario(scenario or BASELINE_SCENARIO, f.scenarios)
    if options.levers:
        chosen = with_levers(chosen, options.levers, "adhoc")
    base = f.projector
    end = float(base.grid[-1])
    answer, summary = custom.projection(f, scenario, options)
    y = _outcome(answer.paths[code].arrival, quantity, end, t_by, scale)
    level = base.threshold_capability
    if options.threshold is not None:
        level = th.level(base, options.threshold, options.factor)
    n = base.n_draws
    rng = np.random.default_rng([f.run.seed, 7, seed])
    groups = {g: [k for k in base.draws if group_of(k) == g] for g in (*GROUPS, "other")}
    y_fixed: dict[str, list[np.ndarray]] = {g: [] for g in GROUPS}
    for _ in range(permutations):
        perm = rng.permutation(n)
        for g in GROUPS:
            draws = {k: (v if group_of(k) == g else v[perm]) for k, v in base.draws.items()}
            own = base.structure if g == "structure" else base.structure[perm]
            proj = _projector(f, draws, own)
            keep_noise = g == "projection_noise"
            for source in ("slope_noise", "race_shocks"):
                proj.__dict__[source] = {
                    c: (v if keep_noise else v[perm]) for c, v in getattr(base, source).items()
                }
            proj.__dict__["regime"] = tuple(v if keep_noise else v[perm] for v in base.regime)
            proj.__dict__["threshold_capability"] = level if g == "threshold" else level[perm]
            paths = proj.country(code, chosen)
            if options.threshold is not None:
                paths = replace(
                    paths, arrival=custom.arrival_at(proj.grid, paths, proj.threshold_capability)
                )
            arrival = paths.arrival
            y_fixed[g].append(_outcome(arrival, quantity, end, t_by, scale))
    boot = rng.integers(0, n, size=(bootstrap, n))
    rows = []
    for g, description in GROUPS.items():
        pairs = y_fixed[g]
        estimate = float(np.mean([first_order(y, yp) for yp in pairs]))
        spread = [float(np.mean([first_order(y[i], yp[i]) for yp in pairs])) for i in boot]
        rows.append(
            {
                "group": g,
                "description": description,
                "variables": groups[g],
                "share": round(estimate, 4),
                "mcse": round(float(np.std(spread, ddof=1)), 4) if bootstrap > 1 else None,
            }
        )
    total = sum(r["share"] for r in rows)
    extra = {"options": summary} if not options.empty else {}
    return extra | {
        "question": "drivers",
        "run_id": f.run.id,
        "structure": f.structure,
        "scenario": scenario or BASELINE_SCENARIO,
        "country": code,
        "quantity": quantity,
        "by": iso(t_by) if t_by is not None else None,
        "scale": scale if quantity == "arrival" else "indicator",
        "draws": int(n),
        "variance": round(float(np.var(y)), 6),
        "method": "first-order Sobol indices by pick-freeze re-projection (Sobol 1993; Saltelli "
        f"et al. 2008): {permutations} permutations, MC error by bootstrap ({bootstrap})",
        "groups": rows,
        "unassigned_variables": groups["other"],
        "sum_of_shares": round(total, 4),
        "interactions": round(1.0 - total, 4),
    }


def drivers_table(answers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows group x country of several drivers answers (for reports)."""
    out = []
    for answer in answers:
        for row in answer["groups"]:
            out.append({"country": answer["country"], **row})
    return out
