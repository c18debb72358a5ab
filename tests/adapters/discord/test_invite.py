"""`k8stip discord invite-url`: scopes, minimal permissions, where the application id comes from."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord.invite import PERMISSIONS, application_id_from_token, invite_url
from bot.cli import main
from bot.config import ConfigError

APP_ID = "1300000000000000001"


def fake_token(user_id: str) -> str:
    first = base64.b64encode(user_id.encode()).decode().rstrip("=")
    return f"{first}.GhIjKl.not-a-real-secret-part"


def query(url: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com", "/oauth2/authorize")
    return parse_qs(parts.query)


def test_invite_has_both_scopes_and_only_the_permissions_a_post_needs() -> None:
    q = query(invite_url(APP_ID, environ={}))
    assert q["client_id"] == [APP_ID]
    assert q["scope"] == ["bot applications.commands"]
    # View Channel + Send Messages + Embed Links; nothing else (no history, no admin).
    assert q["permissions"] == [str((1 << 10) | (1 << 11) | (1 << 14))] == [str(PERMISSIONS)]


def test_application_id_from_the_environment() -> None:
    q = query(invite_url(None, environ={"DISCORD_APPLICATION_ID": APP_ID}))
    assert q["client_id"] == [APP_ID]


def test_application_id_decoded_from_the_token() -> None:
    q = query(invite_url(None, environ={"DISCORD_TOKEN": fake_token(APP_ID)}))
    assert q["client_id"] == [APP_ID]


def test_application_id_from_a_token_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text(fake_token(APP_ID) + "\n")
    q = query(invite_url(None, environ={"DISCORD_TOKEN_FILE": str(secret)}))
    assert q["client_id"] == [APP_ID]


@given(st.integers(min_value=10**16, max_value=2**63 - 1))
def test_any_snowflake_survives_the_token_round_trip(user_id: int) -> None:
    assert application_id_from_token(fake_token(str(user_id))) == str(user_id)


@pytest.mark.parametrize("token", ["", "....", "!!!.x.y", base64.b64encode(b"abc").decode()])
def test_tokens_that_do_not_carry_an_id_give_none(token: str) -> None:
    assert application_id_from_token(token) is None


def test_without_any_source_the_error_says_what_to_do_and_hides_the_token() -> None:
    with pytest.raises(ConfigError) as info:
        invite_url(None, environ={"DISCORD_TOKEN": "opaque-secret-value"})
    message = str(info.value)
    assert "--application-id" in message and "DISCORD_APPLICATION_ID" in message
    assert "opaque-secret-value" not in message


def test_cli_prints_the_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discord", "invite-url", "--application-id", APP_ID]) == 0
    out = capsys.readouterr().out.strip()
    assert query(out)["client_id"] == [APP_ID]
