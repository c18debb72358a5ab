"""Books -> tip documents: ids, topics and the fields every format shares.

Each highlight becomes a tip whose id is stable across imports: the book's id and a hash of
the highlight's words (case and spacing ignored), so importing the same export again gives
the same ids, and a newer export only adds. Books whose chapters are numbered (the blog
format) keep their established ids, `<initials>-c<NN>-<hash>`.

A tip keeps the highlight verbatim, the reader's note, chapter, location and when it was
highlighted. Its topics are the reader's tags that name a topic or an alias, then the
topics its words mention (`Tagger`), then those given with `--topics`. A highlight no topic
fits is still a tip, with `topics: []`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.corpus import SLACK_SECTION_LIMIT, Topic
from bot.core.textnorm import phrase_key
from bot.core.yaml_load import load_yaml
from bot.importers.highlights import links_in, slug, stable_id
from bot.importers.model import Book, Skip, SkipReason
from bot.importers.tagging import Tagger

_ORDINALS = {
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}
ID_DIGITS, LONG_ID_DIGITS = 8, 16


def citation_title(title: str) -> str:
    """'Hands-On Kubernetes on Azure, Second Edition' -> 'Hands-On Kubernetes on Azure, 2nd ed.'"""

    def repl(m: re.Match[str]) -> str:
        return f"{_ORDINALS[m.group(1).lower()]} ed."

    return re.sub(r"\b(" + "|".join(_ORDINALS) + r")\s+edition\b", repl, title, flags=re.I)


def book_id(book: Book, filename: str) -> str:
    """The book's id (and its tip file's name): its title up to the first comma, as a slug.
    A title with no Latin letters or digits ("静かなクラスタ") gets `book-` and a hash of the
    title instead, so two such books never share a file."""
    if book.title.strip():
        head = citation_title(book.title).split(",")[0]
        if re.search(r"[A-Za-z0-9]", head):
            return slug(head)
        digest = hashlib.sha1(book.title.strip().encode("utf-8")).hexdigest()[:10]
        return f"book-{digest}"
    return slug(Path(filename).stem or "highlights")


def texts_in(
    paths: Sequence[Path], docs: dict[Path, Any] | None = None
) -> dict[str, tuple[Path, str]]:
    """Normalised tip text -> (file, tip id) for every readable tip file among `paths`;
    files that aren't tip files are simply not counted (they are not ours to judge here).
    Each parsed file is also put in `docs`, so the caller reads no file twice."""
    out: dict[str, tuple[Path, str]] = {}
    for path in paths:
        try:
            doc = load_yaml(path.read_text(encoding="utf-8"), fast_min_chars=0)
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            continue
        if docs is not None:
            docs[path] = doc
        tips = doc.get("tips") if isinstance(doc, dict) else None
        for tip in tips if isinstance(tips, list) else []:
            if isinstance(tip, dict) and isinstance(tip.get("text"), str):
                out.setdefault(_norm(tip["text"]), (path, str(tip.get("id", "?"))))
    return out


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _digest(text: str, digits: int) -> str:
    return hashlib.sha1(_norm(text).encode("utf-8")).hexdigest()[:digits]


def _iso(value: str) -> str:
    """`value` if it is ISO 8601 (what `k8stip validate` accepts), else ''."""
    value = value.strip()
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return ""
    return value


class TopicNames:
    """Topic ids by any of their names: id, title or alias, as a reader might tag."""

    def __init__(self, topics: Mapping[str, Topic]) -> None:
        self.ids: dict[tuple[str, ...], str] = {}
        for t in topics.values():
            for name in (t.id, t.id.replace("-", " "), t.title, *t.aliases):
                self.ids.setdefault(phrase_key(name), t.id)
        self.ids.pop((), None)

    def __call__(self, name: str) -> str | None:
        return self.ids.get(phrase_key(name))


@dataclass
class BookDocument:
    """One book made into a tip document, and what happened on the way."""

    source_id: str
    title: str
    doc: dict[str, Any]
    highlights: int
    chapters: int
    skipped: list[Skip] = field(default_factory=list)
    untagged: int = 0


class TipMaker:
    """Makes tip documents from books, with one taxonomy, for one import run.

    A highlight already made into a tip in this run (the same words in another book or
    another file) is skipped as a duplicate: a corpus holds each text once.
    """

    def __init__(
        self,
        topics: Mapping[str, Topic],
        extra_topics: Sequence[str] = (),
    ) -> None:
        self.tag = Tagger(topics)
        self.topic_named = TopicNames(topics)
        self.extra_topics = list(extra_topics)
        self.seen_text: set[str] = set()

    def _topics(self, text: str, tags: Sequence[str]) -> list[str]:
        found: list[str] = []
        for tid in (
            *(t for t in map(self.topic_named, tags) if t),
            *self.tag(text),
            *self.extra_topics,
        ):
            if tid not in found:
                found.append(tid)
        return found

    def document(
        self,
        book: Book,
        source_id: str,
        filename: str,
        placeholder: Sequence[str] = (),
        elsewhere: Mapping[str, tuple[Path, str]] | None = None,
        target: Path | None = None,
    ) -> BookDocument:
        """`book` as a tip document; `placeholder` topics go on a tip no topic fits.
        `elsewhere` (from `texts_in`): tips already in the output folder's files; one in a
        file other than `target` (another export of the same book under another title, say)
        makes the highlight a duplicate too, so the folder still validates."""
        elsewhere = elsewhere or {}
        title = citation_title(book.title) if book.title.strip() else "Untitled highlights"
        source: dict[str, Any] = {
            "id": source_id,
            "title": title,
            "authors": list(book.authors),
            "kind": "book",
        }
        if book.note:
            source["note"] = book.note
        if book.language:
            source["language"] = book.language
        numbered = any(h.chapter_number is not None for h in book.highlights)
        prefix = "".join(w[0] for w in source_id.split("-") if len(w) > 2)[:6] or "tip"
        result = BookDocument(source_id, title, {"source": source, "tips": []}, 0, 0)
        result.skipped = list(book.skipped)
        result.highlights = len(book.highlights)
        result.chapters = len({h.chapter for h in book.highlights if h.chapter})
        ids: dict[str, str] = {}  # id -> the normalised text it was given for
        tips: list[dict[str, Any]] = result.doc["tips"]
        for n, h in enumerate(book.highlights, start=1):
            text = h.text.strip()
            where = f"{filename}: {h.location or f'highlight {n} of “{title}”'}"
            norm = _norm(text)
            if not norm:
                result.skipped.append(Skip(SkipReason.EMPTY, where))
                continue
            if len(text) > SLACK_SECTION_LIMIT:
                result.skipped.append(Skip(SkipReason.TOO_LONG, f"{where} ({len(text)} chars)"))
                continue
            if numbered:
                tid = stable_id(prefix, h.chapter_number, text)
            else:
                tid = f"{source_id}-{_digest(text, ID_DIGITS)}"
            if ids.get(tid) == norm or norm in self.seen_text:
                result.skipped.append(Skip(SkipReason.DUPLICATE, where))
                continue
            other = elsewhere.get(norm)
            if other is not None and other[0] != target:
                already = f"{where} (already in {other[0].name} as {other[1]})"
                result.skipped.append(Skip(SkipReason.DUPLICATE, already))
                continue
            if tid in ids:  # two different highlights whose short ids collide
                if numbered:
                    tid = stable_id(prefix, h.chapter_number, text, digits=12)
                else:
                    tid = f"{source_id}-{_digest(text, LONG_ID_DIGITS)}"
            ids[tid] = norm
            self.seen_text.add(norm)
            tip: dict[str, Any] = {"id": tid}
            if numbered:
                tip["chapter"] = {"number": h.chapter_number, "title": h.chapter}
            elif h.chapter.strip():
                tip["chapter"] = h.chapter.strip()
            tip["text"] = text
            for key, value in (
                ("note", h.note.strip()),
                ("location", h.location.strip()),
                ("highlighted_at", _iso(h.highlighted_at)),
            ):
                if value:
                    tip[key] = value
            topics = self._topics(text, h.tags)
            if not topics:
                result.untagged += 1
                topics = list(placeholder)
            tip["topics"] = topics
            tip["links"] = links_in(text)
            tips.append(tip)
        return result
