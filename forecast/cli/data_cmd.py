"""``forecast data check`` and ``forecast priors check``: validate the input files.

Both hand over to their checkers (the table checker in ``forecast.data.tables`` and the prior
checker in ``forecast.cli.priors_check``), which print their own reports.
"""

from __future__ import annotations

import argparse


def cmd_data_check(args: argparse.Namespace) -> int:
    """Validate the bundled tables and any extra files; 1 if any file has issues."""
    from forecast.data.tables import cli_check

    return cli_check(args.files, args.json)


def cmd_priors_check(args: argparse.Namespace) -> int:
    """Validate the prior sets and scenarios; 1 if any has issues."""
    from forecast.cli.priors_check import cli_check

    return cli_check(args.files, args.json, show=args.show)
