"""Imports (``/v1/imports``): a publisher's file mapped, compared and stored as observations."""
