"""The dashboard's model-structures panel in a real browser: four structures with their weights,
and each scenario's effect per structure and mixed, as the library answers them."""

from __future__ import annotations

from typing import Any

import httpx

from forecast.core.definitions import MIXTURE, STRUCTURE_NAMES
from forecast.data.observations import COUNTRIES

MINUS = "\u2212"


def _panel_ready(tab: Any, scenario: str) -> None:
    tab.wait_for_selector(f'#structures[data-state="ready"][data-scenario="{scenario}"]')


def _signed(value: float | None, mcse: float | None, digits: int, unit: str, none: str) -> str:
    """The page's text of a shift: sign, value, ± MC s.e. (``<0.01`` when it rounds to 0)."""
    if value is None:
        return none
    text = f"{abs(value):.{digits}f}"
    if float(text) != 0:
        text = (MINUS if value < 0 else "+") + text
    step = 10**-digits
    se = f"<{step:.{digits}f}" if (mcse or 0) < step / 2 else f"{mcse:.{digits}f}"
    return f"{text} ± {se}{unit}"


def _effects_rows(tab: Any) -> list[tuple[str, str, list[str]]]:
    rows = tab.locator("#structures-effects tbody tr")
    out = []
    for k in range(rows.count()):
        row = rows.nth(k)
        cells = [t.strip() for t in row.locator("td").all_inner_texts()]
        out.append((row.get_attribute("data-scenario"), row.get_attribute("data-structure"), cells))
    return out


def _check_effects(tab: Any, answer: dict[str, Any]) -> None:
    shown = _effects_rows(tab)
    assert len(shown) == len(answer["effects"])
    for (scenario, structure, cells), row in zip(shown, answer["effects"], strict=True):
        assert (scenario, structure) == (row["scenario"], row["structure"])
        by = {e["country"]: e for e in row["countries"]}
        medians = [
            _signed(by[c]["median_shift_years"], by[c]["median_shift_mcse"], 2, " yr", "later")
            for c in COUNTRIES
        ]
        firsts = [
            _signed(by[c]["p_first_shift"], by[c]["p_first_shift_mcse"], 3, "", "n/a")
            for c in COUNTRIES
        ]
        assert cells[1:] == medians + firsts, (scenario, structure, cells)


def test_the_structures_panel_shows_four_structures_and_their_weights(
    page: Any, live_server: Any, browser_store: Any, screenshot: Any
) -> None:
    from forecast.questions.forecaster import Forecaster
    from forecast.questions.structures import scenario_effects, structures
    from forecast.store.runs import RunStore

    tab, log = page
    tab.goto("/")
    _panel_ready(tab, "status_quo")
    tab.locator("#structures").scroll_into_view_if_needed()
    screenshot(tab, "dashboard-structures")
    log.check()

    library = Forecaster.from_store(RunStore(browser_store.home), browser_store.current)
    table = structures(library)
    rows = tab.locator("#structures-table tbody tr")
    assert rows.count() == 4 == len(table["structures"])
    names = [rows.nth(k).get_attribute("data-structure") for k in range(4)]
    assert names == [s["structure"] for s in table["structures"]]
    assert set(names) == set(STRUCTURE_NAMES)
    weights = [rows.nth(k).locator("td.weight").inner_text().strip() for k in range(4)]
    assert weights == [f"{s['weight']:.3f}" for s in table["structures"]]
    assert abs(sum(float(w) for w in weights) - 1) < 2e-3
    for k, s in enumerate(table["structures"]):
        assert s["description"] in rows.nth(k).locator("th").inner_text()

    # under the status quo the panel lists every scenario, mixed and per structure
    with httpx.Client(base_url=live_server.url, timeout=120) as api:
        answer = api.get("/v1/dashboard/structures").json()
        effects = scenario_effects(library)
        assert answer["effects"] == effects["rows"]
        _check_effects(tab, answer)
        scenarios = {r["scenario"] for r in answer["effects"]}
        assert len(answer["effects"]) == len(scenarios) * (1 + len(STRUCTURE_NAMES))
        assert {r["structure"] for r in answer["effects"]} == {MIXTURE, *STRUCTURE_NAMES}

        # choosing a scenario narrows the table to it
        tab.select_option("#scenario", "tightened_controls")
        _panel_ready(tab, "tightened_controls")
        one = api.get("/v1/dashboard/structures", params={"scenario": "tightened_controls"})
        one = one.json()
    assert {r["scenario"] for r in one["effects"]} == {"tightened_controls"}
    assert len(one["effects"]) == 1 + len(STRUCTURE_NAMES)
    _check_effects(tab, one)
    screenshot(tab, "dashboard-structures-tightened_controls")
    log.check()
