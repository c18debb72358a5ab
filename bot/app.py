"""The composition root: build everything from the validated config, run it, stop it.

`run` is the bot (scheduler, adapters, health server); `deliver_once` one delivery pass (a
Kubernetes CronJob can run it); both build their parts with `wire`. `migrate` creates or
upgrades the schema; `status` (`bot/status.py`) prints the subscriptions. Each platform's
`AdapterFactory` says which secrets it needs before its SDK loads, so a console-only install
never loads slack-bolt or discord.py; a deliver pass with nothing due loads neither the tips
nor any adapter.

`run` binds its ports before it opens the store, so a second bot on a taken port stops before
it migrates anything; a database that cannot be reached stops every command with one
`store error:` line, and a database URL that cannot be used with one `config error:` line.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.engine import make_url

from bot import __version__
from bot.config import DATABASE_URL_ENV, Config, ConfigError, Secrets, load_secrets
from bot.core.schedules import parse_timezone
from bot.deliver_output import print_results, waiting_notes
from bot.runtime.config_sync import config_subscriptions
from bot.runtime.store import Store
from bot.runtime.store.engine import DatabaseURLError, reaching
from bot.startup import health_socket, port_message, port_problem, web_socket

if TYPE_CHECKING:  # imported where used: `migrate`, `status` and an idle pass need none
    from bot.adapters.console import ConsoleAdapter
    from bot.core.corpus import Topic
    from bot.core.engine import Engine
    from bot.core.invocation import Handler
    from bot.ports import Adapter, AdapterFactory, PlatformEvents
    from bot.runtime.delivery import Deliverer
    from bot.runtime.metrics import LateMetrics, Metrics
    from bot.runtime.router import Router

log = logging.getLogger("bot.app")

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
SHUTDOWN_SECONDS = 10.0
DATABASE_URL_EXAMPLES = (
    "sqlite:///data/k8stip.db or postgresql+psycopg://k8stip:PASSWORD@db:5432/k8stip"
)


# -- building blocks --------------------------------------------------------------------


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for banners and logs."""
    return make_url(url).render_as_string(hide_password=True)


def database_key(config: Config) -> str:
    """Where the database URL was set, for messages that tell what to change."""
    for name in (DATABASE_URL_ENV, f"{DATABASE_URL_ENV}_FILE"):
        if os.environ.get(name, "").strip():
            return name
    if config.source == "<defaults>":
        return f"`database` (not set: the default; set it in the config or {DATABASE_URL_ENV})"
    return f"`database` in {config.source} (or {DATABASE_URL_ENV})"


def open_store(config: Config, *, upgrade: bool = True) -> Store:
    """Open the database (creating a SQLite file's folder), check that it answers, and
    upgrade its schema unless `upgrade` is false. A URL that cannot be used is a ConfigError
    naming the key; a database that cannot be reached a StoreError naming the host and port.
    Neither says the password."""
    key = database_key(config)
    try:
        store = Store.open(config.database)
    except DatabaseURLError as e:
        raise ConfigError([f"{key}: {e.problem}; e.g. {DATABASE_URL_EXAMPLES}"]) from None
    try:
        with reaching(config.database, key):
            store.ping()
            if upgrade:
                store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def check_slack_port(config: Config, secrets: Secrets) -> None:
    """In Slack HTTP mode, stop before the store opens when `slack.http_port` is taken. Only
    a probe (bind, then close): the Slack adapter binds the port itself when it starts."""
    if config.slack.mode != "http" or config.slack.enabled is False:
        return
    try:
        factory = _slack_factory()
    except ModuleNotFoundError:
        return  # build_adapters reports a build without Slack
    if any(not secrets.get(name) for name in factory.secrets_needed(config)):
        return  # Slack stays off (build_adapters says why)
    problem = port_problem(config.slack.http_host, config.slack.http_port)
    if problem is not None:
        raise ConfigError([port_message(config, "slack.http_port", problem)])


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


if TYPE_CHECKING:  # mypy proves StoreEvents follows the PlatformEvents protocol
    _follows_protocol: type[PlatformEvents] = StoreEvents


@dataclass
class AdapterSet:
    adapters: dict[str, Adapter] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what's missing, for the banner


# Each platform's factory is imported when asked for, so a build without that adapter
# package still runs (and says so); the package itself loads its SDK only in `create`.


def _slack_factory() -> AdapterFactory:
    from bot.adapters.slack import FACTORY

    return FACTORY


def _discord_factory() -> AdapterFactory:
    from bot.adapters.discord import FACTORY

    return FACTORY


# In the order the banner names them.
ADAPTER_FACTORIES: Mapping[str, Callable[[], AdapterFactory]] = {
    "slack": _slack_factory,
    "discord": _discord_factory,
}


def platforms_to_run(config: Config, secrets: Secrets) -> tuple[list[AdapterFactory], list[str]]:
    """The factories of the platforms that run here, and why each other one does not (for
    the banner). A platform enabled in the config without its secrets is a ConfigError. Loads
    no SDK."""
    factories: list[AdapterFactory] = []
    notes: list[str] = []
    for platform, load_factory in ADAPTER_FACTORIES.items():
        title = platform.capitalize()
        try:
            factory = load_factory()
        except ModuleNotFoundError as e:
            if e.name != f"bot.adapters.{platform}":
                raise
            notes.append(f"{title}: this build has no {platform} adapter")
            continue
        enabled = factory.enabled(config)
        missing = [n for n in factory.secrets_needed(config) if not secrets.get(n)]
        if enabled is False:
            notes.append(f"{title}: off ({platform}.enabled: false in the config)")
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
            notes.append(f"{title}: off; set {' and '.join(missing)} ({also}) to turn it on")
            continue
        factories.append(factory)
    return factories, notes


def build_adapters(
    config: Config,
    secrets: Secrets,
    handle: Handler,
    events: PlatformEvents,
    console: ConsoleAdapter,
    topics: Collection[Topic],
) -> AdapterSet:
    """The console adapter always; Slack and Discord when configured and credentialed.

    `topics` (the engine's corpus, already loaded) feeds Discord's topic autocomplete."""
    factories, notes = platforms_to_run(config, secrets)
    out = AdapterSet({"console": console}, notes)
    for factory in factories:
        out.adapters[factory.platform] = factory.create(config, secrets, handle, events, topics)
    return out


@dataclass
class Wiring:
    """What `run` and `deliver` both build from the config (see `wire`)."""

    store: Store
    engine: Engine
    router: Router
    console: ConsoleAdapter
    adapters: dict[str, Adapter]  # the console, then each platform that runs here
    notes: list[str]  # the platforms that don't, and why, for the banner
    build_deliverer: Callable[[], Deliverer]

    @functools.cached_property
    def deliverer(self) -> Deliverer:
        """Built (and its modules imported) on first use: `run` answers the console first."""
        return self.build_deliverer()


async def open_synced_store(config: Config, at: datetime) -> Store:
    """The store, opened and upgraded, with the config's subscriptions synced as of `at`."""
    store = await asyncio.to_thread(open_store, config)
    try:
        with reaching(config.database, database_key(config)):
            await asyncio.to_thread(
                store.sync_config_subscriptions,
                config_subscriptions(config),
                at,
                catch_up_window(config),
            )
    except BaseException:
        store.close()
        raise
    return store


async def wire(
    config: Config,
    secrets: Secrets,
    *,
    at: datetime,
    console_out: TextIO,
    interactive: bool,
    metrics: Metrics | LateMetrics | None = None,
    store: Store | None = None,
) -> Wiring:
    """Open the store (config subscriptions synced as of `at`) unless `store` is one so
    opened, load the corpus, and build the router, the adapters and the deliverer (on first
    use of `Wiring.deliverer`). `metrics` observes commands and deliveries. The store is closed
    again if any of it fails; otherwise closing it is the caller's."""
    from bot.adapters.console import ConsoleAdapter
    from bot.runtime.community_wiring import community_wiring
    from bot.runtime.delivery.post_now import LatePostNow
    from bot.runtime.router import Router

    if store is None:
        store = await open_synced_store(config, at)
    opened = store
    try:
        engine, notifier = community_wiring(config, store, metrics)
        post_now = LatePostNow()  # `post now` posts through the deliverer built below
        router = Router(
            engine, store, config, observer=metrics, notifier=notifier, post_now=post_now
        )
        console = ConsoleAdapter(router.handle, out=console_out, interactive=interactive)
        built = build_adapters(
            config,
            secrets,
            router.handle,
            StoreEvents(store),
            console,
            engine.corpus.topics.values(),
        )

        def deliverer() -> Deliverer:
            from bot.runtime.delivery import Deliverer
            from bot.runtime.delivery.tip_choice import learning_settings

            return Deliverer(
                opened,
                engine,
                built.adapters,
                config.delivery,
                observer=metrics,
                learning=learning_settings(config.learning),
            )
    except BaseException:
        store.close()
        raise
    notifier.adapters.update(built.adapters)
    wired = Wiring(store, engine.base, router, console, built.adapters, built.notes, deliverer)
    post_now.bind_when_used(lambda: wired.deliverer)
    return wired


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


def setup_logging(config: Config, args: argparse.Namespace) -> None:
    level = "DEBUG" if getattr(args, "debug", False) else config.log_level
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if level != "DEBUG":  # schema checks on every start are not news
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


# -- k8stip migrate ---------------------------------------------------------------------


def migrate(config: Config, args: argparse.Namespace) -> int:
    setup_logging(config, args)
    store = open_store(config, upgrade=False)
    try:
        with reaching(config.database, database_key(config)):
            before = store.revision()
            after = store.migrate()
    finally:
        store.close()
    what = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    sys.stdout.write(f"{safe_url(config.database)}: {what} schema revision {after} (newest)\n")
    return EXIT_OK


# -- k8stip deliver ---------------------------------------------------------------------


def deliver_once(config: Config, args: argparse.Namespace) -> int:
    setup_logging(config, args)
    return asyncio.run(_deliver_once(config, args))


async def _deliver_once(config: Config, args: argparse.Namespace) -> int:
    from bot.runtime.delivery.planning import nothing_due

    as_json = bool(getattr(args, "json", False))
    at = parse_at(getattr(args, "at", None), config.timezone)
    now = datetime.now(UTC)
    secrets = load_secrets()
    platforms_to_run(config, secrets)  # a platform enabled without its secrets stops here
    store = await open_synced_store(config, at or now)
    try:
        with reaching(config.database, database_key(config)):
            idle = await asyncio.to_thread(
                nothing_due, store, at or now, now, catch_up_window(config)
            )
    except BaseException:
        store.close()
        raise
    if idle:  # what a full pass would print, without loading the tips or any adapter
        store.close()
        sys.stdout.write("[]\n" if as_json else "nothing due\n")
        return EXIT_OK
    wired = await wire(
        config,
        secrets,
        at=at or now,
        # With --json, standard output is one JSON document: console tips go to stderr.
        console_out=sys.stderr if as_json else sys.stdout,
        interactive=False,
        store=store,
    )
    try:
        try:
            results = await wired.deliverer.run_pass(at)
        finally:
            for adapter in wired.adapters.values():
                await adapter.stop()
        left = await asyncio.to_thread(
            wired.store.open_deliveries_by_platform, at or now, datetime.now(UTC)
        )
    finally:
        wired.store.close()
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in results], indent=2) + "\n")
    else:
        print_results(results, sys.stdout)
    for note in waiting_notes(left, wired.adapters):
        sys.stderr.write(f"k8stip deliver: {note}\n")
    return EXIT_PROBLEMS if any(r.status == "failed" for r in results) else EXIT_OK


# -- k8stip run -------------------------------------------------------------------------


def run(config: Config, args: argparse.Namespace) -> int:
    setup_logging(config, args)
    return asyncio.run(_run(config, args))


async def _run(config: Config, args: argparse.Namespace) -> int:
    from bot.console_first import ConsoleActivity, after_console, import_health_and_scheduler
    from bot.runtime.metrics import LateMetrics, Metrics

    observer = LateMetrics()  # counts from the first command; Metrics comes with aiohttp
    interactive = sys.stdin.isatty() and not getattr(args, "no_console", False)
    secrets = load_secrets()
    # Ports before anything: a second bot on a taken port stops here, before the store opens.
    health_sock, health_note = None, ""
    if config.health.enabled:
        health_sock, health_note = health_socket(config, at_terminal=sys.stdin.isatty())
    try:
        web_sock = web_socket(config, secrets)  # the admin web console, when it is on
    except BaseException:
        if health_sock is not None:
            health_sock.close()
        raise
    try:
        check_slack_port(config, secrets)
        wired = await wire(
            config,
            secrets,
            at=datetime.now(UTC),
            console_out=sys.stdout,
            interactive=interactive,
            metrics=observer,
        )
    except BaseException:
        for sock in (health_sock, web_sock):
            if sock is not None:
                sock.close()
        raise
    store = wired.store
    connected: dict[str, bool] = dict.fromkeys(wired.adapters, False)
    # At a terminal, once the console is quiet (not earlier: two threads share one interpreter
    # lock, and a command typed at once would wait for half of it); otherwise at once.
    activity = ConsoleActivity.around(wired.console) if interactive else None
    late_imports = asyncio.create_task(after_console(activity, import_health_and_scheduler))

    async def start_health() -> Any:
        """Serve health on the socket bound at start (earlier probes wait in its backlog)."""
        await late_imports
        metrics = Metrics()
        observer.attach(metrics)
        if health_sock is None:
            return None
        from bot.runtime.health import HealthServer, learning_counts, readiness

        async def refresh_gauges() -> None:
            total, paused = await asyncio.to_thread(store.subscription_counts)
            metrics.subscriptions.set(total)
            metrics.paused.set(paused)
            (await asyncio.to_thread(learning_counts, store)).report(metrics)

        server = HealthServer(
            config.health.host,
            config.health.port,
            metrics,
            readiness(store, connected, wired.deliverer.unauthorized),
            refresh_gauges,
            gauge_seconds=config.delivery.tick_seconds,
            sock=health_sock,
        )
        await server.start()
        return server

    health_task = asyncio.create_task(start_health())

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    for name, adapter in wired.adapters.items():
        try:
            await adapter.start()
            connected[name] = True
        except ConfigError:  # secrets-at-rest: an operator mistake (a wrong K8STIP_TOKEN_KEY)
            raise  # stops k8stip with its one line, not a traceback
        except Exception:
            log.exception("%s: could not connect; daily posts still go out over REST", name)
    # The health server comes up while the adapters connect (a Discord gateway can take seconds).
    health_port = health_sock.getsockname()[1] if health_sock is not None else None
    web_url = _web_url(config, web_sock.getsockname()[1]) if web_sock is not None else None
    _banner(config, wired, health_port, health_note, web_url, interactive, sys.stderr)
    await wired.console.greet()
    try:
        servers = [await health_task]
        if web_sock is not None:
            from bot.runtime.web.server import start_web_console

            console = start_web_console(
                config, secrets, wired.store, wired.router, connected, web_sock
            )
            servers.append(await console)
    except BaseException:
        await _shutdown(None, wired.adapters, [], store)
        raise
    from bot.runtime.scheduler import DeliveryScheduler

    # After the adapters have started, so that no pass posts through one not yet connected.
    scheduler = DeliveryScheduler(wired.deliverer, config.delivery.tick_seconds)
    scheduler.start()

    await stop.wait()
    sys.stderr.write("k8stip: stopping…\n")
    await _shutdown(scheduler, wired.adapters, servers, store)
    return EXIT_OK


async def _shutdown(
    scheduler: Any, adapters: dict[str, Adapter], servers: list[Any], store: Store
) -> None:
    """Everything stops within SHUTDOWN_SECONDS: a pass in flight gets most of it."""
    if scheduler is not None:
        await scheduler.shutdown(grace_seconds=SHUTDOWN_SECONDS - 3)
    for name, adapter in adapters.items():
        try:
            await asyncio.wait_for(adapter.stop(), timeout=1.5)
        except Exception:
            log.warning("%s: did not stop cleanly", name)
    for server in servers:  # the health server and the web console (None: not started)
        if server is not None:
            await server.stop()
    store.close()


def _banner(
    config: Config,
    wired: Wiring,
    health_port: int | None,
    health_note: str,
    web_url: str | None,
    interactive: bool,
    out: TextIO,
) -> None:
    engine, store = wired.engine, wired.store
    subs = store.list_subscriptions()
    by_platform: dict[str, int] = {}
    for s in subs:
        by_platform[s.platform] = by_platform.get(s.platform, 0) + 1
    active = ", ".join(f"{p} ({by_platform.get(p, 0)} subscriptions)" for p in wired.adapters)
    lines = [
        f"k8stip {__version__}: {len(engine.corpus.tips)} tips, {len(engine.corpus.topics)} topics",
        f"  store:   {safe_url(config.database)} (schema {store.revision()})",
        f"  active:  {active}",
    ]
    lines += [f"  missing: {note}" for note in wired.notes]
    if health_port is not None:
        lines.append(f"  health:  http://{config.health.host}:{health_port}/healthz{health_note}")
    if web_url is not None:
        lines.append(f"  console: {web_url} (admin web console)")
    lines.append(
        "  Type /k8stip help (Ctrl-C to quit)."
        if interactive
        else "  Console input is off (stdin is not a terminal); daily tips print here."
    )
    out.write("\n".join(lines) + "\n")
    out.flush()


def _web_url(config: Config, port: int) -> str:
    scheme = "https" if config.web.tls_cert else "http"
    host = "127.0.0.1" if config.web.bind in ("0.0.0.0", "::") else config.web.bind
    return f"{scheme}://{host}:{port}/"
