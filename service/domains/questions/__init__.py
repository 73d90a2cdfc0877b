"""Timeline questions (``/v1/arrival``, ``/v1/probability``, ``/v1/race``, ``/v1/trajectories``,
``/v1/surprise``, ``/v1/questions``): controller, schemas, parameters and the library calls."""
