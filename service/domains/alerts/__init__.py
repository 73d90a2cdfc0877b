"""Alerts (``/v1/alerts``): new observations far outside the current run's predictive."""
