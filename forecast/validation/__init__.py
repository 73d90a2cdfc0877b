"""Floor 4: out-of-sample checks: vintage backtests, proper scores, calibration.

May import floors 0-3.
"""
