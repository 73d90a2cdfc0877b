"""``forecast ask``: timeline questions of a stored run (arrival, probability, race, trajectory,
surprise), optionally compared across two scenarios with ``--versus``, under one model structure
(``--structure``) or under each (``--by-structure``; see :mod:`forecast.cli.structures_cmd`).

Input that the command can check by itself (an observation's value, a CSV of observations) is
checked before the run is loaded, so a typo costs no time.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.cli import text
from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES
from forecast.core.errors import UsageError

if TYPE_CHECKING:
    from forecast.questions.forecaster import Forecaster


def finite_value(raw: str | float, where: str) -> float:
    """An observed value as a finite float; UsageError naming ``where`` otherwise."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise UsageError(f"{where}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"{where}: {raw} must be a finite number")
    return value


def read_surprise_file(path: str) -> list[dict[str, Any]]:
    """Observations for ``ask surprise --file``: CSV with quantity,date,value[,label]."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--file: file not found: {path}")
    rows = []
    with file.open(newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"quantity", "date", "value"}
        if not needed <= set(reader.fieldnames or ()):
            raise UsageError(f"{path}:1: header must include quantity,date,value (label optional)")
        for line, row in enumerate(reader, start=2):
            value = finite_value(row["value"], f"{path}:{line}: column value")
            rows.append(
                {
                    "quantity": row["quantity"],
                    "when": row["date"],
                    "value": value,
                    "label": row.get("label"),
                }
            )
    return rows


def surprise_items(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The observations to judge, from ``--file`` or from the flags."""
    if args.file:
        return read_surprise_file(args.file)
    if args.quantity and args.date and args.value is not None:
        value = finite_value(args.value, "--value")
        return [{"quantity": args.quantity, "when": args.date, "value": value, "label": args.label}]
    raise UsageError("surprise: give --file, or --quantity, --date and --value")


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question of the run named by ``--run`` (default: the current run), under
    ``--structure`` (default the structures' mixture), with ``--by-structure`` per structure."""
    from forecast.cli.ask_more import handled
    from forecast.cli.structures_cmd import respond

    if handled(args, surprise_items):  # new questions, or --threshold/--lever/--given
        return 0
    q = args.question
    items = surprise_items(args) if q == "surprise" else []
    ask, formatter = basic_question(args, items)
    respond(args, ask, formatter)
    return 0


def basic_question(
    args: argparse.Namespace, items: list[dict[str, Any]]
) -> tuple[Callable[[Forecaster], Any], Callable[[Any], str]]:
    """One of the five basic questions as a function of the forecaster, and its formatter."""
    q = args.question
    if q in ("arrival", "probability", "race") and args.versus:
        kwargs: dict[str, Any] = {}
        if q in ("arrival", "probability"):
            kwargs["country"] = args.country
        if q == "probability":
            kwargs["by"] = args.by
        scenario = args.scenario or BASELINE_SCENARIO
        return (lambda f: f.compare(q, scenario, args.versus, **kwargs)), text.format_compare
    if q == "arrival":
        quantiles = args.quantile or DEFAULT_QUANTILES
        return (
            lambda f: f.arrival(args.country, args.scenario, quantiles, cdf=True)
        ), text.format_arrival
    if q == "probability":
        return (lambda f: f.probability(args.country, args.by, args.scenario)), (
            text.format_probability
        )
    if q == "race":
        return (lambda f: f.race(args.scenario, within_years=args.within)), text.format_race
    if q == "trajectory":
        return (
            lambda f: f.trajectory(
                args.quantity,
                args.country,
                args.at,
                args.scenario,
                latent=args.latent,
                component=args.component,
            )
        ), text.format_trajectory
    if q != "surprise":
        raise UsageError(f"unknown question {q!r}")
    countries = args.country or None

    def surprise(f: Forecaster) -> Any:
        answers = [
            f.surprise(
                it["quantity"],
                it["when"],
                it["value"],
                label=it["label"],
                scenario=args.scenario,
                **({"countries": countries} if countries else {}),
            )
            for it in items
        ]
        return answers if len(answers) > 1 else answers[0]

    return surprise, text.format_surprises
