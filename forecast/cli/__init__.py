"""Floor 5: the ``forecast`` command line; it owns all text formatting of answers.

May import every library floor, never ``service``: ``forecast serve`` finds the HTTP app through
the ``forecast.faces`` entry point that the service package registers.
"""
