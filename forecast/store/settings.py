"""Settings of the run store, read from the environment with defaults.

==============================  ===============================================  ==========
variable                        meaning                                          default
==============================  ===============================================  ==========
``FORECAST_HOME``               the store folder                                 ``var``
``FORECAST_STORE_HEADROOM_MB``  free space a fit or save must leave on the       64
                                store's file system beyond the run itself
``FORECAST_STORE_CHECK_SPACE``  check free space before a fit and a save (1/0)   1
==============================  ===============================================  ==========

The headroom covers what else lives in the store's file system and grows with it: the catalog
and its write-ahead log, the service's database, stored reports, and the system itself. 64 MB
is a few hundred times a quick run (about 0.3 MB) and some 30 times a default one (about 2 MB),
yet small beside any real disk. Turning the check off (``0``) is for file systems that misreport
free space, and for fault tests that must make a write fail half-way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from forecast.core.errors import ForecastError

MB = 1 << 20
"""Bytes in the MB of messages and settings (a mebibyte, as ``df -m`` counts)."""


class StoreSettingsError(ForecastError):
    """A malformed store setting in the environment (the message names the variable)."""


@dataclass(frozen=True)
class StoreSettings:
    """How much free space writes to the store require."""

    headroom_mb: float = 64.0
    check_space: bool = True

    @property
    def headroom_bytes(self) -> int:
        return int(self.headroom_mb * MB)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """Settings from ``FORECAST_STORE_*`` variables (default: ``os.environ``)."""
        env = os.environ if environ is None else environ
        out = cls()
        raw = env.get("FORECAST_STORE_HEADROOM_MB", "").strip()
        if raw:
            try:
                headroom = float(raw)
            except ValueError:
                headroom = math.nan
            if not (math.isfinite(headroom) and headroom >= 0):
                raise StoreSettingsError(
                    f"FORECAST_STORE_HEADROOM_MB: {raw!r} is not a number of MB (0 or more)"
                )
            out = StoreSettings(headroom, out.check_space)
        raw = env.get("FORECAST_STORE_CHECK_SPACE", "").strip()
        if raw:
            if raw not in ("0", "1"):
                raise StoreSettingsError(f"FORECAST_STORE_CHECK_SPACE: {raw!r} is not 0 or 1")
            out = StoreSettings(out.headroom_mb, raw == "1")
        return out


def default_home() -> Path:
    """The store folder: ``$FORECAST_HOME`` if set, else ``./var``."""
    return Path(os.environ.get("FORECAST_HOME", "var"))


def format_mb(size: float) -> str:
    """A byte count in MB for messages: one decimal below 10 MB, whole MB above."""
    mb = size / MB
    return f"{mb:.1f}" if mb < 10 else f"{mb:.0f}"
