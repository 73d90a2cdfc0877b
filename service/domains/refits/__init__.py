"""Refit jobs (``/v1/refits``): start one (API key) and follow it; the worker process fits."""
