"""Floor 4: the periodic report (HTML, PDF, JSON) of one stored run, with what changed.

May import floors 0-3. Modules, one job each: ``index`` (the report store and its index),
``schedule`` (is a report due?), ``sections`` (headline, race, diagnostics, data, model card),
``changes`` (what changed, with counterfactual refits), ``figures`` and ``figures_base`` (the
plots), ``render`` (HTML, PDF, number formats) and ``build`` (``build_report`` and
``render_report``, which put them together). The ``forecast report`` command lives in
``forecast.cli.report_cmd``.
"""
