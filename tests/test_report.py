"""The periodic report: numbers equal the library's answers, files render, the change split.

Fast tests share the session's quick fit (``quick_run`` in conftest) and one rendered report.
The change split is checked on runs with a known difference, made by cloning the quick run's
posterior with other recorded inputs (no sampling); the test with real counterfactual refits is
marked slow. Browser and PDF checks need Debian's ``chromium`` and ``poppler-utils``: they are
skipped where those are missing, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from forecast.data.observations import COUNTRIES
from forecast.questions.forecaster import Forecaster
from forecast.report.build import (
    FORMATS,
    HEADLINE_BY,
    ReportStore,
    changes_section,
    headline_metrics,
    headline_section,
    parse_formats,
    race_section,
    render_report,
    report_due,
)

# Debian's package installs it as "chromium"; $CHROMIUM points elsewhere if needed.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "chromium"
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


@pytest.fixture
def private_store(quick_run, tmp_path):
    """A copy of the session's store: tests that add runs or snapshots leave the shared one be."""
    from forecast.store.runs import RunStore

    store, result = quick_run
    home = tmp_path / "private-home"
    shutil.copytree(store.home, home, ignore=shutil.ignore_patterns("reports", "tmp"))
    return RunStore(home), result


@pytest.fixture(scope="session")
def rendered(quick_run, tmp_path_factory):
    """One report of the session's quick run, in all three formats, in its own report store."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        require(False, "WeasyPrint with the Pango libraries")
    store, result = quick_run
    reports = ReportStore(tmp_path_factory.mktemp("report-home"))
    report = render_report(result.run_id, store=store, reports=reports, previous=None, log=quiet)
    return store, reports, report


# -- numbers -------------------------------------------------------------------------------------
def test_headline_numbers_equal_the_library(rendered, forecaster):
    _, _, report = rendered
    headline = report.payload["headline"]
    scenarios = list(forecaster.scenarios)
    assert headline["by_dates"] == list(HEADLINE_BY)
    assert len(headline["rows"]) == len(scenarios) * len(COUNTRIES)
    for row in headline["rows"]:
        code, scenario = row["country"], row["scenario"]
        for entry in row["p_by"]:
            answer = forecaster.probability(code, entry["by"], scenario)
            assert (entry["p"], entry["mcse"]) == (answer["p"], answer["mcse"])
        arrival = forecaster.arrival(code, scenario, quantiles=(0.1, 0.5, 0.9), cdf=False)
        assert [row["interval"]["lower"], row["median"], row["interval"]["upper"]] == arrival[
            "quantiles"
        ]
        assert row["interval"]["prob"] == 0.8
        assert row["p_later"] == arrival["p_later"]
    for race in report.payload["race"]:
        answer = forecaster.race(race["scenario"], quantiles=(0.1, 0.5, 0.9))
        for key in ("p_cn_first", "p_us_first", "p_neither_by_horizon"):
            assert race[key] == answer[key]
        assert race["gap_median"] == answer["gap_quantiles"][1]


def test_figure_numbers_equal_the_library(rendered, forecaster):
    _, _, report = rendered
    figs = {f["name"]: f["data"] for f in report.payload["figures"]}
    assert set(figs) == {"trajectories", "arrival", "race", "compute_stock", "prior_posterior"}
    for name, quantity in (
        ("trajectories", "frontier_eci"),
        ("compute_stock", "compute_stock_h100e"),
    ):
        data = figs[name]
        for when in ("2024-01-01", "2030-01-01"):
            k = data["dates"].index(when)
            answer = forecaster.trajectory(quantity, "CN", [when])["points"][0]["quantiles"]
            by_q = {row["q"]: row["value"] for row in answer}
            for q, key in ((0.05, "q05"), (0.5, "q50"), (0.95, "q95")):
                assert data["countries"]["CN"][key][k] == pytest.approx(by_q[q], rel=2e-4)
    cdf = figs["arrival"]["countries"]["US"]["status_quo"]
    answer = forecaster.arrival("US", "status_quo", cdf=True)
    assert cdf["p"] == [c["p"] for c in answer["cdf"]]
    threshold = forecaster.projector.threshold_capability
    assert figs["trajectories"]["threshold_eci"]["q50"] == pytest.approx(np.median(threshold))
    shares = figs["race"]["scenarios"]["status_quo"]["shares"]
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert len(figs["compute_stock"]["events"]) > 10


def test_html_shows_the_numbers_and_is_self_contained(rendered):
    _, _, report = rendered
    html = report.files["html"].read_text()
    row = report.payload["headline"]["rows"][0]
    p = row["p_by"][1]
    assert f"{p['p']:.3f} ± {p['mcse']:.3f}" in html
    assert row["median"]["date"] in html
    assert report.payload["run"]["id"] in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 5
    for needle in ("<script", "<link", 'src="http', "url(http"):
        assert needle not in html
    for section in ("Headline forecast", "Diagnostics", "What changed", "Data appendix"):
        assert section in html
    assert "CC BY 4.0" in html and "2025-12-31" in html


def test_json_holds_the_same_numbers(rendered):
    _, _, report = rendered

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    data = json.loads(report.files["json"].read_text(), parse_constant=no_constants)
    assert data == json.loads(json.dumps(report.payload))
    assert data["diagnostics"]["max_rhat"] == report.payload["diagnostics"]["max_rhat"]
    assert data["changes"]["method"] == "first_report"
    assert {t["table"] for t in data["data"]["tables"]} >= {"models", "compute_stock"}


def test_report_store_layout_index_and_due(rendered):
    store, reports, report = rendered
    folder = reports.root / report.report_id
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"report.{f}" for f in FORMATS)
    rows = reports.list()
    assert [r["id"] for r in rows] == [report.report_id]
    assert rows[0]["run_id"] == report.run_id and rows[0]["formats"] == list(FORMATS)
    created = datetime.fromisoformat(report.created)
    later = report_due(store=store, reports=reports, now=created + timedelta(hours=1))
    assert not later.due and later.run_id == report.run_id
    week = report_due(store=store, reports=reports, now=created + timedelta(days=8))
    assert week.due
    empty = ReportStore(reports.home / "elsewhere")
    assert report_due(store=store, reports=empty).due
    # The index is rebuilt from disk when lost.
    reports.index_path.unlink()
    assert [r["id"] for r in reports.list()] == [report.report_id]


def test_pdf_renders_to_pages(rendered, tmp_path):
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    _, _, report = rendered
    pdf = report.files["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    assert all(p.stat().st_size > 2000 for p in pages)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Headline forecast" in text and report.run_id in text


def chromium_console(url: str, workdir: Path) -> dict:
    """Load ``url`` in headless Chromium over the DevTools protocol; collect console errors,
    uncaught exceptions and failed log entries, and count the images that loaded."""
    from websockets.sync.client import connect

    profile = workdir / "profile"
    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            assert proc.poll() is None, "chromium exited early"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        page = next(t for t in targets if t["type"] == "page")
        errors: list[str] = []
        with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            counter = iter(range(1, 10_000))

            def send(method: str, **params) -> int:
                n = next(counter)
                ws.send(json.dumps({"id": n, "method": method, "params": params}))
                return n

            def pump(until_id: int | None = None, until_event: str | None = None) -> dict:
                end = time.monotonic() + 30
                while time.monotonic() < end:
                    msg = json.loads(ws.recv(timeout=max(end - time.monotonic(), 0.1)))
                    method = msg.get("method")
                    if method == "Runtime.consoleAPICalled" and msg["params"]["type"] in (
                        "error",
                        "assert",
                    ):
                        errors.append(json.dumps(msg["params"]["args"])[:300])
                    elif method == "Runtime.exceptionThrown":
                        errors.append(msg["params"]["exceptionDetails"].get("text", "exception"))
                    elif method == "Log.entryAdded" and msg["params"]["entry"]["level"] == "error":
                        errors.append(msg["params"]["entry"].get("text", "")[:300])
                    if until_id is not None and msg.get("id") == until_id:
                        return msg
                    if until_event is not None and method == until_event:
                        return msg
                raise AssertionError(f"timed out waiting for {until_id or until_event}")

            for method in ("Page.enable", "Runtime.enable", "Log.enable"):
                pump(until_id=send(method))
            send("Page.navigate", url=url)
            pump(until_event="Page.loadEventFired")
            check = send(
                "Runtime.evaluate",
                expression="JSON.stringify({n: document.images.length, ok: Array.from("
                "document.images).filter(i => i.complete && i.naturalWidth > 0).length, "
                "title: document.title})",
                returnByValue=True,
            )
            result = json.loads(pump(until_id=check)["result"]["result"]["value"])
            time.sleep(0.3)  # let late console messages arrive
            try:
                pump(until_id=send("Runtime.evaluate", expression="1"))
            except AssertionError:
                pass
        return result | {"errors": errors}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_html_loads_in_chromium_without_console_errors(rendered, tmp_path):
    require(shutil.which(CHROMIUM) is not None, "chromium")
    pytest.importorskip("websockets")
    _, _, report = rendered
    result = chromium_console(report.files["html"].resolve().as_uri(), tmp_path)
    assert result["errors"] == []
    assert result["n"] == 5 and result["ok"] == 5  # every figure decoded and drawn
    assert "forecast report" in result["title"]


# -- command line ----------------------------------------------------------------------------------
def test_cli_writes_the_requested_files(private_store, tmp_path, monkeypatch, capsys):
    from forecast.cli.main import main

    store, result = private_store
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    out = tmp_path / "out"
    code = main(["report", "--run", result.run_id, "--out", str(out), "--format", "json", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["run_id"] == result.run_id
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]
    assert json.loads((out / "report.json").read_text())["run"]["id"] == result.run_id


def test_cli_errors_are_one_line(quick_run, tmp_path, monkeypatch, capsys):
    from forecast.cli.main import main

    store, _ = quick_run
    monkeypatch.setenv("FORECAST_HOME", str(store.home))
    assert main(["report", "--format", "html,docx", "--out", str(tmp_path)]) == 2
    assert "unknown format 'docx'" in capsys.readouterr().err
    assert main(["report", "--run", "no-such-run", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no run 'no-such-run'") and err.count("\n") == 1


def test_parse_formats():
    assert parse_formats(" PDF,html,pdf ") == ("pdf", "html")
    for bad in ("", "html,xml", ","):
        with pytest.raises(Exception, match="format"):
            parse_formats(bad)


# -- the change split ------------------------------------------------------------------------------
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


def split_for(store, reports, previous_run, current_run, refit="off", data_files=()):
    current = Forecaster.from_store(store, current_run)
    scenarios = list(current.scenarios)
    metrics = headline_metrics(
        headline_section(current, scenarios), race_section(current, scenarios)
    )
    previous = {"id": "previous-report", "run_id": previous_run, "created": "2026-01-01T00:00:00"}
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


def test_split_priors_only_puts_the_whole_change_on_priors(private_store, tmp_path):
    store, result = private_store
    skeptical = recorded_priors("skeptical")
    new = clone_run(
        store, result.run_id, "clone-priors", scale={"efficiency_rate": 1.2}, prior_set=skeptical
    )
    changes = split_for(store, ReportStore(tmp_path), result.run_id, new)
    assert changes["method"] == "priors_only"
    rows = {r["key"]: r for r in changes["rows"]}
    assert any(r["change"] for r in rows.values())
    for row in rows.values():
        assert row["from_data"] == 0.0
        assert row["from_priors"] == row["change"]
    key = "US/status_quo/p_by_2030-12-31"
    assert rows[key]["then"] == metrics_of(store, result.run_id)[key]["value"]
    assert rows[key]["now"] == metrics_of(store, new)[key]["value"]


def test_split_data_only_puts_the_whole_change_on_data(private_store, tmp_path):
    store, result = private_store
    new = clone_run(
        store, result.run_id, "clone-data", scale={"compute_elasticity": 1.3}, data_hash="0" * 64
    )
    changes = split_for(store, ReportStore(tmp_path), result.run_id, new)
    assert changes["method"] == "data_only"
    assert all(r["from_priors"] == 0.0 and r["from_data"] == r["change"] for r in changes["rows"])


def test_split_both_changed_uses_the_counterfactual(private_store, tmp_path):
    """Priors and data both changed: the cached counterfactual (p0, d1) splits the change."""
    from forecast.data import tables
    from forecast.store.runs import RunStore

    store, result = private_store
    extra = tmp_path / "hardware-extra.csv"
    extra.write_text(EXTRA_HARDWARE)
    d1 = tables.data_hash([extra])
    reports = ReportStore(tmp_path / "home")
    new = clone_run(
        store,
        result.run_id,
        "clone-both",
        scale={"efficiency_rate": 1.25},
        prior_set=recorded_priors("fast-efficiency"),
        data_hash=d1,
        extra_data=[extra.name],
    )
    # Without a cached counterfactual and with refits off, only the total is given.
    total_only = split_for(store, reports, result.run_id, new, refit="cached", data_files=[extra])
    assert total_only["method"] == "total_only"
    assert all(r["from_data"] is None for r in total_only["rows"])
    # Plant the counterfactual (previous priors, current data, current sampler settings).
    middle = clone_run(
        store,
        result.run_id,
        "counterfactual",
        target=RunStore(reports.counterfactual_home),
        scale={"efficiency_rate": 1.1},
        data_hash=d1,
        extra_data=[extra.name],
    )
    changes = split_for(store, reports, result.run_id, new, refit="cached", data_files=[extra])
    assert changes["method"] == "p0_d1"
    assert changes["counterfactual"]["run_id"] == middle
    assert changes["counterfactual"]["how"] == "cached"
    assert "previous priors" in changes["summary"]
    expected = metrics_of(RunStore(reports.counterfactual_home), middle)
    for row in changes["rows"]:
        if row["change"] is None:
            continue
        assert row["from_data"] + row["from_priors"] == pytest.approx(row["change"], abs=2e-4)
        assert row["middle"] == expected[row["key"]]["value"]
        assert row["from_data"] == pytest.approx(row["middle"] - row["then"], abs=1e-4)
    assert any(abs(r["from_data"] or 0) > 0 for r in changes["rows"])
    assert any(abs(r["from_priors"] or 0) > 0 for r in changes["rows"])


def test_split_says_when_the_old_prior_file_is_gone(private_store, tmp_path):
    store, result = private_store
    gone = {"name": "default", "hash": "f" * 64, "path": "default.toml"}
    old = clone_run(store, result.run_id, "clone-old-priors", prior_set=gone, data_hash="1" * 64)
    changes = split_for(store, ReportStore(tmp_path), old, result.run_id, refit="off")
    assert changes["method"] == "total_only"
    assert any("no longer available" in n for n in changes["notes"])


def test_second_report_compares_with_the_first(rendered, tmp_path):
    """A stored report of the same run: 'same run', nothing changed; render json only."""
    store, _, first = rendered
    home = ReportStore(tmp_path / "home")
    render_report(
        first.run_id, store=store, reports=home, previous=None, formats=("json",), log=quiet
    )
    later = datetime.now(UTC) + timedelta(seconds=5)
    second = render_report(
        first.run_id, store=store, reports=home, formats=("json",), now=later, log=quiet
    )
    changes = second.payload["changes"]
    assert changes["method"] == "same_run"
    assert all(r["change"] == 0 for r in changes["rows"] if r["change"] is not None)
    assert home.list()[0]["id"] == second.report_id


# -- real refits (slow) -----------------------------------------------------------------------
@pytest.mark.slow
def test_refit_split_with_a_data_change_the_model_ignores(private_store, tmp_path):
    """Run C changes both the priors and the data, but the new data row is a hardware row the
    model does not use: the refitted counterfactual (p0, d1) reproduces P, so the whole change
    must come out as the prior part and the data part as about zero."""
    from forecast.fit.sampling import QUICK, QUICK_GATE, fit

    store, result = private_store
    extra = tmp_path / "hardware-extra.csv"
    extra.write_text(EXTRA_HARDWARE)
    current = fit(
        priors="fast-efficiency",
        extra=[extra],
        config=QUICK,
        store=store,
        gate=QUICK_GATE,
        progress=False,
        log=quiet,
        make_current=False,
    )
    reports = ReportStore(tmp_path / "home")
    changes = split_for(
        store, reports, result.run_id, current.run_id, refit="auto", data_files=[extra]
    )
    assert changes["method"] == "p0_d1"
    assert changes["counterfactual"]["how"] == "refitted"
    assert changes["counterfactual"]["prior_hash"] == result.meta["prior_set"]["hash"]
    assert changes["counterfactual"]["data_hash"] == current.meta["data_hash"]
    moved = [r for r in changes["rows"] if r["change"] is not None and abs(r["change"]) > 0.01]
    assert moved, "the prior sets should move the forecast"
    for row in changes["rows"]:
        if row["change"] is None:
            continue
        assert abs(row["from_data"]) <= max(3 * (row["from_data_mcse"] or 0), 1e-3)
        assert row["from_priors"] == pytest.approx(
            row["change"], abs=max(3 * (row["from_data_mcse"] or 0), 2e-3)
        )
    again = split_for(
        store, reports, result.run_id, current.run_id, refit="cached", data_files=[extra]
    )
    assert again["counterfactual"]["how"] == "cached"
    assert again["rows"] == changes["rows"]
