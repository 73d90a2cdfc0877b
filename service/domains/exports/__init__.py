"""Answers in other formats (``/v1/exports``): the Metaculus-style 201-point CDF."""
