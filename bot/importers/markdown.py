"""Markdown highlights into `Book`s: Readwise's Markdown/Obsidian export, and plain notes.

Readwise writes one file per book (the shape its default export template produces):

    # Title
    ![rw-book-cover](…)
    ## Metadata
    - Author: [[A, B, and C]]
    - Full Title: Title: The Subtitle
    ## Highlights
    - A passage, possibly over several lines. ([Location 190](https://readwise.io/to_kindle?…))
        - Tags: [[rbac]] [[pink]]
        - Note: the reader's own words
    ### Chapter 2: a heading highlight
    - …
    ## New highlights added March 3, 2026 at 9:12 AM
    - …

Metadata and Highlights headings may be `##` or `###`; a deeper heading inside Highlights is a
chapter; "New highlights added …" (Readwise's later syncs) continues the list; any other heading
at the Highlights level ends it. Highlights may also be `> ` blockquotes (a common template).
The `([Location N](…))` link is cut from the text and kept as the location; the link's `asin=`
is the book's ASIN. `Full Title` is the book's title (the `# ` line is often shortened).

Anything else is a plain note: every `> ` blockquote and every `==marked==` passage is a
highlight of one "book" titled by the file's first `# ` heading (or its file name), with `## `
headings as chapters; fenced code blocks are ignored. Empty passages and the same passage twice
are skipped with the reason. A file with nothing to import gives no books; parsing never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import PurePath

from bot.importers.model import Book, Highlight, Parser, Skip, SkipReason
from bot.importers.readwise_csv import split_authors

__all__ = ["PARSER", "MarkdownParser"]

# Regexes are linear on any line (no nested or unbounded lazy repeats): a 5 MB line of
# adversarial text must not take minutes. Headings lose their closing #s in _heading().
_HEADING = re.compile(r" {0,3}(#{1,6})[ \t]+(.*)")
_HIGHLIGHTS = re.compile(r"(?:new\s+)?highlights(?:\s+added\b.*)?", re.I)
_METADATA = re.compile(r"metadata", re.I)
_FIELD = re.compile(r"\s*(?:[-*+]\s+)?(?:\*\*)?([A-Za-z][A-Za-z ]{0,20}?)(?:\*\*)?::?\s*(.*)")
_BULLET = re.compile(r"([ \t]*)[-*+][ \t]+(.*)")
_NESTED_FIELD = re.compile(r"(note|tags?)\s*:\s*(.*)", re.I)
_QUOTE = re.compile(r" {0,3}>[ \t]?(.*)")
_CALLOUT = re.compile(r"\[![\w-]+\][+-]?\s*")
_FENCE = re.compile(r" {0,3}(```|~~~)")
_LOCATION = re.compile(
    r"(location|loc\.?|page|p\.)\s*(\d{1,9})(?:\s*[-–]\s*(\d{1,9}))?", re.I | re.ASCII
)
_BARE_LOCATION = re.compile(
    r"\(((?:location|loc\.?|page)\s*\d{1,9}(?:\s*[-–]\s*\d{1,9})?)\)$", re.I
)
_ASIN = re.compile(r"[?&]asin=([A-Za-z0-9]{10})")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_MARK_SNIFF = re.compile(r"==[^=\s][^\n]{0,500}?==")
_QUOTE_SNIFF = re.compile(r"^ {0,3}> ?\S", re.M)
_SNIFF_HEAD = re.compile(r"^ {0,3}#{2,4}[ \t]+(?:Metadata|Highlights)\s*$", re.M | re.I)
_SNIFF_FULL_TITLE = re.compile(r"^[ \t]*(?:[-*][ \t]+)?Full Title::?[ \t]", re.M)


@dataclass
class _Draft:
    """A highlight being read: text lines until its location link, then nested fields."""

    line: int
    text: list[str] = field(default_factory=list)
    note: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    chapter: str = ""
    closed: bool = False  # its location link was seen: further plain lines are not its text
    in_note: bool = False


@dataclass
class _Collector:
    """Drafts -> highlights and skips of one book, with duplicates and empties sorted out."""

    book: Book
    filename: str
    seen: dict[str, int] = field(default_factory=dict)

    def add(self, draft: _Draft) -> None:
        text, location, url = _cut_location("\n".join(draft.text).strip())
        where = f"{self.filename}: line {draft.line}" + (f" ({location})" if location else "")
        if not self.book.asin and (asin := _ASIN.search(url)):
            self.book.asin = asin.group(1)
        if not text:
            self.book.skipped.append(Skip(SkipReason.EMPTY, where))
            return
        note = "\n".join(draft.note).strip()
        tags = tuple(dict.fromkeys(t for t in draft.tags if t))
        collapsed = " ".join(text.split())
        earlier = self.seen.get(collapsed)
        if earlier is not None:
            kept = self.book.highlights[earlier]
            if (note and not kept.note) or (tags and not kept.tags):
                self.book.highlights[earlier] = replace(
                    kept, note=kept.note or note, tags=kept.tags or tags
                )
            self.book.skipped.append(Skip(SkipReason.DUPLICATE, where))
            return
        self.seen[collapsed] = len(self.book.highlights)
        start, end = _location_range(location)
        self.book.highlights.append(
            Highlight(
                text=text,
                note=note,
                chapter=draft.chapter,
                location=location,
                loc_start=start,
                loc_end=end,
                tags=tags,
            )
        )


def _cut_location(text: str) -> tuple[str, str, str]:
    """'Text ([Location 190](url))' -> ('Text', 'Location 190', 'url'); scans from the end."""
    stripped = text.rstrip()
    if stripped.endswith("))"):
        start = stripped.rfind("([")
        middle = stripped.rfind("](", start) if start >= 0 else -1
        if start >= 0 and middle > start:
            label = stripped[start + 2 : middle]
            url = stripped[middle + 2 : -2]
            if "\n" not in label and "]" not in label:
                return stripped[:start].rstrip(), _location_label(label), url
    bare = _BARE_LOCATION.search(stripped)
    if bare:
        return stripped[: bare.start()].rstrip(), _location_label(bare.group(1)), ""
    return stripped, "", ""


def _location_label(label: str) -> str:
    """'Location 190' stays; 'Page 12' -> 'page 12'; 'View Highlight' (a web link) -> ''."""
    m = _LOCATION.fullmatch(label.strip())
    if not m:
        return ""
    kind = "Location" if m.group(1).lower().startswith("l") else "page"
    return f"{kind} {m.group(2)}" + (f"-{m.group(3)}" if m.group(3) else "")


def _location_range(location: str) -> tuple[int | None, int | None]:
    m = _LOCATION.fullmatch(location)
    if not m:
        return None, None
    return int(m.group(2)), int(m.group(3)) if m.group(3) else None


def _heading_text(m: re.Match[str]) -> str:
    """'## Chapter 2 ##' -> 'Chapter 2' (Markdown's optional closing hashes)."""
    return m.group(2).rstrip(" \t#").strip()


def _plain(value: str) -> str:
    """A metadata value without wikilink brackets, whitespace collapsed."""
    return " ".join(value.replace("[[", "").replace("]]", "").split())


def _tags(value: str) -> list[str]:
    """'[[rbac]] [[deep work]] #pods' -> ['rbac', 'deep work', 'pods'], in order.

    str.find, not a regex: linear however many unclosed `[[` a line holds."""
    tags: list[str] = []
    pos = 0
    while True:
        start = value.find("[[", pos)
        end = value.find("]]", start + 2) if start >= 0 else -1
        plain = value[pos:] if end < 0 else value[pos:start]
        tags += [w.lstrip("#") for w in plain.split() if w.startswith("#") and w.strip("#")]
        if end < 0:
            return tags
        tags.append(value[start + 2 : end].strip())
        pos = end + 2


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """Obsidian's YAML front matter as simple `key: value` pairs, and the first body line."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    meta: dict[str, str] = {}
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return meta, i + 1
        key, sep, value = line.partition(":")
        if sep and not key.startswith((" ", "\t", "-")):
            meta[key.strip().lower().replace("_", " ")] = value.strip().strip("\"'")
    return {}, 0  # no closing line: not front matter after all


class MarkdownParser:
    """Parser: Readwise's Markdown/Obsidian export, and plain Markdown notes."""

    name = "markdown"

    def sniff(self, text: str, filename: str) -> bool:
        head = text[:8192]
        if _SNIFF_HEAD.search(head) and (
            _SNIFF_FULL_TITLE.search(head) or len(_SNIFF_HEAD.findall(head)) >= 2
        ):
            return True
        if not filename.lower().endswith((".md", ".markdown")):
            return False
        return bool(_QUOTE_SNIFF.search(head) or _MARK_SNIFF.search(head))

    def parse(self, text: str, filename: str) -> list[Book]:
        lines = _NEWLINES.split(text.lstrip("\ufeff"))
        meta, body = _front_matter(lines)
        stem = PurePath(filename).stem if filename else ""
        highlights_at = _highlights_heading(lines, body)
        if highlights_at is not None:
            book = _readwise(lines, body, highlights_at, meta, filename, stem)
        else:
            book = _notes(lines, body, meta, filename, stem)
        return [book] if book.highlights or book.skipped else []


def _highlights_heading(lines: list[str], body: int) -> tuple[int, int] | None:
    """The line and level of Readwise's Highlights heading, if the file has one."""
    for i in range(body, len(lines)):
        m = _HEADING.fullmatch(lines[i])
        if m and len(m.group(1)) >= 2 and _HIGHLIGHTS.fullmatch(_heading_text(m)):
            return i, len(m.group(1))
    return None


def _readwise(
    lines: list[str],
    body: int,
    highlights_at: tuple[int, int],
    meta: dict[str, str],
    filename: str,
    stem: str,
) -> Book:
    start, level = highlights_at
    title = meta.get("full title") or meta.get("fulltitle") or ""
    short_title = meta.get("title", "")
    author = meta.get("author", "")
    asin = meta.get("asin", "")
    for line in lines[body:start]:
        heading = _HEADING.fullmatch(line)
        if heading:
            if len(heading.group(1)) == 1 and not short_title:
                short_title = _heading_text(heading)
            continue
        m = _FIELD.fullmatch(line)
        if not m:
            continue
        key, value = m.group(1).strip().lower(), _plain(m.group(2))
        if key == "full title" and value:
            title = value
        elif key in ("author", "authors") and value:
            author = value
        elif key == "asin" and value:
            asin = value
    book = Book(
        title=title or short_title or stem or "Untitled highlights",
        authors=split_authors(_plain(author)),
        asin=asin,
    )
    collect = _Collector(book, filename)
    chapter = ""
    draft: _Draft | None = None
    in_section = True
    quoting = False
    for i in range(start + 1, len(lines)):
        line = lines[i]
        heading = _HEADING.fullmatch(line)
        if heading:
            if draft:
                collect.add(draft)
                draft = None
            depth, name = len(heading.group(1)), _heading_text(heading)
            if depth <= level and _HIGHLIGHTS.fullmatch(name):
                in_section, chapter = True, ""  # a later sync's "New highlights added …"
            elif depth <= level:
                in_section = False
            elif in_section:
                chapter = name
            continue
        if not in_section:
            continue
        draft, quoting = _readwise_line(line, i + 1, draft, quoting, chapter, collect)
    if draft:
        collect.add(draft)
    return book


def _readwise_line(
    line: str,
    number: int,
    draft: _Draft | None,
    quoting: bool,
    chapter: str,
    collect: _Collector,
) -> tuple[_Draft | None, bool]:
    """One line of the Highlights section; returns the draft being read and whether it is a
    blockquote highlight (whose `>` lines continue it)."""
    bullet = _BULLET.fullmatch(line)
    quote = None if bullet else _QUOTE.fullmatch(line)
    if (bullet and not bullet.group(1)) or (quote and not (draft and quoting and not draft.closed)):
        if draft:
            collect.add(draft)
        first = bullet.group(2) if bullet else quote.group(1) if quote else ""
        return _Draft(
            number, [first], chapter=chapter, closed=_ends_with_location(first)
        ), not bullet
    if draft is None:
        return None, False
    if quote:  # the next line of a blockquote highlight
        draft.text.append(quote.group(1))
        draft.closed = _ends_with_location(quote.group(1))
        return draft, True
    if not line.strip():
        if quoting:
            draft.closed = True  # a blockquote ends at a line without `>`
        elif not draft.closed and not draft.in_note:
            draft.text.append("")  # a paragraph break inside a long highlight
        return draft, quoting
    nested = _NESTED_FIELD.fullmatch(bullet.group(2)) if bullet else None
    if nested:
        draft.in_note = nested.group(1).lower() == "note"
        if draft.in_note:
            draft.note.append(nested.group(2))
        else:
            draft.tags += _tags(nested.group(2))
        draft.closed = True
    elif draft.in_note:
        draft.note.append(line.strip())
    elif not draft.closed:
        draft.text.append(line.strip())
        draft.closed = _ends_with_location(line)
    return draft, quoting


def _ends_with_location(line: str) -> bool:
    stripped = line.rstrip()
    return (stripped.endswith("))") and "([" in stripped) or bool(_BARE_LOCATION.search(stripped))


def _notes(lines: list[str], body: int, meta: dict[str, str], filename: str, stem: str) -> Book:
    title = ""
    book = Book(title="", authors=split_authors(_plain(meta.get("author", ""))))
    collect = _Collector(book, filename)
    chapter = ""
    fence = ""
    quote: _Draft | None = None
    paragraph: list[str] = []
    paragraph_line = 0

    def flush_paragraph() -> None:
        parts = "\n".join(paragraph).split("==")
        for k in range(1, len(parts) - 1, 2):  # odd parts have a closing "==" after them
            collect.add(_Draft(paragraph_line, [parts[k]], chapter=chapter))
        paragraph.clear()

    for i in range(body, len(lines)):
        line = lines[i]
        if fence:
            fence = "" if line.strip().startswith(fence) else fence
            continue
        opening = _FENCE.match(line)
        quoted = _QUOTE.fullmatch(line)
        heading = _HEADING.fullmatch(line)
        if quote and not quoted:
            collect.add(quote)
            quote = None
        if paragraph and (opening or quoted or heading or not line.strip()):
            flush_paragraph()
        if opening:
            fence = opening.group(1)
        elif quoted:
            text = _CALLOUT.sub("", quoted.group(1), count=1) if quote is None else quoted.group(1)
            if quote is None:
                quote = _Draft(i + 1, chapter=chapter)
            quote.text.append(text)
        elif heading:
            if len(heading.group(1)) == 1 and not title:
                title = _heading_text(heading)
            else:
                chapter = _heading_text(heading)
        elif line.strip():
            paragraph_line = paragraph_line if paragraph else i + 1
            paragraph.append(line)
    if quote:
        collect.add(quote)
    if paragraph:
        flush_paragraph()
    book.title = title or meta.get("title", "") or stem or "Untitled notes"
    return book


PARSER = MarkdownParser()
_check: Parser = PARSER
