"""Floor 4: the periodic report (HTML, PDF, JSON) of one stored run, with what changed.

May import floors 0-3.
"""
