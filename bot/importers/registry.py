"""The highlight formats `k8stip import` reads, and telling them apart by content.

A format is a module exposing `PARSER` (a `bot.importers.model.Parser`); adding one is one
line in `PARSERS`. `--format auto` offers a file to each parser's `sniff` in this order, so a
format that is easy to mistake for another (a Markdown file that happens to hold a chapter
heading and a bullet) comes after the formats with unmistakable markers.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.importers import highlights, kindle, kindle_html, markdown, readwise_csv
from bot.importers.model import Parser

PARSERS: tuple[Parser, ...] = (
    kindle.PARSER,
    kindle_html.PARSER,
    readwise_csv.PARSER,
    highlights.PARSER,
    markdown.PARSER,  # last: plain notes in any .md file
)

# Each format's size limit: a blog post of highlights is ~20 KB; a Readwise CSV of 100,000
# highlights is ~35 MB. Anything larger is refused before it is read.
DEFAULT_MAX_BYTES = 48 * 1024 * 1024
MAX_BYTES = {highlights.PARSER.name: highlights.MAX_INPUT_BYTES}

# Topics a format writes on a tip no topic fits. Only the blog format, whose files predate
# topic-less tips and must stay byte for byte as they were; the others write `topics: []`.
PLACEHOLDER_TOPICS = {highlights.PARSER.name: ("uncategorized",)}

SNIFF_CHARS = 64 * 1024  # what `sniff` sees of a file: enough for any format's first entries


def names(parsers: Sequence[Parser] = PARSERS) -> list[str]:
    return [p.name for p in parsers]


def by_name(name: str, parsers: Sequence[Parser] = PARSERS) -> Parser | None:
    return next((p for p in parsers if p.name == name), None)


def detect(head: str, filename: str, parsers: Sequence[Parser] = PARSERS) -> Parser | None:
    """The first parser that recognises `head` (a file's first `SNIFF_CHARS`), or None."""
    for parser in parsers:
        try:
            if parser.sniff(head, filename):
                return parser
        except Exception:  # a parser's bug must not stop the others from trying
            continue
    return None


def max_bytes(parser: Parser) -> int:
    return MAX_BYTES.get(parser.name, DEFAULT_MAX_BYTES)
