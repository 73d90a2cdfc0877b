"""Contracts between lists that must agree: the model's parameters and the prior definitions,
the library's scenario levers and the service's, the countries everywhere, and the names the
README promises. Each list is defined once; these tests catch a second copy drifting."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from pathlib import Path

import msgspec
import pytest

from forecast.core.definitions import (
    COUNTRIES,
    FOLLOWERS,
    PER_CAPACITY_COMPONENT,
    PER_COMPONENT,
    PER_COUNTRY,
    PER_FOLLOWER,
    PER_REGIME_COMPONENT,
    PER_SPLIT_COUNTRY,
    QUANTITIES,
    SHARED,
    component_key,
    country_info,
    country_key,
    parameter_names,
    priors_dir,
)
from forecast.priors.priorset import PRIOR_SPECS, available_prior_sets, load_prior_set
from forecast.priors.scenarios import LEVER_RANGES, Levers, load_scenarios

ROOT = Path(__file__).resolve().parents[1]


def _service_class(name: str) -> type:
    """A class defined somewhere in the ``service`` package (found by walking its modules)."""
    import service

    for info in pkgutil.walk_packages(service.__path__, "service."):
        module = importlib.import_module(info.name)
        found = getattr(module, name, None)
        if isinstance(found, type) and found.__module__ == info.name:
            return found
    raise AssertionError(f"no class {name} in the service package")


def test_prior_definitions_are_the_parameter_layout() -> None:
    assert list(PRIOR_SPECS) == parameter_names()
    expected = {country_key(b, c) for b in PER_COUNTRY for c in COUNTRIES}
    expected |= {country_key(b, c) for b in PER_FOLLOWER for c in FOLLOWERS}
    expected |= set(SHARED)
    for c in COUNTRIES:
        channels = country_info(c).components
        if channels:
            expected |= {country_key(b, c) for b in PER_SPLIT_COUNTRY}
        for k in channels[1:]:
            expected |= {component_key(b, c, k.name) for b in PER_COMPONENT}
            if k.regime_start is not None:
                expected |= {component_key(b, c, k.name) for b in PER_REGIME_COMPONENT}
        for k in channels:
            if k.capacity_bound:
                expected |= {component_key(b, c, k.name) for b in PER_CAPACITY_COMPONENT}
    assert set(parameter_names()) == expected


@pytest.mark.parametrize("name", available_prior_sets())
def test_every_prior_set_states_exactly_the_model_parameters(name: str) -> None:
    assert set(load_prior_set(name).priors) == set(parameter_names())


def test_the_model_graph_has_exactly_the_defined_parameters() -> None:
    from forecast.data import tables
    from forecast.data.observations import build_observations
    from forecast.fit.sampling import data_end_year
    from forecast.model.graph import TimelineModel

    prior_set = load_prior_set("default")
    loaded = tables.load_all()
    obs = build_observations(loaded, prior_set.settings, data_end_year(loaded))
    model = TimelineModel(obs, prior_set).build()
    assert sorted(rv.name for rv in model.free_RVs) == sorted(parameter_names())


def test_service_levers_are_the_library_levers() -> None:
    library = [f.name for f in dataclasses.fields(Levers)]
    assert list(LEVER_RANGES) == library
    lever_set = _service_class("LeverSet")
    assert list(msgspec.structs.fields(lever_set)[i].name for i in range(len(library))) == library
    assert len(msgspec.structs.fields(lever_set)) == len(library)


def test_every_scenario_names_only_registry_countries() -> None:
    for scenario in load_scenarios().values():
        assert set(scenario.levers) == set(COUNTRIES)


def test_countries_file_is_the_registry() -> None:
    text = (priors_dir() / "countries.toml").read_text()
    assert re.findall(r"^\[country\.([A-Z]+)\]", text, flags=re.M) == list(COUNTRIES)


def test_readme_names_every_quantity_and_scenario() -> None:
    readme = (ROOT / "README.md").read_text()
    for quantity in QUANTITIES:
        assert f"`{quantity}`" in readme, quantity
    for scenario in load_scenarios():
        assert f"`{scenario}`" in readme, scenario
