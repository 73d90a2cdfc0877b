"""The report's drivers, named-threshold and sweep sections: every number equals the library's
answer for the same run, and a sweep's failed fits stay apart from the passed ones."""

from __future__ import annotations

import json

import pytest
from report_helpers import clone_run

from forecast.core.definitions import COUNTRIES
from forecast.questions import custom
from forecast.questions.thresholds import load_thresholds
from forecast.report.extra_sections import (
    ARRIVAL_QUANTILES,
    DEFAULT_THRESHOLD,
    SweepTable,
    drivers_section,
    sweep_section,
    thresholds_section,
)


# -- drivers ---------------------------------------------------------------------------------------
def test_drivers_shares_are_bounded_with_mc_errors_and_equal_ask_drivers(
    quick_run, forecaster, monkeypatch, capsys
):
    from forecast.cli.main import main
    from forecast.questions.drivers import GROUPS

    store, result = quick_run
    section = drivers_section(forecaster)
    assert section["rows"] and not section["note"]
    assert len(section["rows"]) == len(COUNTRIES) * len(GROUPS)
    assert "Sobol" in section["summary"] and "permutations" in section["method"]
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    for code in COUNTRIES:
        assert main(["ask", "drivers", "--country", code, "--run", result.run_id, "--json"]) == 0
        asked = {g["group"]: g for g in json.loads(capsys.readouterr().out)["groups"]}
        mine = {r["group"]: r for r in section["rows"] if r["country"] == code}
        assert set(mine) == set(asked) == set(GROUPS)
        for group, row in mine.items():
            assert 0.0 <= row["share"] <= 1.0
            assert row["mcse"] is not None and 0.0 < row["mcse"] < 0.2
            assert row["estimate"] == asked[group]["share"]
            assert row["mcse"] == asked[group]["mcse"]
            assert row["share"] == min(max(asked[group]["share"], 0.0), 1.0)
            assert row["clipped"] == (row["share"] != row["estimate"])
    # the threshold's own uncertainty must show as a driver of the arrival
    threshold = [r["share"] for r in section["rows"] if r["group"] == "threshold"]
    assert max(threshold) > 0.1


# -- named thresholds ------------------------------------------------------------------------------
def test_thresholds_section_has_every_named_threshold_with_forecaster_answers(forecaster):
    section = thresholds_section(forecaster)
    table = load_thresholds()
    names = [row["name"] for row in section["rows"]]
    assert names == [DEFAULT_THRESHOLD, *table.named]
    assert len(table.named) >= 3
    assert section["interval_prob"] == 0.9
    headline = [row for row in section["rows"] if row["headline"]]
    assert [row["name"] for row in headline] == [DEFAULT_THRESHOLD]
    for code, entry in zip(COUNTRIES, headline[0]["countries"], strict=True):
        plain = forecaster.arrival(code, quantiles=(0.5,), cdf=False)["quantiles"][0]
        assert entry["median"]["year"] == plain["year"]
    for row in section["rows"][1:]:
        options = custom.parse_options(row["name"])
        for code, entry in zip(COUNTRIES, row["countries"], strict=True):
            answer = custom.ask(
                forecaster, "arrival", options, country=code, quantiles=ARRIVAL_QUANTILES
            )
            lower, median, upper = answer["quantiles"]
            assert entry["country"] == code
            assert entry["median"] == median, (row["name"], code)
            assert entry["interval"]["lower"] == lower and entry["interval"]["upper"] == upper
            assert entry["interval"]["prob"] == 0.9
            assert entry["median"]["mcse_years"] is not None
            assert entry["p_later"] == answer["p_later"]
            if not median["later"] and not upper["later"]:
                assert lower["year"] <= median["year"] <= upper["year"]
    # a higher bar arrives no earlier: work_year after work_day, for every country
    by_name = {row["name"]: row for row in section["rows"]}
    for day, year in zip(
        by_name["work_day"]["countries"], by_name["work_year"]["countries"], strict=True
    ):
        assert year["median"]["later"] or year["median"]["year"] > day["median"]["year"]


# -- a sweep's fits --------------------------------------------------------------------------------
def _row(key: str, run_id: str, passed: bool, **extra):
    from forecast.sweeps import tables

    row = dict.fromkeys(tables.columns())
    row |= {
        "key": key,
        "run_id": run_id,
        "priors": "default",
        "structure": "global_efficiency",
        "cutoff": None,
        "data": "observed",
        "seed": 0,
        "status": "passed" if passed else "failed",
        "gate_pass": passed,
        "gate_failures": None if passed else "12 divergent transitions",
    }
    return row | extra


def test_sweep_section_keeps_failed_fits_apart_without_runs():
    rows = [
        _row("a", "sweep-a", True, median_arrival_us=2030.0, median_arrival_cn=2032.0),
        _row("b", "sweep-b", True, median_arrival_us=2031.0, median_arrival_cn=None, seed=1),
        _row("c", "sweep-c", False, median_arrival_us=2099.0, median_arrival_cn=2012.0),
    ]
    for r in rows:
        r |= {"p_us_first": 0.6, "p_cn_first": 0.3, "p_later_us": 0.1, "p_later_cn": 0.2}
    rows[2] |= {"p_us_first": 0.01, "p_cn_first": 0.99}
    section = sweep_section(SweepTable("sw-0000000000000000", rows))
    assert section["counts"] == {"fits": 3, "passed": 2, "failed": 1}
    assert [f["key"] for f in section["fits"]] == ["a", "b"]
    assert [f["key"] for f in section["failed_fits"]] == ["c"]
    assert section["failed_fits"][0]["gate_failures"] == "12 divergent transitions"
    spread = {c["country"]: c for c in section["spread"]["countries"]}
    # the failed fit's extreme answers are not in the spread over passed fits
    assert spread["US"]["median_lowest"].startswith("2030")
    assert spread["US"]["median_highest"].startswith("2031")
    assert spread["CN"]["median_lowest"] == spread["CN"]["median_highest"]
    assert spread["CN"]["fits_later"] == 1
    assert spread["CN"]["p_first_highest"] == 0.3
    # without the runs, the table's numbers are shown and the note says they carry no MC error
    for fit in section["fits"] + section["failed_fits"]:
        assert "without interval or Monte Carlo error" in fit["note"]
        assert fit["source"] == "table"


@pytest.fixture
def sweep_home(quick_run, tmp_path):
    """A home whose sweep store holds a two-fit sweep: the quick run cloned once as a fit that
    passed the gate and once as one that failed it."""
    import shutil

    from forecast.store.runs import RunStore
    from forecast.sweeps.grid import FitPoint, sweep_id
    from forecast.sweeps.index import SweepStore

    store, result = quick_run
    home = tmp_path / "home"
    shutil.copytree(store.home, home, ignore=shutil.ignore_patterns("reports", "tmp"))
    sweeps = SweepStore(home / "sweeps")
    runs = RunStore(sweeps.home)
    keys = ["a" * 64, "b" * 64]
    ids = ["sweep-passed-fit", "sweep-failed-fit"]
    clone_run(store, result.run_id, ids[0], target=runs)
    clone_run(
        store,
        result.run_id,
        ids[1],
        target=runs,
        status="failed",
        gate_failures=["max R-hat 1.2 > 1.05"],
    )
    points = [FitPoint("default", None, "global_efficiency", s) for s in (0, 1)]
    sid = sweep_id(keys)
    sweeps.register(sid, {"priors": ["default"]}, keys, [p.label() for p in points])
    for key, run_id, point, passed in zip(keys, ids, points, (True, False), strict=True):
        meta = {"status": "passed" if passed else "failed"}
        outcome = {"key": key, "run_id": run_id, "point": point, "meta": meta}
        row = _row(key, run_id, passed, seed=point.seed)
        if not passed:
            row["gate_failures"] = "max R-hat 1.2 > 1.05"
        assert sweeps.record(outcome, row)
    return home, result.run_id, sid, ids


@pytest.mark.slow  # renders a full report with a sweep's summary
def test_report_with_a_sweep_lists_failed_fits_apart(sweep_home, tmp_path, monkeypatch, capsys):
    from forecast.cli.main import main

    home, run_id, sid, (passed_id, failed_id) = sweep_home
    monkeypatch.setenv("FORECAST_HOME", str(home))
    out = tmp_path / "out"
    argv = ["report", "--run", run_id, "--out", str(out), "--format", "html,json", "--json"]
    assert main([*argv, "--refit", "off", "--sweep", sid]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sweep"] == {"id": sid, "fits": 2, "passed": 1, "failed": 1}
    payload = json.loads((out / "report.json").read_text())
    sweep = payload["sweep"]
    assert [f["run_id"] for f in sweep["fits"]] == [passed_id]
    assert [f["run_id"] for f in sweep["failed_fits"]] == [failed_id]
    assert sweep["spread"]["fits"] == 1
    # each fit's numbers come from its run, with MC errors and a 90% interval
    headline = {
        r["country"]: r for r in payload["headline"]["rows"] if r["scenario"] == "status_quo"
    }
    for fit in sweep["fits"] + sweep["failed_fits"]:
        assert fit["source"] == "run" and fit["note"] == ""
        for entry in fit["countries"]:
            assert entry["median"]["mcse_years"] is not None
            assert entry["interval"]["prob"] == 0.9
            assert entry["median"]["year"] == headline[entry["country"]]["median"]["year"]
        assert all(p["mcse"] is not None for p in fit["p_first"])
    cn_first = next(p for p in sweep["fits"][0]["p_first"] if p["country"] == "CN")
    race = next(r for r in payload["race"] if r["scenario"] == "status_quo")
    assert cn_first["p"] == race["p_cn_first"]["p"]
    html = (out / "report.html").read_text()
    passed_part, failed_part = html.split("Fits that failed the gate", 1)
    assert "Across the sweep" in passed_part and sid in passed_part
    failed_table = failed_part.split("</table>", 1)[0]
    assert failed_id in failed_table and "max R-hat 1.2 &gt; 1.05" in failed_table
    assert failed_table.split("<tbody>", 1)[1].count("<tr>") == 1
    passed_table = passed_part.split("Fits that passed the gate", 1)[1].split("</table>", 1)[0]
    assert passed_table.split("<tbody>", 1)[1].count("<tr>") == 1
    assert failed_id not in passed_part and "R-hat 1.2" not in passed_part


def test_report_with_an_unknown_sweep_is_a_one_line_error(quick_run, tmp_path, monkeypatch, capsys):
    from forecast.cli.main import main

    store, result = quick_run
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    argv = ["report", "--run", result.run_id, "--out", str(tmp_path), "--format", "json"]
    assert main([*argv, "--sweep", "sw-0123456789abcdef"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no sweep 'sw-0123456789abcdef'") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


# -- the rendered report ---------------------------------------------------------------------------
def test_rendered_report_holds_the_new_sections(rendered, forecaster):
    _, _, report = rendered
    payload = report.payload
    html = report.files["html"].read_text()
    for title in ("Arrival under named thresholds", "What drives the arrival", "Figures"):
        assert title in html
    assert "Across the sweep" not in html and payload["sweep"] is None
    for name in load_thresholds().named:
        assert f"<b>{name}</b>" in html
    assert "(headline)" in html
    assert payload["thresholds"] == json.loads(json.dumps(thresholds_section(forecaster)))
    assert payload["drivers"]["rows"] == drivers_section(forecaster)["rows"]
    # no new image: the five figures stay, the drivers' bars are drawn in the table itself
    assert [f["name"] for f in payload["figures"]] == [
        "trajectories",
        "arrival",
        "race",
        "compute_stock",
        "prior_posterior",
    ]
    drivers_part = html.split('id="drivers"', 1)[1].split("</section>", 1)[0]
    assert drivers_part.count('<span class="bar">') == len(payload["drivers"]["rows"])
    for row in payload["drivers"]["rows"]:
        bar = row["bar"]
        assert 0.0 <= bar["low"] <= bar["share"] <= bar["high"] <= 100.0
        assert f"width: {bar['share']}%" in drivers_part
        # each share is printed with its MC error
        assert f"{row['share']:.2f} ± {row['mcse']:.2f}" in drivers_part


def test_rendered_report_shows_which_priors_shape_the_arrival(rendered, forecaster):
    from forecast.questions.psense import prior_sensitivity

    _, _, report = rendered
    section = report.payload["psense"]
    answer = prior_sensitivity(forecaster)
    assert section["rows"] == json.loads(json.dumps(answer["priors"][: section["shown"]]))
    assert section["total"] == len(answer["priors"])
    html = report.files["html"].read_text()
    part = html.split('id="psense"', 1)[1].split("</section>", 1)[0]
    assert "Which priors shape the arrival" in part
    for row in section["rows"]:
        e = row["arrival"][COUNTRIES[0]]
        assert f"{e['sensitivity']:.3f} ± {e['mcse']:.3f}" in part


# -- supply channels -------------------------------------------------------------------------------
def test_rendered_report_shows_chinas_supply_channels(rendered, forecaster):
    from forecast.report.extra_sections import CHANNEL_DATES, channels_section

    _, _, report = rendered
    section = channels_section(forecaster)
    assert report.payload["channels"] == json.loads(json.dumps(section))
    assert {r["channel"] for r in section["rows"]} == {"domestic", "legal", "smuggled"}
    assert len(section["rows"]) == 3 * len(CHANNEL_DATES)
    # every cell equals the CLI's channel trajectory, with its MC error and interval
    row = next(r for r in section["rows"] if r["channel"] == "smuggled" and r["date"] > "2027")
    asked = forecaster.trajectory(
        "chip_additions_h100e_per_year",
        "CN",
        [row["date"]],
        "tightened_controls",
        (0.05, 0.5, 0.95),
        component="smuggled",
    )["points"][0]["quantiles"]
    cell = row["cells"][section["scenarios"].index("tightened_controls")]
    assert cell == {
        "median": asked[1]["value"],
        "mcse": asked[1]["mcse"],
        "low": asked[0]["value"],
        "high": asked[2]["value"],
    }
    # legal imports stop under tightened controls and every channel under the embargo
    later = [r for r in section["rows"] if r["date"] == CHANNEL_DATES[-1]]
    embargo = section["scenarios"].index("full_embargo")
    assert all(r["cells"][embargo]["median"] == 0 for r in later)
    html = report.files["html"].read_text()
    part = html.split('id="channels"', 1)[1].split("</section>", 1)[0]
    assert part.count("<tr><td") == len(section["rows"]) and "±" in part
