"""`bot/runtime/pg_url.py` reads a PostgreSQL URL as SQLAlchemy's psycopg dialect does: for
every URL it answers, the libpq keywords are the ones the full path would connect with; any
URL SQLAlchemy rejects or reads in a way not copied here gets no answer (the full path)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.runtime.pg_url import libpq_params


def sqlalchemy_params(url: str) -> dict[str, str] | None:
    """What SQLAlchemy hands `psycopg.connect` for `url` (its adapters map aside), as text;
    None when it cannot read the URL."""
    try:
        parsed = make_url(url)
        engine = create_engine(parsed)  # connects to nothing
    except Exception:
        return None
    try:
        _args, params = engine.dialect.create_connect_args(parsed)
    except Exception:
        return None
    finally:
        engine.dispose()
    params.pop("context", None)
    return {key: str(value) for key, value in params.items()}


def agrees(url: str) -> dict[str, str] | None:
    ours = libpq_params(url)
    if ours is not None:
        assert ours == sqlalchemy_params(url), url
    return ours


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://k8stip:s3cret@db:5432/k8stip",
            {"host": "db", "port": "5432", "user": "k8stip", "password": "s3cret"}
            | {"dbname": "k8stip"},
        ),
        (
            "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dk8s",
            {"host": "127.0.0.1", "port": "5432", "user": "postgres", "dbname": "test"}
            | {"options": "-csearch_path=k8s"},
        ),
        (
            "postgresql+psycopg://u:p%40ss%2Fw%3Ard@[::1]:6432/my%20db?sslmode=require"
            "&application_name=k8stip+cron&connect_timeout=3",
            {"host": "::1", "port": "6432", "user": "u", "password": "p@ss/w:rd"}
            | {"dbname": "my db", "sslmode": "require", "application_name": "k8stip cron"}
            | {"connect_timeout": "3"},
        ),
        ("postgresql+psycopg:///k8stip", {"dbname": "k8stip"}),  # the Unix socket, libpq's
        ("postgresql+psycopg://", {}),  # everything from PG* variables
        ("postgresql+psycopg://db:0/x", {"host": "db", "dbname": "x"}),
    ],
)
def test_plain_urls_give_the_keywords_sqlalchemy_gives(url: str, expected: dict[str, str]) -> None:
    assert agrees(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@db/x",  # psycopg2, SQLAlchemy's default driver: not installed
        "postgresql+asyncpg://u@db/x",
        "postgres+psycopg://u@db/x",
        "sqlite:///data/k8stip.db",
        "postgresql+psycopg://u@db:notaport/x",
        "postgresql+psycopg://u@db:/x",  # an empty port: SQLAlchemy's int('') fails
        "postgresql+psycopg://:@:?@/",  # found by the property test below
        "postgresql+psycopg://u@db:５４３２/x",  # full-width digits: int() takes them
        "postgresql+psycopg://u@db/x?host=a,b",  # several hosts
        "postgresql+psycopg://u@db/x?host=a:5432&host=b:5433",
        "postgresql+psycopg://u@db/x?port=6432",
        "postgresql+psycopg://u@db/x?user=other",
        "postgresql+psycopg://u@db/x?sslmode=require&sslmode=disable",  # given twice
        "postgresql+psycopg://u@db/x?client_encoding=latin1",  # the check sets its own
        "postgresql+psycopg://u@db/x?prepare_threshold=0",  # psycopg's argument, not libpq's
        "postgresql+psycopg://u@db/x?no_such_keyword=1",
        "postgresql+psycopg://u:a%00b@db/x",  # a NUL would cut libpq's C string short
        "not a url",
    ],
)
def test_other_urls_get_no_answer(url: str) -> None:
    assert libpq_params(url) is None


PART = st.text(st.sampled_from("aZ9._-~ %@:/?#&=+[]\x00é"), max_size=8)
QUERY_KEY = st.sampled_from(["sslmode", "options", "host", "port", "application_name", "x"])


@settings(max_examples=300, deadline=None)
@given(
    user=PART,
    password=st.none() | PART,
    host=st.sampled_from(["", "db", "127.0.0.1", "[::1]", "db.example", "a,b"]),
    port=st.sampled_from(["", ":5432", ":0", ":x", ":05432"]),
    database=PART,
    query=st.lists(st.tuples(QUERY_KEY, PART), max_size=3),
    encode=st.booleans(),
)
def test_generated_urls_are_read_as_sqlalchemy_reads_them(
    user: str,
    password: str | None,
    host: str,
    port: str,
    database: str,
    query: list[tuple[str, str]],
    encode: bool,
) -> None:
    """Raw or percent-encoded parts, odd characters, repeated and unknown query keys: an
    answer is SQLAlchemy's answer."""
    enc: Any = (lambda s: quote(s, safe="")) if encode else (lambda s: s)
    auth = f"{enc(user)}:{enc(password)}@" if password is not None else f"{enc(user)}@"
    qs = "&".join(f"{k}={enc(v)}" for k, v in query)
    url = f"postgresql+psycopg://{auth}{host}{port}/{enc(database)}" + (f"?{qs}" if qs else "")
    agrees(url)
