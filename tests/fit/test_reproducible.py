"""Same inputs, same draws: a fit is repeatable bit for bit.

Two fits with the same data hash, prior hash, seed, settings and libraries once gave different
draws: the data hash does not depend on the order in which extra files are given (nor on row
order), but the observation arrays did, and the likelihood sums its terms in array order, so a
permutation changed the floating-point sums and with them every draw. Observations are now in
canonical row order. The test fits twice from the same inputs given in different orders: once
fresh, once through a Refitter whose model was compiled on other (cut-off) data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.data import tables as data_tables
from forecast.data.observations import build_observations
from forecast.fit.refitter import Refitter
from forecast.fit.sampling import Gate, SamplerConfig, fit, prepare
from forecast.model.graph import model_data
from forecast.store.runs import RunStore

HEADER = "model,date,organization,country,eci,training_flop,confidence,source,source_url\n"


def _extra_files(folder: Path) -> tuple[Path, Path]:
    """Two extra ECI files whose rows share a date (their order used to matter)."""
    a, b = folder / "a.csv", folder / "b.csv"
    a.write_text(
        HEADER + 'TestA,2025-06-10,Lab A,US,120.5,3e24,Likely,"test",https://example.org\n'
    )
    b.write_text(
        HEADER + 'TestB,2025-06-10,Lab B,US,121.5,5e24,Likely,"test",https://example.org\n'
    )
    return a, b


def test_observations_do_not_depend_on_row_or_file_order(tmp_path) -> None:
    a, b = _extra_files(tmp_path)
    _, obs_ab, hash_ab = prepare("default", [a, b])
    prior_set, obs_ba, hash_ba = prepare("default", [b, a])
    assert hash_ab == hash_ba
    da, db = model_data(obs_ab), model_data(obs_ba)
    assert da.keys() == db.keys()
    for name in da:
        assert np.array_equal(da[name], db[name]), name
    # shuffled rows within every table give the same arrays too
    tables = data_tables.load_all([a, b])
    rng = np.random.default_rng(3)
    shuffled = {
        name: frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        if isinstance(frame, pd.DataFrame)
        else frame
        for name, frame in tables.items()
    }
    obs = build_observations(shuffled, prior_set.settings, obs_ab.data_end)
    for name, value in model_data(obs).items():
        assert np.array_equal(value, da[name]), name


@pytest.mark.slow  # two quick fits: over a minute on 2 cores
def test_same_inputs_give_bit_identical_draws(tmp_path) -> None:
    a, b = _extra_files(tmp_path)
    config = SamplerConfig(draws=60, tune=120, chains=2, cores=2, seed=7)
    gate = Gate(max_rhat=10.0, min_ess_bulk=0.0, max_divergences=10**6)
    quiet = lambda _msg: None  # noqa: E731
    fresh = fit(
        extra=[a, b],
        config=config,
        store=RunStore(tmp_path / "fresh"),
        gate=gate,
        progress=False,
        log=quiet,
    )
    refitter = Refitter(config=config, store=RunStore(tmp_path / "refit"), gate=gate, log=quiet)
    # compiled on other data first (a cut-off vintage), then refitted by swapping data
    refitter.refit(cutoff=date(2024, 6, 30))
    again = refitter.refit(extra=[b, a])
    for key in ("data_hash", "observations_hash", "sampler", "settings", "libraries"):
        assert fresh.meta[key] == again.meta[key], key
    assert fresh.meta["prior_set"]["hash"] == again.meta["prior_set"]["hash"]
    post_a = fresh.tree["posterior"].to_dataset()
    post_b = again.tree["posterior"].to_dataset()
    assert set(post_a.data_vars) == set(post_b.data_vars)
    for name in post_a.data_vars:
        assert np.array_equal(post_a[name].values, post_b[name].values), name
