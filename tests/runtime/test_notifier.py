"""Notices outside a command's answer (bot/runtime/notifier.py): posted through the running
adapter with a notice id, counted, and never raised."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.replies import Reply, ReplyKind
from bot.ports import PermanentError, Target, TransientError, direct_target
from bot.runtime.notifier import AdapterNotifier
from tests.fakes.recording import RecordingAdapter

NOTICE = Reply(ReplyKind.INFO, "Your suggested tip was approved")


@dataclass
class Counts:
    seen: list[tuple[str, bool]] = field(default_factory=list)

    def notice_posted(self, platform: str, sent: bool) -> None:
        self.seen.append((platform, sent))


class Broken(RecordingAdapter):
    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        raise RuntimeError("a bug in the adapter")


async def test_a_notice_goes_through_the_platforms_adapter_with_its_own_id() -> None:
    slack, counts = RecordingAdapter("slack"), Counts()
    notifier = AdapterNotifier({"slack": slack}, counts)
    target = direct_target("slack", "T1", "U1")
    assert await notifier.notify(target, NOTICE)
    assert await notifier.notify(target, NOTICE)
    first, second = slack.posts
    assert first.target.channel == "dm:U1" and first.reply == NOTICE
    assert first.delivery_id.startswith("notice-") and first.delivery_id != second.delivery_id
    assert counts.seen == [("slack", True), ("slack", True)]


async def test_a_refused_failed_or_missing_platform_is_counted_and_not_raised() -> None:
    slack, counts = RecordingAdapter("slack"), Counts()
    slack.script["C1"] += [PermanentError("channel_not_found"), TransientError("502")]
    notifier = AdapterNotifier({"slack": slack, "discord": Broken("discord")}, counts)
    assert not await notifier.notify(Target("slack", "T1", "C1"), NOTICE)
    assert not await notifier.notify(Target("slack", "T1", "C1"), NOTICE)
    assert not await notifier.notify(Target("discord", "G1", "1"), NOTICE)
    assert not await notifier.notify(Target("teams", "X", "Y"), NOTICE)
    assert counts.seen == [
        ("slack", False),
        ("slack", False),
        ("discord", False),
        ("teams", False),
    ]
