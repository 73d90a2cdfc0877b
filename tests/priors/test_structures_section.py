"""The optional ``[structures]`` section of a prior set: forms, errors, merging, round trip."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from priorfile_helpers import DEFAULT_TEXT, line_of, messages, write

from forecast.core.definitions import STRUCTURE_NAMES
from forecast.priors.priorset import PriorSet, load_prior_set, parse_prior_set
from forecast.priors.validate import normalise_weights

pytestmark = pytest.mark.fast

ALL = tuple(STRUCTURE_NAMES)
CHILD_HEAD = 'extends = "default"\n\n[meta]\nname = "child"\n'
INHERITED = {"holdout_years": 1.0}
"""What every set extending ``default`` inherits in ``[structures]``."""
WEIGHTS = (
    "[structures]\n"
    "weights = { global_efficiency = 0.5, compute_driven_progress = 0.3, diffusion = 0.1, "
    "deployment_compute = 0.1 }\n"
)


def child(folder: Path, body: str, name: str = "child", parent: str = "default") -> Path:
    """A set ``name`` extending ``parent`` (default.toml is copied into ``folder``)."""
    if not (folder / "default.toml").exists():
        write(folder, DEFAULT_TEXT)
    head = CHILD_HEAD.replace('"default"', f'"{parent}"').replace('"child"', f'"{name}"')
    return write(folder, head + "\n" + body, f"{name}.toml")


def round_trip(prior_set: PriorSet, folder: Path) -> PriorSet:
    """Write the resolved set to a file, load it back; it must be the same set."""
    text = prior_set.to_toml()
    path = write(folder, text, "snapshot.toml")
    back = load_prior_set(path)
    assert back.hash == prior_set.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert back.to_toml() == text
    assert back.structures == prior_set.structures
    assert back.settings == prior_set.settings and back.priors == prior_set.priors
    assert back.structure_plan() == prior_set.structure_plan()
    return back


# ------------------------------------------------------------------------------------------------
# valid forms
# ------------------------------------------------------------------------------------------------


def test_default_set_fits_every_structure_weighed_on_a_one_year_holdout() -> None:
    default = load_prior_set("default")
    assert default.structures == {"holdout_years": 1.0}
    assert default.structure_plan() == (ALL, None, None)
    assert "\n[structures]\nholdout_years = 1.0\n" in default.to_toml()
    assert default.to_dict()["structures"] == {"holdout_years": 1.0}


def test_holdout_years_is_inherited_and_can_be_switched_off(in_tmp: Path) -> None:
    inherited = load_prior_set(child(in_tmp, WEIGHTS))
    assert inherited.structures["holdout_years"] == 1.0
    off = load_prior_set(child(in_tmp, "[structures]\nholdout_years = 0\n", name="off"))
    assert off.structures == {"holdout_years": 0.0}
    assert "structures.holdout_years" in off.overridden
    round_trip(off, in_tmp)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("-1", "outside [0, 5]"),
        ("6.5", "outside [0, 5]"),
        ("nan", "outside [0, 5]"),
        ('"one"', "expected a number of years, got"),
        ("true", "expected a number of years, got"),
    ],
)
def test_bad_holdout_years_says_where_and_why(in_tmp: Path, value: str, fragment: str) -> None:
    path = child(in_tmp, f"[structures]\nholdout_years = {value}\n")
    text = " | ".join(messages(path))
    assert "structures.holdout_years" in text and fragment in text


def test_weights_round_trip(in_tmp: Path) -> None:
    prior_set = load_prior_set(child(in_tmp, WEIGHTS))
    weights = prior_set.structures["weights"]
    assert list(weights) == list(ALL)
    assert math.isclose(math.fsum(weights.values()), 1.0, abs_tol=1e-12)
    assert weights["global_efficiency"] == pytest.approx(0.5)
    assert prior_set.structure_plan() == (ALL, weights, None)
    assert "structures.weights" in prior_set.overridden
    assert prior_set.to_dict()["structures"] == {"weights": weights} | INHERITED
    assert "\n[structures]\nweights = { global_efficiency = 0.5" in prior_set.to_toml()
    round_trip(prior_set, in_tmp)


def test_weights_are_normalised_and_missing_fitted_ones_are_zero(in_tmp: Path) -> None:
    body = (
        "[structures]\nweights = { diffusion = 3, global_efficiency = 1 }\n"
        'fit = ["diffusion", "global_efficiency", "compute_driven_progress"]\n'
    )
    prior_set = load_prior_set(child(in_tmp, body))
    assert prior_set.structures["weights"] == {"global_efficiency": 0.25, "diffusion": 0.75}
    assert prior_set.structures["fit"] == [
        "global_efficiency",
        "compute_driven_progress",
        "diffusion",
    ]
    fit, weights, pin = prior_set.structure_plan()
    assert fit == ("global_efficiency", "compute_driven_progress", "diffusion")
    assert weights == {"global_efficiency": 0.25, "compute_driven_progress": 0.0, "diffusion": 0.75}
    assert pin is None
    round_trip(prior_set, in_tmp)


def test_pin_round_trips(in_tmp: Path) -> None:
    prior_set = load_prior_set(child(in_tmp, '[structures]\npin = "diffusion"\n'))
    assert prior_set.structures == {"pin": "diffusion"} | INHERITED
    assert prior_set.structure_plan() == (("diffusion",), {"diffusion": 1.0}, "diffusion")
    round_trip(prior_set, in_tmp)


def test_pin_within_fit(in_tmp: Path) -> None:
    body = '[structures]\npin = "diffusion"\nfit = ["global_efficiency", "diffusion"]\n'
    prior_set = load_prior_set(child(in_tmp, body))
    assert prior_set.structure_plan() == (("diffusion",), {"diffusion": 1.0}, "diffusion")
    round_trip(prior_set, in_tmp)


def test_fit_alone_round_trips(in_tmp: Path) -> None:
    body = '[structures]\nfit = ["diffusion", "global_efficiency"]   # a comment\n'
    prior_set = load_prior_set(child(in_tmp, body))
    assert prior_set.structures == {"fit": ["global_efficiency", "diffusion"]} | INHERITED
    assert prior_set.structure_plan() == (("global_efficiency", "diffusion"), None, None)
    round_trip(prior_set, in_tmp)


def test_complete_file_with_structures_round_trips(tmp_path: Path) -> None:
    text = DEFAULT_TEXT.replace("[structures]\n", WEIGHTS)
    prior_set = parse_prior_set(text, tmp_path / "default.toml")
    assert prior_set.structure_plan()[1] == pytest.approx(
        {
            "global_efficiency": 0.5,
            "compute_driven_progress": 0.3,
            "diffusion": 0.1,
            "deployment_compute": 0.1,
        }
    )
    round_trip(prior_set, tmp_path)
    assert prior_set.hash != load_prior_set("default").hash


# ------------------------------------------------------------------------------------------------
# extends: [structures] merges key by key, like [settings]
# ------------------------------------------------------------------------------------------------


def test_child_inherits_and_overrides_structures(in_tmp: Path) -> None:
    child(in_tmp, '[structures]\nfit = ["global_efficiency", "diffusion"]\n', name="mid")
    grandchild = load_prior_set(
        child(in_tmp, "[structures]\nweights = { diffusion = 1 }\n", name="leaf", parent="mid")
    )
    assert (
        grandchild.structures
        == {
            "weights": {"diffusion": 1.0},
            "fit": ["global_efficiency", "diffusion"],
        }
        | INHERITED
    )
    assert grandchild.structure_plan() == (
        ("global_efficiency", "diffusion"),
        {"global_efficiency": 0.0, "diffusion": 1.0},
        None,
    )
    assert "structures.weights" in grandchild.overridden
    assert "structures.fit" not in grandchild.overridden
    plain = load_prior_set(child(in_tmp, "", name="plain", parent="mid"))
    assert plain.structures == {"fit": ["global_efficiency", "diffusion"]} | INHERITED
    round_trip(grandchild, in_tmp)


def test_child_pin_replaces_parent_weights(in_tmp: Path) -> None:
    child(in_tmp, WEIGHTS, name="mid")
    leaf = load_prior_set(
        child(in_tmp, '[structures]\npin = "diffusion"\n', name="leaf", parent="mid")
    )
    assert leaf.structures == {"pin": "diffusion"} | INHERITED
    back = load_prior_set(
        child(in_tmp, "[structures]\nweights = { diffusion = 2 }\n", name="back", parent="leaf")
    )
    assert back.structures == {"weights": {"diffusion": 1.0}} | INHERITED


def test_inherited_error_names_the_parent_file(in_tmp: Path) -> None:
    child(in_tmp, '[structures]\nfit = ["global_efficiency", "diffusion"]\n', name="mid")
    path = child(in_tmp, '[structures]\npin = "deployment_compute"\n', name="leaf", parent="mid")
    text = path.read_text(encoding="utf-8")
    (msg,) = messages(path)
    assert msg.startswith(f"leaf.toml:{line_of(text, 'pin =')}: structures.pin: ")
    assert "'deployment_compute' is not among the structures to fit" in msg


# ------------------------------------------------------------------------------------------------
# errors: file, line, key, reason
# ------------------------------------------------------------------------------------------------

ERRORS = [
    pytest.param(
        '[structures]\npin = "diffusion"\nweights = { diffusion = 1 }\n',
        "pin =",
        "structures.pin",
        "pin and weights exclude each other",
        id="pin-and-weights",
    ),
    pytest.param(
        "[structures]\nweights = { diffusion = -1 }\n",
        "weights =",
        "structures.weights.diffusion",
        "cannot be negative, got -1",
        id="negative-weight",
    ),
    pytest.param(
        "[structures]\nweights = { diffusion = nan }\n",
        "weights =",
        "structures.weights.diffusion",
        "must be finite",
        id="nan-weight",
    ),
    pytest.param(
        "[structures]\nweights = { diffusion = inf }\n",
        "weights =",
        "structures.weights.diffusion",
        "must be finite",
        id="infinite-weight",
    ),
    pytest.param(
        '[structures]\nweights = { diffusion = "1" }\n',
        "weights =",
        "structures.weights.diffusion",
        "expected a number, got string '1'",
        id="string-weight",
    ),
    pytest.param(
        "[structures]\nweights = { diffusion = 0, global_efficiency = 0 }\n",
        "weights =",
        "structures.weights",
        "every weight is 0",
        id="all-zero",
    ),
    pytest.param(
        "[structures]\nweights = {}\n",
        "weights =",
        "structures.weights",
        "got an empty table",
        id="empty-weights",
    ),
    pytest.param(
        "[structures]\nweights = 1\n",
        "weights =",
        "structures.weights",
        "expected a table of structure name = weight",
        id="weights-not-a-table",
    ),
    pytest.param(
        "[structures]\nweights = { diffusoin = 1 }\n",
        "weights =",
        "structures.weights.diffusoin",
        "unknown structure; did you mean 'diffusion'? (known structures: " + ", ".join(ALL),
        id="unknown-weight-name",
    ),
    pytest.param(
        '[structures]\nfit = ["global_efficiency"]\nweights = { diffusion = 1 }\n',
        "weights =",
        "structures.weights.diffusion",
        "'diffusion' has a weight but is not among the structures to fit",
        id="weight-outside-fit",
    ),
    pytest.param(
        '[structures]\npin = "nope"\n',
        "pin =",
        "structures.pin",
        "unknown structure 'nope'; known structures: " + ", ".join(ALL),
        id="unknown-pin",
    ),
    pytest.param(
        "[structures]\npin = 3\n",
        "pin =",
        "structures.pin",
        "expected a structure name (a string), got integer 3",
        id="pin-not-a-string",
    ),
    pytest.param(
        '[structures]\npin = "diffusion"\nfit = ["global_efficiency"]\n',
        "pin =",
        "structures.pin",
        "'diffusion' is not among the structures to fit",
        id="pin-outside-fit",
    ),
    pytest.param(
        "[structures]\nfit = []\n",
        "fit =",
        "structures.fit",
        "expected a non-empty array of structure names",
        id="empty-fit",
    ),
    pytest.param(
        '[structures]\nfit = "diffusion"\n',
        "fit =",
        "structures.fit",
        "expected a non-empty array of structure names",
        id="fit-not-an-array",
    ),
    pytest.param(
        '[structures]\nfit = ["diffusion", "diffusion"]\n',
        "fit =",
        "structures.fit",
        "names diffusion more than once",
        id="repeated-fit",
    ),
    pytest.param(
        '[structures]\nfit = ["diffusion", "nope"]\n',
        "fit =",
        "structures.fit",
        "unknown structure 'nope'; known structures: " + ", ".join(ALL),
        id="unknown-fit",
    ),
    pytest.param(
        '[structures]\nfit = ["diffusion"]\nstacking = true\n',
        "stacking =",
        "structures.stacking",
        "unknown key (allowed: weights, pin, fit, holdout_years)",
        id="unknown-key",
    ),
    pytest.param(
        "structures = 1\n",
        "structures =",
        "structures",
        "expected a table ([structures]), got integer 1",
        id="not-a-table",
    ),
]


@pytest.mark.parametrize(("body", "needle", "key", "reason"), ERRORS)
def test_errors_name_file_line_and_key(
    in_tmp: Path, body: str, needle: str, key: str, reason: str
) -> None:
    if body.startswith("structures ="):  # a top-level key must come before [meta]
        path = write(in_tmp, body + CHILD_HEAD, "child.toml")
        write(in_tmp, DEFAULT_TEXT)
    else:
        path = child(in_tmp, body)
    text = path.read_text(encoding="utf-8")
    found = messages(path)
    assert len(found) == 1, found
    assert found[0].startswith(f"child.toml:{line_of(text, needle)}: {key}: "), found
    assert reason in found[0]


def test_every_problem_is_reported_at_once(in_tmp: Path) -> None:
    body = (
        '[structures]\npin = "nope"\nweights = { diffusion = -1, bogus = 1 }\nfit = []\nextra = 1\n'
    )
    found = messages(child(in_tmp, body))
    keys = [msg.split(": ")[1] for msg in found]
    assert sorted(keys) == sorted(
        [
            "structures.pin",
            "structures.pin",
            "structures.weights.diffusion",
            "structures.weights.bogus",
            "structures.fit",
            "structures.extra",
        ]
    )


def test_unknown_section_lists_structures(in_tmp: Path) -> None:
    (msg,) = messages(child(in_tmp, '[structure]\npin = "diffusion"\n'))
    assert "structure: unknown section; did you mean 'structures'?" in msg


# ------------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------------

weight = st.one_of(
    st.floats(min_value=0, max_value=1e308, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=10**12),
)
weights_dicts = st.dictionaries(st.sampled_from(ALL), weight, min_size=1).filter(
    lambda d: any(v > 0 for v in d.values())
)


@settings(max_examples=300, deadline=None)
@given(weights=weights_dicts)
def test_any_valid_weights_normalise_to_one(weights: dict[str, float]) -> None:
    normalised = normalise_weights(weights)
    assert set(normalised) == set(weights)
    assert abs(math.fsum(normalised.values()) - 1.0) <= 1e-12
    assert all(v >= 0 for v in normalised.values())
    assert normalise_weights(normalised) == normalised  # idempotent: a snapshot keeps its hash


@settings(max_examples=40, deadline=None)
@given(weights=weights_dicts)
def test_any_valid_weights_load_and_round_trip(
    tmp_path_factory: pytest.TempPathFactory, weights: dict[str, float]
) -> None:
    folder = tmp_path_factory.mktemp("weights")
    items = ", ".join(f"{k} = {v!r}" for k, v in weights.items())
    prior_set = load_prior_set(child(folder, f"[structures]\nweights = {{ {items} }}\n"))
    stored = prior_set.structures["weights"]
    assert abs(math.fsum(stored.values()) - 1.0) <= 1e-12
    assert list(stored) == [name for name in ALL if name in weights]
    round_trip(prior_set, folder)
