"""Bayesian forecasts of breakthrough-level AI capability per country.

The library is built in floors; a module imports only from its own floor or the ones below, and
never from ``service`` (the HTTP face sits on top of the library, not inside it):

0. ``forecast.core``: shared definitions (countries, parameter layout, names, ranges), errors,
   time conversions, Monte Carlo statistics, the TOML reader and SQLite helpers.
1. ``forecast.data`` (curated tables and observation blocks), ``forecast.priors`` (prior sets,
   distributions, scenarios), ``forecast.store`` (fitted runs on disk and their catalog).
2. ``forecast.model``: the equations, the PyMC graph, simulation and the forward projection.
3. ``forecast.fit`` (sampling, diagnostics gate, refits) and ``forecast.questions`` (answers
   from stored draws).
4. ``forecast.validation`` (backtests, scores, calibration), ``forecast.report`` (the
   periodic report) and ``forecast.sweeps`` (grids of fits on a Dask cluster).
5. ``forecast.cli``: the ``forecast`` command, which owns all text formatting.

``tests/test_floors.py`` walks the imports and fails on an upward import or a cycle.
"""

__version__ = "0.1.0"
