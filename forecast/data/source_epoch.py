"""Epoch AI's published files mapped to curated rows: models, chip owners, ECI, ML hardware.

Each mapping reads the columns Epoch publishes (see ``forecast/data/README.md`` for what is kept
and why) and returns a :class:`~forecast.data.source_common.Mapped`. ``until`` is the last date
kept: the data vintage when building the bundled tables, today when importing newer files.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from forecast.data.source_common import (
    CONFIDENCES,
    EPOCH_ECI,
    EPOCH_HARDWARE,
    EPOCH_MODELS,
    EPOCH_OWNERS,
    FIRST_YEAR,
    Mapped,
    Row,
    SourceFormatError,
    clean,
    from_source,
    need,
    number,
)

Record = Mapping[str, str]

# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------

USA, CHINA = "United States of America", "China"
UK = "United Kingdom of Great Britain and Northern Ireland"
LARGE_SCALE_FLOP = 1e23


def _flag(text: str) -> bool:
    if text not in ("True", "False"):
        raise SourceFormatError(f"expected True/False, got {text!r}")
    return text == "True"


def _model_order(row: Row) -> tuple[str, str]:
    return (str(row["date"]), str(row["model"]))


def models_derived(records: Sequence[Record], until: str) -> Mapped:
    """US/CN models from ``FIRST_YEAR`` to ``until`` with training compute, from the per-model
    file derived from Epoch's notable and large-scale sets (``us_china_models_with_compute``)."""
    out = Mapped("models", covers=from_source(EPOCH_MODELS[0]), fmt="epoch models (US/CN file)")
    for r in records:
        date = need(r, "publication_date", "models")
        flop = number(need(r, "training_compute_flop", "models"))
        if not date[:4].isdigit() or int(date[:4]) < FIRST_YEAR or date > until:
            out.skipped[f"outside {FIRST_YEAR}-{until[:4]}"] += 1
            continue
        if r["country"] not in ("US", "CN"):
            out.skipped[f"country {r['country']!r}"] += 1
            continue
        if flop is None or flop <= 0:
            out.skipped["no positive training compute"] += 1
            continue
        confidence = r["confidence"] or "Unknown"
        if confidence not in CONFIDENCES:
            raise SourceFormatError(f"models: unexpected confidence {confidence!r}")
        row: Row = {
            "model": clean(r["model"]),
            "date": date,
            "organization": clean(r["organization"]),
            "country": r["country"],
            "training_flop": flop,
            "confidence": confidence,
            "domain": clean(r["domain"]) or None,
            "notable": _flag(r["epoch_notable"]),
            "large_scale": _flag(r["epoch_large_scale"]),
            "frontier": _flag(r["epoch_frontier"]),
            "source": EPOCH_MODELS[0],
            "source_url": EPOCH_MODELS[1],
        }
        out.add(row, str(row["model"]))
    if any(not r["organization"] for r in out.rows):
        raise SourceFormatError("models: a row has no organization")
    return out.sort(_model_order)


def model_country(countries: str, organization: str) -> str | None:
    """US or CN from Epoch's ``Country (of organization)`` cell; None for other or joint rows.

    Google DeepMind's US+UK rows count as US, as in the derived file.
    """
    names = {c.strip() for c in countries.split(",") if c.strip()}
    if names == {USA}:
        return "US"
    if names == {CHINA}:
        return "CN"
    if names == {USA, UK} and "DeepMind" in organization:
        return "US"
    return None


def models_raw(records: Sequence[Record], until: str) -> Mapped:
    """Rows of Epoch's own AI-models CSVs (notable, large-scale or all models).

    Set memberships are read from the file: ``notable`` when the ``Notability criteria`` column
    is filled, ``large_scale`` at 1e23 FLOP or more, ``frontier`` when ``Frontier model`` is
    checked (absent column: false).
    """
    notable_file = bool(records) and "Notability criteria" in records[0]
    flag = "notable" if notable_file else "large_scale"
    name = EPOCH_MODELS[0]
    out = Mapped(
        "models",
        covers=lambda cells: cells.get("source") == name and cells.get(flag) == "true",
        fmt=f"epoch models (Epoch CSV, {'notable' if notable_file else 'large-scale'} set)",
    )
    for r in records:
        date = need(r, "Publication date", "models").strip()
        flop = number(need(r, "Training compute (FLOP)", "models"))
        if not date[:4].isdigit() or int(date[:4]) < FIRST_YEAR or date > until:
            out.skipped[f"outside {FIRST_YEAR}-{until[:4]}"] += 1
            continue
        organization = clean(need(r, "Organization", "models"))
        country = model_country(need(r, "Country (of organization)", "models"), organization)
        if country is None:
            out.skipped["country not US or CN alone"] += 1
            continue
        if flop is None or flop <= 0:
            out.skipped["no positive training compute"] += 1
            continue
        if not organization:
            out.skipped["no organization"] += 1
            continue
        confidence = r.get("Confidence", "").strip() or "Unknown"
        if confidence not in CONFIDENCES:
            raise SourceFormatError(f"models: unexpected confidence {confidence!r}")
        row: Row = {
            "model": clean(r["Model"]),
            "date": date,
            "organization": organization,
            "country": country,
            "training_flop": flop,
            "confidence": confidence,
            "domain": clean(r.get("Domain", "")) or None,
            "notable": bool(r.get("Notability criteria", "").strip()),
            "large_scale": flop >= LARGE_SCALE_FLOP,
            "frontier": r.get("Frontier model", "").strip().lower() in ("checked", "true"),
            "source": EPOCH_MODELS[0],
            "source_url": EPOCH_MODELS[1],
        }
        out.add(row, str(row["model"]))
    return out.sort(_model_order)


# --------------------------------------------------------------------------------------------
# compute_stock
# --------------------------------------------------------------------------------------------

US_OWNERS = {
    "Google": "google",
    "Microsoft": "microsoft",
    "Meta": "meta",
    "Amazon": "amazon",
    "Oracle": "oracle",
    "CoreWeave": "coreweave",
    "xAI": "xai",
}
CHINA_DESIGNERS = {
    "Nvidia": "china_nvidia",
    "Huawei": "china_huawei",
    "Cambricon": "china_cambricon",
    "AMD": "china_amd",
}
OWNER_HOLDERS = {**US_OWNERS, "Other": "other", "China (smuggled)": "china_smuggled"}
HOLDERS = (*US_OWNERS.values(), "other", *CHINA_DESIGNERS.values(), "china_smuggled")
US_NOTE = (
    "median; Epoch ranges ~2x wide (90%); source p5/p95 are summed per designer, not an interval"
)
CN_NOTE = (
    "median; per-owner p5/p95 not valid intervals (sums over designers, Huawei ranges missing)"
)
SMUGGLED_NOTE = "speculative estimate (Epoch, off by default); median"


def quarter_end(q: str) -> str:
    """ISO date of the last day of quarter ``2024Q3``."""
    year, quarter = int(q[:4]), int(q[5])
    month = 3 * quarter
    day = 31 if month in (3, 12) else 30
    return f"{year:04d}-{month:02d}-{day:02d}"


def holder_note(holder: str, tracked: bool, first: str | None) -> str:
    """The ``uncertainty`` text of one holder-quarter."""
    if not tracked:
        if holder == "china_smuggled":
            return f"0: Epoch's speculative smuggling series (off by default) starts {first}"
        return f"0: not tracked by Epoch before {first} (zero means not tracked, not none)"
    if holder == "china_smuggled":
        return SMUGGLED_NOTE
    return CN_NOTE if holder.startswith("china_") else US_NOTE


def owner_values(
    records: Sequence[Record],
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """From the by-owner file: holder values by (quarter, holder), and every owner's total."""
    values: dict[tuple[str, str], float] = {}
    totals: dict[tuple[str, str], float] = {}
    for r in records:
        q, owner = need(r, "quarter", "chip owners"), need(r, "owner", "chip owners")
        h100e = float(need(r, "h100e", "chip owners"))
        totals[(q, owner)] = h100e
        holder = OWNER_HOLDERS.get(owner)
        if holder is not None:
            values[(q, holder)] = h100e
    return values, totals


def maker_values(
    records: Sequence[Record],
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """From the by-manufacturer file: China's holders by designer, and per-owner sums."""
    values: dict[tuple[str, str], float] = {}
    sums: defaultdict[tuple[str, str], float] = defaultdict(float)
    for r in records:
        q, owner = need(r, "quarter", "chip owners"), need(r, "owner", "chip owners")
        h100e = float(need(r, "h100e", "chip owners"))
        sums[(q, owner)] += h100e
        if owner == "China":
            maker = need(r, "manufacturer", "chip owners")
            if maker not in CHINA_DESIGNERS:
                raise SourceFormatError(f"chip owners: unknown China designer {maker!r}")
            values[(q, CHINA_DESIGNERS[maker])] = h100e
    return values, dict(sums)


def stock_rows(
    quarters: Sequence[str], values: Mapping[tuple[str, str], float], holders: Sequence[str]
) -> list[Row]:
    """Every (quarter, holder) row; a holder absent in a quarter is 0 with a "not tracked" note."""
    rows: list[Row] = []
    for holder in holders:
        seen = [q for q in quarters if (q, holder) in values]
        first = seen[0] if seen else None
        for q in quarters:
            tracked = (q, holder) in values
            country = "US" if holder in US_OWNERS.values() else "CN"
            rows.append(
                {
                    "quarter": q,
                    "date": quarter_end(q),
                    "holder": holder,
                    "country": "OTHER" if holder == "other" else country,
                    "h100e": values.get((q, holder), 0.0),
                    "uncertainty": holder_note(holder, tracked, first),
                    "source": EPOCH_OWNERS[0],
                    "source_url": EPOCH_OWNERS[1],
                }
            )
    order = {h: i for i, h in enumerate(HOLDERS)}
    return sorted(rows, key=lambda r: (str(r["quarter"]), order[str(r["holder"])]))


def chip_owners(records: Sequence[Record], header: Sequence[str], until: str) -> Mapped:
    """Rows of one chip-owner file: by owner (US companies, Other, China smuggled) or by
    manufacturer (China's legal stock by designer); quarters after ``until`` are left out."""
    by_maker = "manufacturer" in header
    if by_maker:
        values, _ = maker_values(records)
        holders: tuple[str, ...] = tuple(CHINA_DESIGNERS.values())
        fmt = "epoch chip owners (by manufacturer: China by designer)"
    else:
        values, _ = owner_values(records)
        holders = (*US_OWNERS.values(), "other", "china_smuggled")
        fmt = "epoch chip owners (by owner)"
    quarters = sorted({q for q, _ in values} | {str(r.get("quarter", "")) for r in records})
    late = [q for q in quarters if not q or quarter_end(q) > until]
    quarters = [q for q in quarters if q and quarter_end(q) <= until]
    name = EPOCH_OWNERS[0]
    covered = set(holders)
    out = Mapped(
        "compute_stock",
        covers=lambda cells: cells.get("source") == name and cells.get("holder") in covered,
        fmt=fmt,
    )
    if late:
        out.skipped["quarter after the vintage or today"] += len(late)
    for row in stock_rows(quarters, values, holders):
        out.add(row, f"{row['quarter']}|{row['holder']}")
    return out


# --------------------------------------------------------------------------------------------
# capability_eci
# --------------------------------------------------------------------------------------------


def eci_country(text: str) -> str:
    """US, CN, MIXED (both) or OTHER from Epoch's comma-separated country names."""
    names = {c.strip() for c in text.split(",") if c.strip()}
    if names == {USA}:
        return "US"
    if names == {CHINA}:
        return "CN"
    if {USA, CHINA} <= names:
        return "MIXED"
    return "OTHER"


def eci_rows(records: Sequence[Record], until: str) -> Mapped:
    """One row per scored US/CN model: versions grouped by cleaned ``Model name``; keep the
    highest score and the earliest release date among the versions with that score."""
    out = Mapped("capability_eci", covers=from_source(EPOCH_ECI[0]), fmt="epoch capabilities index")
    scored = [r for r in records if need(r, "ECI Score", "eci").strip()]
    groups: defaultdict[str, list[Record]] = defaultdict(list)
    for r in scored:
        name = clean(need(r, "Model name", "eci")) or clean(need(r, "Model version", "eci"))
        groups[name].append(r)
    out.skipped["no ECI score"] = len(records) - len(scored)
    for name, versions in groups.items():
        best = max(float(v["ECI Score"]) for v in versions)
        top = sorted(
            (v for v in versions if float(v["ECI Score"]) == best), key=lambda v: v["Release date"]
        )
        chosen = top[0]
        country = eci_country(chosen["Country"])
        if country not in ("US", "CN"):
            out.skipped[country] += 1
            continue
        if not chosen["Release date"] or chosen["Release date"] > until:
            out.skipped["no date or after vintage"] += 1
            continue
        flops = sorted({f for v in top if (f := number(v["Training compute (FLOP)"])) is not None})
        if len(flops) > 1:
            raise SourceFormatError(f"eci: versions of {name!r} disagree on compute {flops}")
        flop = flops[0] if flops else None
        label = chosen["Confidence"].strip()
        confidence = label if flop is not None and label in CONFIDENCES else "Unknown"
        row: Row = {
            "model": name,
            "date": chosen["Release date"],
            "organization": clean(chosen["Organization"]),
            "country": country,
            "eci": best,
            "training_flop": flop,
            "confidence": confidence,
            "source": EPOCH_ECI[0],
            "source_url": EPOCH_ECI[1],
        }
        out.add(row, name)
    multi = sum(len({v["ECI Score"] for v in vs}) > 1 for vs in groups.values())
    countries = Counter(eci_country(r["Country"]) for r in records)
    skipped = {k: v for k, v in out.skipped.items() if k != "no ECI score"}
    out.notes.append(
        f"eci: {len(records)} source rows, {len(scored)} with a score, {len(groups)} distinct "
        f"scored models ({multi} with more than one score); kept {len(out.rows)} US/CN; "
        f"skipped {skipped}"
    )
    out.notes.append(
        "eci: source rows by country class (all rows, scored or not): "
        f"{dict(sorted(countries.items()))}"
    )
    with_compute = sum(r["training_flop"] is not None for r in out.rows)
    out.notes.append(f"eci: {with_compute} kept rows have compute")
    return out.sort(_model_order)


# --------------------------------------------------------------------------------------------
# hardware
# --------------------------------------------------------------------------------------------

HARDWARE_FIRST_YEAR = 2016
DESIGNER_FILL = {"GroqChip LPU v1": "Groq"}  # Epoch leaves the manufacturer empty


def hardware_rows(records: Sequence[Record], until: str) -> Mapped:
    """Accelerators released from 2016 to ``until`` with at least one of BF16/FP8/INT8
    throughput."""
    out = Mapped("hardware", covers=from_source(EPOCH_HARDWARE[0]), fmt="epoch ML hardware")
    for r in records:
        date = need(r, "Release date", "hardware").strip()
        bf16 = number(need(r, "Tensor-FP16/BF16 performance (FLOP/s)", "hardware"))
        fp8 = number(need(r, "FP8 performance (FLOP/s)", "hardware"))
        int8 = number(need(r, "INT8 performance (OP/s)", "hardware"))
        if (
            not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)
            or int(date[:4]) < HARDWARE_FIRST_YEAR
            or date > until
        ):
            out.skipped[f"no release date in {HARDWARE_FIRST_YEAR}-{until[:4]}"] += 1
            continue
        if bf16 is None and fp8 is None and int8 is None:
            out.skipped["no throughput figure"] += 1
            continue
        name = clean(r["Hardware name"])
        designer = clean(r["Manufacturer"]) or DESIGNER_FILL.get(name, "")
        if not designer:
            raise SourceFormatError(f"hardware: no designer for {name!r}")
        row: Row = {
            "accelerator": name,
            "designer": designer,
            "release_date": date,
            "bf16_flops": bf16,
            "fp8_flops": fp8,
            "int8_ops": int8,
            "price_usd": number(r["Release price (USD)"]),
            "source": EPOCH_HARDWARE[0],
            "source_url": EPOCH_HARDWARE[1],
        }
        out.add(row, name)
    return out.sort(lambda r: (str(r["release_date"]), str(r["accelerator"])))
