"""The Metaculus export: the library's :func:`forecast.questions.metaculus.metaculus_forecast`."""

from __future__ import annotations

from forecast.questions.metaculus import metaculus_forecast

metaculus_cdf = metaculus_forecast
"""Kept under its old name for callers of this module."""
