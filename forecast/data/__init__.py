"""Floor 1: the curated data tables (package data here) and the observation blocks built from them.

``schema`` declares each table's columns and rules; ``validate`` checks cells and rows (files and
in-memory rows alike); ``tables`` loads files and hashes the data; ``observations`` turns the
tables into the per-country series the model fits; ``source_common``, ``source_epoch`` and
``source_metr`` map the publishers' files to curated rows (for ``tools/build_data.py`` and
imports) and ``importers`` compares an imported file with the current tables. May import
``forecast.core`` only.
"""
