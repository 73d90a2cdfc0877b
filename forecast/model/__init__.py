"""Floor 2: the model: plain equations, the PyMC graph, simulation and the forward projection.

``equations`` and ``projection`` do not import PyMC, so answering questions stays light. May
import ``forecast.core``, ``forecast.data`` and ``forecast.priors``.
"""
