"""Floor 1: fitted runs as immutable folders with a SQLite catalog and a "current" pointer.

May import ``forecast.core`` only.
"""
