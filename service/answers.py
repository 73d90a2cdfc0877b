"""Answering questions: the same Forecaster calls as ``forecast ask``, with ETags and caching.

Each ``ask_*`` function maps API parameters to one :class:`~forecast.questions.Forecaster`
call (or ``compare`` when ``versus`` is given) and returns the library's dict unchanged.
:func:`respond` wraps a question for a GET endpoint: resolve the run (explicit, or current),
derive the ETag from the run, path, canonical query and scenario-file stamp, answer 304 when the
client has it, serve the encoded answer from the cache when it is there, and otherwise compute
it in a worker thread, check it against the response schema and cache it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import anyio.to_thread
import msgspec
import numpy as np
from litestar import Request, Response

from forecast.core import mcstats
from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES
from forecast.core.errors import UsageError
from forecast.data.observations import COUNTRIES, country_index
from forecast.questions.forecaster import (
    Forecaster,
    iso,
    parse_date,
)
from service.etag import QUESTION_CACHE_CONTROL, canonical_query, make_etag, matches, not_modified
from service.runtime import Services

JSON = "application/json"
METACULUS_POINTS = 201
DEFAULT_WITHIN = (1.0, 2.0, 5.0)


def _quantiles(q: Sequence[float] | None, default: Sequence[float]) -> tuple[float, ...]:
    return tuple(q) if q else tuple(default)


def ask_arrival(
    f: Forecaster,
    country: str,
    scenario: str | None = None,
    versus: str | None = None,
    quantiles: Sequence[float] | None = None,
    cdf: bool = True,
) -> dict[str, Any]:
    """``forecast ask arrival`` (with ``--versus``: the comparison)."""
    qs = _quantiles(quantiles, DEFAULT_QUANTILES)
    if versus:
        return f.compare(
            "arrival", scenario or BASELINE_SCENARIO, versus, country=country, quantiles=qs, cdf=cdf
        )
    return f.arrival(country, scenario, qs, cdf=cdf)


def ask_probability(
    f: Forecaster, country: str, by: str, scenario: str | None = None, versus: str | None = None
) -> dict[str, Any]:
    """``forecast ask probability``."""
    if versus:
        return f.compare(
            "probability", scenario or BASELINE_SCENARIO, versus, country=country, by=by
        )
    return f.probability(country, by, scenario)


def ask_race(
    f: Forecaster,
    scenario: str | None = None,
    versus: str | None = None,
    within: Sequence[float] | None = None,
    quantiles: Sequence[float] | None = None,
) -> dict[str, Any]:
    """``forecast ask race``."""
    kwargs = {
        "within_years": tuple(within) if within else DEFAULT_WITHIN,
        "quantiles": _quantiles(quantiles, DEFAULT_QUANTILES),
    }
    if versus:
        return f.compare("race", scenario or BASELINE_SCENARIO, versus, **kwargs)
    return f.race(scenario, **kwargs)


def ask_trajectory(
    f: Forecaster,
    quantity: str,
    country: str,
    at: Sequence[str],
    scenario: str | None = None,
    quantiles: Sequence[float] | None = None,
) -> dict[str, Any]:
    """``forecast ask trajectory``."""
    return f.trajectory(
        quantity, country, list(at), scenario, _quantiles(quantiles, DEFAULT_QUANTILES)
    )


def ask_surprise(
    f: Forecaster,
    quantity: str,
    when: str,
    value: float,
    countries: Sequence[str] | None = None,
    label: str | None = None,
    scenario: str | None = None,
) -> dict[str, Any]:
    """``forecast ask surprise`` for one observation."""
    return f.surprise(
        quantity,
        when,
        value,
        countries=tuple(countries or COUNTRIES),
        label=label,
        scenario=scenario,
    )


def metaculus_cdf(
    f: Forecaster,
    country: str,
    scenario: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """A Metaculus-style 201-point CDF of the arrival date between ``lower`` and ``upper``.

    Defaults: from today to the horizon end. Points are evenly spaced in decimal years; the
    probabilities come from the same arrival draws as ``arrival`` (beyond-horizon draws count as
    above ``upper``).
    """
    code = COUNTRIES[country_index(country)]
    answer = f.scenario(scenario)
    draws, n_eff = answer.paths[code].arrival, answer.n_eff[code]
    start = float(f.run.settings["fit_start_year"])
    end = float(f.projector.grid[-1])
    lo = parse_date(lower or (today or date.today()).isoformat(), "lower")
    hi = parse_date(upper, "upper") if upper else end
    for name, t in (("lower", lo), ("upper", hi)):
        if not start <= t <= end:
            raise UsageError(
                f"{name}: date {iso(t)} is outside the model's range {iso(start)} to {iso(end)}"
            )
    if not hi > lo:
        raise UsageError(f"upper ({iso(hi)}) must be after lower ({iso(lo)})")
    grid = np.linspace(lo, hi, METACULUS_POINTS)
    table = mcstats.cdf(draws, grid, n_eff)
    below, below_se = mcstats.probability(draws < lo, n_eff)
    above, above_se = mcstats.probability(draws > hi, n_eff)
    return {
        "question": "metaculus_cdf",
        "run_id": f.run.id,
        "scenario": scenario or BASELINE_SCENARIO,
        "country": code,
        "draws": int(f.projector.n_draws),
        "n_eff": round(n_eff, 1),
        "lower": iso(lo),
        "upper": iso(hi),
        "lower_year": round(lo, 6),
        "upper_year": round(hi, 6),
        "points": METACULUS_POINTS,
        "dates": [iso(t) for t in grid],
        "cdf": [round(float(p), 6) for p in table[:, 0]],
        "mcse": [round(float(s), 6) for s in table[:, 1]],
        "p_below_lower": {"p": round(below, 6), "mcse": round(below_se, 6)},
        "p_above_upper": {"p": round(above, 6), "mcse": round(above_se, 6)},
    }


def encode_answer(answer: dict[str, Any], schema: Any) -> bytes:
    """The answer checked against its response schema and encoded as JSON."""
    return msgspec.json.encode(msgspec.convert(answer, schema))


async def respond(
    request: Request[Any, Any, Any],
    services: Services,
    run: str | None,
    compute: Callable[[Forecaster], dict[str, Any]],
    schema: Any,
    vary: str = "",
) -> Response[Any]:
    """Answer a GET question with ETag, 304, Cache-Control and the answer cache.

    ``vary`` enters the ETag for answers that depend on more than the run and the query (the
    Metaculus export's default lower bound is today).
    """
    run_id = run or services.current.require()
    etag = make_etag(
        "question",
        run_id,
        request.scope["path"],
        canonical_query(request.scope.get("query_string", b"")),
        services.pool.scenario_stamp(),
        vary,
    )
    cache_control = QUESTION_CACHE_CONTROL.format(max_age=services.settings.api.max_age)
    if matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag, cache_control)
    body = services.answers.get(etag)
    if body is None:
        forecaster = await services.pool.get(run_id)
        answer = await anyio.to_thread.run_sync(compute, forecaster)
        body = encode_answer(answer, schema)
        services.answers.put(etag, body)
    return Response(
        content=body, media_type=JSON, headers={"ETag": etag, "Cache-Control": cache_control}
    )
