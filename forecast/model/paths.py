"""A country's projected paths under one scenario (:class:`CountryPaths`), arrays made on first
use (:class:`Deferred`), and the first crossing of a threshold (:func:`first_crossing`): what the
projector (``forecast.model.projection``) returns and what questions read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.model.equations import LN10


@dataclass(frozen=True)
class CountryPaths:
    """Projected paths for one country under one scenario, each (draws, grid), float32.

    ``log_stock``, ``log10_flop``, ``log10_effective``, ``ln_additions`` and ``ln_power`` are
    the status-quo paths; a scenario adds ``dlog_stock`` (change of ln stock),
    ``dlog_additions``, ``dlog_power`` and ``dalgorithms`` (change of effective compute from
    efficiency levers, OOM) from grid column ``start`` on. ``column`` applies them. Nothing
    changes before ``start_year`` (the scenario's start date): between it and the grid column
    ``start`` the changes ramp in linearly from zero.
    """

    capability: np.ndarray  # frontier ECI (scenario applied)
    arrival: np.ndarray  # (draws,) decimal year, inf = later than the horizon end
    log_stock: np.ndarray  # ln H100e (status quo)
    log10_flop: np.ndarray  # log10 FLOP of the largest run (status quo)
    log10_effective: np.ndarray  # log10 effective FLOP (status quo)
    ln_additions: np.ndarray  # ln H100e/yr (status quo)
    ln_power: np.ndarray  # ln W of chip TDP (status quo)
    base_capability: np.ndarray | None = None  # status-quo ECI (None: same as capability)
    start: int = 0
    start_year: float = -np.inf
    dlog_stock: np.ndarray | None = None
    dlog_additions: np.ndarray | None = None  # may be a broadcast view
    dlog_power: np.ndarray | Deferred | None = None
    dalgorithms: np.ndarray | float = 0.0
    shocks: np.ndarray | None = None  # race shocks: realised records about the path (None: off)
    _racing: dict[bool, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Racing paths already summed (``replace`` starts a new, empty one)."""
    _peaks: dict[bool, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Running maxima of the racing paths already made (see :meth:`crossing`)."""

    def racing(self, base: bool = False) -> np.ndarray:
        """The path arrival is judged on: the capability (``base``: the status quo's) plus the
        race shocks. A threshold is reached when a realised record-setting model reaches it;
        the trajectories answer for the latent frontier, and its predictive adds the fitted
        record scatter instead. Computed once per paths object (read-only)."""
        path = self.capability
        if base and self.base_capability is not None:
            path = self.base_capability
        if self.shocks is None:
            return path
        key = bool(base and self.base_capability is not None)
        summed = self._racing.get(key)
        if summed is None:
            summed = path + self.shocks
            summed.flags.writeable = False
            self._racing[key] = summed
        return summed

    def crossing(self, grid: np.ndarray, level: np.ndarray, base: bool = False) -> np.ndarray:
        """:func:`first_crossing` of the racing path (``base``: the status quo's) through
        ``level``, searching the path's running maximum, made once per paths object: a new
        threshold on a held projection costs a binary search per draw, not a scan of its path."""
        key = bool(base and self.base_capability is not None)
        peak = self._peaks.get(key)
        path = self.racing(base)
        if peak is None:
            peak = running_max(path)
            peak.flags.writeable = False
            self._peaks[key] = peak
        return first_crossing(grid, path, level, peak=peak)

    def delta(self, name: str, k: int) -> np.ndarray | float:
        """The scenario's change of a path at grid column k (0 before ``start``)."""
        if k < self.start:
            return 0.0
        j = k - self.start

        def part(arr: np.ndarray | None) -> np.ndarray | float:
            return 0.0 if arr is None else arr[:, j].astype(np.float64)

        if name == "capability":
            base = self.capability if self.base_capability is None else self.base_capability
            return self.capability[:, k].astype(np.float64) - base[:, k]
        if name == "log_stock":
            return part(self.dlog_stock)
        if name == "ln_additions":
            return part(self.dlog_additions)
        if name == "ln_power":
            return part(self.dlog_power)
        value = part(self.dlog_stock)
        value = value / LN10
        if name == "log10_effective":
            extra = self.dalgorithms
            value = value + (extra[:, j] if isinstance(extra, np.ndarray) else extra)
        return value

    def status_quo(self, name: str, k: int) -> np.ndarray:
        """One grid column of a status-quo path, per draw."""
        if name == "capability":
            base = self.capability if self.base_capability is None else self.base_capability
            return base[:, k].astype(np.float64)
        return getattr(self, name)[:, k].astype(np.float64)

    def column(self, name: str, k: int) -> np.ndarray:
        """One grid column of a path with the scenario applied, per draw."""
        return self.status_quo(name, k) + self.delta(name, k)


class Deferred:
    """An array computed on first use (``[...]`` indexes it), for the parts of a scenario's
    paths that few answers read."""

    def __init__(self, make: Callable[[], np.ndarray]) -> None:
        self._make: Callable[[], np.ndarray] | None = make
        self._value: np.ndarray | None = None

    @property
    def value(self) -> np.ndarray:
        if self._value is None:
            assert self._make is not None
            with np.errstate(divide="ignore"):
                self._value = self._make()
            self._make = None
        return self._value

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.value[key]


def running_max(path: np.ndarray) -> np.ndarray:
    """Each row's running maximum along the grid, NaN counted as -inf (a comparison with NaN
    is false, so a NaN point reaches no level)."""
    peak = np.fmax.accumulate(path, axis=1)
    if np.isnan(peak).any():
        peak = np.where(np.isnan(peak), -np.inf, peak).astype(path.dtype)
    return np.ascontiguousarray(peak)


def first_at_or_above(peak: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Per row, the first column where the non-decreasing row ``peak`` is at or above its
    ``level`` (the row's length when it never is): a branch-free binary search, all rows at
    once, in about log2(columns) steps."""
    rows, columns = peak.shape
    if columns == 0:
        return np.zeros(rows, dtype=np.intp)
    flat = np.ascontiguousarray(peak).reshape(-1)
    level = np.asarray(level, dtype=float)
    if flat.dtype == np.float32:
        # compare in float32 with the level rounded up: for a float32 value v, v < level
        # exactly when v < that rounding (no float32 lies between the level and it)
        rounded = level.astype(np.float32)
        level = np.where(rounded < level, np.nextafter(rounded, np.float32(np.inf)), rounded)
    row_start = np.arange(rows, dtype=np.intp) * columns
    at = row_start  # each row's candidate, as a flat index
    n = columns
    # the answer lies in [at, at + n]; each step halves n
    while n > 1:
        half = n // 2
        step = at + half
        at = np.where(flat[step] < level, step, at)
        n -= half
    k = at + (flat[at] < level) - row_start
    # a NaN level is reached nowhere (every comparison with it is false)
    return np.where(np.isnan(level), columns, k)


def first_crossing(
    grid: np.ndarray, path: np.ndarray, level: np.ndarray, peak: np.ndarray | None = None
) -> np.ndarray:
    """First time each row of ``path`` reaches ``level`` (per row), linearly interpolated.

    Rows already at or above the level at the first grid point return ``grid[0]``; rows that
    never reach it return ``inf``. ``peak``, the path's :func:`running_max`, makes the search
    a binary one (the same first column: a row first reaches the level where its running
    maximum does).
    """
    if peak is None:
        above = path >= level[:, None]
        hit = above.any(axis=1)
        k = np.argmax(above, axis=1)
    else:
        k = first_at_or_above(peak, level)
        hit = k < path.shape[1]
        k = np.where(hit, k, 0)
    out = np.full(path.shape[0], np.inf)
    at_start = hit & (k == 0)
    out[at_start] = grid[0]
    inner = hit & (k > 0)
    rows = np.nonzero(inner)[0]
    kk = k[rows]
    before, after = path[rows, kk - 1], path[rows, kk]
    with np.errstate(invalid="ignore"):
        frac = (level[rows] - before) / np.where(after > before, after - before, 1.0)
    # a path coming up from minus infinity (a stock that had fully retired) crosses at the
    # grid point where it is back
    frac = np.where(np.isfinite(before), frac, 1.0)
    out[rows] = grid[kk - 1] + frac * (grid[kk] - grid[kk - 1])
    return out
