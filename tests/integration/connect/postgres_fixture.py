"""A real PostgreSQL for the CDC tests (`kaspar.testing.postgres`): one temporary cluster with
`wal_level=logical` per test run, stopped at the end. scripts/test.sh installs the `postgresql`
package when it can; without the binaries the tests skip, saying so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaspar.testing.postgres import PostgresServer, postgres_bin_dir, running_postgres

__all__ = ["PostgresServer", "postgres", "postgres_bin_dir", "running_postgres"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One cluster for the whole run: tests name their tables, slots and publications apart."""
    try:
        cluster = running_postgres()
        server = cluster.__enter__()
    except LookupError as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        cluster.__exit__(None, None, None)
