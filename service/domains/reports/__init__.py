"""Dated reports (``/v1/reports``): the list, and one report as HTML, PDF or JSON."""
