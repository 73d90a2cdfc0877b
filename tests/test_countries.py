"""Countries as data: a country is its data rows, its priors and a registry entry, nothing else.

The race maths is checked on closed-form arrivals (no fit). The end-to-end test builds a prior
folder with a third country (``EU``: a registry entry in ``countries.toml`` and, in every prior
set, a copy of China's per-country and per-follower priors), synthetic data rows for it (China's
models, ECI and METR rows rescaled), and runs the ``forecast`` command in a subprocess (the
registry is read at import) with ``FORECAST_PRIORS_DIR`` pointing there: a quick fit, then the
race and the third country's arrival.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forecast.core.definitions import PER_COUNTRY, PER_FOLLOWER
from forecast.questions.forecaster import first_indicators, gap_quantile_rows

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "forecast" / "data"
THIRD = "EU"
TEMPLATE = "CN"  # the country whose priors and rows the third country copies
METR_VALUES = ("p50_minutes", "p50_low", "p50_high", "p80_minutes", "p80_low", "p80_high")


# -- race maths on closed-form arrivals (no fit) ----------------------------------------------
@pytest.mark.fast
def test_first_indicators_are_disjoint_and_ties_count_for_nobody() -> None:
    inf = np.inf
    arrivals = {
        "A": np.array([2030.0, 2031.0, inf, 2030.0, inf, 2029.0]),
        "B": np.array([2031.0, 2030.0, inf, 2030.0, inf, inf]),
        "C": np.array([2032.0, 2035.0, 2040.0, 2031.0, inf, 2029.0]),
    }
    first = first_indicators(arrivals)
    assert first["A"].tolist() == [True, False, False, False, False, False]
    assert first["B"].tolist() == [False, True, False, False, False, False]
    assert first["C"].tolist() == [False, False, True, False, False, False]
    # draw 3: A and B tie for first, draw 5: A and C tie, draw 4: nobody arrives
    stacked = np.stack(list(first.values()))
    assert stacked.sum(axis=0).max() <= 1


@pytest.mark.fast
def test_first_indicators_of_one_country_is_its_arrival() -> None:
    first = first_indicators({"A": np.array([2030.0, np.inf])})
    assert first["A"].tolist() == [True, False]


@pytest.mark.fast
def test_gap_quantiles_name_the_country_that_never_arrives() -> None:
    gap = np.array([np.inf] * 8 + [-np.inf] * 8 + [1.0, 2.0, 3.0, 4.0] + [np.nan] * 3)
    rows = gap_quantile_rows(gap, "AA", "BB", 100.0, (0.05, 0.5, 0.95))
    assert rows[0]["side"] == "aa_never" and rows[0]["years"] is None
    assert rows[2]["side"] == "bb_never" and rows[2]["years"] is None
    finite = gap_quantile_rows(np.array([1.0, 2.0, 3.0]), "AA", "BB", 100.0, (0.5,))
    assert finite[0]["years"] == 2.0 and finite[0]["side"] is None


# -- a third country, end to end ---------------------------------------------------------------
def _blocks(text: str) -> dict[str, str]:
    """TOML table text by header name (a table runs to the next line starting with ``[``)."""
    out: dict[str, str] = {}
    name = None
    for line in text.splitlines(keepends=True):
        match = re.match(r"\[([^\]]+)\]\s*(#.*)?$", line.strip())
        if match:
            name = match.group(1)
            out[name] = ""
        if name is not None:
            out[name] += line
    return out


def _copy_rows(table: str, rename: Any, change: dict[str, Any], path: Path) -> Path:
    """China's rows of a bundled table, renamed and rescaled as the third country's, to a CSV."""
    with (DATA / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [row for row in reader if row["country"] == TEMPLATE]
    assert rows, f"no {TEMPLATE} rows in {table}"
    out = []
    for row in rows:
        new = dict(row, country=THIRD, model=rename(row["model"]))
        for column, fn in change.items():
            if row[column]:
                new[column] = repr(fn(float(row[column])))
        out.append(new)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(out)
    return path


def three_country_setup(root: Path) -> tuple[Path, list[Path]]:
    """A prior folder with a third country added, and its synthetic data files."""
    priors = root / "priors"
    shutil.copytree(REPO / "priors", priors)
    registry = priors / "countries.toml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + f"""
[country.{THIRD}]
name = "European Union"
colour = "#009E73"  # Okabe-Ito bluish green
reference = false
metr_suite = "v1.0"
# Its stock: a share of the "other" holder group (the chip-owner table has no EU group yet).
stock_holders = {{ other = 0.3 }}
""",
        encoding="utf-8",
    )
    bases = [*PER_COUNTRY, *PER_FOLLOWER]
    for path in priors.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        blocks = _blocks(text)
        if not any(name.startswith("priors.") for name in blocks):
            continue  # the registry and the scenarios
        extra = []
        for base in bases:  # a set that states the template's prior states the third's too
            block = blocks.get(f"priors.{base}_{TEMPLATE.lower()}")
            if block is not None:
                header = f"[priors.{base}_{THIRD.lower()}]"
                extra.append(re.sub(r"^\[[^\]]+\]", header, block, count=1))
        path.write_text(text.rstrip("\n") + "\n\n" + "".join(extra), encoding="utf-8")

    def rename(model: str) -> str:
        return f"{model} (synthetic {THIRD})"

    files = [
        _copy_rows("models", rename, {"training_flop": lambda x: 0.6 * x}, root / "models.csv"),
        _copy_rows(
            "capability_eci",
            rename,
            {"eci": lambda x: x - 2.0, "training_flop": lambda x: 0.6 * x},
            root / "eci.csv",
        ),
        _copy_rows(
            "capability_metr",
            rename,
            {column: (lambda x: 0.8 * x) for column in METR_VALUES},
            root / "metr.csv",
        ),
    ]
    return priors, files


def _forecast(env: dict[str, str], *args: str, timeout: float = 600) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "forecast.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.stdout.strip(), f"forecast {' '.join(args)}: no output\n{done.stderr[-3000:]}"
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"forecast {' '.join(args)}: not JSON\n{done.stdout[-2000:]}\n{done.stderr}")


@pytest.fixture(scope="module")
def three_countries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("three-countries")
    priors, files = three_country_setup(root)
    env = dict(os.environ)
    env["FORECAST_PRIORS_DIR"] = str(priors)
    env["FORECAST_HOME"] = str(root / "store")
    return {"root": root, "priors": priors, "files": files, "env": env}


@pytest.mark.slow  # one quick fit of a new model: ~2 min, most of it compiling
def test_a_third_country_is_fitted_and_answered(three_countries: dict[str, Any]) -> None:
    env, files = three_countries["env"], three_countries["files"]
    data = [arg for f in files for arg in ("--data", str(f))]
    fit = _forecast(env, "fit", "--quick", "--no-progress", "--json", *data)
    assert fit["status"] == "passed", fit["gate_failures"]
    assert fit["current"] is True
    # the third country's parameters are sampled (every per-country and per-follower one)
    names = set(fit["diagnostics"]["parameters"])
    for base in (*PER_COUNTRY, *PER_FOLLOWER):
        assert f"{base}_{THIRD.lower()}" in names, base

    race = _forecast(env, "ask", "race", "--json")
    codes = [row["country"] for row in race["p_first"]]
    assert codes == ["US", "CN", THIRD]
    total = sum(row["p"] for row in race["p_first"]) + race["p_neither_by_horizon"]["p"]
    se = np.sqrt(sum(row["mcse"] ** 2 for row in race["p_first"]))
    # ties (two countries crossing in the same instant) are measure zero; 4-decimal rounding
    assert abs(total - 1.0) <= max(3 * se, 1e-3), race
    pairs = [(p["first"], p["second"]) for p in race["pairs"]]
    assert pairs == [("US", "CN"), ("US", THIRD), ("CN", THIRD)]
    for pair in race["pairs"]:
        assert 0.0 <= pair["p_first_before_second"]["p"] <= 1.0
        assert len(pair["gap_quantiles"]) == 7
    # the legacy two-country fields are still there, and agree with the new ones
    us_cn = race["pairs"][0]
    assert race["gap_quantiles"] == us_cn["gap_quantiles"]
    assert race["p_cn_first"]["p"] == race["p_first"][1]["p"]

    arrival = _forecast(env, "ask", "arrival", "--country", THIRD, "--json")
    assert arrival["country"] == THIRD
    assert [q["q"] for q in arrival["quantiles"]] == [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    compare = _forecast(env, "ask", "race", "--versus", "efficiency_shock", "--json")
    assert [row["country"] for row in compare["difference"]["p_first"]] == codes


@pytest.mark.not_fast
def test_a_third_country_may_bring_its_own_chip_holder_rows(
    three_countries: dict[str, Any],
) -> None:
    """The data schema takes chip-holder groups from the registry: a country that lists its own
    group there may bring rows for it (and a group no country lists is still refused)."""
    root = three_countries["root"]
    registry = Path(three_countries["priors"]) / "countries.toml"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace("other = 0.3", "eu_cloud = 1.0"), encoding="utf-8")
    with (DATA / "compute_stock.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [
            dict(row, holder="eu_cloud", country=THIRD, h100e=repr(0.3 * float(row["h100e"])))
            for row in reader
            if row["holder"] == "other"
        ]
    path = root / "stock.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    try:
        report = _forecast(
            three_countries["env"], "data", "check", "--json", str(path), timeout=120
        )
        assert report["ok"], json.dumps(report)[:2000]
        registry.write_text(text, encoding="utf-8")  # EU no longer lists eu_cloud: refused
        refused = _forecast(
            three_countries["env"], "data", "check", "--json", str(path), timeout=120
        )
        assert not refused["ok"] and "eu_cloud" in json.dumps(refused)
    finally:
        registry.write_text(text, encoding="utf-8")
