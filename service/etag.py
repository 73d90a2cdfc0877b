"""Conditional GET: entity tags tied to the run and the query, and 304 Not Modified.

A stored run is immutable, so an answer is fixed by the run id, the endpoint, the canonical
query (parameters sorted by name, repeated values kept in order) and the scenario file the
forecaster read. Its ETag is a hash of those, known *before* any computation, so a matching
``If-None-Match`` costs a hash and a header compare. Catalog and listing responses, which do not
belong to a run, hash their encoded body instead.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from litestar import Response

QUESTION_CACHE_CONTROL = "public, max-age={max_age}"
NO_STORE = "no-store"


CACHED_QUERY_BYTES = 512
"""Query strings up to this long have their canonical form kept (an LRU of 2,048)."""


def canonical_query(query_string: bytes | str) -> str:
    """The query string with parameters sorted by name (stable, so repeated values keep order)."""
    if len(query_string) <= CACHED_QUERY_BYTES:
        return _canonical_cached(query_string)
    return _canonical(query_string)


def _canonical(query_string: bytes | str) -> str:
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode(sorted(pairs, key=lambda kv: kv[0]))


_canonical_cached = lru_cache(maxsize=2048)(_canonical)


def make_etag(*parts: str) -> str:
    """A strong ETag (quoted) from the hash of ``parts``."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    return f'"{digest[:32]}"'


def body_etag(body: bytes) -> str:
    """A strong ETag from the hash of a response body."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def matches(if_none_match: str | None, etag: str) -> bool:
    """True when ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks) or is *."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(tag) == wanted for tag in if_none_match.split(","))


def not_modified(etag: str, cache_control: str) -> Response[None]:
    """A 304 response carrying the validators a cache needs."""
    return Response(
        content=None, status_code=304, headers={"ETag": etag, "Cache-Control": cache_control}
    )
