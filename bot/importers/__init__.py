"""Importers: highlight exports -> corpus YAML (`k8stip import PATH [--format …] [-o OUT]`).

Each format is a parser (`model.Parser`) that reads an export into `Book`s; the registry
(`registry.py`) lists them and recognises a file's format from its content; `books.py` makes
books into tip documents (ids, topics, fields); `output.py` folds them into existing, curated
tip files and writes them without loss; `command.py` is the command and its report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.corpus import Problem
from bot.core.loader import load_topics
from bot.importers.books import TipMaker, book_id, citation_title
from bot.importers.command import run_import
from bot.importers.errors import ImportError_
from bot.importers.highlights import PARSER as HIGHLIGHTS
from bot.importers.output import dump, merge
from bot.importers.registry import PLACEHOLDER_TOPICS

__all__ = ["ImportError_", "build_document", "citation_title", "dump", "merge", "run_import"]


def build_document(
    text: str, topics_path: Path, source_id: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The blog highlights in `text` as a corpus document, and what happened, as notes."""
    problems: list[Problem] = []
    taxonomy = load_topics(topics_path, problems)
    if problems:
        raise ImportError_("; ".join(str(p) for p in problems))
    (book,) = HIGHLIGHTS.parse(text, "highlights")
    made = TipMaker(taxonomy).document(
        book,
        source_id or book_id(book, "highlights"),
        "highlights",
        PLACEHOLDER_TOPICS[HIGHLIGHTS.name],
    )
    notes = [f"parsed {made.highlights} highlights in {made.chapters} chapters"]
    notes += [f"skipped {s.reason}: {s.where}" for s in made.skipped]
    if any(s.reason == "duplicate" for s in made.skipped):
        notes.append("highlights repeated word for word in the same chapter were imported once")
    return made.doc, notes
