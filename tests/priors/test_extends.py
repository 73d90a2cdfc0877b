"""Prior sets that extend another: resolution, overrides, errors, the resolved hash and snapshot."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from priorfile_helpers import BUNDLED, DEFAULT_TEXT, SETS, edit, line_of, messages, write

from forecast.cli.priors_check import cli_check
from forecast.core.definitions import MODEL_TYPE, MODEL_VERSION
from forecast.priors.priorset import (
    PriorSet,
    load_prior_set,
    parse_prior_set,
)
from forecast.store.runs import PRIORS_FILE, RunStore

pytestmark = pytest.mark.fast

BEFORE = Path(__file__).with_name("bundled_sets_before_extends.json")
"""The three bundled sets as complete files resolved (git HEAD before they used ``extends``)."""

CHILD_HEAD = 'extends = "default"\n\n[meta]\nname = "child"\n'
EFFICIENCY = """
[priors.efficiency_rate]
dist = "lognormal"
interval = [0.5, 1.2]
prob = 0.9
unit = "OOM/yr"
description = "faster"
source = "test"
"""


def child(folder: Path, body: str = "", name: str = "child", head: str = CHILD_HEAD) -> Path:
    """A set ``name`` in ``folder`` (next to a copy of default.toml) with ``body`` after meta."""
    if not (folder / "default.toml").exists():
        write(folder, DEFAULT_TEXT)
    return write(folder, head.replace('"child"', f'"{name}"') + body, f"{name}.toml")


def as_plain(prior_set: PriorSet) -> dict:
    """The set as the JSON file ``BEFORE`` records it."""
    return {
        "name": prior_set.name,
        "description": prior_set.description,
        "settings": prior_set.settings,
        "priors": {
            key: {
                "dist": p.dist,
                "params": p.params,
                "interval": list(p.interval) if p.interval is not None else None,
                "prob": p.prob,
                "unit": p.unit,
                "source": p.source,
                "description": p.description,
            }
            for key, p in prior_set.priors.items()
        },
    }


# ------------------------------------------------------------------------------------------------
# the bundled sets
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [s for s in SETS if s != "default"])
def test_bundled_children_keep_their_statements_and_inherit_the_rest(name: str) -> None:
    """The children were complete files before ``extends``; what each states for itself is what
    it stated then (``BEFORE``), and everything else is exactly the default set's today."""
    before = json.loads(BEFORE.read_text(encoding="utf-8"))[name]
    resolved, default = as_plain(load_prior_set(name)), as_plain(load_prior_set("default"))
    own = {k.split(".", 1)[1] for k in load_prior_set(name).overridden if "." in k}
    for key, entry in resolved["priors"].items():
        assert entry == (before["priors"][key] if key in own else default["priors"][key]), key
    for key, value in resolved["settings"].items():
        assert value == (before["settings"][key] if key in own else default["settings"][key])
    assert resolved["description"] == before["description"]


def test_bundled_children_name_their_parent_and_overrides() -> None:
    default, fast, skeptical = (load_prior_set(name) for name in SETS)
    assert default.extends is None and default.parents == () and default.overridden == ()
    assert fast.extends == skeptical.extends == "default"
    assert fast.lineage == ("fast-efficiency", "default") and fast.parents == ("default",)
    assert fast.overridden == ("meta.description", "priors.efficiency_rate")
    assert {k for k in skeptical.overridden if k.startswith("priors.")} == {
        "priors.efficiency_rate",
        "priors.stock_growth_longrun",
        "priors.stock_slowdown_years",
        "priors.threshold_horizon_minutes",
        "priors.capability_slope_volatility",
    }
    assert "extends" not in (BUNDLED / "default.toml").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------
# resolution
# ------------------------------------------------------------------------------------------------


def test_child_overrides_priors_settings_and_meta(in_tmp: Path) -> None:
    body = "\n[settings]\neci_record_step = 0.75\n" + EFFICIENCY
    path = child(in_tmp, body)
    parent, resolved = load_prior_set(in_tmp / "default.toml"), load_prior_set(path)
    assert resolved.name == "child" and resolved.description == parent.description
    assert resolved.settings == {**parent.settings, "eci_record_step": 0.75}
    changed = {k for k in resolved.priors if resolved[k] != parent[k]}
    assert changed == {"efficiency_rate"}
    assert resolved["efficiency_rate"].interval == (0.5, 1.2)
    assert resolved["efficiency_rate"].description == "faster"
    assert resolved.overridden == ("settings.eci_record_step", "priors.efficiency_rate")
    assert list(resolved.priors) == list(parent.priors)
    # a grandchild resolves through the chain
    grand = write(in_tmp, 'extends = "child"\n[meta]\nname = "grand"\n', "grand.toml")
    grandchild = load_prior_set(grand)
    assert grandchild.lineage == ("grand", "child", "default")
    assert grandchild.priors == resolved.priors and grandchild.settings == resolved.settings


def test_a_prior_table_replaces_the_whole_parent_table(in_tmp: Path) -> None:
    """No field-by-field merge: a child table without a source is missing its source."""
    body = '\n[priors.efficiency_rate]\ndist = "lognormal"\ninterval = [0.5, 1.2]\nprob = 0.9\n'
    path = child(in_tmp, body)
    text = path.read_text()
    header = line_of(text, "[priors.efficiency_rate]")
    assert messages(path) == [
        f"child.toml:{header}: priors.efficiency_rate.unit: missing (every prior states its "
        "unit; the model expects 'OOM/yr')",
        f"child.toml:{header}: priors.efficiency_rate.source: missing (every prior cites its "
        "source)",
        f"child.toml:{header}: priors.efficiency_rate.description: missing (every prior says "
        "what it means)",
    ]


def test_bad_key_in_child_names_the_child_file_and_line(in_tmp: Path) -> None:
    body = EFFICIENCY.replace("interval =", "intervall =") + "\n[settings]\nreference_yr = 2025\n"
    path = child(in_tmp, body)
    text = path.read_text()
    found = messages(path)
    assert (
        f"child.toml:{line_of(text, 'reference_yr')}: settings.reference_yr: unknown setting; "
        "did you mean 'reference_year'?"
    ) in found
    assert (
        f"child.toml:{line_of(text, 'intervall')}: priors.efficiency_rate.intervall: "
        "unknown field; did you mean 'interval'?"
    ) in found
    assert all(message.startswith("child.toml:") for message in found)


def test_an_inherited_value_in_conflict_is_located_in_its_own_file(in_tmp: Path) -> None:
    """The child moves reference_year past the parent's horizon: each message names its file."""
    path = child(in_tmp, "\n[settings]\nfit_start_year = 2030\n")
    assert messages(path) == [
        f"child.toml:{line_of(path.read_text(), 'fit_start_year')}: settings.fit_start_year: "
        "2030 must be below reference_year (2025)",
    ]
    path = child(in_tmp, "\n[settings]\nhorizon_end_year = 2025\n")
    assert messages(path) == [
        f"default.toml:{line_of(DEFAULT_TEXT, 'reference_year = ')}: settings.reference_year: "
        "2025 must be below horizon_end_year (2025)",
    ]


def test_unknown_parent_names_file_and_line(in_tmp: Path) -> None:
    path = child(in_tmp, head=CHILD_HEAD.replace('"default"', '"nope"'))
    assert messages(path) == [
        f"child.toml:{line_of(path.read_text(), 'extends')}: extends: unknown prior set 'nope' "
        "(no nope.toml next to this file; available: child, default)"
    ]
    path = child(in_tmp, head=CHILD_HEAD.replace('"default"', "3"))
    assert messages(path) == [
        'child.toml:1: extends: expected the name of a prior set, e.g. extends = "default", '
        "got integer 3"
    ]
    path = child(in_tmp, head=CHILD_HEAD.replace('"default"', '"scenarios"'))
    write(in_tmp, "[scenario.status_quo]\n", "scenarios.toml")
    assert "unknown prior set 'scenarios'" in messages(path)[0]


def test_cycles_are_errors_naming_the_chain(in_tmp: Path) -> None:
    write(in_tmp, 'extends = "b"\n[meta]\nname = "a"\n', "a.toml")
    write(in_tmp, '\nextends = "a"\n[meta]\nname = "b"\n', "b.toml")
    assert messages(in_tmp / "a.toml") == [
        "a.toml:1: extends: parent prior set 'b' has errors:",
        "b.toml:2: extends: prior sets extend each other in a cycle: a -> b -> a",
    ]
    write(in_tmp, 'extends = "self"\n[meta]\nname = "self"\n', "self.toml")
    assert messages(in_tmp / "self.toml") == [
        "self.toml:1: extends: prior sets extend each other in a cycle: self -> self"
    ]


def test_errors_in_the_parent_are_reported_with_the_parent_file(in_tmp: Path) -> None:
    bad = edit(DEFAULT_TEXT, "interval = [0.35, 1.6]", "interval = [1.6, 0.35]")
    write(in_tmp, bad)
    path = child(in_tmp)
    assert messages(path) == [
        "child.toml:1: extends: parent prior set 'default' has errors:",
        f"default.toml:{line_of(bad, 'interval = [1.6, 0.35]')}: "
        "priors.efficiency_rate.interval: lower bound 1.6 is above upper bound 0.35",
    ]


def test_extends_belongs_at_the_top_and_a_child_names_itself(in_tmp: Path) -> None:
    path = child(in_tmp, head='[meta]\nname = "child"\nextends = "default"\n')
    found = messages(path)
    assert any("meta.extends: unknown key" in m and "top-level key" in m for m in found)
    path = child(in_tmp, head='extends = "default"\n[meta]\ndescription = "x"\n')
    assert messages(path) == ["child.toml:2: meta.name: missing"]
    path = child(in_tmp, head='extends = "default"\n[meta]\nname = "other"\n')
    assert messages(path) == [
        "child.toml:3: meta.name: 'other' does not match the file name 'child.toml' "
        "(a prior set is found by its file name)"
    ]


def test_parse_prior_set_finds_the_parent_next_to_the_path(in_tmp: Path) -> None:
    write(in_tmp, DEFAULT_TEXT)
    resolved = parse_prior_set(CHILD_HEAD + EFFICIENCY, in_tmp / "child.toml")
    assert resolved.extends == "default" and resolved["efficiency_rate"].interval == (0.5, 1.2)


# ------------------------------------------------------------------------------------------------
# the hash of the resolved set
# ------------------------------------------------------------------------------------------------


def test_hash_is_of_the_resolved_set_not_the_child_file(in_tmp: Path) -> None:
    path = child(in_tmp, EFFICIENCY)
    first = load_prior_set(path)
    assert first.hash == hashlib.sha256(first.to_toml().encode("utf-8")).hexdigest()
    assert first.hash != hashlib.sha256(path.read_bytes()).hexdigest()
    # a parent change the child inherits changes the child's hash ...
    write(in_tmp, edit(DEFAULT_TEXT, "eci_record_step = 0.5", "eci_record_step = 0.6"))
    second = load_prior_set(path).hash
    assert second != first.hash
    # ... a parent change the child overrides, or a comment, does not
    text = edit(DEFAULT_TEXT, "eci_record_step = 0.5", "eci_record_step = 0.6")
    write(in_tmp, edit(text, "interval = [0.35, 1.6]", "interval = [0.3, 1.6]") + "# note\n")
    assert load_prior_set(path).hash == second


# ------------------------------------------------------------------------------------------------
# the resolved set as a file: to_toml, and the run folder's priors.toml
# ------------------------------------------------------------------------------------------------


def same_set(a: PriorSet, b: PriorSet) -> None:
    assert (a.name, a.description, a.hash, a.lineage) == (b.name, b.description, b.hash, b.lineage)
    assert a.priors == b.priors
    assert a.settings == b.settings


@pytest.mark.parametrize("name", SETS)
def test_to_toml_round_trips(name: str, tmp_path: Path) -> None:
    prior_set = load_prior_set(name)
    text = prior_set.to_toml()
    assert "extends" not in text
    back = parse_prior_set(text, tmp_path / "anything.toml")
    same_set(back, prior_set)
    assert back.to_toml() == text
    assert back.extends is None and back.overridden == ()


def test_a_run_folder_keeps_the_resolved_priors(tmp_path: Path) -> None:
    """The store writes priors.toml next to posterior.nc; it loads back as the run's priors."""
    prior_set = load_prior_set("skeptical")
    store = RunStore(tmp_path / "home")
    tree = xr.DataTree.from_dict(
        {"posterior": xr.Dataset({"x": (("chain", "draw"), np.zeros((1, 2)))})}
    )
    run_id = "20990101T000000-priors00"
    tree.attrs = {"id": run_id, "model_type": MODEL_TYPE, "model_version": MODEL_VERSION}
    meta = {
        "id": run_id,
        "model_type": MODEL_TYPE,
        "model_version": MODEL_VERSION,
        "created": "2099-01-01T00:00:00+00:00",
        "status": "failed",
        "prior_set": {"name": prior_set.name, "hash": prior_set.hash, "path": "skeptical.toml"},
        "data_hash": "0" * 64,
        "sampler": {"sampler": "fake"},
    }
    files = {PRIORS_FILE: prior_set.to_toml().encode("utf-8")}
    folder = store.save(tree, meta, make_current=False, files=files)
    assert sorted(p.name for p in folder.iterdir()) == ["meta.json", "posterior.nc", PRIORS_FILE]
    stored = folder / PRIORS_FILE
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == meta["prior_set"]["hash"]
    same_set(load_prior_set(stored), prior_set)
    assert store.load(run_id).meta["prior_set"]["hash"] == load_prior_set(stored).hash
    with pytest.raises(ValueError, match="plain extra file name"):
        store.save(tree, meta | {"id": "x"}, make_current=False, files={"../x": b""})


# ------------------------------------------------------------------------------------------------
# forecast priors check
# ------------------------------------------------------------------------------------------------


def test_show_marks_what_a_child_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_check(["fast-efficiency"], as_json=False, show=True) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("extends default; overrides 1 prior)")
    assert out[1].strip().startswith("resolved from fast-efficiency -> default")
    marked = [line for line in out if line.startswith(" *")]
    assert len(marked) == 1
    assert marked[0].startswith(" *efficiency_rate ") and marked[0].endswith("(overrides default)")
    plain = next(line for line in out if "stock_growth_longrun" in line)
    assert plain.startswith("  stock_growth_longrun") and "overrides" not in plain


def test_json_has_extends_and_overridden(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_check(["default", "skeptical"], as_json=True) == 0
    default, skeptical = json.loads(capsys.readouterr().out)["files"]
    assert default["extends"] is None and default["overridden"] == []
    assert skeptical["extends"] == "default" and skeptical["parents"] == ["default"]
    assert len([k for k in skeptical["overridden"] if k.startswith("priors.")]) == 5
    assert skeptical["hash"] == load_prior_set("skeptical").hash
