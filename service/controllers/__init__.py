"""HTTP controllers, one module per area (runs, questions, catalog, observations, refits,
exports, system); shared parameter declarations live in ``params``."""
