"""What every highlight format is parsed into, before it becomes corpus YAML.

A parser reads one export (a Kindle `My Clippings.txt`, a Kindle notebook HTML page, a
Readwise CSV or Markdown file) and returns the `Book`s in it, each with its `Highlight`s in
reading order and the entries it skipped with the reason. Parsers do no tagging, no ids and no
YAML: `bot.importers` turns books into tip files, the same way for every format. A parser
never raises on bad input except `ImportError_` with one line that says what is wrong and
what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.importers.errors import ImportError_

__all__ = ["Book", "Highlight", "ImportError_", "Parser", "Skip", "SkipReason"]


class SkipReason(StrEnum):
    """Why an entry of an export did not become a tip (printed in the import's report)."""

    BOOKMARK = "bookmark"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded by a longer version"
    EMPTY = "empty"
    TOO_LONG = "too long for a chat message"
    DISCARDED = "discarded in Readwise"
    ORPHAN_NOTE = "a note with no highlight to attach it to"
    NOT_A_HIGHLIGHT = "not a highlight (page furniture or stray text)"


@dataclass(frozen=True)
class Skip:
    reason: SkipReason
    where: str  # e.g. "My Clippings.txt: entry 12 (Location 170-172)"; never the full text


@dataclass(frozen=True)
class Highlight:
    """One passage the reader marked, verbatim (whitespace inside lines kept as exported)."""

    text: str
    note: str = ""  # the reader's own note on this passage
    chapter: str = ""  # chapter or section heading, where the export knows it
    location: str = ""  # as the reader would cite it: "page 12", "Location 170-172"
    # Kindle location range, used to attach notes and to spot extended highlights.
    loc_start: int | None = None
    loc_end: int | None = None
    highlighted_at: str = ""  # ISO 8601 ("2026-03-14T09:12:00" or a date), when known
    tags: tuple[str, ...] = ()  # the reader's tags (Readwise); may name topics or aliases
    chapter_number: int | None = None  # where chapters are numbered (the blog format)


@dataclass
class Book:
    title: str
    authors: tuple[str, ...] = ()
    highlights: list[Highlight] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    language: str = ""  # ISO 639-1 when the export says or it can be told ("de"), else ""
    asin: str = ""  # Amazon's id, where the export has it (a stable book id)
    note: str = ""  # about the highlights as a whole, for the source block ("from a review on …")


class Parser(Protocol):
    """Protocol: one highlight format."""

    name: str  # the --format value: "kindle", "kindle-html", "readwise-csv", "markdown"

    def sniff(self, text: str, filename: str) -> bool:
        """Whether `text` (the whole file, decoded) is in this format; content first, the
        file name only as a tie-breaker. Cheap: look at the first few KB."""
        ...

    def parse(self, text: str, filename: str) -> list[Book]:
        """Every book in the export. Raises ImportError_ (one line: file, what, what to do)
        for input of this format that cannot be read; never anything else."""
        ...
