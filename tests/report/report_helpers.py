"""Helpers shared by the report tests: system-tool checks, quiet logging, and runs with a known
difference (a stored run's posterior cloned under other recorded inputs, no sampling)."""

from __future__ import annotations

import copy
import os

import pytest

from forecast.questions.forecaster import Forecaster
from forecast.report.changes import changes_section
from forecast.report.sections import headline_metrics, headline_section, race_section

EXTRA_HARDWARE = (
    "accelerator,designer,release_date,bf16_flops,fp8_flops,int8_ops,price_usd,source,source_url\n"
    'Report Test Accelerator,TestCo,2025-06-01,1000000000000000,,,,"test row, unused by the '
    'model",https://example.org/report-test\n'
)


def require(ok: bool, what: str) -> None:
    """Skip when a system tool is missing; under CI, fail instead (CI must install it)."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed")


def quiet(_: str) -> None:
    pass


def clone_run(store, run_id, new_id, *, target=None, scale=None, **meta_changes) -> str:
    """Store a copy of a run under ``new_id`` (in ``target``, default the same store) with some
    parameters scaled and some recorded inputs replaced: a run with a known difference."""
    import xarray as xr

    target = target or store
    meta = copy.deepcopy(store.meta(run_id))
    with xr.open_datatree(store.runs_dir / run_id / "posterior.nc", engine="h5netcdf") as tree:
        post = tree["posterior"].to_dataset().load()
        stats = tree["sample_stats"].to_dataset().load()
    for name, factor in (scale or {}).items():
        post[name] = post[name] * factor
    clone = xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})
    clone.attrs = {"id": new_id, "model_type": meta["model_type"]} | {
        "model_version": meta["model_version"]
    }
    meta |= {"id": new_id, "current": False} | meta_changes
    target.save(clone, meta, make_current=False)
    return new_id


def split_for(
    store, reports, previous_run, current_run, refit="off", data_files=(), report_id=None
):
    """'What changed' from a previous report of ``previous_run`` to ``current_run``."""
    current = Forecaster.from_store(store, current_run)
    scenarios = list(current.scenarios)
    metrics = headline_metrics(
        headline_section(current, scenarios), race_section(current, scenarios)
    )
    previous = {
        "id": report_id or "previous-report",
        "run_id": previous_run,
        "created": "2026-01-01T00:00:00",
    }
    return changes_section(
        current, metrics, scenarios, previous, store, reports, refit, data_files, quiet
    )


def metrics_of(store, run_id):
    """Every headline figure of a run, computed directly from the library."""
    f = Forecaster.from_store(store, run_id)
    scenarios = list(f.scenarios)
    return headline_metrics(headline_section(f, scenarios), race_section(f, scenarios))


def recorded_priors(name: str) -> dict:
    """A prior set as a run's metadata records it."""
    from forecast.priors.priorset import load_prior_set

    prior_set = load_prior_set(name)
    return {"name": prior_set.name, "hash": prior_set.hash, "path": prior_set.path.name}
