"""Prior sets: forecaster-editable TOML files in ``priors/``, found, resolved and loaded.

A prior set is one TOML file with three sections: ``[meta]`` (name, description), ``[settings]``
(fixed numbers such as the share of Epoch's "Other" chip owners counted as American) and one
``[priors.KEY]`` table per model parameter; an optional fourth, ``[structures]``, says which of
the model's structures a fit samples and how they are weighed (:meth:`PriorSet.structure_plan`).
A prior is stated either as an interval the forecaster means ("90% between X and Y":
``interval`` + ``prob``), from which the loader derives the distribution's parameters
(:mod:`forecast.priors.distributions`), or with explicit parameters.

A set may start with the top-level key ``extends = "default"`` and list only what it changes:
the parent (the file ``default.toml`` in the same folder, itself possibly extending another) is
loaded first, then the child's ``[meta]``, ``[settings]`` and ``[structures]`` keys override the
parent's key by key (a child's ``pin`` drops the parent's ``weights`` and vice versa), and each
child ``[priors.KEY]`` table replaces the parent's whole table for that key. The merged set is
checked as a complete file (:mod:`forecast.priors.validate`); every problem names the file and
line it comes from. :meth:`PriorSet.to_toml` writes the resolved set as one self-contained file,
and the set's ``hash`` is the sha256 of that text, so a run's hash pins the priors it used even
when a parent file changes later.

Every problem found is reported at once, each naming file, line, key and reason, e.g.
``priors/default.toml:42: priors.efficiency_rate.interval: lower bound 1.5 is above upper bound
0.3``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core.definitions import COUNTRY_FILE_NAME, STRUCTURE_NAMES, priors_dir
from forecast.core.errors import ForecastError
from forecast.core.tomlfile import (
    FileIssue,
    Locator,
    Reporter,
    describe_value,
    display_path,
    parse_toml_bytes,
    read_toml,
    sorted_issues,
    toml_key,
    toml_value,
    unknown_key_reason,
)
from forecast.priors.distributions import (
    DISTRIBUTIONS,
    INTERVAL_RTOL,
    DerivationError,
    derive_params,
    ppf,
    snap,
    stated_interval,
)
from forecast.priors.validate import (
    PRIOR_SPECS,
    REQUIRED_PRIORS,
    REQUIRED_SETTINGS,
    RESOLVED_FROM,
    SETTING_SPECS,
    STRUCTURE_KEYS,
    PriorSpec,
    SettingSpec,
    check_prior,
    check_prior_data,
    is_set_name,
)

__all__ = [
    "DISTRIBUTIONS",
    "INTERVAL_RTOL",
    "PRIOR_SPECS",
    "REQUIRED_PRIORS",
    "REQUIRED_SETTINGS",
    "SCENARIO_FILE_NAME",
    "SETTING_SPECS",
    "DerivationError",
    "Prior",
    "PriorError",
    "PriorIssue",
    "PriorSet",
    "PriorSpec",
    "SettingSpec",
    "available_prior_sets",
    "check_prior_file",
    "derive_params",
    "is_set_name",
    "load_prior_set",
    "parse_prior",
    "parse_prior_set",
    "priors_dir",
]

SCENARIO_FILE_NAME = "scenarios.toml"
THRESHOLD_FILE_NAME = "thresholds.toml"
"""Named capability thresholds (read by ``forecast.questions.thresholds``), not a prior set."""
EXTERNAL_FILE_NAME = "external_forecasts.toml"
"""Curated forecasts of other sources (read by ``forecast.questions.external``), not a prior set."""
_NOT_PRIOR_SETS = (SCENARIO_FILE_NAME, COUNTRY_FILE_NAME, THRESHOLD_FILE_NAME, EXTERNAL_FILE_NAME)
EXTENDS = "extends"
"""The top-level key naming a set's parent."""

PriorIssue = FileIssue
"""One problem in a prior or scenario file (file, line, key, reason)."""


class PriorError(ForecastError):
    """A prior file (or set name) that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[PriorIssue]) -> None:
        self.issues: list[PriorIssue] = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


# ------------------------------------------------------------------------------------------------
# Prior and PriorSet
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prior:
    """One parameter's prior: its family, parameters (always filled) and how it was stated.

    ``interval``/``prob`` are what the file stated (None when stated with parameters). Units are
    those of the parameter (``unit``); for lognormal, ``mu`` and ``sigma`` are of ln x.
    """

    key: str
    dist: str
    params: dict[str, float]
    interval: tuple[float, float] | None
    prob: float | None
    unit: str
    source: str
    description: str

    def _scipy(self) -> Any:
        return DISTRIBUTIONS[self.dist].scipy(self.params)

    def ppf(self, q: Any) -> np.ndarray:
        """Quantile function (scipy), in the prior's unit, for probabilities ``q``."""
        return np.asarray(ppf(self.dist, self.params, np.asarray(q, dtype=float)), dtype=float)

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density (scipy) at ``x``, in the prior's unit; -inf outside the support."""
        generator, args, kwargs = self._scipy()
        return np.asarray(generator.logpdf(x, *args, **kwargs), dtype=float)

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        """``size`` independent draws in the prior's unit, from the generator ``rng``."""
        generator, args, kwargs = self._scipy()
        draws = generator.rvs(*args, size=size, random_state=rng, **kwargs)
        return np.asarray(draws, dtype=float)

    def stated_interval(self, prob: float = 0.9) -> tuple[float, float]:
        """The interval at ``prob`` in the convention used to state priors.

        Equal-tailed for every family except halfnormal, whose interval is [0, upper] with
        P(x <= upper) = prob, and uniform at prob = 1, whose interval is its support.
        """
        if not 0 < prob <= 1:
            raise ValueError(f"prob must be in (0, 1], got {prob}")
        if prob == 1 and self.dist != "uniform":
            generator, args, kwargs = self._scipy()
            lo, hi = (float(v) for v in generator.support(*args, **kwargs))
            return lo, hi
        return stated_interval(self.dist, self.params, prob)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: dist, params, the interval (stated or derived at 90%), unit."""
        prob = self.prob if self.prob is not None else 0.9
        lo, hi = snap(self.stated_interval(prob))
        return {
            "dist": self.dist,
            "params": dict(self.params),
            "interval": [lo, hi],
            "prob": prob,
            "median": float(self.ppf(0.5)),
            "stated_as": "interval" if self.interval is not None else "params",
            "unit": self.unit,
            "description": self.description,
            "source": self.source,
        }

    def to_table(self) -> dict[str, Any]:
        """The ``[priors.KEY]`` table as stated: interval + prob, or the explicit parameters."""
        out: dict[str, Any] = {"dist": self.dist}
        if self.interval is not None and self.prob is not None:
            out["interval"] = [float(self.interval[0]), float(self.interval[1])]
            out["prob"] = float(self.prob)
        else:
            out.update({name: float(value) for name, value in self.params.items()})
        out.update(unit=self.unit, description=self.description, source=self.source)
        return out


@dataclass(frozen=True)
class PriorSet:
    """A validated, resolved prior set.

    ``hash`` is the sha256 hex digest of :meth:`to_toml`: of the resolved set, so it changes with
    any value or text the set uses (its own or inherited) but not with comments or layout.
    ``extends`` is the parent the file names (None for a complete file); ``lineage`` is the
    set's name followed by its parents, nearest first; ``overridden`` lists the dotted keys
    (``priors.efficiency_rate``, ``settings.reference_year``, ``meta.description``) the file
    states over its parent's. ``structures`` is the checked ``[structures]`` section (any of
    ``weights``, normalised to sum 1, ``pin`` and ``fit``; empty when the file has none).
    """

    name: str
    description: str
    path: Path
    hash: str
    priors: dict[str, Prior]
    settings: dict[str, float] = field(default_factory=dict)
    extends: str | None = None
    lineage: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()
    structures: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Prior:
        try:
            return self.priors[key]
        except KeyError:
            raise KeyError(f"prior set '{self.name}' has no prior '{key}'") from None

    def __contains__(self, key: object) -> bool:
        return key in self.priors

    def __iter__(self) -> Iterator[str]:
        return iter(self.priors)

    def structure_plan(self) -> tuple[tuple[str, ...], dict[str, float] | None, str | None]:
        """How a fit weighs the structures: (structures to fit, fixed weights, pinned name).

        A pin fits that structure alone with weight 1; fixed ``weights`` cover the structures to
        fit (0 for a fitted one the set gives no weight); without either the weights are None
        (found by stacking). The structures to fit are ``fit`` or every structure.
        """
        pin = self.structures.get("pin")
        if pin is not None:
            return (pin,), {pin: 1.0}, pin
        fit = tuple(self.structures.get("fit") or STRUCTURE_NAMES)
        weights = self.structures.get("weights")
        if weights is None:
            return fit, None, None
        return fit, {name: float(weights.get(name, 0.0)) for name in fit}, None

    @property
    def parents(self) -> tuple[str, ...]:
        """The sets this one was resolved from, nearest first (empty for a complete file)."""
        return self.lineage[1:]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: name, description, hash, parents, settings and priors."""
        return {
            "name": self.name,
            "description": self.description,
            "hash": self.hash,
            "extends": self.extends,
            "parents": list(self.parents),
            "overridden": list(self.overridden),
            "settings": dict(self.settings),
            "structures": _copy_structures(self.structures),
            "priors": {key: prior.to_dict() for key, prior in self.priors.items()},
        }

    def to_toml(self) -> str:
        """The resolved set as one self-contained prior file (no ``extends``).

        ``[meta] resolved_from`` records the set's lineage, and lets the file sit under any name
        (a run folder's ``priors.toml``); :func:`load_prior_set` on it gives back this set.
        """
        chain = self.lineage or (self.name,)
        via = f" (resolved from {' -> '.join(chain)})" if len(chain) > 1 else ""
        lines = [
            f"# Prior set '{self.name}'{via}: every prior and setting, self-contained.",
            "# Written by forecast (PriorSet.to_toml); the set's hash is the sha256 of this text.",
            "",
            "[meta]",
            f"name = {toml_value(self.name)}",
            f"description = {toml_value(self.description)}",
            f"{RESOLVED_FROM} = {toml_value(list(chain))}",
            "",
            "[settings]",
        ]
        lines += [f"{toml_key(key)} = {toml_value(float(v))}" for key, v in self.settings.items()]
        if self.structures:  # only when stated: sets without it keep their hashes
            lines += ["", "[structures]", *_structure_lines(self.structures)]
        for key, prior in self.priors.items():
            lines += ["", f"[priors.{toml_key(key)}]"]
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in prior.to_table().items()]
        return "\n".join(lines) + "\n"


def _copy_structures(structures: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a ``[structures]`` value with its own dict and list."""
    out: dict[str, Any] = dict(structures)
    if "weights" in out:
        out["weights"] = dict(out["weights"])
    if "fit" in out:
        out["fit"] = list(out["fit"])
    return out


def _structure_lines(structures: Mapping[str, Any]) -> list[str]:
    """The ``[structures]`` keys as TOML lines, in a fixed order (weights as an inline table)."""
    lines = []
    for key in STRUCTURE_KEYS:
        if key not in structures:
            continue
        value = structures[key]
        if key == "weights":
            items = ", ".join(f"{toml_key(k)} = {toml_value(float(v))}" for k, v in value.items())
            lines.append(f"weights = {{ {items} }}")
        else:
            lines.append(f"{key} = {toml_value(list(value) if key == 'fit' else value)}")
    return lines


def _with_hash(prior_set: PriorSet) -> PriorSet:
    digest = hashlib.sha256(prior_set.to_toml().encode("utf-8")).hexdigest()
    return replace(prior_set, hash=digest)


# ------------------------------------------------------------------------------------------------
# Resolving `extends`
# ------------------------------------------------------------------------------------------------

_Origin = tuple[str, str]  # (section, key) of a value in the merged data


@dataclass(frozen=True)
class _Layer:
    """One file of a set's lineage: how messages name it and where its keys are."""

    label: str
    locator: Locator


@dataclass
class _LayeredReporter(Reporter):
    """Locates each key in the file it came from: the child (layer 0) or one of its parents."""

    layers: tuple[_Layer, ...] = ()
    origins: dict[_Origin, int] = field(default_factory=dict)

    def where(self, path: Sequence[str]) -> tuple[str, int]:
        index = self.origins.get((path[0], path[1]), 0) if len(path) >= 2 else 0
        layer = self.layers[index] if index < len(self.layers) else self.layers[0]
        return layer.label, layer.locator.line(*path)


@dataclass(frozen=True)
class _Resolved:
    """A loaded set with the merged data and layers it came from (to resolve its children)."""

    prior_set: PriorSet
    data: dict[str, Any]
    layers: tuple[_Layer, ...]
    origins: dict[_Origin, int]


def _merge(
    parent: _Resolved, own: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[_Origin, int], tuple[str, ...]]:
    """The child's data over its parent's: (merged data, origins, overridden dotted keys)."""
    merged: dict[str, Any] = {}
    origins: dict[_Origin, int] = {}
    for section, value in parent.data.items():
        if isinstance(value, dict):
            merged[section] = dict(value)
            for key in value:
                origins[(section, key)] = parent.origins.get((section, key), 0) + 1
        else:
            merged[section] = value
    meta = merged.get("meta")
    if isinstance(meta, dict):  # a child names itself; a snapshot marker is never inherited
        for key in ("name", RESOLVED_FROM):
            meta.pop(key, None)
            origins.pop(("meta", key), None)
    own_structures = own.get("structures")
    if isinstance(own_structures, dict) and "structures" not in merged:
        merged["structures"] = {}  # optional: a child may state it over a parent without one
    structures = merged.get("structures")
    if isinstance(structures, dict) and isinstance(own_structures, dict):
        # pin and weights are alternatives: a child stating one drops the parent's other
        for key, other in (("pin", "weights"), ("weights", "pin")):
            if key in own_structures and other not in own_structures:
                structures.pop(other, None)
                origins.pop(("structures", other), None)
    overridden: list[str] = []
    for section, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(section), dict):
            merged[section].update(value)  # a [priors.KEY] table replaces the parent's whole one
            for key in value:
                origins[(section, key)] = 0
                if key != "name":
                    overridden.append(f"{section}.{key}")
        else:
            merged[section] = value
            origins = {k: v for k, v in origins.items() if k[0] != section}
    return merged, origins, tuple(overridden)


def _available_in(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(
        path.stem
        for path in folder.glob("*.toml")
        if path.name not in _NOT_PRIOR_SETS and path.is_file()
    )


def _load_parent(
    value: Any, path: Path, layer: _Layer, chain: tuple[Path, ...]
) -> tuple[_Resolved | None, list[PriorIssue]]:
    """The resolved parent named by ``extends = value`` in the file at ``path``."""
    line = layer.locator.line(EXTENDS)

    def fail(reason: str) -> tuple[None, list[PriorIssue]]:
        return None, [PriorIssue(layer.label, line, EXTENDS, reason)]

    if not isinstance(value, str) or not is_set_name(value):
        got = describe_value(value)
        return fail(f'expected the name of a prior set, e.g. extends = "default", got {got}')
    parent_path = path.parent / f"{value}.toml"
    here = [*chain, path.resolve()]
    if parent_path.resolve() in here:
        names = " -> ".join([*(p.stem for p in here), value])
        return fail(f"prior sets extend each other in a cycle: {names}")
    if parent_path.name in _NOT_PRIOR_SETS or not parent_path.is_file():
        available = ", ".join(_available_in(path.parent)) or "none"
        return fail(
            f"unknown prior set '{value}' (no {value}.toml next to this file; "
            f"available: {available})"
        )
    raw, _text, _data, issues = read_toml(parent_path, "prior set")
    if raw is None:
        return None, issues
    parent, issues = _resolve(raw, parent_path, display_path(parent_path), tuple(here))
    if parent is None:
        note = PriorIssue(layer.label, line, EXTENDS, f"parent prior set '{value}' has errors:")
        return None, [note, *issues]
    return parent, []


def _resolve(
    raw: bytes, path: Path, label: str, chain: tuple[Path, ...] = ()
) -> tuple[_Resolved | None, list[PriorIssue]]:
    """Parse, resolve ``extends`` and check a prior file's bytes: (resolved, []) or (None, why)."""
    text, data, issues = parse_toml_bytes(raw, label)
    if data is None or text is None:
        return None, issues
    layer = _Layer(label, Locator(text))
    own = {key: value for key, value in data.items() if key != EXTENDS}
    parent: _Resolved | None = None
    overridden: tuple[str, ...] = ()
    if EXTENDS in data:
        parent, issues = _load_parent(data[EXTENDS], path, layer, chain)
        if parent is None:
            return None, issues
        merged, origins, overridden = _merge(parent, own)
        layers: tuple[_Layer, ...] = (layer, *parent.layers)
    else:
        merged, origins, layers = own, {}, (layer,)
    report = _LayeredReporter(label, layer.locator, layers=layers, origins=origins)
    own_meta = own.get("meta")
    if parent is not None and isinstance(own_meta, dict) and RESOLVED_FROM in own_meta:
        report.add(("meta", RESOLVED_FROM), "a set that extends another cannot be a snapshot")
    checked = check_prior_data(merged, path.stem if path.suffix == ".toml" else None, report)
    if checked is None or report.issues:
        return None, sorted_issues(report.issues)
    if parent is not None:
        lineage = (checked.name, *parent.prior_set.lineage)
    else:
        lineage = checked.resolved_from or (checked.name,)
    prior_set = PriorSet(
        name=checked.name,
        description=checked.description,
        path=path,
        hash="",
        priors={key: Prior(**fields) for key, fields in checked.priors.items()},
        settings=checked.settings,
        extends=parent.prior_set.name if parent is not None else None,
        lineage=lineage,
        overridden=overridden,
        structures=checked.structures,
    )
    return _Resolved(_with_hash(prior_set), merged, layers, origins), []


# ------------------------------------------------------------------------------------------------
# Public loading API
# ------------------------------------------------------------------------------------------------


def parse_prior(key: str, table: Mapping[str, Any], *, file: str = "<table>") -> Prior:
    """Validate one prior given as a parsed table (as under ``[priors.KEY]``).

    Raises :class:`PriorError` listing every problem (line numbers are 1: there is no text).
    """
    report = Reporter(file, Locator(""))
    if key not in PRIOR_SPECS:
        reason = unknown_key_reason("prior", key, REQUIRED_PRIORS, list_allowed=False)
        raise PriorError([PriorIssue(file, 1, f"priors.{key}", reason)])
    fields = check_prior(key, dict(table), report)
    if fields is None:
        raise PriorError(report.issues)
    return Prior(**fields)


def parse_prior_set(text: str, path: Path | str = "<string>") -> PriorSet:
    """Validate a prior set given as TOML text; ``path`` names it in messages and as its home.

    The set's name must match the file stem of ``path`` when ``path`` ends in ``.toml``; a parent
    named by ``extends`` is looked up in ``path``'s folder.
    """
    path = Path(path)
    resolved, issues = _resolve(text.encode("utf-8"), path, display_path(path))
    if resolved is None:
        raise PriorError(issues)
    return resolved.prior_set


def check_prior_file(path: Path) -> tuple[PriorSet | None, list[PriorIssue]]:
    """Load, resolve and validate a prior file; (set, []) or (None, every issue found)."""
    raw, _text, _data, issues = read_toml(path, "prior set")
    if raw is None:
        return None, issues
    resolved, issues = _resolve(raw, path, display_path(path))
    return (resolved.prior_set if resolved is not None else None), issues


def available_prior_sets() -> list[str]:
    """Names (file stems) of the prior sets in :func:`priors_dir`, sorted; scenarios excluded."""
    return _available_in(priors_dir())


def load_prior_set(name_or_path: str | Path) -> PriorSet:
    """Load and validate a prior set by name (``"default"``) or by file path.

    A name is looked up as ``<priors_dir()>/<name>.toml``; an unknown name raises
    :class:`PriorError` listing the available names. Any invalid file raises :class:`PriorError`
    listing every problem found (in the file or in the parents it extends).
    """
    if isinstance(name_or_path, str) and is_set_name(name_or_path):
        path = priors_dir() / f"{name_or_path}.toml"
        if path.name in _NOT_PRIOR_SETS or not path.is_file():
            available = ", ".join(available_prior_sets()) or "none"
            raise PriorError(
                [
                    PriorIssue(
                        display_path(priors_dir()),
                        0,
                        "",
                        f"unknown prior set '{name_or_path}' (available: {available})",
                    )
                ]
            )
    else:
        path = Path(name_or_path)
    prior_set, issues = check_prior_file(path)
    if prior_set is None:
        raise PriorError(issues)
    return prior_set
