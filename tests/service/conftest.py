"""Fixtures for the HTTP service tests.

One quick fit per session (``fitted_home``) makes a run store in a temporary folder; tests that
need it carry the ``fit`` marker and reuse it. Apps are built from explicit settings (no worker
process unless a test asks for one), so the tests do not depend on the caller's environment.
``ServerThread`` runs the app under a real uvicorn server on a free loopback port.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.auth import Keyring
from service.config import (
    ApiSettings,
    AuthSettings,
    LogSettings,
    Settings,
    StoreSettings,
    WorkerSettings,
)

TEST_GATE = (1.2, 20.0, 10)
"""A relaxed diagnostics gate for quick fits (2 x 150 draws cannot reach the default ESS 400)."""
TEST_STOP_GRACE = 1.0
"""Seconds a test worker may take to stop: shutdown then waits that long, not the default 10 s."""
API_KEYS = {"alice": "alice-secret-0123456789", "ci-bot": "ci-bot-secret-9876543210"}
ALICE = {"X-API-Key": API_KEYS["alice"]}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fit: needs the session's quick fit (one fit of about a minute per session)"
    )


@pytest.fixture
def alice() -> dict[str, str]:
    """Headers with a valid API key (name ``alice``)."""
    return dict(ALICE)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_settings(home: Path, *, worker: bool = False, **api: Any) -> Settings:
    """Settings for a test app: explicit store, keys and limits; no worker unless asked."""
    return Settings(
        store=StoreSettings(home=Path(home)),
        api=replace(ApiSettings(), **({"cors_origins": ()} | api)),
        auth=AuthSettings(keyring=Keyring.from_secrets(API_KEYS)),
        worker=WorkerSettings(enabled=worker, quick_gate=TEST_GATE, stop_grace=TEST_STOP_GRACE),
        log=LogSettings(level="INFO", format="json"),
    )


@pytest.fixture(scope="session")
def settings_for() -> Any:
    """``make_settings`` as a fixture (build settings for a custom test app)."""
    return make_settings


@pytest.fixture(scope="session")
def store_copier() -> Any:
    """``copy_store`` as a fixture."""
    return copy_store


def copy_store(source: Path, target: Path) -> Path:
    """A copy of a run store (runs, catalog and CURRENT) in ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "runs", target / "runs")
    for name in ("catalog.sqlite", "CURRENT"):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    return target


@pytest.fixture(scope="session")
def fitted_home(quick_run) -> Path:
    """A run store with one quick fit that is current: the session's shared quick fit."""
    store, _ = quick_run
    return store.home


@pytest.fixture
def home(fitted_home: Path, tmp_path: Path) -> Path:
    """A private copy of the fitted store (tests may write observations and jobs into it)."""
    return copy_store(fitted_home, tmp_path / "store")


@pytest.fixture(scope="session")
def run_id(fitted_home: Path) -> str:
    from forecast.store.runs import RunStore

    return RunStore(fitted_home).current_id()


@pytest.fixture(scope="session")
def forecaster(fitted_home: Path) -> Any:
    """The library's forecaster on the session's run (the reference for API answers)."""
    from forecast.questions.forecaster import Forecaster
    from forecast.store.runs import RunStore

    return Forecaster.from_store(RunStore(fitted_home))


@pytest.fixture
def app(home: Path) -> Litestar:
    from service.app import create_app

    return create_app(make_settings(home))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
def empty_home(tmp_path: Path) -> Path:
    return tmp_path / "empty-store"


@pytest.fixture
async def empty_client(empty_home: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of an app over a store with no run at all."""
    from service.app import create_app

    async with AsyncTestClient(app=create_app(make_settings(empty_home))) as client:
        yield client


class LogCapture(logging.Handler):
    """Keeps the formatted lines of the ``service`` loggers (as the JSON formatter writes them)."""

    def __init__(self) -> None:
        super().__init__()
        from service.logs import JsonFormatter

        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def service_logs() -> Iterator[LogCapture]:
    handler = LogCapture()
    logger = logging.getLogger("service")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class ServerThread:
    """The app under a real uvicorn server on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, app: Litestar) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="uvicorn-test", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


@pytest.fixture
def server_thread() -> type[ServerThread]:
    """The ``ServerThread`` class, for tests that build their own app."""
    return ServerThread


@pytest.fixture
def server(app: Litestar) -> Iterator[ServerThread]:
    with ServerThread(app) as running:
        yield running
