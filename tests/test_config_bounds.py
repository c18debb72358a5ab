"""Config values that used to pass validation and fail later are refused at load time, with
file:line and the fix: unbounded or non-finite numbers, bad ports and hosts, keys given twice,
and config files far too big to be a config."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.config import MAX_CONFIG_BYTES, ConfigError, load_config


def _problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path, environ=env or {})
    return exc.value.problems


@pytest.mark.parametrize("value", ["1e300", ".nan", ".inf", "-.inf", "-1", "1000"])
def test_catch_up_hours_must_be_a_finite_number_within_a_week(tmp_path: Path, value: str) -> None:
    """`delivery.catch_up_hours` of 1e300, .nan or .inf is a config error on its line."""
    problems = _problems(tmp_path, f"timezone: UTC\ndelivery:\n  catch_up_hours: {value}\n")
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'c.yaml'}:3: `delivery.catch_up_hours`:")


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("health", "port", "99999"),
        ("health", "port", "-1"),
        ("slack", "http_port", "70000"),
        ("delivery", "lease_seconds", "0"),
        ("delivery", "tick_seconds", "0"),
        ("delivery", "max_attempts", "0"),
        ("delivery", "backoff_base_seconds", ".nan"),
        ("delivery", "concurrency", "0"),
        ("rate_limit", "commands_per_minute", "-5"),
    ],
)
def test_out_of_range_numbers_are_refused(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    """Ports outside 0..65535 (0: any free port), a zero lease or tick and the like are errors."""
    problems = _problems(tmp_path, f"{section}:\n  {key}: {value}\n")
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'c.yaml'}:2: `{section}.{key}`:")


@pytest.mark.parametrize("host", ["not a host!", "http://0.0.0.0", "10.0.0.1:80", "-bad-.x"])
def test_an_invalid_health_host_is_refused_with_examples(tmp_path: Path, host: str) -> None:
    """`health.host` must be an IP address or host name; the message names both fixes."""
    problems = _problems(tmp_path, f"health:\n  host: '{host}'\n")
    assert len(problems) == 1
    assert "`health.host`" in problems[0]
    assert "127.0.0.1" in problems[0] and "0.0.0.0" in problems[0]


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "bot.internal"])
def test_valid_hosts_are_accepted(tmp_path: Path, host: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"health:\n  host: '{host}'\n", encoding="utf-8")
    assert load_config(path, environ={}).health.host == host


def test_health_listens_on_loopback_unless_told_otherwise(tmp_path: Path) -> None:
    """By default the health server binds 127.0.0.1; K8STIP_HEALTH_HOST (set by the container
    image) or `health.host` opens it to other machines."""
    path = tmp_path / "c.yaml"
    path.write_text("timezone: UTC\n", encoding="utf-8")
    assert load_config(path, environ={}).health.host == "127.0.0.1"
    env = {"K8STIP_HEALTH_HOST": "0.0.0.0"}
    assert load_config(path, environ=env).health.host == "0.0.0.0"
    path.write_text("health:\n  port: 9000\n", encoding="utf-8")
    config = load_config(path, environ=env)
    assert (config.health.host, config.health.port) == ("0.0.0.0", 9000)


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    """Plain YAML keeps the last of two equal keys silently; the config refuses it instead."""
    problems = _problems(tmp_path, "health:\n  port: 8080\ntimezone: UTC\nhealth:\n  port: 9090\n")
    assert problems == [
        f"{tmp_path / 'c.yaml'}:4: `health` is given twice (first on line 1); keep one of them"
    ]


def test_a_nested_key_given_twice_is_an_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "delivery:\n  tick_seconds: 30\n  tick_seconds: 5\n")
    assert problems == [
        f"{tmp_path / 'c.yaml'}:3: `tick_seconds` is given twice (first on line 2); "
        "keep one of them"
    ]


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    """`<<: *anchor` may appear in several mappings; it is not a duplicate key."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "x-defaults: &d {time: '08:00', timezone: UTC}\n"
        "subscriptions:\n"
        "  - {<<: *d, platform: console, channel: a}\n"
        "  - {<<: *d, platform: console, channel: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as exc:  # x-defaults is an unknown key, reported as such
        load_config(path, environ={})
    (problem,) = exc.value.problems
    assert problem.startswith(f"{path}:1: unknown key `x-defaults`")


def test_a_huge_config_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """A 25 MB file given as the config is refused at once (it used to take 69 s and 1.5 GB)."""
    path = tmp_path / "c.yaml"
    with path.open("w", encoding="utf-8") as f:
        f.write("subscriptions:\n")
        line = "  - {platform: console, channel: c, time: '09:00'}\n"
        f.write(line * (25 * 1024 * 1024 // len(line)))
    started = time.process_time()
    with pytest.raises(ConfigError) as exc:
        load_config(path, environ={})
    assert time.process_time() - started < 1.0  # generous: the check reads no content
    (problem,) = exc.value.problems
    assert problem.startswith(f"{path}: the config file is ")
    assert f"the limit is {MAX_CONFIG_BYTES // 1024} KB" in problem
