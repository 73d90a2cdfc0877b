"""The dashboard's scenario builder, drivers and named-threshold panels in a real browser.

Each test works the page's controls the way a reader would (arrow keys on a slider, a choice in
a select, typing a value), waits until the builder has drawn the answer for exactly those
settings, and compares what the page prints with the API's JSON for the same ``lever=`` and
``threshold=`` parameters, read with httpx from the same live server: dates exactly, Monte
Carlo errors and probabilities to the digits the page prints. Every test saves a full-page
screenshot and checks that it is a real PNG of the page.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from forecast.core.definitions import COUNTRIES

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
LEVER = "additions_multiplier"
MINUS = "\u2212"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VIEWPORT = {"width": 1366, "height": 800}


# -- reading the page -------------------------------------------------------------------------
def builder_ready(tab: Any, pairs: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Wait until the builder shows an answer (for exactly these API parameters, if given) and
    return the parameters it asked the API with."""
    tab.wait_for_function(
        """(want) => {
            const b = document.getElementById("builder");
            if (!b || b.dataset.state !== "ready") return false;
            if (want === null) return true;
            const got = [...new URLSearchParams(b.dataset.query || "")];
            return JSON.stringify(got) === JSON.stringify(want);
        }""",
        arg=[list(p) for p in pairs] if pairs is not None else None,
    )
    return parse_qsl(tab.locator("#builder").get_attribute("data-query") or "")


def main_ready(tab: Any) -> None:
    tab.wait_for_selector('main[data-state="ready"]')


def builder_cell(tab: Any, code: str, key: str, col: str = "a") -> str:
    where = f'#builder-{code} td[data-key="{key}"][data-col="{col}"]'
    return tab.locator(where).inner_text().strip()


def split(text: str) -> tuple[str, str]:
    """``"2028-10-15 ± 0.02 yr"`` -> ``("2028-10-15", "0.02")``."""
    match = re.fullmatch(r"(\S+) ± (<?[0-9.]+)(?: yr)?", text)
    assert match, f"not 'value ± s.e.': {text!r}"
    return match.group(1), match.group(2)


def number(text: str) -> float:
    return float(text.replace(MINUS, "-").replace("+", ""))


def shown(text: str, value: float, digits: int) -> bool:
    return abs(number(text) - value) <= 0.5 * 10**-digits + 1e-9


def shown_se(text: str, mcse: float, digits: int) -> bool:
    if text.startswith("<"):
        return mcse < 0.5 * 10**-digits + 1e-12
    return shown(text, mcse, digits)


def check_quantile(text: str, row: dict[str, Any], horizon_end: str) -> None:
    """A quantile cell is the API's date ± its MC s.e. (or ``later than`` the horizon)."""
    if row["later"]:
        assert text == f"later than {horizon_end}", (text, row)
        return
    date, se = split(text)
    assert date == row["date"], (text, row)
    assert shown_se(se, row["mcse_years"], 2), (text, row)


def check_estimate(text: str, estimate: dict[str, float]) -> None:
    value, se = split(text)
    assert shown(value, estimate["p"], 3), (text, estimate)
    assert shown_se(se, estimate["mcse"], 3), (text, estimate)


def check_arrival_cells(tab: Any, code: str, arrival: dict[str, Any]) -> None:
    """Every quantile row and the 90% interval of a country's builder card."""
    rows = {row["q"]: row for row in arrival["quantiles"]}
    for q in QUANTILES:
        key = "median" if q == 0.5 else f"q-{q:g}"
        check_quantile(builder_cell(tab, code, key), rows[q], arrival["horizon_end"])
    interval = builder_cell(tab, code, "interval")
    for q in (0.05, 0.95):
        assert (rows[q]["date"] or "later than") in interval, (interval, rows[q])
    check_estimate(builder_cell(tab, code, "p-later"), arrival["p_later"])


def check_race(tab: Any, race: dict[str, Any]) -> None:
    for row in race["p_first"]:
        text = tab.locator(f'#builder-race td[data-key="first-{row["country"]}"][data-col="a"]')
        check_estimate(text.inner_text().strip(), row)


def api_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The builder's query as httpx parameters (``lever`` repeated)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key == "lever":
            out.setdefault("lever", []).append(value)
        else:
            out[key] = value
    return out


def save_screenshot(tab: Any, path: Path) -> None:
    """A full-page PNG: the signature, and a page-sized image (IHDR width and height)."""
    tab.screenshot(path=path, full_page=True)
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1000 and height >= 2000, (width, height)
    assert len(data) > 50_000, len(data)


def move_slider(tab: Any, selector: str, presses: int, key: str = "ArrowLeft") -> str:
    """Move a range input with the keyboard; returns its new value."""
    tab.focus(selector)
    for _ in range(presses):
        tab.keyboard.press(key)
    return tab.eval_on_selector(selector, "e => e.value")


def builder_controls(tab: Any) -> dict[str, str]:
    """Every control of the builder and its value."""
    return tab.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll(
            '#builder-form input:not([type=text]), #builder-form select')]
            .map((e) => [e.id, e.value]))"""
    )


def builder_numbers(tab: Any) -> list[str]:
    return tab.locator("#builder-results td").all_inner_texts()


# -- the tests --------------------------------------------------------------------------------
def test_a_lever_slider_moves_the_answers_to_the_api_numbers(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    tab, log = page
    code = COUNTRIES[-1]  # China: the export-control levers act on it
    tab.goto("/")
    main_ready(tab)
    builder_ready(tab, [])
    before = builder_cell(tab, code, "median")
    slider = f"#lever-{code}-{LEVER}"
    value = move_slider(tab, slider, 8)  # 1.00 -> 0.60 in steps of 0.05
    assert float(value) < 1.0
    assert tab.locator(f"{slider}-value").inner_text() == f"×{float(value):.2f}"
    start = tab.eval_on_selector("#builder-start", "e => e.value")
    lever = [f"{code}.{LEVER}={float(value):g}", f"start={start}"]
    pairs = builder_ready(tab, [("lever", lever[0]), ("lever", lever[1])])
    after = builder_cell(tab, code, "median")
    assert after != before, (before, after)  # 40% fewer chips move the median
    assert f"lever={code}.{LEVER}%3D" in tab.url  # the view is in the link
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        params = api_params(pairs) | {"q": list(QUANTILES)}
        assert params["lever"] == lever
        arrival = api.get("/v1/arrival", params=params | {"country": code}).json()
        race = api.get("/v1/race", params=api_params(pairs)).json()
        plain = api.get("/v1/arrival", params={"country": code, "q": list(QUANTILES)}).json()
    check_arrival_cells(tab, code, arrival)
    check_race(tab, race)
    # the "without the levers" column is the plain answer, and the chart draws both
    median = next(row for row in plain["quantiles"] if row["q"] == 0.5)
    check_quantile(builder_cell(tab, code, "median", "b"), median, plain["horizon_end"])
    assert tab.locator(f"#builder-{code} svg[role='img'] path.line.b").count() == 1
    label = tab.locator(f"#builder-{code} svg[role='img']").get_attribute("aria-label") or ""
    assert after in label and "±" in label
    assert arrival["scenario"] in tab.locator("#builder-status").inner_text()
    save_screenshot(tab, tmp_path / "builder-lever.png")
    log.check()


def test_a_named_threshold_shows_the_api_numbers(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    tab, log = page
    tab.goto("/")
    main_ready(tab)
    builder_ready(tab, [])
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        named = [t["name"] for t in api.get("/v1/thresholds").json()["thresholds"]]
        assert "work_week" in named
        offered = tab.eval_on_selector_all(
            "#builder-named option", "options => options.map((o) => o.value)"
        )
        assert offered == named  # every named threshold of the API, in its order
        tab.get_by_label("Threshold", exact=True).select_option("work_week")
        pairs = builder_ready(tab, [("threshold", "work_week")])
        assert "threshold=work_week" in tab.url
        for code in COUNTRIES:
            params = api_params(pairs) | {"country": code, "q": list(QUANTILES)}
            arrival = api.get("/v1/arrival", params=params).json()
            assert arrival["scenario"].endswith("threshold work_week")
            check_arrival_cells(tab, code, arrival)
        check_race(tab, api.get("/v1/race", params={"threshold": "work_week"}).json())
    save_screenshot(tab, tmp_path / "builder-threshold.png")
    log.check()


def test_the_copied_link_brings_back_the_same_view(
    page: Any, browser: Any, live_server: Any, tmp_path: Path
) -> None:
    tab, log = page
    code = COUNTRIES[-1]
    tab.goto("/")
    main_ready(tab)
    builder_ready(tab, [])
    # a custom threshold, a start date and two levers of two countries
    tab.get_by_label("Threshold", exact=True).select_option("custom")
    tab.get_by_label("Custom threshold kind").select_option("eci")
    tab.get_by_label(re.compile(r"^Custom value")).fill("165")
    tab.get_by_label("Levers start on").fill("2026-07-01")
    jump = move_slider(tab, f"#lever-{COUNTRIES[0]}-efficiency_jump_oom", 5, "ArrowRight")
    chips = move_slider(tab, f"#lever-{code}-{LEVER}", 6)
    # the API's parameters: countries in model order, the start date last
    want = [
        ("threshold", "eci:165"),
        ("lever", f"{COUNTRIES[0]}.efficiency_jump_oom={float(jump):g}"),
        ("lever", f"{code}.{LEVER}={float(chips):g}"),
        ("lever", "start=2026-07-01"),
    ]
    pairs = builder_ready(tab, want)
    tab.get_by_role("button", name="Copy link").click()
    link = tab.eval_on_selector("#builder-link", "e => e.value")
    assert link == tab.url and "#" in link
    controls = builder_controls(tab)
    numbers = builder_numbers(tab)
    assert controls["builder-threshold"] == "custom" and controls["builder-custom-value"] == "165"
    assert len(numbers) > 20 and all(n for n in numbers)
    log.check()

    # a fresh browser context (no state shared with the first page) opens the link
    context = browser.new_context(viewport=VIEWPORT)
    try:
        fresh = context.new_page()
        errors: list[str] = []
        fresh.on("pageerror", lambda exc: errors.append(str(exc)))
        fresh.goto(link)
        main_ready(fresh)
        assert builder_ready(fresh, pairs) == pairs
        assert builder_controls(fresh) == controls
        assert builder_numbers(fresh) == numbers
        assert fresh.locator("#builder-custom").is_visible()
        save_screenshot(fresh, tmp_path / "builder-link.png")
        assert errors == []
    finally:
        context.close()
    # and the numbers are the API's for those parameters
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        params = api_params(pairs) | {"country": code, "q": list(QUANTILES)}
        check_arrival_cells(tab, code, api.get("/v1/arrival", params=params).json())


def test_the_drivers_and_thresholds_panels_show_numbers_with_mc_errors(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    tab, log = page
    tab.goto("/")
    main_ready(tab)
    builder_ready(tab, [])
    tab.wait_for_selector('#drivers[data-state="ready"]')
    tab.wait_for_selector('#thresholds[data-state="ready"]')
    with httpx.Client(base_url=live_server.url, timeout=120) as api:
        named = api.get("/v1/thresholds").json()["thresholds"]
        for code in COUNTRIES:
            drivers = api.get("/v1/drivers", params={"country": code}).json()
            assert drivers["groups"]
            for group in drivers["groups"]:
                where = f'#drivers-{code} td[data-key="{group["group"]}"]'
                value, se = split(tab.locator(where).inner_text().strip())
                assert shown(value, group["share"], 3), (value, group)
                assert shown_se(se, group["mcse"], 3), (se, group)
            # one bar per group, each with its ± 2 MC s.e. whisker
            assert tab.locator(f"#drivers-{code} svg .share-err").count() == len(drivers["groups"])
        method = tab.locator("#drivers-method").inner_text()
        assert drivers["method"] in method and "Sobol" in method
        rows = tab.locator("#thresholds-table tbody tr")
        assert rows.count() == len(named)
        for threshold in named:
            for code in COUNTRIES:
                answer = api.get(
                    "/v1/arrival",
                    params={
                        "country": code,
                        "threshold": threshold["name"],
                        "q": [0.05, 0.5, 0.95],
                        "cdf": "false",
                    },
                ).json()
                lo, med, hi = answer["quantiles"]
                where = f'#thresholds-table td[data-key="{threshold["name"]}"][data-col="{code}"]'
                check_quantile(
                    tab.locator(f"{where} .median").inner_text().strip(),
                    med,
                    answer["horizon_end"],
                )
                interval = tab.locator(f"{where} .interval").inner_text()
                assert interval.startswith("90%: ")
                for end in (lo, hi):
                    assert (end["date"] or f"later than {answer['horizon_end']}") in interval
    assert "90% interval" in tab.locator("#thresholds > p.hint").inner_text()
    save_screenshot(tab, tmp_path / "builder-panels.png")
    log.check()


def test_the_prior_sensitivity_panel_shows_the_api_numbers(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    tab, log = page
    tab.goto("/")
    main_ready(tab)
    tab.wait_for_selector('#psense[data-state="ready"]', timeout=120_000)
    with httpx.Client(base_url=live_server.url, timeout=120) as api:
        answer = api.get("/v1/psense").json()
    rows = tab.locator("#psense tbody tr")
    assert 0 < rows.count() <= len(answer["priors"])
    for i, row in enumerate(answer["priors"][: rows.count()]):
        line = rows.nth(i)
        assert line.get_attribute("data-prior") == row["prior"]
        cells = [c.strip() for c in line.locator("td").all_inner_texts()]
        entries = [*(row["arrival"][code] for code in COUNTRIES), row["parameter"]]
        for text, entry in zip(cells, entries, strict=True):
            value, se = split(text.rstrip(" *"))
            assert shown(value, entry["sensitivity"], 3) and shown_se(se, entry["mcse"], 3)
            assert text.endswith("*") == entry["informative"]
    assert answer["method"] in tab.locator("#psense-method").inner_text()
    save_screenshot(tab, tmp_path / "psense-panel.png")
    log.check()


def test_an_invalid_custom_threshold_shows_the_api_words(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    tab, log = page
    tab.goto("/")
    main_ready(tab)
    builder_ready(tab, [])
    tab.get_by_label("Threshold", exact=True).select_option("custom")
    tab.get_by_label("Custom threshold kind").select_option("eci")
    tab.get_by_label(re.compile(r"^Custom value")).fill("20")
    tab.wait_for_function(
        """() => document.getElementById("builder").dataset.state === "error"
            && document.getElementById("builder-status").textContent.includes("HTTP 422")"""
    )
    status = tab.locator("#builder-status")
    with httpx.Client(base_url=live_server.url, timeout=60) as api:
        refused = api.get("/v1/arrival", params={"country": COUNTRIES[0], "threshold": "eci:20"})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "between 50 and 400" in detail
    assert detail in status.inner_text() and "422" in status.inner_text()
    assert "error" in (status.get_attribute("class") or "")
    assert tab.locator("#builder-results td").count() == 0  # no stale numbers left shown
    assert "threshold=eci%3A20" in tab.url
    save_screenshot(tab, tmp_path / "builder-invalid.png")
    # the page broke nothing: only the refused questions failed, with the API's 422
    assert not [e for e in log.errors if "status of 422" not in e], log.errors
    assert log.failures and all(f.endswith("HTTP 422") for f in log.failures), log.failures
    # a valid value brings the answers back
    tab.get_by_label(re.compile(r"^Custom value")).fill("170")
    builder_ready(tab, [("threshold", "eci:170")])
    assert "error" not in (status.get_attribute("class") or "")
    assert tab.locator("#builder-results td").count() > 0
