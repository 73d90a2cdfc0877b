"""Floor 1: forecaster-editable inputs: prior sets and scenarios, validated on load.

May import ``forecast.core`` only.
"""
