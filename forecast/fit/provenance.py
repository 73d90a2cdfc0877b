"""Provenance of a fit: what it was given and where it ran, recorded with every run.

The data end, the digest of every array the model saw, the versions of the libraries that decide
the draws, the machine and compile flags, and a readable run id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np

from forecast.core.timeutil import decimal_year
from forecast.data import tables as data_tables
from forecast.data.observations import Observations
from forecast.model.graph import model_data
from forecast.priors.priorset import PriorSet

LIBRARIES = (
    "pymc",
    "pytensor",
    "nutpie",
    "numba",
    "arviz",
    "arviz-stats",
    "xarray",
    "numpy",
    "scipy",
    "pandas",
)


def data_end_year(tables: dict[str, Any]) -> float:
    """Decimal year at the end of the data: the vintage end, or later if users added data."""
    ends = [data_tables.VINTAGE + np.timedelta64(1, "D")]
    for name in ("models", "capability_eci", "capability_metr"):
        ends.append(tables[name]["date"].max())
    return float(decimal_year(max(ends)))


def library_versions() -> dict[str, str]:
    """Versions of the libraries that decide a fit's draws (recorded with every run)."""
    from forecast.fit import compile_cache

    return compile_cache.library_versions(LIBRARIES)


def observations_digest(obs: Observations) -> str:
    """SHA-256 of every array the model is given (the ``pm.Data`` values), in model order.

    Equal data hashes give equal digests (rows are in canonical order); a refit that samples
    different arrays than its metadata says shows up here.
    """
    digest = hashlib.sha256()
    for name, value in model_data(obs).items():
        array = np.ascontiguousarray(value)
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def environment() -> dict[str, Any]:
    """What else decides the draws bit for bit: interpreter, platform and compile flags.

    Same inputs, seed, settings and libraries give bit-identical draws on one machine type;
    another CPU (a different instruction set for numba's code) may change the last bits of the
    logp and so the draws.
    """
    import os
    import platform

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        # compile flags without folders (cache locations do not change results)
        "pytensor_flags": ",".join(
            f for f in os.environ.get("PYTENSOR_FLAGS", "").split(",") if f and "dir" not in f
        )
        or None,
        "numba_num_threads": os.environ.get("NUMBA_NUM_THREADS"),
    }


def run_id_for(created: datetime, prior_set: PriorSet, data_hash: str, config: Any) -> str:
    """A readable, unique run id: creation time plus a hash of what went into the fit."""
    digest = hashlib.sha256(
        json.dumps(
            [created.isoformat(), prior_set.hash, data_hash, asdict(config)], sort_keys=True
        ).encode()
    ).hexdigest()
    return f"{created:%Y%m%dT%H%M%S}-{digest[:8]}"
