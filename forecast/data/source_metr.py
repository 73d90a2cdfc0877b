"""METR's time-horizon files mapped to curated rows: the benchmark YAML files or the flat CSV.

METR names models by keys (``claude_3_5_sonnet_20241022_inspect``); :data:`METR_MODELS` maps
each key to a readable name (Epoch's ECI name where ECI has the model) and its developer, whose
country is the row's. A key missing from the map is skipped and named in the import summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from forecast.data.source_common import METR_URL, Mapped, Row, SourceFormatError, need

DEVELOPER_COUNTRY = {
    "OpenAI": "US",
    "Anthropic": "US",
    "Google DeepMind": "US",
    "xAI": "US",
    "Alibaba": "CN",
    "DeepSeek": "CN",
    "Moonshot": "CN",
}
METR_MODELS: dict[str, tuple[str, str]] = {
    # METR key: (model name, aligned with Epoch's ECI names where ECI has the model; developer)
    "gpt2": ("GPT-2", "OpenAI"),
    "davinci_002": ("GPT-3 (davinci-002)", "OpenAI"),
    "gpt_3_5_turbo_instruct": ("GPT-3.5 Turbo Instruct", "OpenAI"),
    "gpt_4": ("GPT-4 (Mar 2023)", "OpenAI"),
    "gpt_4_1106": ("GPT-4 Turbo (Nov 2023)", "OpenAI"),
    "gpt_4_1106_inspect": ("GPT-4 Turbo (Nov 2023)", "OpenAI"),
    "gpt_4_0125": ("GPT-4 Turbo (Jan 2024)", "OpenAI"),
    "gpt_4_turbo": ("GPT-4 Turbo (Apr 2024)", "OpenAI"),
    "gpt_4_turbo_inspect": ("GPT-4 Turbo (Apr 2024)", "OpenAI"),
    "gpt_4o": ("GPT-4o", "OpenAI"),
    "gpt_4o_inspect": ("GPT-4o", "OpenAI"),
    "o1_preview": ("o1-preview", "OpenAI"),
    "o1_elicited": ("o1", "OpenAI"),
    "o1_inspect": ("o1", "OpenAI"),
    "o3": ("o3", "OpenAI"),
    "o3_inspect": ("o3", "OpenAI"),
    "o4-mini": ("o4-mini", "OpenAI"),
    "gpt-oss-120b": ("gpt-oss-120b", "OpenAI"),
    "gpt_5": ("GPT-5", "OpenAI"),
    "gpt_5_2025_08_07_inspect": ("GPT-5", "OpenAI"),
    "gpt_5_1_codex_max": ("GPT-5.1-Codex-Max", "OpenAI"),
    "claude_3_opus": ("Claude 3 Opus", "Anthropic"),
    "claude_3_opus_inspect": ("Claude 3 Opus", "Anthropic"),
    "claude_3_5_sonnet": ("Claude 3.5 Sonnet", "Anthropic"),
    "claude_3_5_sonnet_20240620_inspect": ("Claude 3.5 Sonnet", "Anthropic"),
    "claude_3_5_sonnet_20241022": ("Claude 3.5 Sonnet (October 2024)", "Anthropic"),
    "claude_3_5_sonnet_20241022_inspect": ("Claude 3.5 Sonnet (October 2024)", "Anthropic"),
    "claude_3_7_sonnet": ("Claude 3.7 Sonnet", "Anthropic"),
    "claude_3_7_sonnet_inspect": ("Claude 3.7 Sonnet", "Anthropic"),
    "claude_4_opus": ("Claude Opus 4", "Anthropic"),
    "claude_4_opus_inspect": ("Claude Opus 4", "Anthropic"),
    "claude_4_sonnet": ("Claude Sonnet 4", "Anthropic"),
    "claude_4_1_opus": ("Claude Opus 4.1", "Anthropic"),
    "claude_sonnet_4_5": ("Claude Sonnet 4.5", "Anthropic"),
    "claude_opus_4_5": ("Claude Opus 4.5", "Anthropic"),
    "claude_opus_4_5_inspect": ("Claude Opus 4.5", "Anthropic"),
    "gemini_2_5_pro_preview": ("Gemini 2.5 Pro (Jun 2025)", "Google DeepMind"),
    "grok_4": ("Grok 4", "xAI"),
    "qwen_2_72b": ("Qwen2-72B", "Alibaba"),
    "qwen_2_5_72b": ("Qwen2.5-72B", "Alibaba"),
    "deepseek_v3": ("DeepSeek-V3", "DeepSeek"),
    "deepseek_v3_0324": ("DeepSeek-V3 (Mar 2025)", "DeepSeek"),
    "deepseek_r1": ("DeepSeek-R1", "DeepSeek"),
    "deepseek_r1_0528": ("DeepSeek-R1 (May 2025)", "DeepSeek"),
    "kimi_k2_thinking": ("Kimi K2 Thinking", "Moonshot"),
}
METR_FILES = {"v1.0": "metr_benchmark_results_1_0.yaml", "v1.1": "metr_benchmark_results_1_1.yaml"}
METR_SOURCES = {
    "v1.0": "METR, time horizons of AI agents (task suite v1.0)",
    "v1.1": "METR, time horizons of AI agents (task suite v1.1, Jan 2026 release)",
}
FIELDS = ("p50_minutes", "p50_low", "p50_high", "p80_minutes", "p80_low", "p80_high")
FLAT_FIELDS = (
    "p50_minutes",
    "p50_ci_low",
    "p50_ci_high",
    "p80_minutes",
    "p80_ci_low",
    "p80_ci_high",
)


def suite_of(text: str) -> str:
    """``v1.0`` or ``v1.1`` from METR's benchmark name (``METR-Horizon-v1.1...``)."""
    if text.startswith("METR-Horizon-v1.1"):
        return "v1.1"
    if text in ("METR-Horizon-v1.0", "METR-Horizon-v1"):
        return "v1.0"
    raise SourceFormatError(f"metr: unknown task suite {text!r}")


def _order(row: Row) -> tuple[str, str, str]:
    return (str(row["suite"]), str(row["date"]), str(row["model"]))


def _row(key: str, suite: str, date: str, numbers: Sequence[float | None]) -> Row:
    model, developer = METR_MODELS[key]
    return {
        "model": model,
        "date": date,
        "country": DEVELOPER_COUNTRY[developer],
        "suite": suite,
        **{f: None if n is None else float(n) for f, n in zip(FIELDS, numbers, strict=True)},
        "source": METR_SOURCES[suite],
        "source_url": METR_URL,
    }


def _covers(suites: set[str]) -> Any:
    names = {METR_SOURCES[s] for s in suites}
    return lambda cells: cells.get("source") in names and cells.get("suite") in suites


def yaml_numbers(entry: Mapping[str, Any]) -> list[float | None]:
    """p50 and p80 estimate and 95% bounds of one YAML result (p80 may be absent)."""
    m = entry["metrics"]
    p50, p80 = m["p50_horizon_length"], m.get("p80_horizon_length") or {}
    numbers = [p50["estimate"], p50["ci_low"], p50["ci_high"]]
    numbers += [p80.get("estimate"), p80.get("ci_low"), p80.get("ci_high")]
    return numbers


def yaml_rows(doc: Mapping[str, Any], until: str, strict: bool = False) -> Mapped:
    """Rows of one METR benchmark YAML file (its suite from ``benchmark_name``).

    ``strict`` (the builder) fails on a key without a name; an import skips and names it.
    """
    try:
        suite = suite_of(str(doc["benchmark_name"]))
        results = doc["results"]
    except (KeyError, TypeError):
        raise SourceFormatError(
            "metr: not a METR benchmark file (no benchmark_name/results)"
        ) from None
    out = Mapped("capability_metr", covers=_covers({suite}), fmt=f"metr yaml ({suite})")
    for key, entry in results.items():
        if key not in METR_MODELS:
            if strict:
                raise SourceFormatError(f"metr: no name/country for METR model key {key!r}")
            out.skipped[f"unknown METR model key {key}"] += 1
            continue
        date = str(entry["release_date"])
        if date > until:
            out.skipped["released after the vintage or today"] += 1
            continue
        out.add(_row(key, suite, date, yaml_numbers(entry)), f"{suite}:{key}")
    return out.sort(_order)


def flat_rows(records: Sequence[Mapping[str, str]], until: str) -> Mapped:
    """Rows of the flat METR CSV (one row per model key and suite)."""
    suites = {suite_of(need(r, "task_suite", "metr")) for r in records}
    out = Mapped("capability_metr", covers=_covers(suites), fmt="metr flat csv")
    for r in records:
        key, suite = need(r, "model_key", "metr"), suite_of(r["task_suite"])
        if key not in METR_MODELS:
            out.skipped[f"unknown METR model key {key}"] += 1
            continue
        date = need(r, "release_date", "metr")
        if date > until:
            out.skipped["released after the vintage or today"] += 1
            continue
        numbers = [float(c) if (c := need(r, f, "metr").strip()) else None for f in FLAT_FIELDS]
        out.add(_row(key, suite, date, numbers), f"{suite}:{key}")
    return out.sort(_order)


def agree(yaml_row: Row, flat_row: Row) -> bool:
    """The flat file's figures equal the YAML file's (relative 1e-9; empty counts as 0)."""
    if yaml_row["date"] != flat_row["date"]:
        return False
    return all(
        math.isclose(float(flat_row[f] or 0.0), float(yaml_row[f] or 0.0), rel_tol=1e-9)  # type: ignore[arg-type]
        for f in FIELDS
    )


def doubling(doc: Mapping[str, Any]) -> dict[str, float]:
    """METR v1.1's published doubling times (days)."""
    d = doc["doubling_time_in_days"]
    return {
        "from_2023": d["from_2023_on"]["point_estimate"],
        "from_2023_low": d["from_2023_on"]["ci_low"],
        "from_2023_high": d["from_2023_on"]["ci_high"],
        "all_time": d["all_time_stitched"]["point_estimate"],
    }
