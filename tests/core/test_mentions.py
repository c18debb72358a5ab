"""The one mention a subscription may carry (bot/core/mentions.py): what each platform's text
becomes, what is refused, and that whatever is typed, the token is one well-formed id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.mentions import (
    BROADCAST_REFUSED,
    MentionError,
    describe_mention,
    parse_mention,
    split_token,
)


@pytest.mark.parametrize(
    ("platform", "typed", "token"),
    [
        ("slack", "<!subteam^S0123ABC|@k8s-learners>", "group:S0123ABC"),
        ("slack", "<!subteam^S0123ABC>", "group:S0123ABC"),
        ("slack", "<@U0123ABC|ada>", "user:U0123ABC"),
        ("slack", "<@W0123ABC>", "user:W0123ABC"),
        ("discord", "<@&123456789012345678>", "role:123456789012345678"),
        ("discord", "<@!42>", "user:42"),
        ("console", "@k8s-learners", "group:k8s-learners"),
        ("console", "platform.team", "group:platform.team"),
        ("slack", "off", ""),
        ("discord", "OFF", ""),
        ("console", "none", ""),
    ],
)
def test_each_platform_names_one_role_group_or_member(
    platform: str, typed: str, token: str
) -> None:
    assert parse_mention(platform, typed, workspace="999") == token


@pytest.mark.parametrize(
    ("platform", "typed"),
    [
        ("slack", "<!channel>"),
        ("slack", "<!here>"),
        ("slack", "<!everyone>"),
        ("slack", "<!here|@here>"),
        ("slack", "@channel"),
        ("discord", "@everyone"),
        ("discord", "@here"),
        ("discord", "<@&999>"),  # the guild's @everyone role has the guild's id
        ("console", "@everyone"),
        ("console", "here"),
        ("slack", "<!subteam^S1|@a> <!channel>"),
    ],
)
def test_broadcasts_are_refused(platform: str, typed: str) -> None:
    with pytest.raises(MentionError) as e:
        parse_mention(platform, typed, workspace="999")
    assert str(e.value) == BROADCAST_REFUSED


@pytest.mark.parametrize(
    ("platform", "typed", "says"),
    [
        ("slack", "<!subteam^S1|@a> <!subteam^S2|@b>", "just one"),
        ("slack", "@k8s-learners", "without its id"),
        ("slack", "<#C0123|general>", "Type @ and pick a user group"),
        ("discord", "<@&1> <@&2>", "just one"),
        ("discord", "k8s-learners", "Pick one in the role option"),
        ("console", "<script>", "letters, digits"),
        ("slack", "", "Type @"),
    ],
)
def test_anything_else_gets_a_message_that_says_what_to_do(
    platform: str, typed: str, says: str
) -> None:
    with pytest.raises(MentionError, match=says):
        parse_mention(platform, typed)


def test_a_status_line_describes_the_mention_and_ignores_a_malformed_token() -> None:
    assert describe_mention("slack", "group:S0123ABC") == "the user group with id S0123ABC"
    assert describe_mention("discord", "role:77") == "the role with id 77"
    assert describe_mention("console", "group:k8s-learners") == "@k8s-learners"
    assert describe_mention("slack", "") == "nobody"
    assert describe_mention("discord", "role:<@&1>") == "nobody"
    assert split_token("slack", "everyone:S1") is None
    assert split_token("discord", "group:S0123ABC") is None  # a Slack id is no Discord id


@given(st.sampled_from(["slack", "discord", "console"]), st.text(max_size=300))
def test_whatever_is_typed_the_result_is_off_or_one_well_formed_id(
    platform: str, typed: str
) -> None:
    try:
        token = parse_mention(platform, typed, workspace="999")
    except MentionError as e:
        assert str(e)
        return
    if token:
        parts = split_token(platform, token)
        assert parts is not None
        assert parts[1].lower() not in ("everyone", "here", "channel")
        assert parts[1] != "999"
