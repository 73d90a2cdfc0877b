"""``forecast ask``: timeline questions of a stored run (arrival, probability, race, trajectory,
surprise), optionally compared across two scenarios with ``--versus``.

Input that the command can check by itself (an observation's value, a CSV of observations) is
checked before the run is loaded, so a typo costs no time.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path
from typing import Any

from forecast.cli import text
from forecast.cli.output import emit
from forecast.core.definitions import BASELINE_SCENARIO, DEFAULT_QUANTILES
from forecast.core.errors import UsageError


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
    """Answer one question of the run named by ``--run`` (default: the current run)."""
    from forecast.cli.ask_more import handled
    from forecast.questions.forecaster import Forecaster

    if handled(args, surprise_items):  # new questions, or --threshold/--lever/--given
        return 0
    q = args.question
    items = surprise_items(args) if q == "surprise" else []
    forecaster = Forecaster.from_store(run_id=args.run)
    if q in ("arrival", "probability", "race") and args.versus:
        kwargs: dict[str, Any] = {}
        if q in ("arrival", "probability"):
            kwargs["country"] = args.country
        if q == "probability":
            kwargs["by"] = args.by
        answer = forecaster.compare(q, args.scenario or BASELINE_SCENARIO, args.versus, **kwargs)
        emit(answer, args.json, text.format_compare)
    elif q == "arrival":
        answer = forecaster.arrival(
            args.country, args.scenario, args.quantile or DEFAULT_QUANTILES, cdf=True
        )
        emit(answer, args.json, text.format_arrival)
    elif q == "probability":
        answer = forecaster.probability(args.country, args.by, args.scenario)
        emit(answer, args.json, text.format_probability)
    elif q == "race":
        answer = forecaster.race(args.scenario, within_years=args.within)
        emit(answer, args.json, text.format_race)
    elif q == "trajectory":
        answer = forecaster.trajectory(
            args.quantity,
            args.country,
            args.at,
            args.scenario,
            latent=args.latent,
            component=args.component,
        )
        emit(answer, args.json, text.format_trajectory)
    elif q == "surprise":
        countries = args.country or None
        answers = [
            forecaster.surprise(
                it["quantity"],
                it["when"],
                it["value"],
                label=it["label"],
                scenario=args.scenario,
                **({"countries": countries} if countries else {}),
            )
            for it in items
        ]
        emit(answers if len(answers) > 1 else answers[0], args.json, text.format_surprises)
    return 0
