"""Readwise's CSV export (readwise.io/export -> "Export to CSV") into `Book`s.

The header is `Highlight,Book Title,Book Author,Amazon Book ID,Note,Color,Tags,Location Type,
Location,Highlighted at,Document tags`; columns are found by name, and only the first three
are required (older exports lack `Document tags`). The stdlib `csv` reader in strict mode does
the quoting (fields over several lines, doubled quotes, CRLF), so a file cut off inside a quote
is an error rather than a silently swallowed tail. One pass over the rows, read line by line
(no copy of the file), a dict per book: linear in the file; 100,000 rows take about a second
of CPU and 55 MB (`bench/bench_import_readwise.py`).

What a row becomes:
- Rows are grouped into books by title and author, books in the order first seen, highlights
  in file order (the order Readwise exported them in; headings rely on it).
- A heading note (`.h1` … `.h6` in Note, or as a tag) makes the row a heading: its text is the
  chapter of the book's following highlights (the deepest heading in force), not a tip.
- A note that starts with Readwise inline tags (`.kubernetes .rbac then my words`) gives those
  tags (without the dot) and keeps the rest as the note; `.c1`-style concatenation markers
  are dropped (Readwise joins those highlights itself when it syncs).
- Discarded highlights: the CSV has no discard column (the API's `is_discard` is not
  exported), so a discarded highlight cannot be told apart from a kept one. We skip a row
  tagged `discard` (or `.discard`), and honour a `Discarded`/`Is Discard` column if a future
  export adds one.
- Empty highlights and exact duplicates (the same text twice in one book) are skipped, each
  with the reason; a dropped duplicate's note and tags go to the kept one if it had none.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.importers.model import Book, Highlight, ImportError_, Parser, Skip, SkipReason

__all__ = ["PARSER", "ReadwiseCsvParser", "split_authors"]

HEADER = (
    "Highlight",
    "Book Title",
    "Book Author",
    "Amazon Book ID",
    "Note",
    "Color",
    "Tags",
    "Location Type",
    "Location",
    "Highlighted at",
    "Document tags",
)
_REQUIRED = HEADER[:3]
_DISCARD_COLUMNS = {"discarded", "is discard", "is_discard", "is discarded", "discard"}
_TRUE = {"true", "yes", "y", "1", "x"}
_DISCARD_TAGS = {"discard", ".discard"}
_HEADING_TAG = re.compile(r"\.?h([1-6])", re.I)
_INLINE_TAG = re.compile(r"\.([A-Za-z][\w-]*)")
_CONCAT = re.compile(r"c\d+", re.I)
# How a reader cites each Readwise location type; unknown types print as "<type> <value>".
_LOCATION_LABELS = {
    "location": "Location",
    "page": "page",
    "order": "order",
    "offset": "offset",
    "time_offset": "at second",
    "chapter": "chapter",
}
_AUTHOR_SPLIT = re.compile(r"\s*(?:,\s*and\s+|,\s*&\s*|\s+and\s+|\s*&\s*|[,;]\s*)", re.I)
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md", "m.d."}


def split_authors(raw: str) -> tuple[str, ...]:
    """'A, B, and C' / 'A and B' / 'A & B; C' -> ('A', 'B', 'C'); 'M. King, Jr.' stays one."""
    authors: list[str] = []
    for part in _AUTHOR_SPLIT.split(" ".join(raw.split())):  # single spaces: linear split
        part = part.strip()
        if not part or part.lower() in ("and", "&"):
            continue
        if authors and part.lower() in _SUFFIXES:
            authors[-1] = f"{authors[-1]}, {part}"
        elif part not in authors:
            authors.append(part)
    return tuple(authors)


def _int(text: str) -> int | None:
    try:
        return int(text) if text.isascii() else None
    except ValueError:
        return None


def iso_timestamp(raw: str) -> str:
    """'2024-05-01 10:00:00+00:00' -> '2024-05-01T10:00:00+00:00'; '' when it isn't a date."""
    raw = raw.strip()
    if not raw:
        return ""
    if len(raw) == 25 and raw[10] == " " and raw[19] in "+-":  # Readwise's own form, checked
        try:
            datetime.fromisoformat(raw)
        except ValueError:
            return ""
        return f"{raw[:10]}T{raw[11:]}"
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return ""
    if len(raw) == 10:  # a date alone stays a date
        return when.date().isoformat()
    return when.isoformat()


def unix_lines(text: str) -> str:
    """CRLF and CR inside a field (Windows exports) -> LF, so tips carry no stray \\r."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def split_note(note: str) -> tuple[str, list[str], int]:
    """A Readwise note -> (the reader's words, inline tags, heading level or 0)."""
    words = note.split()
    tags: list[str] = []
    level = 0
    used = 0
    for word in words:
        heading = _HEADING_TAG.fullmatch(word)
        inline = _INLINE_TAG.fullmatch(word)
        if heading and word.startswith("."):
            level = level or int(heading.group(1))
        elif inline:
            if not _CONCAT.fullmatch(inline.group(1)):
                tags.append(inline.group(1))
        else:
            break
        used += 1
    if not used:
        return note.strip(), [], 0
    return " ".join(words[used:]) if used < len(words) else "", tags, level


@dataclass
class _BookState:
    book: Book
    headings: dict[int, str] = field(default_factory=dict)  # level -> heading in force
    chapter: str = ""  # the deepest heading in force
    seen: dict[str, int] = field(default_factory=dict)  # text -> index in highlights

    def set_heading(self, level: int, text: str) -> None:
        """A `.hN` heading closes the headings at its level and below, and opens its own."""
        for deeper in [k for k in self.headings if k >= level]:
            del self.headings[deeper]
        self.headings[level] = text
        self.chapter = self.headings[max(self.headings)]


class ReadwiseCsvParser:
    """Parser: Readwise's CSV export."""

    name = "readwise-csv"

    def sniff(self, text: str, filename: str) -> bool:
        first = text[:4096].lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
        try:
            header = next(csv.reader([first]), [])
        except csv.Error:
            return False
        return all(column in header for column in _REQUIRED)

    def parse(self, text: str, filename: str) -> list[Book]:
        rows = _Rows(text, filename)
        header = rows.next_row()
        if header is None:
            return []
        columns = {name.strip(): i for i, name in reversed(list(enumerate(header)))}
        missing = [name for name in _REQUIRED if name not in columns]
        if missing:
            raise ImportError_(
                f"{filename}: line 1: not a Readwise CSV export (the header has no "
                f"{', '.join(repr(m) for m in missing)} column); export it again from "
                "readwise.io/export as CSV, or choose the file's real --format"
            )
        col = [columns.get(name, -1) for name in HEADER]
        discard_col = next(
            (i for name, i in columns.items() if name.lower() in _DISCARD_COLUMNS), -1
        )
        books: dict[tuple[str, str], _BookState] = {}
        cut_off = not text.rstrip(" \t").endswith(("\n", "\r"))  # no newline at the very end
        while (row := rows.next_row()) is not None:
            if not row:
                continue  # a blank line between records
            width = len(row)
            if width < len(header) and cut_off and rows.at_end():
                raise ImportError_(
                    f"{filename}: line {rows.start}: the last record has {width} of "
                    f"{len(header)} columns and the file ends without a newline (it looks cut "
                    "off); export it again from Readwise"
                )
            get = [row[i] if 0 <= i < width else "" for i in col]
            text_, title, author, asin, note, _color, tags_raw, loc_type, loc, at, _ = get
            key = (title.strip(), author.strip())
            state = books.get(key)
            if state is None:
                state = _BookState(
                    Book(
                        title=key[0] or "Untitled highlights",
                        authors=split_authors(key[1]),
                        asin=asin.strip(),
                    )
                )
                books[key] = state
            elif not state.book.asin and asin.strip():
                state.book.asin = asin.strip()
            _add_row(
                state,
                filename,
                rows.start,
                text_,
                note,
                tags_raw,
                loc_type,
                loc,
                at,
                discarded=0 <= discard_col < width and row[discard_col].strip().lower() in _TRUE,
            )
        return [state.book for state in books.values()]


def _physical_lines(text: str) -> Iterator[str]:
    """The file's lines with their ends, one at a time, after a BOM.

    Not io.StringIO (it holds a 4-byte-per-character copy: 110 MB for a 28 MB export) nor
    str.splitlines (it also splits on form feeds and U+2028, which the csv reader would take
    for record ends). Files with CR-only line ends (old Mac exports) split on CR.
    """
    start = 1 if text.startswith("\ufeff") else 0
    end_char = "\n" if "\n" in text else "\r"
    find = text.find
    while (end := find(end_char, start)) >= 0:
        yield text[start : end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


class _Rows:
    """The csv reader, with the first line of the current record and one-line errors."""

    def __init__(self, text: str, filename: str) -> None:
        self._reader = csv.reader(_physical_lines(text), strict=True)
        self._filename = filename
        self.start = 1
        # One record read ahead, so the parser can tell the last record (a cut-off file).
        self._ahead: tuple[int, list[str] | None] | None = None

    def _read(self) -> tuple[int, list[str] | None]:
        start = self._reader.line_num + 1
        try:
            return start, next(self._reader)
        except StopIteration:
            return start, None
        except csv.Error as e:
            self.start = start
            raise ImportError_(self._message(str(e))) from None

    def next_row(self) -> list[str] | None:
        self.start, row = self._ahead if self._ahead is not None else self._read()
        self._ahead = None if row is None else self._read()
        return row

    def at_end(self) -> bool:
        """Whether the record `next_row` returned last is the file's last."""
        return self._ahead is not None and self._ahead[1] is None

    def _message(self, why: str) -> str:
        where = f"{self._filename}: line {self.start}"
        if "unexpected end of data" in why or "field larger than field limit" in why:
            return (
                f"{where}: a quoted field starts here and never closes (the file looks cut "
                "off); export it again from Readwise"
            )
        if "NUL" in why:
            return f"{where}: a NUL byte, so this is not a text CSV; export it again from Readwise"
        return (
            f"{where}: malformed CSV ({why}); a quote inside a quoted field must be doubled "
            '(""): fix that record or export the file again from Readwise'
        )


def _add_row(
    state: _BookState,
    filename: str,
    line: int,
    text: str,
    note: str,
    tags_raw: str,
    loc_type: str,
    loc: str,
    at: str,
    *,
    discarded: bool,
) -> None:
    # The hot path of a 100,000-row import: the common row (no heading, no inline tags, a
    # location seen before) costs a few dict look-ups besides building the Highlight.
    location = _location(loc_type, loc)
    note, inline_tags, level = split_note(unix_lines(note)) if note else ("", [], 0)
    tags: list[str] = []
    if tags_raw or inline_tags:
        for tag in [*(t.strip() for t in tags_raw.split(",")), *inline_tags]:
            heading = _HEADING_TAG.fullmatch(tag)
            if heading:
                level = level or int(heading.group(1))
            elif tag and tag not in tags:
                tags.append(tag)
    book = state.book
    text = text.strip()
    reason = (
        SkipReason.DISCARDED
        if discarded or any(t.lower() in _DISCARD_TAGS for t in tags)
        else SkipReason.EMPTY
        if not text
        else None
    )
    if reason is None and level:
        state.set_heading(level, " ".join(text.split()))
        return
    earlier = state.seen.get(text) if reason is None else None
    if earlier is not None:
        kept = book.highlights[earlier]
        if (note and not kept.note) or (tags and not kept.tags):
            book.highlights[earlier] = replace(
                kept, note=kept.note or note, tags=kept.tags or tuple(tags)
            )
        reason = SkipReason.DUPLICATE
    if reason is not None:
        where = f"{filename}: line {line}" + (f" ({location})" if location else "")
        book.skipped.append(Skip(reason, where))
        return
    state.seen[text] = len(book.highlights)
    book.highlights.append(
        Highlight(
            text=unix_lines(text),
            note=note,
            chapter=state.chapter,
            location=location,
            loc_start=_int(loc) if location else None,
            highlighted_at=iso_timestamp(at),
            tags=tuple(tags),
        )
    )


_locations: dict[tuple[str, str], str] = {}


def _location(loc_type: str, loc: str) -> str:
    """('location', '1201') -> 'Location 1201', one shared string per distinct location."""
    label = _locations.get((loc_type, loc))
    if label is None:
        kind, value = loc_type.strip().lower(), loc.strip()
        label = f"{_LOCATION_LABELS.get(kind, kind)} {value}".strip() if value else ""
        if len(_locations) < 100_000:  # bounded: a cache, not a leak
            _locations[(loc_type, loc)] = label
    return label


PARSER = ReadwiseCsvParser()
_check: Parser = PARSER
