"""Rendering a report's payload: the HTML page (Jinja template, figures inline), the PDF
(WeasyPrint, from the same HTML), JSON-ready cleaning, and the number formats the page uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core.errors import ForecastError, UsageError
from forecast.report.index import FORMATS

TEMPLATES = Path(__file__).resolve().parent / "templates"
TITLE = "AI capability timelines: forecast report"


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """Formats from ``"html,pdf"`` (or a list): known, de-duplicated, in the given order."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        fmt = str(item).strip().lower()
        if not fmt:
            continue
        if fmt not in FORMATS:
            raise UsageError(f"--format: unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise UsageError(f"--format: give at least one of {', '.join(FORMATS)}")
    return tuple(out)


def json_ready(value: Any) -> Any:
    """JSON-ready copy: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_ready(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, Path):
        return value.name
    return value


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pm"] = fmt_pm
    env.filters["when"] = fmt_when
    env.filters["signed"] = fmt_signed
    env.filters["num"] = fmt_num
    return env


def fmt_num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    v = float(value)
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.{digits}g}"
    return f"{v:.{digits}f}" if abs(v) < 10 else f"{v:.{max(digits - 2, 1)}f}"


def fmt_pm(entry: Mapping[str, Any] | None, digits: int = 3) -> str:
    """'0.412 ± 0.020' from {p|value|years, mcse|mcse_years}."""
    if entry is None:
        return "n/a"
    value = next((entry[k] for k in ("p", "value", "years") if k in entry), None)
    mcse = entry.get("mcse", entry.get("mcse_years"))
    if value is None:
        return "n/a"
    text = f"{value:.{digits}f}"
    return text + (f" ± {mcse:.{digits}f}" if mcse is not None else "")


def fmt_when(entry: Mapping[str, Any], horizon_end: str | None = None, short: bool = False) -> str:
    """An arrival quantile: 'YYYY-MM-DD ± 0.05 yr', or 'later than <horizon end>'."""
    if entry.get("later"):
        if short:
            return "later"
        return f"later than {horizon_end}" if horizon_end else "later than the horizon end"
    mcse = entry.get("mcse_years")
    return entry["date"] + (f" ± {mcse:.2f}" + ("" if short else " yr") if mcse is not None else "")


def fmt_signed(value: float | None, mcse: float | None = None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    text = f"{value:+.{digits}f}"
    return text + (f" ± {mcse:.{digits}f}" if mcse is not None else "")


def render_html(payload: Mapping[str, Any], figures: Sequence[Any]) -> str:
    """The self-contained HTML page of a report."""
    template = _environment().get_template("report.html.j2")
    return template.render(r=payload, figures=figures, title=TITLE)


def render_pdf(html: str) -> bytes:
    """The PDF of the report's HTML, printed by WeasyPrint."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz libraries missing
        raise ForecastError(
            "PDF output needs WeasyPrint and the Pango libraries: `pip install weasyprint` and "
            f"`apt-get install -y libpango-1.0-0 libpangoft2-1.0-0` ({exc})"
        ) from exc
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
