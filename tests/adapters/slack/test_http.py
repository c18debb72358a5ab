"""HTTP mode end to end: signed requests to the adapter's aiohttp server, OAuth installs.

The adapter's signature clock is pinned to `NOW`, so no test reads the wall clock.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import sqlalchemy

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.bolt_app import authorization_url
from bot.core.replies import Visibility
from bot.ports import PermanentError, Target
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    NOW,
    SECRETS_CARD,
    RecordingEvents,
    StandInRouter,
    actions_form,
    block_actions,
    form,
    make_config,
    make_secrets,
    migrated,
    sign,
    slash_command,
    tip_reply,
)

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


async def started(adapter: SlackAdapter) -> SlackAdapter:
    await adapter.start()
    return adapter


@pytest.fixture
def database(tmp_path: Any) -> str:
    return migrated(f"sqlite:///{tmp_path}/k8stip.db")


@pytest.fixture
async def adapter(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents, database: str
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(
        make_config(fake.api_url, mode="http", database=database),
        make_secrets(SLACK_APP_TOKEN=""),
        router,
        events,
        wall_clock=lambda: NOW,
        http_host="127.0.0.1",
    )
    await adapter.start()
    yield adapter
    await adapter.stop()


async def send(
    adapter: SlackAdapter, body: str, timestamp: float = NOW, secret: str | None = None
) -> tuple[int, Any]:
    headers = sign(body, timestamp) if secret is None else sign(body, timestamp, secret)
    url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers) as resp:
        text = await resp.text()
        is_json = resp.content_type == "application/json" and text
        return resp.status, (await resp.json()) if is_json else text


async def test_a_signed_slash_command_gets_a_tip_card(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    _, url = fake.response_url()
    status, body = await send(adapter, form(slash_command("tip secrets", url)))
    assert status == 200
    assert body["response_type"] == "ephemeral"
    assert body["blocks"][0]["text"]["text"].startswith("Don't put secrets")
    assert router.calls[0].text == "tip secrets"


async def test_a_bad_signature_gets_401_and_never_reaches_the_router(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    _, url = fake.response_url()
    status, _ = await send(adapter, form(slash_command("tip", url)), secret="not-the-secret")
    assert status == 401
    assert router.calls == []
    assert fake.calls == []  # not even an auth.test before the signature check


async def test_a_replay_older_than_five_minutes_gets_401(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    _, url = fake.response_url()
    status, _ = await send(adapter, form(slash_command("tip", url)), timestamp=NOW - 6 * 60)
    assert status == 401
    assert router.calls == []
    status, _ = await send(adapter, form(slash_command("tip", url)), timestamp=NOW - 4 * 60)
    assert status == 200


async def test_a_signed_button_press_routes_and_answers_via_response_url(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    rid, url = fake.response_url()
    body = actions_form(block_actions("k8stip:another:0", "tip secrets", url))
    status, _ = await send(adapter, body)
    assert status == 200
    [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert router.calls[0].text == "tip secrets"
    assert answer["blocks"][0]["text"]["text"].startswith("Don't put secrets")


async def test_a_slow_answer_gets_an_empty_200_at_once_then_the_card_via_response_url(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents, database: str
) -> None:
    adapter = SlackAdapter(
        make_config(fake.api_url, mode="http", database=database),
        make_secrets(SLACK_APP_TOKEN=""),
        router,
        events,
        wall_clock=lambda: NOW,
        http_host="127.0.0.1",
        ack_budget=0.05,
    )
    await adapter.start()
    try:
        rid, url = fake.response_url()
        status, body = await send(adapter, form(slash_command("slow", url)))
        assert (status, body) == (200, "")
        assert fake.responses_for(rid) == []
        router.gate.set()
        [answer] = await fake.wait_for(lambda: fake.responses_for(rid))
        assert answer["blocks"][0]["text"]["text"].startswith("Don't put secrets")
    finally:
        await adapter.stop()


def test_the_oauth_authorize_page_is_on_the_same_host_as_the_web_api() -> None:
    assert authorization_url("https://slack.com/api/") == "https://slack.com/oauth/v2/authorize"
    assert (
        authorization_url("https://slack-gov.com/api") == "https://slack-gov.com/oauth/v2/authorize"
    )


async def test_http_mode_without_a_signing_secret_is_refused_at_start_up(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents
) -> None:
    with pytest.raises(Exception, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(
            make_config(fake.api_url, mode="http"),
            make_secrets(SLACK_SIGNING_SECRET=""),
            router,
            events,
        )


async def test_deliver_only_oauth_process_on_a_fresh_database_says_not_installed(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents, tmp_path: Any
) -> None:
    """`k8stip deliver` may run before any `k8stip run` created the installation tables."""
    adapter = SlackAdapter(
        make_config(
            fake.api_url, mode="http", oauth=True, database=f"sqlite:///{tmp_path}/fresh.db"
        ),
        make_secrets(SLACK_BOT_TOKEN="", SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s"),
        router,
        events,
    )
    daily = tip_reply(SECRETS_CARD, Visibility.CHANNEL)
    with pytest.raises(PermanentError, match="not installed in Slack workspace T9"):
        await adapter.post(Target("slack", "T9", "C_LEARN"), daily, "d1")
    assert fake.calls_to("chat.postMessage") == []


# ----- OAuth: several workspaces, installations in k8stip's database ----------------------------


async def install(
    fake: FakeSlack,
    adapter: SlackAdapter,
    team: str,
    token: str,
    redirect_to: SlackAdapter | None = None,
    replay: bool = False,
) -> str:
    """Walk the OAuth flow the way a browser would; returns the success page.

    `redirect_to`: another replica that receives Slack's redirect (behind a load balancer).
    """
    base = f"http://127.0.0.1:{adapter.http_port}"
    back = f"http://127.0.0.1:{(redirect_to or adapter).http_port}"
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{base}/slack/install") as resp:
            page = await resp.text()
            assert resp.status == 200
            cookie = resp.headers["Set-Cookie"].split(";")[0]
        authorize = re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', page)
        assert authorize is not None
        link = authorize.group(1).replace("&amp;", "&")
        assert link.startswith(f"{fake.base}/oauth/v2/authorize?")
        assert "scope=commands,chat:write,users:read" in link.replace("%2C", ",")
        state = re.search(r"state=([^&]+)", link)
        assert state is not None
        code = f"code-{team}"
        fake.oauth_codes[code] = {"team_id": team, "bot_token": token}
        redirect = f"{back}/slack/oauth_redirect?code={code}&state={state.group(1)}"
        async with s.get(redirect, headers={"Cookie": cookie}) as resp:
            assert resp.status == 200, await resp.text()
            page = await resp.text()
        if replay:  # the same redirect again: its state was used up, so it is refused
            async with s.get(redirect, headers={"Cookie": cookie}) as resp:
                assert resp.status >= 400
        return page


async def no_sleep(seconds: float) -> None:
    """Per-channel pacing is tested in test_slack_post.py; here it would only cost time."""


async def check_multi_workspace(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents, database: str
) -> None:
    adapter = SlackAdapter(
        make_config(fake.api_url, mode="http", oauth=True, database=database),
        make_secrets(
            SLACK_BOT_TOKEN="",
            SLACK_APP_TOKEN="",
            SLACK_CLIENT_ID="111.222",
            SLACK_CLIENT_SECRET="client-secret",
        ),
        router,
        events,
        wall_clock=lambda: NOW,
        sleep=no_sleep,
        http_host="127.0.0.1",
    )
    await adapter.start()
    try:
        await install(fake, adapter, "T2", "xoxb-team-two")
        await install(fake, adapter, "T3", "xoxb-team-three")
        daily = tip_reply(SECRETS_CARD, Visibility.CHANNEL)
        await adapter.post(Target("slack", "T2", "C_LEARN"), daily, "d-t2")
        await adapter.post(Target("slack", "T3", "C_LEARN"), daily, "d-t3")
        tokens = [c.token for c in fake.calls_to("chat.postMessage")]
        assert tokens == ["xoxb-team-two", "xoxb-team-three"]

        # A command from workspace T2 is answered with T2's own token.
        _, url = fake.response_url()
        status, body = await send(adapter, form(slash_command("tip", url, team="T2")))
        assert status == 200 and body["blocks"], (status, body)
        assert fake.calls_to("users.info")[-1].token == "xoxb-team-two"

        # T2 uninstalls: its tokens go, its subscriptions are paused, T3 carries on.
        uninstall = {
            "type": "event_callback",
            "team_id": "T2",
            "api_app_id": "A1",
            "event": {"type": "app_uninstalled"},
            "event_id": "Ev2",
            "event_time": 1,
        }
        status, _ = await send(adapter, json.dumps(uninstall))
        assert status == 200
        await events.wait()
        assert events.removed == [("slack", "T2", "app_uninstalled")]
        with pytest.raises(PermanentError, match="not installed in Slack workspace T2"):
            await adapter.post(Target("slack", "T2", "C_LEARN"), daily, "d-t2b")
        await adapter.post(Target("slack", "T3", "C_LEARN"), daily, "d-t3b")

        # T3 revokes the bot token: same outcome, for T3.
        revoked = {
            **uninstall,
            "team_id": "T3",
            "event_id": "Ev3",
            "event": {"type": "tokens_revoked", "tokens": {"bot": ["UBOTT3"]}},
        }
        events.arrived.clear()
        status, _ = await send(adapter, json.dumps(revoked))
        assert status == 200
        await events.wait()
        assert events.removed[-1] == ("slack", "T3", "tokens_revoked")
        with pytest.raises(PermanentError, match="not installed in Slack workspace T3"):
            await adapter.post(Target("slack", "T3", "C_LEARN"), daily, "d-t3c")
    finally:
        await adapter.stop()


async def test_oauth_installs_are_kept_per_workspace_in_sqlite(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents, tmp_path: Any
) -> None:
    await check_multi_workspace(fake, router, events, migrated(f"sqlite:///{tmp_path}/k8stip.db"))


async def test_two_replicas_share_installs_and_oauth_state_through_the_database(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents, tmp_path: Any
) -> None:
    """Install link served by one replica, Slack's redirect by another, commands by either."""
    config = make_config(
        fake.api_url, mode="http", oauth=True, database=migrated(f"sqlite:///{tmp_path}/shared.db")
    )
    secrets = make_secrets(
        SLACK_BOT_TOKEN="", SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="client-secret"
    )
    replicas = [
        SlackAdapter(config, secrets, router, events, wall_clock=lambda: NOW, http_host="127.0.0.1")
        for _ in range(2)
    ]
    for replica in replicas:
        await replica.start()
    try:
        await install(
            fake, replicas[0], "T2", "xoxb-team-two", redirect_to=replicas[1], replay=True
        )
        for replica in replicas:
            _, url = fake.response_url()
            status, body = await send(replica, form(slash_command("tip", url, team="T2")))
            assert status == 200 and body["blocks"]
        assert {c.token for c in fake.calls_to("users.info")} == {"xoxb-team-two"}
        assert len(fake.calls_to("oauth.v2.access")) == 1  # the replay never reached Slack
    finally:
        for replica in replicas:
            await replica.stop()


@pytest.mark.postgres
async def test_oauth_installs_are_kept_per_workspace_in_postgresql(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents
) -> None:
    name = f"k8stip_slack_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        url = migrated(PG_URL.rsplit("/", 1)[0] + "/" + name)
        await check_multi_workspace(fake, router, events, url)
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
