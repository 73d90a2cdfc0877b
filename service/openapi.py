"""The OpenAPI document: title, tags and security, plus what Litestar cannot know by itself.

Built once per app (:func:`create_app` calls :func:`openapi_config` and :func:`finish_document`),
so the document reflects the forecasters' files as they are when the app is built:

- scenario parameters and fields (schema title :data:`~service.live.SCENARIO_TITLE`) list the
  names in ``scenarios.toml`` as an enum;
- date parameters and fields (title :data:`~service.live.DATE_TITLE`) get the pattern of the
  API's date range, and ``{dates}`` in a description becomes that range in words;
- request bodies that refuse unknown fields say ``additionalProperties: false``.
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

import forecast
from service.auth import API_KEY_HEADER
from service.dashboard import DASHBOARD_TAG
from service.domains.exports import schemas as export_schemas
from service.domains.observations import schemas as observation_schemas
from service.domains.questions import schemas as question_schemas
from service.domains.refits import schemas as refit_schemas
from service.domains.runs import schemas as run_schemas
from service.domains.structures import schemas as structure_schemas
from service.domains.system import schemas as system_schemas
from service.live import DATE_TITLE, SCENARIO_TITLE, date_pattern, date_range, date_words
from service.live import scenario_names as live_scenario_names

DESCRIPTION = """Forecasts of breakthrough-level AI capability by country (US, CN) from a Bayesian
model of chip supply, training compute and efficiency gains, fitted with PyMC. Answers come from
the current stored run (or `run=`), with Monte Carlo errors. Errors are RFC 9457 problem details.
Reads are public; writes (observations, refits) need the `X-API-Key` header."""

TAGS = [
    Tag(name="questions", description="Timeline questions, as `forecast ask`"),
    Tag(name="runs", description="Stored runs and their diagnostics"),
    Tag(name="catalog", description="Scenarios and prior sets"),
    Tag(name="observations", description="Rows added to the data tables"),
    Tag(name="imports", description="Publishers' files imported as observations"),
    Tag(name="alerts", description="New observations far outside the current predictive"),
    Tag(name="refits", description="Refit jobs run by the worker process"),
    Tag(name="exports", description="Answers in other formats"),
    Tag(
        name="structures",
        description="The run's model structures (how chips become capability), their weights "
        "and the answers under each",
    ),
    Tag(name="reports", description="Dated forecast reports (HTML, PDF, JSON)"),
    Tag(name="system", description="Health"),
    DASHBOARD_TAG,
]

SCHEMA_MODULES: tuple[ModuleType, ...] = (
    question_schemas,
    export_schemas,
    run_schemas,
    system_schemas,
    observation_schemas,
    refit_schemas,
    structure_schemas,
)
"""Every module that declares request or response Structs."""


def openapi_config() -> OpenAPIConfig:
    """OpenAPI at ``/schema`` (Swagger UI) and ``/schema/openapi.json``."""
    return OpenAPIConfig(
        title="AI capability timelines forecast",
        version=forecast.__version__,
        description=DESCRIPTION,
        path="/schema",
        tags=TAGS,
        render_plugins=[SwaggerRenderPlugin(path=["/", "/swagger"])],
        components=Components(
            security_schemes={
                "ApiKey": SecurityScheme(
                    type="apiKey",
                    name=API_KEY_HEADER,
                    security_scheme_in="header",
                    description="Write endpoints only; keys come from FORECAST_API_KEYS",
                )
            }
        ),
    )


def document_strict_bodies(app: Litestar) -> None:
    """Mark request bodies that refuse unknown fields with ``additionalProperties: false``.

    msgspec refuses unknown fields of these Structs (a misspelt ``scenaro`` must not be ignored
    silently); Litestar 2 does not say so in the OpenAPI document, so it is added here.
    """
    components = app.openapi_schema.components
    documented = components.schemas if components and components.schemas else {}
    for module in SCHEMA_MODULES:
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, msgspec.Struct)
                and value.__struct_config__.forbid_unknown_fields
                and name in documented
            ):
                documented[name].additional_properties = False


def live_values() -> dict[str, Any]:
    """What the live files say now: scenario names, date pattern and date range in words."""
    try:
        first, last = date_range()
        pattern: str | None = date_pattern(first, last)
        words = date_words(first, last)
    except Exception:  # an unreadable prior set must not stop the app from starting
        pattern, words = None, "a date YYYY-MM-DD"
    return {"scenarios": live_scenario_names(), "pattern": pattern, "words": words}


def _fill(node: Any, live: dict[str, Any]) -> None:
    """Fill one schema (a spec object or a plain JSON Schema dict) with the live values."""
    get = node.get if isinstance(node, dict) else lambda key: getattr(node, key, None)

    def put(key: str, value: Any) -> None:
        if isinstance(node, dict):
            node[key] = value
        else:
            setattr(node, key, value)

    description = get("description")
    if isinstance(description, str) and "{dates}" in description:
        put("description", description.replace("{dates}", live["words"]))
    title = get("title")
    if title == SCENARIO_TITLE and live["scenarios"]:
        put("enum", list(live["scenarios"]))
    elif title == DATE_TITLE and live["pattern"]:
        put("pattern", live["pattern"])


def _walk(node: Any, live: dict[str, Any], seen: set[int]) -> None:
    if id(node) in seen or isinstance(node, str | int | float | bool | type(None)):
        return
    seen.add(id(node))
    if isinstance(node, dict):
        _fill(node, live)
        for value in node.values():
            _walk(value, live, seen)
    elif isinstance(node, list | tuple):
        for value in node:
            _walk(value, live, seen)
    elif dataclasses.is_dataclass(node):
        _fill(node, live)
        for f in dataclasses.fields(node):
            _walk(getattr(node, f.name), live, seen)


def document_live_values(app: Litestar) -> None:
    """Put the scenario names and the date range of the files as they are now into the document."""
    _walk(app.openapi_schema, live_values(), set())


def finish_document(app: Litestar) -> None:
    """Everything the generated document lacks (see the module docstring)."""
    document_strict_bodies(app)
    document_live_values(app)
