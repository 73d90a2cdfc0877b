"""Drivers (``/v1/drivers``) and the named thresholds (``/v1/thresholds``)."""
