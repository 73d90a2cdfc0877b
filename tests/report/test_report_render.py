"""Rendering: the HTML shows the numbers and is self-contained, the JSON holds the same numbers,
the PDF has pages, Chromium loads the page without console errors, and formats parse.

Browser and PDF checks need Debian's ``chromium`` and ``poppler-utils``: they are skipped where
those are missing, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS
from report_helpers import require
from websockets.sync.client import connect

from forecast.report.render import fmt_pm, fmt_signed, fmt_when, parse_formats


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
    profile = workdir / "profile"
    proc = subprocess.Popen(
        [
            CHROMIUM,
            *CHROMIUM_ARGS,
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
    require(CHROMIUM.is_file(), "chromium")
    _, _, report = rendered
    result = chromium_console(report.files["html"].resolve().as_uri(), tmp_path)
    assert result["errors"] == []
    assert result["n"] == 5 and result["ok"] == 5  # every figure decoded and drawn
    assert "forecast report" in result["title"]


@pytest.mark.fast
def test_parse_formats():
    assert parse_formats(" PDF,html,pdf ") == ("pdf", "html")
    for bad in ("", "html,xml", ","):
        with pytest.raises(Exception, match="format"):
            parse_formats(bad)


@pytest.mark.fast
def test_number_formats():
    assert fmt_pm({"p": 0.41234, "mcse": 0.0201}) == "0.412 ± 0.020"
    assert fmt_pm({"years": 2031.25}, 2) == "2031.25"
    assert fmt_pm(None) == "n/a"
    assert fmt_when({"later": True}, "2060-12-31") == "later than 2060-12-31"
    assert fmt_when({"later": True}, short=True) == "later"
    entry = {"later": False, "date": "2031-05-01", "mcse_years": 0.05}
    assert fmt_when(entry) == "2031-05-01 ± 0.05 yr"
    assert fmt_when(entry, short=True) == "2031-05-01 ± 0.05"
    assert fmt_signed(0.1234, 0.01) == "+0.123 ± 0.010"
    assert fmt_signed(None) == "n/a"
