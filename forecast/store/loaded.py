"""A run read back from the store: its metadata and flattened posterior draws, by structure.

A run holds every fitted structure's chains one after another (``meta["structures"]``); the
answers use the structures' weighted mixture (:meth:`LoadedRun.mixture`) or one structure's draws
(:meth:`LoadedRun.for_structure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.core.definitions import DEFAULT_STRUCTURE, STRUCTURE_NAMES, structure_info
from forecast.store.errors import RunMismatchError

if TYPE_CHECKING:  # numpy loads only with a run, so listing and refusing stay fast
    import numpy as np


@dataclass(frozen=True)
class LoadedRun:
    """A run read back from the store: metadata and flattened posterior draws.

    A run holds every fitted structure's chains one after another (``meta["structures"]``).
    ``structure`` gives each draw's structure (an index into ``STRUCTURE_NAMES``); a parameter
    a structure does not use is set to its pinned value in that structure's draws.
    ``source_index`` is each draw's position in the stored posterior (chain-major), so a subset
    can be matched with the stored groups (``log_likelihood``, ``log_prior``); None: all of
    them, in order.
    """

    id: str
    meta: dict[str, Any]
    draws: dict[str, np.ndarray]  # parameter -> (chains * draws,)
    chains: int
    priors_text: str | None = None  # the resolved prior set the run used (priors.toml)
    posterior_path: Path | None = None  # its posterior file: every group, read on demand
    structure: np.ndarray | None = None  # per draw: index into STRUCTURE_NAMES
    source_index: np.ndarray | None = None  # per draw: position in the stored posterior

    @property
    def settings(self) -> dict[str, float]:
        return dict(self.meta["settings"])

    @property
    def data_end(self) -> float:
        return float(self.meta["data_end"])

    @property
    def seed(self) -> int:
        return int(self.meta["sampler"]["seed"])

    @property
    def structures(self) -> list[dict[str, Any]]:
        """The run's structures with their chains, diagnostics and weight (one entry, the
        default structure with weight 1, for a run without the record)."""
        entries = self.meta.get("structures")
        if entries:
            return list(entries)
        total = int(next(iter(self.draws.values())).size) if self.draws else 0
        return [
            {"name": DEFAULT_STRUCTURE, "chains": [0, self.chains], "weight": 1.0, "draws": total}
        ]

    @property
    def weights(self) -> dict[str, float]:
        """Each structure's weight in the mixture (sums to 1)."""
        return {e["name"]: float(e.get("weight", 0.0)) for e in self.structures}

    def pinned_mask(self, name: str) -> np.ndarray:
        """True for draws whose structure pins parameter ``name`` (its value there is fixed)."""
        import numpy as np

        index = self._index()
        pinned = np.array([name in structure_info(n).pinned for n in STRUCTURE_NAMES])
        return pinned[index]

    def _index(self) -> np.ndarray:
        import numpy as np

        n = int(next(iter(self.draws.values())).size)
        return self.structure if self.structure is not None else np.zeros(n, dtype=int)

    @property
    def draw_set(self) -> str | None:
        """What these draws are: ``mixture``, a structure's name, or None (as stored)."""
        return self.meta.get("draw_set")

    def _take(self, index: np.ndarray, chains: int, meta: dict[str, Any]) -> LoadedRun:
        source = self.source_index
        return replace(
            self,
            meta=meta,
            draws={k: v[index] for k, v in self.draws.items()},
            chains=chains,
            structure=self._index()[index],
            source_index=(source[index] if source is not None else index),
        )

    def for_structure(self, name: str) -> LoadedRun:
        """Only the draws of one structure (all of its chains)."""
        import numpy as np

        structure_info(name)
        for entry in self.structures:
            if entry["name"] == name:
                code = STRUCTURE_NAMES.index(name)
                index = np.flatnonzero(self._index() == code)
                chains = entry["chains"][1] - entry["chains"][0]
                own = dict(entry, chains=[0, chains], weight=1.0)
                meta = {**self.meta, "draw_set": name, "structures": [own]}
                return self._take(index, chains, meta)
        fitted = ", ".join(e["name"] for e in self.structures)
        raise RunMismatchError(f"run {self.id} did not fit structure {name!r} (it has: {fitted})")

    def mixture(self) -> LoadedRun:
        """The draws of the structure mixture: from each chain of each structure, the evenly
        spaced share of its draws its weight asks for, interleaved, so each mixture chain holds
        one chain's worth of draws (MC errors keep their chain structure)."""
        import numpy as np

        entries = [e for e in self.structures if e.get("weight", 0.0) > 0]
        if len(self.structures) == 1 or self.draw_set is not None:
            return self
        index = self._index()
        per_chain = None
        picks: list[list[np.ndarray]] = []
        for entry in entries:
            code = STRUCTURE_NAMES.index(entry["name"])
            own = np.flatnonzero(index == code)
            chains = entry["chains"][1] - entry["chains"][0]
            per_chain = own.size // chains
            picks.append([own[c * per_chain : (c + 1) * per_chain] for c in range(chains)])
        assert per_chain is not None
        chains = min(len(p) for p in picks)
        weights = np.array([float(e["weight"]) for e in entries])
        counts = largest_remainder(weights / weights.sum(), per_chain)
        rows = []
        for c in range(chains):
            chosen, place = [], []
            for k, entry_picks in enumerate(picks):
                own = entry_picks[c]
                if counts[k]:
                    at = np.arange(counts[k])
                    chosen.append(own[(at * (own.size / counts[k])).astype(int)])
                    place.append((at + 0.5) / counts[k])
            # interleaved by position along the chains, so that the mixture chain's
            # autocorrelation is its draws', not a step between structures (which an effective
            # sample size estimate would read as a very slow-mixing chain)
            order = np.argsort(np.concatenate(place), kind="stable")
            rows.append(np.concatenate(chosen)[order])
        return self._take(np.concatenate(rows), chains, {**self.meta, "draw_set": "mixture"})


def largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Integer counts summing to ``total`` in proportion to ``shares`` (largest remainders)."""
    import numpy as np

    raw = shares * total
    counts = np.floor(raw).astype(int)
    left = total - int(counts.sum())
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:left]] += 1
    return counts


def pin_unused(draws: dict[str, np.ndarray], structure: np.ndarray) -> None:
    """Set, in place, each parameter a draw's structure does not use to its pinned value."""
    for code, name in enumerate(STRUCTURE_NAMES):
        hit = structure == code
        if hit.any():
            for key, value in structure_info(name).pinned.items():
                if key in draws:
                    draws[key][hit] = value


def structure_of_draws(meta: Mapping[str, Any], chains: int, per_chain: int) -> np.ndarray:
    """Each stored draw's structure index (chain-major), from the run's structure record."""
    import numpy as np

    out = np.zeros(chains * per_chain, dtype=int)
    for entry in meta.get("structures") or []:
        lo, hi = entry["chains"]
        out[lo * per_chain : hi * per_chain] = STRUCTURE_NAMES.index(entry["name"])
    return out
