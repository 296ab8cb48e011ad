"""Where the database's schema stands against the migrations this code ships (read only)."""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storage.db import alembic_config


@dataclass(frozen=True, slots=True)
class SchemaState:
    """The revisions the database is at, the heads this code needs, and every revision known."""

    current: frozenset[str]
    heads: frozenset[str]
    known: frozenset[str]

    @property
    def at_head(self) -> bool:
        return self.current == self.heads

    @property
    def ahead(self) -> bool:
        """The database was migrated by a newer release (a revision this code does not know)."""
        return bool(self.current - self.known)

    def describe(self) -> str:
        """One line: where the schema is and what to do about it."""
        at = ", ".join(sorted(self.current)) or "no revision (an empty database)"
        needs = ", ".join(sorted(self.heads))
        if self.at_head:
            return f"database schema is at {at}, the latest this release knows"
        if self.ahead:
            return (f"database schema is at {at}, newer than this release ({needs}): "
                    "run the newer release")
        return f"database schema is at {at}, this release needs {needs}: run `ai-cost migrate`"


def schema_state(engine: Engine) -> SchemaState:
    """Read the database's Alembic revision; never changes the database."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(
        hide_password=False)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return SchemaState(current=frozenset(current), heads=frozenset(script.get_heads()),
                       known=frozenset(rev.revision for rev in script.walk_revisions()))
