"""A recording adapter that implements the real Adapter protocol, with scripted failures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.core.replies import Reply
from bot.ports import AmbiguousError, PostError, Target


@dataclass
class Posted:
    target: Target
    reply: Reply
    delivery_id: str
    message_id: str


@dataclass
class RecordingAdapter:
    """Records posts. `script[channel]` lists errors to raise on that channel's next posts.

    An `AmbiguousError` in the script is raised *after* the post is recorded (the request
    landed but the answer was lost), which is exactly what reconciliation must handle.
    """

    platform: str = "console"
    posts: list[Posted] = field(default_factory=list)
    script: dict[str, list[PostError]] = field(default_factory=lambda: defaultdict(list))
    calls: int = 0
    find_calls: int = 0
    started: bool = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        self.calls += 1
        pending = self.script.get(target.channel)
        err = pending.pop(0) if pending else None
        if err is not None and not isinstance(err, AmbiguousError):
            raise err
        msg_id = f"m{len(self.posts) + 1}"
        self.posts.append(Posted(target, reply, delivery_id, msg_id))
        if err is not None:
            raise err
        return msg_id

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        self.find_calls += 1
        for p in self.posts:
            if p.target == target and p.delivery_id == delivery_id:
                return p.message_id
        return None

    def channels(self) -> list[str]:
        return [p.target.channel for p in self.posts]
