"""``forecast priors check``: validate prior sets and scenario files, print them as text or JSON.

The checks themselves live in :mod:`forecast.priors`; this module finds the files, runs the
right check for each and owns the wording of the report.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from forecast.core.definitions import priors_dir
from forecast.core.tomlfile import display_path, format_number
from forecast.priors import scenarios as scenario_module
from forecast.priors.priorset import (
    SCENARIO_FILE_NAME,
    PriorIssue,
    available_prior_sets,
    check_prior_file,
    is_set_name,
)


def _resolve_check_path(arg: str) -> Path:
    """A path as given, or a bare set name (``default``, ``scenarios``) found in priors_dir()."""
    path = Path(arg)
    if not path.exists() and is_set_name(arg):
        candidate = priors_dir() / f"{arg}.toml"
        if candidate.is_file():
            return candidate
    return path


def _is_scenario_file(path: Path) -> bool:
    """True for ``scenarios.toml`` or a file whose top-level table is ``scenario``."""
    if path.name == SCENARIO_FILE_NAME:
        return True
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "scenario" in data and "priors" not in data


def _check_entry(path: Path) -> dict[str, Any]:
    """Check one file; a JSON-ready entry (see :func:`cli_check`)."""
    label = display_path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    entry: dict[str, Any] = {
        "path": label,
        "kind": "priors",
        "ok": False,
        "name": None,
        "hash": digest,
        "priors": {},
        "settings": {},
        "extends": None,
        "parents": [],
        "overridden": [],
        "scenarios": [],
        "issues": [],
    }
    if _is_scenario_file(path):
        entry["kind"] = "scenarios"
        entry["name"] = path.stem
        scenarios, issues = scenario_module.check_scenario_file(path)
        if scenarios is not None:
            entry["scenarios"] = list(scenarios)
            entry["scenario_details"] = {n: s.to_dict() for n, s in scenarios.items()}
    else:
        prior_set, issues = check_prior_file(path)
        if prior_set is not None:
            entry["name"] = prior_set.name
            entry["hash"] = prior_set.hash  # of the resolved set (see PriorSet.to_toml)
            entry["extends"] = prior_set.extends
            entry["parents"] = list(prior_set.parents)
            entry["overridden"] = list(prior_set.overridden)
            entry["priors"] = {key: prior.to_dict() for key, prior in prior_set.priors.items()}
            entry["settings"] = dict(prior_set.settings)
    entry["issues"] = [issue.to_dict() for issue in issues]
    entry["ok"] = not issues
    return entry


def _default_check_paths() -> list[Path]:
    folder = priors_dir()
    paths = [folder / f"{name}.toml" for name in available_prior_sets()]
    return [*paths, folder / SCENARIO_FILE_NAME]


def _overrides(keys: Sequence[str]) -> str:
    """``; overrides 5 priors, 1 setting`` for the dotted keys a child states."""
    parts = []
    for section, word in (("priors", "prior"), ("settings", "setting")):
        n = sum(key.startswith(f"{section}.") for key in keys)
        if n:
            parts.append(f"{n} {word}{'s' if n != 1 else ''}")
    return f"; overrides {', '.join(parts)}" if parts else ""


def _format_params(params: Mapping[str, float]) -> str:
    return " ".join(f"{name}={value:.4g}" for name, value in params.items())


def _format_entry(entry: Mapping[str, Any], show: bool) -> list[str]:
    """Readable lines for one checked file."""
    lines: list[str] = []
    if entry["ok"]:
        digest = (entry["hash"] or "")[:12]
        if entry["kind"] == "priors":
            what = f"prior set '{entry['name']}', {len(entry['priors'])} priors, sha256 {digest}"
            if entry["extends"]:
                what += f", extends {entry['extends']}{_overrides(entry['overridden'])}"
        else:
            names = ", ".join(entry["scenarios"])
            what = f"{len(entry['scenarios'])} scenarios: {names}; sha256 {digest}"
        lines.append(f"{entry['path']}: OK ({what})")
    else:
        count = len(entry["issues"])
        lines.append(f"{entry['path']}: {count} error{'s' if count != 1 else ''}")
        lines.extend(f"  {PriorIssue(**issue)}" for issue in entry["issues"])
    if show and entry["ok"] and entry["kind"] == "priors":
        overridden = set(entry["overridden"])
        note = f" (overrides {entry['extends']})"
        if entry["extends"]:
            chain = " -> ".join([entry["name"], *entry["parents"]])
            lines.append(f"  resolved from {chain}; * = stated in this file{note}")
        width = max((len(key) for key in entry["priors"]), default=0)
        for key, prior in entry["priors"].items():
            lo, hi = prior["interval"]
            pct = f"{prior['prob'] * 100:g}%"
            mark = "*" if f"priors.{key}" in overridden else " "
            lines.append(
                f" {mark}{key:<{width}}  {prior['dist']:<10} {_format_params(prior['params']):<34} "
                f"median {prior['median']:<10.4g} {pct} [{lo:.4g}, {hi:.4g}] {prior['unit']}"
                + (note if mark == "*" else "")
            )
        for key, value in entry["settings"].items():
            mark = "*" if f"settings.{key}" in overridden else " "
            lines.append(
                f" {mark}settings.{key} = {format_number(value)}" + (note if mark == "*" else "")
            )
    if show and entry["ok"] and entry["kind"] == "scenarios":
        for name, details in entry.get("scenario_details", {}).items():
            start = details["start"] or "-"
            lines.append(f"  {name}: start {start}")
            if details["threshold_horizon_minutes"] is not None:
                lines.append(
                    f"    threshold_horizon_minutes = {details['threshold_horizon_minutes']:g}"
                )
            for country, levers in details["levers"].items():
                changed = {k: v for k, v in levers.items() if v != details["neutral_levers"][k]}
                if changed:
                    text = ", ".join(f"{k}={v:g}" for k, v in changed.items())
                    lines.append(f"    {country}: {text}")
            for country, chans in details.get("channel_levers", {}).items():
                for channel, levers in chans.items():
                    changed = {k: v for k, v in levers.items() if v != details["neutral_levers"][k]}
                    text = ", ".join(f"{k}={v:g}" for k, v in changed.items())
                    lines.append(f"    {country}.{channel}: {text}")
    return lines


def cli_check(paths: Sequence[str], as_json: bool, show: bool = False) -> int:
    """Check prior sets and scenario files; print a report; return 0 if all are valid, else 1.

    With no paths, checks every prior set and ``scenarios.toml`` in :func:`priors_dir`. A file
    named ``scenarios.toml``, or whose top-level table is ``scenario``, is checked as a scenario
    file. ``show`` lists each prior's family, derived parameters, stated interval and unit, and
    marks with ``*`` what a set that ``extends`` another overrides (JSON output always includes
    them, with ``extends``, ``parents`` and ``overridden``). A prior set's ``hash`` is that of the
    resolved set (:meth:`~forecast.priors.priorset.PriorSet.to_toml`), as a run records it.
    """
    targets = [_resolve_check_path(arg) for arg in paths] if paths else _default_check_paths()
    entries = [_check_entry(path) for path in targets]
    ok = all(entry["ok"] for entry in entries)
    if as_json:
        print(json.dumps({"ok": ok, "files": entries}, indent=2, default=str))
    else:
        for entry in entries:
            for line in _format_entry(entry, show):
                print(line)
        bad = sum(not entry["ok"] for entry in entries)
        print("all files OK" if ok else f"{bad} of {len(entries)} files have errors")
    return 0 if ok else 1
