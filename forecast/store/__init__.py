"""Floor 1: fitted runs as immutable folders with a SQLite catalog and a "current" pointer.

``runs`` (the store, its crash recovery and pre-flight check), ``errors`` (:class:`StoreError`,
the one error type of a failing disk under the store) and ``settings`` (free-space headroom).

May import ``forecast.core`` only.
"""
