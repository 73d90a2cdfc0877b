"""``python -m forecast.cli``: the same as the ``forecast`` command."""

import sys

from forecast.cli.main import main

sys.exit(main())
