"""A trivial highlight format for testing the import framework with a real `Parser`.

    #quotes
    book: Title | Author One; Author Two | de
    - highlight text || note || location || 2026-03-14T09:12:00 || tag, other tag
    * bookmark at Location 12

Several `book:` lines make several books. A `- ` line with nothing after it is an empty
highlight; a `* ` line is a bookmark. Anything else is ignored.
"""

from __future__ import annotations

from bot.importers.model import Book, Highlight, ImportError_, Skip, SkipReason

MARKER = "#quotes"


class QuotesParser:
    name = "quotes"

    def sniff(self, text: str, filename: str) -> bool:
        return text.lstrip("\ufeff").startswith(MARKER)

    def parse(self, text: str, filename: str) -> list[Book]:
        books: list[Book] = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.startswith("book:"):
                title, _, rest = line[5:].partition("|")
                authors, _, language = rest.partition("|")
                names = tuple(a.strip() for a in authors.split(";") if a.strip())
                books.append(Book(title.strip(), names, language=language.strip()))
            elif line.startswith(("- ", "* ")) or line in ("-", "*"):
                if not books:
                    raise ImportError_(f"{filename}: line {n}: a highlight before any `book:`")
                if line.startswith("*"):
                    books[-1].skipped.append(Skip(SkipReason.BOOKMARK, f"{filename}: line {n}"))
                    continue
                parts = [p.strip() for p in line[1:].split("||")] + [""] * 5
                text_, note, location, at, tags = parts[:5]
                tag_list = tuple(t.strip() for t in tags.split(",") if t.strip())
                books[-1].highlights.append(
                    Highlight(text_, note, "", location, None, None, at, tag_list)
                )
        return books


PARSER = QuotesParser()
