"""Per-request options of the questions: ``threshold``, ``lever``, ``given``, ``prior``,
``structure`` and ``by_structure``.

The parameters are declared here and added to each question handler; :func:`parse` checks
their syntax at once (a 400 naming the parameter, in words), and :func:`with_options` turns a
question's ``compute`` into one answered under them by :func:`forecast.questions.custom.ask`
(levers outside their ranges, a scenario without a start date, and conditions that leave too few
effective draws are the library's 422). ``prior`` answers under changed priors by importance
reweighting of the stored draws (:mod:`forecast.questions.reweight`), with the diagnostics in
the answer's ``reweighting``.

``structure`` answers from one model structure's draws (:meth:`Forecaster.for_structure`;
default the weighted mixture) and ``by_structure`` adds the same question answered under each
fitted structure (:meth:`Forecaster.by_structure`); :func:`with_structure` wraps the compute
last, so the other options hold under every structure. An unknown name is a 400 naming
``structure`` (an enum); a structure the run did not fit is a 422.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Annotated, Any

from litestar.exceptions import ValidationException
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from forecast.core.definitions import MIXTURE
from forecast.core.errors import UsageError
from forecast.questions import custom
from forecast.questions.forecaster import Forecaster
from service.domains.questions.schemas import Structure

THRESHOLD_PATTERN = r"^([A-Za-z0-9_-]{1,64}|(horizon50|horizon80|eci):[0-9.eE+-]{1,24})$"
LEVER_PATTERN = r"^([A-Za-z]{2,3}\.)?([a-z_]{1,20}\.)?[a-z_]{1,40}=[0-9A-Za-z.:+-]{1,40}$"
GIVEN_PATTERN = (
    r"^[A-Za-z]{2,3}\.[a-z0-9_]{1,40}(>=|<=|>|<)[0-9eE.+-]{1,30}@[0-9]{4}-[0-9]{2}-[0-9]{2}$"
)
PRIOR_PATTERN = r"^[a-z0-9_]{1,64}:[-+]?[0-9.eE+-]{1,24}:[-+]?[0-9.eE+-]{1,24}$"
"""The shapes of the options, for the OpenAPI document and the 400 in words; a value of the
right shape that the library cannot use (an unknown name, a value out of range, a lever without
a start date, too few draws left) is the library's 422, like an unknown scenario."""
_SHAPES = {
    "threshold": (THRESHOLD_PATTERN, "a threshold name or KIND:VALUE, e.g. work_week or eci:175"),
    "lever": (LEVER_PATTERN, "COUNTRY[.CHANNEL].LEVER=NUMBER or start=YYYY-MM-DD"),
    "given": (
        GIVEN_PATTERN,
        "COUNTRY.QUANTITY OP VALUE@YYYY-MM-DD, e.g. CN.frontier_eci>=160@2027-06-30",
    ),
    "prior": (PRIOR_PATTERN, "NAME:LOW:HIGH, e.g. efficiency_rate:0.3:0.9"),
}

ThresholdQuery = Annotated[
    str | None,
    QueryParameter(
        max_length=80,
        schema_extra={"pattern": THRESHOLD_PATTERN},
        description="Capability threshold: a name from /v1/thresholds or KIND:VALUE with KIND "
        "horizon50 or horizon80 (minutes) or eci (ECI points); default: the prior set's",
        examples=[Example(summary="one work-week", value="work_week")],
    ),
]
LeverQuery = Annotated[
    list[str] | None,
    QueryParameter(
        max_items=32,
        schema_extra={"items": {"type": "string", "pattern": LEVER_PATTERN, "maxLength": 84}},
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
        schema_extra={"items": {"type": "string", "pattern": GIVEN_PATTERN, "maxLength": 120}},
        description="Condition COUNTRY.QUANTITY OP VALUE@YYYY-MM-DD (repeatable; OP one of >=, "
        "<=, >, <): the answer from the draws where all hold",
        examples=[
            Example(
                summary="China at ECI 160 by mid-2027", value=["CN.frontier_eci>=160@2027-06-30"]
            )
        ],
    ),
]


PriorQuery = Annotated[
    list[str] | None,
    QueryParameter(
        max_items=8,
        schema_extra={"items": {"type": "string", "pattern": PRIOR_PATTERN, "maxLength": 114}},
        description="A changed prior NAME:LOW:HIGH (repeatable): the same family with this "
        "central interval; the answer reweights the stored draws (PSIS) and carries "
        "`reweighting` {pareto_k, ess, reliable}",
        examples=[Example(summary="a slower efficiency prior", value=["efficiency_rate:0.3:0.9"])],
    ),
]


StructureQuery = Annotated[
    Structure,
    QueryParameter(
        description="Which draws answer: a model structure's (how chips become capability; "
        "the run's structures are listed at /v1/structures) or `mixture`, the structures' "
        "weighted mixture (default); a structure the run did not fit is a 422",
        examples=[Example(summary="one structure", value="diffusion")],
    ),
]
MIXTURE_STRUCTURE = Structure(MIXTURE)
"""The default of ``structure``: the weighted mixture of the run's structures."""
ByStructureQuery = Annotated[
    bool,
    QueryParameter(
        description="Add `by_structure`: the same question answered under each fitted "
        "structure, with its weight (costs about structures + 1 times the question)",
    ),
]


def structure_factor(by_structure: bool, structures: int) -> int:
    """How many times a question is answered: once, or once more per fitted structure."""
    return structures + 1 if by_structure else 1


def structure_points(
    points: Callable[[Forecaster], int] | int, by_structure: bool
) -> Callable[[Forecaster], int]:
    """A question's points per draw (a callable of the forecaster, or a number), times the
    answers ``by_structure`` asks for."""

    def per_draw(f: Forecaster) -> int:
        base = points(f) if callable(points) else points
        return base * structure_factor(by_structure, len(f.full_run.structures))

    return per_draw


def structure_forecaster(f: Forecaster, structure: str | None) -> Forecaster:
    """The forecaster answering under ``structure`` (None or ``mixture``: ``f``); a structure
    the run did not fit is the library's UsageError (422) naming the parameter."""
    if structure is None or str(structure) == MIXTURE:
        return f
    name = str(structure)
    fitted = [e["name"] for e in f.full_run.structures]
    if name not in fitted:
        raise UsageError(
            f"structure: run {f.run.id} did not fit structure {name!r} "
            f"(it has: {', '.join(fitted)}; see /v1/structures)"
        )
    return f.for_structure(name)


def with_structure(
    compute: Callable[[Forecaster], dict[str, Any]],
    structure: str | None,
    by_structure: bool = False,
) -> Callable[[Forecaster], dict[str, Any]]:
    """``compute`` answered from ``structure``'s draws, with ``by_structure`` (the same compute
    under each fitted structure, each answer the structure's) when asked; ``compute`` itself
    for the mixture without ``by_structure`` (the library's answer as it is). An answer that
    does not name its structure (a comparison, drivers, an export) gets ``structure`` here."""
    if (structure is None or str(structure) == MIXTURE) and not by_structure:
        return compute

    def label(g: Forecaster) -> dict[str, Any]:
        out = compute(g)
        return out if "structure" in out else out | {"structure": g.structure}

    def answer(f: Forecaster) -> dict[str, Any]:
        out = label(structure_forecaster(f, structure))
        if by_structure:
            out = out | {"by_structure": f.by_structure(label)}
        return out

    return answer


def check_shapes(values: Mapping[str, list[str] | None]) -> None:
    """A 400 in words naming each option value of the wrong shape (by parameter name)."""
    errors = [
        {"message": f"{key}: expected {words}, got {v[:80]!r}", "key": key, "source": "query"}
        for key, given in values.items()
        for pattern, words in [_SHAPES[key]]
        for v in given or ()
        if not re.fullmatch(pattern, v)
    ]
    if errors:
        raise ValidationException(detail=f"Validation failed: {errors[0]['message']}", extra=errors)


def check_prior(prior: list[str] | None) -> None:
    """A 400 in words for a changed prior of the wrong shape."""
    check_shapes({"prior": prior})


def with_prior(
    compute: Callable[[Forecaster], dict[str, Any]], prior: list[str] | None
) -> Callable[[Forecaster], dict[str, Any]]:
    """``compute`` answered from the draws reweighted under the changed priors (unchanged
    without any), with the ``reweighting`` diagnostics added."""
    if not prior:
        return compute
    from forecast.questions.reweight import reweighted

    def answer(f: Forecaster) -> dict[str, Any]:
        changed, diagnostics = reweighted(f, prior)
        return compute(changed) | {"reweighting": diagnostics}

    return answer


def parse(
    threshold: str | None, lever: list[str] | None, given: list[str] | None
) -> custom.Options:
    """The options: a 400 in words for a value of the wrong shape (naming the parameter); a
    value of the right shape that cannot be used is the library's UsageError (422)."""
    check_shapes(
        {"threshold": [threshold] if threshold is not None else [], "lever": lever, "given": given}
    )
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
    if threshold is None and not lever and not given:
        return compute  # no option at all (most requests): nothing to parse or check
    try:
        options = parse(threshold, lever, given)
    except UsageError as exc:  # the right shape but not usable: the library's 422, at once
        message = str(exc)

        def refuse(f: Forecaster) -> dict[str, Any]:
            raise UsageError(message)

        return refuse
    if options.empty:
        return compute
    assert isinstance(compute, partial)

    def answer(f: Forecaster) -> dict[str, Any]:
        custom.check(question, options)
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
