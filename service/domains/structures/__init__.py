"""Model structures (``/v1/structures``, ``/v1/structures/effects``, ``/v1/race/sources``): which
structures a run holds and how the data weigh them, each scenario's effect under every structure,
and where the race's uncertainty comes from (:mod:`forecast.questions.structures`)."""
