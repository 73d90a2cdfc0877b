"""Model structures on the command line: ``--structure`` and ``--by-structure`` on every
``forecast ask`` question, and the ``forecast structures`` command.

A run holds every structure of the chips-to-capability channel; answers use the weighted mixture
by default. ``--structure NAME`` answers from one structure's draws; ``--by-structure`` adds the
same question under every structure (``by_structure``: structure, weight, answer). Every question
is answered through one function of the forecaster (:func:`respond`), so both flags work the same
way for all of them.

``forecast structures`` lists the run's structures and weights; ``--effects`` gives each
scenario's effect under every structure and the mixture; ``--race`` splits the race's P(first)
into its sources of randomness (and gives it per structure).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from forecast.cli import text
from forecast.cli.output import emit
from forecast.core.definitions import MIXTURE, STRUCTURE_NAMES
from forecast.core.errors import UsageError

if TYPE_CHECKING:
    from forecast.questions.forecaster import Forecaster

STRUCTURE_CHOICES: tuple[str, ...] = (*STRUCTURE_NAMES, MIXTURE)
"""What ``--structure`` takes: a structure's name, or the weighted mixture (the default)."""

Ask = Callable[["Forecaster"], Any]
"""A question as a function of the forecaster that answers it."""


def add_structure_options(p: argparse.ArgumentParser) -> None:
    """``--structure NAME`` and ``--by-structure`` on a question's parser."""
    p.add_argument(
        "--structure",
        choices=STRUCTURE_CHOICES,
        default=MIXTURE,
        metavar="NAME",
        help="answer under one model structure's draws: "
        + ", ".join(STRUCTURE_CHOICES)
        + " (default: mixture, the structures weighted as the run states; "
        "forecast structures lists them)",
    )
    p.add_argument(
        "--by-structure",
        action="store_true",
        help="also answer under every structure of the run (JSON: by_structure, a list of "
        "structure, weight, answer)",
    )


def load_forecaster(args: argparse.Namespace) -> Forecaster:
    """The forecaster of the run named by ``--run`` (default: the current run), over the
    structures' mixture; :func:`respond` picks ``--structure`` from it."""
    from forecast.questions.forecaster import Forecaster

    return Forecaster.from_store(run_id=getattr(args, "run", None))


def chosen(args: argparse.Namespace, base: Forecaster) -> Forecaster:
    """The forecaster answering under ``--structure`` (a RunMismatchError, one line, for a
    structure the run did not fit)."""
    return base.for_structure(getattr(args, "structure", None) or MIXTURE)


def _with_structure(answer: Any, f: Forecaster) -> Any:
    """The answer, naming the draws it came from (``structure``) when the library did not."""
    if isinstance(answer, list):
        return [_with_structure(a, f) for a in answer]
    if isinstance(answer, Mapping) and "structure" not in answer:
        return {**answer, "structure": f.structure}
    return answer


def respond(
    args: argparse.Namespace,
    ask: Ask,
    formatter: Callable[[Any], str],
    base: Forecaster | None = None,
) -> None:
    """Answer ``ask`` under ``--structure``, add ``by_structure`` with ``--by-structure``, print.

    A list answer (several surprise observations) carries each item's ``by_structure``.
    """
    base = base if base is not None else load_forecaster(args)
    f = chosen(args, base)
    answer = _with_structure(ask(f), f)
    if getattr(args, "by_structure", False):
        rows = base.by_structure(lambda g: _with_structure(ask(g), g))
        answer = attach(answer, rows)
    emit(answer, args.json, structured_text(formatter))


def attach(answer: Any, rows: list[dict[str, Any]]) -> Any:
    """``answer`` with ``by_structure``; for a list answer, each item with its own rows."""
    if isinstance(answer, list):
        return [
            {
                **item,
                "by_structure": [
                    {"structure": r["structure"], "weight": r["weight"], "answer": r["answer"][i]}
                    for r in rows
                ],
            }
            for i, item in enumerate(answer)
        ]
    return {**answer, "by_structure": rows}


def _rows_of(answer: Any) -> list[dict[str, Any]] | None:
    """The ``by_structure`` rows of an answer (of a list answer: rows holding lists)."""
    if isinstance(answer, Mapping):
        return answer.get("by_structure")
    if isinstance(answer, list) and answer and "by_structure" in answer[0]:
        return [
            {
                "structure": r["structure"],
                "weight": r["weight"],
                "answer": [item["by_structure"][k]["answer"] for item in answer],
            }
            for k, r in enumerate(answer[0]["by_structure"])
        ]
    return None


def _strip(answer: Any) -> Any:
    if isinstance(answer, Mapping):
        return {k: v for k, v in answer.items() if k != "by_structure"}
    if isinstance(answer, list):
        return [_strip(a) for a in answer]
    return answer


def _structure_of(answer: Any) -> str | None:
    first = answer[0] if isinstance(answer, list) and answer else answer
    return first.get("structure") if isinstance(first, Mapping) else None


def structured_text(formatter: Callable[[Any], str]) -> Callable[[Any], str]:
    """A formatter that names a single structure's answer, and adds one section per structure
    after the main answer when the answer has ``by_structure``."""

    def render(answer: Any) -> str:
        rows = _rows_of(answer)
        main = formatter(_strip(answer))
        name = _structure_of(answer)
        if name not in (None, MIXTURE):
            main += f"\n  structure: {name} (its own draws; default: the weighted mixture)"
        if not rows:
            return main
        summary = text.compare_by_structure(_strip(answer), rows)
        parts = [main, *(["", *summary] if summary else [])]
        parts += [
            "",
            "By structure (the same question under each structure's draws; the answer above: "
            f"{name or MIXTURE}):",
        ]
        for r in rows:
            parts.append(f"\n== {r['structure']} (weight {text.num(r['weight'], '.3f')}) ==")
            parts.append(formatter(r["answer"]))
        return "\n".join(parts)

    return render


# -- forecast structures -------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    """``forecast structures [--effects | --race] [--scenario NAME ...] [--run ID] [--json]``."""
    p = sub.add_parser(
        "structures",
        help="the run's model structures and weights; --effects: each scenario's effect per "
        "structure; --race: where the race's uncertainty comes from",
        description="The run's model structures (how chips become capability), each with its "
        "weight in the mixture that answers by default. --effects: every scenario's shift of "
        "each country's median arrival and of P(it is first), against status_quo, under the "
        "mixture and each structure. --race: P(each country first) with each source of "
        "projection randomness switched off, each source's share, and P(first) per structure "
        "(this is the race-sources view; it takes one --scenario). Every number carries its "
        "Monte Carlo error (±).",
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--effects", action="store_true", help="scenario effects per structure (vs status_quo)"
    )
    what.add_argument(
        "--race",
        action="store_true",
        help="race sources: P(first) with each source of randomness off, and per structure",
    )
    p.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="--effects: the scenarios to show (repeatable; default every scenario but "
        "status_quo); --race: the scenario (one; default status_quo)",
    )
    p.add_argument("--run", default=None, help="run id (default: the current run)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_structures)


def cmd_structures(args: argparse.Namespace) -> int:
    """The run's structures, the scenario effects per structure, or the race's sources."""
    from forecast.questions import structures as st

    scenarios = args.scenario or []
    if scenarios and not (args.effects or args.race):
        raise UsageError("structures: --scenario goes with --effects or --race")
    if args.race and len(scenarios) > 1:
        raise UsageError("structures --race: give at most one --scenario")
    f = load_forecaster(args)
    if args.effects:
        emit(st.scenario_effects(f, scenarios or None), args.json, text.format_scenario_effects)
    elif args.race:
        emit(
            st.race_sources(f, scenarios[0] if scenarios else None),
            args.json,
            text.format_race_sources,
        )
    else:
        emit(st.structures(f), args.json, text.format_structures)
    return 0
