"""Whether a `k8stip deliver` pass has certainly nothing to do, asked of a SQLite database
with the standard library, before SQLAlchemy (half of an idle pass's start-up) is imported.

A Kubernetes CronJob runs `deliver` every few minutes and almost every run finds nothing due.
`is_idle` answers the question `planning.nothing_due` answers, read-only and in one read
transaction, and says True only when it is sure; any doubt is None, and then `deliver` runs the
full path (open the store, migrate, sync the config's subscriptions, `nothing_due`, the pass):

- not a plain `sqlite:///FILE` URL (PostgreSQL: not done here yet), no such file yet, any
  SQLite error, a schema that is not at the bundled head;
- the config's subscriptions not already in the store exactly as the sync would leave them
  (a new, changed or removed config subscription: the sync writes, and may plan a post);
- a row due by `at` still planned or claimed (a post or a retry waiting);
- a post in the look-back window whose ledger row does not exist yet.

Exactly-once is untouched: this writes nothing, and whenever it is not sure the full pass
decides. `tests/runtime/test_idle_check.py` holds it to the full planning over many
generated store states.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
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

# As `bot/runtime/delivery/planning.py` (plan_for, planned_since); a test checks they agree.
PLAN_LOOK_BACK = timedelta(hours=26)
PLANNED_SINCE = timedelta(hours=27)
OPEN_STATUSES = ("planned", "claimed")
CONFIG_ORIGIN = "config"


def config_rows(config: Config) -> dict[tuple[str, str, str], tuple[str | int | None, ...]]:
    """What `sync_config_subscriptions` stores for each config subscription: key ->
    (time, timezone, days, topics, mode, every_days, origin), as the columns hold them."""
    return {
        (s.platform, s.workspace, s.channel): (
            s.time,
            parse_timezone(s.timezone or config.timezone).key,
            days_to_text(parse_days(s.days)),
            ",".join(s.topics),
            s.mode,
            parse_every(s.days),  # `every N days`: a changed N is a change to sync
            CONFIG_ORIGIN,
        )
        for s in config.subscriptions
    }


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
    path = sqlite_path(config.database)
    if path is None or at.tzinfo is None or not path.is_file():
        return None
    try:
        with _read_only(path) as conn:
            return True if _idle(conn, config, at.astimezone(UTC), catch_up) else None
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError):
        return None  # e.g. a locked file, a table from another version, a stored value
        # this check does not parse: the full path knows what to do with it


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
    """A UTC instant as SQLAlchemy stores a DateTime in SQLite (naive, microseconds)."""
    naive = dt.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.") + f"{naive.microsecond:06d}"


def _idle(conn: sqlite3.Connection, config: Config, at: datetime, catch_up: timedelta) -> bool:
    head = text_head()
    versions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    if head is None or versions != [head]:
        return False
    subs = list(
        conn.execute(
            "SELECT id, platform, workspace, channel, time, timezone, days, topics, mode, "
            "every_days, origin, active_from FROM subscriptions"
        )
    )
    wanted = config_rows(config)
    synced: set[tuple[str, str, str]] = set()
    for _id, platform, workspace, channel, *values, _active_from in subs:
        key = (platform, workspace, channel)
        if key in wanted:
            if tuple(values) != wanted[key]:
                return False  # the sync would change it (or take a chat subscription over)
            synced.add(key)
        elif values[-1] == CONFIG_ORIGIN:
            return False  # a config subscription no longer in the file: the sync removes it
    if synced != set(wanted):
        return False  # a config subscription the store does not have yet
    marks = ",".join("?" * len(OPEN_STATUSES))
    open_row = conn.execute(
        f"SELECT 1 FROM deliveries WHERE status IN ({marks}) AND due_at <= ? LIMIT 1",
        (*OPEN_STATUSES, _stamp(at)),
    ).fetchone()
    if open_row is not None:
        return False
    start, late_since = at - catch_up - PLAN_LOOK_BACK, at - catch_up - PLANNED_SINCE
    needed: set[tuple[int, date]] = set()
    occurrences: dict[tuple[str, str, str], list[tuple[date, datetime]]] = {}
    for sub_id, _p, _w, _c, time, tz, days, *_rest, active_from in subs:
        key = (time, tz, days)
        due_dates = occurrences.get(key)
        if due_dates is None:
            schedule = Schedule.parse(time, tz, days_from_text(days))
            due_dates = occurrences[key] = schedule.occurrences(start, at)
        active = _aware(active_from)
        for local_date, due in due_dates:
            if active is None or due >= active:
                needed.add((int(sub_id), local_date))
    if not needed:
        return True
    existing = {
        (int(sub_id), date.fromisoformat(local_date))
        for sub_id, local_date in conn.execute(
            "SELECT subscription_id, local_date FROM deliveries WHERE due_at > ?",
            (_stamp(late_since),),
        )
    }
    return needed <= existing


def _aware(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
