"""The schema check every start makes: at head, Alembic stays unloaded; behind, it upgrades.

`bundled_head` and `current_revision` read the scripts and the `alembic_version` row
without Alembic; these tests hold them to Alembic's own answers on SQLite and PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.runtime.store import Store
from bot.runtime.store.migrate import (
    MIGRATIONS_DIR,
    alembic_head,
    bundled_head,
    current_revision,
    is_at_head,
)
from tests.core_support import ROOT
from tests.fakes.databases import database_url

BOTH = pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)


def alembic_says(store: Store) -> str | None:
    with store.engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev


def upgrade_to(store: Store, revision: str) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store.engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_the_bundled_head_read_from_the_scripts_is_alembics() -> None:
    assert bundled_head() == alembic_head() != ""


@BOTH
def test_the_revision_read_with_one_query_is_alembics_empty_behind_and_at_head(
    kind: str, tmp_path: Path
) -> None:
    with database_url(kind, tmp_path) as url:
        store = Store.open(url)
        try:
            assert current_revision(store.engine) is None is alembic_says(store)
            assert not is_at_head(store.engine)
            upgrade_to(store, "0002")
            assert current_revision(store.engine) == "0002" == alembic_says(store)
            assert not is_at_head(store.engine)
            assert store.migrate() == bundled_head() == alembic_says(store)
            assert is_at_head(store.engine)
        finally:
            store.close()


@BOTH
def test_a_database_behind_head_is_upgraded_when_the_store_opens(kind: str, tmp_path: Path) -> None:
    from bot.app import open_store
    from bot.config import config_from_mapping

    with database_url(kind, tmp_path) as url:
        behind = Store.open(url)
        upgrade_to(behind, "0002")
        behind.close()
        store = open_store(config_from_mapping({"database": url}))
        try:
            assert store.revision() == bundled_head()
            columns = {c["name"] for c in inspect(store.engine).get_columns("deliveries")}
            assert "retry_at" in columns  # 0003's column
        finally:
            store.close()


@BOTH
def test_opening_a_store_at_head_never_imports_alembic(kind: str, tmp_path: Path) -> None:
    with database_url(kind, tmp_path) as url:
        Store.open(url).migrate()  # at head, by Alembic
        probe = (
            "import sys\n"
            "from bot.app import open_store\n"
            "from bot.config import config_from_mapping\n"
            f"s = open_store(config_from_mapping({{'database': {url!r}}}))\n"
            "print(s.revision(), sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
            "s.close()\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert out.split() == [bundled_head(), "[]"]
