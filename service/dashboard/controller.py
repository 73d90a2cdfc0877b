"""The dashboard page (``GET /``), its static assets and the threshold read helper.

The page is a small HTML shell rendered with Jinja2; it carries the country registry (code, name,
colour, in model order) as a JSON data block, so the page draws every modelled country, and
``static/dashboard.js`` fills it from the public ``/v1`` API (current run, scenarios, prior sets,
arrival, probability, race, trajectories, run list) and draws the charts as plain SVG. Nothing
is loaded from another origin: the page's Content-Security-Policy allows this origin only.

The page's scenario builder needs the levers' valid ranges and the custom thresholds' kinds,
units and ranges, which the OpenAPI document does not carry (they are checked by the library):
:func:`builder_limits` writes them into the page as a second JSON data block, read from the
library's own tables (``LEVER_RANGES`` and ``START_RANGE`` of the scenario validator, ``KINDS``
and ``RANGES`` of the threshold parser), so the page and the validator cannot disagree. Only
the slider ends of the multipliers, which the model leaves unbounded above, are the page's own
choice (:data:`SLIDER_TOP`).

The structures panel reads ``GET /v1/dashboard/structures``: the run's model structures with
their weights and LOO comparison, and each scenario's effect per structure and mixed, answered
here from ``forecast.questions.structures`` (the functions the report's section uses), so the
panel does not depend on the API's own structures endpoints.

The API has no endpoint for the breakthrough threshold itself, which the capability fan charts
need as a band; ``GET /v1/dashboard/threshold`` answers it from
``Forecaster.projector.threshold_capability`` (per-draw ECI of the threshold), as quantiles with
their Monte Carlo errors, like every other answer.
"""

from __future__ import annotations

import hashlib
from functools import cache, partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.spec import Tag
from litestar.router import Router
from litestar.static_files import create_static_files_router
from msgspec import Struct

import forecast
from forecast.core import mcstats
from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES, REGISTRY
from forecast.priors.scenarios import LEVER_RANGES, START_RANGE, Levers, get_scenario
from forecast.questions.forecaster import Forecaster, check_quantiles, iso
from forecast.questions.thresholds import KINDS, RANGES
from service.domains.questions.controller import QUESTION_ERRORS
from service.domains.questions.params import QuantilesQuery, RunQuery, ScenarioQuery
from service.live import check_query
from service.responses import respond
from service.runtime import ServicesDep

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"
STATIC_PATH = "/dashboard/static"
ASSETS = ("dashboard.css", "dashboard.js")

DASHBOARD_TAG = Tag(
    name="dashboard", description="The web dashboard at `/` and the read helpers it needs"
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# -- the threshold answer ---------------------------------------------------------------------
class ThresholdQuantile(Struct):
    """A quantile of the threshold: ECI and the METR horizon at the same level, with MCSEs.

    ``horizon_minutes`` is the marginal quantile of the threshold horizon (minutes of METR v1.1
    50% time horizon); with a scenario's fixed horizon it is that value at every level (MCSE 0).
    """

    q: float
    eci: float | None
    eci_mcse: float | None
    horizon_minutes: float | None
    horizon_minutes_mcse: float | None


class Threshold(Struct):
    """The breakthrough threshold on the ECI scale under a scenario, over the posterior draws."""

    question: Literal["threshold"]
    run_id: str
    scenario: str
    draws: int
    horizon_end: str | None
    source: Literal["prior", "scenario"]
    unit: str
    n_eff: float
    quantiles: list[ThresholdQuantile]


def _number(value: float, digits: str) -> float | None:
    return float(format(value, digits)) if np.isfinite(value) else None


def ask_threshold(
    f: Forecaster, scenario: str | None = None, quantiles: tuple[float, ...] | None = None
) -> dict[str, Any]:
    """Quantiles of the threshold ECI per draw (the scenario's override if it sets one)."""
    name = scenario or BASELINE_SCENARIO
    chosen = get_scenario(name, f.scenarios)  # unknown name: UnknownScenarioError (422)
    qs = check_quantiles(quantiles or DEFAULT_QUANTILES)
    projector = f.projector
    if chosen.threshold_horizon_minutes is not None:
        minutes = np.full(projector.n_draws, float(chosen.threshold_horizon_minutes))
        eci = projector.capability_for_horizon(float(chosen.threshold_horizon_minutes))
        source = "scenario"
    else:
        minutes = np.asarray(projector.draws["threshold_horizon_minutes"], dtype=float)
        eci = projector.threshold_capability
        source = "prior"
    eci = np.asarray(eci, dtype=float)
    n_eff = mcstats.effective_size(eci, f.run.chains)
    n_eff_minutes = mcstats.effective_size(minutes, f.run.chains)
    ordered, ordered_minutes = np.sort(eci), np.sort(minutes)
    rows = []
    for q in qs:
        value, mcse = mcstats.quantile_with_mcse(ordered, q, n_eff, ordered=True)
        level, level_mcse = mcstats.quantile_with_mcse(
            ordered_minutes, q, n_eff_minutes, ordered=True
        )
        rows.append(
            {
                "q": q,
                "eci": _number(value, ".6g"),
                "eci_mcse": _number(mcse, ".3g"),
                "horizon_minutes": _number(level, ".6g"),
                "horizon_minutes_mcse": _number(level_mcse, ".3g"),
            }
        )
    return {
        "question": "threshold",
        "run_id": f.run.id,
        "scenario": name,
        "draws": int(projector.n_draws),
        "horizon_end": iso(projector.grid[-1]),
        "source": source,
        "unit": "ECI",
        "n_eff": round(n_eff, 1),
        "quantiles": rows,
    }


# -- the structures panel ---------------------------------------------------------------------
class StructureRow(Struct):
    """One model structure of the run: its weight, gate status, leave-future-out and PSIS-LOO
    comparisons (null where the run holds none, e.g. a quick fit weighed equally)."""

    structure: str
    description: str
    equation: str
    weight: float
    status: str | None
    gate_failures: list[str]
    elpd_loo: float | None
    se: float | None
    elpd_diff: float | None
    dse: float | None
    pareto_k_max: float | None
    n_pareto_k_high: int | None
    n_observations: int | None
    loo_weight: float | None = None
    elpd_lfo: float | None = None
    lfo_se: float | None = None
    lfo_diff: float | None = None
    lfo_dse: float | None = None
    n_held_out: int | None = None


class CountryEffect(Struct):
    """A scenario's effect on one country under one draw set, against the status quo."""

    country: str
    median_shift_years: float | None
    median_shift_mcse: float | None
    p_first_status_quo: float | None
    p_first_status_quo_mcse: float | None
    p_first_shift: float | None
    p_first_shift_mcse: float | None


class EffectRow(Struct):
    """One scenario under one draw set (``mixture`` or a structure's name)."""

    structure: str
    weight: float
    scenario: str
    countries: list[CountryEffect]


class DashboardStructures(Struct):
    """The run's structures and each scenario's effect per structure and mixed."""

    question: Literal["dashboard_structures"]
    run_id: str
    method: str | None
    blocks: list[str] | None
    note: str | None
    structures: list[StructureRow]
    versus: str
    scenario: str | None
    effects: list[EffectRow]


def ask_structures(f: Forecaster, scenario: str | None = None) -> dict[str, Any]:
    """The structures table and the scenario effects of ``scenario`` (None or the baseline:
    every scenario), from ``forecast.questions.structures`` as the report shows them."""
    from forecast.questions.structures import scenario_effects, structures
    from forecast.report.structures_section import structure_rows

    name = scenario if scenario and scenario != BASELINE_SCENARIO else None
    if name is not None:
        get_scenario(name, f.scenarios)  # unknown name: UnknownScenarioError (422)
    table = structures(f)
    effects = scenario_effects(f, [name] if name else None)
    return {
        "question": "dashboard_structures",
        "run_id": table["run_id"],
        "method": table["method"],
        "blocks": table["blocks"],
        "note": table["note"],
        "structures": structure_rows(table),
        "versus": effects["versus"],
        "scenario": name,
        "effects": effects["rows"],
    }


# -- the page ---------------------------------------------------------------------------------
SLIDER_TOP = 3.0
"""Right end of a multiplier's slider (the validator accepts any value >= 0)."""
SLIDER_STEPS = 60
"""Steps across a lever's slider."""
LEVER_LABELS: dict[str, tuple[str, str]] = {
    "additions_multiplier": ("Chip additions", "x the accelerator additions (H100e/yr)"),
    "growth_multiplier": ("Growth of additions", "x the growth rate of those additions"),
    "efficiency_rate_multiplier": ("Efficiency rate", "x the algorithmic efficiency rate"),
    "efficiency_jump_oom": ("Efficiency jump", "one-off gain in effective compute, OOM"),
}
"""How the page names each lever of the scenario file (label, unit in words)."""


def builder_limits() -> dict[str, Any]:
    """What the scenario builder's controls may take: the validator's own ranges.

    Each lever: its name, label, unit, neutral value (no change), the validator's closed range
    (``max`` is null when unbounded) and the slider's ends and step; the start date's range; and
    each custom threshold kind with its unit and range.
    """
    neutral = Levers()
    levers = []
    for name, (low, high) in LEVER_RANGES.items():
        top = high if np.isfinite(high) else SLIDER_TOP
        label, unit = LEVER_LABELS.get(name, (name.replace("_", " "), ""))
        levers.append(
            {
                "name": name,
                "label": label,
                "unit": unit,
                "neutral": float(getattr(neutral, name)),
                "min": low,
                "max": high if np.isfinite(high) else None,
                "slider_min": low,
                "slider_max": top,
                "step": round((top - low) / SLIDER_STEPS, 6),
            }
        )
    return {
        "levers": levers,
        "start": {"min": START_RANGE[0].isoformat(), "max": START_RANGE[1].isoformat()},
        "threshold_kinds": [
            {"kind": kind, "unit": unit, "min": RANGES[kind][0], "max": RANGES[kind][1]}
            for kind, unit in KINDS.items()
        ],
    }


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def asset_version() -> str:
    """A short hash of the static assets, appended to their URLs so browsers refetch edits."""
    digest = hashlib.sha256()
    for name in ASSETS:
        digest.update((STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def page_countries() -> list[dict[str, Any]]:
    """The registry as the page needs it: code, name, colour and reference flag, model order."""
    return [
        {"code": c.code, "name": c.name, "colour": c.colour, "reference": c.reference}
        for c in REGISTRY
    ]


def render_page() -> str:
    """The dashboard's HTML shell (with the country registry as a JSON data block)."""
    return (
        _environment()
        .get_template("dashboard.html")
        .render(
            version=forecast.__version__,
            static=STATIC_PATH,
            asset_version=asset_version(),
            countries=page_countries(),
            builder=builder_limits(),
        )
    )


class DashboardController(Controller):
    """The forecasters' page and its read helpers."""

    path = "/"

    @get("/", include_in_schema=False, media_type="text/html", name="dashboard")
    async def page(self) -> Response[str]:
        """The dashboard page (a shell; the script draws it from the API)."""
        return Response(content=render_page(), media_type="text/html", headers=PAGE_HEADERS)

    @get(
        "/v1/dashboard/threshold",
        operation_id="getDashboardThreshold",
        tags=["dashboard"],
        summary="The breakthrough threshold on the ECI scale",
        description="Quantiles over the posterior draws of the capability (ECI) at which a "
        "country's frontier reaches the breakthrough threshold: the threshold prior's METR "
        "horizon mapped through each draw's METR v1.1 horizon-per-ECI fit, or the scenario's "
        "fixed `threshold_horizon_minutes` when it sets one. Each ECI quantile carries its "
        "Monte Carlo standard error; `horizon_minutes` is the horizon's quantile at the same "
        "level (minutes of METR v1.1 50% time horizon), with its own. The dashboard draws the "
        "ECI quantiles as the threshold band on the capability fan charts.",
        responses=QUESTION_ERRORS,
    )
    async def threshold(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        scenario: ScenarioQuery = None,
        q: QuantilesQuery = None,
        run: RunQuery = None,
    ) -> Response[Threshold]:
        """The threshold's ECI quantiles."""
        check_query({"scenario": scenario})
        compute = partial(ask_threshold, scenario=scenario, quantiles=tuple(q) if q else None)
        return await respond(request, services, run, compute, Threshold)

    @get(
        "/v1/dashboard/structures",
        operation_id="getDashboardStructures",
        tags=["dashboard"],
        summary="The run's model structures and each scenario's effect under each",
        description="The dashboard's structures panel: every model structure of the run with its "
        "weight (stacking of held-out or PSIS-LOO predictive densities, or the prior set's), "
        "gate status, the held-out comparison (elpd_lfo, lfo_se, lfo_diff, lfo_dse over "
        "n_held_out observations; loo_weight: the weight leave-one-out stacking would give) and "
        "the LOO comparison (elpd_loo and se; elpd difference from the best structure and its "
        "se; the largest Pareto k and how many terms lie above 0.7), and each scenario's effect "
        "on every country under the mixture and under each structure: the shift of the median "
        "arrival (years) and of P(first), each with its Monte Carlo standard error, against the "
        "status quo. `scenario` picks one scenario (default or status_quo: every scenario).",
        responses=QUESTION_ERRORS,
    )
    async def structures(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        scenario: ScenarioQuery = None,
        run: RunQuery = None,
    ) -> Response[DashboardStructures]:
        """The structures panel's numbers."""
        check_query({"scenario": scenario})
        compute = partial(ask_structures, scenario=scenario)
        return await respond(request, services, run, compute, DashboardStructures)


def static_files_router() -> Router:
    """The dashboard's script and style sheet at ``/dashboard/static`` (not in the schema)."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        name="dashboard-static",
        cache_control=CacheControlHeader(max_age=3600, public=True),
        include_in_schema=False,
    )
