"""Kindle `My Clippings.txt` (the device's `documents/` folder) -> books of highlights.

The file is a log the device appends to: entries separated by a `==========` line, each a
title line `Title (Author; Author)`, a metadata line (`- Your Highlight on page 12 | Location
170-172 | Added on …`, in the device's UI language and firmware generation; see
`kindle_words`), a blank line and the text. Reading it right means undoing what a log does:

- Bookmarks have no text: skipped. A highlight with no text (or the "clipping limit" marker
  a publisher's DRM leaves instead): skipped as empty.
- The same highlight twice, word for word (re-synced, or deleted and made again): one tip.
- A highlight extended or shortened later is logged again with an overlapping location range
  and one text containing, or largely sharing, the other: only the latest version is kept
  (by "Added on" date when both are known, else file order, which is the order they were made).
  Two different passages that merely share a location are both kept.
- A note is logged as its own entry at a single location. It becomes the reader's note of the
  highlight whose location range holds it (the one ending nearest it, if several), or of the
  highlight on the same page for page-only documents (PDFs). A later note at the same location
  is an edit and replaces the earlier one. A note that no highlight holds is reported as an
  orphan and not imported: a tip is a passage of the book, and pinning the reader's thought to
  a neighbouring passage it wasn't written about would misquote them.
- Kind is read from the keyword in any supported language and, where the line is in a language
  we don't know, from the entry's shape: no text is a bookmark, a single location is a note, a
  range is a highlight.

Everything is linear in the number of entries: books are grouped with a dict, overlaps are
found by sorting each book's highlights by location and sweeping once, and a note finds its
highlight by bisection.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from bot.importers.kindle_words import Kind, Place, find_kind, find_place, parse_added, split_title
from bot.importers.model import Book, Highlight, ImportError_, Parser, Skip, SkipReason

__all__ = ["PARSER", "KindleClippings"]

SEPARATOR = "=========="
_META_RE = re.compile(r"^-\s*\S.*\d")
_DRM_LIMIT_RE = re.compile(r"^<[^<>]*(?:limit|límite|limite|上限|限制)[^<>]*>$", re.IGNORECASE)
_ADDED_SPLIT_RE = re.compile(r"[|｜]")
# Overlapping versions are compared with at most this many earlier versions of the passage:
# keeps a pathological file (thousands of entries on one location) linear.
_MAX_VERSIONS = 32
_SIBLING_SCAN = 64  # how many highlights before a note's location are checked for holding it


@dataclass
class _Entry:
    number: int  # 1-based position in the file, for the report
    kind: Kind
    text: str
    place: Place
    added: str  # ISO 8601 or ""
    superseded: bool = False
    notes: list[_Entry] = field(default_factory=list)

    def where(self, filename: str) -> str:
        return f"{filename}: entry {self.number} ({self.place.label or 'no location'})"


def _split_meta(meta: str) -> tuple[str, str]:
    """'- Your Highlight … | Added on …' -> (the part before the date, the date part)."""
    parts = _ADDED_SPLIT_RE.split(meta)
    if len(parts) > 1 and re.search(r"\d{4}", parts[-1]):
        return " | ".join(parts[:-1]), parts[-1]
    return meta, ""


def _entry(number: int, block: list[str]) -> tuple[str, _Entry, bool] | None:
    """One block between separators -> (title line, entry, whether its metadata line reads).

    None for a blank block. A block whose metadata line is missing or cut short (a damaged
    or truncated file) still yields its text, as a highlight with no location: losing a
    passage is worse than not knowing where it was.
    """
    lines = [line.rstrip() for line in block]
    while lines and not lines[0].strip(" \t\ufeff"):
        lines.pop(0)
    if not lines:
        return None
    meta = lines[1].lstrip(" \ufeff") if len(lines) > 1 else ""
    if not _META_RE.match(meta):
        body = lines[2:] if meta.startswith("-") else lines[1:]
        text = "\n".join(body).strip()
        return lines[0], _Entry(number, Kind.HIGHLIGHT, text, Place("", None, False), ""), False
    where, added = _split_meta(meta)
    text = "\n".join(lines[2:]).strip()
    place = find_place(where)
    kind = find_kind(where)
    if kind is None:  # a language we don't know: read the entry's shape
        if not text:
            kind = Kind.BOOKMARK
        elif place.single:
            kind = Kind.NOTE
        else:
            kind = Kind.HIGHLIGHT
    return lines[0], _Entry(number, kind, text, place, parse_added(added)), True


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip(" \t\ufeff") == SEPARATOR:
            blocks.append([])
        else:
            blocks[-1].append(line)
    return blocks


def _related(old: str, new: str) -> bool:
    """Whether `new` is `old` extended or shortened: one holds the other, or they share a
    long start or end (extended at one end, trimmed at the other)."""
    if old in new or new in old:
        return True
    need = max(12, min(len(old), len(new)) // 2)
    return old[:need] == new[:need] or old[-need:] == new[-need:]


def _later(a: _Entry, b: _Entry) -> bool:
    """Whether `a` was made after `b`: by date when both have one, else by file order."""
    if a.added and b.added and a.added != b.added:
        return a.added > b.added
    return a.number > b.number


def _drop_superseded(highlights: list[_Entry], key: str) -> None:
    """Mark older versions of extended or shortened highlights, among those with a `key`
    range ('loc', or 'page' for page-only documents): sort by start, sweep overlap clusters."""

    def span(h: _Entry) -> tuple[int, int] | None:
        if key == "loc":
            return h.place.loc
        page = h.place.page_number if h.place.loc is None else None
        return None if page is None else (page, page)

    spans = [(s, h) for h in highlights if (s := span(h)) is not None]
    spans.sort(key=lambda sh: (sh[0], sh[1].number))
    cluster: list[tuple[tuple[int, int], _Entry]] = []
    reach = -1
    for s, h in spans:
        if s[0] > reach:
            _resolve_cluster(cluster)
            cluster = []
        cluster.append((s, h))
        reach = max(reach, s[1])
    _resolve_cluster(cluster)


def _resolve_cluster(cluster: list[tuple[tuple[int, int], _Entry]]) -> None:
    if len(cluster) < 2:
        return
    order = sorted(cluster, key=lambda sh: (sh[1].added or "", sh[1].number))
    if any(not h.added for _, h in cluster):
        order = sorted(cluster, key=lambda sh: sh[1].number)
    kept: list[tuple[tuple[int, int], _Entry]] = []
    for s, h in order:
        for i in range(len(kept) - 1, max(-1, len(kept) - 1 - _MAX_VERSIONS), -1):
            ks, k = kept[i]
            if ks[0] <= s[1] and s[0] <= ks[1] and _related(k.text, h.text):
                older, newer = (k, h) if _later(h, k) else (h, k)
                older.superseded = True
                if newer is h:
                    kept[i] = (s, h)
                break
        else:
            kept.append((s, h))


def _attach_notes(highlights: list[_Entry], notes: list[_Entry]) -> list[_Entry]:
    """Give each note to the highlight that holds it; returns the orphans."""
    by_loc = sorted((h for h in highlights if h.place.loc), key=lambda h: h.place.loc or (0, 0))
    starts = [h.place.loc[0] for h in by_loc if h.place.loc]
    by_page: dict[str, list[_Entry]] = {}
    for h in highlights:
        if h.place.page:
            by_page.setdefault(h.place.page, []).append(h)
    orphans: list[_Entry] = []
    for note in notes:
        target: _Entry | None = None
        if note.place.loc is not None:
            at = note.place.loc[0]
            i = bisect_right(starts, at)
            best = None
            for h in by_loc[max(0, i - _SIBLING_SCAN) : i]:
                loc = h.place.loc
                if loc and loc[1] >= at and (best is None or loc[1] - at <= best[0]):
                    best = (loc[1] - at, h)
            target = best[1] if best else None
        elif note.place.page in by_page:
            same_page = by_page[note.place.page]
            earlier = [h for h in same_page if h.number < note.number]
            target = (earlier or same_page)[-1]
        if target is None:
            orphans.append(note)
        else:
            target.notes.append(note)
    return orphans


def _note_text(h: _Entry, filename: str, skipped: list[Skip]) -> str:
    """The highlight's notes as one text: an edit (same location) replaces, copies go."""
    latest: dict[tuple[int, int] | str, _Entry] = {}
    for note in h.notes:
        at = note.place.loc or note.place.page
        old = latest.get(at)
        if old is None:
            latest[at] = note
            continue
        newer, older = (note, old) if _later(note, old) else (old, note)
        same = " ".join(newer.text.split()) == " ".join(older.text.split())
        skipped.append(
            Skip(SkipReason.DUPLICATE if same else SkipReason.SUPERSEDED, older.where(filename))
        )
        latest[at] = newer
    seen: set[str] = set()
    texts = []
    for note in sorted(latest.values(), key=lambda n: n.number):
        norm = " ".join(note.text.split())
        if norm in seen:
            skipped.append(Skip(SkipReason.DUPLICATE, note.where(filename)))
        else:
            seen.add(norm)
            texts.append(note.text)
    return "\n\n".join(texts)


def _book(title_line: str, entries: list[_Entry], filename: str) -> Book:
    title, authors = split_title(title_line)
    book = Book(title=title or "Untitled", authors=authors)
    highlights: list[_Entry] = []
    notes: list[_Entry] = []
    seen: set[str] = set()
    for e in entries:
        if e.kind is Kind.BOOKMARK:
            book.skipped.append(Skip(SkipReason.BOOKMARK, e.where(filename)))
        elif not e.text or _DRM_LIMIT_RE.match(e.text):
            book.skipped.append(Skip(SkipReason.EMPTY, e.where(filename)))
        elif e.kind is Kind.NOTE:
            notes.append(e)
        elif (norm := " ".join(e.text.split())) in seen:
            book.skipped.append(Skip(SkipReason.DUPLICATE, e.where(filename)))
        else:
            seen.add(norm)
            highlights.append(e)
    _drop_superseded(highlights, "loc")
    _drop_superseded(highlights, "page")
    for h in highlights:
        if h.superseded:
            book.skipped.append(Skip(SkipReason.SUPERSEDED, h.where(filename)))
    highlights = [h for h in highlights if not h.superseded]
    for orphan in _attach_notes(highlights, notes):
        book.skipped.append(Skip(SkipReason.ORPHAN_NOTE, orphan.where(filename)))
    if all(h.place.loc for h in highlights):
        highlights.sort(key=lambda h: (h.place.loc or (0, 0), h.number))
    elif all(h.place.page_number is not None for h in highlights):
        highlights.sort(key=lambda h: (h.place.page_number or 0, h.number))
    for h in highlights:
        loc = h.place.loc
        book.highlights.append(
            Highlight(
                text=h.text,
                note=_note_text(h, filename, book.skipped),
                location=h.place.label,
                loc_start=loc[0] if loc else None,
                loc_end=loc[1] if loc else None,
                highlighted_at=h.added,
            )
        )
    return book


class KindleClippings:
    """Parser: a Kindle `My Clippings.txt`, in any firmware generation and UI language."""

    name: str = "kindle"

    def sniff(self, text: str, filename: str) -> bool:
        head = text[:8192]
        blocks = _blocks(head)
        if len(blocks) < 2:  # no separator line
            return False
        return any((found := _entry(0, block)) and found[2] for block in blocks[:-1][:8])

    def parse(self, text: str, filename: str) -> list[Book]:
        by_title: dict[str, list[_Entry]] = {}
        titles: dict[str, str] = {}
        readable = 0
        for number, block in enumerate(_blocks(text), start=1):
            found = _entry(number, block)
            if found is None:
                continue
            title_line, entry, has_meta = found
            readable += has_meta
            key = " ".join(title_line.strip(" \t\ufeff").split())
            titles.setdefault(key, title_line)
            by_title.setdefault(key, []).append(entry)
        if not readable:
            raise ImportError_(
                f"{filename}: no Kindle clippings in it (entries separated by '{SEPARATOR}', "
                "each with a '- Your Highlight …' line); is this the device's My Clippings.txt?"
            )
        return [_book(titles[key], entries, filename) for key, entries in by_title.items()]


PARSER = KindleClippings()
_check: Parser = PARSER
