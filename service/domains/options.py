"""Per-request options of the questions: ``threshold``, ``lever`` and ``given``.

The parameters are declared here and added to each question handler; :func:`parse` checks
their syntax at once (a 400 naming the parameter, in words), and :func:`with_options` turns a
question's ``compute`` into one answered under them by :func:`forecast.questions.custom.ask`
(levers outside their ranges, a scenario without a start date, and conditions that leave too few
effective draws are the library's 422).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from litestar.exceptions import ValidationException
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from forecast.core.errors import UsageError
from forecast.questions import custom
from forecast.questions.forecaster import Forecaster

ThresholdQuery = Annotated[
    str | None,
    QueryParameter(
        max_length=80,
        description="Capability threshold: a name from /v1/thresholds or KIND:VALUE with KIND "
        "horizon50 or horizon80 (minutes) or eci (ECI points); default: the prior set's",
        examples=[Example(summary="one work-week", value="work_week")],
    ),
]
LeverQuery = Annotated[
    list[str] | None,
    QueryParameter(
        max_items=32,
        description="Ad-hoc lever COUNTRY.LEVER=NUMBER or start=YYYY-MM-DD (repeatable), laid "
        "over `scenario` and checked like a scenario file",
        examples=[
            Example(
                summary="fewer Chinese chips from 2027",
                value=["CN.additions_multiplier=0.6", "start=2027-01-01"],
            )
        ],
    ),
]
GivenQuery = Annotated[
    list[str] | None,
    QueryParameter(
        max_items=8,
        description="Condition COUNTRY.QUANTITY OP VALUE@YYYY-MM-DD (repeatable; OP one of >=, "
        "<=, >, <): the answer from the draws where all hold",
        examples=[
            Example(
                summary="China at ECI 160 by mid-2027", value=["CN.frontier_eci>=160@2027-06-30"]
            )
        ],
    ),
]


def parse(
    threshold: str | None, lever: list[str] | None, given: list[str] | None
) -> custom.Options:
    """The options, or a 400 naming the first bad parameter."""
    for key, value in (("threshold", threshold), ("lever", lever), ("given", given)):
        try:
            if key == "threshold":
                custom.parse_options(threshold=value)  # type: ignore[arg-type]
            elif key == "lever":
                custom.parse_options(levers=value)  # type: ignore[arg-type]
            else:
                custom.parse_options(given=value)  # type: ignore[arg-type]
        except UsageError as exc:
            raise ValidationException(
                detail=f"Validation failed: {exc}",
                extra=[{"message": str(exc), "key": key, "source": "query"}],
            ) from None
    return custom.parse_options(threshold, lever, given)


def with_options(
    compute: Callable[[Forecaster], dict[str, Any]],
    question: str,
    threshold: str | None,
    lever: list[str] | None,
    given: list[str] | None,
) -> Callable[[Forecaster], dict[str, Any]]:
    """``compute`` unchanged without options; else the same call on a forecaster answering under
    them (the question's own ``ask_*`` function, so defaults and numbers are the library's)."""
    options = parse(threshold, lever, given)
    if options.empty:
        return compute
    try:
        custom.check(question, options)
    except UsageError as exc:
        raise ValidationException(
            detail=f"Validation failed: {exc}",
            extra=[{"message": str(exc), "key": "given", "source": "query"}],
        ) from None
    assert isinstance(compute, partial)

    def answer(f: Forecaster) -> dict[str, Any]:
        kwargs = dict(compute.keywords)
        mine, label, other, summary = custom.under(
            f, options, kwargs.pop("scenario", None), kwargs.pop("versus", None)
        )
        out = (
            compute.func(mine, *compute.args, scenario=label, versus=other, **kwargs)
            if ("versus" in compute.keywords)
            else compute.func(mine, *compute.args, scenario=label, **kwargs)
        )
        return custom.finish(out, question, options, summary)

    return answer
