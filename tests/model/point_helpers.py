"""The model's parameters at its initial point, on their constrained scale (for tests that
check a likelihood term against scipy at one point)."""

from __future__ import annotations

from typing import Any


def initial_parameters(model: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """(the initial point on the unconstrained scale, parameter name -> constrained value)."""
    point = model.initial_point()
    constrained = model.compile_fn(
        model.replace_rvs_by_values(model.free_RVs),
        inputs=model.value_vars,
        on_unused_input="ignore",
    )(point)
    return point, {v.name: float(x) for v, x in zip(model.free_RVs, constrained, strict=True)}
