"""Stored runs (``/v1/runs``): the list, the current run and any run's full metadata."""
