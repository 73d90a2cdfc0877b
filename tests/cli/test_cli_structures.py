"""Model structures on the command line: ``forecast structures`` (the run's structures, the
scenario effects per structure, the race's sources), ``--structure`` and ``--by-structure`` on
``forecast ask``, ``forecast fit --structure``, and clear errors for structure names."""

from __future__ import annotations

import json
import math

import pytest

from forecast.cli.main import main
from forecast.cli.output import to_json
from forecast.core.definitions import (
    BASELINE_SCENARIO,
    DEFAULT_QUANTILES,
    MIXTURE,
    STRUCTURE_NAMES,
)

SHOWCASE = [
    "ask",
    "arrival",
    "--country",
    "CN",
    "--scenario",
    "tightened_controls",
    "--versus",
    "status_quo",
    "--by-structure",
]


def run_json(capsys, *argv: str):
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def run_text(capsys, *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


# -- forecast structures -----------------------------------------------------------------------
def test_structures_json_lists_every_structure_with_weights_summing_to_one(home, capsys):
    s = run_json(capsys, "structures")
    names = [r["structure"] for r in s["structures"]]
    assert names == list(STRUCTURE_NAMES)
    assert math.isclose(sum(r["weight"] for r in s["structures"]), 1.0, abs_tol=1e-3)
    assert all(r["description"] and r["equation"] for r in s["structures"])


def test_structures_text_is_a_table_of_weights(home, capsys):
    out = run_text(capsys, "structures")
    for name in STRUCTURE_NAMES:
        assert any(line.split()[:2] == [name, "0.250"] for line in out.splitlines())


def test_structures_effects_text_names_every_scenario(home, forecaster, capsys):
    out = run_text(capsys, "structures", "--effects")
    for name in forecaster.scenarios:
        assert name in out
    for name in (MIXTURE, *STRUCTURE_NAMES):
        assert name in out
    assert " yr" in out and "±" in out


def test_structures_effects_json_per_structure_and_scenario(home, capsys):
    e = run_json(capsys, "structures", "--effects", "--scenario", "tightened_controls")
    assert {r["scenario"] for r in e["rows"]} == {"tightened_controls"}
    assert [r["structure"] for r in e["rows"]] == [MIXTURE, *STRUCTURE_NAMES]
    cn = next(c for c in e["rows"][0]["countries"] if c["country"] == "CN")
    fields = {"median_shift_years", "median_shift_mcse", "p_first_shift", "p_first_shift_mcse"}
    assert fields <= set(cn)


def test_structures_race_sources(home, capsys):
    r = run_json(capsys, "structures", "--race")
    assert r["question"] == "race_sources"
    assert [s["structure"] for s in r["by_structure"]] == list(STRUCTURE_NAMES)
    out = run_text(capsys, "structures", "--race", "--scenario", "full_embargo")
    assert "scenario full_embargo" in out
    assert "P(CN first)" in out and "±" in out


def test_structures_refuses_an_unknown_scenario(home, capsys):
    assert main(["structures", "--effects", "--scenario", "no_such_scenario"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


# -- forecast ask --structure / --by-structure -------------------------------------------------
def test_structure_arrival_equals_the_librarys(home, forecaster, capsys):
    cli = run_json(capsys, "ask", "arrival", "--country", "CN", "--structure", "diffusion")
    lib = forecaster.for_structure("diffusion").arrival("CN", None, DEFAULT_QUANTILES, cdf=True)
    assert cli == json.loads(to_json(lib))
    assert cli["structure"] == "diffusion"
    mixed = run_json(capsys, "ask", "arrival", "--country", "CN")
    assert mixed["structure"] == MIXTURE
    assert mixed == run_json(capsys, "ask", "arrival", "--country", "CN", "--structure", MIXTURE)
    assert mixed["quantiles"] != cli["quantiles"]


def test_showcase_gives_every_structure_and_the_mixture(home, capsys):
    a = run_json(capsys, *SHOWCASE)
    assert a["structure"] == MIXTURE
    assert [r["structure"] for r in a["by_structure"]] == list(STRUCTURE_NAMES)
    assert math.isclose(sum(r["weight"] for r in a["by_structure"]), 1.0, abs_tol=1e-3)
    for entry in [a, *(r["answer"] for r in a["by_structure"])]:
        d = entry["difference"]
        median = next(s for s in d["quantile_shift"] if s["q"] == 0.5)
        assert {"delta_years", "mcse_years"} <= set(median)
        assert {"delta", "mcse"} <= set(d["p_first"])
        assert entry["scenario"] == "tightened_controls" and entry["versus"] == BASELINE_SCENARIO
    assert [r["answer"]["structure"] for r in a["by_structure"]] == list(STRUCTURE_NAMES)


def test_showcase_text_has_a_per_structure_summary(home, capsys):
    out = run_text(capsys, *SHOWCASE)
    assert "P(CN first) shift" in out and "median arrival shift" in out
    for name in STRUCTURE_NAMES:
        assert f"== {name} (weight 0.250) ==" in out


def test_by_structure_on_probability_and_race(home, capsys):
    by = ["--by", "2028-01-01", "--by-structure"]
    p = run_json(capsys, "ask", "probability", "--country", "US", *by)
    race = run_json(capsys, "ask", "race", "--by-structure")
    for answer in (p, race):
        assert answer["structure"] == MIXTURE
        rows = answer["by_structure"]
        assert [r["structure"] for r in rows] == list(STRUCTURE_NAMES)
        assert all(r["answer"]["structure"] == r["structure"] for r in rows)
    assert all({"p", "mcse"} <= set(r["answer"]) for r in p["by_structure"])
    assert all("p_first" in r["answer"] for r in race["by_structure"])
    out = run_text(capsys, "ask", "race", "--by-structure", "--structure", "diffusion")
    assert "structure: diffusion" in out
    assert all(name in out for name in STRUCTURE_NAMES)


def test_by_structure_under_options(home, capsys):
    a = run_json(
        capsys, "ask", "arrival", "--country", "CN", "--threshold", "eci:175", "--by-structure"
    )
    assert "options" in a
    assert all("options" in r["answer"] for r in a["by_structure"])


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.fast
@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "arrival", "--country", "CN", "--structure", "bogus"],
        ["ask", "race", "--structure", "bogus", "--by-structure"],
        ["fit", "--structure", "bogus"],
    ],
)
def test_unknown_structure_is_a_usage_error_naming_the_choices(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err
    assert all(name in err for name in STRUCTURE_NAMES)
    assert "Traceback" not in err


@pytest.mark.fast
def test_fit_passes_the_structures_to_fit(empty_home, capsys, monkeypatch):
    import forecast.fit.sampling as sampling

    seen = {}

    class Result:
        status = "passed"

        def summary(self):
            return {"run_id": "r1", "status": "passed", "gate_failures": []}

    def fake_fit(**kwargs):
        seen.update(kwargs)
        return Result()

    monkeypatch.setattr(sampling, "fit", fake_fit)
    argv = ["fit", "--quick", "--structure", "diffusion", "--structure", "global_efficiency"]
    assert main([*argv, "--structure", "diffusion"]) == 0
    assert seen["structures"] == ["diffusion", "global_efficiency"]
    capsys.readouterr()
    assert main(["fit", "--quick"]) == 0
    assert seen["structures"] is None


@pytest.mark.slow  # a real quick fit of one structure
def test_a_structure_the_run_did_not_fit_is_one_line(empty_home, capsys):
    assert main(["fit", "--quick", "--no-progress", "--structure", "diffusion"]) == 0
    capsys.readouterr()
    s = run_json(capsys, "structures")
    assert [r["structure"] for r in s["structures"]] == ["diffusion"]
    assert main(["ask", "arrival", "--country", "CN", "--structure", "global_efficiency"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ")
    assert "did not fit structure 'global_efficiency'" in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    a = run_json(capsys, "ask", "arrival", "--country", "CN", "--structure", "diffusion")
    assert a["structure"] == "diffusion"
