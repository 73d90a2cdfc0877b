"""Figures of the periodic report, drawn with matplotlib (Agg) and returned as SVG text.

Each function takes a :class:`~forecast.questions.Forecaster` (one stored run) and returns a
:class:`Figure`: its SVG, a title, a caption that says what the bands and points are, and the
plotted numbers (``data``, JSON-ready), so the report's JSON holds what the pictures show and
tests can compare them with the library's answers.

The palette, style, :class:`Figure` record and axis helpers are in
:mod:`forecast.report.figures_base`; figures are drawn on ``matplotlib.figure.Figure`` objects
(Agg/SVG canvases, never pyplot), so rendering needs no display or process-wide backend.

Conventions: time axes are calendar dates; every axis names its unit; colours follow the
Okabe-Ito palette (colour-blind safe), US blue and CN vermillion throughout; bands are equal-
tailed posterior (predictive) intervals whose probability the legend states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd

from forecast.core import mcstats
from forecast.core.definitions import BASELINE_SCENARIO
from forecast.core.timeutil import decimal_year
from forecast.data.observations import COUNTRIES, country_stock, eci_records
from forecast.priors.priorset import PriorSet
from forecast.questions.forecaster import Forecaster
from forecast.report.figures_base import (
    ARRIVAL_PLOT_END,
    COUNTRY_COLOURS,
    COUNTRY_NAMES,
    DIRECTION_COLOURS,
    FAN_QUANTILES,
    FIGURE_END,
    FIGURE_START,
    KEY_PARAMETERS,
    LOG_SCALE_PARAMETERS,
    OKABE_ITO,
    SCENARIO_COLOURS,
    SCENARIO_STYLES,
    STYLE,
    UNIT_LABELS,
    Figure,
    date_axis,
    label_rows,
    log_axis,
    new_figure,
    quantile_paths,
    quarter_grid,
    round_list,
    svg_text,
    to_datetimes,
)

__all__ = [
    "KEY_PARAMETERS",
    "Figure",
    "all_figures",
    "arrival_figure",
    "prior_posterior_figure",
    "race_figure",
    "stock_figure",
    "trajectory_figure",
]


# -- capability trajectories ---------------------------------------------------------------------
def trajectory_figure(
    forecaster: Forecaster,
    eci: pd.DataFrame,
    start: float = FIGURE_START,
    end: float = FIGURE_END,
) -> Figure:
    """Fan chart of frontier ECI per country, the threshold band and the observed models."""
    times = quarter_grid(start, end)
    dates = to_datetimes(times)
    threshold = forecaster.projector.threshold_capability
    th_lo, th_mid, th_hi = (float(np.quantile(threshold, q)) for q in (0.05, 0.5, 0.95))
    records = eci_records(eci, forecaster.run.settings)
    data: dict[str, Any] = {
        "quantity": "frontier_eci",
        "unit": "ECI",
        "scenario": BASELINE_SCENARIO,
        "quantiles": list(FAN_QUANTILES),
        "dates": [d.date().isoformat() for d in dates],
        "threshold_eci": {"q05": th_lo, "q50": th_mid, "q95": th_hi},
        "countries": {},
    }
    with matplotlib.rc_context(STYLE):
        fig = new_figure(8.6, 3.6)
        axes = fig.subplots(1, len(COUNTRIES), sharey=True)
        for ax, code in zip(np.atleast_1d(axes), COUNTRIES, strict=True):
            colour = COUNTRY_COLOURS[code]
            q = quantile_paths(forecaster, code, "frontier_eci", times)
            data["countries"][code] = {
                f"q{round(100 * lvl):02d}": round_list(row, 5)
                for lvl, row in zip(FAN_QUANTILES, q, strict=True)
            }
            ax.axhspan(th_lo, th_hi, color=OKABE_ITO["yellow"], alpha=0.35, lw=0)
            ax.axhline(th_mid, color="#8a7a00", lw=0.9, ls="--")
            ax.fill_between(dates, q[0], q[4], color=colour, alpha=0.18, lw=0)
            ax.fill_between(dates, q[1], q[3], color=colour, alpha=0.35, lw=0)
            ax.plot(dates, q[2], color=colour, lw=1.6)
            mine = eci[eci["country"] == code]
            ax.scatter(
                mine["date"].to_numpy(),
                mine["eci"].to_numpy(dtype=float),
                s=7,
                color="#555555",
                alpha=0.55,
                lw=0,
                zorder=3,
            )
            rec = records.country == COUNTRIES.index(code)
            ax.scatter(
                to_datetimes(records.t[rec]),
                records.value[rec],
                s=22,
                marker="D",
                facecolor="white",
                edgecolor=colour,
                lw=1.2,
                zorder=4,
            )
            ax.axvline(to_datetimes([forecaster.run.data_end])[0], color="#444444", lw=0.8, ls=":")
            date_axis(ax, start, end, step_years=4)
            ax.set_title(f"{COUNTRY_NAMES[code]} ({code})")
            ax.set_xlabel("date")
        first = np.atleast_1d(axes)[0]
        first.set_ylabel("frontier capability (ECI points)")
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [
            Line2D([], [], color="#333333", lw=1.6, label="median"),
            Patch(color="#333333", alpha=0.45, label="50% interval (25-75%)"),
            Patch(color="#333333", alpha=0.18, label="90% interval (5-95%)"),
            Patch(color=OKABE_ITO["yellow"], alpha=0.5, label="threshold, 90% band (5-95%)"),
            Line2D([], [], color="#8a7a00", ls="--", label="threshold, median"),
            Line2D(
                [],
                [],
                marker="D",
                ls="",
                markerfacecolor="white",
                markeredgecolor="#333333",
                label="ECI record (new best)",
            ),
            Line2D(
                [], [], marker="o", ls="", color="#555555", alpha=0.6, ms=3, label="all ECI models"
            ),
            Line2D([], [], color="#444444", ls=":", label="data end"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False)
        fig.suptitle("Frontier capability: fitted and projected (status quo)", fontsize=10.5)
        svg = svg_text(fig)
    caption = (
        "Frontier ECI per country from 2018 to 2040 under the status-quo scenario: median, 50% and "
        "90% equal-tailed posterior-predictive intervals (the same numbers as 'forecast ask "
        "trajectory --quantity frontier_eci'): the fitted trend before the data end, the "
        "projection after it, with the record-model observation noise). The yellow band is the "
        f"breakthrough threshold on the ECI scale, 90% interval {th_lo:.1f}-{th_hi:.1f} "
        f"(median {th_mid:.1f}). "
        "Diamonds are ECI records (a model beating its country's best by the record step); dots "
        "are every scored model in the curated ECI table (Epoch AI)."
    )
    return Figure("trajectories", "Capability trajectories", caption, svg, data)


# -- arrival CDFs --------------------------------------------------------------------------------
def arrival_figure(
    forecaster: Forecaster, scenarios: Sequence[str], end: float = ARRIVAL_PLOT_END
) -> Figure:
    """P(arrival by date) per country, one line per scenario (the quarterly CDF answers)."""
    data: dict[str, Any] = {"scenarios": list(scenarios), "countries": {}}
    start = float(forecaster.projector.grid[0])
    with matplotlib.rc_context(STYLE):
        fig = new_figure(8.6, 3.5)
        axes = np.atleast_1d(fig.subplots(1, len(COUNTRIES), sharey=True))
        for ax, code in zip(axes, COUNTRIES, strict=True):
            rows = {}
            for i, name in enumerate(scenarios):
                answer = forecaster.arrival(code, name, cdf=True)
                cdf = answer["cdf"]
                years = decimal_year([c["date"] for c in cdf])
                keep = years <= end
                ax.plot(
                    to_datetimes(years[keep]),
                    [c["p"] for c, k in zip(cdf, keep, strict=True) if k],
                    color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)],
                    ls=SCENARIO_STYLES[i % len(SCENARIO_STYLES)],
                    lw=1.5 if name == BASELINE_SCENARIO else 1.2,
                    label=f"{name} (P later than {answer['horizon_end'][:4]}: "
                    f"{answer['p_later']['p']:.2f})",
                    drawstyle="steps-post",
                )
                rows[name] = {
                    "dates": [c["date"] for c in cdf],
                    "p": [c["p"] for c in cdf],
                    "mcse": [c["mcse"] for c in cdf],
                    "p_later": answer["p_later"],
                }
            data["countries"][code] = rows
            ax.set_ylim(0, 1)
            date_axis(ax, start, end, step_years=2)
            for label in ax.get_xticklabels():
                label.set_rotation(45)
            ax.set_title(f"{COUNTRY_NAMES[code]} ({code})")
            ax.set_xlabel("date")
            ax.legend(loc="lower right", frameon=True, framealpha=0.9)
        axes[0].set_ylabel("P(threshold reached by date)")
        fig.suptitle("Arrival of breakthrough capability: cumulative probability", fontsize=10.5)
        svg = svg_text(fig)
    caption = (
        "Posterior probability that each country's frontier has reached the threshold by each "
        f"quarter boundary, per scenario, shown to {int(end)} (the CDF answers of 'forecast ask "
        "arrival'; each point has a Monte Carlo error listed in the JSON). Draws that do not "
        "reach it before the horizon end stay as 'later' mass, given in the legend."
    )
    return Figure("arrival", "Arrival CDFs", caption, svg, data)


# -- race ------------------------------------------------------------------------------------------
def race_shares(us: np.ndarray, cn: np.ndarray) -> dict[str, float]:
    """Shares of draws where one country (or neither) never arrives before the horizon end."""
    us_ok, cn_ok = np.isfinite(us), np.isfinite(cn)
    return {
        "both_arrive": float(np.mean(us_ok & cn_ok)),
        "cn_never": float(np.mean(us_ok & ~cn_ok)),
        "us_never": float(np.mean(~us_ok & cn_ok)),
        "neither": float(np.mean(~us_ok & ~cn_ok)),
    }


def race_figure(forecaster: Forecaster, scenarios: Sequence[str]) -> Figure:
    """Distribution of the gap (CN arrival minus US arrival, years) per scenario."""
    data: dict[str, Any] = {"gap_definition": "CN arrival minus US arrival, years", "scenarios": {}}
    notes = []
    with matplotlib.rc_context(STYLE):
        fig = new_figure(8.6, 3.3)
        ax = fig.subplots()
        gaps = {}
        for name in scenarios:
            paths = forecaster.scenario(name).paths
            us, cn = paths["US"].arrival, paths["CN"].arrival
            gap = mcstats.gap_years(us, cn)
            gaps[name] = gap[np.isfinite(gap)]
            shares = race_shares(us, cn)
            race = forecaster.race(name)
            data["scenarios"][name] = {
                "shares": {k: round(v, 4) for k, v in shares.items()},
                "p_cn_first": race["p_cn_first"],
                "p_us_first": race["p_us_first"],
                "gap_quantiles": race["gap_quantiles"],
            }
            notes.append(
                f"{name}: CN never arrives in {shares['cn_never']:.1%} of draws, US never in "
                f"{shares['us_never']:.1%}, neither in {shares['neither']:.1%}"
            )
        finite = np.concatenate([g for g in gaps.values() if g.size] or [np.zeros(1)])
        lo, hi = np.quantile(finite, [0.01, 0.99])
        bins = np.linspace(np.floor(lo), np.ceil(hi), 60)
        for i, (name, gap) in enumerate(gaps.items()):
            colour = SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]
            ax.hist(
                np.clip(gap, bins[0], bins[-1]),
                bins=bins,
                density=False,
                weights=np.full(gap.size, 1.0 / forecaster.projector.n_draws),
                histtype="step",
                lw=1.5,
                color=colour,
                ls=SCENARIO_STYLES[i % len(SCENARIO_STYLES)],
                label=f"{name}: P(CN first) {data['scenarios'][name]['p_cn_first']['p']:.3f}",
            )
            med = float(np.median(gap)) if gap.size else np.nan
            if np.isfinite(med):
                ax.axvline(med, color=colour, lw=0.8, ls=":")
        ax.axvline(0.0, color="#444444", lw=1.0)
        ax.text(0.01, 0.97, "CN first", transform=ax.transAxes, va="top", ha="left", fontsize=8)
        ax.text(0.99, 0.97, "US first", transform=ax.transAxes, va="top", ha="right", fontsize=8)
        ax.set_xlabel("gap: CN arrival minus US arrival (years)")
        ax.set_ylabel("share of draws per bin")
        ax.set_title("The race: gap between the two arrivals (dotted lines: medians)")
        ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.88), frameon=True, framealpha=0.9)
        svg = svg_text(fig)
    caption = (
        "Histogram of the gap between China's and the United States' arrival, over draws where "
        "both arrive before the horizon end (bins of equal width; heights are shares of all draws, "
        "so a histogram's area is the share where both arrive; gaps beyond the axis are counted in "
        "the end bins). Draws where one never arrives are "
        "not in the histogram: " + "; ".join(notes) + "."
    )
    return Figure("race", "The race", caption, svg, data)


# -- compute stock -------------------------------------------------------------------------------
def stock_figure(
    forecaster: Forecaster,
    compute_stock: pd.DataFrame,
    events: pd.DataFrame,
    start: float = FIGURE_START,
    end: float = FIGURE_END,
) -> Figure:
    """Accelerator stock per country: fit, projection fan, Epoch points, export-control events."""
    times = quarter_grid(start, end)
    dates = to_datetimes(times)
    levels = country_stock(compute_stock, forecaster.run.settings)
    ev = events.sort_values("date").reset_index(drop=True)
    ev_years = decimal_year(ev["date"])
    ev = ev[(ev_years >= start) & (ev_years <= end)].reset_index(drop=True)
    data: dict[str, Any] = {
        "quantity": "compute_stock_h100e",
        "unit": "H100e",
        "scenario": BASELINE_SCENARIO,
        "quantiles": list(FAN_QUANTILES),
        "dates": [d.date().isoformat() for d in dates],
        "countries": {},
        "events": [
            {
                "number": i + 1,
                "date": pd.Timestamp(row["date"]).date().isoformat(),
                "direction": str(row["direction"]),
                "event": str(row["event"]),
            }
            for i, row in ev.iterrows()
        ],
    }
    origin = 2022.0  # Epoch's chip-owner series counts from the start of 2022Q1
    d_end = forecaster.run.data_end
    fit_times = quarter_grid(origin, d_end)
    zoom = (2020.0, max(float(np.ceil(d_end + 0.75)), 2026.75))
    event_years = [float(y) for y in decimal_year([e["date"] for e in data["events"]])]
    event_x = to_datetimes(event_years)
    event_colours = [DIRECTION_COLOURS.get(e["direction"], "#777777") for e in data["events"]]
    rows = label_rows(event_years, min_gap=0.3)
    with matplotlib.rc_context(STYLE):
        fig = new_figure(8.6, 6.6)
        grid = np.asarray(fig.subplots(2, len(COUNTRIES)))
        for col, code in enumerate(COUNTRIES):
            colour = COUNTRY_COLOURS[code]
            q = quantile_paths(forecaster, code, "compute_stock_h100e", times)
            base = forecaster.projector.history(code, origin)["compute_stock_h100e"]
            since = np.array(
                [
                    np.median(
                        forecaster.projector.history(code, float(t))["compute_stock_h100e"] - base
                    )
                    for t in fit_times
                ]
            )
            mine = levels[levels["country"] == code]
            data["countries"][code] = {
                f"q{round(100 * lvl):02d}": round_list(row, 5)
                for lvl, row in zip(FAN_QUANTILES, q, strict=True)
            } | {
                "fit_since_2022q1": {
                    "dates": [d.date().isoformat() for d in to_datetimes(fit_times)],
                    "median": round_list(since, 5),
                },
                "epoch_points": {
                    "dates": [pd.Timestamp(x).date().isoformat() for x in mine["date"]],
                    "h100e": round_list(mine["h100e"].to_numpy(dtype=float), 8),
                },
            }
            for row, (lo_year, hi_year) in enumerate(((start, end), zoom)):
                ax = grid[row, col]
                ax.fill_between(dates, q[0], q[4], color=colour, alpha=0.18, lw=0)
                ax.fill_between(dates, q[1], q[3], color=colour, alpha=0.35, lw=0)
                ax.plot(dates, q[2], color=colour, lw=1.6)
                ok = since > 0
                ax.plot(to_datetimes(fit_times[ok]), since[ok], color="#333333", lw=1.1, ls="--")
                ax.scatter(
                    mine["date"].to_numpy(),
                    mine["h100e"].to_numpy(dtype=float),
                    s=12,
                    color="#222222",
                    zorder=4,
                    lw=0,
                )
                log_axis(ax)
                ax.vlines(
                    event_x,
                    0,
                    1,
                    transform=ax.get_xaxis_transform(),
                    colors=event_colours,
                    lw=0.7,
                )
                ax.set_xlabel("date")
                if row == 0:
                    date_axis(ax, lo_year, hi_year, step_years=4)
                    ymin = max(float(np.nanmin(q[0])) / 3, 1e3)
                    ax.set_ylim(ymin, float(np.nanmax(q[4])) * 3)
                    ax.set_title(f"{COUNTRY_NAMES[code]} ({code}), 2018-2040")
                    continue
                date_axis(ax, lo_year, hi_year, step_years=1)
                inside = (times >= lo_year) & (times <= hi_year)
                pts = mine["h100e"].to_numpy(dtype=float)
                top = max(float(np.nanmax(q[4][inside])), float(pts.max()))
                bottom = min(float(np.nanmin(q[0][inside])), float(pts[pts > 0].min()))
                ax.set_ylim(bottom / 2, top * 2)
                # Number the events along the top, in as many rows as close dates need.
                for e, x, level in zip(data["events"], event_x, rows, strict=True):
                    ax.annotate(
                        str(e["number"]),
                        xy=(x, 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 2 + 7 * level),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=6,
                        color=DIRECTION_COLOURS.get(e["direction"], "#777777"),
                        annotation_clip=False,
                    )
                ax.set_title(
                    f"{code}, {int(lo_year)} to {hi_year:.4g}: numbered events",
                    pad=6 + 7 * (max(rows, default=0) + 1),
                )
            grid[0, 0].set_ylabel("accelerator stock (H100e, log scale)")
            grid[1, 0].set_ylabel("accelerator stock (H100e, log scale)")
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [
            Line2D([], [], color="#333333", lw=1.6, label="median (fit, then projection)"),
            Patch(color="#333333", alpha=0.45, label="50% interval"),
            Patch(color="#333333", alpha=0.18, label="90% interval"),
            Line2D([], [], color="#333333", ls="--", label="fit, counted from 2022Q1 like Epoch"),
            Line2D([], [], marker="o", ls="", color="#222222", ms=4, label="Epoch AI chip owners"),
            Line2D([], [], color=DIRECTION_COLOURS["tighten"], label="export control: tighten"),
            Line2D([], [], color=DIRECTION_COLOURS["relax"], label="export control: relax"),
            Line2D([], [], color=DIRECTION_COLOURS["other"], label="other event"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False)
        fig.suptitle("Compute stock and export-control events (status quo)", fontsize=10.5)
        svg = svg_text(fig)
    caption = (
        "Accelerator stock held by each country's developers (H100-equivalents, log scale): the "
        "fitted stock (integrated from 2012) and its projection under the status quo, with 50% "
        "and 90% posterior intervals. Epoch AI's chip-owner series counts from the start of "
        "2022Q1 (US: named US companies plus a share of 'Other'; CN: legal plus the speculative "
        "smuggled stock, weights from the prior set's settings), so it is compared with the "
        "dashed line, the fitted stock added since then. Vertical lines are export-control "
        "events from export_controls.csv (dated announcements; colour = direction), numbered in "
        "the lower panels, which zoom on the data years, as in the table below the figure."
    )
    return Figure("compute_stock", "Compute stock", caption, svg, data)


# -- priors against posteriors -------------------------------------------------------------------
def prior_density(prior: Any, log10: bool = False, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """x and density of a prior from its quantile function (density per log10 unit if log10).

    density = dq/dx along x = ppf(q): exact up to the grid, and needs only the public ``ppf``.
    """
    q = np.linspace(0.002, 0.998, n)
    x = prior.ppf(q)
    z = np.log10(x) if log10 else x
    ok = np.isfinite(z)
    x, z, q = x[ok], z[ok], q[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = np.gradient(q, z)
    return x, np.where(np.isfinite(dens), dens, np.nan)


def prior_posterior_figure(
    forecaster: Forecaster,
    prior_set: PriorSet | None,
    keys: Sequence[str] = KEY_PARAMETERS,
    missing_reason: str | None = None,
    units: Mapping[str, str] | None = None,
) -> Figure:
    """Prior density against the posterior histogram for the key parameters.

    Without the run's prior set only the posteriors are drawn; ``units`` then labels the axes.
    """
    draws = forecaster.run.draws
    keys = [k for k in keys if k in draws]
    data: dict[str, Any] = {"parameters": {}}
    ncols = 4
    nrows = int(np.ceil((len(keys) + 1) / ncols))
    with matplotlib.rc_context(STYLE):
        fig = new_figure(8.6, 2.1 * nrows + 0.3)
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for ax, key in zip(axes, keys, strict=False):
            post = np.asarray(draws[key], dtype=float)
            log10 = key in LOG_SCALE_PARAMETERS
            prior = prior_set.priors.get(key) if prior_set is not None else None
            unit = prior.unit if prior is not None else (units or {}).get(key, "")
            z = np.log10(post) if log10 else post
            lo, hi = np.quantile(z, [0.002, 0.998])
            entry: dict[str, Any] = {
                "unit": unit,
                "posterior": {
                    "median": float(np.median(post)),
                    "q05": float(np.quantile(post, 0.05)),
                    "q95": float(np.quantile(post, 0.95)),
                },
            }
            if prior is not None:
                px, dens = prior_density(prior, log10=log10)
                pz = np.log10(px) if log10 else px
                lo = min(lo, float(np.quantile(pz, 0.01)))
                hi = max(hi, float(np.quantile(pz, 0.99)))
                keep = (pz >= lo) & (pz <= hi)
                ax.plot(px[keep], dens[keep], color=OKABE_ITO["orange"], lw=1.5)
                ax.fill_between(px[keep], dens[keep], color=OKABE_ITO["orange"], alpha=0.15, lw=0)
                entry["prior"] = {
                    "dist": prior.dist,
                    "params": dict(prior.params),
                    "median": float(prior.ppf(0.5)),
                    "q05": float(prior.ppf(0.05)),
                    "q95": float(prior.ppf(0.95)),
                }
            edges = np.linspace(lo, hi, 40)
            if log10:
                # Bins equal in log10 units; weights make the heights a density per log10 unit.
                ax.hist(
                    post,
                    bins=10**edges,
                    weights=np.full(post.size, 1.0 / (post.size * (edges[1] - edges[0]))),
                    histtype="stepfilled",
                    color=OKABE_ITO["blue"],
                    alpha=0.55,
                    lw=0,
                )
            else:
                ax.hist(
                    z,
                    bins=edges,
                    density=True,
                    histtype="stepfilled",
                    color=OKABE_ITO["blue"],
                    alpha=0.55,
                    lw=0,
                )
            if log10:
                ax.set_xscale("log")
                ax.set_xlim(10**lo, 10**hi)
                ax.set_ylabel("density per log10 unit")
            else:
                ax.set_xlim(lo, hi)
                ax.set_ylabel("density")
            ax.set_title(key, fontsize=8.5)
            ax.set_xlabel(UNIT_LABELS.get(unit, unit) or "value", fontsize=7.5)
            data["parameters"][key] = entry
        legend_ax = axes[len(keys)]
        legend_ax.axis("off")
        from matplotlib.patches import Patch

        handles = [Patch(color=OKABE_ITO["blue"], alpha=0.55, label="posterior (histogram)")]
        if prior_set is not None:
            handles.insert(
                0, Patch(color=OKABE_ITO["orange"], alpha=0.6, label=f"prior ({prior_set.name})")
            )
        legend_ax.legend(handles=handles, loc="center", frameon=False, fontsize=8)
        if prior_set is None:
            legend_ax.text(
                0.5, 0.15, "prior file not available", ha="center", fontsize=7, color="#555555"
            )
        for ax in axes[len(keys) + 1 :]:
            ax.axis("off")
        fig.suptitle("Prior against posterior, key parameters", fontsize=10.5)
        svg = svg_text(fig)
    if prior_set is not None:
        caption = (
            f"Prior density (orange, from prior set '{prior_set.name}', hash "
            f"{prior_set.hash[:12]}) against the posterior draws of the run (blue histogram, "
            "density scale). A posterior much narrower than its prior, or shifted from it, is "
            "what the data taught the model. The threshold is on a log axis."
        )
    else:
        caption = (
            "Posterior draws of the run (blue histogram). The prior density is not drawn: "
            + (missing_reason or "the run's prior file is not available with its recorded hash")
            + "."
        )
    return Figure("prior_posterior", "Priors and posteriors", caption, svg, data)


def all_figures(
    forecaster: Forecaster,
    tables: Mapping[str, pd.DataFrame],
    prior_set: PriorSet | None,
    scenarios: Sequence[str],
    prior_missing_reason: str | None = None,
    units: Mapping[str, str] | None = None,
) -> list[Figure]:
    """Every figure of the report, in report order."""
    race_scenarios = [s for s in (BASELINE_SCENARIO, "tightened_controls") if s in scenarios] or [
        scenarios[0]
    ]
    return [
        trajectory_figure(forecaster, tables["capability_eci"]),
        arrival_figure(forecaster, scenarios),
        race_figure(forecaster, race_scenarios),
        stock_figure(forecaster, tables["compute_stock"], tables["export_controls"]),
        prior_posterior_figure(
            forecaster, prior_set, missing_reason=prior_missing_reason, units=units
        ),
    ]
