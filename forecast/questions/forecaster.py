"""Timeline questions answered from a stored run, under any scenario, with Monte Carlo errors.

``Forecaster`` wraps one loaded run. Every answer is a plain dict (the same fields the CLI prints
with ``--json`` and the API returns). Dates are ISO strings with the decimal year beside them;
an arrival that does not happen before the horizon end is reported as ``later``.
"""

from __future__ import annotations

import calendar
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats

from forecast.core import mcstats
from forecast.core.definitions import (
    BASELINE_SCENARIO,
    DEFAULT_QUANTILES,
    MAX_QUANTILES,
    MIXTURE,
    QUANTITIES,
    country_info,
    structure_info,
)
from forecast.core.errors import UsageError
from forecast.core.timeutil import date_to_year, year_to_date
from forecast.data.observations import COUNTRIES, country_index
from forecast.model.paths import CountryPaths
from forecast.model.projection import Projector
from forecast.priors.scenarios import Scenario, get_scenario, load_scenarios
from forecast.store.runs import LoadedRun, RunStore

_TOKENS = itertools.count()
"""Serial numbers of forecasters: a key for caches of their projections that, unlike ``id()``,
is never reused by a later forecaster (which may hold other draws of the same run)."""


def iso(year: float) -> str | None:
    """ISO date of a decimal year (None for inf)."""
    if not np.isfinite(year):
        return None
    return year_to_date(float(year)).isoformat()


def parse_date(value: str | date | float, what: str = "date") -> float:
    """A user date (ISO string, date, or decimal year) as a decimal year; clear error if bad."""
    if isinstance(value, bool):
        raise UsageError(f"{what}: {value!r} is not a date (use YYYY-MM-DD)")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise UsageError(f"{what}: {value!r} is not a date (use YYYY-MM-DD)")
        return float(value)
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise UsageError(f"{what}: {value!r} is not a date (use YYYY-MM-DD)") from exc
    if day.year == date.max.year:  # a real date; date_to_year would need 1 January of the next
        return day.year + (day.toordinal() - date(day.year, 1, 1).toordinal()) / 365
    return date_to_year(day)


def check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    """Validated quantile levels: 1 to 99 values, each strictly between 0 and 1."""
    qs = tuple(float(q) for q in quantiles)
    if not 1 <= len(qs) <= MAX_QUANTILES:
        raise UsageError(f"quantiles: give between 1 and {MAX_QUANTILES} levels, got {len(qs)}")
    bad = [q for q in qs if not 0.0 < q < 1.0 or math.isnan(q)]
    if bad:
        raise UsageError(f"quantiles: every level must lie strictly between 0 and 1, got {bad[0]}")
    return qs


CHANNEL_QUANTITIES = ("compute_stock_h100e", "chip_additions_h100e_per_year")
"""Trajectory quantities a supply channel answers (``component=``)."""


def check_quantity(quantity: str) -> str:
    if quantity not in QUANTITIES:
        raise UsageError(
            f"unknown quantity {quantity!r}; known quantities: {', '.join(QUANTITIES)}"
        )
    return quantity


def year_entry(year: float, mcse: float) -> dict[str, Any]:
    """A date answer: ISO date, decimal year and MCSE in years (``later`` when beyond horizon)."""
    finite = bool(np.isfinite(year))
    return {
        "date": iso(year),
        "year": round(float(year), 4) if finite else None,
        "later": not finite,
        "mcse_years": round(float(mcse), 4) if np.isfinite(mcse) else None,
    }


LEGACY_RACE: tuple[str, str] = ("US", "CN")
"""The pair of the original two-country race answer, (first, second) in registry order: its
fields ``p_<code>_first``, ``p_gap_within`` and ``gap_quantiles`` (gap = second minus first) are
kept for existing clients whenever both countries are in the registry."""


def first_key(country: str) -> str:
    """Field of the legacy race answer holding P(country first), e.g. ``p_cn_first``."""
    return f"p_{country.lower()}_first"


def first_indicators(arrivals: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per country, whether it arrives strictly before every other country, per draw.

    Ties (including two countries that both never arrive) count for nobody, so the indicators
    are disjoint; none is true where no country arrives before the horizon end.
    """
    codes = list(arrivals)
    stacked = np.stack([np.asarray(arrivals[c], dtype=float) for c in codes])
    out = {}
    for i, code in enumerate(codes):
        others = np.delete(stacked, i, axis=0)
        if others.size:
            out[code] = np.isfinite(stacked[i]) & np.all(stacked[i] < others, axis=0)
        else:
            out[code] = np.isfinite(stacked[i])
    return out


def gap_quantile_rows(
    gap: np.ndarray, first: str, second: str, n_eff: float, quantiles: Sequence[float]
) -> list[dict[str, Any]]:
    """Quantiles of a gap (second minus first, years; nan where both never arrive).

    An infinite quantile has ``years`` None and ``side`` ``<second>_never`` (+inf: the second
    country never arrives) or ``<first>_never``.
    """
    both = gap[~np.isnan(gap)]
    rows = []
    for q in quantiles:
        value, mcse = mcstats.quantile_with_mcse(both, q, n_eff) if both.size else (np.nan, np.nan)
        side = None
        if not np.isfinite(value) and not np.isnan(value):
            side = f"{(second if value > 0 else first).lower()}_never"
        rows.append(
            {
                "q": q,
                "years": round(value, 4) if np.isfinite(value) else None,
                "side": side,
                "mcse_years": round(mcse, 4) if np.isfinite(mcse) else None,
            }
        )
    return rows


def _pair(
    first: str,
    second: str,
    a: np.ndarray,
    b: np.ndarray,
    chains: int,
    within_years: Sequence[float],
    quantiles: Sequence[float],
) -> dict[str, Any]:
    """The race between two countries: P(first strictly before second), P(|gap| <= k), gap.

    Each Monte Carlo error uses the effective sample size of its own quantity.
    """
    gap = mcstats.gap_years(a, b)
    ahead = a < b
    before, before_se = mcstats.probability(ahead, mcstats.effective_size(ahead, chains))
    within = []
    for k in within_years:
        hit = np.abs(np.nan_to_num(gap, nan=np.inf)) <= k
        p, se = mcstats.probability(hit, mcstats.effective_size(hit, chains))
        within.append({"years": float(k), "p": round(p, 4), "mcse": round(se, 4)})
    return {
        "first": first,
        "second": second,
        "p_first_before_second": {"p": round(before, 4), "mcse": round(before_se, 4)},
        "p_gap_within": within,
        "gap_quantiles": gap_quantile_rows(
            gap,
            first,
            second,
            mcstats.effective_size(np.where(np.isnan(gap), np.inf, gap), chains),
            quantiles,
        ),
    }


@dataclass
class ScenarioAnswer:
    """Cached projection of every country under one scenario."""

    scenario: Scenario
    paths: dict[str, CountryPaths]
    n_eff: dict[str, float]
    ordered: dict[str, np.ndarray]  # arrival draws sorted, per country


def projector_for(
    run: LoadedRun,
    draws: Mapping[str, np.ndarray] | None = None,
    structure: np.ndarray | None = None,
    sources: frozenset[str] | None = None,
) -> Projector:
    """The projector of a run's draws (or of ``draws`` in their place, with each draw's
    ``structure``), with every noise source or only ``sources``."""
    extra = {} if sources is None else {"sources": sources}
    return Projector(
        run.draws if draws is None else draws,
        run.settings,
        run.data_end,
        run.seed,
        stock_additions=run.meta.get("stock_additions"),
        structure=run.structure if draws is None else structure,
        **extra,
    )


class Forecaster:
    """Answers questions from one stored run."""

    def __init__(self, run: LoadedRun, scenarios: Mapping[str, Scenario] | None = None) -> None:
        self.full_run = run
        run = run.mixture()  # answers use the structures' weighted mixture by default
        self.run = run
        self.token = next(_TOKENS)
        self.scenarios = dict(scenarios) if scenarios is not None else load_scenarios()
        self.projector = projector_for(run)
        self._cache: dict[str, ScenarioAnswer] = {}
        self._by_structure: dict[str, Forecaster] = {}

    # -- structures ---------------------------------------------------------------------------
    @property
    def structure(self) -> str:
        """Which draws answer: ``mixture`` (the weighted structures) or one structure's name."""
        return self.run.draw_set or self.run.structures[0]["name"]

    def for_structure(self, name: str | None) -> Forecaster:
        """The forecaster answering under one structure's draws (None or ``mixture``: this
        one's mixture); cached, and a clear error for a structure the run did not fit."""
        if name is None or name == MIXTURE or name == self.structure:
            return self
        if name not in self._by_structure:
            self._by_structure[name] = Forecaster(self.full_run.for_structure(name), self.scenarios)
        return self._by_structure[name]

    def structures(self) -> list[dict[str, Any]]:
        """The run's structures: name, weight, description and its fit's gate status."""
        out = []
        for entry in self.full_run.structures:
            info = structure_info(entry["name"])
            out.append(
                {
                    "structure": info.name,
                    "weight": round(float(entry.get("weight", 1.0)), 4),
                    "description": info.description,
                    "status": entry.get("status", self.full_run.meta.get("status")),
                }
            )
        return out

    def by_structure(self, ask: Callable[[Forecaster], dict[str, Any]]) -> list[dict[str, Any]]:
        """The same question under each fitted structure: name, weight and the answer."""
        return [
            {
                "structure": row["structure"],
                "weight": row["weight"],
                "answer": ask(self.for_structure(row["structure"])),
            }
            for row in self.structures()
        ]

    @classmethod
    def from_store(cls, store: RunStore | None = None, run_id: str | None = None) -> Forecaster:
        """The forecaster for a stored run (default: the current run)."""
        return cls((store or RunStore()).load(run_id))

    @cached_property
    def cdf_grid(self) -> tuple[np.ndarray, list[str]]:
        """Quarter boundaries from the data end to the horizon end, and their ISO dates."""
        grid = mcstats.quarterly_grid(self.projector.grid[0], self.projector.grid[-1])
        return grid, [iso(t) for t in grid]

    # -- projections --------------------------------------------------------------------------
    def scenario(self, name: str | None) -> ScenarioAnswer:
        """Projection under a named scenario (cached per forecaster)."""
        name = name or BASELINE_SCENARIO
        if name not in self._cache:
            scenario = get_scenario(name, self.scenarios)
            paths = {c: self.projector.country(c, scenario) for c in COUNTRIES}
            stats = {c: mcstats.sorted_with_ess(paths[c].arrival, self.run.chains) for c in paths}
            n_eff = {c: stats[c][1] for c in COUNTRIES}
            ordered = {c: stats[c][0] for c in COUNTRIES}
            self._cache[name] = ScenarioAnswer(scenario, paths, n_eff, ordered)
        return self._cache[name]

    def _header(self, scenario: str | None) -> dict[str, Any]:
        return {
            "run_id": self.run.id,
            "structure": self.structure,
            "scenario": scenario or BASELINE_SCENARIO,
            "draws": int(self.projector.n_draws),
            "horizon_end": iso(self.projector.grid[-1]),
        }

    # -- questions ----------------------------------------------------------------------------
    def arrival(
        self,
        country: str,
        scenario: str | None = None,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
        cdf: bool = True,
    ) -> dict[str, Any]:
        """Arrival of the breakthrough threshold: quantiles, quarterly CDF, P(later)."""
        code = COUNTRIES[country_index(country)]
        qs = check_quantiles(quantiles)
        ans = self.scenario(scenario)
        draws, n_eff = ans.ordered[code], ans.n_eff[code]
        later, later_se = mcstats.probability(~np.isfinite(draws), n_eff)
        out = self._header(scenario) | {
            "question": "arrival",
            "country": code,
            "n_eff": round(n_eff, 1),
            "quantiles": [
                {"q": q} | year_entry(*mcstats.quantile_with_mcse(draws, q, n_eff, ordered=True))
                for q in qs
            ],
            "p_later": {"p": round(later, 4), "mcse": round(later_se, 4)},
        }
        if cdf:
            grid, labels = self.cdf_grid
            table = np.round(mcstats.cdf(draws, grid, n_eff, ordered=True), 4).tolist()
            out["cdf"] = [
                {"date": label, "p": p, "mcse": s}
                for label, (p, s) in zip(labels, table, strict=True)
            ]
        return out

    def probability(
        self, country: str, by: str | date | float, scenario: str | None = None
    ) -> dict[str, Any]:
        """P(the country reaches the threshold on or before ``by``)."""
        code = COUNTRIES[country_index(country)]
        t = self._check_range(parse_date(by, "by"))
        ans = self.scenario(scenario)
        ordered = ans.ordered[code]
        p = float(np.searchsorted(ordered, t, side="right") / ordered.size)
        se = float(np.sqrt(p * (1 - p) / max(ans.n_eff[code], 1.0)))
        return self._header(scenario) | {
            "question": "probability",
            "country": code,
            "by": iso(t),
            "p": round(p, 4),
            "mcse": round(se, 4),
        }

    def race(
        self,
        scenario: str | None = None,
        within_years: Sequence[float] = (1.0, 2.0, 5.0),
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> dict[str, Any]:
        """Who reaches the threshold first among the registry's countries, and the gaps.

        ``p_first`` is, per country, P(it reaches the threshold strictly before every other
        country; ties count for nobody); ``p_neither_by_horizon`` is P(no country arrives before
        the horizon end), so the two add up to 1 less the ties. ``pairs`` holds, for every
        unordered pair (a, b) in registry order, P(a before b) and the gap b minus a (years).
        The fields of the original two-country race (``p_cn_first``, ``p_us_first``,
        ``p_gap_within``, ``gap_quantiles``) are there when both countries of
        :data:`LEGACY_RACE` are in the registry.
        """
        qs = check_quantiles(quantiles)
        within = tuple(float(k) for k in within_years)
        for k in within:
            if not k >= 0:
                raise UsageError(f"within_years: {k} must be a non-negative number of years")
        ans = self.scenario(scenario)
        n_eff = min(ans.n_eff.values())
        arrivals = {c: ans.paths[c].arrival for c in COUNTRIES}
        first = first_indicators(arrivals)
        p_first = []
        chains = self.run.chains
        for c in COUNTRIES:
            p, se = mcstats.probability(first[c], mcstats.effective_size(first[c], chains))
            p_first.append({"country": c, "p": round(p, 4), "mcse": round(se, 4)})
        late = np.stack([~np.isfinite(a) for a in arrivals.values()]).all(axis=0)
        neither, ne_se = mcstats.probability(late, mcstats.effective_size(late, chains))
        pairs = [
            _pair(a, b, arrivals[a], arrivals[b], chains, within, qs)
            for i, a in enumerate(COUNTRIES)
            for b in COUNTRIES[i + 1 :]
        ]
        out: dict[str, Any] = self._header(scenario)
        out |= {"question": "race", "n_eff": round(n_eff, 1)}
        legacy = None
        if set(LEGACY_RACE) <= set(COUNTRIES):
            ref, other = LEGACY_RACE
            legacy = _pair(ref, other, arrivals[ref], arrivals[other], chains, within, qs)
            by_code = {row["country"]: row for row in p_first}
            for code in (legacy["second"], legacy["first"]):
                out[first_key(code)] = {"p": by_code[code]["p"], "mcse": by_code[code]["mcse"]}
        out["p_neither_by_horizon"] = {"p": round(neither, 4), "mcse": round(ne_se, 4)}
        if legacy is not None:
            out["p_gap_within"] = legacy["p_gap_within"]
            out["gap_quantiles"] = legacy["gap_quantiles"]
            out["gap_definition"] = (
                f"{legacy['second']} arrival minus {legacy['first']} arrival in years, over draws "
                "where either arrives before the horizon end; a country that never arrives is "
                "infinitely late"
            )
        return out | {"p_first": p_first, "pairs": pairs}

    def values_at(
        self, country: str, t: float, scenario: str | None = None, predictive: bool = True
    ) -> dict[str, np.ndarray]:
        """Every quantity at time t per draw: fitted before the data end, projected after.

        With ``predictive`` the observable quantities are the predictive of an observation: a
        record model's ECI, horizon and training FLOP scatter around the frontier (the fitted
        misfit sd) and are measured with error (METR's typical interval-based standard error;
        Epoch's typical confidence-label sd, from the run's ``measurement_error``). Without
        it, the latent frontier path.
        """
        code = COUNTRIES[country_index(country)]
        if t <= self.projector.axes.data_end:
            values = self.projector.history(code, t)
        else:
            values = self.projector.at(self.scenario(scenario).paths[code], t)
        if not predictive:
            return values
        rng = np.random.default_rng([self.run.seed, 2, round(t * 1000), country_index(code)])
        z = rng.standard_normal((3, self.projector.n_draws))
        sd = self.observation_sd()
        values = dict(values)
        values["frontier_eci"] = values["frontier_eci"] + sd["frontier_eci"] * z[0]
        values["frontier_horizon_minutes"] = values["frontier_horizon_minutes"] * np.exp2(
            sd["frontier_horizon_minutes"] * z[1]
        )
        values["frontier_training_flop"] = values["frontier_training_flop"] * np.exp(
            sd["frontier_training_flop"] * z[2]
        )
        return values

    @staticmethod
    def _kind(quantity: str) -> str:
        """What an answer's draws are: an observation's predictive or the latent path."""
        if quantity in ("frontier_horizon_minutes", "frontier_training_flop"):
            return "predictive of an observation (misfit and measurement error)"
        if quantity == "frontier_eci":
            return "predictive of an observation (misfit around the frontier)"
        return "latent (no observation model)"

    def observation_sd(self) -> dict[str, np.ndarray]:
        """Per-draw sd of a new observation around the latent frontier, on each quantity's
        likelihood scale (ECI points; log2 minutes; ln FLOP): misfit and measurement error."""
        d = self.projector.draws
        err = self.run.meta.get("measurement_error") or {}
        return {
            "frontier_eci": d["eci_record_noise"],
            "frontier_horizon_minutes": np.hypot(
                d["horizon_noise"], float(err.get("horizon_log2_se", 0.0))
            ),
            "frontier_training_flop": np.hypot(
                d["frontier_noise"], float(err.get("compute_ln_sd", 0.0))
            ),
        }

    def trajectory(
        self,
        quantity: str,
        country: str,
        at: Sequence[str | date | float],
        scenario: str | None = None,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
        latent: bool = False,
        component: str | None = None,
    ) -> dict[str, Any]:
        """Quantiles of a quantity at each date, in its natural unit.

        By default the predictive of an observation (for training FLOP, ECI and METR horizons:
        misfit plus measurement error); ``latent`` gives the latent frontier path instead.
        ``component`` names a supply channel of the country (stock and additions only).
        """
        check_quantity(quantity)
        code = COUNTRIES[country_index(country)]
        qs = check_quantiles(quantiles)
        if not at:
            raise UsageError("at: give at least one date")
        if component is not None:
            info = country_info(code)
            if not info.components:
                raise UsageError(f"component: {code} has no supply channels")
            info.component(component)
            if quantity not in CHANNEL_QUANTITIES:
                raise UsageError(
                    f"component: a supply channel answers {' and '.join(CHANNEL_QUANTITIES)} only"
                )
        points = []
        for raw in at:
            t = self._check_range(parse_date(raw, "at"))
            if component is None:
                values = self.values_at(code, t, scenario, predictive=not latent)[quantity]
            else:
                chosen = self.scenario(scenario).scenario
                values = self.projector.channel_values(code, component, t, chosen)[quantity]
            # each quantity's own effective sample size, not the arrival's
            n_eff = mcstats.effective_size(values, self.run.chains)
            rows = []
            for q in qs:
                value, mcse = mcstats.quantile_with_mcse(values, q, n_eff)
                rows.append({"q": q, "value": float(f"{value:.6g}"), "mcse": float(f"{mcse:.3g}")})
            points.append({"date": iso(t), "n_eff": round(n_eff, 1), "quantiles": rows})
        n_eff = min(point["n_eff"] for point in points)
        return self._header(scenario) | {
            "question": "trajectory",
            "quantity": quantity,
            "unit": QUANTITIES[quantity],
            "kind": "latent" if latent else self._kind(quantity),
            "country": code,
            **({"component": component} if component is not None else {}),
            "n_eff": round(n_eff, 1),
            "points": points,
        }

    def surprise(
        self,
        quantity: str,
        when: str | date | float,
        value: float,
        countries: Sequence[str] = COUNTRIES,
        label: str | None = None,
        scenario: str | None = None,
    ) -> dict[str, Any]:
        """Posterior-predictive percentile of a new observation against each country's trend.

        The percentile is P(a record model at that date would score at most ``value``), averaged
        over draws of the predictive (trend plus observation noise): near 50 is on trend.
        """
        check_quantity(quantity)
        if not value > 0 and quantity != "frontier_eci":
            raise UsageError(f"value: {value} must be positive for {quantity}")
        t = self._check_range(parse_date(when, "date"))
        rows = []
        for country in countries:
            code = COUNTRIES[country_index(country)]
            latent = self.values_at(code, t, scenario, predictive=False)[quantity]
            sd = self.observation_sd()
            if quantity == "frontier_eci":
                z = (value - latent) / sd[quantity]
            elif quantity == "frontier_horizon_minutes":
                z = (np.log2(value) - np.log2(latent)) / sd[quantity]
            elif quantity == "frontier_training_flop":
                z = (np.log(value) - np.log(latent)) / sd[quantity]
            else:
                z = np.where(value >= latent, np.inf, -np.inf)
            cdf = stats.norm.cdf(z)
            n_eff = mcstats.effective_size(cdf, self.run.chains)
            pct, se = mcstats.mean_with_mcse(cdf, n_eff)
            median = float(np.median(latent))
            rows.append(
                {
                    "country": code,
                    "percentile": round(100 * pct, 2),
                    "mcse": round(100 * se, 2),
                    "trend_median": float(f"{median:.6g}"),
                    "log10_ratio_to_trend": round(float(np.log10(value / median)), 3)
                    if value > 0 and median > 0
                    else None,
                }
            )
        return self._header(scenario) | {
            "question": "surprise",
            "observation": {
                "label": label,
                "quantity": quantity,
                "unit": QUANTITIES[quantity],
                "date": iso(t),
                "value": value,
            },
            "kind": self._kind(quantity),
            "against": rows,
        }

    def compare(
        self, question: str, scenario: str, versus: str = BASELINE_SCENARIO, **kwargs: Any
    ) -> dict[str, Any]:
        """The same question under two scenarios, and the difference (scenario minus versus)."""
        if question not in ("arrival", "probability", "race"):
            raise UsageError(
                f"compare: question must be arrival, probability or race, not {question!r}"
            )
        method = getattr(self, question)
        a, b = method(scenario=scenario, **kwargs), method(scenario=versus, **kwargs)
        return {
            "question": question,
            "scenario": scenario,
            "versus": versus,
            "run_id": self.run.id,
            "structure": self.structure,
            "answers": {scenario: a, versus: b},
            "difference": self._difference(question, scenario, versus, kwargs),
        }

    def difference(
        self, question: str, scenario: str, versus: str = BASELINE_SCENARIO, **kwargs: Any
    ) -> dict[str, Any]:
        """Only the difference part of :meth:`compare` (scenario minus versus)."""
        return self._difference(question, scenario, versus, kwargs)

    def _difference(
        self, question: str, scenario: str, versus: str, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        a, b = self.scenario(scenario), self.scenario(versus)
        if question == "race":
            first_a = first_indicators({c: a.paths[c].arrival for c in COUNTRIES})
            first_b = first_indicators({c: b.paths[c].arrival for c in COUNTRIES})
            deltas = {}
            for c in COUNTRIES:
                change = first_a[c].astype(float) - first_b[c]
                n_eff = mcstats.effective_size(change, self.run.chains)
                diff, se = mcstats.mean_with_mcse(change, n_eff)
                deltas[c] = {"delta": round(diff, 4), "mcse": round(se, 4)}
            out: dict[str, Any] = {}
            if set(LEGACY_RACE) <= set(COUNTRIES):
                out[first_key(LEGACY_RACE[1])] = deltas[LEGACY_RACE[1]]
            return out | {"p_first": [{"country": c} | d for c, d in deltas.items()]}
        code = COUNTRIES[country_index(kwargs["country"])]
        ta, tb = a.paths[code].arrival, b.paths[code].arrival
        n_eff = min(a.n_eff[code], b.n_eff[code])
        if question == "probability":
            t = parse_date(kwargs["by"], "by")
            change = (ta <= t).astype(float) - (tb <= t)
            n_eff = mcstats.effective_size(change, self.run.chains)
            diff, se = mcstats.mean_with_mcse(change, n_eff)
            return {"p": {"delta": round(diff, 4), "mcse": round(se, 4)}}
        shifts = []
        for q in kwargs.get("quantiles", DEFAULT_QUANTILES):
            qa, sa = mcstats.quantile_with_mcse(ta, q, a.n_eff[code])
            qb, sb = mcstats.quantile_with_mcse(tb, q, b.n_eff[code])
            finite = np.isfinite(qa) and np.isfinite(qb)
            shifts.append(
                {
                    "q": q,
                    "delta_years": round(qa - qb, 4) if finite else None,
                    "mcse_years": round(float(np.hypot(sa, sb)), 4) if finite else None,
                }
            )
        both = np.isfinite(ta) & np.isfinite(tb)
        paired = ta[both] - tb[both]
        if both.all():
            n_eff = mcstats.effective_size(paired, self.run.chains)
        mean_shift, mean_se = (
            mcstats.mean_with_mcse(paired, n_eff) if paired.size > 1 else (np.nan, np.nan)
        )
        first_a = first_indicators({c: a.paths[c].arrival for c in COUNTRIES})[code]
        first_b = first_indicators({c: b.paths[c].arrival for c in COUNTRIES})[code]
        change = first_a.astype(float) - first_b
        p_diff, p_se = mcstats.mean_with_mcse(
            change, mcstats.effective_size(change, self.run.chains)
        )
        return {
            "p_first": {"delta": round(p_diff, 4), "mcse": round(p_se, 4)},
            "quantile_shift": shifts,
            "mean_paired_shift_years": None
            if not np.isfinite(mean_shift)
            else round(mean_shift, 4),
            "mean_paired_shift_mcse": None if not np.isfinite(mean_se) else round(mean_se, 4),
        }

    # -- validation ---------------------------------------------------------------------------
    def _check_range(self, t: float) -> float:
        start = float(self.run.settings["fit_start_year"])
        end = float(self.projector.grid[-1])
        if not start <= t <= end:
            year = math.floor(t)
            if date.min.year <= year <= date.max.year:  # the date, also in 9999 (no next year)
                first = date(year, 1, 1).toordinal()
                days = 366 if calendar.isleap(year) else 365
                shown = date.fromordinal(first + min(round((t - year) * days), days - 1))
                when = shown.isoformat()
            else:
                when = f"{t:g} (decimal year)"
            raise UsageError(f"date {when} is outside the model's range {iso(start)} .. {iso(end)}")
        return t
