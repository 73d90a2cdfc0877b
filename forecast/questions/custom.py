"""Questions with per-request options: a threshold, ad-hoc levers and conditions.

:func:`ask` answers any ``Forecaster`` question (``arrival``, ``probability``, ``race``,
``trajectory``, ``surprise``, ``compare``) under :class:`Options`:

- ``threshold`` (:mod:`forecast.questions.thresholds`): the capability level that counts as
  arrival, instead of the prior set's;
- ``levers`` (:mod:`forecast.questions.levers`): laid over the named scenario;
- ``given`` (:mod:`forecast.questions.conditional`): the answer from the draws where the stated
  trajectory events hold.

The projection under the options is built from the stored draws (no refit: milliseconds to a
few tenths of a second) and handed to a private copy of the forecaster, so the answer's maths
is the library's own. The answer is the question's usual dict; its ``scenario`` reads like
``status_quo | threshold work_week | levers CN.additions_multiplier=0.6 start=2027-01-01`` and an
``options`` entry spells them out (with the effective draws left after ``given``). With
``versus`` the threshold and conditions apply to both sides, the levers to ``scenario`` only.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from forecast.core import mcstats
from forecast.core.definitions import BASELINE_SCENARIO, COUNTRIES
from forecast.core.errors import UsageError
from forecast.model.paths import CountryPaths
from forecast.priors.scenarios import get_scenario
from forecast.questions import thresholds as th
from forecast.questions.conditional import (
    MIN_EFFECTIVE,
    Condition,
    TooFewDrawsError,
    effective_kept,
    parse_conditions,
)
from forecast.questions.forecaster import Forecaster, ScenarioAnswer, parse_date
from forecast.questions.levers import LeverSetting, parse_levers, with_levers

CACHE_SIZE = 32
"""Projections under options kept per process (least recently used dropped first)."""


@dataclass(frozen=True)
class Options:
    """A request's threshold, ad-hoc levers and conditions (all optional)."""

    threshold: th.Threshold | None = None
    levers: tuple[LeverSetting, ...] = ()
    given: tuple[Condition, ...] = ()
    factor: float = th.DEFAULT_HORIZON80_TO_50

    @property
    def empty(self) -> bool:
        return self.threshold is None and not self.levers and not self.given

    def key(self, scenario: str, levers: bool = True) -> str:
        parts = [scenario]
        if self.threshold is not None:
            parts.append(f"threshold {self.threshold.label}")
        if levers and self.levers:
            parts.append("levers " + " ".join(s.text for s in self.levers))
        if self.given:
            parts.append("given " + " & ".join(c.text for c in self.given))
        return " | ".join(parts)


_TABLE: dict[tuple[str, int, int], th.ThresholdTable] = {}


def threshold_table() -> th.ThresholdTable:
    """The threshold file's table, read again only when the file changes (its path, size or
    modification time): a request with a threshold need not parse the TOML file."""
    path = th.thresholds_path()
    try:
        stat = path.stat()
    except OSError:
        return th.load_thresholds(path)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    table = _TABLE.get(key)
    if table is None:
        table = th.load_thresholds(path)
        _TABLE.clear()
        _TABLE[key] = table
    return table


def parse_options(
    threshold: str | None = None,
    levers: Sequence[str] | None = None,
    given: Sequence[str] | None = None,
) -> Options:
    """Options from the CLI flags or HTTP parameters; UsageError in words on a bad one."""
    table = threshold_table() if threshold else None
    return Options(
        threshold=th.parse_threshold(threshold, table) if threshold else None,
        levers=tuple(parse_levers(levers)),
        given=tuple(parse_conditions(given)),
        factor=table.horizon80_to_horizon50 if table else th.DEFAULT_HORIZON80_TO_50,
    )


def arrival_at(grid: np.ndarray, paths: CountryPaths, level: np.ndarray) -> np.ndarray:
    """Arrival per draw at another threshold level, with the scenario's start rule."""
    crossing = paths.crossing(grid, level)
    if paths.base_capability is None:
        return crossing
    before = paths.crossing(grid, level, base=True)
    t_s = paths.start_year
    return np.where(before < t_s, before, np.maximum(crossing, t_s))


def _subset(paths: CountryPaths, rows: np.ndarray, draws: int) -> CountryPaths:
    """The paths of the kept draws ``rows`` as conditioned questions read them.

    The per-draw values (the arrival) are restricted to those draws. The (draws, grid) paths
    are read only by trajectory and surprise answers, which cannot be conditioned
    (:func:`check`); they are left with no rows (a view, no copy), so a reader would find no
    draws rather than the unconditioned ones. Copying them would cost more than the rest of the
    answer: each copy is fresh memory, several megabytes per country.
    """
    changes = {}
    for f in fields(paths):
        value = getattr(paths, f.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == draws:
            changes[f.name] = value.take(rows) if value.ndim == 1 else value[:0]
    return replace(paths, **changes)


class PerCountry(Mapping[str, Any]):
    """A mapping from each country to a value made when it is first read, then kept: an
    arrival or probability question reads one country's projection, arrival draws and
    effective sample size, so the other country's are never made."""

    def __init__(self, make: Callable[[str], Any], countries: Sequence[str] = COUNTRIES) -> None:
        self._make = make
        self._countries = tuple(countries)
        self._made: dict[str, Any] = {}

    def __getitem__(self, country: str) -> Any:
        if country not in self._made:
            if country not in self._countries:
                raise KeyError(country)
            self._made[country] = self._make(country)
        return self._made[country]

    def __iter__(self) -> Iterator[str]:
        return iter(self._countries)

    def __len__(self) -> int:
        return len(self._countries)


def condition_mask(
    f: Forecaster, paths: Mapping[str, CountryPaths], given: Sequence[Condition]
) -> np.ndarray:
    """Draws where every condition holds (trend values, under the request's projection)."""
    mask = np.ones(f.projector.n_draws, dtype=bool)
    for c in given:
        t = f._check_range(parse_date(c.when, "given"))
        if t <= f.projector.axes.data_end:
            values = f.projector.history(c.country, t)[c.quantity]
        else:
            values = f.projector.at(paths[c.country], t)[c.quantity]
        mask &= c.holds(values)
    return mask


_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[int, str, str], tuple[ScenarioAnswer, dict[str, Any]]] = OrderedDict()


def projection(
    f: Forecaster,
    scenario: str | None,
    options: Options,
    levers: bool = True,
    given_from: tuple[str, bool] | None = None,
) -> tuple[ScenarioAnswer, dict[str, Any]]:
    """The projection of every country under a scenario and the options, and their summary.

    The conditions of ``given`` are evaluated under this projection, or, with ``given_from`` =
    (scenario, levers), under that one's (so both sides of a comparison keep the same draws).
    """
    name = scenario or BASELINE_SCENARIO
    key = (f.token, f.run.id, options.key(name, levers) + f" from {given_from}")
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    base = get_scenario(name, f.scenarios)
    chosen = with_levers(base, options.levers, "adhoc") if levers and options.levers else base
    projector = f.projector
    # each country's projection, arrival draws and effective sample size are made when first
    # read (PerCountry); the closures bind the mapping they read as a default argument
    projected = PerCountry(lambda c: projector.country(c, chosen))
    paths: Mapping[str, CountryPaths] = projected
    summary: dict[str, Any] = {"scenario": name}
    if options.threshold is not None:
        level = th.level(projector, options.threshold, options.factor)
        paths = PerCountry(
            lambda c, p=projected: replace(p[c], arrival=arrival_at(projector.grid, p[c], level))
        )
        summary["threshold"] = options.threshold.to_dict(options.factor) | {
            "eci_level_median": round(float(np.median(level)), 3)
        }
    if levers and options.levers:
        summary["levers"] = [s.text for s in options.levers]
        summary["applied"] = chosen.to_dict()
    # each country's draws sorted and their ESS come from one sort
    stats = PerCountry(lambda c, p=paths: mcstats.sorted_with_ess(p[c].arrival, f.run.chains))
    n_eff: Mapping[str, float] = PerCountry(lambda c, s=stats: s[c][1])
    ordered: Mapping[str, np.ndarray] = PerCountry(lambda c, s=stats: s[c][0])
    if options.given:
        if given_from is not None:
            source, source_levers = given_from
            other = get_scenario(source, f.scenarios)
            if source_levers and options.levers:
                other = with_levers(other, options.levers, "adhoc")
            mask = condition_mask(
                f, PerCountry(lambda c: projector.country(c, other)), options.given
            )
        else:
            mask = condition_mask(f, paths, options.given)
        effective = {c: effective_kept(mask, n_eff[c]) for c in COUNTRIES}
        summary["given"] = {
            "conditions": [c.text for c in options.given],
            "kept_draws": int(mask.sum()),
            "draws": int(mask.size),
            "p_conditions": round(float(mask.mean()), 4),
            "effective_draws": {c: round(v, 1) for c, v in effective.items()},
        }
        least = min(effective.values())
        if least < MIN_EFFECTIVE:
            raise TooFewDrawsError(
                f"given: only {least:.0f} effective draws satisfy the conditions "
                f"({int(mask.sum())} of {mask.size} draws, P = {mask.mean():.3f}); at least "
                f"{MIN_EFFECTIVE} are needed for an answer, so loosen the conditions"
            )
        rows = np.flatnonzero(mask)
        paths = PerCountry(lambda c, p=paths: _subset(p[c], rows, mask.size))
        n_eff = effective
        ordered = PerCountry(lambda c, p=paths: np.sort(p[c].arrival))
    answer = ScenarioAnswer(chosen, paths, n_eff, ordered)  # type: ignore[arg-type]
    with _LOCK:
        _CACHE[key] = (answer, summary)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return answer, summary


QUESTIONS = ("arrival", "probability", "race", "trajectory", "surprise")


def under(
    f: Forecaster, options: Options, scenario: str | None = None, versus: str | None = None
) -> tuple[Forecaster, str, str | None, dict[str, Any]]:
    """A private copy of ``f`` answering under the options: (forecaster, scenario label, versus
    label, summary). Ask it any question with ``scenario=label`` (and ``versus=versus label``)."""
    name = scenario or BASELINE_SCENARIO
    mine = copy.copy(f)
    mine._cache = {}
    answer, summary = projection(f, name, options)
    label = options.key(name)
    mine._cache[label] = answer
    other_label = None
    if versus:
        other, other_summary = projection(f, versus, options, levers=False, given_from=(name, True))
        other_label = options.key(versus, levers=False)
        mine._cache[other_label] = other
        summary = summary | {"versus": other_summary}
    return mine, label, other_label, summary


def finish(
    out: dict[str, Any], question: str, options: Options, summary: dict[str, Any]
) -> dict[str, Any]:
    """The answer with its ``options`` summary (and a conditional arrival's own n_eff)."""
    if options.given and question == "arrival" and "country" in out and "n_eff" in out:
        out["n_eff"] = summary["given"]["effective_draws"][out["country"]]
    return out | {"options": summary}


def ask(
    f: Forecaster,
    question: str,
    options: Options,
    scenario: str | None = None,
    versus: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """``f.<question>(scenario=..., **kwargs)`` (or ``f.compare`` with ``versus``) under options."""
    if question not in QUESTIONS:
        raise UsageError(f"unknown question {question!r}")
    if options.empty:
        if versus:
            return f.compare(question, scenario or BASELINE_SCENARIO, versus, **kwargs)
        return getattr(f, question)(scenario=scenario, **kwargs)
    check(question, options)
    mine, label, other, summary = under(f, options, scenario, versus)
    if versus:
        out = mine.compare(question, label, other, **kwargs)
    else:
        out = getattr(mine, question)(scenario=label, **kwargs)
    return finish(out, question, options, summary)


def check(question: str, options: Options) -> None:
    """Refuse options a question cannot take."""
    if options.given and question in ("trajectory", "surprise"):
        raise UsageError(
            f"given: {question} answers cannot be conditioned (arrival, probability, race can)"
        )
