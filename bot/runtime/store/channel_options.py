"""What an admin sets for how a channel's daily posts reach people: answers to their buttons in
the post's thread (`channel_settings.threads`) and the one role or user group a post pings
(`subscriptions.mention`, a token of `bot.core.mentions`). Both columns come from migration
0005.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, exists, select, update

from bot.runtime.store.dialect_insert import dialect_insert
from bot.runtime.store.schema import channel_settings, check_fits, deliveries, subscriptions
from bot.runtime.store.times import to_db

# A channel's on/off settings, one column each in `channel_settings`; a new row starts with
# every setting off.
SETTINGS = ("leaderboard", "threads")


def write_setting(
    engine: Engine,
    where: tuple[str, str, str],
    name: str,
    enabled: bool,
    by: str,
    now: datetime,
) -> None:
    """Set one of a channel's `SETTINGS` (platform, workspace, channel), leaving the others."""
    if name not in SETTINGS:
        raise ValueError(f"not a channel setting: {name!r}")
    platform, workspace, channel = where
    with engine.begin() as conn:
        row: dict[str, object] = {"platform": platform, "workspace": workspace}
        row |= {"channel": channel, "updated_by": by, "updated_at": to_db(now)}
        stmt = dialect_insert(
            conn, channel_settings, row | dict.fromkeys(SETTINGS, False) | {name: enabled}
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["platform", "workspace", "channel"],
                set_={
                    name: stmt.excluded[name],
                    "updated_by": stmt.excluded.updated_by,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )


def read_setting(engine: Engine, where: tuple[str, str, str], name: str) -> bool:
    """One of a channel's `SETTINGS` (False when the channel has no settings row)."""
    platform, workspace, channel = where
    s = channel_settings.c
    q = select(s[name]).where(
        s.platform == platform, s.workspace == workspace, s.channel == channel
    )
    with engine.connect() as conn:
        return bool(conn.execute(q).scalar())


class ChannelOptionQueries:
    """Threads and mentions. A part of `Store`, which supplies the engine."""

    engine: Engine

    def set_threads(
        self, platform: str, workspace: str, channel: str, enabled: bool, by: str, now: datetime
    ) -> None:
        """Turn a channel's thread answers on or off (off until an admin turns them on); the
        channel's other settings (the leaderboard) stay as they were."""
        write_setting(self.engine, (platform, workspace, channel), "threads", enabled, by, now)

    def threads_enabled(self, platform: str, workspace: str, channel: str) -> bool:
        return read_setting(self.engine, (platform, workspace, channel), "threads")

    def answers_in_thread(
        self, platform: str, workspace: str, channel: str, message_ref: str
    ) -> bool:
        """Whether a press on the message `message_ref` is answered in its thread: the channel
        has threads on and the message is one of its daily posts (a delivery row carries
        that message id). One query; False for an empty ref."""
        if not message_ref:
            return False
        s, d = channel_settings.c, deliveries.c
        daily_post = exists().where(
            d.platform == platform,
            d.workspace == workspace,
            d.channel == channel,
            d.message_id == message_ref,
        )
        q = select(s.threads).where(
            s.platform == platform,
            s.workspace == workspace,
            s.channel == channel,
            s.threads.is_(True),
            daily_post,
        )
        with self.engine.connect() as conn:
            return bool(conn.execute(q).scalar())

    def set_mention(self, subscription_id: int, mention: str, now: datetime) -> bool:
        """Set the subscription's mention token ("" for none); False when it is gone."""
        check_fits(subscriptions.c.mention, mention)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(mention=mention, updated_at=to_db(now))
            )
        return bool(done.rowcount)
