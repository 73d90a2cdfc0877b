"""Bayesian forecasts of breakthrough-level AI capability per country.

The package flows one way: ``datasets`` and ``priors`` (inputs) -> ``model`` (the PyMC graph)
-> ``fit`` (sampling and the diagnostics gate) -> ``store`` (immutable runs) -> ``projection``
and ``questions`` (answers from stored draws, under scenarios) -> faces (``cli``, ``service``).
"""

__version__ = "0.1.0"
