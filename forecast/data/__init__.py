"""Floor 1: the curated data tables (package data here) and the observation blocks built from them.

``tables`` declares each table's schema, loads and validates files or in-memory rows, and hashes
the data; ``observations`` turns the tables into the per-country series the model fits. May
import ``forecast.core`` only.
"""
