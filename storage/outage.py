"""A database that cannot serve now (locked, unreachable, out of space), told from a bad query."""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# What the drivers raise themselves where ingest uses their cursors directly (COPY, executemany).
_DRIVER_ERRORS = (sqlite3.OperationalError, psycopg.OperationalError, psycopg.InterfaceError)

# Every error `unavailable` may recognise, for exception handlers.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError, InterfaceError, PoolTimeout, *_DRIVER_ERRORS)

# PostgreSQL's deadlock and serialization failures: the transaction may simply run again.
_RETRY_CODES = frozenset({"40P01", "40001"})


def unavailable(exc: BaseException) -> str | None:
    """One line for users on why the database cannot serve now; None for any other error."""
    if isinstance(exc, PoolTimeout):
        return "the database has no free connection (pool timeout)"
    if not isinstance(exc, (OperationalError, InterfaceError, *_DRIVER_ERRORS)) and not (
            isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return None
    detail = str(getattr(exc, "orig", exc) or exc).lower()
    if "locked" in detail or "busy" in detail:
        return "the database is locked by another writer"
    if "full" in detail or "no space" in detail or "could not extend" in detail:
        return "the database's disk is full"
    if "read-only" in detail or "readonly" in detail:
        return "the database is read-only"
    if "deadlock" in detail or "could not serialize" in detail:
        return "the database gave up on a conflict between concurrent writes"
    return "the database cannot be reached"


def retryable(exc: BaseException) -> bool:
    """Whether the transaction that raised `exc` may run again at once (deadlock, conflict)."""
    code = getattr(getattr(exc, "orig", exc), "sqlstate", None)
    return code in _RETRY_CODES
