"""Parse a reader's highlights published as a blog post into tips.

The format (the seed file is the reference): a preamble (site banner, title, "by A, B, and C"),
then `Chapter N: Title` headings, each followed by bullets (`•`, `-`, `*`) indented by two
spaces. A bullet's wrapped lines are indented deeper and are joined with a space; lines that
look like commands (`kubectl …`) keep their own line. Nested bullets (indented deeper than
their parent) stay with their parent: the tip reads as the lead sentence and a list, and
every nested bullet's words are part of the tip's text. Lines outside chapters, "None"
placeholders and page furniture ("%d bloggers like this:", "Share this:") are not tips.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.core.corpus import URL_RE
from bot.importers.errors import ImportError_
from bot.importers.model import Book, Skip, SkipReason
from bot.importers.model import Highlight as BookHighlight

__all__ = ["PARSER", "ImportError_", "parse", "slug", "stable_id", "tip_text"]

MAX_INPUT_BYTES = 5 * 1024 * 1024  # a highlights post is ~20 KB; refuse anything absurd

_CHAPTER_RE = re.compile(
    r"^\s*(?:chapter|ch\.?)\s*(?P<num>\d{1,3})\s*(?:[:.\-–—]\s*(?P<title>.*\S))?\s*$",
    re.IGNORECASE,
)
_BULLET_RE = re.compile(r"^(?P<indent>[ \t]*)(?:[•●◦▪‣∙·*\-–]|\d{1,2}[.)])\s+(?P<text>\S.*)$")
_BY_RE = re.compile(r"\bby\s+(?P<names>[A-Z][^.]*?)\.?\s*$")
_TITLE_RE = re.compile(r"^(?:Book Review:\s*)(?P<title>.+)$", re.IGNORECASE)
_COMMAND_RE = re.compile(r"^(?:\$\s*)?(?:kubectl|helm|az|docker|kubeadm|git|curl|istioctl)\b")
_NOISE_RE = re.compile(
    r"^(?:%d bloggers like this:?|\d+ bloggers like this:?|share this:?|like this:?|"
    r"loading\.{3}|related|leave a reply|page \d+( of \d+)?|\d{1,4})$",
    re.IGNORECASE,
)
_PLACEHOLDER_RE = re.compile(r"^(?:none|n/?a|nothing|-+)\.?$", re.IGNORECASE)


@dataclass
class Highlight:
    chapter_number: int | None
    chapter_title: str
    text: str
    line: int  # 1-based line of the bullet in the input
    children: list[str] = field(default_factory=list)


@dataclass
class ParsedHighlights:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    site: str = ""
    highlights: list[Highlight] = field(default_factory=list)
    chapters: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def _clean(line: str) -> str:
    """Drop control characters (keep tabs), normalise odd spaces, strip the line end."""
    line = line.rstrip("\r\n")
    if line.isprintable():  # the common case: nothing to drop or normalise
        return line.rstrip()
    out = []
    for ch in line:
        cat = unicodedata.category(ch)
        if ch == "\t" or not cat.startswith("C"):
            out.append(" " if cat == "Zs" else ch)
    return "".join(out).rstrip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _join(parts: list[str]) -> str:
    """Join a bullet's lines: wrapped prose with spaces, command lines on their own line."""
    text = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not text:
            text = part
        elif _COMMAND_RE.match(part) or (text.endswith(":") and _COMMAND_RE.match(part)):
            text += "\n" + part
        elif "\n" in text and _COMMAND_RE.match(text.rsplit("\n", 1)[1]):
            text += "\n" + part  # after a command line, the next line stands alone too
        else:
            text += " " + part
    return text


def parse(text: str) -> ParsedHighlights:
    """Parse the blog format. Raises ImportError_ when there is nothing to import."""
    result = ParsedHighlights()
    chapter: tuple[int, str] | None = None
    current: Highlight | None = None
    current_parts: list[str] = []
    child_parts: list[str] | None = None
    base_indent = 0
    preamble: list[str] = []

    def flush() -> None:
        nonlocal current, current_parts, child_parts
        if current is not None:
            if child_parts is not None:
                current.children.append(_join(child_parts))
            current.text = _join(current_parts)
            if _PLACEHOLDER_RE.match(current.text) and not current.children:
                result.skipped.append((current.line, f"placeholder {current.text!r}"))
            else:
                result.highlights.append(current)
        current, current_parts, child_parts = None, [], None

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = _clean(raw)
        stripped = line.strip()
        if not stripped:
            continue
        m = _CHAPTER_RE.match(stripped)
        if m and _indent(line) == 0 and not _BULLET_RE.match(line):
            flush()
            chapter = (int(m.group("num")), (m.group("title") or "").strip())
            result.chapters.append(chapter)
            continue
        if _NOISE_RE.match(stripped):
            flush()
            result.skipped.append((lineno, f"page furniture {stripped!r}"))
            continue
        if chapter is None:
            preamble.append(stripped)
            continue
        b = _BULLET_RE.match(line)
        if b:
            indent = _indent(line)
            if current is None or indent <= base_indent:
                flush()
                base_indent = indent
                current = Highlight(chapter[0], chapter[1], "", lineno)
                current_parts = [b.group("text")]
            else:  # a nested bullet belongs to the open highlight
                if child_parts is not None:
                    current.children.append(_join(child_parts))
                child_parts = [b.group("text")]
            continue
        if current is not None and _indent(line) > 0:
            # A wrapped line: it continues the nested bullet if one is open, else the parent.
            (child_parts if child_parts is not None else current_parts).append(stripped)
            continue
        # An unindented line inside a chapter that is not a bullet: prose we can't attribute.
        flush()
        result.skipped.append((lineno, f"text outside a bullet {stripped[:60]!r}"))
    flush()

    for line in preamble:
        t = _TITLE_RE.match(line)
        if t and not result.title:
            result.title = t.group("title").strip()
        by = _BY_RE.search(line)
        if by and not result.authors:
            names = re.split(r",\s*(?:and\s+)?|\s+and\s+", by.group("names"))
            result.authors = [n.strip() for n in names if n.strip()]
    if preamble:
        result.site = preamble[0]
    if not result.chapters:
        raise ImportError_(
            "no chapter headings found; the highlights format needs lines like "
            "'Chapter 1: Introduction' followed by bullets ('  • highlight text')"
        )
    return result


def tip_text(h: Highlight) -> str:
    """A highlight as a standalone tip: the lead sentence, then its nested bullets."""
    if not h.children:
        return h.text
    return h.text + "\n" + "\n".join(f"• {c}" for c in h.children)


def links_in(text: str) -> list[str]:
    """URLs in the text, in order, once each. A URL broken by a line wrap after a hyphen
    ("…-with- shared-access") is rejoined for the link; the text keeps the author's words."""
    found: list[str] = []
    for m in URL_RE.finditer(text):
        url = m.group(0)
        rest = text[m.end() :]
        if url.endswith("-"):
            cont = re.match(r"\s([a-z0-9][a-z0-9\-/]*[a-z0-9/])", rest)
            if cont:
                url += cont.group(1)
        if url not in found:
            found.append(url)
    return found


def stable_id(prefix: str, chapter: int | None, text: str, digits: int = 6) -> str:
    """An id that stays the same when the same highlight is imported again. Six hex digits
    collide about once in 4,000 highlights of a chapter; the importer then asks for more."""
    norm = " ".join(text.lower().split())
    digest = hashlib.sha1(norm.encode("utf-8")).hexdigest()[:digits]
    ch = f"c{chapter:02d}" if chapter is not None else "c00"
    return f"{prefix}-{ch}-{digest}"


def slug(text: str, max_len: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:max_len].rstrip("-") or "source"


def iter_tips(parsed: ParsedHighlights, prefix: str) -> Iterator[dict[str, object]]:
    for h in parsed.highlights:
        text = tip_text(h)
        yield {
            "id": stable_id(prefix, h.chapter_number, text),
            "chapter": {"number": h.chapter_number, "title": h.chapter_title},
            "text": text,
            "links": links_in(text),
        }


_SNIFF_CHAPTER_RE = re.compile(r"^(?:chapter|ch\.?)\s*\d{1,3}\b", re.IGNORECASE | re.MULTILINE)
_SNIFF_BULLET_RE = re.compile(r"^[ \t]+(?:[•●◦▪‣∙·*\-–]|\d{1,2}[.)])\s+\S", re.MULTILINE)


class HighlightsParser:
    """The blog format as a `Parser`: one book, chapters numbered, nested bullets kept."""

    name = "highlights"

    def sniff(self, text: str, filename: str) -> bool:
        head = text[:16384]
        return bool(_SNIFF_CHAPTER_RE.search(head) and _SNIFF_BULLET_RE.search(head))

    def parse(self, text: str, filename: str) -> list[Book]:
        try:
            parsed = parse(text)
        except ImportError_ as e:
            raise ImportError_(f"{filename}: {e}") from None
        skipped = [
            Skip(
                SkipReason.EMPTY if why.startswith("placeholder") else SkipReason.NOT_A_HIGHLIGHT,
                f"{filename}: line {line}",
            )
            for line, why in parsed.skipped
        ]
        site_note = f"A reader's highlights, from a book review on {parsed.site}"
        return [
            Book(
                title=parsed.title,
                authors=tuple(parsed.authors),
                highlights=[
                    BookHighlight(
                        text=tip_text(h), chapter=h.chapter_title, chapter_number=h.chapter_number
                    )
                    for h in parsed.highlights
                ],
                skipped=skipped,
                note=site_note if parsed.site else "",
            )
        ]


PARSER = HighlightsParser()
