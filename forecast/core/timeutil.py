"""Conversions between calendar dates and decimal years, and quarter labels.

Time in the model is measured in decimal years (unit: years, e.g. 2025.5 is about 2 July 2025).
A date's decimal year is ``year + (seconds since 1 January) / (seconds in that year)``, so the
fraction respects leap years and 1 January is always a whole number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["date_to_year", "decimal_year", "from_decimal_year", "quarter_end", "year_to_date"]

DateLike = str | dt.date | dt.datetime | np.datetime64 | pd.Timestamp
DatesLike = DateLike | pd.Series | pd.DatetimeIndex | pd.Index | np.ndarray | Sequence[DateLike]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def _year_start_seconds(years: np.ndarray) -> np.ndarray:
    """Unix seconds (float) of 1 January 00:00 of each year in ``years`` (int array)."""
    starts = (years - 1970).astype("datetime64[Y]").astype("datetime64[s]")
    return starts.astype(np.int64).astype(float)


def decimal_year(dates: DatesLike) -> np.ndarray:
    """Decimal years (float, unit: years) of one date or many.

    Accepts a pandas Series, DatetimeIndex or Index, a numpy array, a sequence of dates, or a
    single date (ISO string, ``datetime.date``, ``datetime.datetime``, ``numpy.datetime64`` or
    ``pandas.Timestamp``). A single date gives a 0-d array (use ``float()`` on it); anything else
    gives a 1-d array of the same length. Missing dates (NaT) give NaN.

    >>> round(float(decimal_year("2025-07-02")), 3)
    2025.496
    """
    scalar = isinstance(dates, str | dt.date | np.datetime64) or np.ndim(dates) == 0
    values = pd.to_datetime(pd.Series([dates] if scalar else list(np.asarray(dates, dtype=object))))
    stamps = values.to_numpy(dtype="datetime64[s]")
    missing = np.isnat(stamps)
    seconds = np.where(missing, 0, stamps.astype(np.int64)).astype(float)
    years = np.where(missing, 1970, stamps.astype("datetime64[Y]").astype(np.int64) + 1970)
    start = _year_start_seconds(years)
    length = _year_start_seconds(years + 1) - start
    out = np.where(missing, np.nan, years + (seconds - start) / length)
    return out.reshape(()) if scalar else out


def from_decimal_year(x: float) -> pd.Timestamp:
    """Calendar timestamp (second resolution) of a decimal year ``x`` (unit: years).

    The inverse of :func:`decimal_year`, rounded to the nearest second.

    >>> from_decimal_year(2024.0)
    Timestamp('2024-01-01 00:00:00')
    """
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"decimal year must be a finite number, got {x!r}")
    year = int(np.floor(value))
    years = np.array([year, year + 1])
    start, end = _year_start_seconds(years)
    seconds = round(start + (value - year) * (end - start))
    return pd.Timestamp(np.datetime64(seconds, "s"))


def quarter_end(q: str) -> pd.Timestamp:
    """Last calendar day (midnight, second resolution) of a quarter label like ``"2022Q1"``.

    >>> quarter_end("2022Q1")
    Timestamp('2022-03-31 00:00:00')
    """
    match = _QUARTER.match(q)
    if match is None:
        raise ValueError(f"quarter must look like 2022Q1, got {q!r}")
    year, quarter = int(match.group(1)), int(match.group(2))
    first_of_next = pd.Timestamp(year=year, month=3 * quarter, day=1) + pd.offsets.MonthBegin(1)
    return (first_of_next - pd.Timedelta(days=1)).as_unit("s")


def date_to_year(day: dt.date) -> float:
    """Decimal year (unit: years) of a calendar date at midnight; the scalar fast path of
    :func:`decimal_year` for request handling.

    >>> date_to_year(dt.date(2025, 7, 2))
    2025.4986301369863
    """
    start = dt.date(day.year, 1, 1).toordinal()
    length = dt.date(day.year + 1, 1, 1).toordinal() - start
    return day.year + (day.toordinal() - start) / length


def year_to_date(x: float) -> dt.date:
    """Calendar date of a decimal year (unit: years), rounded to the nearest day.

    >>> year_to_date(2024.0)
    datetime.date(2024, 1, 1)
    """
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"decimal year must be a finite number, got {x!r}")
    year = int(np.floor(value))
    start = dt.date(year, 1, 1).toordinal()
    length = dt.date(year + 1, 1, 1).toordinal() - start
    return dt.date.fromordinal(start + round((value - year) * length))
