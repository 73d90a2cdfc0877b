"""Observations (``/v1/observations``): rows added to the curated tables through the API."""
