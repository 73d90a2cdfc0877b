#!/usr/bin/env python3
"""Build the curated tables in ``forecast/data`` from the shared source data.

Usage (from the repository root)::

    python tools/build_data.py --source ../shared/data \\
        --facts ../shared/research/data-facts.md --out forecast/data

The output is deterministic: running the script twice on the same inputs writes the same bytes,
and the committed CSV files are exactly what it writes. Observation tables are built from the
source files; the ``estimates`` and ``export_controls`` rows are literal rows below, transcribed
in our own words from the facts file (each checked against it: the script fails if a figure it
quotes is no longer in the facts file). Every written table is validated against the schemas
in ``forecast.data.tables`` before the script reports success.

The row mappings (which publisher columns become which curated cells) live in the library
(``forecast.data.source_epoch``, ``forecast.data.source_metr``), shared with
``forecast data import``; this script adds the cross-file checks and the literal tables.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # importable from the repository root without installing
    sys.path.insert(0, str(REPO_ROOT))

from forecast.data import source_epoch as epoch  # noqa: E402
from forecast.data import source_metr as metr  # noqa: E402
from forecast.data.source_common import (  # noqa: E402
    EPOCH_HARDWARE,
    FIRST_YEAR,
    METR_URL,
    Row,
    SourceFormatError,
    clean,
    fmt_cell,
    read_csv_text,
)

VINTAGE = "2025-12-31"
LAST_YEAR = 2025


class BuildError(SourceFormatError):
    """The source data do not look as this script expects; the message says what differs."""


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def write_table(out: Path, name: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
    """Write ``rows`` as ``out/name.csv`` (UTF-8, LF line ends); return the row count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        if set(row) != set(columns):
            raise BuildError(f"{name}: row keys {sorted(row)} differ from {list(columns)}")
        writer.writerow([fmt_cell(row[c]) for c in columns])
        count += 1
    (out / f"{name}.csv").write_bytes(buffer.getvalue().encode("utf-8"))
    return count


def read_csv(path: Path, header_prefix: str | None = None) -> list[dict[str, str]]:
    """Rows of a CSV file; with ``header_prefix``, lines before the header are skipped."""
    return read_csv_text(path.read_text(encoding="utf-8"), header_prefix, path.name)


# --------------------------------------------------------------------------------------------
# models.csv
# --------------------------------------------------------------------------------------------

MODEL_COLUMNS = (
    "model",
    "date",
    "organization",
    "country",
    "training_flop",
    "confidence",
    "domain",
    "notable",
    "large_scale",
    "frontier",
    "source",
    "source_url",
)


def build_models(source: Path, notes: list[str]) -> list[Row]:
    """US/CN models 2018-2025 with training compute, from the derived Epoch file."""
    mapped = epoch.models_derived(
        read_csv(source / "us_china_models_with_compute_2018_2025.csv"), VINTAGE
    )
    rows = mapped.rows
    notes.append(f"models: {len(rows)} rows; dropped {dict(mapped.skipped) or 'none'}")
    notes.append(f"models: {sum(r['domain'] is None for r in rows)} rows without a domain")
    notes.extend(_mixed_country_note(source, {str(r["model"]) for r in rows}))
    return rows


def _mixed_country_note(source: Path, kept: set[str]) -> list[str]:
    """Count models in the raw Epoch files that are joint US-China (dropped) and rows that the
    derived file has but the raw files lack."""
    raw: dict[str, dict[str, str]] = {}
    for name in ("epoch_notable_ai_models_2025.csv", "epoch_large_scale_ai_models_2025.csv"):
        for r in read_csv(source / name, header_prefix="Model,"):
            raw.setdefault(clean(r["Model"]), r)
    mixed = sorted(
        name
        for name, r in raw.items()
        if r["Training compute (FLOP)"].strip()
        and FIRST_YEAR <= int(r["Publication date"][:4] or 0) <= LAST_YEAR
        and {epoch.USA, epoch.CHINA}
        <= {c.strip() for c in r["Country (of organization)"].split(",")}
    )
    missing = sorted(kept - set(raw))
    return [
        f"models: {len(mixed)} joint US-China models with compute in 2018-2025 dropped: "
        + "; ".join(mixed),
        f"models: {len(missing)} rows not in the raw Epoch files: " + "; ".join(missing),
    ]


# --------------------------------------------------------------------------------------------
# compute_stock.csv
# --------------------------------------------------------------------------------------------

STOCK_COLUMNS = (
    "quarter",
    "date",
    "holder",
    "country",
    "h100e",
    "uncertainty",
    "source",
    "source_url",
)


def build_compute_stock(source: Path, notes: list[str]) -> list[Row]:
    """Quarterly cumulative H100e per holder group, medians, with the China-total check."""
    by_owner = read_csv(source / "epoch_chip_owners_2026_owners_by_owner.csv")
    by_maker = read_csv(source / "epoch_chip_owners_2026_owners_by_manufacturer.csv")
    summary = read_csv(source / "epoch_chip_owners_china_vs_world_by_quarter.csv")
    quarters = [r["quarter_end"] for r in summary]
    if quarters != sorted(quarters) or quarters[0] != "2022Q1" or quarters[-1] != "2025Q4":
        raise BuildError(f"compute_stock: unexpected quarters {quarters}")
    values, owner_totals = epoch.owner_values(by_owner)
    china, maker_sums = epoch.maker_values(by_maker)
    values.update(china)
    _check_stock(quarters, values, owner_totals, maker_sums, summary, notes)
    return epoch.stock_rows(quarters, values, epoch.HOLDERS)


def _check_stock(
    quarters: Sequence[str],
    values: Mapping[tuple[str, str], float],
    owner_totals: Mapping[tuple[str, str], float],
    maker_sums: Mapping[tuple[str, str], float],
    summary: Sequence[Mapping[str, str]],
    notes: list[str],
) -> None:
    """China holders must sum to the legal China total; owners must sum to the world total."""
    worst_owner = max(abs(owner_totals[k] - maker_sums[k]) for k in owner_totals if k in maker_sums)
    notes.append(
        f"compute_stock: by-owner vs sum over designers, max abs difference {worst_owner:g}"
    )
    for r in summary:
        q = r["quarter_end"]
        china = sum(values.get((q, h), 0.0) for h in epoch.CHINA_DESIGNERS.values())
        if china != float(r["china_legal_h100e"]) or china != owner_totals[(q, "China")]:
            raise BuildError(f"compute_stock {q}: China holders sum {china} != legal total")
        smuggled = values.get((q, "china_smuggled"), 0.0)
        if smuggled != float(r["china_smuggled_h100e"]):
            raise BuildError(f"compute_stock {q}: smuggled {smuggled} != summary")
        world = sum(values.get((q, h), 0.0) for h in epoch.HOLDERS)
        if world != float(r["world_total_h100e"]):
            raise BuildError(f"compute_stock {q}: holders sum {world} != world total")
    notes.append(
        f"compute_stock: for all {len(quarters)} quarters the four China holders sum exactly to "
        "china_legal_h100e, china_smuggled matches, and all 13 holders sum to the world total"
    )


# --------------------------------------------------------------------------------------------
# capability_eci.csv
# --------------------------------------------------------------------------------------------

ECI_COLUMNS = (
    "model",
    "date",
    "organization",
    "country",
    "eci",
    "training_flop",
    "confidence",
    "source",
    "source_url",
)


def build_eci(source: Path, notes: list[str]) -> list[Row]:
    """One row per scored US/CN model (the version rule is in ``source_epoch.eci_rows``)."""
    mapped = epoch.eci_rows(read_csv(source / "epoch_capabilities_index_2025.csv"), VINTAGE)
    notes.extend(mapped.notes)
    return mapped.rows


# --------------------------------------------------------------------------------------------
# capability_metr.csv
# --------------------------------------------------------------------------------------------

METR_COLUMNS = (
    "model",
    "date",
    "country",
    "suite",
    "p50_minutes",
    "p50_low",
    "p50_high",
    "p80_minutes",
    "p80_low",
    "p80_high",
    "source",
    "source_url",
)


def build_metr(source: Path, notes: list[str]) -> list[Row]:
    """One row per (model, suite) from METR's YAML files, cross-checked with the flat CSV."""
    rows: list[Row] = []
    by_key: dict[str, Row] = {}
    for name in metr.METR_FILES.values():
        doc = yaml.safe_load((source / name).read_text(encoding="utf-8"))
        mapped = metr.yaml_rows(doc, VINTAGE, strict=True)
        if sum(mapped.skipped.values()):
            raise BuildError(f"metr: {name} rows left out: {dict(mapped.skipped)}")
        rows.extend(mapped.rows)
        by_key.update(zip(mapped.keys, mapped.rows, strict=True))
    flat = metr.flat_rows(read_csv(source / "metr_time_horizons_flat.csv"), VINTAGE)
    if sum(flat.skipped.values()):
        raise BuildError(f"metr: flat file rows left out: {dict(flat.skipped)}")
    for key, row in zip(flat.keys, flat.rows, strict=True):
        if key not in by_key or not metr.agree(by_key[key], row):
            raise BuildError(f"metr: flat file disagrees with YAML for {key}")
    if len(flat.rows) != len(by_key):
        raise BuildError(f"metr: flat file has {len(flat.rows)} rows, YAML files {len(by_key)}")
    keys = Counter((r["model"], r["suite"]) for r in rows)
    if max(keys.values()) > 1:
        raise BuildError(f"metr: two METR keys map to one (model, suite): {keys.most_common(1)}")
    counts = Counter((r["suite"], r["country"]) for r in rows)
    notes.append(f"metr: {len(rows)} rows; by suite and country {dict(sorted(counts.items()))}")
    return sorted(rows, key=lambda r: (str(r["suite"]), str(r["date"]), str(r["model"])))


def metr_doubling(source: Path) -> dict[str, float]:
    """METR v1.1's published doubling times (days), to check the estimates rows against."""
    path = source / metr.METR_FILES["v1.1"]
    return metr.doubling(yaml.safe_load(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------------------------
# hardware.csv
# --------------------------------------------------------------------------------------------

HARDWARE_COLUMNS = (
    "accelerator",
    "designer",
    "release_date",
    "bf16_flops",
    "fp8_flops",
    "int8_ops",
    "price_usd",
    "source",
    "source_url",
)


def build_hardware(source: Path, notes: list[str]) -> list[Row]:
    """Accelerators released 2016-2025 with at least one of BF16/FP8/INT8 throughput."""
    mapped = epoch.hardware_rows(read_csv(source / "epoch_ml_hardware_2025-12.csv"), VINTAGE)
    notes.append(f"hardware: {len(mapped.rows)} accelerators")
    return mapped.rows


# --------------------------------------------------------------------------------------------
# estimates.csv and export_controls.csv (literal rows, checked against the facts file)
# --------------------------------------------------------------------------------------------

ESTIMATE_COLUMNS = (
    "key",
    "quantity",
    "central",
    "low",
    "high",
    "interval_prob",
    "unit",
    "published",
    "source",
    "source_url",
)


@dataclass(frozen=True)
class Estimate:
    """A published figure; ``evidence`` are strings that must appear in the facts file."""

    key: str
    quantity: str
    central: float
    low: float | None
    high: float | None
    interval_prob: float | None
    unit: str
    published: str
    source: str
    source_url: str
    evidence: tuple[str, ...]


EPOCH_OPEN_LAG = "https://epoch.ai/data-insights/open-weights-vs-closed-weights-models"
# fmt: off
ESTIMATES: tuple[Estimate, ...] = (
    Estimate(
        "algo_progress_pretraining_halving_months",
        "compute needed for a fixed language-model pre-training loss halves every ... (2012-2023)",
        8, 5, 14, 0.95, "months", "2024-03-09",
        "Ho, Besiroglu, Erdil et al., Algorithmic progress in language models (arXiv 2403.05812)",
        "https://arxiv.org/abs/2403.05812",
        ("~8 months (2012–2023)", "95% CI ~5–14 months"),
    ),
    Estimate(
        "gpu_price_performance_doubling_years",
        "FLOP/s per dollar of GPUs used in ML doubles every ... (n=26 GPUs)",
        2.07, 1.54, 3.13, 0.95, "years", "2022-06-01",
        "Hobbhahn & Besiroglu, Trends in GPU price-performance (Epoch AI)",
        "https://epoch.ai/blog/trends-in-gpu-price-performance",
        ("doubles every 2.07 years", "95% CI 1.54–3.13 yr"),
    ),
    Estimate(
        "training_compute_growth_notable_per_year",
        "training compute of notable AI models grows by ... per year (since 2010)",
        4.7, 4.3, 5.2, 0.9, "x per year", "2024-06-19",
        "Epoch AI data insight: training compute of notable models doubles about every six months",
        "https://epoch.ai/data-insights/compute-trend-post-2010",
        ("4.7x/yr", "90% CI 4.3–5.2x"),
    ),
    Estimate(
        "frontier_training_compute_growth_per_year",
        "training compute of frontier models grows by ... per year (2010 to May 2024); low/high: "
        "the stated 4-5x range, not a probability interval",
        4.5, 4, 5, None, "x per year", "2024-05-01",
        "Sevilla & Roldán, Training compute of frontier AI models grows by 4-5x per year (Epoch "
        "AI)",
        "https://epoch.ai/blog/training-compute-of-frontier-ai-models-grows-by-4-5x-per-year",
        ("4–5x/yr 2010–May 2024",),
    ),
    Estimate(
        "frontier_training_compute_growth_since_2018_per_year",
        "training compute of frontier models grows by about ... per year since 2018",
        4, None, None, None, "x per year", "2024-05-01",
        "Sevilla & Roldán, Training compute of frontier AI models grows by 4-5x per year (Epoch "
        "AI)",
        "https://epoch.ai/blog/training-compute-of-frontier-ai-models-grows-by-4-5x-per-year",
        ("frontier since 2018 ~4x/yr",),
    ),
    Estimate(
        "frontier_training_cost_growth_per_year",
        "amortised hardware and energy cost of frontier training runs grows by ... per year "
        "(since 2016; the blog version gives a 95% CI of 2.0-3.1x)",
        2.4, 2, 2.9, 0.9, "x per year", "2024-05-31",
        "Cottier et al., The rising costs of training frontier AI models (arXiv 2405.21015)",
        "https://arxiv.org/abs/2405.21015",
        ("2.4x/yr since 2016", "90% CI 2.0–2.9x (arXiv v2)"),
    ),
    Estimate(
        "cn_capability_lag_months",
        "Chinese models trail the US frontier on the Epoch Capabilities Index by ... on average "
        "since 2023; low/high: the smallest and largest lag seen, not a probability interval",
        7, 4, 14, None, "months", "2026-01-02",
        "Epoch AI (L. Emberson), Chinese AI models have lagged the US frontier by 7 months on "
        "average since 2023",
        "https://epoch.ai/data-insights/us-vs-china-eci",
        ("lag by 7 months on average", "(min 4, max 14)"),
    ),
    Estimate(
        "open_weights_lag_months",
        "best open-weight models trail the closed frontier on the Epoch Capabilities Index by ...",
        3.5, 1.1, 5.3, 0.9, "months", "2025-10-30",
        "Epoch AI (L. Emberson), Open-weight models lag state-of-the-art by around 3 months",
        EPOCH_OPEN_LAG,
        ("~3.5 months avg (90% CI 1.1–5.3)",),
    ),
    Estimate(
        "open_weights_lag_eci_points",
        "best open-weight models trail the closed frontier by ... Epoch Capabilities Index points",
        7, 0, 14, 0.9, "ECI points", "2025-10-30",
        "Epoch AI (L. Emberson), Open-weight models lag state-of-the-art by around 3 months",
        EPOCH_OPEN_LAG,
        ("~7 ECI points (90% CI 0–14)",),
    ),
    Estimate(
        "huawei_ascend_2025_output_bis_chips",
        "Huawei Ascend production capacity in 2025 as assessed by the US Commerce Department "
        "(BIS): at or below this number; high = the stated ceiling",
        200000, None, 200000, None, "chips", "2025-06-12",
        "Reuters (via iTnews): BIS Under Secretary J. Kessler to a House Foreign Affairs "
        "subcommittee",
        "https://www.itnews.com.au/news/us-says-huawei-cant-make-more-than-200000-ai-chips-in-202"
        "5-617824",
        ("≤200,000 Ascend chips",),
    ),
    Estimate(
        "huawei_ascend_2025_output_semianalysis_chips",
        "Huawei Ascend output in 2025 estimated by SemiAnalysis (falling to ~300k in 2026 if "
        "HBM-limited)",
        805000, None, None, None, "chips", "2025-09-08",
        "SemiAnalysis, Huawei Ascend Production Ramp: Die Banks, TSMC Continued Production, HBM "
        "is The Bottleneck",
        "https://newsletter.semianalysis.com/p/huawei-ascend-production-ramp",
        ("~805,000 Ascend units",),
    ),
    Estimate(
        "cn_smuggled_chips_2024",
        "AI chips smuggled into China in 2024, median; low = 10,000; the upper end ('several "
        "hundred thousand') is not quantified, so high is empty",
        140000, 10000, None, None, "chips", "2025-06-11",
        "Grunewald & Fist, Countering AI Chip Smuggling Has Become a National Security Priority "
        "(CNAS working paper)",
        "https://www.cnas.org/publications/reports/countering-ai-chip-smuggling-has-become-a-nati"
        "onal-security-priority",
        ("10,000 to several hundred thousand; median ~140,000",),
    ),
    Estimate(
        "amodei_cost_curve_shift_per_year",
        "overall shift of the cost curve for a given capability (algorithms, efficiency, "
        "hardware), Amodei's guess of 'maybe ~4x/year'",
        4, None, None, None, "x per year", "2025-01-29",
        "Dario Amodei, On DeepSeek and Export Controls",
        "https://darioamodei.com/on-deepseek-and-export-controls",
        ("\"maybe ~4x/year\"",),
    ),
    Estimate(
        "amodei_algorithmic_shift_2020_per_year",
        "algorithmic shift of the scaling curve, his team's 2020 estimate",
        1.68, None, None, None, "x per year", "2025-01-29",
        "Dario Amodei, On DeepSeek and Export Controls",
        "https://darioamodei.com/on-deepseek-and-export-controls",
        ("~1.68x/yr",),
    ),
    Estimate(
        "metr_horizon_doubling_days_from_2023_v1_1",
        "METR 50% time horizon doubling time, models from 2023 on (task suite v1.1)",
        130.8, 107.3, 161.4, 0.95, "days", "2026-01-29",
        "METR, Time Horizon 1.1 (January 2026 release)",
        METR_URL,
        ("from 2023 on 130.8 days (CI 107.3–161.4)",),
    ),
    Estimate(
        "metr_horizon_doubling_days_all_time_v1_1",
        "METR 50% time horizon doubling time over all models since 2019 (task suite v1.1)",
        196.5, None, None, None, "days", "2026-01-29",
        "METR, Time Horizon 1.1 (January 2026 release)",
        METR_URL,
        ("all-time stitched 196.5 days",),
    ),
    Estimate(
        "metr_horizon_doubling_months_2019_2025_v1_0",
        "METR 50% time horizon doubling time 2019-2025, first paper (task suite v1.0)",
        7, None, None, None, "months", "2025-03-19",
        "Kwa et al., Measuring AI Ability to Complete Long Tasks (arXiv 2503.14499), METR",
        "https://arxiv.org/abs/2503.14499",
        ("doubling ~every 7 months, 2019–2025",),
    ),
    Estimate(
        "nvidia_installed_compute_growth_per_year",
        "installed computing power of Nvidia chips grows by ... per year since 2019 (doubling "
        "about every 10 months)",
        2.3, None, None, None, "x per year", "2025-02-13",
        "Epoch AI data insight: the stock of computing power from NVIDIA chips is doubling every "
        "10 months",
        "https://epoch.ai/data-insights/nvidia-chip-production",
        ("2.3x/yr since 2019",),
    ),
)
# fmt: on

EXPORT_COLUMNS = ("date", "event", "direction", "source", "source_url")


@dataclass(frozen=True)
class Event:
    """A dated export-control event; ``evidence`` must appear in the facts file."""

    date: str
    direction: str
    event: str
    source: str
    source_url: str
    evidence: str


FR = "https://www.federalregister.gov/documents"
EPOCH_HW = EPOCH_HARDWARE[1]
# fmt: off
EVENTS: tuple[Event, ...] = (
    Event(
        "2020-09-15", "tighten",
        "TSMC stops making chips for Huawei as the grace period of the May-2020 US foreign direct "
        "product rule ends; Huawei loses its foundry for Ascend AI chips",
        "TechCentral (Reuters), TSMC stops new Huawei orders after US restrictions",
        "https://techcentral.co.za/tsmc-stops-new-huawei-orders-after-us-restrictions/98084/",
        "TSMC stops making Huawei AI chips",
    ),
    Event(
        "2022-10-07", "tighten",
        "BIS rule: A100/H100-class chips (ECCN 3A090/4A090) need a licence for China; controls on "
        "chipmaking equipment and supercomputer/fab end uses; foreign direct product rule for 28 "
        "entities",
        "US BIS interim final rule, 87 FR 62186 (Federal Register)",
        f"{FR}/2022/10/13/2022-21658/implementation-of-additional-export-controls-certain-adva"
        "nced-computing-and-semiconductor",
        "2022-10-07",
    ),
    Event(
        "2022-11-03", "other",
        "Nvidia releases the A800 for China: an A100 with interconnect cut below the new "
        "threshold (Epoch's date for the PCIe card)",
        "Epoch AI, Data on Machine Learning Hardware",
        EPOCH_HW,
        "Nvidia ships A800, then H800",
    ),
    Event(
        "2023-03-21", "other",
        "Nvidia releases the H800 for China: H100-level 16-bit throughput with reduced "
        "interconnect",
        "Epoch AI, Data on Machine Learning Hardware",
        EPOCH_HW,
        "2023-03-21",
    ),
    Event(
        "2023-10-17", "tighten",
        "BIS update (effective 2023-11-17): performance and performance-density thresholds "
        "replace the interconnect test, A800/H800 become controlled, licences also for firms "
        "headquartered in China/Macau/D:5 anywhere",
        "US BIS interim final rule, 88 FR 73458 (Federal Register)",
        f"{FR}/2023/10/25/2023-23055/implementation-of-additional-export-controls-certain-adva"
        "nced-computing-items-supercomputer-and",
        "2023-10-17 (effective 2023-11-16/17)",
    ),
    Event(
        "2023-11-09", "other",
        "Nvidia releases the H20 (about 15% of H100 16-bit throughput, high memory bandwidth), "
        "which becomes the main legal Nvidia chip for China",
        "Epoch AI, Data on Machine Learning Hardware",
        EPOCH_HW,
        "2023-11-09",
    ),
    Event(
        "2024-04-04", "other",
        "BIS corrects and clarifies the October-2023 advanced-computing and chipmaking-equipment "
        "rules (effective date; released 2024-03-29)",
        "US BIS press release, Commerce releases clarifications of export control rules",
        "https://www.bis.gov/press-release/commerce-releases-clarifications-export-control-rules-"
        "restrict-prcs-access-advanced",
        "Further refinement of 2023 rules",
    ),
    Event(
        "2024-12-02", "tighten",
        "BIS package (compliance 2024-12-31): controls on all HBM stacks, 24 more chipmaking tool "
        "types and 3 software tools, two new foreign direct product rules, 140 Entity List "
        "additions",
        "US BIS interim final rule, 89 FR 96790 (Federal Register)",
        f"{FR}/2024/12/05/2024-28270/foreign-produced-direct-product-rule-additions-and-refine"
        "ments-to-controls-for-advanced-computing",
        "2024-12-02 (compliance 2024-12-31)",
    ),
    Event(
        "2025-01-13", "tighten",
        "Framework for AI Diffusion: worldwide licensing of advanced chips with country tiers and "
        "controls on closed model weights (compliance date 2025-05-15)",
        "US BIS interim final rule, 90 FR 4544 (Federal Register)",
        f"{FR}/2025/01/15/2025-00636/framework-for-artificial-intelligence-diffusion",
        "Framework for AI Diffusion",
    ),
    Event(
        "2025-04-09", "tighten",
        "US requires licences for Nvidia H20, AMD MI308 and chips of equal bandwidth to "
        "China/HK/Macau/D:5 (indefinite from 2025-04-14); Nvidia books up to $5.5B of charges",
        "Tom's Hardware, on Nvidia's 8-K filing",
        "https://www.tomshardware.com/tech-industry/artificial-intelligence/nvidia-writes-off-usd"
        "5-5-billion-in-gpus-as-us-govt-chokes-off-supply-of-h20s-to-china",
        "2025-04-09 (indefinite 2025-04-14)",
    ),
    Event(
        "2025-05-13", "relax",
        "BIS drops the AI Diffusion rule before it takes effect (non-enforcement, rescission "
        "planned) and warns that using Huawei Ascend chips risks violating US export rules",
        "Alston & Bird, Commerce rescinds AI Diffusion Rule, releases other guidance",
        "https://alstontrade.com/commerce-rescinds-ai-diffusion-rule-releases-other-guidance-invo"
        "lving-overseas-ai-chips",
        "2025-05-13",
    ),
    Event(
        "2025-06-12", "other",
        "BIS tells Congress that Huawei can make at most about 200,000 Ascend chips in 2025",
        "Reuters (via iTnews): BIS Under Secretary J. Kessler to a House Foreign Affairs "
        "subcommittee",
        "https://www.itnews.com.au/news/us-says-huawei-cant-make-more-than-200000-ai-chips-in-202"
        "5-617824",
        "BIS: Huawei 2025 Ascend capacity ≤200k",
    ),
    Event(
        "2025-07-14", "relax",
        "US signals it will license H20 sales to China again (later tied to 15% of revenue for "
        "the US government); China's regulator then questions Nvidia over the H20 and Nvidia "
        "halts H20 production in August",
        "CNN (via KESQ), Nvidia says it will resume sale of key AI chip to China",
        "https://kesq.com/money/cnn-business-consumer/2025/07/15/nvidia-says-it-will-resume-sale-"
        "of-key-ai-chip-to-china/",
        "2025-07-14 / 2025-08",
    ),
    Event(
        "2025-09-29", "tighten",
        "Affiliates Rule: Entity List and military end-user restrictions extend to firms at least "
        "50% owned by listed parties",
        "US BIS interim final rule, 90 FR 47201 (Federal Register, via thefederalregister.org)",
        "https://thefederalregister.org/documents/2025-19001/expansion-of-end-user-controls-to-co"
        "ver-affiliates-of-certain-listed-entities",
        "Affiliates Rule",
    ),
    Event(
        "2025-11-10", "relax",
        "Affiliates Rule suspended for one year (to 2026-11-09) under the 2025-11-01 US-China "
        "deal",
        "Summary of the BIS suspension rule (Federal Register vol. 90 no. 216)",
        "https://lawyerfanzhang.com/one-year-suspension-of-expansion-of-end-user-controls-for-aff"
        "iliates-of-certain-listed-entities",
        "Affiliates Rule suspended one year",
    ),
    Event(
        "2025-12-07", "other",
        "Final FY2026 defence bill text leaves out the GAIN AI Act (US customers first for "
        "advanced AI chips); chip-security bills still pending",
        "Akin Gump, Congress moves forward with AI measures in key defense legislation",
        "https://www.akingump.com/en/insights/alerts/congress-moves-forward-with-ai-measures-in-k"
        "ey-defense-legislation",
        "GAIN AI Act (US-customers-first) dropped",
    ),
    Event(
        "2025-12-08", "relax",
        "President Trump announces that Nvidia may sell H200 chips to approved customers in "
        "China, with 25% of the revenue going to the US government",
        "WION, Trump allows Nvidia H200 sales to China",
        "https://www.wionews.com/world/ai-chip-war-u-turn-trump-allows-nvidia-h200-sales-to-china"
        "-says-xi-jinping-responded-positively-1765262721420",
        "2025-12-08",
    ),
    Event(
        "2026-01-13", "relax",
        "BIS rule (Federal Register 2026-01-15): case-by-case licences for H200/MI325X-class "
        "chips to China and Macau with US third-party testing and China volumes capped at 50% of "
        "US sales; Blackwell and Rubin stay barred",
        "US BIS final rule, Revision to license review policy for advanced computing commodities",
        f"{FR}/2026/01/15/2026-00789/revision-to-license-review-policy-for-advanced-computing-"
        "commodities",
        "2026-01-13 (FR 2026-01-15)",
    ),
    Event(
        "2026-01-14", "other",
        "Presidential proclamation: 25% tariff on such advanced chips passing through the US, the "
        "route for collecting the 25% share",
        "Mondaq, White House proclamation on import duties on semiconductors",
        "https://www.mondaq.com/unitedstates/international-trade-investment/1732382/trade-alert-w"
        "hite-house-proclamation-on-import-duties-on-semiconductors",
        "2026-01-14",
    ),
    Event(
        "2026-05-12", "other",
        "GAO finds BIS's May-2025 non-enforcement of the AI Diffusion rule is itself a rule under "
        "the Congressional Review Act",
        "US GAO decision B-337935",
        "https://www.gao.gov/products/b-337935",
        "2026-05-12",
    ),
    Event(
        "2026-05-31", "tighten",
        "BIS guidance: advanced-computing licences apply to entities headquartered in (or with an "
        "ultimate parent in) D:5 countries or Macau wherever they are located",
        "Holland & Knight, BIS publishes guidance regarding license requirements for advanced "
        "computing items",
        "https://www.hklaw.com/en/insights/publications/2026/06/bis-publishes-guidance-license-re"
        "quirements-advanced-computing-items",
        "2026-05-31",
    ),
)
# fmt: on


def _require_in_facts(facts: str, evidence: Iterable[str], what: str) -> None:
    for text in evidence:
        if text not in facts:
            raise BuildError(f"{what}: {text!r} not found in the facts file")


def build_estimates(facts: str, source: Path, notes: list[str]) -> list[Row]:
    """The literal estimate rows, each checked against the facts file (and METR's YAML)."""
    metr = metr_doubling(source)
    checks = {
        "metr_horizon_doubling_days_from_2023_v1_1": (
            metr["from_2023"],
            metr["from_2023_low"],
            metr["from_2023_high"],
        ),
        "metr_horizon_doubling_days_all_time_v1_1": (metr["all_time"], None, None),
    }
    rows: list[Row] = []
    for e in ESTIMATES:
        _require_in_facts(facts, e.evidence, e.key)
        if e.key in checks:
            want = tuple(None if x is None else round(x, 1) for x in checks[e.key])
            if want != (e.central, e.low, e.high):
                raise BuildError(f"{e.key}: {want} in METR's YAML, {e.central, e.low, e.high} here")
        rows.append(
            {
                "key": e.key,
                "quantity": e.quantity,
                "central": e.central,
                "low": e.low,
                "high": e.high,
                "interval_prob": e.interval_prob,
                "unit": e.unit,
                "published": e.published,
                "source": e.source,
                "source_url": e.source_url,
            }
        )
    late = [e.key for e in ESTIMATES if e.published > VINTAGE]
    notes.append(f"estimates: {len(rows)} rows; published after the vintage: {', '.join(late)}")
    return rows


def build_events(facts: str, notes: list[str]) -> list[Row]:
    """The literal export-control events, each checked against the facts file."""
    rows: list[Row] = []
    for e in EVENTS:
        _require_in_facts(facts, (e.evidence,), f"event {e.date}")
        rows.append(
            {
                "date": e.date,
                "event": e.event,
                "direction": e.direction,
                "source": e.source,
                "source_url": e.source_url,
            }
        )
    notes.append(f"export_controls: {len(rows)} events")
    return sorted(rows, key=lambda r: (str(r["date"]), str(r["event"])))


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _datasets_module() -> ModuleType:
    """``forecast.data.tables`` (the schemas the written tables are checked against)."""
    import forecast.data.tables as datasets

    return datasets


def build(source: Path, facts_path: Path, out: Path) -> dict[str, int]:
    """Write all seven tables into ``out``; return row counts. Prints a summary of checks."""
    facts = facts_path.read_text(encoding="utf-8")
    notes: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "models": (MODEL_COLUMNS, build_models(source, notes)),
        "compute_stock": (STOCK_COLUMNS, build_compute_stock(source, notes)),
        "capability_eci": (ECI_COLUMNS, build_eci(source, notes)),
        "capability_metr": (METR_COLUMNS, build_metr(source, notes)),
        "hardware": (HARDWARE_COLUMNS, build_hardware(source, notes)),
        "estimates": (ESTIMATE_COLUMNS, build_estimates(facts, source, notes)),
        "export_controls": (EXPORT_COLUMNS, build_events(facts, notes)),
    }
    datasets = _datasets_module()
    counts: dict[str, int] = {}
    problems: list[str] = []
    for name, (columns, rows) in tables.items():
        if tuple(columns) != datasets.TABLES[name].column_names:
            raise BuildError(f"{name}: builder columns differ from the schema")
        counts[name] = write_table(out, name, columns, rows)
        problems.extend(str(i) for i in datasets.validate_file(out / f"{name}.csv", name))
    for note in notes:
        print(note)
    if problems:
        raise BuildError("written tables fail validation:\n" + "\n".join(problems))
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="folder of the shared data")
    parser.add_argument("--facts", type=Path, required=True, help="the data-facts.md file")
    parser.add_argument("--out", type=Path, required=True, help="output folder (forecast/data)")
    args = parser.parse_args(argv)
    try:
        counts = build(args.source, args.facts, args.out)
    except (SourceFormatError, OSError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, count in counts.items():
        print(f"wrote {name}.csv: {count} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
