"""Floor 4: the periodic report (HTML, PDF, JSON) of one stored run, with what changed.

May import floors 0-3. Modules, one job each: ``index`` (the report store and its index),
``schedule`` (is a report due?), ``sections`` (headline, race, diagnostics, data, model card),
``extra_sections`` (drivers, named thresholds, a sweep's fits), ``changes`` (what changed, with
counterfactual refits), ``figures`` and ``figures_base`` (the plots),
``render`` (HTML, PDF, number formats) and ``build`` (``build_report`` and
``render_report``, which put them together). The ``forecast report`` command lives in
``forecast.cli.report_cmd``, which also reads a sweep's table for ``--sweep`` (floor 5): the
report takes that table as given and does not import ``forecast.sweeps``.
"""
