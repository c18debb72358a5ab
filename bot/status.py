"""`k8stip status`: the subscriptions, when each posts next, and the paused channels."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from bot.app import (
    EXIT_OK,
    catch_up_window,
    database_key,
    open_store,
    setup_logging,
)
from bot.config import Config
from bot.core.schedules import parse_timezone
from bot.runtime.config_sync import config_subscriptions
from bot.runtime.store import Store
from bot.runtime.store.engine import reaching


def status(config: Config, args: argparse.Namespace) -> int:
    setup_logging(config, args)
    store = open_store(config)
    try:
        with reaching(config.database, database_key(config)):
            store.sync_config_subscriptions(
                config_subscriptions(config), datetime.now(UTC), catch_up_window(config)
            )
            rows = status_rows(store, datetime.now(UTC))
    finally:
        store.close()
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    if not rows:
        sys.stdout.write(
            "no subscriptions; add `subscriptions:` to the config or run /k8stip subscribe\n"
        )
    for r in rows:
        where = f"{r['platform']}:{r['workspace'] + '/' if r['workspace'] else ''}{r['channel']}"
        state = f"PAUSED ({r['paused_reason']})" if r["paused"] else f"next {r['next_post']}"
        last = r["last"]
        last_text = f"; last {last['local_date']} {last['status']}" if last else ""
        sys.stdout.write(
            f"{where}  {r['schedule']}  [{r['topics'] or 'all'}]  {state}{last_text}\n"
        )
    return EXIT_OK


def status_rows(store: Store, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for sub in store.list_subscriptions():
        _, due = sub.schedule.next_after(now)
        last = store.last_delivery(sub.id)
        rows.append(
            {
                "platform": sub.platform,
                "workspace": sub.workspace,
                "channel": sub.channel,
                "schedule": sub.schedule.describe(),
                "topics": ",".join(sub.topics),
                "origin": sub.origin,
                "paused": sub.paused,
                "paused_reason": sub.paused_reason,
                "member": sub.member,  # a personal subscription's member; "" for a channel's
                "next_post": due.astimezone(parse_timezone(sub.timezone)).isoformat(),
                "last": None
                if last is None
                else {
                    "local_date": last.local_date.isoformat(),
                    "status": last.status,
                    "tip_id": last.tip_id,
                    "error": last.last_error,
                },
            }
        )
    return rows
