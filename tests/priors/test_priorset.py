"""Prior sets: loading, validation messages (file, line, key, reason), settings and hashes."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from priorfile_helpers import BUNDLED, DEFAULT_TEXT, SETS, edit, line_of, messages, write

from forecast.core.errors import ForecastError
from forecast.priors.priorset import (
    PRIOR_SPECS,
    REQUIRED_PRIORS,
    REQUIRED_SETTINGS,
    SETTING_SPECS,
    Prior,
    PriorError,
    PriorSet,
    available_prior_sets,
    load_prior_set,
    parse_prior,
    parse_prior_set,
    priors_dir,
)

pytestmark = pytest.mark.fast


# ------------------------------------------------------------------------------------------------
# bundled sets
# ------------------------------------------------------------------------------------------------


def test_bundled_sets_are_available_and_load() -> None:
    assert priors_dir() == BUNDLED
    assert available_prior_sets() == sorted(SETS)
    for name in SETS:
        prior_set = load_prior_set(name)
        assert isinstance(prior_set, PriorSet)
        assert prior_set.name == name
        assert prior_set.path == BUNDLED / f"{name}.toml"
        assert tuple(prior_set.priors) == REQUIRED_PRIORS
        assert tuple(prior_set.settings) == REQUIRED_SETTINGS
        assert prior_set.hash == hashlib.sha256(prior_set.to_toml().encode()).hexdigest()
        for key, prior in prior_set.priors.items():
            assert prior.unit == PRIOR_SPECS[key].unit
            assert prior.source and prior.description
            assert prior.interval is not None and prior.prob == 0.9
            lo, hi = prior.stated_interval(0.9)
            assert lo == pytest.approx(prior.interval[0], rel=1e-6, abs=1e-12)
            assert hi == pytest.approx(prior.interval[1], rel=1e-6)


def test_load_by_path_equals_load_by_name() -> None:
    by_name = load_prior_set("default")
    by_path = load_prior_set(BUNDLED / "default.toml")
    by_str = load_prior_set(str(BUNDLED / "default.toml"))
    assert by_name.hash == by_path.hash == by_str.hash
    assert by_name.priors == by_path.priors


def test_settings_of_default() -> None:
    settings_ = load_prior_set("default").settings
    assert settings_["us_share_of_other_stock"] == 0.4
    assert settings_["cn_smuggled_weight"] == 1.0
    assert settings_["eci_record_step"] == 0.5
    assert settings_["compute_noise_confident"] == pytest.approx(math.log(3) / 1.645, rel=1e-3)
    assert settings_["compute_noise_likely"] == pytest.approx(math.log(10) / 1.645, rel=1e-3)
    assert settings_["compute_noise_speculative"] == pytest.approx(math.log(30) / 1.645, rel=1e-3)
    assert settings_["reference_year"] == 2025.0
    assert settings_["horizon_end_year"] == 2060.0
    assert settings_["grid_step_years"] == 0.25


def test_sets_differ_only_where_documented() -> None:
    default = load_prior_set("default")
    fast = load_prior_set("fast-efficiency")
    skeptical = load_prior_set("skeptical")
    assert fast.settings == default.settings == skeptical.settings

    changed_fast = {k for k in REQUIRED_PRIORS if fast[k].params != default[k].params}
    assert changed_fast == {"efficiency_rate"}
    d_lo, d_hi = default["efficiency_rate"].stated_interval()
    f_lo, f_hi = fast["efficiency_rate"].stated_interval()
    assert fast["efficiency_rate"].ppf(0.5) > default["efficiency_rate"].ppf(0.5)
    assert f_hi / f_lo < d_hi / d_lo  # narrower

    changed_skeptical = {k for k in REQUIRED_PRIORS if skeptical[k].params != default[k].params}
    assert changed_skeptical == {
        "efficiency_rate",
        "stock_growth_longrun",
        "stock_slowdown_years",
        "threshold_horizon_minutes",
        "capability_slope_volatility",
    }

    def median(prior_set: PriorSet, key: str) -> float:
        return float(prior_set[key].ppf(0.5))

    assert median(skeptical, "efficiency_rate") < median(default, "efficiency_rate")
    assert median(skeptical, "stock_slowdown_years") < median(default, "stock_slowdown_years")
    assert median(skeptical, "stock_growth_longrun") < median(default, "stock_growth_longrun")
    assert median(skeptical, "threshold_horizon_minutes") > median(
        default, "threshold_horizon_minutes"
    )
    assert median(skeptical, "capability_slope_volatility") > median(
        default, "capability_slope_volatility"
    )


def test_default_threshold_is_one_work_month() -> None:
    threshold = load_prior_set("default")["threshold_horizon_minutes"]
    assert float(threshold.ppf(0.5)) / 60 == pytest.approx(167, rel=0.01)


def test_prior_ppf_and_sample() -> None:
    prior = load_prior_set("default")["efficiency_rate"]
    assert prior.dist == "lognormal"
    assert set(prior.params) == {"mu", "sigma"}
    quantiles = prior.ppf([0.05, 0.5, 0.95])
    assert isinstance(quantiles, np.ndarray)
    assert np.all(np.diff(quantiles) > 0)
    assert quantiles[0] == pytest.approx(0.35) and quantiles[2] == pytest.approx(1.6)
    draws = prior.sample(np.random.default_rng(0), 20_000)
    assert draws.shape == (20_000,)
    assert np.all(draws > 0)
    assert np.mean((draws > 0.35) & (draws < 1.6)) == pytest.approx(0.9, abs=0.01)
    same = prior.sample(np.random.default_rng(0), (4, 5))
    assert same.shape == (4, 5)


def test_halfnormal_stated_interval_starts_at_zero() -> None:
    prior = load_prior_set("default")["stock_noise_us"]
    assert prior.dist == "halfnormal"
    lo, hi = prior.stated_interval(0.9)
    assert lo == 0.0 and hi == pytest.approx(0.6, rel=1e-9)


def test_getitem_unknown_key() -> None:
    with pytest.raises(KeyError, match="has no prior 'nope'"):
        load_prior_set("default")["nope"]


def test_unknown_set_name_lists_available() -> None:
    with pytest.raises(PriorError) as caught:
        load_prior_set("nope")
    assert isinstance(caught.value, ForecastError)
    assert str(caught.value).endswith(
        ": unknown prior set 'nope' (available: default, fast-efficiency, skeptical)"
    )
    with pytest.raises(PriorError, match="unknown prior set 'scenarios'"):
        load_prior_set("scenarios")


def test_priors_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, edit(DEFAULT_TEXT, 'name = "default"', 'name = "mine"'), "mine.toml")
    write(tmp_path, "[scenario.status_quo]\n", "scenarios.toml")
    monkeypatch.setenv("FORECAST_PRIORS_DIR", str(tmp_path))
    assert priors_dir() == tmp_path
    assert available_prior_sets() == ["mine"]
    assert load_prior_set("mine").name == "mine"


# ------------------------------------------------------------------------------------------------
# hash
# ------------------------------------------------------------------------------------------------


def test_hash_is_of_the_resolved_set(in_tmp: Path) -> None:
    """The hash follows what the set means (its resolved text), not comments or layout."""
    path = write(in_tmp, DEFAULT_TEXT)
    first = load_prior_set(path)
    assert first.hash == load_prior_set("default").hash
    assert first.hash == hashlib.sha256(first.to_toml().encode("utf-8")).hexdigest()
    write(in_tmp, DEFAULT_TEXT + "\n# a comment does not change the set\n")
    assert load_prior_set(path).hash == first.hash
    write(in_tmp, edit(DEFAULT_TEXT, "interval = [0.35, 1.6]", "interval = [0.35, 1.7]"))
    second = load_prior_set(path).hash
    assert second != first.hash
    write(in_tmp, edit(DEFAULT_TEXT, "eci_record_step = 0.5", "eci_record_step = 0.6"))
    third = load_prior_set(path).hash
    assert third not in (first.hash, second)
    write(in_tmp, edit(DEFAULT_TEXT, 'source = "Ho,', 'source = "Ho (2024),'))
    assert load_prior_set(path).hash not in (first.hash, second, third)


# ------------------------------------------------------------------------------------------------
# malformed prior files: exact messages
# ------------------------------------------------------------------------------------------------


def test_reversed_interval(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, "interval = [0.35, 1.6]", "interval = [1.5, 0.3]")
    line = line_of(text, "interval = [1.5, 0.3]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line}: priors.efficiency_rate.interval: "
        "lower bound 1.5 is above upper bound 0.3"
    ]


def test_unknown_prior_and_missing_required_prior(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, "[priors.stock_ar1]", "[priors.stock_arr1]")
    first_prior = line_of(text, "[priors.stock_additions_2025_us]")
    typo = line_of(text, "[priors.stock_arr1]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{first_prior}: priors.stock_ar1: missing required prior",
        f"default.toml:{typo}: priors.stock_arr1: unknown prior; did you mean 'stock_ar1'?",
    ]


def test_unknown_field_and_missing_source(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, 'source = "DESIGN section 3.6', 'sourc = "DESIGN section 3.6')
    header = line_of(text, "[priors.threshold_horizon_minutes]")
    field_line = line_of(text, "sourc =")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{header}: priors.threshold_horizon_minutes.source: "
        "missing (every prior cites its source)",
        f"default.toml:{field_line}: priors.threshold_horizon_minutes.sourc: "
        "unknown field; did you mean 'source'?",
    ]


def test_missing_unit(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, 'unit = "ECI/OOM"\n', "")
    header = line_of(text, "[priors.capability_per_oom]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{header}: priors.capability_per_oom.unit: "
        "missing (every prior states its unit; the model expects 'ECI/OOM')"
    ]


def test_wrong_unit(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, 'unit = "OOM/yr"', 'unit = "OOM/year"')
    line = line_of(text, 'unit = "OOM/year"')
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line}: priors.efficiency_rate.unit: "
        "'OOM/year' is not the model's unit for efficiency_rate ('OOM/yr')"
    ]


def test_prob_out_of_range_and_wrong_type(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, 'prob = 0.9\nunit = "ECI/OOM"', 'prob = 1.2\nunit = "ECI/OOM"')
    text = edit(text, 'prob = 0.9\nunit = "ECI"', 'prob = "0.9"\nunit = "ECI"')
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line_of(text, 'prob = 1.2')}: priors.capability_per_oom.prob: "
        "1.2 is not in (0, 1)",
        f"default.toml:{line_of(text, 'prob = "0.9"')}: priors.frontier_eci_2025.prob: "
        "expected a number, got string '0.9'",
    ]


def test_negative_scale_parameter(in_tmp: Path) -> None:
    old = 'dist = "halfnormal"\ninterval = [0, 0.6]\nprob = 0.9'
    text = edit(DEFAULT_TEXT, old, 'dist = "halfnormal"\nsigma = -0.5')
    line = line_of(text, "sigma = -0.5")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line}: priors.stock_noise_us.sigma: must be above 0, got -0.5"
    ]


def test_interval_and_parameters_at_once(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, "interval = [0.35, 1.6]", "interval = [0.35, 1.6]\nmu = 0.0")
    header = line_of(text, "[priors.efficiency_rate]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{header}: priors.efficiency_rate: "
        "states both an interval and parameters (mu); use one"
    ]


def test_unknown_distribution(in_tmp: Path) -> None:
    text = edit(
        DEFAULT_TEXT,
        'dist = "normal"\ninterval = [130, 160]',
        'dist = "cauchy"\ninterval = [130, 160]',
    )
    line = line_of(text, 'dist = "cauchy"')
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line}: priors.frontier_eci_2025.dist: unknown distribution 'cauchy' "
        "(allowed: normal, lognormal, halfnormal, beta, gamma, uniform)"
    ]


def test_interval_outside_the_support(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, "interval = [1.5, 6]", "interval = [0, 6]")
    text = edit(text, "interval = [0.1, 0.9]", "interval = [0.1, 1.5]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line_of(text, 'interval = [0.1, 1.5]')}: priors.stock_ar1.interval: "
        "beta needs 0 < lower < upper < 1 (its values lie in (0, 1)), got [0.1, 1.5]",
        f"default.toml:{line_of(text, 'interval = [0, 6]')}: "
        "priors.stock_slowdown_years.interval: "
        "lognormal needs a lower bound above 0 (its values are positive), got 0",
    ]


def test_halfnormal_interval_must_start_at_zero(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, "interval = [0, 1.5]", "interval = [0.2, 1.5]")
    line = line_of(text, "interval = [0.2, 1.5]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line}: priors.horizon_noise.interval: a halfnormal interval is "
        "[0, upper] (prob is the mass below upper), got lower bound 0.2"
    ]


def test_family_outside_the_parameter_domain(in_tmp: Path) -> None:
    old = 'dist = "halfnormal"\ninterval = [0, 0.8]'
    text = edit(DEFAULT_TEXT, old, 'dist = "normal"\ninterval = [0, 0.8]')
    line = line_of(text, 'dist = "normal"', after="[priors.stock_noise_cn]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line}: priors.stock_noise_cn.dist: normal allows negative values but "
        "stock_noise_cn must be positive (use lognormal, halfnormal, gamma, uniform)"
    ]


def test_uniform_needs_prob_one(in_tmp: Path) -> None:
    old = 'dist = "lognormal"\ninterval = [0.5, 2.0]'
    text = edit(DEFAULT_TEXT, old, 'dist = "uniform"\ninterval = [0.5, 2.0]')
    line = line_of(text, "prob = 0.9", after="[priors.compute_elasticity]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line}: priors.compute_elasticity.prob: a uniform prior's interval is its "
        "whole support: prob must be 1, got 0.9"
    ]


def test_beta_explicit_parameter_mismatch(in_tmp: Path) -> None:
    old = 'dist = "beta"\ninterval = [0.3, 0.9]\nprob = 0.9'
    text = edit(DEFAULT_TEXT, old, 'dist = "beta"\nalpha = 3.0\nmu = 0.5')
    header = line_of(text, "[priors.capability_slope_common_share]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{header}: priors.capability_slope_common_share.beta: "
        "missing (beta with explicit parameters needs alpha and beta)",
        f"default.toml:{line_of(text, 'mu = 0.5')}: priors.capability_slope_common_share.mu: "
        "not a parameter of beta (its parameters: alpha, beta)",
    ]


def test_settings_errors(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, "us_share_of_other_stock = 0.4", "us_share_of_other_stock = 1.4")
    text = edit(text, "\n[settings]\n", "\n[settings]\nfoo = 1\n")
    text = edit(text, "grid_step_years = 0.25", "grid_step = 0.25")
    text = edit(text, "horizon_end_year = 2060.0", "horizon_end_year = 2025.0")
    header = line_of(text, "[settings]", after="[meta]")
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{header}: settings.grid_step_years: missing required setting",
        f"default.toml:{header + 1}: settings.foo: unknown setting (allowed: "
        "us_share_of_other_stock, cn_smuggled_weight, eci_record_step, compute_noise_confident, "
        "compute_noise_likely, compute_noise_speculative, reference_year, fit_start_year, "
        "horizon_end_year, grid_step_years, stock_origin_year, record_warmup_years, "
        "horizon_fit_start_year, horizon_link_knot_eci, race_shock_persistence_years, "
        "regime_break_rate_per_year, regime_slowdown_share, regime_slowdown_factor, "
        "regime_acceleration_factor, "
        "chip_price_usd_per_h100e, "
        "chip_watts_per_h100e, chip_hardware_year, chip_price_performance_growth, "
        "chip_energy_efficiency_growth)",
        f"default.toml:{line_of(text, 'us_share_of_other_stock =')}: "
        "settings.us_share_of_other_stock: 1.4 is not in [0, 1]",
        f"default.toml:{line_of(text, 'reference_year =')}: settings.reference_year: "
        "2025 must be below horizon_end_year (2025)",
        f"default.toml:{line_of(text, 'grid_step = 0.25')}: settings.grid_step: unknown setting; "
        "did you mean 'grid_step_years'?",
    ]


def test_meta_errors(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, 'name = "default"', 'name = "other"\nextends = "default"')
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line_of(text, 'name = "other"')}: meta.name: 'other' does not match "
        "the file name 'default.toml' (a prior set is found by its file name)",
        f"default.toml:{line_of(text, 'extends =')}: meta.extends: unknown key (allowed: name, "
        'description) (extends is a top-level key: write extends = "default" above [meta])',
    ]


def test_unknown_section_and_toml_syntax_error(in_tmp: Path) -> None:
    text = DEFAULT_TEXT + "\n[extra]\nx = 1\n"
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line_of(text, '[extra]')}: extra: unknown section "
        "(allowed: meta, settings, structures, priors)"
    ]
    broken = edit(DEFAULT_TEXT, "prob = 0.9\n", "prob = 0.9 0.8\n")
    line = line_of(broken, "prob = 0.9 0.8")
    assert messages(write(in_tmp, broken)) == [
        f"default.toml:{line}: (syntax): invalid TOML: "
        "Expected newline or end of document after a statement (column 12)"
    ]


def test_missing_file_is_an_issue(in_tmp: Path) -> None:
    assert messages(in_tmp / "nowhere.toml") == ["nowhere.toml: prior set file not found"]


def test_all_errors_are_listed(in_tmp: Path) -> None:
    text = edit(DEFAULT_TEXT, "interval = [0.35, 1.6]", "interval = [1.5, 0.3]")
    text = edit(text, 'unit = "ECI/OOM"', 'unit = "ECI per OOM"')
    text = edit(text, "cn_smuggled_weight = 1.0", "cn_smuggled_weight = 3")
    text = edit(text, "[priors.horizon_offset_cn]", "[priors.horizon_ofset_cn]")
    text = edit(text, "interval = [0.3, 0.9]", "interval = [0.9, 0.9]")
    text = text + "\n[priors.made_up]\ndist = 'normal'\n"
    found = messages(write(in_tmp, text))
    assert len(found) == 7
    keys = [message.split(": ")[1] for message in found]
    assert keys == [
        "settings.cn_smuggled_weight",
        "priors.horizon_offset_cn",  # missing, reported at the first [priors.*] table
        "priors.efficiency_rate.interval",
        "priors.capability_per_oom.unit",
        "priors.horizon_ofset_cn",
        "priors.capability_slope_common_share.interval",
        "priors.made_up",
    ]
    lines = [int(message.split(":")[1]) for message in found]
    assert lines[2:] == sorted(lines[2:])
    # and the error's text lists them all, one per line
    with pytest.raises(PriorError) as caught:
        load_prior_set(in_tmp / "default.toml")
    assert str(caught.value).splitlines() == found


def test_dotted_and_quoted_keys_are_located(in_tmp: Path) -> None:
    """Line numbers also work for `[priors."x"]` headers and dotted keys under `[priors]`."""
    text = edit(DEFAULT_TEXT, "[priors.efficiency_rate]", '[priors."efficiency_rate"]')
    text = edit(text, "interval = [0.35, 1.6]", "interval = [1.6, 0.35]")
    start = text.index("[priors.efficiency_lag_cn]")
    end = text.index("\n\n", start)
    block = (
        "[priors]\n"
        'efficiency_lag_cn.dist = "normal"\n'
        "efficiency_lag_cn.interval = [0.75, -0.75]\n"
        "efficiency_lag_cn.prob = 0.9\n"
        'efficiency_lag_cn.unit = "yr"\n'
        'efficiency_lag_cn.source = "s"\n'
        'efficiency_lag_cn.description = "d"'
    )
    # a [priors] table must come before its subtables: put the dotted block first
    text = text[:start] + text[end + 2 :]
    text = edit(
        text,
        "\n[priors.stock_additions_2025_us]",
        "\n" + block + "\n\n[priors.stock_additions_2025_us]",
    )
    assert messages(write(in_tmp, text)) == [
        f"default.toml:{line_of(text, 'efficiency_lag_cn.interval')}: "
        "priors.efficiency_lag_cn.interval: lower bound 0.75 is above upper bound -0.75",
        f"default.toml:{line_of(text, 'interval = [1.6, 0.35]')}: "
        "priors.efficiency_rate.interval: lower bound 1.6 is above upper bound 0.35",
    ]


def test_parse_prior_set_from_text() -> None:
    prior_set = parse_prior_set(DEFAULT_TEXT, "somewhere/default.toml")
    assert prior_set.hash == load_prior_set("default").hash
    with pytest.raises(PriorError, match=r"does not match the file name 'other\.toml'"):
        parse_prior_set(DEFAULT_TEXT, "other.toml")


# ------------------------------------------------------------------------------------------------
# explicit parameters
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "dist", "params"),
    [
        ("efficiency_rate", "gamma", {"alpha": 4.0, "beta": 5.0}),
        ("efficiency_rate", "uniform", {"lower": 0.2, "upper": 1.5}),
        ("efficiency_rate", "halfnormal", {"sigma": 1.0}),
        ("stock_ar1", "beta", {"alpha": 2.0, "beta": 2.0}),
        ("stock_growth_us", "normal", {"mu": 1.0, "sigma": 0.5}),
    ],
)
def test_explicit_parameters(key: str, dist: str, params: dict[str, float]) -> None:
    unit = PRIOR_SPECS[key].unit
    prior = parse_prior(
        key, {"dist": dist, **params, "unit": unit, "source": "s", "description": "d"}
    )
    assert prior.params == params and prior.interval is None and prior.prob is None
    lo, hi = prior.stated_interval(0.9)
    assert lo < hi


def test_uniform_outside_domain_is_rejected() -> None:
    with pytest.raises(PriorError) as caught:
        parse_prior(
            "stock_ar1",
            {
                "dist": "uniform",
                "lower": 0.5,
                "upper": 1.5,
                "unit": "1",
                "source": "s",
                "description": "d",
            },
        )
    assert str(caught.value) == (
        "<table>:1: priors.stock_ar1: uniform [0.5, 1.5] leaves [0, 1] but stock_ar1 is a share"
    )


# ------------------------------------------------------------------------------------------------
# property tests: validators never crash, and accept exactly what they should
# ------------------------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
values = st.one_of(
    finite,
    st.floats(),
    st.integers(min_value=-5, max_value=5),
    st.booleans(),
    st.text(max_size=5),
    st.lists(finite, max_size=3),
    st.sampled_from(["normal", "lognormal", "halfnormal", "beta", "gamma", "uniform", "ln/yr"]),
)
fields = st.sampled_from(
    [
        "dist",
        "interval",
        "prob",
        "mu",
        "sigma",
        "alpha",
        "beta",
        "lower",
        "upper",
        "unit",
        "source",
        "description",
        "junk",
    ]
)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(REQUIRED_PRIORS), raw=st.dictionaries(fields, values, max_size=8))
def test_validator_accepts_or_explains(key: str, raw: dict[str, object]) -> None:
    try:
        prior = parse_prior(key, raw)
    except PriorError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.key.startswith(f"priors.{key}") and issue.reason
        return
    assert isinstance(prior, Prior)
    assert prior.unit == PRIOR_SPECS[key].unit
    low, high = prior.ppf([0.05, 0.95])
    assert math.isfinite(low) and math.isfinite(high) and low <= high
    domain = PRIOR_SPECS[key].domain
    if domain == "positive":
        assert low >= 0
    if domain == "unit":
        assert 0 <= low <= high <= 1


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(REQUIRED_SETTINGS), value=st.one_of(finite, st.integers()))
def test_setting_ranges(name: str, value: float) -> None:
    line = next(line for line in DEFAULT_TEXT.splitlines() if line.startswith(f"{name} ="))
    text = DEFAULT_TEXT.replace(line, f"{name} = {value!r}")
    try:
        prior_set = parse_prior_set(text, "default.toml")
    except PriorError as exc:
        assert all(issue.key.startswith("settings.") for issue in exc.issues)
        in_range = SETTING_SPECS[name].contains(float(value))
        assert (not in_range) or any("must be" in issue.reason for issue in exc.issues)
        return
    assert SETTING_SPECS[name].contains(float(value))
    assert prior_set.settings[name] == float(value)
