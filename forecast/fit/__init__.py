"""Floor 3: sample the model, check the diagnostics gate, store the run; refit compiled models.

May import floors 0-2.
"""

from forecast.fit.sampling import fit

__all__ = ["fit"]
