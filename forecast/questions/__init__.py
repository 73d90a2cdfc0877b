"""Floor 3: timeline questions answered from stored runs, under any scenario, with MC errors.

May import floors 0-2 (it reads runs from ``forecast.store`` and projects with
``forecast.model.projection``).
"""

from forecast.questions.forecaster import Forecaster

__all__ = ["Forecaster"]
