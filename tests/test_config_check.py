"""The config checker: each mistake is reported with its key path and what would be valid, every
mistake at once, and values YAML may spell several ways are read as the number or flag meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, config_from_mapping, load_config
from bot.config_check import keys_given


def _problems(data: object) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        config_from_mapping(data, source="c.yaml")
    return exc.value.problems


def test_every_mistake_is_reported_with_its_key_path_and_the_fix() -> None:
    problems = _problems(
        {
            "corpus": 5,
            "log_level": "LOUD",
            "health": {"port": "80a", "enabled": "maybe"},
            "delivery": {"max_attempts": 2.5, "backoff_base_seconds": float("nan")},
            "discord": {"shard_ids": [-1, 2]},
            "slack": [1],
            "subscriptions": [{"platform": "teams", "channel": "c"}, {"platform": "console"}],
        }
    )
    assert sorted(problems) == sorted(
        [
            "c.yaml:1: `corpus`: must be a string or a list of strings, not 5",
            "c.yaml:1: `subscriptions.0.platform`: must be one of slack, discord, console, "
            "not 'teams'",
            "c.yaml:1: `subscriptions.1.channel`: is required; add it",
            "c.yaml:1: `slack`: must be a mapping of keys, like `key: value`",
            "c.yaml:1: `discord.shard_ids.0`: must be at least 0, not -1",
            "c.yaml:1: `health.enabled`: must be true or false, not 'maybe'",
            "c.yaml:1: `health.port`: must be a whole number, not '80a'",
            "c.yaml:1: `delivery.max_attempts`: must be a whole number, not 2.5",
            "c.yaml:1: `delivery.backoff_base_seconds`: must be a finite number, not nan",
            "c.yaml:1: `log_level`: must be one of DEBUG, INFO, WARNING, ERROR, not 'LOUD'",
        ]
    )


def test_a_bounded_number_names_its_range() -> None:
    assert _problems({"health": {"port": 99999}}) == [
        "c.yaml:1: `health.port`: must be from 0 to 65535, not 99999"
    ]
    assert _problems({"delivery": {"backoff_max_seconds": 0}}) == [
        "c.yaml:1: `delivery.backoff_max_seconds`: must be above 0 and at most 86400, not 0"
    ]


def test_an_unknown_key_without_a_close_match_lists_the_valid_ones() -> None:
    (problem,) = _problems({"rate_limit": {"zzz": 1}})
    assert problem == "c.yaml:1: unknown key `rate_limit.zzz`; valid keys: commands_per_minute"


def test_numbers_and_flags_written_as_text_are_read_as_meant(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "health: {port: '8081', enabled: 'no'}\nslack: {oauth: on}\n"
        "delivery: {tick_seconds: 60.0, catch_up_hours: 2}\n",
        encoding="utf-8",
    )
    config = load_config(path, environ={})
    assert (config.health.port, config.health.enabled, config.slack.oauth) == (8081, False, True)
    assert config.delivery.tick_seconds == 60 and isinstance(config.delivery.tick_seconds, int)
    assert config.delivery.catch_up_hours == 2.0 and isinstance(
        config.delivery.catch_up_hours, float
    )


@pytest.mark.parametrize("value", [True, "8080x", [8080], {"a": 1}, None])
def test_a_port_that_is_not_a_whole_number_is_refused(value: object) -> None:
    (problem,) = _problems({"health": {"port": value}})
    assert problem.startswith("c.yaml:1: `health.port`: must be a whole number, not ")


def test_keys_given_tells_a_set_key_from_a_default(tmp_path: Path) -> None:
    """The health server's port fallback at a terminal applies only when no port was given."""
    config = config_from_mapping({"health": {"port": 8080}})
    assert keys_given(config.health) == {"port"}
    assert keys_given(config_from_mapping({}).health) == frozenset()


def test_a_wrong_day_form_in_a_subscription_says_what_would_work() -> None:
    """`every N days` takes N from 2 to 90; `weekly on` takes one day name."""
    assert sorted(
        _problems(
            {
                "subscriptions": [
                    {"platform": "console", "channel": "a", "days": "every 0 days"},
                    {"platform": "console", "channel": "b", "days": "weekly on funday"},
                    {"platform": "console", "channel": "c", "days": "every 3 days"},
                    {"platform": "console", "channel": "d", "days": "weekly on fri"},
                ],
                "default_days": "every 91 days",
            }
        )
    ) == sorted(
        [
            "c.yaml:1: `subscriptions.0.days`: every 0 days: N must be from 2 to 90, "
            "like every 3 days",
            "c.yaml:1: `subscriptions.1.days`: 'weekly on funday': 'funday' is not a day; "
            "say weekly on mon (or tue … sun)",
            "c.yaml:1: `default_days`: every 91 days: N must be from 2 to 90, like every 3 days",
        ]
    )
