"""Floor 1: the curated data tables (package data here) and the observation blocks built from them.

``schema`` declares each table's columns and rules; ``validate`` checks cells and rows (files and
in-memory rows alike); ``tables`` loads files and hashes the data; ``observations`` turns the
tables into the per-country series the model fits. May import ``forecast.core`` only.
"""
