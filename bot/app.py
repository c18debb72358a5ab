"""The composition root: build everything from the validated config, run it, stop it.

`run` is the bot (scheduler, adapters, health server); `deliver_once` one delivery pass (a
Kubernetes CronJob can run it); `migrate` creates or upgrades the schema; `status` prints the
subscriptions. Slack and Discord adapters are imported only when their credentials are set,
so a console-only install never loads their SDKs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import signal
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy.engine import make_url

from bot import __version__
from bot.adapters.console import ConsoleAdapter
from bot.config import Config, ConfigError, Secrets, load_secrets
from bot.core.corpus import Corpus
from bot.core.invocation import Handler
from bot.core.schedules import parse_days, parse_timezone
from bot.ports import Adapter
from bot.runtime.store import Store, SubscriptionSpec

log = logging.getLogger("bot.app")

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
SHUTDOWN_SECONDS = 10.0


# -- building blocks --------------------------------------------------------------------


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for banners and logs."""
    return make_url(url).render_as_string(hide_password=True)


def open_store(config: Config) -> Store:
    """Open the database (creating a SQLite file's folder) and upgrade its schema."""
    store = Store.open(config.database)
    store.migrate()
    return store


def config_subscriptions(config: Config) -> list[SubscriptionSpec]:
    return [
        SubscriptionSpec(
            platform=s.platform,
            workspace=s.workspace,
            channel=s.channel,
            time=s.time,
            timezone=parse_timezone(s.timezone or config.timezone).key,
            days=parse_days(s.days),
            topics=tuple(s.topics),
        )
        for s in config.subscriptions
    ]


def catch_up_window(config: Config) -> timedelta:
    return timedelta(hours=config.delivery.catch_up_hours)


class StoreEvents:
    """PlatformEvents for adapters: uninstalls and removals pause that workspace's channels."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
        n = await asyncio.to_thread(
            self.store.pause_workspace, platform, workspace, reason, datetime.now(UTC)
        )
        log.warning(
            "%s workspace %s: %s; paused %d subscription(s)", platform, workspace, reason, n
        )


@dataclass
class AdapterSet:
    adapters: dict[str, Adapter] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what's missing, for the banner


_PLATFORM_SECRETS = {
    ("slack", "socket"): ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"),
    ("slack", "http"): ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    # Multi-workspace install: each workspace's bot token comes from the OAuth flow.
    ("slack", "oauth"): ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"),
    ("discord", ""): ("DISCORD_TOKEN",),
}


def build_adapters(
    config: Config,
    secrets: Secrets,
    handle: Handler,
    events: StoreEvents,
    console: ConsoleAdapter,
    corpus: Corpus | None = None,
) -> AdapterSet:
    """The console adapter always; Slack and Discord when configured and credentialed.

    `corpus` (the engine's, already loaded) feeds Discord's topic autocomplete."""
    out = AdapterSet({"console": console})
    slack_mode = (
        "oauth" if config.slack.mode == "http" and config.slack.oauth else config.slack.mode
    )
    for platform, enabled, mode in (
        ("slack", config.slack.enabled, slack_mode),
        ("discord", config.discord.enabled, ""),
    ):
        needed = _PLATFORM_SECRETS[(platform, mode)]
        missing = [n for n in needed if not secrets.get(n)]
        title = platform.capitalize()
        if enabled is False:
            out.notes.append(f"{title}: off ({platform}.enabled: false in the config)")
            continue
        if missing:
            if enabled:
                raise ConfigError(
                    [
                        f"{config.source}: {platform}.enabled is true but "
                        f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set; "
                        f"set {'them' if len(missing) > 1 else 'it'} in the environment "
                        f"(or NAME_FILE pointing at a secret file)"
                    ]
                )
            also = "each also as NAME_FILE" if len(missing) > 1 else f"or {missing[0]}_FILE"
            out.notes.append(f"{title}: off; set {' and '.join(missing)} ({also}) to turn it on")
            continue
        try:
            module = importlib.import_module(f"bot.adapters.{platform}")
        except ModuleNotFoundError as e:
            if e.name != f"bot.adapters.{platform}":
                raise
            out.notes.append(f"{title}: credentials set, but this build has no {platform} adapter")
            continue
        extra: dict[str, Any] = {}
        if platform == "discord" and corpus is not None:
            from bot.adapters.discord.commands import topic_suggester

            extra["suggest"] = topic_suggester(corpus.topics.values())
        out.adapters[platform] = module.create_adapter(config, secrets, handle, events, **extra)
    return out


def parse_at(value: str | None, default_tz: str) -> datetime | None:
    """`--at` as an aware instant; a value without an offset is in the config's timezone."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            [f"--at {value!r}: not an ISO 8601 instant; e.g. --at 2026-03-29T09:00+02:00"]
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=parse_timezone(default_tz))


def _setup_logging(config: Config, args: argparse.Namespace) -> None:
    level = "DEBUG" if getattr(args, "debug", False) else config.log_level
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if level != "DEBUG":  # schema checks on every start are not news
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


# -- k8stip migrate ---------------------------------------------------------------------


def migrate(config: Config, args: argparse.Namespace) -> int:
    _setup_logging(config, args)
    store = Store.open(config.database)
    try:
        before = store.revision()
        after = store.migrate()
    finally:
        store.close()
    what = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    sys.stdout.write(f"{safe_url(config.database)}: {what} schema revision {after} (newest)\n")
    return EXIT_OK


# -- k8stip deliver ---------------------------------------------------------------------


def deliver_once(config: Config, args: argparse.Namespace) -> int:
    _setup_logging(config, args)
    return asyncio.run(_deliver_once(config, args))


async def _deliver_once(config: Config, args: argparse.Namespace) -> int:
    from bot.core.engine import Engine
    from bot.runtime.delivery import Deliverer
    from bot.runtime.router import Router

    as_json = bool(getattr(args, "json", False))
    at = parse_at(getattr(args, "at", None), config.timezone)
    now = datetime.now(UTC)
    secrets = load_secrets()
    store = await asyncio.to_thread(open_store, config)
    try:
        await asyncio.to_thread(
            store.sync_config_subscriptions,
            config_subscriptions(config),
            at or now,
            catch_up_window(config),
        )
        engine = Engine.from_config(config)
        router = Router(engine, store, config)
        # With --json, standard output is one JSON document: console tips go to stderr.
        console = ConsoleAdapter(out=sys.stderr if as_json else sys.stdout, interactive=False)
        built = build_adapters(
            config, secrets, router.handle, StoreEvents(store), console, engine.corpus
        )
        deliverer = Deliverer(store, engine, built.adapters, config.delivery)
        try:
            results = await deliverer.run_pass(at)
        finally:
            for adapter in built.adapters.values():
                await adapter.stop()
        left = await asyncio.to_thread(
            store.open_deliveries_by_platform, at or now, datetime.now(UTC)
        )
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in results], indent=2) + "\n")
    else:
        _print_results(results, sys.stdout)
    for note in waiting_notes(left, built.adapters):
        sys.stderr.write(f"k8stip deliver: {note}\n")
    return EXIT_PROBLEMS if any(r.status == "failed" for r in results) else EXIT_OK


def waiting_notes(left: Mapping[str, tuple[int, int]], platforms: Collection[str]) -> list[str]:
    """Why due posts are still open after a pass. `left` is
    `Store.open_deliveries_by_platform`: platform -> (open, held by a live claim)."""
    notes = []
    missing = {p: n for p, (n, _) in sorted(left.items()) if p not in platforms and n}
    if missing:
        names = ", ".join(missing)
        notes.append(
            f"{sum(missing.values())} due post(s) are for platforms without credentials here "
            f"({names}; see k8stip status); they wait for a process that has them"
        )
    held = sum(h for p, (_, h) in left.items() if p in platforms)
    if held:
        notes.append(
            f"{held} due post(s) are held by another process, which is posting them "
            "(if it died, the next pass takes them over once its lease runs out)"
        )
    return notes


def _print_results(results: Sequence[Any], out: TextIO) -> None:
    if not results:
        out.write("nothing due\n")
        return
    for r in results:
        where = f"{r.platform}:{r.workspace + '/' if r.workspace else ''}{r.channel}"
        extra = f"  ({r.error})" if r.error else ""
        out.write(f"{r.status:<8} {where}  {r.local_date}  {r.tip_id or '-'}{extra}\n")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.write(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "\n")


# -- k8stip status ----------------------------------------------------------------------


def status(config: Config, args: argparse.Namespace) -> int:
    _setup_logging(config, args)
    store = open_store(config)
    try:
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


# -- k8stip run -------------------------------------------------------------------------


def run(config: Config, args: argparse.Namespace) -> int:
    _setup_logging(config, args)
    return asyncio.run(_run(config, args))


async def _run(config: Config, args: argparse.Namespace) -> int:
    from bot.core.engine import Engine
    from bot.runtime.delivery import Deliverer
    from bot.runtime.health import HealthServer, Metrics
    from bot.runtime.router import Router
    from bot.runtime.scheduler import DeliveryScheduler

    secrets = load_secrets()
    store = await asyncio.to_thread(open_store, config)
    await asyncio.to_thread(
        store.sync_config_subscriptions,
        config_subscriptions(config),
        datetime.now(UTC),
        catch_up_window(config),
    )
    engine = Engine.from_config(config)
    metrics = Metrics()
    router = Router(engine, store, config, observer=metrics)
    interactive = sys.stdin.isatty() and not getattr(args, "no_console", False)
    console = ConsoleAdapter(router.handle, out=sys.stdout, interactive=interactive)
    built = build_adapters(
        config, secrets, router.handle, StoreEvents(store), console, engine.corpus
    )
    deliverer = Deliverer(store, engine, built.adapters, config.delivery, observer=metrics)
    connected: dict[str, bool] = dict.fromkeys(built.adapters, False)

    async def ready() -> tuple[bool, dict[str, str]]:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(asyncio.to_thread(store.ping), timeout=3)
            checks["store"] = "ok"
        except Exception as e:
            checks["store"] = f"unreachable ({type(e).__name__})"
        for name, ok in connected.items():
            checks[name] = "connected" if ok else "not connected"
        ok = checks["store"] == "ok" and all(connected.values())
        return ok, checks

    async def refresh_gauges() -> None:
        subs = await asyncio.to_thread(store.list_subscriptions)
        metrics.subscriptions.set(len(subs))
        metrics.paused.set(sum(1 for s in subs if s.paused))

    health = None
    if config.health.enabled:
        health = HealthServer(
            config.health.host, config.health.port, metrics, ready, refresh_gauges
        )
        await health.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    for name, adapter in built.adapters.items():
        try:
            await adapter.start()
            connected[name] = True
        except Exception:
            log.exception("%s: could not connect; daily posts still go out over REST", name)
    scheduler = DeliveryScheduler(deliverer, config.delivery.tick_seconds)
    scheduler.start()
    _banner(config, engine, store, built, health, interactive, sys.stderr)
    await console.greet()

    await stop.wait()
    sys.stderr.write("k8stip: stopping…\n")
    await _shutdown(scheduler, built.adapters, health, store)
    return EXIT_OK


async def _shutdown(
    scheduler: Any, adapters: dict[str, Adapter], health: Any, store: Store
) -> None:
    """Everything stops within SHUTDOWN_SECONDS: a pass in flight gets most of it."""
    await scheduler.shutdown(grace_seconds=SHUTDOWN_SECONDS - 3)
    for name, adapter in adapters.items():
        try:
            await asyncio.wait_for(adapter.stop(), timeout=1.5)
        except Exception:
            log.warning("%s: did not stop cleanly", name)
    if health is not None:
        await health.stop()
    store.close()


def _banner(
    config: Config,
    engine: Any,
    store: Store,
    built: AdapterSet,
    health: Any,
    interactive: bool,
    out: TextIO,
) -> None:
    subs = store.list_subscriptions()
    by_platform: dict[str, int] = {}
    for s in subs:
        by_platform[s.platform] = by_platform.get(s.platform, 0) + 1
    active = ", ".join(f"{p} ({by_platform.get(p, 0)} subscriptions)" for p in built.adapters)
    lines = [
        f"k8stip {__version__}: {len(engine.corpus.tips)} tips, {len(engine.corpus.topics)} topics",
        f"  store:   {safe_url(config.database)} (schema {store.revision()})",
        f"  active:  {active}",
    ]
    lines += [f"  missing: {note}" for note in built.notes]
    if health is not None:
        lines.append(f"  health:  http://{config.health.host}:{health.port}/healthz")
    lines.append(
        "  Type /k8stip help (Ctrl-C to quit)."
        if interactive
        else "  Console input is off (stdin is not a terminal); daily tips print here."
    )
    out.write("\n".join(lines) + "\n")
    out.flush()
