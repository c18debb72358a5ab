"""What members type is bounded before any work, and a store that cannot write never costs a
member the answer."""

from __future__ import annotations

import logging
import random
import string
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation, clip
from bot.core.replies import ReplyKind
from bot.core.textnorm import MAX_QUERY_CHARS
from bot.runtime.router import Router
from bot.runtime.store import Store
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
CONFIG = config_from_mapping({"rate_limit": {"commands_per_minute": 1000}})


class CountingEngine(Engine):
    """The real engine, noting how many words topic resolution was asked about."""

    words_resolved: list[int]

    def resolve_topics(self, names: Sequence[str]) -> tuple[list[str], list[str]]:
        self.words_resolved.append(sum(len(n) + 1 for n in names))
        return super().resolve_topics(names)


def test_a_long_text_is_cut_at_a_word_boundary_when_the_invocation_is_made() -> None:
    words = " ".join(["kubernetes"] * 10_000)
    inv = Invocation("slack", "T1", "C1", "U1", words)
    assert len(inv.text) <= MAX_QUERY_CHARS
    assert inv.text.split() == ["kubernetes"] * len(inv.text.split())  # whole words only
    assert clip("x" * 1000) == "x" * MAX_QUERY_CHARS  # one long word: cut inside it
    assert clip("secrets") == "secrets"
    # A command word then one long word: cut inside the word, not at the space (which kept
    # only the command word, and a suggested tip was lost).
    assert clip("suggest " + "x" * 5000, 4000) == ("suggest " + "x" * 5000)[:4000]
    assert clip("tip " + "y" * 1000) == ("tip " + "y" * 1000)[:MAX_QUERY_CHARS]
    # A command word, then one long word: cut inside the word, not down to the command.
    assert clip("suggest " + "x" * 1000) == ("suggest " + "x" * 1000)[:MAX_QUERY_CHARS]


async def test_a_100000_character_query_resolves_at_most_the_limit(store: Store) -> None:
    """Topic resolution (fuzzy matching per word) only ever sees the first 300 characters: a
    100,000-character line of unknown words used to take about 1 s of the event loop."""
    rng = random.Random(5)
    text = " ".join(
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
        for _ in range(15_000)
    )
    assert len(text) > 100_000
    engine = CountingEngine.from_paths(["tips"], use_cache=False)
    assert isinstance(engine, CountingEngine)
    engine.words_resolved = []
    router = Router(engine, store, CONFIG, FakeClock(NOW), random.Random(7))
    reply = await router.handle(Invocation("slack", "T1", "C1", "U1", text))
    assert reply.kind is ReplyKind.INFO  # nothing answers random words
    assert engine.words_resolved and max(engine.words_resolved) <= MAX_QUERY_CHARS + 1


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite store reopened read-only: every write fails as on a full disk."""
    writable = Store.open(f"sqlite:///{tmp_path}/k8stip.db")
    writable.migrate()
    writable.close()
    store = Store.open(f"sqlite:///file:{tmp_path}/k8stip.db?mode=ro&uri=true")
    yield store
    store.close()


async def test_a_tip_is_answered_when_its_history_cannot_be_written(
    engine: Engine, read_only_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """With the store unable to write, `/k8stip secrets` still answers with a tip (it used to
    say "something went wrong"), and the failure is logged once, not once per answer."""
    router = Router(engine, read_only_store, CONFIG, FakeClock(NOW), random.Random(7))
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        reply = await router.handle(Invocation("slack", "T1", "C1", "U1", "secrets"))
        assert reply.kind is ReplyKind.TIP and reply.cards
        assert "secrets" in reply.cards[0].topics
    warnings = [r.getMessage() for r in caplog.records if "could not record" in r.getMessage()]
    assert warnings == [
        "store: could not record a tip shown (OperationalError); answering without it"
    ]


async def test_a_tip_is_answered_when_the_store_cannot_be_read(
    engine: Engine, tmp_path: Path
) -> None:
    """A store that cannot even be read (the file is gone, the server down) still gets the
    member a tip; only the no-repeat rotation is lost for that answer."""
    store = Store.open(f"sqlite:///file:{tmp_path}/missing.db?mode=ro&uri=true")
    try:
        router = Router(engine, store, CONFIG, FakeClock(NOW), random.Random(7))
        reply = await router.handle(Invocation("slack", "T1", "C1", "U1", "rbac"))
        assert reply.kind is ReplyKind.TIP and reply.cards
    finally:
        store.close()
