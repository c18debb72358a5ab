"""Tips, their sources and the topic taxonomy; loading and validating `tips/*.yaml`.

A corpus file holds one `source` block and a list of `tips`. `topics.yaml` holds the taxonomy.
Loading never raises for a user's mistake: it returns problems, each one line naming the file,
the line, what is wrong and how to fix it (`k8stip validate` prints them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

SLACK_SECTION_LIMIT = 3000
DISCORD_EMBED_LIMIT = 4096
# A reader's note is shown under the tip; a Discord embed field holds 1,024 characters.
NOTE_LIMIT = 1000
TOPICS_FILE = "topics.yaml"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
URL_RE = re.compile(r"https?://[^\s<>()\"']+[^\s<>()\"'.,;:!?]")


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    description: str
    aliases: tuple[str, ...] = ()  # what people type to mean it
    keywords: tuple[str, ...] = ()  # what marks a tip's text as being about it
    related: tuple[str, ...] = ()
    # What the topic is about and which problems it solves, in plain words ("one app starves
    # the others"): search recognises the topic in a question that names none of its aliases.
    concepts: tuple[str, ...] = ()
    # A vendor's platform (Azure, AKS): a question naming none of the platform topics is
    # answered first by a tip not tied to one (`answer_rank`).
    platform: bool = False


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    authors: tuple[str, ...] = ()
    kind: str = "book"
    note: str = ""
    url: str = ""
    language: str = ""  # ISO 639-1 of the tips' text ("de"); "" is English


class Tip(NamedTuple):
    """One tip. A NamedTuple: 100,000 of them build, pickle and load fast and small."""

    id: str
    text: str
    source: str  # Source.id
    topics: tuple[str, ...]
    chapter_number: int | None = None
    chapter_title: str = ""
    links: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    note: str = ""  # the reader's own note on the passage, shown under it on cards
    location: str = ""  # where in the source: "page 12", "Location 170-172"
    highlighted_at: str = ""  # ISO 8601, when the reader marked it
    # Words people use for what the tip answers that its text doesn't say ("passwords" for a
    # tip on secrets). Search reads them (postings.py); cards never show them.
    search_words: tuple[str, ...] = ()

    @property
    def chapter(self) -> str:
        """'Ch. 10 Securing your AKS cluster', or the bare title, or ''."""
        if self.chapter_number is not None:
            return f"Ch. {self.chapter_number} {self.chapter_title}".strip()
        return self.chapter_title


_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a corpus or taxonomy file."""

    file: str
    line: int
    message: str  # what is wrong and how to fix it
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        # One problem, one line: a key or value quoted from the file may hold a line break.
        message = _CONTROL_RE.sub(
            lambda m: m.group().encode("unicode_escape").decode(), self.message
        )
        return f"{self.file}:{self.line}: {self.severity}: {message}"


@dataclass
class Corpus:
    tips: list[Tip] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Query expansion from topics.yaml: a word people use -> words the tips use.
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Subjects with no topic (topics.yaml `other_subjects`): a question naming one no tip
    # mentions gets "nothing found" (subjects.py).
    subjects: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.by_id: dict[str, Tip] = {t.id: t for t in self.tips}

    def add_tips(self, tips: Iterable[Tip]) -> None:
        for t in tips:
            self.tips.append(t)
            self.by_id[t.id] = t

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def source_title(self, tip: Tip) -> str:
        src = self.sources.get(tip.source)
        return src.title if src else tip.source

    def topic_title(self, topic_id: str) -> str:
        t = self.topics.get(topic_id)
        return t.title if t else topic_id

    def tips_for_topics(self, topics: Sequence[str]) -> list[Tip]:
        """Tips carrying any of `topics`; all tips when `topics` is empty."""
        if not topics:
            return list(self.tips)
        wanted = set(topics)
        return [t for t in self.tips if wanted.intersection(t.topics)]

    def untagged_count(self) -> int:
        """Tips with no topic: searchable and in rotation, but no topic request finds them."""
        return sum(1 for t in self.tips if not t.topics)

    def topic_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.topics, 0)
        for t in self.tips:
            for topic in t.topics:
                counts[topic] = counts.get(topic, 0) + 1
        return counts
