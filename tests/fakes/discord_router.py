"""A stand-in for `bot.runtime.router.handle` in Discord tests: realistic Replies, recorded calls.

It answers the way the router does (a tip card with source, chapter and topics, and
"Another tip" / "More on <topic>" buttons), so the adapter is tested on real shapes without
depending on the router's code.
"""

from __future__ import annotations

import asyncio

from bot.core.corpus import Topic
from bot.core.invocation import Invocation
from bot.core.replies import Action, Reply, ReplyKind, TipCard, Visibility

TOPICS = [
    Topic("rbac", "RBAC", "Roles and role bindings", aliases=("role binding", "authorization")),
    Topic("secrets", "Secrets", "Kubernetes Secrets and Key Vault", aliases=("key vault",)),
    Topic("networking", "Networking", "Services, ingress, CNI", aliases=("ingress", "cni")),
    Topic("monitoring", "Monitoring", "Azure Monitor, metrics, logs", aliases=("metrics",)),
    Topic("scaling", "Scaling", "HPA and the cluster autoscaler", aliases=("hpa", "autoscaler")),
    Topic("storage", "Storage", "Volumes and persistent volume claims", aliases=("pvc",)),
]
TOPIC_TITLES = {t.id: t.title for t in TOPICS}

SOURCE = "Hands-On Kubernetes on Azure, 2nd ed."


def tip_card(topic: str = "rbac") -> TipCard:
    return TipCard(
        tip_id=f"hoka-{topic}-1",
        text=(
            "Use `kubectl auth can-i` to check what a service account may do, "
            "e.g. `kubectl auth can-i list secrets --as system:serviceaccount:dev:app`."
        ),
        source=SOURCE,
        chapter="Ch. 10 Securing your AKS cluster",
        topics=(topic, "security"),
        topic_titles=(TOPIC_TITLES.get(topic, topic.title()), "Security"),
    )


def tip_reply(topic: str = "rbac", visibility: Visibility = Visibility.CHANNEL) -> Reply:
    card = tip_card(topic)
    return Reply(
        ReplyKind.TIP,
        card.text,
        cards=(card,),
        actions=(
            Action("Another tip", topic, "another"),
            Action(f"More on {card.topic_titles[0]}", f"more {topic}", "more"),
        ),
        visibility=visibility,
    )


class Router:
    """Records every Invocation; answers like the real router. `gate` makes it slow."""

    def __init__(self) -> None:
        self.calls: list[Invocation] = []
        self.called = asyncio.Event()
        self.gate: asyncio.Event | None = None
        self.visibility = Visibility.CHANNEL
        self.fail = False

    async def __call__(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("router exploded")
        words = inv.text.split()
        verb = words[0] if words else ""
        if verb == "subscribe":
            return Reply(
                ReplyKind.INFO,
                f"Subscribed: {' '.join(words[1:])}",
                visibility=Visibility.EPHEMERAL,
            )
        if verb == "search":
            query = " ".join(words[1:])
            return Reply(
                ReplyKind.SEARCH,
                f"2 tips match '{query}'",
                cards=(tip_card("rbac"), tip_card("secrets")),
                visibility=Visibility.EPHEMERAL,
            )
        if verb == "help":
            return Reply(
                ReplyKind.HELP,
                "k8stip answers with Kubernetes tips.",
                lines=("/k8stip tip query:rbac — a tip on RBAC", "/k8stip topics — the topics"),
            )
        if verb in ("more", ""):
            topic = words[1] if len(words) > 1 else "rbac"
            return tip_reply(topic, self.visibility)
        if verb in TOPIC_TITLES:
            return tip_reply(verb, self.visibility)
        return Reply(
            ReplyKind.INFO,
            f"No tip matches '{inv.text}'. Try /k8stip topics.",
            visibility=Visibility.EPHEMERAL,
        )


class Events:
    """A PlatformEvents that records `workspace_removed` calls."""

    def __init__(self) -> None:
        self.removed: list[tuple[str, str, str]] = []
        self.changed = asyncio.Event()

    async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
        self.removed.append((platform, workspace, reason))
        self.changed.set()
