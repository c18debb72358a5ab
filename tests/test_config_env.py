"""Environment overrides for values that differ per process or are secret (K8STIP_*)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def _config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_database_url_from_env_overrides_the_config_file(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "database: sqlite:///data/k8stip.db\n")
    env = {"K8STIP_DATABASE_URL": "postgresql+psycopg://k8stip@db:5432/k8stip"}
    assert load_config(path, env).database == "postgresql+psycopg://k8stip@db:5432/k8stip"


def test_database_url_from_a_mounted_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("postgresql+psycopg://k8stip:pw@db/k8stip\n", encoding="utf-8")
    config = load_config(None, {"K8STIP_DATABASE_URL_FILE": str(secret)})
    assert config.database == "postgresql+psycopg://k8stip:pw@db/k8stip"


def test_unreadable_database_url_file_names_the_path_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as e:
        load_config(None, {"K8STIP_DATABASE_URL_FILE": str(missing)})
    assert str(missing) in str(e.value)
    assert "mount the secret" in str(e.value)


def test_empty_database_url_file_is_an_error_that_shows_no_content(tmp_path: Path) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_config(None, {"K8STIP_DATABASE_URL_FILE": str(secret)})


def test_without_overrides_the_file_value_stands(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "database: sqlite:///tmp/x.db\ndiscord:\n  shard_count: 3\n")
    config = load_config(path, {})
    assert config.database == "sqlite:///tmp/x.db"
    assert config.discord.shard_count == 3
    assert config.discord.shard_ids is None


def test_shard_id_and_count_from_env_run_exactly_that_shard(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "discord:\n  dev_guild_ids: [42]\n")
    config = load_config(path, {"K8STIP_SHARD_ID": "2", "K8STIP_SHARD_COUNT": "4"})
    assert config.discord.shard_ids == [2]
    assert config.discord.shard_count == 4
    assert config.discord.dev_guild_ids == [42]  # the rest of the discord block is kept


def test_shard_id_may_take_its_count_from_the_config_file(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "discord:\n  shard_count: 2\n")
    assert load_config(path, {"K8STIP_SHARD_ID": "1"}).discord.shard_ids == [1]


def test_shard_id_without_a_count_says_to_set_the_count() -> None:
    with pytest.raises(ConfigError, match="set K8STIP_SHARD_COUNT"):
        load_config(None, {"K8STIP_SHARD_ID": "0"})


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"K8STIP_SHARD_ID": "2", "K8STIP_SHARD_COUNT": "2"}, "shard ids run 0..1"),
        ({"K8STIP_SHARD_ID": "-1", "K8STIP_SHARD_COUNT": "2"}, "K8STIP_SHARD_ID='-1'"),
        ({"K8STIP_SHARD_ID": "k8stip-discord-0", "K8STIP_SHARD_COUNT": "2"}, "whole number"),
        ({"K8STIP_SHARD_COUNT": "0"}, "K8STIP_SHARD_COUNT='0': must be a whole number >= 1"),
    ],
)
def test_bad_shard_values_are_errors_with_the_fix(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(None, env)
    assert fragment in str(e.value)
