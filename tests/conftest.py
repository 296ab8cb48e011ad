"""Shared fixtures: a migrated database on SQLite and on the local PostgreSQL; databases seeded
once per session and copied for each test; the suite's clock for commands run through the CLI."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from config.organisation import Organisation, load_organisation
from storage.db import make_engine, migrate
from tests import clock

pytest_plugins = ["tests.fakes.slack_fixtures"]

PG_ADMIN_URL = os.environ.get(
    "AI_COST_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def _backends() -> tuple[str, ...]:
    """The backends each database test runs on: AI_COST_TEST_BACKENDS (a comma list), or both.

    `make test` runs the tests marked dated ahead on SQLite only, to stay quick: the clock's
    effects are computed in Python, the same on both.
    """
    wanted = os.environ.get("AI_COST_TEST_BACKENDS", "")
    chosen = tuple(b.strip() for b in wanted.split(",") if b.strip()) or BACKENDS
    unknown = sorted(set(chosen) - set(BACKENDS))
    if unknown:
        raise pytest.UsageError(f"AI_COST_TEST_BACKENDS: unknown {', '.join(unknown)}; "
                                f"known: {', '.join(BACKENDS)}")
    return chosen

# Fills a migrated, empty database; the directory is the seed's own, for files it writes.
Seed = Callable[[Engine, Path], None]


def pytest_report_header() -> str:
    return f"{clock.describe()}; databases: {', '.join(_backends())}"


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return str(exc).splitlines()[0]


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _pg_name() -> str:
    return f"ai_cost_test_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the server's maintenance database, to create and drop ours."""
    problem = _postgres_available()
    if problem:
        if os.environ.get("AI_COST_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but does not answer: {problem}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {problem}")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


def _create_pg(admin: Engine, name: str, template: str | None = None) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'
                          + (f' TEMPLATE "{template}"' if template else "")))
        # A test database may lose its last commits in a crash: commits need not wait for disk.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))


def _drop_pg(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url(pg_admin: Engine) -> Iterator[str]:
    """URL of a fresh PostgreSQL database, dropped at the end of the session."""
    name = _pg_name()
    _create_pg(pg_admin, name)
    try:
        yield _pg_url(name)
    finally:
        _drop_pg(pg_admin, name)


class Templates:
    """Databases filled once per session by a seed, then copied for each test that asks.

    SQLite: the filled file (checkpointed, so the WAL holds nothing) is copied. PostgreSQL:
    a template database, closed to connections once filled, copied with CREATE DATABASE …
    TEMPLATE. Every copy starts from the same data, and what a test changes stays in its copy.
    A PostgreSQL copy takes a third of a second: the next one is made, and a used one dropped,
    in the background while a test runs.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, Path] = {}
        self._databases: dict[str, str] = {}
        self._admin: Engine | None = None
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copies")
        self._spares: dict[str, Future[str]] = {}

    def sqlite_copy(self, key: str, seed: Seed, dest: Path) -> str:
        template = self._files.get(key)
        if template is None:
            template = self.root / f"{key}.db"
            url = f"sqlite:///{template}"
            migrate(url)
            engine = make_engine(url)
            try:
                seed(engine, self._scratch(key, "sqlite"))
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                engine.dispose()
            self._files[key] = template
        shutil.copyfile(template, dest)
        wal = template.with_name(template.name + "-wal")
        if wal.exists() and wal.stat().st_size:
            shutil.copyfile(wal, dest.with_name(dest.name + "-wal"))
        return f"sqlite:///{dest}"

    def postgres_copy(self, key: str, seed: Seed, admin: Engine) -> str:
        """A new database holding the seeded data; the caller drops it (`drop`)."""
        self._admin = admin
        template = self._databases.get(key)
        if template is None:
            template = _pg_name()
            _create_pg(admin, template)
            self._databases[key] = template
            url = _pg_url(template)
            migrate(url)
            engine = make_engine(url)
            try:
                seed(engine, self._scratch(key, "postgresql"))
            finally:
                engine.dispose()
            with admin.connect() as conn:  # a template must have no session open on it
                conn.execute(text(f'ALTER DATABASE "{template}" ALLOW_CONNECTIONS false'))
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name"), {"name": template})
        spare = self._spares.pop(key, None)
        name = spare.result() if spare is not None else self._copy(admin, template)
        self._spares[key] = self._background.submit(self._copy, admin, template)
        return _pg_url(name)

    @staticmethod
    def _copy(admin: Engine, template: str) -> str:
        name = _pg_name()
        _create_pg(admin, name, template=template)
        return name

    def drop(self, url: str) -> None:
        if self._admin is not None:
            self._background.submit(_drop_pg, self._admin, url.rsplit("/", 1)[1])

    def close(self) -> None:
        spares = [f.result() for f in self._spares.values()]
        self._background.shutdown(wait=True)
        if self._admin is not None:
            for name in [*spares, *self._databases.values()]:
                _drop_pg(self._admin, name)
        self._spares.clear()
        self._databases.clear()

    def _scratch(self, key: str, backend: str) -> Path:
        path = self.root / f"{key}-{backend}"
        path.mkdir(parents=True, exist_ok=True)
        return path


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    found = Templates(tmp_path_factory.mktemp("templates"))
    yield found
    found.close()


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database a test runs on: each such test runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, and a PostgreSQL database."""
    if backend == "sqlite":
        templates: Templates = request.getfixturevalue("templates")
        yield templates.sqlite_copy("empty", _nothing, tmp_path / "ai-cost.db")
        return
    base = request.getfixturevalue("postgres_url")
    migrate(base)
    yield base
    _empty(base)


def _nothing(engine: Engine, scratch: Path) -> None:
    """The seed of an empty database: the schema only."""


def _empty(url: str) -> None:
    """Delete every row and restart every sequence, as TRUNCATE … RESTART IDENTITY would.

    DELETE, with foreign keys unchecked for it, because TRUNCATE makes new files for each of
    some twenty tables: ten times slower on the small tables a test leaves behind.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for (table,) in conn.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'")).all():
                conn.execute(text(f'DELETE FROM "{table}"'))
            for (sequence,) in conn.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).all():
                conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    finally:
        engine.dispose()


SeededUrl = Callable[[str, Seed], str]


@pytest.fixture
def seeded_url(backend: str, templates: Templates, tmp_path: Path,
               request: pytest.FixtureRequest) -> Iterator[SeededUrl]:
    """`seeded_url(key, seed)`: the URL of this test's own copy of the database `seed` fills.

    The seed runs once per session and backend for each key; each call copies its result.
    The key names the seed and its arguments: one key, one seed.
    """
    made: list[str] = []

    def copy(key: str, seed: Seed) -> str:
        if backend == "sqlite":
            dest = tmp_path / f"{key}.db"
            n = 1
            while dest.exists():
                n += 1
                dest = tmp_path / f"{key}-{n}.db"
            return templates.sqlite_copy(key, seed, dest)
        url = templates.postgres_copy(key, seed, request.getfixturevalue("pg_admin"))
        made.append(url)
        return url

    yield copy
    for url in made:
        templates.drop(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def organisation() -> Organisation:
    return load_organisation(None)


@pytest.fixture
def cli_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Commands run through the CLI in this test take the suite's now (AI_COST_NOW)."""
    monkeypatch.setenv("AI_COST_NOW", clock.SUITE_NOW_ISO)
    return clock.SUITE_NOW
