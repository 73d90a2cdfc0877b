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


def _reweighted_emit(reweighting: dict[str, Any] | None) -> Callable[..., None]:
    """``emit`` that adds the reweighting diagnostics to every answer (and a line of text)."""
    if reweighting is None:
        return emit

    def add(answer: Any) -> Any:
        if isinstance(answer, list):
            return [add(a) for a in answer]
        return {**answer, "reweighting": reweighting}

    def line(formatter: Callable[[Any], str]) -> Callable[[Any], str]:
        changed = ", ".join(f"{p['prior']} {p['interval']}" for p in reweighting["priors"])
        return lambda a: (
            f"{formatter(a)}\n  under changed priors ({changed}): Pareto k "
            f"{reweighting['pareto_k']}, {reweighting['ess']:.0f} effective draws"
            + ("" if reweighting["reliable"] else " - UNRELIABLE, refit with the changed prior")
        )

    return lambda answer, as_json, formatter: emit(add(answer), as_json, line(formatter))


def handled(
    args: argparse.Namespace,
    surprise_items: Callable[[argparse.Namespace], list[dict[str, Any]]] | None = None,
) -> bool:
    """Answer a new question, or a basic one under options; False when ``cmd_ask`` should.

    ``surprise_items`` reads the observations of ``ask surprise`` (``cmd_ask`` passes its own).
    """
    q = args.question
    if q not in NEW_QUESTIONS and not _has_options(args):
        return False
    if q == "thresholds":
        from forecast.questions.thresholds import load_thresholds

        emit(load_thresholds().to_dict(), args.json, text.format_thresholds)
        return True
    from forecast.questions import custom
    from forecast.questions.forecaster import Forecaster

    options = custom.parse_options(
        getattr(args, "threshold", None), getattr(args, "lever", None), getattr(args, "given", None)
    )
    forecaster = Forecaster.from_store(run_id=args.run)
    reweighting = None
    if getattr(args, "prior", None):
        from forecast.questions.reweight import reweighted

        if q in ("psense", "external"):
            raise UsageError(f"{q}: --prior is not taken")
        forecaster, reweighting = reweighted(forecaster, args.prior)
    say = _reweighted_emit(reweighting)
    if q == "psense":
        from forecast.questions.psense import prior_sensitivity

        if not options.empty:
            raise UsageError("psense: answers for the run's own threshold; no options")
        say(prior_sensitivity(forecaster, args.scenario), args.json, text.format_psense)
        return True
    if q in ("metaculus", "drivers", "external"):
        f, scenario = forecaster, args.scenario
        summary = None
        if q == "external" and not options.empty:
            raise UsageError("external: answers under each row's own threshold; no options")
        if q == "drivers" and options.given:
            raise UsageError("drivers: --given is not taken (conditioning breaks the permutations)")
        if not options.empty and q == "metaculus":
            custom.check("arrival", options)
            f, scenario, _, summary = custom.under(forecaster, options, args.scenario)
        answer = _new_question(f, q, scenario, args)
        if summary is not None:
            answer = custom.finish(answer, q, options, summary)
        formatter = {
            "metaculus": text.format_metaculus,
            "drivers": text.format_drivers,
            "external": text.format_external,
        }[q]
        say(answer, args.json, text.with_options(formatter))
        return True
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
        answers = [
            custom.ask(
                forecaster,
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
        say(
            answers if len(answers) > 1 else answers[0],
            args.json,
            text.with_options(text.format_surprises),
        )
        return True
    answer = custom.ask(
        forecaster,
        q,
        options,
        scenario=args.scenario or (BASELINE_SCENARIO if versus else None),
        versus=versus,
        **kwargs,
    )
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
    say(answer, args.json, text.with_options(formatter))
    return True


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
