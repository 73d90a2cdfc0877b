"""API keys for the write endpoints: loaded from the environment or a file, kept only as hashes.

Keys are configured as ``name:secret`` pairs, either in ``FORECAST_API_KEYS``
(``"alice:s3cret,ci:other-secret"``) or one pair per line in the file named by
``FORECAST_API_KEYS_FILE`` (blank lines and ``#`` comments ignored). Each secret is hashed with
SHA-256 as soon as it is read; the clear text is never stored, logged or compared directly. A
presented key is hashed and compared with every stored digest using ``hmac.compare_digest``, so
the time taken does not depend on which key (if any) matched or how much of it did.

Read endpoints are public. Write endpoints carry the :func:`require_api_key` guard, which answers
401 (problem details, ``WWW-Authenticate: ApiKey header="X-API-Key"``) for a missing or wrong key
and records the key's *name* (never the secret) on the request for logs and audit columns.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

API_KEY_HEADER = "X-API-Key"
KEY_NAME_STATE = "api_key_name"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_MIN_SECRET = 8


class KeyConfigError(ValueError):
    """A malformed key list (the message never contains a secret)."""


def digest(secret: str) -> bytes:
    """SHA-256 digest of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).digest()


def parse_pairs(entries: Iterable[str], origin: str) -> dict[str, bytes]:
    """Hash ``name:secret`` entries into ``{name: digest}``; errors never show a secret."""
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(entries, start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        name, sep, secret = entry.partition(":")
        name, secret = name.strip(), secret.strip()
        if not sep or not _NAME.match(name):
            raise KeyConfigError(
                f"{origin} entry {number}: expected name:secret with a simple name"
            )
        if len(secret) < _MIN_SECRET:
            raise KeyConfigError(
                f"{origin} entry {number} ({name}): secret shorter than {_MIN_SECRET} characters"
            )
        if name in keys:
            raise KeyConfigError(f"{origin} entry {number}: key name {name!r} given twice")
        keys[name] = digest(secret)
    return keys


def load_keys(environ: Mapping[str, str]) -> dict[str, bytes]:
    """Key digests from ``FORECAST_API_KEYS`` and the file in ``FORECAST_API_KEYS_FILE``."""
    keys = parse_pairs(environ.get("FORECAST_API_KEYS", "").split(","), "FORECAST_API_KEYS")
    path = environ.get("FORECAST_API_KEYS_FILE", "").strip()
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise KeyConfigError(
                f"FORECAST_API_KEYS_FILE: cannot read the file ({exc.strerror})"
            ) from None
        for name, value in parse_pairs(lines, "FORECAST_API_KEYS_FILE").items():
            if name in keys:
                raise KeyConfigError(f"key name {name!r} is in both the variable and the file")
            keys[name] = value
    return keys


@dataclass(frozen=True)
class Keyring:
    """Named key digests; :meth:`identify` maps a presented secret to its key name."""

    digests: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def from_mapping(cls, keys: Mapping[str, bytes]) -> Keyring:
        """A keyring from ``{name: sha256 digest}``."""
        return cls(tuple(sorted(keys.items())))

    @classmethod
    def from_secrets(cls, secrets: Mapping[str, str]) -> Keyring:
        """A keyring from clear ``{name: secret}`` (hashed here; for tests and tools)."""
        return cls.from_mapping({name: digest(secret) for name, secret in secrets.items()})

    def __repr__(self) -> str:
        return f"Keyring(names={[name for name, _ in self.digests]})"

    @property
    def names(self) -> list[str]:
        """The configured key names."""
        return [name for name, _ in self.digests]

    def identify(self, presented: str | None) -> str | None:
        """The name of the key matching ``presented``, or None; constant time over all keys."""
        if not presented:
            return None
        candidate = digest(presented)
        found: str | None = None
        for name, stored in self.digests:
            if hmac.compare_digest(candidate, stored) and found is None:
                found = name
        return found


UNAUTHORIZED_HEADERS = {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'}


def require_api_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for write endpoints: a valid ``X-API-Key`` header, or 401.

    The keyring lives on ``app.state.keyring``; the matched key's name is stored in the
    connection state under ``api_key_name`` for the handler and the request log.
    """
    keyring: Keyring = connection.app.state.keyring
    presented = connection.headers.get(API_KEY_HEADER)
    if not keyring.digests:
        raise NotAuthorizedException(
            detail="write endpoints are disabled: no API keys are configured on this server "
            "(set FORECAST_API_KEYS or FORECAST_API_KEYS_FILE)",
            headers=UNAUTHORIZED_HEADERS,
        )
    name = keyring.identify(presented)
    if name is None:
        what = "missing" if not presented else "not valid"
        raise NotAuthorizedException(
            detail=f"the {API_KEY_HEADER} header is {what}; write endpoints need an API key",
            headers=UNAUTHORIZED_HEADERS,
        )
    connection.state[KEY_NAME_STATE] = name


def key_name_for_rate_limit(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Rate-limit identity: the API key's name, or the client address for unknown keys."""
    keyring: Keyring = connection.app.state.keyring
    name = keyring.identify(connection.headers.get(API_KEY_HEADER))
    if name is not None:
        return f"key:{name}"
    host = connection.client.host if connection.client else "unknown"
    return f"anonymous:{host}"
