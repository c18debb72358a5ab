"""A small stand-in for the engine's tip source (corpus + card), for runtime tests."""

from __future__ import annotations

from bot.core.corpus import Corpus, Source, Tip, Topic
from bot.core.engine import card_for
from bot.core.replies import TipCard

TOPICS = {
    "secrets": Topic("secrets", "Secrets", "Kubernetes Secrets and Key Vault", ("secret",)),
    "rbac": Topic("rbac", "RBAC", "Role-based access control", ("roles",)),
    "networking": Topic("networking", "Networking", "Services, ingress, CNI"),
}


def make_corpus(n: int = 12) -> Corpus:
    names = list(TOPICS)
    tips = [
        Tip(
            id=f"tip-{i:02d}",
            text=f"Tip number {i} about {names[i % len(names)]}.",
            source="book",
            topics=(names[i % len(names)],),
            chapter_number=i % 5 + 1,
            chapter_title="A chapter",
        )
        for i in range(n)
    ]
    return Corpus(
        tips=tips,
        sources={"book": Source("book", "Hands-On Kubernetes on Azure, 2nd ed.")},
        topics=dict(TOPICS),
    )


class FakeTips:
    """Has `corpus` and `card`, like bot.core.engine.Engine."""

    def __init__(self, corpus: Corpus | None = None) -> None:
        self.corpus = corpus or make_corpus()

    def card(self, tip: Tip, score: float | None = None) -> TipCard:
        return card_for(self.corpus, tip, score)
