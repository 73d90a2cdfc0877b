"""Dask clusters for sweeps: a local cluster sized to the machine, or an existing scheduler,
and the worker plugin that gives every worker its own compile directories.

PyTensor keeps compiled C modules in ``base_compiledir`` and numba its cache in
``NUMBA_CACHE_DIR``; several processes writing one compile cache at once is a known source of
lock waits and corrupt entries, so each worker gets ``<cache>/workers/<host>-<worker name>/``
(stable across restarts of a worker with the same name, so its cache is reused). The plugin sets
the environment before the worker imports PyTensor (tasks import it when they are unpickled,
after the plugin ran); a worker that had imported it already keeps its directory and says so.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin

PLUGIN_NAME = "forecast-compile-dirs"


def cache_root() -> Path:
    """This machine's compile-cache root (the one ``scripts/_env.sh`` uses)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ai-timelines-forecast"


def compile_dirs_for(tag: str, root: Path | None = None) -> dict[str, str]:
    """The PyTensor and numba cache folders of worker ``tag``."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", tag)[:80] or "worker"
    base = (root or cache_root()) / "workers" / safe
    return {"pytensor": str(base / "pytensor"), "numba": str(base / "numba")}


def apply_compile_dirs(tag: str, root: Path | None = None) -> dict[str, Any]:
    """Point this process's PyTensor and numba caches at worker ``tag``'s own folders."""
    dirs = compile_dirs_for(tag, root)
    flags = [
        f
        for f in os.environ.get("PYTENSOR_FLAGS", "").split(",")
        if f and not f.strip().startswith(("base_compiledir", "compiledir"))
    ]
    os.environ["PYTENSOR_FLAGS"] = ",".join([*flags, f"base_compiledir={dirs['pytensor']}"])
    os.environ["NUMBA_CACHE_DIR"] = dirs["numba"]
    for d in dirs.values():
        Path(d).mkdir(parents=True, exist_ok=True)
    imported = "pytensor" in sys.modules
    if imported:
        import pytensor

        dirs["pytensor_in_use"] = str(pytensor.config.base_compiledir)
    return dirs | {"pytensor_was_imported": imported}


class CompileDirs(WorkerPlugin):
    """Give each worker its own PyTensor and numba compile caches (see the module notes)."""

    name = PLUGIN_NAME

    def setup(self, worker: Any) -> None:
        tag = f"{socket.gethostname()}-{worker.name}"
        dirs = apply_compile_dirs(tag)
        if dirs["pytensor_was_imported"] and dirs.get("pytensor_in_use") != dirs["pytensor"]:
            logging.getLogger("forecast.sweeps").warning(
                "worker %s had imported PyTensor already; it keeps compile dir %s",
                worker.name,
                dirs.get("pytensor_in_use"),
            )


def local_cluster(workers: int | None = None) -> LocalCluster:
    """A local cluster of single-threaded worker processes, one per core by default, whose
    scheduler does not steal work (start a shared scheduler with
    ``DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING=False`` for the same placement)."""
    import dask

    n = workers or max(os.cpu_count() or 1, 1)
    # No work stealing: fits are placed by model (engine.affinity) so that each worker compiles
    # few models; a stolen fit would cost its thief a compile (tens of seconds) to save seconds.
    with dask.config.set({"distributed.scheduler.work-stealing": False}):
        return LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        )


def connect(scheduler: str | None, workers: int | None = None) -> tuple[Client, Any]:
    """A client of the scheduler at ``scheduler`` (an address or a scheduler file), or of a new
    local cluster when it is None; returns the client and the cluster to close (or None).

    The client is not made dask's default scheduler: this process writes runs with xarray,
    which would otherwise take distributed locks for in-memory netCDF files (and fail).
    """
    cluster = None
    if scheduler is None:
        cluster = local_cluster(workers)
        client = Client(cluster, set_as_default=False)
    elif scheduler.endswith(".json") and Path(scheduler).is_file():
        client = Client(scheduler_file=scheduler, timeout=30, set_as_default=False)
    else:
        client = Client(scheduler, timeout=30, set_as_default=False)
    client.register_plugin(CompileDirs(), name=PLUGIN_NAME)
    return client, cluster


def worker_count(client: Client) -> int:
    return len(client.scheduler_info(n_workers=-1).get("workers", {}))


def dashboard(client: Client) -> str:
    """The dashboard address (served only when bokeh is installed)."""
    link = client.dashboard_link
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return f"{link} (not served: install bokeh>=3.1 to see the dashboard)"
    return link
