"""Shared pieces of the report's figures: the colour palette and matplotlib style, the
:class:`Figure` record (SVG plus what it shows), date and log axes, SVG output, JSON rounding and
the fan-chart quantile paths that equal the library's trajectory answers.

Figures are drawn on ``matplotlib.figure.Figure`` objects (Agg/SVG canvases, never pyplot), so
rendering needs no display and does not touch the process-wide backend. Colours follow the
Okabe-Ito palette (colour-blind safe), US blue and CN vermillion throughout.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure as MplFigure

from forecast.core import mcstats
from forecast.core.definitions import COUNTRIES, FOLLOWERS, REGISTRY, country_key
from forecast.core.timeutil import from_decimal_year
from forecast.questions.forecaster import Forecaster

# Okabe & Ito (2008), "Color universal design": distinguishable with every common colour-vision
# deficiency. US and CN keep their colours in every figure.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
COUNTRY_COLOURS = {c.code: c.colour for c in REGISTRY}
COUNTRY_NAMES = {c.code: c.name for c in REGISTRY}
SCENARIO_COLOURS = (
    OKABE_ITO["black"],
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["green"],
    OKABE_ITO["purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
)
SCENARIO_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), (0, (1, 2)))
DIRECTION_COLOURS = {
    "tighten": OKABE_ITO["vermillion"],
    "relax": OKABE_ITO["green"],
    "other": "#777777",
}

FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FIGURE_START = 2018.0
FIGURE_END = 2040.0
ARRIVAL_PLOT_END = 2046.0
KEY_PARAMETERS = (
    "efficiency_rate",
    "compute_elasticity",
    "capability_per_oom",
    *(country_key("stock_growth", c) for c in COUNTRIES),
    *(country_key("efficiency_lag", c) for c in FOLLOWERS),
    "threshold_horizon_minutes",
)
LOG_SCALE_PARAMETERS = frozenset({"threshold_horizon_minutes"})
UNIT_LABELS = {"1": "dimensionless", "yr": "years", "ln/yr": "ln units per year"}

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # Text stays text (<text> in DejaVu Sans, which matplotlib measures with): searchable, and
    # several times fewer SVG nodes than glyph outlines, which halves WeasyPrint's PDF time.
    "svg.fonttype": "none",
    "svg.hashsalt": "forecast-report",  # stable element ids, so equal figures give equal SVG
}


@dataclass(frozen=True)
class Figure:
    """One rendered figure: SVG text plus what it shows."""

    name: str
    title: str
    caption: str
    svg: str = field(repr=False)
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def data_uri(self) -> str:
        """The SVG as a ``data:`` URI, for an ``<img>`` in a self-contained HTML page.

        An ``<img>`` (not inline ``<svg>``) keeps each figure's element ids private, so several
        matplotlib SVGs on one page cannot clash.
        """
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode("ascii")


# -- helpers -------------------------------------------------------------------------------------
def to_datetimes(years: Sequence[float] | np.ndarray) -> list[datetime]:
    """Calendar datetimes of decimal years (for date axes)."""
    return [from_decimal_year(float(y)).to_pydatetime() for y in np.asarray(years, dtype=float)]


def quarter_grid(start: float, end: float) -> np.ndarray:
    """Quarter boundaries from ``start`` to ``end`` inclusive (decimal years)."""
    return np.round(np.arange(start, end + 1e-9, 0.25), 6)


def svg_text(fig: MplFigure) -> str:
    """The SVG text of a drawn figure (no date or creator, so equal figures give equal SVG)."""
    buf = io.StringIO()
    # The constrained layout already fits everything: no "tight" bbox (it would draw twice).
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def new_figure(width: float, height: float) -> MplFigure:
    """A blank figure (inches) with the constrained layout, on its own Agg/SVG canvas."""
    return MplFigure(figsize=(width, height), layout="constrained")


def date_axis(ax: Any, start: float, end: float, step_years: int = 2) -> None:
    """A calendar x axis from ``start`` to ``end`` (decimal years), a tick every few years."""
    ax.set_xlim(to_datetimes([start, end]))
    ax.xaxis.set_major_locator(mdates.YearLocator(step_years))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def label_rows(positions: Sequence[float], min_gap: float) -> list[int]:
    """Row per label (0 = lowest) so labels in one row are at least ``min_gap`` apart."""
    last: list[float] = []
    rows = []
    for x in positions:
        for i, prev in enumerate(last):
            if x - prev >= min_gap:
                last[i] = x
                rows.append(i)
                break
        else:
            last.append(x)
            rows.append(len(last) - 1)
    return rows


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _pos: int) -> str:
    """Tick label 10ⁿ in plain Unicode (no mathtext parsing: faster, and text in the SVG)."""
    if value <= 0:
        return ""
    exponent = round(float(np.log10(value)))
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def log_axis(ax: Any) -> None:
    """Log y axis with a tick at every power of ten up to 12 ticks, labelled 10ⁿ, no minors."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=12))
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.yaxis.set_minor_locator(NullLocator())


def round_list(values: np.ndarray, digits: int = 6) -> list[float | None]:
    """JSON-ready list: significant-digit rounding, None for non-finite values."""
    out: list[float | None] = []
    for v in np.asarray(values, dtype=float).ravel():
        out.append(float(f"{v:.{digits}g}") if np.isfinite(v) else None)
    return out


def quantile_paths(
    forecaster: Forecaster,
    country: str,
    quantity: str,
    times: np.ndarray,
    scenario: str | None = None,
    quantiles: Sequence[float] = FAN_QUANTILES,
) -> np.ndarray:
    """Quantiles (rows: quantile levels, columns: times) of a quantity, as ``ask trajectory``.

    Uses :meth:`Forecaster.values_at` (fitted before the data end, projected after; observable
    quantities carry their observation noise), so the numbers equal the trajectory answers.
    """
    out = np.empty((len(quantiles), times.size))
    for j, t in enumerate(times):
        values = forecaster.values_at(country, float(t), scenario)[quantity]
        out[:, j] = [mcstats.quantile(values, q) for q in quantiles]
    return out
