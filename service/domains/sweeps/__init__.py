"""Sweeps: the stored sweeps of ``forecast sweep`` and their result tables."""
