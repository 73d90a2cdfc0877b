"""Floor 1: forecaster-editable inputs: prior sets and scenarios, validated on load.

``distributions`` is the registry of distribution families and the interval solver;
``validate`` the checks of a prior set; ``priorset`` the ``Prior`` and ``PriorSet`` objects,
``extends`` resolution, loading and discovery; ``scenarios`` the scenario file. May import
``forecast.core`` only.
"""
