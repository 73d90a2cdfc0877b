"""Record gaps: the half-years in which a country set no record, with the bound they imply."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.data.observations import GAP_PERIOD_YEARS, Series, record_gaps

pytestmark = pytest.mark.fast


def records(t, v, c, sd=None) -> Series:
    extra = {} if sd is None else {"sd": np.asarray(sd, dtype=float)}
    return Series(np.asarray(t, float), np.asarray(v, float), np.asarray(c, np.int64), extra)


def test_gaps_are_the_empty_half_years_after_the_first_record():
    r = records(
        [2020.1, 2021.2, 2021.3, 2023.6], [10.0, 11.0, 12.5, 13.0], [0, 0, 0, 0], [1, 2, 3, 4]
    )
    gaps = record_gaps(r, data_end=2024.5)
    # half-years 2020.5, 2021.0 (record at 2021.2, 2021.3 fall in it? no: [2021.0, 2021.5) has
    # both), 2021.5, 2022.0, 2022.5, 2023.0, 2023.5 (has 2023.6), 2024.0
    assert gaps.t.tolist() == [2020.75, 2021.75, 2022.25, 2022.75, 2023.25, 2024.25]
    assert gaps.value.tolist() == [10.0, 12.5, 12.5, 12.5, 12.5, 13.0]
    assert gaps.extra["sd"].tolist() == [1.0, 3.0, 3.0, 3.0, 3.0, 4.0]


def test_the_step_raises_the_bound_and_countries_are_kept_apart():
    r = records([2020.1, 2020.2, 2021.1], [5.0, 7.0, 6.0], [0, 1, 0])
    gaps = record_gaps(r, data_end=2021.5, step=0.5)
    assert list(zip(gaps.t, gaps.country, gaps.value, strict=True)) == [
        (2020.75, 0, 5.5),
        (2020.75, 1, 7.5),
        (2021.25, 1, 7.5),
    ]
    assert "sd" not in gaps.extra


@given(
    times=st.lists(st.floats(2018.0, 2025.9), min_size=1, max_size=30),
    end=st.floats(2018.0, 2026.0),
)
def test_every_gap_is_an_empty_period_before_the_end_bounded_by_the_best_so_far(times, end):
    t = np.sort(np.asarray(times))
    v = np.cumsum(np.ones(t.size))  # records rise
    gaps = record_gaps(records(t, v, np.zeros(t.size)), data_end=end)
    for mid, bound in zip(gaps.t, gaps.value, strict=True):
        start = mid - GAP_PERIOD_YEARS / 2
        assert start > t.min() and mid + GAP_PERIOD_YEARS / 2 <= end + 1e-9
        assert not np.any((t >= start) & (t < start + GAP_PERIOD_YEARS))
        assert bound == v[t < start].max()
