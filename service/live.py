"""What the API accepts that comes from the forecasters' files, read live rather than frozen.

- Scenario names come from ``scenarios.toml`` in :func:`forecast.core.definitions.priors_dir`.
  A request's ``scenario``/``versus`` is a plain string: one that cannot be a name is a 400
  listing the known names (:func:`scenario_error`); a name missing from the file as it is when
  the question is answered is the library's 422, listing them too. The OpenAPI document lists
  the names the file held when the app was built (:func:`scenario_names`).
- Question dates run from :data:`~forecast.core.definitions.EARLIEST_DATE` to the last day of the
  default prior set's ``horizon_end_year`` (:func:`date_range`); a run may cover less, which is
  a 422 from the library. A date outside this range, or not shaped ``YYYY-MM-DD``, is a 400 whose
  message says so in words (:func:`date_error`; :func:`check_query` checks a request's query).

Parameters whose documentation depends on these files carry a schema ``title``
(:data:`SCENARIO_TITLE`, :data:`DATE_TITLE`); :mod:`service.openapi` fills in their enum,
pattern and description each time an app is built.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path

from litestar.exceptions import ValidationException

from forecast.core.definitions import EARLIEST_DATE, priors_dir
from service.params import NAME_PATTERN

DEFAULT_PRIOR_SET = "default"
"""The prior set whose ``horizon_end_year`` bounds the dates the API accepts."""
SCENARIO_TITLE = "ScenarioName"
DATE_TITLE = "Date"
_SHAPE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NAME = re.compile(NAME_PATTERN)


def scenario_names() -> list[str] | None:
    """The scenario file's names now, in file order (None when the file cannot be read)."""
    try:
        from forecast.priors.scenarios import load_scenarios

        return list(load_scenarios())
    except Exception:  # a broken scenario file must not stop the app from starting
        return None


@lru_cache(maxsize=8)
def _range_of(path: str, stamp: tuple[int, int] | None) -> tuple[date, date]:
    from forecast.priors.priorset import load_prior_set

    del stamp  # part of the cache key only: an edited file is read again
    end_year = float(load_prior_set(Path(path)).settings["horizon_end_year"])
    return EARLIEST_DATE, date(math.floor(end_year), 12, 31)


def date_range() -> tuple[date, date]:
    """First and last date a question may name: the data era's start to the horizon's last year.

    Read from the default prior set (re-read when the file changes); raises the library's
    ``PriorError`` when that file is not valid.
    """
    path = priors_dir() / f"{DEFAULT_PRIOR_SET}.toml"
    try:
        st = os.stat(path)
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    return _range_of(str(path), stamp)


def date_words(first: date, last: date) -> str:
    """The accepted dates in words: ``a date YYYY-MM-DD between 2018-01-01 and 2060-12-31``."""
    return f"a date YYYY-MM-DD between {first.isoformat()} and {last.isoformat()}"


def date_pattern(first: date, last: date) -> str:
    """A regular expression for the OpenAPI document: ``YYYY-MM-DD`` with a year in range.

    The year is checked here, the day of the month again when the date is parsed (an impossible
    day such as 02-30 is the library's 422).
    """
    years = "|".join(str(y) for y in range(first.year, last.year + 1))
    return rf"^({years})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def date_error(text: str) -> str | None:
    """Why ``text`` is not a date the API accepts (in words), or None when it is.

    The calendar day is not checked here: ``2030-02-30`` passes and the library refuses it.
    """
    first, last = date_range()
    found = _SHAPE.match(text)
    if found is not None:
        y, m, d = (int(g) for g in found.groups())
        inside = (
            (first.year, first.month, first.day) <= (y, m, d) <= (last.year, last.month, last.day)
        )
        if 1 <= m <= 12 and 1 <= d <= 31 and inside:
            return None
    return f"expected {date_words(first, last)}, got {text[:40]!r}"


def scenario_error(name: str) -> str | None:
    """Why ``name`` cannot be a scenario name (in words, listing the known names), or None.

    Only the shape is checked here; a well-formed name missing from the file is the library's
    422 (``unknown-scenario``), which lists the known names too.
    """
    if _NAME.match(name):
        return None
    known = ", ".join(scenario_names() or []) or "none readable"
    return f"expected a scenario name from the scenario file (known: {known}), got {name[:64]!r}"


def check_query(
    scenarios: Mapping[str, str | None] | None = None,
    dates: Mapping[str, str | Iterable[str] | None] | None = None,
    source: str = "query",
) -> None:
    """Raise a 400 listing each bad scenario name or date (located ``source.name``), in words."""
    errors = []
    for name, value in (scenarios or {}).items():
        why = None if value is None else scenario_error(value)
        if why is not None:
            errors.append({"message": why, "key": name, "source": source})
    for name, value in (dates or {}).items():
        if value is None:
            continue
        for text in [value] if isinstance(value, str) else value:
            why = date_error(text)
            if why is not None:
                errors.append({"message": why, "key": name, "source": source})
    if errors:
        raise ValidationException(detail=f"Validation failed: {errors[0]['message']}", extra=errors)
