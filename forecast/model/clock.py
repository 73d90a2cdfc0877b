"""The efficiency clock in the projection (a mixin of the projector).

Under ``compute_driven_progress`` a country's algorithms advance at (A_c / A_ref)^phi years per
year: its projected additions over the reference country's additions at the reference year, to
the power phi (``forecast.model.equations.efficiency_years`` gives the fitted years' closed
form). Past the data end the clock integrates the projected additions, and a scenario that
changes additions changes the clock too. With phi = 0 (every other structure) it runs at 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


class EfficiencyClock:
    """Clock paths of a projector: needs ``grid``, ``n_draws`` and ``_cumulative``; ``base``
    arguments are the projector's ``Baseline`` (with ``effort`` and ``effort_flow``)."""

    grid: np.ndarray
    n_draws: int

    def _cumulative(self, flow: np.ndarray) -> np.ndarray:  # provided by the projector
        raise NotImplementedError

    def _effort(
        self, p: Mapping[str, np.ndarray], additions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Integral since the data end of the efficiency clock's speed (A_c / A_ref)^phi, and
        the speed on the grid (None where phi is 0 for every draw: the clock runs at 1)."""
        elapsed = np.broadcast_to(self.grid - self.grid[0], additions.shape)
        if not np.any(p["phi"]):
            return elapsed, None
        flow = np.exp(p["phi"][:, None] * (np.log(additions) - p["ln_a_ref"][:, None]))
        return self._cumulative(flow), flow

    def _effort_change(
        self, base: Any, k0: int, t_s: float, dlog_add: np.ndarray, phi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Change of efficiency years from column k0 on when additions change by exp(dlog_add)
        from t_s (compute_driven_progress: the clock runs at (A / A_ref)^phi), for the draws
        whose phi > 0 only: (their indices, their changes (rows, grid - k0)); None if no draw
        has phi > 0 (in a mixture only one structure's draws move the clock, so the others are
        not computed)."""
        if base.effort_flow is None:
            return None
        rows = np.flatnonzero(phi > 0)
        if rows.size == 0:
            return None
        dlog = dlog_add
        if np.ndim(dlog) == 2 and np.shape(dlog)[0] == phi.shape[0]:
            dlog = dlog[rows]  # these rows only (it may be a broadcast view)
        dlog = np.asarray(dlog, dtype=float)
        with np.errstate(invalid="ignore"):
            rel = np.expm1(phi[rows, None] * dlog)
        flow = base.effort_flow[rows, k0:] * rel
        lead = (self.grid[k0] - t_s) * flow[:, :1]
        step = np.diff(self.grid[k0:])
        added = np.cumsum(0.5 * (flow[:, 1:] + flow[:, :-1]) * step, axis=1)
        return rows, lead + np.concatenate([np.zeros((flow.shape[0], 1)), added], axis=1)

    def _effort_since(self, base: Any, k0: int, t_s: float) -> np.ndarray:
        """Efficiency-clock years from t_s to each grid column from k0 on, (draws, grid - k0)."""
        effort = np.asarray(base.effort, dtype=float)
        if base.effort_flow is None:
            return np.broadcast_to(self.grid[k0:] - t_s, (self.n_draws, self.grid.size - k0))
        at_ts = effort[:, k0] - (self.grid[k0] - t_s) * base.effort_flow[:, k0]
        return effort[:, k0:] - at_ts[:, None]
