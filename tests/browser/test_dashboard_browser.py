"""The dashboard in a real browser: it loads cleanly, and what it shows is the API's answer.

Each test reads numbers off the rendered page and compares them with the API's JSON (read with
httpx from the same live server): dates exactly, probabilities and Monte Carlo errors to the
digits the page prints. Screenshots of each state are saved to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from forecast.core.definitions import COUNTRIES, REGISTRY

BY_DATES = ("2027-12-31", "2030-12-31", "2035-12-31")
MINUS = "\u2212"


# -- reading the page -------------------------------------------------------------------------
def ready(tab: Any, scenario: str = "status_quo", versus: str = "") -> None:
    """Wait until the page has drawn this selection."""
    tab.wait_for_selector(
        f'main[data-state="ready"][data-scenario="{scenario}"][data-versus="{versus}"]'
    )


def cell(tab: Any, where: str, key: str, col: str = "a") -> str:
    return tab.locator(f'{where} td[data-key="{key}"][data-col="{col}"]').inner_text().strip()


def number(text: str) -> float:
    return float(text.replace(MINUS, "-").replace("+", ""))


def split(text: str) -> tuple[str, str]:
    """``"0.810 ± 0.016"`` -> ``("0.810", "0.016")`` (units after the error are dropped)."""
    match = re.fullmatch(r"(\S+) ± (<?[0-9.]+)(?: yr)?", text)
    assert match, f"not 'value ± s.e.': {text!r}"
    return match.group(1), match.group(2)


def shown(text: str, value: float, digits: int) -> bool:
    """The page's rounded number is ``value`` to ``digits`` decimals."""
    return abs(number(text) - value) <= 0.5 * 10**-digits + 1e-9


def shown_se(text: str, mcse: float, digits: int) -> bool:
    """An MC error as printed: rounded, or ``<0.01`` when it rounds to zero."""
    if text.startswith("<"):
        return mcse < 0.5 * 10**-digits + 1e-12
    return shown(text, mcse, digits)


def check_estimate(text: str, estimate: dict[str, float], digits: int = 3) -> None:
    value, se = split(text)
    assert shown(value, estimate["p"], digits), (text, estimate)
    assert shown_se(se, estimate["mcse"], digits), (text, estimate)


def check_median(text: str, arrival: dict[str, Any]) -> None:
    median = next(q for q in arrival["quantiles"] if q["q"] == 0.5)
    if median["later"]:
        assert text == f"later than {arrival['horizon_end']}"
        return
    date, se = split(text)
    assert date == median["date"], (text, median)
    assert shown_se(se, median["mcse_years"], 2), (text, median)


def check_delta(text: str, delta: float, mcse: float, digits: int) -> None:
    value, se = split(text)
    assert shown(value, delta, digits), (text, delta)
    assert shown_se(se, mcse, digits), (text, mcse)


def check_headline(tab: Any, api: httpx.Client, scenario: str, run: str | None = None) -> None:
    """Headline column of a run and scenario equals the API's answers."""
    col = "a" if run is None else "b"
    for code in COUNTRIES:
        where = f"#headline-{code}"
        params = {"country": code, "scenario": scenario} | ({"run": run} if run else {})
        arrival = api.get("/v1/arrival", params=params).json()
        check_median(cell(tab, where, "median", col), arrival)
        check_estimate(cell(tab, where, "p-later", col), arrival["p_later"])
        low, high = (next(q for q in arrival["quantiles"] if q["q"] == x) for x in (0.1, 0.9))
        interval = cell(tab, where, "interval", col)
        for end in (low, high):
            assert (end["date"] or "later than") in interval, (interval, end)
        for by in BY_DATES:
            answer = api.get("/v1/probability", params=params | {"by": by}).json()
            check_estimate(cell(tab, where, f"p-{by[:4]}", col), answer)
    race = api.get("/v1/race", params={"scenario": scenario} | ({"run": run} if run else {})).json()
    for code, estimate in race_first(race).items():
        check_estimate(cell(tab, "#race-table", first_key(code), col), estimate)
    check_estimate(
        cell(tab, "#race-table", "p_neither_by_horizon", col), race["p_neither_by_horizon"]
    )
    pairs = race_pairs(race)
    assert tab.locator("table.race-pair").count() == len(pairs)
    for pair in pairs:
        where = f"#race-pair-{pair['first']}-{pair['second']}"
        for row in pair["p_gap_within"]:
            check_estimate(cell(tab, where, f"within-{row['years']:g}", col), row)


def first_key(code: str) -> str:
    """The race answer's two-country field of P(code first), e.g. ``p_cn_first``."""
    return f"p_{code.lower()}_first"


def race_first(race: dict[str, Any]) -> dict[str, dict[str, float]]:
    """P(each country first): ``p_first``, or the two-country fields if the API drops it."""
    if "p_first" in race:
        return {row["country"]: row for row in race["p_first"]}
    return {c: race[first_key(c)] for c in COUNTRIES if first_key(c) in race}


def race_pairs(race: dict[str, Any]) -> list[dict[str, Any]]:
    """The race's pairs, or the one pair of the two-country fields (gap = second - first)."""
    if "pairs" in race:
        return race["pairs"]
    first, second = (c for c in COUNTRIES if first_key(c) in race)
    return [{"first": first, "second": second, "p_gap_within": race["p_gap_within"]}]


# -- the tests --------------------------------------------------------------------------------
def test_page_loads_cleanly_and_shows_the_current_run(
    page: Any, live_server: Any, browser_store: Any, screenshot: Any
) -> None:
    tab, log = page
    tab.goto("/")
    ready(tab)
    tab.wait_for_selector('#history[data-state="ready"]')
    tab.wait_for_selector("#reports-note[data-available]")
    screenshot(tab, "dashboard-status_quo")
    log.check()  # no console error, no failed request, nothing from another origin

    assert tab.title() == "AI capability timelines: forecast dashboard"
    assert browser_store.current in tab.locator("#run-facts").inner_text()
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        check_headline(tab, api, "status_quo")
        threshold = api.get("/v1/dashboard/threshold").json()
    # the page draws the registry's countries, in its colours
    assert tab.locator("#headline-cards article.card").count() == len(COUNTRIES)
    for country in REGISTRY:
        swatch = tab.locator(f"#headline-{country.code} .swatch")
        drawn = swatch.evaluate("e => getComputedStyle(e).backgroundColor")
        red, green, blue = (int(country.colour[k : k + 2], 16) for k in (1, 3, 5))
        assert drawn == f"rgb({red}, {green}, {blue})", (country.code, drawn)
    # charts: one CDF and one fan chart per country, each an image with a text alternative
    charts = tab.locator("#country-charts svg.chart[role='img']")
    assert charts.count() == 2 * len(COUNTRIES)
    for k in range(charts.count()):
        label = charts.nth(k).get_attribute("aria-label") or ""
        assert len(label) > 60 and "±" in label, label
    # a table per chart, and one of the threshold band, per country
    assert tab.locator("#country-charts details table").count() == 3 * len(COUNTRIES)
    # the fan chart draws the API's threshold band; its table prints the same quantiles
    tab.locator(f"#charts-{COUNTRIES[0]} summary", has_text="threshold band").click()
    median = next(row for row in threshold["quantiles"] if row["q"] == 0.5)
    band = tab.locator(f"#charts-{COUNTRIES[0]} details", has_text="threshold band").inner_text()
    assert f"ECI {median['eci']:.1f} ± " in band
    # the run's facts and the links
    assert tab.locator("a[href='/v1/reports']").count() == 1
    credit = tab.locator(".credit").inner_text()
    assert "CC BY 4.0" in credit and "Epoch AI" in credit
    assert tab.locator("a[href='https://metr.org/time-horizons/']").count() == 1


def test_controls_are_labelled_and_work_from_the_keyboard(page: Any, screenshot: Any) -> None:
    tab, log = page
    tab.goto("/")
    ready(tab)
    for name in ("Scenario (A)", "Compare with (B)"):
        control = tab.get_by_label(name)
        assert control.evaluate("e => e.tagName") == "SELECT"
    assert tab.get_by_role("button", name="Show").count() == 1
    # keyboard only: focus the scenario, choose with the arrow key, Tab to the button, Enter
    tab.focus("#scenario")
    before = tab.eval_on_selector("#scenario", "e => e.value")
    tab.keyboard.press("ArrowDown")
    chosen = tab.eval_on_selector("#scenario", "e => e.value")
    assert chosen != before
    tab.keyboard.press("Tab")  # to "Compare with"
    tab.keyboard.press("Tab")  # to "Show"
    assert tab.evaluate("document.activeElement.id") == "show"
    tab.keyboard.press("Enter")
    ready(tab, chosen)
    assert f"scenario={chosen}" in tab.url
    log.check()


def test_switching_the_scenario_shows_the_api_numbers(
    page: Any, live_server: Any, screenshot: Any
) -> None:
    tab, log = page
    tab.goto("/")
    ready(tab)
    before = {code: cell(tab, f"#headline-{code}", "median") for code in COUNTRIES}
    tab.get_by_label("Scenario (A)").select_option("efficiency_shock")
    ready(tab, "efficiency_shock")
    screenshot(tab, "dashboard-efficiency_shock")
    after = {code: cell(tab, f"#headline-{code}", "median") for code in COUNTRIES}
    assert after != before  # a 0.5 OOM jump for both countries moves the medians
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        check_headline(tab, api, "efficiency_shock")
    assert "efficiency_shock" in tab.locator("#status").inner_text()
    log.check()


def test_comparing_two_scenarios_shows_the_api_differences(
    page: Any, live_server: Any, screenshot: Any
) -> None:
    tab, log = page
    tab.goto("/?scenario=tightened_controls")
    ready(tab, "tightened_controls")
    tab.get_by_label("Compare with (B)").select_option("scenario:status_quo")
    tab.get_by_role("button", name="Show").click()
    ready(tab, "tightened_controls", "scenario:status_quo")
    screenshot(tab, "dashboard-compare-scenarios")
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        check_headline(tab, api, "tightened_controls")
        for code in COUNTRIES:
            params = {"country": code, "scenario": "tightened_controls", "versus": "status_quo"}
            both = api.get("/v1/arrival", params=params).json()
            check_median(
                cell(tab, f"#headline-{code}", "median", "b"), both["answers"]["status_quo"]
            )
            shift = next(s for s in both["difference"]["quantile_shift"] if s["q"] == 0.5)
            if shift["delta_years"] is not None:
                check_delta(
                    cell(tab, f"#headline-{code}", "median", "diff"),
                    shift["delta_years"],
                    shift["mcse_years"],
                    2,
                )
            answer = api.get("/v1/probability", params=params | {"by": "2030-12-31"}).json()
            difference = answer["difference"]["p"]
            text = cell(tab, f"#headline-{code}", "p-2030", "diff")
            check_delta(text, difference["delta"], difference["mcse"], 3)
        race = api.get(
            "/v1/race", params={"scenario": "tightened_controls", "versus": "status_quo"}
        ).json()
    paired = race["difference"]
    deltas = {row["country"]: row for row in paired.get("p_first", [])} or {
        c: paired[first_key(c)] for c in COUNTRIES if first_key(c) in paired
    }
    assert deltas
    for code, delta in deltas.items():
        text = cell(tab, "#race-table", first_key(code), "diff")
        check_delta(text, delta["delta"], delta["mcse"], 3)
    # B is drawn (dashed) on the CDF and the fan chart
    for code in COUNTRIES:
        assert tab.locator(f"#charts-{code} svg[role='img'] path.line.b").count() == 2
    log.check()


def test_comparing_prior_sets_uses_the_other_run(
    page: Any, live_server: Any, browser_store: Any, screenshot: Any
) -> None:
    tab, log = page
    tab.goto("/")
    ready(tab)
    tab.get_by_label("Compare with (B)").select_option("priors:skeptical")
    ready(tab, "status_quo", "priors:skeptical")
    screenshot(tab, "dashboard-compare-priors")
    assert browser_store.skeptical in tab.locator("#run-facts").inner_text()
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        check_headline(tab, api, "status_quo", run=browser_store.skeptical)
        for code in COUNTRIES:
            a, b = (
                api.get("/v1/arrival", params={"country": code, "run": run}).json()
                for run in (browser_store.current, browser_store.skeptical)
            )
            qa, qb = (next(q for q in x["quantiles"] if q["q"] == 0.5) for x in (a, b))
            if qa["year"] is not None and qb["year"] is not None:
                se = (qa["mcse_years"] ** 2 + qb["mcse_years"] ** 2) ** 0.5
                check_delta(
                    cell(tab, f"#headline-{code}", "median", "diff"),
                    qa["year"] - qb["year"],
                    se,
                    2,
                )
    # a prior set without a passed run: the page says so and shows scenario A alone
    tab.get_by_label("Compare with (B)").select_option("priors:fast-efficiency")
    ready(tab, "status_quo", "")
    note = tab.locator("#comparison-note")
    assert note.is_visible()
    assert "No passed run of prior set “fast-efficiency”" in note.inner_text()
    assert tab.locator(f'#headline-{COUNTRIES[0]} td[data-col="b"]').count() == 0
    screenshot(tab, "dashboard-compare-priors-missing")
    log.check()


def test_run_history_says_what_changed(
    page: Any, live_server: Any, browser_store: Any, screenshot: Any
) -> None:
    tab, log = page
    tab.goto("/")
    ready(tab)
    tab.wait_for_selector('#history[data-state="ready"]')
    rows = tab.locator("#history-body tbody tr")
    assert rows.count() == 3
    assert [rows.nth(k).get_attribute("data-run") for k in range(3)] == [
        browser_store.failed,
        browser_store.skeptical,
        browser_store.current,
    ]
    failed = tab.locator(f'#history-body tr[data-run="{browser_store.failed}"]')
    assert "failed the diagnostics gate" in failed.locator('td[data-key="changes"]').inner_text()
    assert "prior set skeptical → default" in failed.locator('td[data-key="changes"]').inner_text()
    assert failed.locator('td[data-key="medians"]').inner_text() == "not served"
    newer = tab.locator(f'#history-body tr[data-run="{browser_store.skeptical}"]')
    changes = newer.locator('td[data-key="changes"]').inner_text()
    assert "prior set default → skeptical" in changes
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        for code in COUNTRIES:
            a, b = (
                api.get("/v1/arrival", params={"country": code, "q": 0.5, "run": run}).json()
                for run in (browser_store.skeptical, browser_store.current)
            )
            qa, qb = a["quantiles"][0], b["quantiles"][0]
            match = re.search(rf"{code} (\S+) ± (<?[0-9.]+) yr", changes)
            assert match, changes
            assert shown(match.group(1), qa["year"] - qb["year"], 2)
            se = (qa["mcse_years"] ** 2 + qb["mcse_years"] ** 2) ** 0.5
            assert shown_se(match.group(2), se, 2)
    first = tab.locator(f'#history-body tr[data-run="{browser_store.current}"]')
    assert "first passed run" in first.locator('td[data-key="changes"]').inner_text()
    assert "(current)" in first.inner_text()
    tab.locator("#history").scroll_into_view_if_needed()
    screenshot(tab, "dashboard-history")
    log.check()


def test_the_reports_link_degrades_gracefully(page: Any, live_server: Any) -> None:
    tab, log = page
    tab.goto("/")
    ready(tab)
    tab.wait_for_selector("#reports-note[data-available]")
    reports = httpx.get(f"{live_server.url}/v1/reports", timeout=30)
    note = tab.locator("#reports-note")
    if reports.status_code == 404:
        assert note.get_attribute("data-available") == "false"
        assert "404" in note.inner_text()
    else:
        assert note.get_attribute("data-available") == "true"
    log.check()


@pytest.mark.parametrize("versus", ["", "scenario:tightened_controls"])
def test_the_page_fits_a_laptop_screen(page: Any, versus: str) -> None:
    tab, log = page
    tab.set_viewport_size({"width": 1280, "height": 720})
    tab.goto(f"/?versus={versus}" if versus else "/")
    ready(tab, "status_quo", versus)
    # nothing wider than the window: no sideways scrolling of the page itself
    overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    # the headline tables are read whole, without scrolling sideways inside their cards
    hidden = tab.evaluate(
        "[...document.querySelectorAll('#headline .table-scroll')]"
        ".map(e => e.scrollWidth - e.clientWidth)"
    )
    assert hidden and max(hidden) <= 0, hidden
    font = tab.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 15
    log.check()


def test_a_store_without_a_run_is_explained(
    browser: Any, empty_server: Any, screenshot: Any
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    try:
        tab = context.new_page()
        script_errors: list[str] = []
        tab.on("pageerror", lambda exc: script_errors.append(str(exc)))
        tab.goto(f"{empty_server.url}/")
        tab.wait_for_selector('main[data-state="error"]', timeout=30_000)
        status = tab.locator("#status").inner_text()
        assert status.startswith("No current run yet.") and "forecast fit" in status
        assert tab.locator("#show").is_disabled()
        tab.wait_for_selector("#reports-note[data-available]", timeout=30_000)
        screenshot(tab, "dashboard-no-run")
        assert script_errors == []  # the 503 answers are expected; no script may break on them
    finally:
        context.close()
