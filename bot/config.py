"""Load and validate the config once, at start-up, into a frozen object.

Sources, in order: `--config PATH`, `K8STIP_CONFIG`, `./config/config.yaml` if present, else the
embedded defaults (console only, SQLite under `data/`, the bundled tips). Secrets never live in
the config file: they come from the environment (`NAME`) or a mounted file (`NAME_FILE`).
"""

from __future__ import annotations

import difflib
import ipaddress
import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml

from bot.config_check import Bounds, Check, build
from bot.core.schedules import parse_days, parse_time, parse_timezone
from bot.core.yaml_lines import yaml_line_index

SECRET_NAMES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN")
# Slack OAuth (multi-workspace install) secrets, read the same way. K8STIP_TOKEN_KEY encrypts
# the workspaces' tokens in the database (bot/adapters/slack/installations.py).
OPTIONAL_SECRET_NAMES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "K8STIP_TOKEN_KEY")
# The admin web console's sign-in password (`web.enabled`), read the same way; kept in memory
# only as a hash (bot/runtime/web/).
WEB_PASSWORD = "K8STIP_WEB_PASSWORD"
DEFAULT_CONFIG_PATH = Path("config/config.yaml")
# A real config is a few KB; a bigger file is a mistake (a log or a dump pointed at by
# --config) and parsing it would take minutes and gigabytes.
MAX_CONFIG_BYTES = 256 * 1024
_HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


class ConfigError(Exception):
    """A config mistake the operator can fix. `str()` names file, line, key and the fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# The sections are frozen dataclasses checked by `bot/config_check.py` (every number finite,
# unknown keys refused with the valid ones named). 0 asks the OS for a free port (tests, and
# several bots on one machine).
Port = Annotated[int, Bounds(ge=0, le=65535)]


def _check_host(v: str) -> str:
    """An IP address or a DNS name to bind to; anything else fails here, not at bind time."""
    try:
        ipaddress.ip_address(v)
    except ValueError:
        if not _HOSTNAME_RE.match(v):
            raise ValueError(
                f"{v!r} is not an IP address or host name; use 127.0.0.1 (this machine only) "
                f"or 0.0.0.0 (every interface, as in a container)"
            ) from None
    return v


Host = Annotated[str, Check(_check_host)]
Time = Annotated[str, Check(parse_time)]
Timezone = Annotated[str, Check(parse_timezone)]
Days = Annotated[str | list[str], Check(parse_days)]

SUBSCRIPTION_MODES = ("tip", "quiz")  # core.learning_model.SubscriptionMode's values


def _check_mode(v: str) -> None:
    if v in SUBSCRIPTION_MODES:
        return
    close = difflib.get_close_matches(v.lower(), SUBSCRIPTION_MODES, n=1, cutoff=0.5)
    hint = f"did you mean `{close[0]}`? " if close else ""
    raise ValueError(f"{v!r} is not a mode; {hint}use `tip` or `quiz`")


def _check_review_days(v: list[int]) -> None:
    if not v:
        raise ValueError("give at least one interval in days, like [30, 90, 180]")
    if any(d < 1 or d > 3650 for d in v):
        raise ValueError(
            f"{v}: each interval is a whole number of days from 1 to 3650, like [30, 90, 180]"
        )
    if any(b <= a for a, b in itertools.pairwise(v)):
        raise ValueError(f"{v}: the intervals must grow, like [30, 90, 180]")


Mode = Annotated[str, Check(_check_mode)]
ReviewDays = Annotated[list[int], Check(_check_review_days)]

_SLACK_CHANNEL_RE = re.compile(r"^[CG][A-Z0-9]{6,}$")
_DISCORD_CHANNEL_RE = re.compile(r"^[0-9]{15,21}$")


def _check_slack_channel(v: str) -> None:
    if v and not _SLACK_CHANNEL_RE.match(v):
        raise ValueError(
            f"{v!r} is not a Slack channel id; use the id (like C0123456789, from the "
            "channel's details), not its name; or leave it empty for no review notices"
        )


def _check_discord_channel(v: str) -> None:
    if v and not _DISCORD_CHANNEL_RE.match(v):
        raise ValueError(
            f"{v!r} is not a Discord channel id; use the id (a number like "
            "123456789012345678: Copy Channel ID), not its name; or leave it empty"
        )


SlackChannel = Annotated[str, Check(_check_slack_channel)]
DiscordChannel = Annotated[str, Check(_check_discord_channel)]


@dataclass(frozen=True)
class SubscriptionConfig:
    """A subscription declared in config: config wins over chat changes for these."""

    platform: Literal["slack", "discord", "console"]
    channel: str
    workspace: str = ""
    time: Time = "09:00"
    timezone: Timezone | None = None  # None: the top-level `timezone`
    days: Days = "weekdays"
    topics: list[str] = field(default_factory=list)
    mode: Mode = "tip"  # what it posts each day: a tip, or a quiz question


@dataclass(frozen=True)
class LearningConfig:
    """How a channel's votes steer its daily pick (bot/core/learning.py)."""

    # Days after a tip was found useful (then after each review) until it comes back.
    review_days: ReviewDays = field(default_factory=lambda: [30, 90, 180])


@dataclass(frozen=True)
class SlackConfig:
    enabled: bool | None = None  # None: on when its tokens are set
    mode: Literal["socket", "http"] = "socket"
    api_url: str = "https://slack.com/api/"
    http_host: Host = "0.0.0.0"  # HTTP mode: Slack must reach it; 127.0.0.1 behind a local proxy
    http_port: Port = 3000
    admins: list[str] = field(default_factory=list)  # user ids allowed to run admin commands
    oauth: bool = False  # multi-workspace install flow (HTTP mode)
    command: str = "/k8stip"
    # Where admins hear of each new suggested tip (a channel id; "" for no notices).
    review_channel: SlackChannel = ""


@dataclass(frozen=True)
class DiscordConfig:
    enabled: bool | None = None  # None: on when DISCORD_TOKEN is set
    api_url: str = "https://discord.com/api/v10"
    shard_count: Annotated[int, Bounds(ge=1, le=100_000)] | None = None
    shard_ids: list[Annotated[int, Bounds(ge=0)]] | None = None
    dev_guild_ids: list[int] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)
    # Where admins hear of each new suggested tip (a channel id; "" for no notices).
    review_channel: DiscordChannel = ""


@dataclass(frozen=True)
class HealthConfig:
    enabled: bool = True
    # This machine only, unless asked: the container image sets K8STIP_HEALTH_HOST=0.0.0.0 and
    # the Kubernetes ConfigMap sets `health.host: 0.0.0.0`, where probes come from outside.
    host: Host = "127.0.0.1"
    port: Port = 8080


@dataclass(frozen=True)
class WebConfig:
    """The admin web console (bot/runtime/web/): off until `enabled: true`; then it needs the
    K8STIP_WEB_PASSWORD secret (or K8STIP_WEB_PASSWORD_FILE)."""

    enabled: bool = False
    # This machine only, unless asked: compose sets K8STIP_WEB_BIND=0.0.0.0 inside the
    # container and publishes the port on the host's loopback only.
    bind: Host = "127.0.0.1"
    port: Port = 8081
    # Serve HTTPS here: PEM files of the certificate (chain) and its key; both or neither.
    tls_cert: str = ""
    tls_key: str = ""
    # The session cookie's Secure flag. None: on when TLS is served here; set true behind a
    # proxy that ends TLS for the console.
    secure_cookie: bool | None = None
    # A sign-in lasts this long, then the browser signs in again.
    session_hours: Annotated[float, Bounds(gt=0, le=24 * 30)] = 12.0


@dataclass(frozen=True)
class DeliveryConfig:
    # Bounds: wide enough for any real install, narrow enough that no value overflows a
    # timedelta or turns a pass into a busy loop.
    catch_up_hours: Annotated[float, Bounds(ge=0, le=24 * 7)] = 6.0
    max_attempts: Annotated[int, Bounds(ge=1, le=100)] = 5
    backoff_base_seconds: Annotated[float, Bounds(gt=0, le=3600)] = 1.0
    backoff_max_seconds: Annotated[float, Bounds(gt=0, le=24 * 3600)] = 60.0
    tick_seconds: Annotated[int, Bounds(ge=1, le=3600)] = 30
    # A claimed delivery whose process died becomes claimable again after this long.
    lease_seconds: Annotated[float, Bounds(ge=1, le=24 * 3600)] = 300.0
    # Posts in flight at once per process, and posts per second to one workspace/guild.
    concurrency: Annotated[int, Bounds(ge=1, le=10_000)] = 50
    workspace_posts_per_second: Annotated[float, Bounds(ge=0, le=10_000)] = 20.0


@dataclass(frozen=True)
class RateLimitConfig:
    commands_per_minute: Annotated[int, Bounds(ge=0, le=100_000)] = 30


@dataclass(frozen=True)
class Config:
    database: str = "sqlite:///data/k8stip.db"
    corpus: str | list[str] = "tips/"
    timezone: Timezone = "UTC"
    default_time: Time = "09:00"
    default_days: Days = "weekdays"
    subscriptions: list[SubscriptionConfig] = field(default_factory=list)
    slack: SlackConfig = field(default_factory=SlackConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    web: WebConfig = field(default_factory=WebConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    rate_limit: RateLimitConfig = field(default_factory=RateLimitConfig)
    learning: LearningConfig = field(default_factory=LearningConfig)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Where this config came from; set by `load_config`, used to resolve relative paths.
    source: str = "<defaults>"

    @property
    def corpus_paths(self) -> list[Path]:
        paths = [self.corpus] if isinstance(self.corpus, str) else list(self.corpus)
        return [_resolve_corpus_path(p) for p in paths]


def _resolve_corpus_path(p: str) -> Path:
    """Relative corpus paths are taken from the working directory; the default `tips/`
    falls back to the tips bundled inside the package when there is no such folder here."""
    path = Path(p)
    if path.exists() or path.is_absolute():
        return path
    if p.rstrip("/") == "tips":
        # Imported here: the loader (corpus model, YAML readers) costs every command that
        # reads the config, and only this fallback needs it (`deliver` with nothing due not).
        from bot.core.loader import bundled_tips_dir

        return bundled_tips_dir()
    return path


@dataclass(frozen=True)
class Secrets:
    """Tokens from the environment. `repr` never shows a value."""

    values: dict[str, str]
    # Secrets whose NAME_FILE could not be read but that only one feature needs (the
    # console's password): name -> the problem, raised by that feature's check when it is on.
    unreadable: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def has(self, *names: str) -> bool:
        return all(self.values.get(n) for n in names)

    def __repr__(self) -> str:
        return f"Secrets(set={sorted(k for k, v in self.values.items() if v)})"

    __str__ = __repr__


def load_secrets(environ: dict[str, str] | None = None) -> Secrets:
    """Read each secret from `NAME`, or from the file `NAME_FILE` points at."""
    env = dict(os.environ) if environ is None else environ
    values: dict[str, str] = {}
    problems: list[str] = []
    unreadable: dict[str, str] = {}
    for name in (*SECRET_NAMES, *OPTIONAL_SECRET_NAMES, WEB_PASSWORD):
        if env.get(name):
            values[name] = env[name].strip()
        elif env.get(f"{name}_FILE"):
            path = Path(env[f"{name}_FILE"])
            try:
                values[name] = path.read_text(encoding="utf-8").strip()
            except OSError as e:
                problem = (
                    f"{name}_FILE={path}: cannot read it ({e.strerror}); "
                    f"mount the secret there or unset {name}_FILE"
                )
                # The console's password matters only with `web.enabled: true`
                # (`bot.startup.web_socket` says so then): a deployment that mounts the
                # secret but leaves the console off must not stop over a missing file.
                if name == WEB_PASSWORD:
                    unreadable[name] = problem
                else:
                    problems.append(problem)
    if problems:
        raise ConfigError(problems)
    return Secrets(values, unreadable)


def config_from_mapping(data: Any, source: str = "<defaults>", text: str = "") -> Config:
    """Validate a parsed config mapping; problems name file, line, key and the fix."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{source}:1: the config must be a mapping of keys, like `timezone: UTC`"]
        )
    config, found = build(Config, {**data, "source": source})
    if config is not None:
        return config
    lines = yaml_line_index(text) if text else {}
    problems = []
    for problem in found:
        loc = problem.path
        line = lines.get(loc) or lines.get(loc[:-1]) or 1
        dotted = ".".join(str(p) for p in loc)
        if problem.unknown:
            allowed = list(problem.allowed)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
            fix = f"did you mean `{close[0]}`?" if close else f"valid keys: {', '.join(allowed)}"
            problems.append(f"{source}:{line}: unknown key `{dotted}`; {fix}")
        else:
            problems.append(f"{source}:{line}: `{dotted}`: {problem.message}")
    raise ConfigError(problems)


# Environment variables that override a config key. For deployments where one config file is
# shared by many processes (a Kubernetes ConfigMap, a compose mount) but a value differs per
# process (the Discord shard a pod runs) or is itself a secret (a database URL with a password).
DATABASE_URL_ENV = "K8STIP_DATABASE_URL"  # also K8STIP_DATABASE_URL_FILE
SHARD_ID_ENV = "K8STIP_SHARD_ID"  # `discord.shard_ids: [N]`: the pod ordinal of a StatefulSet
SHARD_COUNT_ENV = "K8STIP_SHARD_COUNT"  # `discord.shard_count`
HEALTH_HOST_ENV = "K8STIP_HEALTH_HOST"  # `health.host`; the container image sets 0.0.0.0
WEB_BIND_ENV = "K8STIP_WEB_BIND"  # `web.bind`; compose sets 0.0.0.0 inside the container

# Every environment variable k8stip reads, and what for. Deployment files and docs are tested
# against this, so it is the one list to extend when the bot reads a new variable.
ENV_VARS: dict[str, str] = {
    "K8STIP_CONFIG": "path of the config file (same as --config)",
    DATABASE_URL_ENV: "SQLAlchemy database URL; overrides the `database` key",
    f"{DATABASE_URL_ENV}_FILE": "file holding the database URL (a mounted secret)",
    SHARD_ID_ENV: "the one Discord shard this process runs; overrides `discord.shard_ids`",
    SHARD_COUNT_ENV: "total Discord shards; overrides `discord.shard_count`",
    "DISCORD_APPLICATION_ID": "Discord application id for `k8stip discord invite-url`",
    HEALTH_HOST_ENV: "address the health/metrics server binds; overrides `health.host`",
    WEB_BIND_ENV: "address the admin web console binds; overrides `web.bind`",
    WEB_PASSWORD: "the admin web console's sign-in password (`web.enabled`)",
    f"{WEB_PASSWORD}_FILE": f"file holding {WEB_PASSWORD} (a mounted secret)",
    "K8STIP_CACHE_DIR": "folder for the parsed-corpus cache (best effort)",
    **{n: "secret: set the value here, or use the _FILE form" for n in SECRET_NAMES},
    **{f"{n}_FILE": f"file holding {n} (a mounted secret)" for n in SECRET_NAMES},
    **{n: "Slack OAuth secret (multi-workspace install)" for n in OPTIONAL_SECRET_NAMES},
    **{f"{n}_FILE": f"file holding {n} (a mounted secret)" for n in OPTIONAL_SECRET_NAMES},
}


def _env_int(env: Mapping[str, str], name: str, minimum: int, example: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError([f"{name}={raw!r}: must be a whole number >= {minimum}, e.g. {example}"])
    return value


def apply_env_overrides(data: Any, environ: Mapping[str, str]) -> Any:
    """`data` (a parsed config mapping) with the K8STIP_* overrides from the environment applied.

    The database URL may carry a password, so no message here ever includes it."""
    if data is not None and not isinstance(data, dict):
        return data  # config_from_mapping reports the shape problem
    merged: dict[str, Any] = dict(data or {})
    url = environ.get(DATABASE_URL_ENV, "").strip()
    url_file = environ.get(f"{DATABASE_URL_ENV}_FILE", "").strip()
    if not url and url_file:
        try:
            url = Path(url_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(
                [
                    f"{DATABASE_URL_ENV}_FILE={url_file}: cannot read it ({e.strerror}); "
                    f"mount the secret there or unset {DATABASE_URL_ENV}_FILE"
                ]
            ) from None
        if not url:
            raise ConfigError(
                [f"{DATABASE_URL_ENV}_FILE={url_file}: the file is empty; put the URL in it"]
            )
    if url:
        merged["database"] = url
    health_host = environ.get(HEALTH_HOST_ENV, "").strip()
    if health_host:
        health = merged.get("health")
        merged["health"] = {**(health if isinstance(health, dict) else {}), "host": health_host}
    web_bind = environ.get(WEB_BIND_ENV, "").strip()
    if web_bind:
        web = merged.get("web")
        merged["web"] = {**(web if isinstance(web, dict) else {}), "bind": web_bind}
    shard_id = _env_int(environ, SHARD_ID_ENV, 0, "0 (the pod ordinal)")
    shard_count = _env_int(environ, SHARD_COUNT_ENV, 1, "2 (the StatefulSet replicas)")
    if shard_id is None and shard_count is None:
        return merged
    discord = merged.get("discord")
    discord = dict(discord) if isinstance(discord, dict) else {}
    if shard_count is not None:
        discord["shard_count"] = shard_count
    if shard_id is not None:
        count = discord.get("shard_count")
        if not isinstance(count, int):
            raise ConfigError(
                [f"{SHARD_ID_ENV} is set but the shard count is not: set {SHARD_COUNT_ENV} too"]
            )
        if shard_id >= count:
            raise ConfigError(
                [
                    f"{SHARD_ID_ENV}={shard_id} is not below the shard count {count}; "
                    f"shard ids run 0..{count - 1}, so {SHARD_COUNT_ENV} must match the replicas"
                ]
            )
        discord["shard_ids"] = [shard_id]
    merged["discord"] = discord
    return merged


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """The config from `path`, `K8STIP_CONFIG`, `config/config.yaml`, or the defaults."""
    env = os.environ if environ is None else environ
    chosen = path or env.get("K8STIP_CONFIG")
    if not chosen:
        if not DEFAULT_CONFIG_PATH.is_file():
            return config_from_mapping(apply_env_overrides({}, env))
        chosen = DEFAULT_CONFIG_PATH
    p = Path(chosen)
    try:
        size = p.stat().st_size if p.is_file() else 0
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(
                [
                    f"{p}: the config file is {size:,} bytes; a config is a few KB (the limit "
                    f"is {MAX_CONFIG_BYTES // 1024} KB): check that --config names the right file"
                ]
            )
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{p}: no such config file; pass --config PATH or copy config/config.example.yaml"]
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError([f"{p}: cannot read the config file ({e})"]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except _DuplicateKey as e:
        raise ConfigError(
            [
                f"{p}:{e.line}: `{e.key}` is given twice (first on line {e.first_line}); "
                f"keep one of them"
            ]
        ) from None
    except RecursionError:  # hundreds of nested [ or {: PyYAML's parser recurses per level
        raise ConfigError([f"{p}:1: values nested too deeply; a config needs 3 levels"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(e, "problem", None) or "not valid YAML"
        raise ConfigError([f"{p}:{line}: {problem}; check indentation and quoting"]) from None
    return config_from_mapping(apply_env_overrides(data, env), source=str(p), text=text)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, line: int, first_line: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line, self.first_line = key, line, first_line


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error: plain
    YAML silently keeps the last value, so a second `health:` block would win unnoticed."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                line = first.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if line != key_node.start_mark.line + 1:
                raise _DuplicateKey(str(key), key_node.start_mark.line + 1, line)
        return super().construct_mapping(node, deep=deep)
