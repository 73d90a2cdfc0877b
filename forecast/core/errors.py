"""Error types shared by every stage; each carries a message meant for the user as is."""

from __future__ import annotations


class ForecastError(Exception):
    """Base class: an error whose message is safe and useful to show a user as is."""


class UsageError(ForecastError):
    """A bad command-line argument or API parameter (unknown country, scenario, quantity...)."""
