"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against a live server.

The tests FAIL (they never skip) when the ``playwright`` package or the Chromium binary is
missing: CI has to install both (``pip install -e '.[dev]'`` brings playwright; Debian's
``chromium`` package brings the browser; Playwright's own browser download is not used). The
binary is ``/usr/bin/chromium`` unless ``FORECAST_TEST_CHROMIUM`` names another one.

The server is a real uvicorn (``ServerThread`` from ``tests/service/conftest.py``) on a free
loopback port, over a store that holds a copy of the session's quick fit (``quick_run`` of
``tests/conftest.py``, shared with the library tests) as the current run, plus one quick fit with
the ``skeptical`` prior set that is not made current (a second prior set to compare with, and a
change in the run history) and a run that failed the diagnostics gate. Screenshots go to
``test-artifacts/`` in the repository root.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
VIEWPORT = {"width": 1366, "height": 800}  # a laptop screen
TIMEOUT_MS = 60_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium with Playwright against a live server"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


def _service_helpers() -> Any:
    """``tests/service/conftest.py`` as a plain module (its ServerThread and settings helpers).

    Conftest modules are not importable by name (every one is ``conftest``), and its session
    fixtures are not visible from this folder, so the helpers are loaded from the file.
    """
    name = "_forecast_service_test_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, REPO / "tests" / "service" / "conftest.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@dataclass
class Store:
    """The browser tests' run store, oldest first: the current quick fit (prior set ``default``),
    a passed ``skeptical`` run that is not current, and a ``default`` run that failed the gate."""

    home: Path
    current: str
    skeptical: str
    failed: str


@pytest.fixture(scope="session")
def browser_store(quick_run: Any, tmp_path_factory: pytest.TempPathFactory) -> Store:
    from forecast.fit.sampling import QUICK, Gate, Inputs, finalize, fit, prepare
    from forecast.store.runs import RunStore

    helpers = _service_helpers()
    source, result = quick_run
    home = tmp_path_factory.mktemp("browser") / "store"
    (home / "runs").mkdir(parents=True)
    # only the session's current run: other tests may add runs to the shared store
    shutil.copytree(source.runs_dir / result.run_id, home / "runs" / result.run_id)
    store = RunStore(home)
    store.reconcile()
    store.set_current(result.run_id)
    other = fit(
        priors="skeptical",
        config=QUICK,
        store=store,
        gate=Gate(*helpers.TEST_GATE),
        progress=False,
        log=lambda _msg: None,
        make_current=False,
    )
    assert other.status == "passed", other.meta["gate_failures"]
    # a run that fails the gate (the session's draws judged by an impossible gate): no sampling.
    # Creation times have one-second resolution and the history lists newest first, so the
    # failed run must be made in a later second than the skeptical one (else the order ties).
    time.sleep(1.1)
    prior_set, obs, data_hash = prepare("default")
    failed = finalize(
        result.tree,
        Inputs(prior_set, obs, data_hash),
        QUICK,
        timing=(0.0, 0.0, 0.0),
        store=store,
        gate=Gate(max_rhat=1.0, min_ess_bulk=1e9, max_divergences=0),
        say=lambda _msg: None,
    )
    assert failed.status == "failed"
    assert store.current_id() == result.run_id
    return Store(home=home, current=result.run_id, skeptical=other.run_id, failed=failed.run_id)


@pytest.fixture(scope="session")
def live_server(browser_store: Store) -> Iterator[Any]:
    """The app under uvicorn on a loopback port, over the browser store."""
    from service.app import create_app

    helpers = _service_helpers()
    app = create_app(helpers.make_settings(browser_store.home))
    with helpers.ServerThread(app) as running:
        yield running


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[Any]:
    """The app over an empty store (no run yet), on its own loopback port."""
    from service.app import create_app

    helpers = _service_helpers()
    app = create_app(helpers.make_settings(tmp_path / "empty-store"))
    with helpers.ServerThread(app) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright; fails with the install line if absent.

    Module-scoped on purpose: Playwright's sync API keeps an asyncio loop marked as running in
    the main thread while it is open, which would break the anyio tests that run after these.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a failure, not a skip: CI must have it
        pytest.fail(f"playwright is not installed ({exc}): pip install -e '.[dev]'", pytrace=False)
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install -y chromium "
            "(or set FORECAST_TEST_CHROMIUM to the binary)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class PageLog:
    """What the page said and asked for: console errors, page errors, requests, failures."""

    origin: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self) -> None:
        """No console or script error, no failed request, nothing from another origin."""
        assert self.errors == [], self.errors
        assert self.failures == [], self.failures
        outside = [u for u in self.requests if not u.startswith((self.origin + "/", "data:"))]
        assert outside == [], outside


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[tuple[Any, PageLog]]:
    """A fresh browser page (laptop-sized) with its log."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    log = PageLog(origin=live_server.url)
    tab.on(
        "console", lambda m: log.errors.append(m.text) if m.type in ("error", "assert") else None
    )
    tab.on("pageerror", lambda exc: log.errors.append(f"page error: {exc}"))
    tab.on("request", lambda r: log.requests.append(r.url))
    tab.on("requestfailed", lambda r: log.failures.append(f"{r.url}: {r.failure}"))
    tab.on(
        "response",
        lambda r: log.failures.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None,
    )
    try:
        yield tab, log
    finally:
        context.close()


def _screenshot(tab: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def screenshot() -> Any:
    """``screenshot(page, name)``: a full-page PNG saved to ``test-artifacts/NAME.png``."""
    return _screenshot
