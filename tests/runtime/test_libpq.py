"""`bot/runtime/libpq.py`: one read-only snapshot through the libpq psycopg uses. Values come
back as text (NULL as None); nothing can be written; every failure is one `LibpqError`."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.runtime import libpq
from bot.runtime.pg_url import libpq_params
from tests.fakes.databases import pg_schema_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def url() -> Iterator[str]:
    with pg_schema_url() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id serial PRIMARY KEY, at timestamp, s text)"))
            conn.execute(
                text("INSERT INTO t (at, s) VALUES ('2026-03-03 08:00:00.5', 'zoë'), (NULL, NULL)")
            )
        engine.dispose()
        yield url


def params(url: str) -> dict[str, str]:
    found = libpq_params(url)
    assert found is not None
    return found


def test_rows_come_back_as_text_and_null_as_none(url: str) -> None:
    with libpq.read_only(params(url)) as query:
        rows = query("SELECT id, at, s, $1::int + 1 FROM t ORDER BY id", ["41"])
    assert rows == [("1", "2026-03-03 08:00:00.5", "zoë", "42"), ("2", None, None, "42")]


def test_dates_read_as_iso_whatever_the_server_default(url: str) -> None:
    """A database whose DateStyle is 'SQL, DMY' still hands the check ISO 8601."""
    dmy = params(url)
    dmy["options"] += " -cDateStyle=SQL,DMY"
    with libpq.read_only(dmy) as query:
        assert query("SELECT at FROM t WHERE id = 1", []) == [("2026-03-03 08:00:00.5",)]
        assert query("SELECT current_setting('DateStyle')", []) == [("ISO, YMD",)]


def test_a_read_held_up_by_a_lock_gives_up(url: str) -> None:
    """Behind a migration's ACCESS EXCLUSIVE lock, the read fails after the statement timeout
    instead of waiting with the CronJob."""
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE t IN ACCESS EXCLUSIVE MODE"))
        with libpq.read_only(params(url)) as query:
            assert query("SELECT current_setting('statement_timeout')", []) == [("5s",)]
            query("SELECT set_config('statement_timeout', '200ms', true)", [])
            with pytest.raises(libpq.LibpqError, match="statement timeout"):
                query("SELECT count(*) FROM t", [])
        conn.rollback()
    engine.dispose()


def test_nothing_can_be_written(url: str) -> None:
    refused = pytest.raises(libpq.LibpqError, match="read-only transaction")
    with refused, libpq.read_only(params(url)) as query:
        query("DELETE FROM t", [])
    with libpq.read_only(params(url)) as query:
        assert query("SELECT count(*) FROM t", []) == [("2",)]


def test_one_snapshot_for_every_query(url: str) -> None:
    """A row committed by someone else between two queries is not seen by the second."""
    with libpq.read_only(params(url)) as query:
        before = query("SELECT count(*) FROM t", [])
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (s) VALUES ('later')"))
        engine.dispose()
        assert query("SELECT count(*) FROM t", []) == before


def test_an_sql_error_is_a_libpq_error(url: str) -> None:
    failed = pytest.raises(libpq.LibpqError, match="no_such_table")
    with failed, libpq.read_only(params(url)) as query:
        query("SELECT * FROM no_such_table", [])


def test_a_database_that_is_down_is_a_libpq_error() -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        down = {"host": "127.0.0.1", "port": str(port), "dbname": "x"}
        with pytest.raises(libpq.LibpqError, match="refused"), libpq.read_only(down):
            pass


def test_the_bundled_libpq_is_the_one_psycopg_loaded() -> None:
    """With psycopg's binary wheel installed, the check loads the libpq it ships."""
    import psycopg

    if psycopg.pq.__impl__ != "binary":
        pytest.fail(f"this environment runs psycopg's {psycopg.pq.__impl__} build")
    [bundled] = [p for p in libpq.bundled_paths() if ".so" in p.name]
    with open("/proc/self/maps", encoding="utf-8") as maps:
        assert str(bundled.resolve()) in maps.read()
