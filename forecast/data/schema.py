"""The curated tables' declarations: columns (kind, unit, rules) and table-level rules.

Seven tables ship as CSV files in ``forecast/data`` (built by ``tools/build_data.py`` from the
shared source data, vintage 2025-12-31; see ``forecast/data/README.md``). Each is declared here
once, as a :class:`TableSchema` of :class:`Column` entries; :mod:`forecast.data.validate` checks
cells and rows against these declarations and :mod:`forecast.data.tables` reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from forecast.core.definitions import COUNTRIES, SHARED_HOLDER_COUNTRY, holder_countries

VINTAGE = pd.Timestamp("2025-12-31")
"""Data vintage: every bundled observation is dated on or before this day."""

Kind = Literal["string", "float", "int", "bool", "date"]

DTYPES: dict[str, object] = {
    "string": pd.StringDtype(),
    "float": "float64",
    "int": "Int64",
    "bool": pd.BooleanDtype(),
    "date": "datetime64[s]",
}
"""pandas dtype of each column kind (dates at second resolution, explicit for pandas 3)."""

_URL = re.compile(r"^https?://\S+$")


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table: its kind, unit and the rules its cells must satisfy.

    ``low``/``high`` are bounds on numeric values (exclusive when ``low_open``/``high_open``);
    ``allowed`` lists the only permitted values; ``pattern`` is a regular expression a string
    cell must match fully, described to users as ``pattern_text``.
    """

    name: str
    kind: Kind
    unit: str = ""
    description: str = ""
    nullable: bool = False
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    pattern_text: str = ""

    @property
    def dtype(self) -> object:
        """The pandas dtype of this column in a loaded frame."""
        return DTYPES[self.kind]


@dataclass(frozen=True)
class FixedMapping:
    """A cross-column rule: the value of ``source`` decides the value of ``target``."""

    source: str
    target: str
    mapping: Mapping[str, str]


@dataclass(frozen=True)
class Plausible:
    """A stated plausible range of one column, with where the bounds come from.

    Cells outside ``[low, high]`` are legal but implausible: data checks, imports and posted
    rows refuse them unless the caller allows implausible values deliberately (and is recorded
    as having done so). ``low``/``high`` are numbers, or ISO dates for date columns; ``None``
    means no bound on that side (a date is never allowed in the future anyway).
    """

    column: str
    low: float | str | None
    high: float | str | None
    source: str

    def describe(self) -> str:
        """The range as text, e.g. ``[1e+13, 5e+30]``."""

        def show(bound: float | str | None) -> str:
            if bound is None:
                return "..."
            return bound if isinstance(bound, str) else f"{bound:g}"

        return f"[{show(self.low)}, {show(self.high)}]"


@dataclass(frozen=True)
class TableSchema:
    """A table: its ordered columns and the table-level rules.

    - ``key``: columns whose values must be unique across all files of the table;
    - ``observation``: dates in ``date_column`` are observations, so bundled rows must be dated
      on or before :data:`VINTAGE` (user-added rows may be newer, but not in the future);
    - ``ordered``: groups of numeric columns that must be non-decreasing where present
      (e.g. interval low <= estimate <= high);
    - ``requires``: (column, others) pairs; when ``column`` has a value, ``others`` must too;
    - ``quarter_dates``: (quarter column, date column): the date is the quarter's last day;
    - ``mappings``: columns whose value is fixed by another column's value;
    - ``plausible``: stated plausible ranges (:class:`Plausible`), each with its source.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    observation: bool
    date_column: str
    ordered: tuple[tuple[str, ...], ...] = ()
    requires: tuple[tuple[str, tuple[str, ...]], ...] = ()
    quarter_dates: tuple[str, str] | None = None
    mappings: tuple[FixedMapping, ...] = ()
    plausible: tuple[Plausible, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in file order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _source_columns() -> tuple[Column, Column]:
    return (
        Column("source", "string", description="data set or publication the row comes from"),
        Column(
            "source_url",
            "string",
            description="address of the source",
            pattern=_URL.pattern,
            pattern_text="must be an http(s) URL",
        ),
    )


_COUNTRY = Column("country", "string", description="ISO-like country code", allowed=COUNTRIES)
_CONFIDENCE = ("Confident", "Likely", "Speculative", "Unknown")
_HOLDER_COUNTRY = holder_countries()  # from the country registry

# Plausible ranges. Each bound says where it comes from; values beyond them are refused unless a
# caller allows implausible values deliberately (see :class:`Plausible`).
_WORLD_YEAR = (
    "below what the world's AI chips could compute in a year: Epoch AI Chip Owners counts "
    "20.9M H100e worldwide at 2025Q4; x 1.98e15 FLOP/s (H100 dense FP8, Epoch ML Hardware) x "
    "3.16e7 s = 1.3e30 FLOP at full use; x4 for stock growth after the vintage (~2.3x/yr, Epoch)"
)
_FLOP_LOW = (
    "100x below the smallest training run in Epoch's notable models since 2018 (ELMo, 3.3e15 FLOP)"
)


def _flop(column: str) -> Plausible:
    return Plausible(column, 1e13, 5e30, f"{_FLOP_LOW}; {_WORLD_YEAR}")


def _era(column: str, start: str, why: str) -> Plausible:
    return Plausible(column, start, None, f"the table's era: {why}; never in the future")


_METR = "METR time horizons (https://metr.org/time-horizons/)"
_METR_SPAN = (
    f"{_METR}: estimates span 0.006-320 min and 95% bounds 0.0001-1225 min in this vintage; "
    "the bounds leave 50x room below and about 80x above (1e5 min is ~40 work-weeks)"
)
_HW = (
    "Epoch ML Hardware (https://epoch.ai/data/machine-learning-hardware): dense throughput "
    "spans 1.6e13-5.0e15 OP/s for 2016-2025 accelerators; an order of magnitude and more of "
    "margin on each side"
)

MODELS = TableSchema(
    name="models",
    description="US and Chinese AI models 2018-2025 with a training-compute estimate (Epoch AI).",
    columns=(
        Column("model", "string", description="model name as Epoch lists it"),
        Column("date", "date", description="publication date"),
        Column("organization", "string", description="developer(s), comma-separated"),
        _COUNTRY,
        Column("training_flop", "float", unit="FLOP", low=0.0, low_open=True),
        Column(
            "confidence",
            "string",
            description="Epoch's confidence label for the compute estimate",
            allowed=_CONFIDENCE,
        ),
        Column("domain", "string", description="Epoch domain, e.g. Language", nullable=True),
        Column("notable", "bool", description="in Epoch's notable-models set"),
        Column("large_scale", "bool", description="in Epoch's large-scale set (>= 1e23 FLOP)"),
        Column("frontier", "bool", description="in Epoch's frontier set"),
        *_source_columns(),
    ),
    key=("model",),
    observation=True,
    date_column="date",
    plausible=(
        _era("date", "2018-01-01", "US/Chinese models with compute from 2018 (Epoch AI)"),
        _flop("training_flop"),
    ),
)

COMPUTE_STOCK = TableSchema(
    name="compute_stock",
    description="Cumulative AI accelerators (H100e) per holder group and quarter (Epoch AI).",
    columns=(
        Column(
            "quarter",
            "string",
            description="calendar quarter",
            pattern=r"\d{4}Q[1-4]",
            pattern_text="must look like 2022Q1",
        ),
        Column("date", "date", description="last day of the quarter"),
        Column("holder", "string", description="holder group", allowed=tuple(_HOLDER_COUNTRY)),
        Column("country", "string", allowed=(*COUNTRIES, SHARED_HOLDER_COUNTRY)),
        Column("h100e", "float", unit="H100-equivalents (cumulative since 2022Q1)", low=0.0),
        Column("uncertainty", "string", description="what the value is and how uncertain"),
        *_source_columns(),
    ),
    key=("quarter", "holder"),
    observation=True,
    date_column="date",
    quarter_dates=("quarter", "date"),
    mappings=(FixedMapping("holder", "country", _HOLDER_COUNTRY),),
    plausible=(
        _era(
            "date",
            "2018-01-01",
            "the project's era from 2018; Epoch AI Chip Owners starts in 2022Q1, so earlier "
            "quarters are back-fills",
        ),
        Plausible(
            "h100e",
            0.0,
            1e8,
            "Epoch AI Chip Owners (https://epoch.ai/data/ai-chip-owners): the whole world held "
            "20.9M H100e at 2025Q4; one holder above ~5x that is implausible",
        ),
    ),
)

CAPABILITY_ECI = TableSchema(
    name="capability_eci",
    description="Epoch Capabilities Index, one row per model (Epoch AI).",
    columns=(
        Column("model", "string", description="Epoch's model name (versions merged)"),
        Column("date", "date", description="release date"),
        Column("organization", "string"),
        _COUNTRY,
        Column("eci", "float", unit="ECI points", low=0.0, low_open=True),
        Column("training_flop", "float", unit="FLOP", nullable=True, low=0.0, low_open=True),
        Column("confidence", "string", allowed=_CONFIDENCE),
        *_source_columns(),
    ),
    key=("model",),
    observation=True,
    date_column="date",
    plausible=(
        _era("date", "2018-01-01", "the project's model era, as models.csv (from 2018)"),
        Plausible(
            "eci",
            15.0,
            200.0,
            "Epoch Capabilities Index (https://epoch.ai/eci): scores span 61.9-153.8 in this "
            "vintage; the range adds half that span (46 points) on each side",
        ),
        _flop("training_flop"),
    ),
)

_MINUTES = "minutes of human-expert task length"
CAPABILITY_METR = TableSchema(
    name="capability_metr",
    description="METR task-completion time horizons with 95% intervals.",
    columns=(
        Column("model", "string"),
        Column("date", "date", description="model release date"),
        _COUNTRY,
        Column("suite", "string", description="METR task suite", allowed=("v1.0", "v1.1")),
        Column("p50_minutes", "float", unit=_MINUTES, low=0.0, low_open=True),
        Column("p50_low", "float", unit=_MINUTES, low=0.0),
        Column("p50_high", "float", unit=_MINUTES, low=0.0, low_open=True),
        Column("p80_minutes", "float", unit=_MINUTES, nullable=True, low=0.0, low_open=True),
        Column("p80_low", "float", unit=_MINUTES, nullable=True, low=0.0),
        Column("p80_high", "float", unit=_MINUTES, nullable=True, low=0.0, low_open=True),
        *_source_columns(),
    ),
    key=("model", "suite"),
    observation=True,
    date_column="date",
    ordered=(("p50_low", "p50_minutes", "p50_high"), ("p80_low", "p80_minutes", "p80_high")),
    requires=(("p80_minutes", ("p80_low", "p80_high")),),
    plausible=(
        _era("date", "2018-01-01", "METR's earliest model is GPT-2 (2019-02-14)"),
        Plausible("p50_minutes", 1e-4, 1e5, _METR_SPAN),
        Plausible("p50_low", 0.0, 1e5, _METR_SPAN),
        Plausible("p50_high", 1e-4, 1e6, _METR_SPAN),
        Plausible("p80_minutes", 1e-4, 1e5, _METR_SPAN),
        Plausible("p80_low", 0.0, 1e5, _METR_SPAN),
        Plausible("p80_high", 1e-4, 1e6, _METR_SPAN),
    ),
)

_FLOPS = "operations per second (dense)"
HARDWARE = TableSchema(
    name="hardware",
    description="AI accelerators with dense peak throughput and price (Epoch AI).",
    columns=(
        Column("accelerator", "string"),
        Column("designer", "string"),
        Column("release_date", "date"),
        Column("bf16_flops", "float", unit="FLOP/s, 16-bit tensor", nullable=True, low=0.0),
        Column("fp8_flops", "float", unit="FLOP/s, 8-bit float", nullable=True, low=0.0),
        Column("int8_ops", "float", unit="OP/s, 8-bit integer", nullable=True, low=0.0),
        Column("price_usd", "float", unit="USD at release (nominal)", nullable=True, low=0.0),
        *_source_columns(),
    ),
    key=("accelerator",),
    observation=True,
    date_column="release_date",
    plausible=(
        _era("release_date", "2016-01-01", "accelerators released from 2016 (Epoch ML Hardware)"),
        Plausible("bf16_flops", 1e12, 1e17, _HW),
        Plausible("fp8_flops", 1e12, 1e17, _HW),
        Plausible("int8_ops", 1e12, 1e17, _HW),
        Plausible(
            "price_usd",
            100.0,
            1e6,
            "Epoch ML Hardware: release prices span 999-35,000 USD; 10x below and ~30x above",
        ),
    ),
)

ESTIMATES = TableSchema(
    name="estimates",
    description="Published trend estimates used to set priors.",
    columns=(
        Column(
            "key",
            "string",
            description="unique snake_case id",
            pattern=r"[a-z][a-z0-9_]*",
            pattern_text="must be snake_case",
        ),
        Column("quantity", "string", description="what is estimated"),
        Column("central", "float", description="central estimate, in `unit`"),
        Column("low", "float", nullable=True, description="lower end of the stated range"),
        Column("high", "float", nullable=True, description="upper end of the stated range"),
        Column(
            "interval_prob",
            "float",
            nullable=True,
            low=0.0,
            low_open=True,
            high=1.0,
            high_open=True,
            description="probability of [low, high]; empty if the range is not an interval",
        ),
        Column("unit", "string"),
        Column("published", "date"),
        *_source_columns(),
    ),
    key=("key",),
    observation=False,
    date_column="published",
    ordered=(("low", "central", "high"),),
    requires=(("interval_prob", ("low", "high")),),
    plausible=(
        _era(
            "published",
            "2012-01-01",
            "deep-learning-era trend estimates (the earliest trend window cited starts 2012; "
            "the oldest estimate here was published 2022)",
        ),
    ),
)

EXPORT_CONTROLS = TableSchema(
    name="export_controls",
    description="Dated US export-control events and related policy moves.",
    columns=(
        Column("date", "date"),
        Column("event", "string", description="one-line summary"),
        Column("direction", "string", allowed=("tighten", "relax", "other")),
        *_source_columns(),
    ),
    key=("date", "event"),
    observation=False,
    date_column="date",
    plausible=(
        _era(
            "date",
            "2018-01-01",
            "US AI-chip export controls from the 2018 Export Control Reform Act on (first "
            "event here 2020-09-15)",
        ),
    ),
)

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        MODELS,
        COMPUTE_STOCK,
        CAPABILITY_ECI,
        CAPABILITY_METR,
        HARDWARE,
        ESTIMATES,
        EXPORT_CONTROLS,
    )
}
"""Every curated table by name, in a stable order."""
