"""The sweep store, resume and the CLI, with fits mocked (``sweep_fakes.FakeFits``)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import xarray as xr
from sweep_fakes import FAILING_CUTOFF, FakeFits

from forecast.cli.main import main
from forecast.sweeps.engine import plan, run_sweep
from forecast.sweeps.grid import SweepSpec
from forecast.sweeps.index import SweepNotFoundError, SweepStore

CUTOFFS = (date(2022, 12, 31), FAILING_CUTOFF, date(2024, 12, 31))
SPEC = SweepSpec(priors=("default",), cutoffs=CUTOFFS, quick=True)


def quiet(_: str) -> None:
    pass


def test_a_sweep_stores_each_fit_once_and_resumes_without_refitting(fake_fits, tmp_path):
    store = SweepStore(tmp_path / "sweeps")
    first = run_sweep(SPEC, store, scheduler="inline", log=quiet, progress=False)
    assert first["state"] == "complete" and first["fitted_now"] == 3
    assert len(fake_fits.calls) == 3 == len(set(fake_fits.calls))
    again = run_sweep(SPEC, store, scheduler="inline", log=quiet, progress=False)
    assert again["fitted_now"] == 0 and again["stored_before"] == 3
    assert len(fake_fits.calls) == 3  # nothing refitted
    assert again["sweep_id"] == first["sweep_id"]
    runs = sorted(p.name for p in store.runs.runs_dir.iterdir())
    assert runs == sorted(r["run_id"] for r in first["rows"])
    # a wider grid reuses the three stored fits
    wider = SweepSpec(priors=("default",), cutoffs=(*CUTOFFS, None), quick=True)
    third = run_sweep(wider, store, scheduler="inline", log=quiet, progress=False)
    assert third["fitted_now"] == 1 and third["stored_before"] == 3
    assert third["sweep_id"] != first["sweep_id"]
    assert {s["id"] for s in store.list()} == {first["sweep_id"], third["sweep_id"]}


def test_results_files_hold_one_row_per_fit(fake_fits, tmp_path):
    store = SweepStore(tmp_path / "sweeps")
    res = run_sweep(SPEC, store, scheduler="inline", log=quiet, progress=False)
    folder = store.folder(res["sweep_id"])
    table = pd.read_csv(folder / "results.csv")
    assert list(table["cutoff"]) == [c.isoformat() for c in CUTOFFS]
    assert list(table["gate_pass"]) == [True, False, True]
    assert {"median_arrival_us", "p_cn_first", "bt_crps_rw_drift", "compile_seconds"} <= set(
        table.columns
    )
    assert len(pd.read_parquet(folder / "results.parquet")) == 3
    ds = xr.open_dataset(folder / "results.nc", engine="h5netcdf")
    try:
        assert ds.sizes["fit"] == 3
        assert list(ds["gate_pass"].values) == [1, 0, 1]
        assert float(ds["median_arrival_us"][0]) == 2030.5
    finally:
        ds.close()
    assert json.loads((folder / "sweep.json").read_text())["counts"] == {
        "fits": 3,
        "passed": 2,
        "failed": 1,
    }


def test_an_interrupted_sweep_resumes_where_it_stopped(monkeypatch, tmp_path):
    store = SweepStore(tmp_path / "sweeps")
    stopping = FakeFits(stop_after=1)
    monkeypatch.setattr("forecast.sweeps.engine.run_fit", stopping)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(SPEC, store, scheduler="inline", log=quiet, progress=False)
    assert len(store.stored_keys()) == 1
    rest = FakeFits()
    monkeypatch.setattr("forecast.sweeps.engine.run_fit", rest)
    res = run_sweep(SPEC, store, scheduler="inline", log=quiet, progress=False)
    assert res["fitted_now"] == 2 and len(rest.calls) == 2
    assert stopping.calls[0] not in rest.calls
    assert len(list(store.runs.runs_dir.iterdir())) == 3


def test_a_run_saved_before_a_crash_is_indexed_once(tmp_path):
    store = SweepStore(tmp_path / "sweeps")
    task = plan(SPEC, store).tasks[0]
    outcome = FakeFits()(task)
    from forecast.sweeps.tables import result_row

    row = result_row(outcome, quick=True)
    store.runs.save(outcome["tree"], outcome["meta"], make_current=False)  # crash after this
    assert store.record(outcome, row) is True  # the run on disk is indexed, not saved again
    assert store.record(outcome, row) is False
    assert store.stored_keys() == {task.key}


def test_failed_fits_are_reported_apart_and_never_pooled(fake_fits, tmp_path):
    res = run_sweep(SPEC, SweepStore(tmp_path / "s"), scheduler="inline", log=quiet, progress=False)
    bt = res["backtest"]
    assert [f["cutoff"] for f in bt["failed_fits"]] == [FAILING_CUTOFF.isoformat()]
    by = {(r["cutoff"], r["method"]): r for r in bt["table"]}
    assert by[(FAILING_CUTOFF.isoformat(), "model")]["fits_pooled"] == 0
    assert by[(FAILING_CUTOFF.isoformat(), "model")]["n"] == 0
    pooled_all = by[("all", "model")]
    assert pooled_all["fits_pooled"] == 2 and pooled_all["fits_failed_not_pooled"] == 1
    assert pooled_all["n"] == 2
    assert {m for c, m in by} == {"model", "loglinear", "recent_t", "rw_drift"}
    assert bt["priors_using_later_knowledge"]


def test_unknown_sweep_is_an_error(tmp_path):
    store = SweepStore(tmp_path / "s")
    with pytest.raises(SweepNotFoundError):
        store.get("sw-0123456789abcdef")
    with pytest.raises(SweepNotFoundError):
        store.folder("../etc")


# -- the CLI --------------------------------------------------------------------------------------
def test_cli_sweep_json_and_text(fake_fits, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    args = [
        "sweep",
        "--priors",
        "default",
        "--cutoff",
        "2022-12-31,2023-12-31",
        "--quick",
        "--scheduler",
        "inline",
        "--seeds",
        "2",
    ]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"fits": 4, "passed": 2, "failed": 2}
    assert len(out["rows"]) == 4 and out["fitted_now"] == 4
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "backtest (pooled over fits that passed the gate only)" in captured.out
    assert "reported apart, never pooled" in captured.out
    assert "0 fitted now, 4 stored before" in captured.out
    assert "4/4 fits" in captured.err
    assert (tmp_path / "sweeps" / out["sweep_id"] / "results.csv").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--structure", "per_country"], "unknown structure 'per_country'"),
        (["--priors", "nosuchset"], "unknown prior set 'nosuchset'"),
        (["--cutoff", "2026-06-30"], "not before the vintage end"),
        (["--cutoff", "2023-02-30"], "is not a date"),
    ],
)
def test_cli_sweep_rejects_bad_input(extra, message, fake_fits, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    assert main(["sweep", "--scheduler", "inline", *extra]) == 2
    assert message in capsys.readouterr().err
    assert fake_fits.calls == []


def test_cli_backtest_runs_through_a_sweep(fake_fits, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    assert main(["backtest", "--quick", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [c["cutoff"] for c in payload["cutoffs"]] == [c.isoformat() for c in CUTOFFS]
    s = payload["summary"]
    assert s["cutoffs_pooled"] == ["2022-12-31", "2024-12-31"]
    assert [e["cutoff"] for e in s["excluded"]] == ["2023-12-31"]
    assert s["points"] == 2  # the failed cutoff's point is not pooled
    assert {r["method"] for r in payload["baselines"]} == {
        "model",
        "loglinear",
        "recent_t",
        "rw_drift",
    }
    assert payload["sweep"]["fitted_now"] == 3
    assert main(["backtest", "--quick"]) == 0  # resumed: nothing refitted, text output
    text = capsys.readouterr().out
    assert "not pooled: 2023-12-31" in text and "rw_drift" in text
    assert len(fake_fits.calls) == 3
