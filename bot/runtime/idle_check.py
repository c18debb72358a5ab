"""Whether a `k8stip deliver` pass has certainly nothing to do, asked of the database before
SQLAlchemy (half of an idle pass's start-up) is imported: SQLite with the standard library's
`sqlite3`, PostgreSQL through libpq itself (`bot/runtime/libpq.py`: psycopg's import alone
costs more than the whole SQLite answer).

A Kubernetes CronJob runs `deliver` every few minutes and almost every run finds nothing due.
`is_idle` answers the question `planning.nothing_due` answers, read-only and in one read
transaction, with the same SQL on both databases, and says True only when it is sure; any doubt
is None, and then `deliver` runs the full path (open the store, migrate, sync the config's
subscriptions, `nothing_due`, the pass):

- not a plain `sqlite:///FILE` or `postgresql+psycopg://…` URL (`bot/runtime/pg_url.py` says
  which PostgreSQL URLs it reads as SQLAlchemy would), no such file yet, a database that
  cannot be reached (the full path then reports it), any database error, a schema that is
  not at the bundled head;
- the config's subscriptions not already in the store exactly as the sync would leave them
  (a new, changed or removed config subscription: the sync writes, and may plan a post);
- a row due by `at` still planned or claimed (a post or a retry waiting);
- a post in the look-back window whose ledger row does not exist yet.

Exactly-once is untouched: this writes nothing, and whenever it is not sure the full pass
decides. `tests/runtime/test_idle_check.py` holds it to the full planning over many
generated store states, on both databases.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.config import Config
from bot.core.schedules import (
    Schedule,
    days_from_text,
    days_to_text,
    parse_days,
    parse_every,
    parse_timezone,
)
from bot.runtime.schema_head import text_head

# Runs one statement (`?` placeholders) in the check's read transaction; returns its rows.
Query = Callable[[str, Sequence[str]], list[tuple[object, ...]]]

# As `bot/runtime/delivery/planning.py` (plan_for, planned_since); a test checks they agree.
PLAN_LOOK_BACK = timedelta(hours=26)
PLANNED_SINCE = timedelta(hours=27)
OPEN_STATUSES = ("planned", "claimed")
CONFIG_ORIGIN = "config"
# libpq waits as long as TCP does for a host that drops packets; past this the check gives up
# and the full pass (which waits its own 10 s, `bot/runtime/store/engine.py`) says why.
PG_CONNECT_TIMEOUT_SECONDS = 5


def config_rows(config: Config) -> dict[tuple[str, str, str], tuple[str | None, ...]]:
    """What `sync_config_subscriptions` stores for each config subscription: key ->
    (time, timezone, days, topics, mode, every_days, origin), as the columns hold them, as
    text (`_as_text`: PostgreSQL's rows come through libpq as text, SQLite's typed)."""
    return {
        (s.platform, s.workspace, s.channel): (
            s.time,
            parse_timezone(s.timezone or config.timezone).key,
            days_to_text(parse_days(s.days)),
            ",".join(s.topics),
            s.mode,
            _as_text(parse_every(s.days)),  # `every N days`: a changed N is a change to sync
            CONFIG_ORIGIN,
        )
        for s in config.subscriptions
    }


def _as_text(value: object) -> str | None:
    """A column value as text (None stays None), alike from SQLite and through libpq."""
    return None if value is None else str(value)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL (no driver, no query), else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or "#" in url or "%" in url:
        return None
    rest = url[len(prefix) :]
    if not rest or rest == ":memory:" or rest.startswith(("file:", "~")):
        return None  # "~": SQLAlchemy opens it literally, the folder check expands it
    return Path(rest)


def is_idle(config: Config, at: datetime, catch_up: timedelta) -> bool | None:
    """True when a pass for `at` certainly has nothing to do; None when only the full path
    can tell (never False: doubt and work look the same from here)."""
    if at.tzinfo is None:
        return None
    if config.database.startswith("postgresql"):
        return _is_idle_on_postgres(config, at.astimezone(UTC), catch_up)
    path = sqlite_path(config.database)
    if path is None or not path.is_file():
        return None
    try:
        with _read_only(path) as conn:

            def query(sql: str, args: Sequence[str]) -> list[tuple[object, ...]]:
                return conn.execute(sql, args).fetchall()

            return True if _idle(query, config, at.astimezone(UTC), catch_up) else None
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError):
        return None  # e.g. a locked file, a table from another version, a stored value
        # this check does not parse: the full path knows what to do with it


def _is_idle_on_postgres(config: Config, at: datetime, catch_up: timedelta) -> bool | None:
    from bot.runtime import libpq
    from bot.runtime.pg_url import libpq_params

    params = libpq_params(config.database)
    if params is None:
        return None
    params.setdefault("connect_timeout", str(PG_CONNECT_TIMEOUT_SECONDS))
    try:
        with libpq.read_only(params) as pg_query:

            def query(sql: str, args: Sequence[str]) -> list[tuple[object, ...]]:
                numbered = sql.split("?")  # `?` -> `$1`, `$2`, …: no literal here holds one
                text = numbered[0] + "".join(
                    f"${n}{rest}" for n, rest in enumerate(numbered[1:], 1)
                )
                return list(pg_query(text, args))

            return True if _idle(query, config, at, catch_up) else None
    except (libpq.LibpqError, OSError, ValueError, KeyError, TypeError):
        return None  # down, refused, no libpq here, an older schema: the full path decides


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=5, isolation_level=None)) as conn:
        conn.execute("BEGIN")  # one snapshot for every read below
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")


def _stamp(dt: datetime) -> str:
    """A UTC instant as SQLAlchemy stores a DateTime in SQLite (naive, microseconds); as a
    parameter PostgreSQL reads it as the same `timestamp without time zone`."""
    naive = dt.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.") + f"{naive.microsecond:06d}"


def _idle(query: Query, config: Config, at: datetime, catch_up: timedelta) -> bool:
    """The rules, over rows as text (PostgreSQL's, through libpq) or SQLite's own types."""
    head = text_head()
    versions = [r[0] for r in query("SELECT version_num FROM alembic_version", ())]
    if head is None or versions != [head]:
        return False
    subs = query(
        "SELECT id, platform, workspace, channel, time, timezone, days, topics, mode, "
        "every_days, origin, active_from FROM subscriptions",
        (),
    )
    wanted = config_rows(config)
    synced: set[tuple[str, str, str]] = set()
    for _id, platform, workspace, channel, *values, _active_from in subs:
        key = (str(platform), str(workspace), str(channel))
        if key in wanted:
            if tuple(_as_text(v) for v in values) != wanted[key]:
                return False  # the sync would change it (or take a chat subscription over)
            synced.add(key)
        elif values[-1] == CONFIG_ORIGIN:
            return False  # a config subscription no longer in the file: the sync removes it
    if synced != set(wanted):
        return False  # a config subscription the store does not have yet
    marks = ",".join("?" * len(OPEN_STATUSES))
    open_rows = query(
        f"SELECT 1 FROM deliveries WHERE status IN ({marks}) AND due_at <= ? LIMIT 1",
        (*OPEN_STATUSES, _stamp(at)),
    )
    if open_rows:
        return False
    start, late_since = at - catch_up - PLAN_LOOK_BACK, at - catch_up - PLANNED_SINCE
    needed: set[tuple[int, date]] = set()
    occurrences: dict[tuple[str, str, str], list[tuple[date, datetime]]] = {}
    for sub_id, _p, _w, _c, time, tz, days, *_rest, active_from in subs:
        key = (str(time), str(tz), str(days))
        due_dates = occurrences.get(key)
        if due_dates is None:
            schedule = Schedule.parse(key[0], key[1], days_from_text(key[2]))
            due_dates = occurrences[key] = schedule.occurrences(start, at)
        active = _aware(active_from)
        for local_date, due in due_dates:
            if active is None or due >= active:
                needed.add((int(str(sub_id)), local_date))
    if not needed:
        return True
    existing = {
        (int(str(sub_id)), date.fromisoformat(str(local_date)))
        for sub_id, local_date in query(
            "SELECT subscription_id, local_date FROM deliveries WHERE due_at > ?",
            (_stamp(late_since),),
        )
    }
    return needed <= existing


def _aware(value: object) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
