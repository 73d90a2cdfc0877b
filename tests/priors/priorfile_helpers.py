"""Helpers of the prior-set tests: the bundled files and small editors of default.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.priors.priorset import PriorError, load_prior_set

BUNDLED = Path(__file__).resolve().parents[2] / "priors"
DEFAULT_TEXT = (BUNDLED / "default.toml").read_text(encoding="utf-8")
SETS = ("default", "fast-efficiency", "skeptical")


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace ``old`` (which must occur) by ``new``."""
    assert old in text, f"test fixture out of date: {old!r} not in default.toml"
    return text.replace(old, new, count)


def write(folder: Path, text: str, name: str = "default.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """1-based number of the first line containing ``needle`` (after the line with ``after``)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    for index in range(start, len(lines)):
        if needle in lines[index]:
            return index + 1
    raise AssertionError(f"{needle!r} not found")


def messages(path: Path) -> list[str]:
    """Every issue reported for the prior file at ``path``, as printed."""
    with pytest.raises(PriorError) as caught:
        load_prior_set(path)
    return [str(issue) for issue in caught.value.issues]


def table(dist: str, lo: float, hi: float, prob: float, unit: str) -> dict[str, object]:
    return {
        "dist": dist,
        "interval": [lo, hi],
        "prob": prob,
        "unit": unit,
        "source": "test",
        "description": "test",
    }
