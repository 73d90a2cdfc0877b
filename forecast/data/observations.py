"""Per-country observation series for the model, built from the curated tables.

Everything here turns validated tables (``forecast.data.tables``) into plain numpy arrays, with the
choices a forecaster may change read from the prior set's ``[settings]``:

- chip stock: quarterly *additions* per country (the source series is cumulative from 2022Q1,
  so its levels are not independent observations), in H100e per year;
- frontier training compute: each country's record-setting training runs (a new largest run),
  in FLOP, with the noise of Epoch's confidence label;
- capability: ECI records (a new best by at least ``eci_record_step`` points), the ECI/compute
  cross-section, and METR 50% horizon records per suite;
- record gaps: each half-year after a country's first compute (or ECI) record in which it set
  none, with the best value so far as an upper bound (a censored observation: nothing above
  the bound appeared, which says the frontier did not run far ahead of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.core.definitions import (
    COUNTRIES,
    REGISTRY,
    SUITES,
    UnknownCountryError,
    country_index,
    country_info,
    supply_splits,
)
from forecast.core.errors import ForecastError
from forecast.core.timeutil import date_to_year, decimal_year

__all__ = ["COUNTRIES", "SUITES", "UnknownCountryError", "country_index"]

QUARTER_YEARS = 0.25
GAP_PERIOD_YEARS = 0.5  # record gaps are counted per half-year
# Frontier training runs are language or multimodal models: the capability scales (ECI, METR)
# measure those, and vision, biology or game models can hold compute records without moving them.
FRONTIER_DOMAINS = ("Language", "Multimodal")


@dataclass(frozen=True)
class Series:
    """One observation block: times (decimal years), values, country index and extras."""

    t: np.ndarray
    value: np.ndarray
    country: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    label: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return int(self.t.size)


@dataclass(frozen=True)
class Observations:
    """All observation blocks the model is fitted to."""

    stock: Series  # value: ln(additions, H100e/yr); extra: prev (index or -1)
    stock_levels: pd.DataFrame  # quarter, date, country, h100e (cumulative, for reports)
    compute: Series  # value: ln(training FLOP); extra: sd (ln, from confidence label)
    eci_records: Series  # value: ECI
    eci_cross: Series  # value: ECI; extra: log10_flop
    horizon: Series  # value: log2(p50 minutes); extra: se (log2), suite (index in SUITES)
    data_end: float  # decimal year of the last observation period (end of vintage)
    compute_gaps: Series | None = None  # value: ln FLOP bound; extra: sd (ln, the bound's label)
    eci_gaps: Series | None = None  # value: ECI bound (best so far plus the record step)
    supply_shares: Series | None = None  # value: ln(channel / reference channel additions);
    # extra: split (index in supply_splits()), regime (1 from the channel's policy event on)

    def counts(self) -> dict[str, int]:
        """Number of observations per block."""
        return {
            "stock_additions": self.stock.n,
            "compute_records": self.compute.n,
            "eci_records": self.eci_records.n,
            "eci_cross_section": self.eci_cross.n,
            "horizon_records": self.horizon.n,
            "compute_record_gaps": self.compute_gaps.n if self.compute_gaps else 0,
            "eci_record_gaps": self.eci_gaps.n if self.eci_gaps else 0,
            "supply_channel_ratios": self.supply_shares.n if self.supply_shares else 0,
        }


def country_stock(stock: pd.DataFrame, settings: Mapping[str, float]) -> pd.DataFrame:
    """Cumulative H100e per country and quarter from the holder-level table.

    Each country sums the holder groups its registry entry lists (``priors/countries.toml``),
    each times its weight: a number, or a prior-set setting such as ``us_share_of_other_stock``
    (US: the named companies + a share of Other) or ``cn_smuggled_weight`` (CN: legal stock +
    the speculative smuggled stock). Returns columns quarter, date, country, h100e (cumulative
    since 2022Q1).
    """
    wide = stock.pivot_table(index=["quarter", "date"], columns="holder", values="h100e")
    wide = wide.sort_index().fillna(0.0)
    frames = []
    for country in REGISTRY:
        series = pd.Series(0.0, index=wide.index)
        for holder, weight in country.stock_holders:
            w = float(settings[weight]) if isinstance(weight, str) else float(weight)
            if holder in wide:
                series = series + w * wide[holder]
        frame = series.rename("h100e").reset_index()
        frame["country"] = country.code
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[["quarter", "date", "country", "h100e"]]


def holder_additions(stock: pd.DataFrame, settings: Mapping[str, float]) -> pd.DataFrame:
    """Quarterly additions (H100e per quarter) per holder group, weighted as the registry says:
    index (quarter, date), one column per holder group of any country."""
    wide = stock.pivot_table(index=["quarter", "date"], columns="holder", values="h100e")
    wide = wide.sort_index().fillna(0.0)
    added = wide.diff()
    added.iloc[0] = wide.iloc[0]
    for country in REGISTRY:
        for holder, weight in country.stock_holders:
            if holder in added and isinstance(weight, str):
                added[holder] = added[holder] * float(settings[weight])
    return added


def supply_shares(stock: pd.DataFrame, settings: Mapping[str, float]) -> Series:
    """Quarterly log-ratios of each non-reference supply channel's additions to the reference
    channel's, at mid-quarter times, per ``supply_splits()``.

    A quarter counts when both channels added accelerators (a channel's series starts when its
    source starts: China's smuggled and domestic series in 2024Q1). ``regime`` is 1 for
    quarters whose middle is on or after the channel's ``regime_start``.
    """
    added = holder_additions(stock, settings)
    dates = pd.to_datetime(added.index.get_level_values("date"))
    t_mid = np.asarray(decimal_year(dates), dtype=float) - QUARTER_YEARS / 2
    ts, ys, cs, ks, rs = [], [], [], [], []
    for k, (code, comp) in enumerate(supply_splits()):
        ref = country_info(code).components[0]
        num = sum((added[h] for h in comp.holders if h in added), pd.Series(0.0, added.index))
        den = sum((added[h] for h in ref.holders if h in added), pd.Series(0.0, added.index))
        ok = (num.to_numpy() > 0) & (den.to_numpy() > 0)
        regime_at = date_to_year(comp.regime_start) if comp.regime_start else np.inf
        ts.extend(t_mid[ok])
        ys.extend(np.log(num.to_numpy()[ok] / den.to_numpy()[ok]))
        cs.extend([country_index(code)] * int(ok.sum()))
        ks.extend([k] * int(ok.sum()))
        rs.extend((t_mid[ok] >= regime_at).astype(float))
    return Series(
        t=np.asarray(ts, dtype=float),
        value=np.asarray(ys, dtype=float),
        country=np.asarray(cs, dtype=np.int64),
        extra={"split": np.asarray(ks, dtype=np.int64), "regime": np.asarray(rs, dtype=float)},
    )


def stock_additions(levels: pd.DataFrame) -> Series:
    """Quarterly additions per country as ln(H100e per year), at mid-quarter times.

    The first quarter's cumulative value is its own addition (the series counts from zero at
    the start of 2022Q1). An addition that is not positive cannot be logged and is an error.
    """
    ts, ys, cs, prev = [], [], [], []
    for ci, code in enumerate(COUNTRIES):
        rows = levels[levels["country"] == code].sort_values("date")
        if rows.empty:
            continue
        cum = rows["h100e"].to_numpy(dtype=float)
        added = np.diff(cum, prepend=0.0)
        if np.any(added <= 0):
            bad = rows["quarter"].to_numpy()[added <= 0]
            raise ForecastError(
                f"compute stock for {code} does not grow in {', '.join(map(str, bad))}: "
                "quarterly additions must be positive to be modelled on a log scale"
            )
        t_mid = decimal_year(rows["date"]) - QUARTER_YEARS / 2
        start = len(ts)
        ts.extend(t_mid)
        ys.extend(np.log(added / QUARTER_YEARS))
        cs.extend([ci] * len(added))
        prev.extend([-1, *range(start, start + len(added) - 1)])
    return Series(
        t=np.asarray(ts, dtype=float),
        value=np.asarray(ys, dtype=float),
        country=np.asarray(cs, dtype=np.int64),
        extra={"prev": np.asarray(prev, dtype=np.int64)},
    )


def stock_additions_meta(obs: Observations) -> dict[str, dict[str, list[float]]]:
    """The fitted additions series per country (mid-quarter years, ln H100e/yr), for a run's
    metadata: the projection starts from the AR(1) state at the last observed quarter."""
    s = obs.stock
    out = {}
    for ci, code in enumerate(COUNTRIES):
        mask = s.country == ci
        out[code] = {
            "t": [float(x) for x in s.t[mask]],
            "ln_h100e_per_year": [float(x) for x in s.value[mask]],
        }
    return out


def measurement_error(obs: Observations) -> dict[str, float]:
    """Typical measurement error of a new observation, for predictive answers: the median ln sd
    of the fitted training-compute records (Epoch's confidence labels) and the median log2
    standard error of the fitted METR horizon records (from METR's intervals)."""
    h = obs.horizon
    return {
        "compute_ln_sd": float(np.median(obs.compute.extra["sd"])) if obs.compute.n else 0.0,
        "horizon_log2_se": float(np.median(h.extra["se"])) if h.n else 0.0,
    }


def running_records(
    frame: pd.DataFrame,
    value: str,
    step: float = 0.0,
    group: str = "country",
    warmup_years: float = 0.0,
) -> pd.DataFrame:
    """Rows that set a new record of ``value`` within each group, in date order.

    A row is a record when it beats the group's previous best by more than ``step`` (in the
    value's own unit). The first ``warmup_years`` of each group's data only set the starting
    bar: their best row is the group's first record (a series that starts in the middle of the
    history would otherwise count its first small models as records).
    """
    keep = []
    for _, rows in frame.sort_values(["date", value], kind="mergesort").groupby(group, sort=False):
        years = decimal_year(rows["date"])
        values = rows[value].to_numpy(dtype=float)
        early = years < years.min() + warmup_years
        best = -np.inf
        if early.any():
            first = int(np.argmax(np.where(early, values, -np.inf)))
            keep.append(rows.index[first])
            best = values[first]
        for idx, val, is_early in zip(rows.index, values, early, strict=True):
            if not is_early and val > best + step:
                keep.append(idx)
                best = val
    return frame.loc[keep].sort_values([group, "date"], kind="mergesort")


def compute_records(models: pd.DataFrame, settings: Mapping[str, float]) -> Series:
    """Record-setting training runs per country, from ``fit_start_year`` to the vintage end."""
    noise = {
        "Confident": settings["compute_noise_confident"],
        "Likely": settings["compute_noise_likely"],
        "Speculative": settings["compute_noise_speculative"],
    }
    known = models[models["country"].isin(COUNTRIES) & models["domain"].isin(FRONTIER_DOMAINS)]
    known = known[decimal_year(known["date"]) >= settings["fit_start_year"]]
    records = running_records(
        known, "training_flop", warmup_years=float(settings["record_warmup_years"])
    )
    sd = [
        float(noise.get(str(c), settings["compute_noise_speculative"]))
        for c in records["confidence"]
    ]
    return Series(
        t=decimal_year(records["date"]),
        value=np.log(records["training_flop"].to_numpy(dtype=float)),
        country=np.asarray([country_index(c) for c in records["country"]], dtype=np.int64),
        extra={"sd": np.asarray(sd, dtype=float)},
        label=tuple(str(m) for m in records["model"]),
    )


def eci_records(eci: pd.DataFrame, settings: Mapping[str, float]) -> Series:
    """ECI records per country: each model that beat its country's best by the record step."""
    known = eci[eci["country"].isin(COUNTRIES)]
    records = running_records(
        known,
        "eci",
        step=float(settings["eci_record_step"]),
        warmup_years=float(settings["record_warmup_years"]),
    )
    return Series(
        t=decimal_year(records["date"]),
        value=records["eci"].to_numpy(dtype=float),
        country=np.asarray([country_index(c) for c in records["country"]], dtype=np.int64),
        label=tuple(str(m) for m in records["model"]),
    )


def eci_cross_section(eci: pd.DataFrame) -> Series:
    """Every model with both an ECI score and a training-compute estimate."""
    rows = eci[eci["country"].isin(COUNTRIES) & eci["training_flop"].notna()]
    rows = rows.sort_values("date", kind="mergesort")
    return Series(
        t=decimal_year(rows["date"]),
        value=rows["eci"].to_numpy(dtype=float),
        country=np.asarray([country_index(c) for c in rows["country"]], dtype=np.int64),
        extra={"log10_flop": np.log10(rows["training_flop"].to_numpy(dtype=float))},
        label=tuple(str(m) for m in rows["model"]),
    )


def record_gaps(
    records: Series, data_end: float, step: float = 0.0, period: float = GAP_PERIOD_YEARS
) -> Series:
    """Half-years without a record, per country, as censored observations of the frontier.

    Periods are calendar half-years, from the one after a country's first record up to the
    one that ends at ``data_end`` (a period that ends after it is left out). A period in which
    the country set no record gives one row: time = the period's middle, value = the best
    record before the period plus ``step`` (a record must beat the best by more than it), and,
    when the records carry a measurement ``sd``, the sd of that best record.
    """
    ts, bounds, cs, sds = [], [], [], []
    has_sd = "sd" in records.extra
    for ci in np.unique(records.country):
        mask = records.country == ci
        t, v = records.t[mask], records.value[mask]
        sd = records.extra["sd"][mask] if has_sd else np.zeros(t.size)
        first = np.floor(t.min() / period) * period + period
        n_periods = max(int(np.floor((data_end - first) / period + 1e-9)), 0)
        starts = first + period * np.arange(n_periods)
        for a in starts:
            if np.any((t >= a) & (t < a + period)):
                continue
            before = t < a
            best = int(np.argmax(np.where(before, v, -np.inf)))
            ts.append(a + period / 2)
            bounds.append(v[best] + step)
            cs.append(int(ci))
            sds.append(sd[best])
    extra = {"sd": np.asarray(sds, dtype=float)} if has_sd else {}
    return Series(
        t=np.asarray(ts, dtype=float),
        value=np.asarray(bounds, dtype=float),
        country=np.asarray(cs, dtype=np.int64),
        extra=extra,
    )


def horizon_se_log2(p50: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Standard error of log2(p50) from METR's 95% interval (minutes).

    Uses half the width of the log2 interval over 2 x 1.96; where the lower bound is zero or
    missing (the interval is asymmetric and open at the bottom), the upper half alone.
    """
    lo_ok = np.isfinite(low) & (low > 0)
    upper = (np.log2(high) - np.log2(p50)) / 1.959964
    both = (np.log2(high) - np.log2(np.where(lo_ok, low, 1.0))) / (2 * 1.959964)
    return np.where(lo_ok, both, upper)


def horizon_records(metr: pd.DataFrame, settings: Mapping[str, float]) -> Series:
    """METR 50%-horizon records per (country, suite): each model that beat the previous best,
    from ``horizon_fit_start_year`` on (records are found on the whole series first)."""
    known = metr[metr["country"].isin(COUNTRIES)].copy()
    known["group"] = known["country"].astype(str) + "|" + known["suite"].astype(str)
    records = running_records(
        known, "p50_minutes", group="group", warmup_years=float(settings["record_warmup_years"])
    )
    records = records[decimal_year(records["date"]) >= float(settings["horizon_fit_start_year"])]
    p50 = records["p50_minutes"].to_numpy(dtype=float)
    se = horizon_se_log2(
        p50,
        records["p50_low"].to_numpy(dtype=float, na_value=np.nan),
        records["p50_high"].to_numpy(dtype=float, na_value=np.nan),
    )
    return Series(
        t=decimal_year(records["date"]),
        value=np.log2(p50),
        country=np.asarray([country_index(c) for c in records["country"]], dtype=np.int64),
        extra={
            "se": se,
            "suite": np.asarray([SUITES.index(str(s)) for s in records["suite"]], dtype=np.int64),
        },
        label=tuple(f"{m} ({s})" for m, s in zip(records["model"], records["suite"], strict=True)),
    )


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in one fixed order: sorted by every column, stably, missing values last.

    The data hash does not depend on the order in which extra files are given (nor on the order
    of rows within the tables), so neither may the observations: the likelihood sums its terms
    in array order, and a permutation changes the floating-point sums and so the draws.
    """
    if frame.empty:
        return frame.reset_index(drop=True)
    cols = list(frame.columns)
    return frame.sort_values(cols, kind="mergesort", na_position="last").reset_index(drop=True)


def build_observations(
    tables: Mapping[str, pd.DataFrame], settings: Mapping[str, float], data_end: float
) -> Observations:
    """All observation blocks from the loaded tables (see ``forecast.data.tables.load_all``).

    Rows are put in :func:`canonical` order first, so equal data (equal data hash) always gives
    bit-identical observation arrays, whatever order the extra files came in.
    """
    tables = {name: canonical(frame) for name, frame in tables.items()}
    levels = country_stock(tables["compute_stock"], settings)
    compute = compute_records(tables["models"], settings)
    eci = eci_records(tables["capability_eci"], settings)
    step = float(settings["eci_record_step"])
    return Observations(
        stock=stock_additions(levels),
        stock_levels=levels,
        compute=compute,
        eci_records=eci,
        eci_cross=eci_cross_section(tables["capability_eci"]),
        horizon=horizon_records(tables["capability_metr"], settings),
        data_end=float(data_end),
        compute_gaps=record_gaps(compute, float(data_end)),
        eci_gaps=record_gaps(eci, float(data_end), step=step),
        supply_shares=supply_shares(tables["compute_stock"], settings),
    )
