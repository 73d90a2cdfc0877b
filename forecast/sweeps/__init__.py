"""Sweeps: many fits over a grid of prior sets, cutoffs, structures, seeds and data sets.

Floor 4 (beside ``forecast.validation``). ``grid`` expands a sweep's axes into fits and gives each
fit its content address; ``vintage`` says which priors cite sources dated after a cutoff;
``worker`` fits one grid point inside a worker process (compiling each model once per process);
``index`` keeps the sweep store (runs in a ``RunStore``, the index in SQLite, result tables);
``engine`` runs a sweep inline or on a Dask cluster (local or remote); ``tables`` builds the
tidy results table, the xarray Dataset and the backtest summary of a sweep; ``docs`` writes a
stored backtest sweep's tables into ``docs/validation.md`` (``python -m forecast.sweeps.docs``).
"""
