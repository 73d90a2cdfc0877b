"""Backtests: observation splits, the naive baseline, CLI errors, the scoring pipeline on one
quick cutoff fit, and (slow) the full default backtest. The library returns data; the CLI
prints it (``forecast.cli.text.format_backtest``)."""

from __future__ import annotations

import ast
import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.cli.main import main
from forecast.core.errors import UsageError
from forecast.data import tables as data_tables
from forecast.priors.priorset import load_prior_set
from forecast.validation import backtest as bt
from forecast.validation import baselines, points

VALIDATION = Path(bt.__file__).parent

CUTOFF = date(2024, 12, 31)


def point(quantity: str, when: date, value: float, key: str = "m", country: str = "US"):
    return points.Point(quantity, country, when, 0.0, value, 0.0, key, key)


# -- pieces without a fit --------------------------------------------------------------------------
@pytest.mark.fast
def test_fit_line_by_hand():
    line = baselines.fit_line([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 1.0, 3.0])
    assert line is not None
    assert line.b == pytest.approx(0.9)
    assert line.resid_sd == pytest.approx(math.sqrt(0.70 / 2))
    mean, sd = line.predict(5.0)
    assert mean == pytest.approx(4.4)
    assert sd == pytest.approx(math.sqrt(0.35) * math.sqrt(1 + 1 / 4 + 3.5**2 / 5))


@pytest.mark.fast
def test_fit_line_needs_three_points_with_spread():
    assert baselines.fit_line([0.0, 1.0], [0.0, 1.0]) is None
    assert baselines.fit_line([1.0, 1.0, 1.0], [0.0, 1.0, 2.0]) is None
    exact = baselines.fit_line([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
    assert exact is not None
    assert exact.predict(3.0)[0] == pytest.approx(7.0)
    assert 0 < exact.predict(3.0)[1] < 1e-5


@pytest.mark.fast
def test_split_holds_out_after_the_cutoff_up_to_the_end():
    pts = [
        point("frontier_eci", date(2024, 6, 1), 1.0, "a"),
        point("frontier_eci", CUTOFF, 2.0, "b"),
        point("frontier_eci", date(2025, 1, 1), 3.0, "c"),
        point("frontier_eci", date(2026, 1, 1), 4.0, "d"),
    ]
    train, test = bt.split(pts, CUTOFF, date(2025, 12, 31))
    assert [p.key for p in train] == ["a", "b"]
    assert [p.key for p in test] == ["c"]


@pytest.mark.fast
def test_split_with_user_rows_scores_only_them():
    pts = [
        point("frontier_eci", date(2024, 6, 1), 1.0, "old"),
        point("frontier_eci", date(2024, 7, 1), 1.5, "mine-early"),
        point("frontier_eci", date(2025, 6, 1), 3.0, "bundled-late"),
        point("frontier_eci", date(2026, 2, 1), 4.0, "mine-late"),
    ]
    keys = {q: set() for q in bt.QUANTITIES}
    keys["frontier_eci"] = {("US", "mine-early"), ("US", "mine-late")}
    train, test = bt.split(pts, CUTOFF, None, keys)
    assert [p.key for p in test] == ["mine-late"]
    assert [p.key for p in train] == ["old", "mine-early"]  # the cutoff fit saw it
    train, test = bt.split(pts, CUTOFF, None, keys, unseen_extra=True)
    assert [p.key for p in test] == ["mine-early", "mine-late"]
    assert [p.key for p in train] == ["old"]


@pytest.mark.fast
def test_observed_points_define_records_on_the_full_history():
    tables = data_tables.load_all()
    settings = load_prior_set("default").settings
    pts = points.observed_points(tables, settings)
    eci_us = [p for p in pts if (p.quantity, p.country) == ("frontier_eci", "US")]
    values = [p.value for p in sorted(eci_us, key=lambda p: p.t)]
    assert values == sorted(values)  # records only ever rise
    suites = {(p.country, p.suite) for p in pts if p.quantity == "frontier_horizon_minutes"}
    assert suites == {("US", "v1.1"), ("CN", "v1.0")}
    stock = [p for p in pts if p.quantity == "compute_stock_h100e"]
    assert len(stock) == 2 * 16 and all(np.isfinite(p.value) for p in stock)


@pytest.mark.fast
def test_quarter_labels():
    assert points.quarter_labels("2024Q3", "2025Q2") == ["2024Q4", "2025Q1", "2025Q2"]
    assert points.quarter_labels("2025Q4", "2025Q4") == []


@pytest.mark.fast
@pytest.mark.parametrize(
    "text, message",
    [
        ("2023-13-01", "is not a date"),
        ("soon", "is not a date"),
        ("2025-12-31", "not before the vintage end"),
        ("2027-01-01", "not before the vintage end"),
        ("2018-06-30", "first year of training-compute data"),
    ],
)
def test_bad_cutoffs_are_usage_errors(text, message):
    with pytest.raises(UsageError, match=message):
        bt.parse_cutoff(text)


@pytest.mark.fast
def test_cli_rejects_bad_input_before_fitting(capsys, tmp_path):
    assert main(["backtest", "--cutoff", "2023-02-30"]) == 2
    assert "error: --cutoff" in capsys.readouterr().err
    assert main(["backtest", "--cutoff", "2026-03-01", "--json"]) == 2
    assert "not before the vintage end" in capsys.readouterr().err
    assert main(["backtest", "--data", str(tmp_path / "missing.csv")]) == 2
    assert "file not found" in capsys.readouterr().err


@pytest.mark.fast
def test_old_names_still_import_from_backtest():
    for name in ("Point", "observed_points", "quarter_labels", "QUANTITIES", "VINTAGE_END"):
        assert getattr(bt, name) is getattr(points, name)
    for name in ("fit_line", "LineFit", "MIN_BASELINE_POINTS"):
        assert getattr(bt, name) is getattr(baselines, name)


@pytest.mark.fast
def test_the_library_returns_data_and_the_cli_prints_it():
    """No validation module parses arguments, formats text answers or prints them."""
    for path in VALIDATION.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not {"run_cli", "format_text", "config_from_args"} & names, path.name
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "argparse" not in imported, path.name
        assert len(path.read_text().splitlines()) < 700, path.name
        assert ast.get_docstring(tree), path.name


# -- the scoring pipeline on one quick cutoff fit --------------------------------------------------
@pytest.fixture(scope="module")
def cutoff_forecaster(tmp_path_factory):
    from forecast.fit.sampling import QUICK, QUICK_GATE, fit
    from forecast.questions.forecaster import Forecaster
    from forecast.store.runs import RunStore

    store = RunStore(tmp_path_factory.mktemp("backtest-store"))
    result = fit(
        config=QUICK,
        gate=QUICK_GATE,
        cutoff=CUTOFF,
        store=store,
        progress=False,
        log=lambda _: None,
    )
    assert not result.meta["current"]
    return Forecaster.from_store(store, result.run_id)


@pytest.mark.slow  # fits a cutoff run
def test_scoring_pipeline_on_a_cutoff_run(cutoff_forecaster, tmp_path):
    f = cutoff_forecaster
    tables = data_tables.load_all()
    points = bt.observed_points(tables, f.run.settings)
    res = bt.evaluate(f, points, CUTOFF, bt.VINTAGE_END)
    _, test = bt.split(points, CUTOFF, bt.VINTAGE_END)
    assert f.run.meta["cutoff"] == CUTOFF.isoformat()
    assert {p["date"] > CUTOFF.isoformat() for p in res["points"]} == {True}
    assert len(res["points"]) == len(test) > 20
    for row in res["scores"]:
        expected = [p for p in test if (p.quantity, p.country) == (row["quantity"], row["country"])]
        assert row["n"] == len(expected)
        if not row["n"]:
            continue
        m = row["model"]
        assert all(0.0 <= m[k] <= 1.0 for k in ("coverage50", "coverage80", "coverage95"))
        assert m["coverage50"] <= m["coverage80"] <= m["coverage95"]
        assert m["crps"] > 0 and np.isfinite(m["log_score"])
        assert (row["baseline"] is None) == (row["n_train"] < bt.MIN_BASELINE_POINTS)
    # CN horizons are scored on METR v1.0 with the v1.0 mapping and the CN offset.
    cn_h = [p for p in res["points"] if p["quantity"] == "frontier_horizon_minutes"]
    assert {p["country"] for p in cn_h} == {"US", "CN"}
    s = bt.summary([{"cutoff": CUTOFF.isoformat(), **res}])
    assert s["points"] == len(test)
    assert s["pairs_compared"] == s["model_better_crps"] + s["baseline_better_crps"] + s["ties"]
    public = {k: v for k, v in res.items() if not k.startswith("_")}
    json.dumps(public, allow_nan=False)
    assert "min_ess_bulk" in public["diagnostics"]


def _user_files(folder):
    """A new US ECI record and a full new stock quarter (every holder, 2026Q1)."""
    eci = pd.read_csv(data_tables.bundled_path("capability_eci"))
    new = eci.iloc[[0]].copy()
    new["model"], new["date"], new["eci"] = "Future Model", "2026-02-01", 158.0
    weak = eci.iloc[[0]].copy()
    weak["model"], weak["date"], weak["eci"] = "Small Model", "2026-02-02", 120.0
    eci_path = folder / "eci_new.csv"
    pd.concat([new, weak]).to_csv(eci_path, index=False)
    stock = pd.read_csv(data_tables.bundled_path("compute_stock"))
    q = stock[stock["quarter"] == "2025Q4"].copy()
    q["quarter"], q["date"], q["h100e"] = "2026Q1", "2026-03-31", q["h100e"] * 1.15
    stock_path = folder / "stock_new.csv"
    q.to_csv(stock_path, index=False)
    return [eci_path, stock_path]


@pytest.mark.slow  # shares the cutoff run
def test_user_data_scores_only_the_new_records(cutoff_forecaster, tmp_path):
    files = _user_files(tmp_path)
    assert data_tables.check(files).ok
    tables, bundled = data_tables.load_all(files), data_tables.load_all()
    keys = bt._scored_keys(tables, bundled)
    assert keys["frontier_eci"] == {("US", "Future Model"), ("US", "Small Model")}
    assert keys["compute_stock_h100e"] == {("US", "2026Q1"), ("CN", "2026Q1")}
    f = cutoff_forecaster
    res = bt.evaluate(f, bt.observed_points(tables, f.run.settings), CUTOFF, None, keys)
    scored = sorted((p["quantity"], p["country"], p["label"]) for p in res["points"])
    # The weak model is not a record, so it is not a frontier observation.
    assert scored == [
        ("compute_stock_h100e", "CN", "2026Q1"),
        ("compute_stock_h100e", "US", "2026Q1"),
        ("frontier_eci", "US", "Future Model"),
    ]
    for p in res["points"]:
        assert p["baseline"] is not None and np.isfinite(p["model"]["crps"])


# -- the full default backtest ---------------------------------------------------------------------
@pytest.mark.slow
def test_full_backtest_meets_the_targets(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    assert main(["backtest", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [c["cutoff"] for c in payload["cutoffs"]] == [d.isoformat() for d in bt.DEFAULT_CUTOFFS]
    assert payload["published"] is None  # no current run in a fresh home
    s = payload["summary"]
    assert s["model_better_crps"] > s["pairs_compared"] / 2
    # the 80% intervals' coverage: its 90% interval (Jeffreys, over the pooled points) must
    # reach into the target band 0.65-0.95; a point estimate just outside it on ~150 points is
    # noise, an interval wholly outside it is a miscalibrated model
    from forecast.sweeps.docs import share_interval

    k = round(s["coverage80"] * s["points"])
    low, high = share_interval(k, s["points"])
    assert low <= 0.95 and high >= 0.65, (s["coverage80"], s["points"], low, high)
    assert 0.5 <= s["coverage80"] <= 0.99
    assert payload["wall_seconds"] < 15 * 60
