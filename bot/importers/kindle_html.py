"""The Kindle app's notebook export (Notebook → Export → HTML) -> a book of highlights.

The page is a flat run of elements told apart by class: `bookTitle`, `authors`, `citation`,
then `sectionHeading` (a chapter) and pairs of `noteHeading` ("Highlight (yellow) - Page 12 ·
Location 170", "Note - Location 170", in the app's UI language) and `noteText`. Amazon's markup
is not well formed: a `noteText` div is often closed by `</h3>`, and a heading may carry a
section path ("Chapter 2 > Page 12 · Location 170"). So the parser does not trust nesting: a
field starts at an element with one of those classes and ends at the next one, or at the first
closing block tag (whichever tag it is), or at `<hr>`.

A note follows the highlight it annotates and becomes that highlight's reader's note; a note
with no highlight before it is reported as an orphan. Bookmarks, empty texts and word-for-word
repeats are skipped with the reason. The stdlib `html.parser` is enough: it never insists on
well-formed input, and this format needs no selector engine.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from bot.importers.kindle_words import Kind, find_kind, find_place, split_authors
from bot.importers.model import Book, Highlight, ImportError_, Parser, Skip, SkipReason

__all__ = ["PARSER", "KindleNotebookHtml"]

_FIELDS = frozenset(
    {"bookTitle", "authors", "citation", "notebookFor", "sectionHeading", "noteHeading", "noteText"}
)
_BLOCK_ENDS = frozenset(
    {"div", "h1", "h2", "h3", "h4", "h5", "h6", "p", "body", "html", "td", "tr", "table"}
)
_SNIFF_RE = re.compile(
    r"""class\s*=\s*["']?\s*(bookTitle|noteHeading|noteText|notebookFor|sectionHeading)\b"""
)


class _Fields(HTMLParser):
    """Collects (class, text) for every field of interest, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self._name: str | None = None
        self._parts: list[str] = []

    def _flush(self) -> None:
        if self._name is not None:
            lines = "".join(self._parts).split("\n")
            text = "\n".join(" ".join(line.split()) for line in lines).strip()
            self.fields.append((self._name, re.sub(r"\n{3,}", "\n\n", text)))
        self._name = None
        self._parts = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = next((value or "" for key, value in attrs if key == "class"), "").split()
        field = next((c for c in classes if c in _FIELDS), None)
        if field is not None:
            self._flush()
            self._name = field
        elif tag == "hr":
            self._flush()
        elif tag == "br" and self._name is not None:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_ENDS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._name is not None:
            # HTML whitespace (the export's own line breaks) is a space; <br> is a line break.
            self._parts.append(" ".join(data.split("\n")))

    def close(self) -> None:
        super().close()
        self._flush()


def _heading_section(heading: str) -> str:
    """'Highlight (yellow) - Chapter 2 > Page 12 · Location 170' -> 'Chapter 2'."""
    _, dash, rest = heading.partition(" - ")
    if dash and ">" in rest:
        return rest.rsplit(">", 1)[0].strip()
    return ""


class KindleNotebookHtml:
    """Parser: the Kindle app's notebook exported as HTML."""

    name: str = "kindle-html"

    def sniff(self, text: str, filename: str) -> bool:
        found = {m.group(1) for m in _SNIFF_RE.finditer(text[:65536])}
        return "bookTitle" in found and len(found) >= 2

    def parse(self, text: str, filename: str) -> list[Book]:
        reader = _Fields()
        try:
            reader.feed(text)
            reader.close()
        except (AssertionError, ValueError) as e:  # older html.parser builds assert on junk
            raise ImportError_(
                f"{filename}: not readable as HTML ({e}); export the notebook again"
            ) from None
        names = {name for name, _ in reader.fields}
        if not names & {"bookTitle", "noteText"}:
            raise ImportError_(
                f"{filename}: no Kindle notebook in it (no bookTitle or noteText); "
                "export it from the Kindle app: Notebook → Export → HTML"
            )
        return _books(reader.fields, filename)


def _books(fields: list[tuple[str, str]], filename: str) -> list[Book]:
    books: list[Book] = []
    book = Book(title="")
    chapter = heading = ""
    seen: set[str] = set()
    number = 0
    for name, value in fields:
        if name == "bookTitle":
            if book.highlights or book.skipped or book.title:
                books.append(book)  # several notebooks pasted into one page
            book, chapter, heading, seen = Book(title=value), "", "", set()
        elif name == "authors":
            book.authors = split_authors(value)
        elif name == "sectionHeading":
            chapter, heading = value, ""
        elif name == "noteHeading":
            heading = value
        elif name == "noteText":
            number += 1
            place = find_place(heading, guess=False)
            where = f"{filename}: note {number} ({place.label or 'no location'})"
            kind = find_kind(heading) or Kind.HIGHLIGHT
            heading_was, heading = heading, ""
            if kind is Kind.BOOKMARK:
                book.skipped.append(Skip(SkipReason.BOOKMARK, where))
            elif not value:
                book.skipped.append(Skip(SkipReason.EMPTY, where))
            elif kind is Kind.NOTE:
                if not book.highlights:
                    book.skipped.append(Skip(SkipReason.ORPHAN_NOTE, where))
                    continue
                last = book.highlights[-1]
                if value in last.note.split("\n\n"):
                    book.skipped.append(Skip(SkipReason.DUPLICATE, where))
                    continue
                note = f"{last.note}\n\n{value}" if last.note else value
                book.highlights[-1] = replace(last, note=note)
            elif (norm := " ".join(value.split())) in seen:
                book.skipped.append(Skip(SkipReason.DUPLICATE, where))
            else:
                seen.add(norm)
                loc = place.loc
                book.highlights.append(
                    Highlight(
                        text=value,
                        chapter=_heading_section(heading_was) or chapter,
                        location=place.label,
                        loc_start=loc[0] if loc else None,
                        loc_end=loc[1] if loc else None,
                    )
                )
    books.append(book)
    for b in books:
        b.title = b.title or "Untitled"
    return books


PARSER = KindleNotebookHtml()
_check: Parser = PARSER
