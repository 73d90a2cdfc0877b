"""A sweep's grid: its axes, the fits they expand to, and each fit's content address.

Axes: prior sets, data cutoffs (``None`` = all the data), model structures, sampler seeds and data
sets (the observed data, plus ``sim0`` ... ``simN-1``: data simulated from the prior set at the
observed design). A fit's **key** is the SHA-256 of everything that decides its draws and its
gate status: the model type and version, the prior set's hash, the data hash (which covers the
cutoff and any extra files), the structure, the data set, the seed, the sampler settings (less
``cores``, which only sets how many threads run the chains) and the gate. Equal keys mean the
same fit, so a sweep never fits a key twice and resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from forecast.core.definitions import MIXTURE, MODEL_TYPE, MODEL_VERSION, STRUCTURE_NAMES
from forecast.core.errors import UsageError

STRUCTURES: tuple[str, ...] = (*STRUCTURE_NAMES, MIXTURE)
"""Model structures a sweep may use (``forecast.core.definitions.STRUCTURES``): a fit samples one
structure, or with ``mixture`` every structure, weighed as ``forecast fit`` weighs them (its
scores then come per structure and for the mixture)."""

OBSERVED = "observed"
SIM_PREFIX = "sim"
SIMULATION_SEED = 7_240_101
"""Base seed of the simulated data sets: ``sim{i}`` draws its true parameters and its noise from
``numpy.random.default_rng([SIMULATION_SEED, i])``."""


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep runs: the axes and the sampler preset (quick or default)."""

    priors: tuple[str, ...] = ("default",)
    cutoffs: tuple[date | None, ...] = (None,)
    structures: tuple[str, ...] = STRUCTURES[:1]
    seeds: int = 1
    simulated: int = 0
    observed: bool = True  # include the observed data set (False: simulated data sets only)
    quick: bool = False
    extra: tuple[Path, ...] = field(default=())

    def data_sets(self) -> tuple[str, ...]:
        sims = tuple(f"{SIM_PREFIX}{i}" for i in range(self.simulated))
        return ((OBSERVED,) if self.observed else ()) + sims

    def to_dict(self) -> dict[str, Any]:
        return {
            "priors": list(self.priors),
            "cutoffs": [c.isoformat() if c else None for c in self.cutoffs],
            "structures": list(self.structures),
            "seeds": self.seeds,
            "simulated": self.simulated,
            "observed": self.observed,
            "quick": self.quick,
            "extra": [p.name for p in self.extra],
        }


@dataclass(frozen=True)
class FitPoint:
    """One fit of a sweep: a point of the grid."""

    priors: str
    cutoff: date | None
    structure: str
    seed: int
    data: str = OBSERVED

    @property
    def sim_index(self) -> int | None:
        return None if self.data == OBSERVED else int(self.data.removeprefix(SIM_PREFIX))

    def label(self) -> str:
        cut = self.cutoff.isoformat() if self.cutoff else "all"
        return f"{self.priors}/{cut}/{self.structure}/seed{self.seed}/{self.data}"


def check_structures(names: Iterable[str]) -> tuple[str, ...]:
    """The structures, validated against :data:`STRUCTURES` (UsageError otherwise)."""
    out = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not out:
        raise UsageError("--structure: give at least one structure")
    for name in out:
        if name not in STRUCTURES:
            raise UsageError(
                f"--structure: unknown structure {name!r}; available: {', '.join(STRUCTURES)}"
            )
    return out


def seeds_for(count: int, base: int) -> tuple[int, ...]:
    """``count`` sampler seeds: ``base``, ``base + 1``, ..."""
    if count < 1:
        raise UsageError("--seeds: at least one seed")
    return tuple(base + i for i in range(count))


def expand(spec: SweepSpec, base_seed: int) -> list[FitPoint]:
    """Every fit of the sweep, in a stable order (priors, cutoff, structure, data, seed)."""
    if not spec.priors:
        raise UsageError("--priors: give at least one prior set")
    if not spec.data_sets():
        raise UsageError("the sweep has no data set (observed data off and --simulated 0)")
    check_structures(spec.structures)
    return [
        FitPoint(priors=p, cutoff=c, structure=s, seed=seed, data=d)
        for p in spec.priors
        for c in spec.cutoffs
        for s in spec.structures
        for d in spec.data_sets()
        for seed in seeds_for(spec.seeds, base_seed)
    ]


def sampler_fields(config: Any) -> dict[str, Any]:
    """The sampler settings that decide the draws (``cores`` left out)."""
    fields = asdict(config)
    fields.pop("cores", None)
    return fields


def fit_key(point: FitPoint, prior_hash: str, data_hash: str, config: Any, gate: Any) -> str:
    """The content address of a fit (hex SHA-256); ``config.seed`` is replaced by the point's."""
    config = replace(config, seed=point.seed)
    payload = {
        "model": [MODEL_TYPE, MODEL_VERSION],
        "prior_hash": prior_hash,
        "data_hash": data_hash,
        "cutoff": point.cutoff.isoformat() if point.cutoff else None,
        "structure": point.structure,
        "data": point.data,
        "simulation_seed": SIMULATION_SEED if point.sim_index is not None else None,
        "sampler": sampler_fields(config),
        "gate": asdict(gate),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def sweep_id(keys: Sequence[str]) -> str:
    """A sweep's id: the hash of its sorted fit keys (the same grid is the same sweep)."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()
    return f"sw-{digest[:16]}"


def run_id_for_key(key: str) -> str:
    """The run id a fit is stored under: derived from its key, so it is stored once."""
    return f"sweep-{key[:24]}"
