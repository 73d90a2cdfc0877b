"""Floor 0: facts and helpers every stage shares; imports nothing else from ``forecast``.

``definitions`` holds each shared fact once (model identity, the country registry, parameter
layout, scenario baseline name, default quantiles, date ranges); ``errors`` the user-facing error
types; ``timeutil`` calendar/decimal-year conversions; ``mcstats`` Monte Carlo statistics on
posterior draws; ``tomlfile`` a TOML reader that locates keys by line; ``sqlite`` the catalog
connection helper used by every SQLite store.
"""
