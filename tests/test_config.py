"""Config loading, secrets from NAME or NAME_FILE, and the time/timezone/days parsers."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import time
from pathlib import Path

import pytest

from bot.config import ConfigError, Secrets, load_config, load_secrets
from bot.core.loader import bundled_tips_dir
from bot.core.schedules import parse_days, parse_time, parse_timezone
from tests.core_support import TIPS_DIR


def test_defaults_without_any_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no --config, no K8STIP_CONFIG and no config/config.yaml the embedded defaults apply."""
    monkeypatch.chdir(tmp_path)
    config = load_config(None, environ={})
    assert config.timezone == "UTC" and config.default_time == "09:00"
    assert config.source == "<defaults>"
    assert config.corpus_paths == [bundled_tips_dir()]
    assert bundled_tips_dir().resolve() == TIPS_DIR.resolve()


def test_config_file_values(tmp_path: Path) -> None:
    """A config file's values are read into the frozen config."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "timezone: Europe/Amsterdam\ndefault_time: '07:30'\ndefault_days: mon,wed\n"
        "corpus: [a/, b.yaml]\nrate_limit: {commands_per_minute: 5}\n",
        encoding="utf-8",
    )
    config = load_config(path, environ={})
    assert config.timezone == "Europe/Amsterdam"
    assert config.rate_limit.commands_per_minute == 5
    assert config.corpus_paths == [Path("a/"), Path("b.yaml")]
    assert config.source == str(path)
    with pytest.raises(FrozenInstanceError):
        config.timezone = "UTC"  # type: ignore[misc]  # frozen: assigning must fail


def test_config_error_lists_every_problem(tmp_path: Path) -> None:
    """ConfigError carries one problem per mistake, each naming file:line and the fix."""
    path = tmp_path / "c.yaml"
    path.write_text("timezome: UTC\nhealth:\n  prot: 8080\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path, environ={})
    assert sorted(exc.value.problems) == [
        f"{path}:1: unknown key `timezome`; did you mean `timezone`?",
        f"{path}:3: unknown key `health.prot`; did you mean `port`?",
    ]


def test_config_that_is_not_a_mapping(tmp_path: Path) -> None:
    """A config file holding a list is refused with an example of the expected shape."""
    path = tmp_path / "c.yaml"
    path.write_text("- timezone\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path, environ={})
    assert exc.value.problems == [
        f"{path}:1: the config must be a mapping of keys, like `timezone: UTC`"
    ]


def test_empty_config_file_is_the_defaults(tmp_path: Path) -> None:
    """An empty config file means the defaults."""
    path = tmp_path / "c.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert load_config(path, environ={}).timezone == "UTC"


@pytest.mark.parametrize(
    ("value", "expected"), [("09:00", time(9, 0)), ("23:59", time(23, 59)), (" 00:00 ", time(0))]
)
def test_parse_time_accepts_hh_mm(value: str, expected: time) -> None:
    """parse_time reads 24-hour HH:MM."""
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["25:00", "24:00", "9:00", "09:60", "9am", "", "09:00:00"])
def test_parse_time_rejects_others_with_an_example(value: str) -> None:
    """parse_time refuses anything else, with the HH:MM form and an example in the message."""
    with pytest.raises(ValueError, match=r"24-hour HH:MM, e\.g\. 09:00"):
        parse_time(value)


def test_parse_timezone() -> None:
    """IANA names and UTC are accepted; others are refused with the nearest names suggested."""
    assert str(parse_timezone("Europe/Amsterdam")) == "Europe/Amsterdam"
    assert str(parse_timezone("UTC")) == "UTC"
    with pytest.raises(ValueError, match=r"Mars/Olympus.*IANA name like Europe/Amsterdam"):
        parse_timezone("Mars/Olympus")
    with pytest.raises(ValueError, match=r"did you mean .*America/New_York"):
        parse_timezone("America/New_Yrok")
    for bad in ("", "../../etc/passwd", "Europe/", "\x00"):
        with pytest.raises(ValueError):
            parse_timezone(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("daily", (1, 2, 3, 4, 5, 6, 7)),
        ("weekdays", (1, 2, 3, 4, 5)),
        ("weekends", (6, 7)),
        ("mon,wed,fri", (1, 3, 5)),
        ("Fri Mon", (1, 5)),
        (["monday", "tue"], (1, 2)),
    ],
)
def test_parse_days(value: str | list[str], expected: tuple[int, ...]) -> None:
    """parse_days reads daily, weekdays, weekends and lists of day names into ISO weekdays."""
    assert parse_days(value) == expected


@pytest.mark.parametrize("value", ["funday", "mon,xyz", "", [], "mond"])
def test_parse_days_rejects_others(value: str | list[str]) -> None:
    """Unknown day names (or none) are refused with the accepted forms in the message."""
    accepted = "daily, weekdays, a list like mon,wed,fri, every 3 days, or weekly on mon"
    with pytest.raises(ValueError, match=accepted):
        parse_days(value)


def test_secrets_from_environment_and_files(tmp_path: Path) -> None:
    """Each secret comes from NAME, or from the file NAME_FILE names (trimmed)."""
    token_file = tmp_path / "discord-token"
    token_file.write_text("  discord-secret-value\n", encoding="utf-8")
    secrets = load_secrets(
        {"SLACK_BOT_TOKEN": "xoxb-from-env", "DISCORD_TOKEN_FILE": str(token_file)}
    )
    assert secrets.get("SLACK_BOT_TOKEN") == "xoxb-from-env"
    assert secrets.get("DISCORD_TOKEN") == "discord-secret-value"
    assert secrets.get("SLACK_APP_TOKEN") is None
    assert secrets.has("SLACK_BOT_TOKEN", "DISCORD_TOKEN")
    assert not secrets.has("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")


def test_environment_value_wins_over_file(tmp_path: Path) -> None:
    """When both NAME and NAME_FILE are set, NAME is used."""
    f = tmp_path / "t"
    f.write_text("from-file", encoding="utf-8")
    secrets = load_secrets({"DISCORD_TOKEN": "from-env", "DISCORD_TOKEN_FILE": str(f)})
    assert secrets.get("DISCORD_TOKEN") == "from-env"


def test_unreadable_secret_file_is_a_config_error_without_the_value(tmp_path: Path) -> None:
    """A NAME_FILE that can't be read names the variable and the fix, never a secret value."""
    with pytest.raises(ConfigError) as exc:
        load_secrets(
            {"SLACK_BOT_TOKEN": "xoxb-very-secret", "DISCORD_TOKEN_FILE": str(tmp_path / "nope")}
        )
    (problem,) = exc.value.problems
    assert problem.startswith(f"DISCORD_TOKEN_FILE={tmp_path / 'nope'}: cannot read it")
    assert "unset DISCORD_TOKEN_FILE" in problem
    assert "xoxb-very-secret" not in str(exc.value)


def test_secrets_repr_never_shows_values() -> None:
    """repr/str of the secrets list which are set, never their values."""
    secrets = Secrets({"SLACK_BOT_TOKEN": "xoxb-very-secret", "DISCORD_TOKEN": ""})
    for text in (repr(secrets), str(secrets), f"{secrets}"):
        assert "xoxb-very-secret" not in text
        assert "SLACK_BOT_TOKEN" in text and "DISCORD_TOKEN" not in text
