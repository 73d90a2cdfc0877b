"""``forecast ask`` options and questions beyond the basic five.

Options every question takes (see :mod:`forecast.questions.custom`):

- ``--threshold NAME|KIND:VALUE``: a named threshold of ``priors/thresholds.toml`` or a custom
  one (``horizon50:10080``, ``horizon80:2400``, ``eci:175``); default the prior set's;
- ``--lever COUNTRY.LEVER=NUMBER`` / ``--lever start=YYYY-MM-DD`` (repeatable): ad-hoc levers laid
  over ``--scenario``, checked like a scenario file;
- ``--given "COUNTRY.QUANTITY>=VALUE@YYYY-MM-DD"`` (repeatable): condition on trajectory events;
- ``--prior NAME=LO..HI`` (repeatable): answer under a changed prior by importance reweighting
  of the stored draws (:mod:`forecast.questions.reweight`).

Questions: ``metaculus`` (a CDF Metaculus accepts), ``drivers`` (variance shares per input
group), ``psense`` (prior power-scaling sensitivity), ``external`` (others' forecasts beside
ours) and ``thresholds`` (the named thresholds).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from forecast.cli import text
from forecast.cli.output import emit
from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES
from forecast.core.errors import UsageError

NEW_QUESTIONS = ("metaculus", "drivers", "psense", "external", "thresholds")


def add_options(p: argparse.ArgumentParser) -> None:
    """``--threshold``, ``--lever`` and ``--given`` on a question's parser."""
    p.add_argument(
        "--threshold",
        metavar="NAME|KIND:VALUE",
        help="capability threshold: a name (forecast ask thresholds) or horizon50:MINUTES, "
        "horizon80:MINUTES, eci:POINTS (default: the prior set's)",
    )
    p.add_argument(
        "--lever",
        action="append",
        metavar="C.LEVER=VALUE",
        help="ad-hoc lever over --scenario, e.g. CN.additions_multiplier=0.6 or "
        "start=2027-01-01 (repeatable)",
    )
    p.add_argument(
        "--given",
        action="append",
        metavar="C.QUANTITY>=VALUE@DATE",
        help="condition on a trajectory event, e.g. CN.frontier_eci>=160@2027-06-30 (repeatable)",
    )
    p.add_argument(
        "--prior",
        action="append",
        metavar="NAME=LO..HI",
        help="answer under a changed prior (same family, new central interval), reweighting the "
        "stored draws, e.g. efficiency_rate=0.3..0.9 (repeatable)",
    )


def add_questions(asks: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``metaculus``, ``drivers``, ``external`` and ``thresholds`` questions."""
    met = asks.add_parser("metaculus", help="arrival as a CDF Metaculus accepts")
    met.add_argument("--country", required=True)
    met.add_argument("--lower", metavar="DATE", help="question's lower bound (default today)")
    met.add_argument("--upper", metavar="DATE", help="upper bound (default the horizon end)")
    met.add_argument("--lower-open", action="store_true", help="the lower bound is open")
    met.add_argument(
        "--upper-closed",
        dest="upper_open",
        action="store_false",
        help="the upper bound is closed (default open)",
    )
    common(met)
    drv = asks.add_parser("drivers", help="share of the answer's variance per input group")
    drv.add_argument("--country", required=True)
    drv.add_argument("--quantity", choices=("arrival", "p_by"), default="arrival")
    drv.add_argument("--by", metavar="DATE", help="date for --quantity p_by")
    drv.add_argument("--scale", choices=("rank", "years"), default="rank")
    common(drv)
    sens = asks.add_parser("psense", help="how much each prior moves each arrival (power-scaling)")
    common(sens)
    ext = asks.add_parser("external", help="others' forecasts beside ours")
    ext.add_argument("--source", help="one external forecast by id")
    common(ext)
    thr = asks.add_parser("thresholds", help="the named capability thresholds")
    thr.add_argument("--json", action="store_true")


def _has_options(args: argparse.Namespace) -> bool:
    return bool(
        getattr(args, "threshold", None)
        or getattr(args, "lever", None)
        or getattr(args, "given", None)
        or getattr(args, "prior", None)
    )


def _reweighting_of(answer: Any) -> dict[str, Any] | None:
    first = answer[0] if isinstance(answer, list) and answer else answer
    return first.get("reweighting") if isinstance(first, dict) else None


def with_reweighting(formatter: Callable[[Any], str]) -> Callable[[Any], str]:
    """A formatter that adds a line on the changed priors when the answer was reweighted."""

    def render(answer: Any) -> str:
        rw = _reweighting_of(answer)
        if rw is None:
            return formatter(answer)
        changed = ", ".join(f"{p['prior']} {p['interval']}" for p in rw["priors"])
        return (
            f"{formatter(answer)}\n  under changed priors ({changed}): Pareto k "
            f"{rw['pareto_k']}, {rw['ess']:.0f} effective draws"
            + ("" if rw["reliable"] else " - UNRELIABLE, refit with the changed prior")
        )

    return render


def _under_priors(ask: Callable[[Any], Any], priors: list[str] | None) -> Callable[[Any], Any]:
    """``ask`` on the forecaster reweighted to ``--prior`` (each structure reweighted apart),
    with the reweighting diagnostics added to every answer."""
    if not priors:
        return ask

    def reweighted_ask(f: Any) -> Any:
        from forecast.questions.reweight import reweighted

        changed, reweighting = reweighted(f, priors)
        answer = ask(changed)
        if isinstance(answer, list):
            return [{**a, "reweighting": reweighting} for a in answer]
        return {**answer, "reweighting": reweighting}

    return reweighted_ask


def handled(
    args: argparse.Namespace,
    surprise_items: Callable[[argparse.Namespace], list[dict[str, Any]]] | None = None,
) -> bool:
    """Answer a new question, or a basic one under options; False when ``cmd_ask`` should.

    ``surprise_items`` reads the observations of ``ask surprise`` (``cmd_ask`` passes its own).
    Every answer goes through :func:`forecast.cli.structures_cmd.respond` (``--structure``,
    ``--by-structure``).
    """
    q = args.question
    if q not in NEW_QUESTIONS and not _has_options(args):
        return False
    if q == "thresholds":
        from forecast.questions.thresholds import load_thresholds

        emit(load_thresholds().to_dict(), args.json, text.format_thresholds)
        return True
    from forecast.cli.structures_cmd import load_forecaster, respond
    from forecast.questions import custom

    options = custom.parse_options(
        getattr(args, "threshold", None), getattr(args, "lever", None), getattr(args, "given", None)
    )
    prior = getattr(args, "prior", None)
    if prior and q in ("psense", "external"):
        raise UsageError(f"{q}: --prior is not taken")
    ask, formatter = _question(args, options, surprise_items)
    base = load_forecaster(args)
    respond(args, _under_priors(ask, prior), with_reweighting(formatter), base)
    return True


def _question(
    args: argparse.Namespace,
    options: Any,
    surprise_items: Callable[[argparse.Namespace], list[dict[str, Any]]] | None,
) -> tuple[Callable[[Any], Any], Callable[[Any], str]]:
    """The question as a function of the forecaster (under the options), and its formatter;
    bad input is refused here, before the run is loaded."""
    from forecast.questions import custom

    q = args.question
    if q == "psense":
        from forecast.questions.psense import prior_sensitivity

        if not options.empty:
            raise UsageError("psense: answers for the run's own threshold; no options")
        return (lambda f: prior_sensitivity(f, args.scenario)), text.format_psense
    if q in ("metaculus", "drivers", "external"):
        if q == "external" and not options.empty:
            raise UsageError("external: answers under each row's own threshold; no options")
        if q == "drivers" and options.given:
            raise UsageError("drivers: --given is not taken (conditioning breaks the permutations)")
        if not options.empty and q == "metaculus":
            custom.check("arrival", options)

        def new(forecaster: Any) -> dict[str, Any]:
            f, scenario = forecaster, args.scenario
            summary = None
            if not options.empty and q == "metaculus":
                f, scenario, _, summary = custom.under(forecaster, options, args.scenario)
            answer = _new_question(f, q, scenario, args)
            if summary is not None:
                answer = custom.finish(answer, q, options, summary)
            return answer

        formatter = {
            "metaculus": text.format_metaculus,
            "drivers": text.format_drivers,
            "external": text.format_external,
        }[q]
        return new, text.with_options(formatter)
    kwargs: dict[str, Any] = {}
    versus = getattr(args, "versus", None)
    if q in ("arrival", "probability"):
        kwargs["country"] = args.country
    if q == "arrival" and not versus:
        kwargs["quantiles"] = tuple(args.quantile or DEFAULT_QUANTILES)
    if q == "probability":
        kwargs["by"] = args.by
    if q == "race" and args.within:
        kwargs["within_years"] = tuple(args.within)
    if q == "trajectory":
        kwargs |= {"quantity": args.quantity, "country": args.country, "at": args.at}
        if getattr(args, "latent", False):
            kwargs["latent"] = True
        if getattr(args, "component", None):
            kwargs["component"] = args.component
    if q == "surprise":
        if surprise_items is None:
            raise UsageError("surprise: no reader of the observations given")
        items = surprise_items(args)

        def surprise(f: Any) -> Any:
            answers = [
                custom.ask(
                    f,
                    "surprise",
                    options,
                    scenario=args.scenario,
                    quantity=it["quantity"],
                    when=it["when"],
                    value=it["value"],
                    label=it["label"],
                    **({"countries": args.country} if args.country else {}),
                )
                for it in items
            ]
            return answers if len(answers) > 1 else answers[0]

        return surprise, text.with_options(text.format_surprises)
    scenario = args.scenario or (BASELINE_SCENARIO if versus else None)
    formatter = (
        text.format_compare
        if versus
        else {
            "arrival": text.format_arrival,
            "probability": text.format_probability,
            "race": text.format_race,
            "trajectory": text.format_trajectory,
        }[q]
    )
    return (
        lambda f: custom.ask(f, q, options, scenario=scenario, versus=versus, **kwargs)
    ), text.with_options(formatter)


def _new_question(f: Any, q: str, scenario: str | None, args: argparse.Namespace) -> dict[str, Any]:
    if q == "metaculus":
        from forecast.questions.metaculus import metaculus_forecast

        return metaculus_forecast(
            f,
            args.country,
            scenario,
            lower=args.lower,
            upper=args.upper,
            lower_open=args.lower_open,
            upper_open=args.upper_open,
        )
    if q == "drivers":
        from forecast.questions.drivers import drivers

        return drivers(
            f,
            args.country,
            args.quantity,
            args.by,
            scenario,
            scale=args.scale,
            threshold=args.threshold,
            levers=args.lever,
        )
    from forecast.questions.external import external

    return external(f, args.source)
