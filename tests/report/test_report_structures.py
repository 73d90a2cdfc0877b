"""The report's model-structures section: every cell of its three tables equals the library's
answer (``forecast.questions.structures``), and the paragraph is written from the numbers."""

from __future__ import annotations

import html as htmllib
import json
import re

from forecast.core.definitions import MIXTURE, STRUCTURE_NAMES
from forecast.data.observations import COUNTRIES
from forecast.report.card import BLOCK, CARDS
from forecast.report.structures_section import (
    DISTINCT_SE,
    control_effect,
    distinguished,
    structures_section,
    structures_summary,
)

NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


# -- reading the rendered tables -------------------------------------------------------------------
def _section(report_html: str) -> str:
    return report_html.split('<section id="structures">', 1)[1].split("</section>", 1)[0]


def _table(part: str, css: str) -> str:
    return part.split(f'class="small {css}"', 1)[1].split("</table>", 1)[0]


def _rows(table: str) -> list[tuple[dict[str, str], list[str]]]:
    """Each body row's data attributes and its cells as text."""
    body = table.split("<tbody>", 1)[1]
    out = []
    for attrs, inner in re.findall(r"<tr([^>]*)>(.*?)</tr>", body, re.S):
        data = dict(re.findall(r'data-(\w+)="([^"]*)"', attrs))
        cells = [
            " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", c)).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", inner, re.S)
        ]
        out.append((data, cells))
    return out


def _signed(value, mcse, digits):
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" + ("" if mcse is None else f" ± {mcse:.{digits}f}")


def _pm(entry):
    return f"{entry['p']:.3f} ± {entry['mcse']:.3f}"


# -- the section against the library --------------------------------------------------------------
def test_rendered_report_shows_the_structures(rendered, forecaster):
    from forecast.questions.structures import race_sources, scenario_effects, structures

    _, _, report = rendered
    section = structures_section(forecaster)
    assert report.payload["structures"] == json.loads(json.dumps(section))
    part = _section(report.files["html"].read_text())
    assert section["summary"] in htmllib.unescape(part)

    # 1. the structures: one row each, in the run's order, every cell from structures(f)
    table = structures(forecaster)
    rows = _rows(_table(part, "structures-table"))
    assert [d["structure"] for d, _ in rows] == [s["structure"] for s in table["structures"]]
    assert {d["structure"] for d, _ in rows} == set(STRUCTURE_NAMES)
    assert abs(sum(s["weight"] for s in table["structures"]) - 1) < 1e-3
    for (_, cells), s in zip(rows, table["structures"], strict=True):
        loo = s["loo"]
        assert cells[0] == s["structure"]
        assert cells[1] == s["description"]
        assert cells[2] == f"{s['weight']:.3f}"
        assert cells[3].startswith(s["status"])
        lfo = s["lfo"]
        if lfo is None:
            assert cells[4:6] == ["n/a"] * 2
        else:
            assert cells[4] == f"{lfo['elpd_lfo']:.1f} ± {lfo['se']:.1f}"
            assert cells[5] == _signed(lfo["elpd_diff"], lfo["dse"], 1)
        assert cells[6] == ("n/a" if s["loo_weight"] is None else f"{s['loo_weight']:.3f}")
        if loo is None:
            assert cells[7:] == ["n/a"] * 4
        else:
            assert cells[7] == f"{loo['elpd_loo']:.1f} ± {loo['se']:.1f}"
            assert cells[8] == _signed(loo["elpd_diff"], loo["dse"], 1)
            assert cells[9] == f"{loo['pareto_k_max']:.2f}"
            assert cells[10] == f"{loo['n_pareto_k_above_0_7']} of {loo['n_observations']}"
    assert (table["note"] or table["method"]) and (table["note"] or "") in htmllib.unescape(part)

    # 2. every scenario x draw set (mixture and each structure), both countries
    effects = scenario_effects(forecaster)
    rows = _rows(_table(part, "structures-effects"))
    scenarios = [s for s in forecaster.scenarios if s != effects["versus"]]
    assert len(rows) == len(effects["rows"]) == len(scenarios) * (1 + len(STRUCTURE_NAMES))
    assert {d["structure"] for d, _ in rows} == {MIXTURE, *STRUCTURE_NAMES}
    for (data, cells), row in zip(rows, effects["rows"], strict=True):
        assert (data["scenario"], data["structure"]) == (row["scenario"], row["structure"])
        assert cells[1] == row["structure"] and cells[2] == f"{row['weight']:.3f}"
        by = {e["country"]: e for e in row["countries"]}
        medians = [
            "later"
            if by[c]["median_shift_years"] is None
            else _signed(by[c]["median_shift_years"], by[c]["median_shift_mcse"], 2)
            for c in COUNTRIES
        ]
        firsts = [
            _signed(by[c]["p_first_shift"], by[c]["p_first_shift_mcse"], 3) for c in COUNTRIES
        ]
        assert cells[3:] == medians + firsts, (row["scenario"], row["structure"])

    # 3. the race decomposition and P(first) under each structure
    race = race_sources(forecaster)
    sources = list(race["sources"])
    rows = _rows(_table(part, "structures-race"))
    assert len(rows) == len(COUNTRIES)
    for (data, cells), r in zip(rows, race["countries"], strict=True):
        assert data["country"] == cells[0] == r["country"]
        expected = [_pm(r["p_first"])] + [_pm(r["without"][s]) for s in sources]
        expected += [_pm(r["parameters_only"])]
        expected += [_signed(r["added_by"][s], None, 3) for s in sources]
        assert cells[1:] == expected
        # the Shapley split adds up to P(first) minus P(first | parameters only)
        total = r["p_first"]["p"] - r["parameters_only"]["p"]
        assert abs(sum(r["added_by"].values()) - total) < 2e-3
    rows = _rows(_table(part, "structures-race-by"))
    assert [d["structure"] for d, _ in rows] == [r["structure"] for r in race["by_structure"]]
    for (_, cells), r in zip(rows, race["by_structure"], strict=True):
        assert cells[1] == f"{r['weight']:.3f}"
        assert cells[2:] == [_pm(r["p_first"][c]) for c in COUNTRIES]
        answered = forecaster.for_structure(r["structure"]).race(None)["p_first"]
        assert {x["country"]: x["p"] for x in answered} == {
            c: r["p_first"][c]["p"] for c in COUNTRIES
        }


def test_the_card_blocks_of_the_structures_are_generated(forecaster):
    """README's structures and race_sources blocks are made by card.py from a run."""
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    names = {m.group(2) for m in BLOCK.finditer(readme)}
    assert {"structures", "race_sources"} <= names <= set(CARDS)
    text = CARDS["structures"](forecaster)
    assert all(f"| {name} |" in text for name in STRUCTURE_NAMES)
    assert f"run {forecaster.run.id}" in text and "Under tightened_controls" in text
    race = CARDS["race_sources"](forecaster)
    assert all(f"| {c} |" in race for c in COUNTRIES)


# -- the paragraph, from synthetic numbers (no fit) ----------------------------------------------
def _table_of(diffs: dict[str, tuple[float, float]], k_high: int = 0) -> dict:
    rows = []
    for i, (name, (diff, dse)) in enumerate(diffs.items()):
        rows.append(
            {
                "structure": name,
                "description": name,
                "equation": "",
                "weight": [0.7, 0.2, 0.1, 0.0][i],
                "status": "passed",
                "gate_failures": [],
                "loo": {
                    "elpd_loo": -380.0 + diff,
                    "se": 20.0,
                    "elpd_diff": diff,
                    "dse": dse,
                    "pareto_k_max": 0.9 if k_high else 0.4,
                    "n_pareto_k_above_0_7": k_high,
                    "n_observations": 150,
                },
            }
        )
    return {"method": "stacking", "blocks": [], "note": "n", "structures": rows}


def _effects(cn_shift: dict[str, float]) -> dict:
    def row(name, shift):
        return {
            "structure": name,
            "weight": 1.0,
            "scenario": "tightened_controls",
            "countries": [
                {"country": "US", "median_shift_years": 0.0, "median_shift_mcse": 0.01}
                | {"p_first_shift": 0.01, "p_first_shift_mcse": 0.002},
                {"country": "CN", "median_shift_years": shift, "median_shift_mcse": 0.02}
                | {"p_first_shift": -0.01, "p_first_shift_mcse": 0.002},
            ],
        }

    return {"versus": "status_quo", "rows": [row(n, s) for n, s in cn_shift.items()]}


RACE = {
    "countries": [
        {
            "country": "CN",
            "p_first": {"p": 0.06, "mcse": 0.004},
            "parameters_only": {"p": 0.0, "mcse": 0.0},
            "added_by": {"shocks": 0.036, "slope": 0.024},
        }
    ]
}
NAMES = STRUCTURE_NAMES[:4]


def test_the_paragraph_says_when_the_data_barely_tell_the_structures_apart():
    table = _table_of(dict(zip(NAMES, [(0.0, 0.0), (-1.0, 1.5), (-2.0, 1.5), (-0.5, 2.0)])))
    shifts = {MIXTURE: 0.1, NAMES[0]: 0.1, NAMES[1]: 0.4, NAMES[2]: 0.08, NAMES[3]: 0.1}
    text = structures_summary(table, _effects(shifts), RACE)
    assert "barely distinguish" in text and f"within {DISTINCT_SE:g} standard errors" in text
    assert f"{NAMES[1]} moves it most (+0.40 +/- 0.02 years)" in text
    assert f"{NAMES[2]} least (+0.08 +/- 0.02 years)" in text
    assert "depends on the structure assumed" in text and "do not settle" in text
    assert "the race shocks +0.036 and the slope random walk +0.024" in text and "0.060" in text
    # numbers, not words, carry the verdict: the largest difference is named with its se
    assert f"-2.0 +/- 1.5 ({NAMES[2]} against {NAMES[0]})" in text


def test_the_paragraph_says_when_the_data_do_tell_them_apart():
    apart = _table_of(dict(zip(NAMES, [(0.0, 0.0), (-9.0, 2.0), (-12.0, 3.0), (-7.0, 1.0)])))
    mixed = _table_of(dict(zip(NAMES, [(0.0, 0.0), (-9.0, 2.0), (-1.0, 3.0), (-7.0, 1.0)])), 2)
    agree = {MIXTURE: 0.1} | dict.fromkeys(NAMES, 0.1)
    one = structures_summary(apart, _effects(agree), RACE)
    two = structures_summary(mixed, _effects(agree), RACE)
    assert "tell the structures apart" in one and "barely" not in one
    assert "agree on it within Monte Carlo noise" in one
    assert f"cannot separate {NAMES[2]} from it" in two and "less reliable" in two
    assert distinguished([])["available"] is False
    # every branch carries the same numbers, so the README card can be checked token by token
    base = _table_of(dict(zip(NAMES, [(0.0, 0.0), (-1.0, 1.5), (-2.0, 1.5), (-0.5, 2.0)])))
    counts = {
        len(NUMBER.findall(structures_summary(t, _effects(agree), RACE)))
        for t in (apart, mixed, base)
    }
    assert len(counts) == 1


def test_the_export_control_effect_skips_a_median_beyond_the_horizon():
    shifts = {MIXTURE: 0.1, NAMES[0]: 0.1, NAMES[1]: None, NAMES[2]: 0.3, NAMES[3]: 0.05}
    effect = control_effect(_effects(shifts))
    assert effect is not None
    assert effect["most"]["structure"] == NAMES[2] and effect["least"]["structure"] == NAMES[3]
    assert effect["mixture"]["median_shift_years"] == 0.1
