"""Property-based contract test of the whole API against its OpenAPI document (schemathesis 4).

schemathesis is imported plainly: if it is missing, this module fails to import and the test
run fails; it is never skipped. The app has no API key configured and schemathesis sends none,
so write endpoints answer 401 and the run stays bounded (no refit ever starts). The app is built
at import time over an empty folder; the ``store`` fixture copies the session's fitted run into
it before the first case, so questions are answered (the app follows the store's files).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from service.app import create_app
from service.auth import Keyring
from service.config import AuthSettings, LogSettings, Settings, StoreSettings, WorkerSettings

# about a minute of generated requests: in the slow tier, which CI runs after the default suite
pytestmark = [pytest.mark.fit, pytest.mark.slow]

HOME = Path(tempfile.mkdtemp(prefix="schemathesis-store-"))
APP = create_app(
    Settings(
        store=StoreSettings(home=HOME),
        auth=AuthSettings(keyring=Keyring()),
        worker=WorkerSettings(enabled=False, quick_gate=None),
        log=LogSettings(level="WARNING", format="json"),
    )
)
# 422 is the documented answer to a well-formed question the model cannot answer (a date outside
# the run's range, an impossible calendar day, a lower bound after the upper one): accept it as
# a valid response to schema-valid data; so is 413 for a schema-valid batch whose cost is above
# the per-request limit (FORECAST_MAX_REQUEST_COST); 500s and schema violations still fail.
# A batch answers each question on its own: an item that breaks the schema gets its own problem
# (status 400 inside the 200 answer, README "HTTP API"), so a schema-violating batch is accepted
# by design; every other operation must still reject schema-violating requests.
CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "404", "409", "413", "422", "429"]

[[operations]]
include-name = "POST /v1/questions"
checks.negative_data_rejection.enabled = false
"""
)
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module")
def store(fitted_home: Path, store_copier: Any) -> Iterator[Path]:
    store_copier(fitted_home, HOME)
    yield HOME
    shutil.rmtree(HOME, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: Any, store: Path) -> None:
    case.call_and_validate()
