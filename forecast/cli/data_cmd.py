"""``forecast data check|import|retract|export`` and ``forecast priors check``.

``check`` and ``priors check`` hand over to their checkers (the table checker in
``forecast.data.tables`` and the prior checker in ``forecast.cli.priors_check``), which print
their own reports. ``import``, ``retract`` and ``export`` work on the observation store under
``$FORECAST_HOME`` (``forecast.store.observations``), the same one the service writes, so they
need no running service.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from forecast.cli.output import emit, say
from forecast.core.errors import UsageError


def cmd_data_check(args: argparse.Namespace) -> int:
    """Validate the bundled tables and any extra files; 1 if any file has issues."""
    from forecast.data.tables import cli_check

    return cli_check(args.files, args.json, getattr(args, "allow_implausible", False))


def cmd_priors_check(args: argparse.Namespace) -> int:
    """Validate the prior sets and scenarios; 1 if any has issues."""
    from forecast.cli.priors_check import cli_check

    return cli_check(args.files, args.json, show=args.show)


def who(args: argparse.Namespace) -> str:
    """The name recorded for a write from the command line: ``--by`` or ``cli:<user>``."""
    if getattr(args, "by", None):
        return str(args.by)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"


def _confirm(question: str) -> bool:
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        return input().strip().lower() in ("y", "yes")
    except EOFError:
        return False


def format_import(summary: dict[str, Any]) -> str:
    """The text report of an import (counts, then the rows behind them)."""
    c = summary["counts"]
    lines = [
        f"import {summary['source']} -> {summary['table']} from {summary['file']} "
        f"({summary['format']}; sha256 {summary['sha256'][:12]}; vintage {summary['vintage']})",
        f"  new {c['new']}, changed {c['changed']}, unchanged {c['unchanged']}, "
        f"removed {c['removed']}",
    ]
    if summary["skipped"]:
        parts = ", ".join(f"{k} {v}" for k, v in summary["skipped"].items())
        lines.append(f"  source rows not kept: {parts}")
    rows = summary.get("rows", {})
    for item in rows.get("new", []):
        lines.append(f"  new: {item['key']}")
    for item in rows.get("changed", []):
        changes = "; ".join(
            f"{col} {ch['from']!r} -> {ch['to']!r}" for col, ch in item.get("changes", {}).items()
        )
        lines.append(f"  changed: {item['key']}: {changes}")
    for item in rows.get("removed", []):
        lines.append(f"  removed (not in the file; kept): {item['key']}")
    if summary["issues"]:
        lines.append(f"  {len(summary['issues'])} issue(s); nothing was stored:")
        lines.extend(
            f"    row {i['row']}: column {i['column']}: value {i['value']!r} violates rule "
            f"{i['rule']!r}"
            for i in summary["issues"]
        )
    elif summary["written"]:
        ids = summary["stored_ids"]
        lines.append(f"  stored {len(ids)} observation(s)" + (f": ids {ids}" if ids else ""))
    elif c["new"] + c["changed"] == 0:
        lines.append("  nothing new or changed: nothing stored")
    else:
        lines.append("  dry run (or not confirmed): nothing stored")
    for alert in summary.get("alerts", []):
        lines.append(f"  ALERT: {alert['message']}")
    return "\n".join(lines)


def cmd_data_import(args: argparse.Namespace) -> int:
    """Import a publisher's file: summary of new/changed/unchanged/removed rows; store the new
    and changed ones unless ``--dry-run``. 1 when the file's rows have issues."""
    from forecast.data.importers import parse_vintage, source_named
    from forecast.store.observations import ObservationStore

    source_named(args.source)
    vintage = parse_vintage(args.vintage)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    store = ObservationStore.at_home()
    allow = bool(args.allow_implausible)
    plan = store.plan(args.source, data, path.name, vintage, allow)
    todo = plan.counts["new"] + plan.counts["changed"]
    write = not args.dry_run and plan.ok and todo > 0
    if write and not args.yes and sys.stdin.isatty():
        write = _confirm(f"store {todo} new/changed row(s) in {plan.table}?")
    if write:
        plan = store.import_file(
            args.source,
            data,
            path.name,
            who(args),
            vintage=vintage,
            allow_implausible=allow,
        )
    summary = plan.to_dict()
    if write and plan.stored:
        summary["alerts"] = _score(plan.table, plan.stored, store)
    emit(summary, args.json, format_import)
    return 0 if plan.ok else 1


def _score(table: str, ids: list[int], store: Any) -> list[dict[str, Any]]:
    """Score stored rows against the current run and keep the alerts (none without a run)."""
    from forecast.questions.alerts import score_and_record

    rows = [(i, (store.get(i) or {}).get("row", {})) for i in ids]
    try:
        return score_and_record(table, rows)
    except Exception as exc:  # scoring must never lose an import that was stored
        say(f"warning: the new observations were not scored: {exc}")
        return []


def cmd_data_retract(args: argparse.Namespace) -> int:
    """Retract a stored observation (it leaves every later fit; nothing is deleted)."""
    from forecast.store.observations import ObservationStore

    store = ObservationStore.at_home()
    done = store.retract(args.id, who(args), args.why)
    payload = {"id": done.id, "retracted": {"at": done.at, "by": done.by, "why": done.why}}
    emit(
        payload,
        args.json,
        lambda p: (
            f"retracted observation {p['id']} ({p['retracted']['by']}, "
            f"{p['retracted']['at']}): {p['retracted']['why']}"
        ),
    )
    return 0


def cmd_data_export(args: argparse.Namespace) -> int:
    """Write the active stored observations as CSV files for ``forecast fit --data``."""
    from forecast.store.observations import ObservationStore

    store = ObservationStore.at_home()
    paths = store.export(Path(args.out))
    payload = {"files": [str(p) for p in paths], "observations": store.counts()}
    emit(
        payload,
        args.json,
        lambda p: "\n".join(p["files"]) if p["files"] else "no stored observations",
    )
    return 0
