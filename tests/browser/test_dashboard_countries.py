"""The dashboard of a three-country model: every country drawn, in the registry's colours.

The registry is read at import, so the three-country service runs in a subprocess
(``forecast serve``) with ``FORECAST_PRIORS_DIR`` pointing at the prior folder of
``tests/test_countries.py`` (a third country ``EU`` added as data) and a store holding a quick fit
of that model. The race answer over HTTP carries ``p_first`` and ``pairs`` only once the service's
response schema has them; until then the test also serves the library's full race answer (from
``forecast ask race --json``) to the page through a Playwright route, and checks both pages.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # one quick fit of the three-country model (~2 min)


def _countries_module() -> Any:
    name = "_forecast_three_country_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "test_countries.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _forecast(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "forecast.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def three_country_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    helpers = _countries_module()
    root = tmp_path_factory.mktemp("three-country-dashboard")
    priors, files = helpers.three_country_setup(root)
    env = dict(os.environ)
    env["FORECAST_PRIORS_DIR"] = str(priors)
    env["FORECAST_HOME"] = str(root / "store")
    data = [arg for f in files for arg in ("--data", str(f))]
    fit = _forecast(env, "fit", "--quick", "--no-progress", "--json", *data)
    assert fit["status"] == "passed", fit["gate_failures"]
    race = _forecast(env, "ask", "race", "--json")
    port = _free_port()
    log = (root / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "forecast.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/v1/runs/current", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (root / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the three-country server did not start"
            time.sleep(0.5)
        yield {"url": url, "race": race, "codes": [r["country"] for r in race["p_first"]]}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _open(browser: Any, url: str, race: dict[str, Any] | None) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=url)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    if race is not None:

        def full_race(route: Any) -> None:
            response = route.fetch()
            body = response.json()
            if body.get("question") == "race" and "p_first" not in body:
                body |= {"p_first": race["p_first"], "pairs": race["pairs"]}
            route.fulfill(response=response, json=body)

        tab.route("**/v1/race?**", full_race)
    tab.goto("/")
    tab.wait_for_selector('main[data-state="ready"]')
    return context, tab, errors


def test_every_country_is_drawn_in_its_colour(browser: Any, three_country_server: Any) -> None:
    codes = three_country_server["codes"]
    assert len(codes) == 3
    context, tab, errors = _open(browser, three_country_server["url"], None)
    try:
        assert tab.locator("#headline-cards article.card").count() == 3
        assert tab.locator("#country-charts svg.chart[role='img']").count() == 6
        for code in codes:
            assert tab.locator(f"#headline-{code}").count() == 1
            assert tab.locator(f"#charts-{code}").count() == 1
        swatch = tab.locator("#headline-EU .swatch")
        assert swatch.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 158, 115)"
        race = httpx.get(f"{three_country_server['url']}/v1/race", timeout=60).json()
        if "p_first" not in race:  # the service does not pass the new fields through yet
            assert "European Union" in tab.locator("#race-missing").inner_text()
        assert errors == []
    finally:
        context.close()


def test_the_race_shows_every_country_and_pair(browser: Any, three_country_server: Any) -> None:
    race = three_country_server["race"]
    context, tab, errors = _open(browser, three_country_server["url"], race)
    try:
        for row in race["p_first"]:
            key = f"p_{row['country'].lower()}_first"
            text = tab.locator(f'#race-table td[data-key="{key}"][data-col="a"]').inner_text()
            assert text.startswith(f"{row['p']:.3f} ± "), (key, text)
        assert tab.locator("#race-missing").count() == 0
        assert tab.locator("table.race-pair").count() == 3
        for pair in race["pairs"]:
            where = f"#race-pair-{pair['first']}-{pair['second']}"
            text = tab.locator(f'{where} td[data-key="before"][data-col="a"]').inner_text()
            assert text.startswith(f"{pair['p_first_before_second']['p']:.3f} ± "), text
        label = tab.locator("#race-body svg[role='img']").get_attribute("aria-label") or ""
        assert "European Union first" in label
        assert errors == []
    finally:
        context.close()
