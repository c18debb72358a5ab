"""The libpq connection keywords SQLAlchemy would hand psycopg for a database URL, worked out
without importing SQLAlchemy (for `k8stip deliver`'s idle check, `bot/runtime/idle_check.py`).

The URL is split with SQLAlchemy's own pattern (`sqlalchemy/engine/url.py`, `_parse_url`) and
the rules of its psycopg dialect (`create_connect_args`): user, password and database
percent-decoded, the host as written, the port as a number, and each query parameter passed on
as a keyword. Only plain URLs are answered; anything else is None, and the caller takes the
full path, where SQLAlchemy reads the URL and says what is wrong with it:

- a driver other than `postgresql+psycopg`;
- several hosts (`?host=a,b`), or `host`, `port`, `user`, `password` or `dbname` set again in
  the query (the dialect merges those in ways not worth copying);
- a query parameter given twice, or one that is not a libpq keyword (libpq would refuse it, or
  psycopg would take it as its own argument);
- a port that is not a number, or a `:` with no port after it.

`tests/runtime/test_pg_url.py` holds it to SQLAlchemy's answer over many URLs.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

DRIVER = "postgresql+psycopg"
# `sqlalchemy.engine.url._parse_url`, verbatim.
URL_PATTERN = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
        """,
    re.X,
)
# libpq's connection keywords that may come from the query string (PostgreSQL 17's list, less
# the URL's own parts, client_encoding, which the idle check sets itself, and replication).
QUERY_KEYWORDS = frozenset(
    """
    hostaddr passfile require_auth channel_binding connect_timeout options application_name
    fallback_application_name keepalives keepalives_idle keepalives_interval keepalives_count
    tcp_user_timeout gssencmode sslmode requiressl sslnegotiation sslcompression sslcert sslkey
    sslpassword sslcertmode sslrootcert sslcrl sslcrldir sslsni requirepeer
    ssl_min_protocol_version ssl_max_protocol_version krbsrvname gsslib gssdelegation service
    target_session_attrs load_balance_hosts
    """.split()
)


def libpq_params(url: str) -> dict[str, str] | None:
    """The keywords psycopg would connect with for a plain `postgresql+psycopg://` URL, as
    text; None for any URL this does not answer (see the module)."""
    found = URL_PATTERN.match(url)
    if found is None or found["name"] != DRIVER:
        return None
    parts = found.groupdict()
    params: dict[str, str] = {}
    host = parts["ipv4host"] or parts["ipv6host"]
    if host:
        params["host"] = host
    if parts["port"] is not None:  # `db:/x`, an empty port, is an error to SQLAlchemy too
        if not parts["port"].isascii() or not parts["port"].isdigit():
            return None
        if int(parts["port"]):  # SQLAlchemy drops a port of 0
            params["port"] = str(int(parts["port"]))
    for key, part in (("user", "username"), ("password", "password"), ("dbname", "database")):
        if parts[part]:
            value = unquote(parts[part])
            if value:
                params[key] = value
    query = parse_qsl(parts["query"] or "")
    keys = [key for key, _ in query]
    if len(set(keys)) != len(keys) or not set(keys) <= QUERY_KEYWORDS:
        return None
    params.update(query)
    if any("\x00" in v for v in params.values()):
        return None  # a C string ends there: libpq would read a shorter value
    return params
