"""The drivers figure of the report: per input group, each country's share of the arrival's
variance (first-order Sobol index) as a bar with its Monte Carlo error, drawn from the drivers
section's numbers so the figure and the table cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib
import numpy as np

from forecast.core.definitions import COUNTRIES
from forecast.report.figures_base import (
    COUNTRY_COLOURS,
    COUNTRY_NAMES,
    STYLE,
    Figure,
    new_figure,
    svg_text,
)

WHISKER_MCSE = 2.0
"""Whiskers span the share ± this many Monte Carlo errors."""


def drivers_figure(section: Mapping[str, Any]) -> Figure | None:
    """Horizontal bars: groups down, one bar per country, whiskers ± 2 MC errors (None when
    the section is empty)."""
    rows = section.get("rows") or []
    if not rows:
        return None
    groups = [g["group"] for g in section["groups"]]
    by_key = {(r["country"], r["group"]): r for r in rows}
    data: dict[str, Any] = {"groups": groups, "countries": {}}
    with matplotlib.rc_context(STYLE):
        fig = new_figure(8.6, 0.45 * len(groups) + 1.2)
        ax = fig.subplots()
        height = 0.8 / max(len(COUNTRIES), 1)
        y = np.arange(len(groups), dtype=float)
        for i, code in enumerate(COUNTRIES):
            shares = [by_key[(code, g)]["share"] for g in groups]
            errors = [WHISKER_MCSE * (by_key[(code, g)]["mcse"] or 0.0) for g in groups]
            data["countries"][code] = {
                "share": shares,
                "mcse": [by_key[(code, g)]["mcse"] for g in groups],
            }
            ax.barh(
                y + (i - (len(COUNTRIES) - 1) / 2) * height,
                shares,
                height=height * 0.9,
                xerr=errors,
                color=COUNTRY_COLOURS.get(code, "#777777"),
                ecolor="#333333",
                capsize=2,
                label=COUNTRY_NAMES.get(code, code),
            )
        ax.set_yticks(y, [g.replace("_", " ") for g in groups])
        ax.invert_yaxis()
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel("share of the arrival's variance explained alone (first-order Sobol index)")
        ax.set_title("What drives the arrival's uncertainty")
        ax.legend(loc="lower right", frameon=True, framealpha=0.9)
        svg = svg_text(fig)
    caption = (
        "Per input group, the share of the variance of each country's arrival (rank scale, "
        f"scenario {section.get('scenario')}) that the group explains alone; whiskers span "
        f"± {WHISKER_MCSE:g} bootstrap Monte Carlo errors. Estimates below 0 are drawn at 0. "
        "The table of the drivers section gives the numbers."
    )
    return Figure("drivers", "Drivers of the arrival's uncertainty", caption, svg, data)
