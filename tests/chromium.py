"""Where the tests find Debian's Chromium and the flags every headless start uses.

The flags keep Chromium off the network (this machine reaches no outside host) and out of any
first-run or sync behaviour; each caller adds its own profile folder and debugging options.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("FORECAST_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
