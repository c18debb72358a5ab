"""The console shows where a thread answer goes and the name a daily post pings, as text."""

from __future__ import annotations

from dataclasses import replace

from bot.adapters.console.adapter import render_text
from bot.core.replies import TipCard, Visibility
from bot.core.wording import daily_reply, tip_reply

CARD = TipCard(
    tip_id="t1",
    text="Rotate secrets from Key Vault.",
    source="A book",
    chapter="",
    topics=("secrets",),
    topic_titles=("Secrets",),
)


def test_a_daily_post_with_a_mention_opens_with_the_name() -> None:
    text = render_text(replace(daily_reply(CARD), mention="group:k8s-learners"))
    assert text.splitlines()[0] == "@k8s-learners"
    assert "Rotate secrets" in text


def test_a_malformed_or_absent_mention_shows_no_name() -> None:
    for mention in ("", "group:<script>", "everyone:x"):
        assert "@" not in render_text(replace(daily_reply(CARD), mention=mention))


def test_a_thread_answer_says_it_is_in_the_daily_posts_thread() -> None:
    text = render_text(tip_reply(CARD, visibility=Visibility.THREAD))
    assert text.splitlines()[0] == "(in thread of the daily tip)"
    assert "(in thread" not in render_text(tip_reply(CARD))
