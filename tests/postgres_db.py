"""A PostgreSQL server for the tests that need one: each test gets a schema of its own,
dropped afterwards; with no server, those tests skip and say why.

The server is `STRIPEKIT_TEST_POSTGRES` (a URL), by default the local one the development
machines run (trust auth, database `test`), as user `postgres` or else `root`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from urllib.parse import quote

import pytest

_CANDIDATES = (
    [os.environ["STRIPEKIT_TEST_POSTGRES"]]
    if os.environ.get("STRIPEKIT_TEST_POSTGRES")
    else ["postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test"]
)


@cache
def find_server() -> tuple[str | None, str]:
    """(the URL of a server that answers, or None; why not)."""
    try:
        import psycopg
    except ImportError:
        return None, "psycopg is not installed (pip install 'stripekit[postgres]')"
    reasons = []
    for url in _CANDIDATES:
        try:
            psycopg.connect(url, connect_timeout=3, autocommit=True).close()
        except psycopg.Error as exc:
            reasons.append(f"{url}: {str(exc).strip().splitlines()[0]}")
            continue
        return url, ""
    return None, "PostgreSQL not reachable at " + "; ".join(reasons)


def require_server() -> str:
    url, reason = find_server()
    if url is None:
        pytest.skip(reason)
    return url


def schema_url(base: str, schema: str) -> str:
    """`base` with the schema as the connection's search_path (libpq's `options`)."""
    options = quote(f"-csearch_path={schema}", safe="")
    return f"{base}{'&' if '?' in base else '?'}options={options}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """The URL of a new, empty schema (skips the test when no server answers)."""
    import psycopg

    base = require_server()
    schema = f"sk_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
