"""The words Kindle writes around a highlight, in every UI language, and what they mean.

Shared by `kindle` (My Clippings.txt) and `kindle_html` (the notebook export): what kind of
entry a heading names (highlight, note, bookmark), its page and location, the "Added on"
date as ISO 8601, and the authors in a title's last parenthesised group.

The metadata line differs by firmware and UI language, e.g.
  - Your Highlight on page 12 | Location 170-172 | Added on Sunday, 3 March 2024 09:12:45
  - Highlight Loc. 145-46  | Added on Thursday, March 31, 2011, 09:45 PM   (old firmware)
  - Ihre Markierung auf Seite 42 | Position 1234-1236 | Hinzugefügt am Montag, 30. Dezember 2024 …
  - Votre surlignement sur la page 5 | emplacement 1234-1236 | Ajouté le lundi 30 septembre 2019 …
  - Tu subrayado en la página 6 | posición 36-40 | Añadido el lunes, 30 de septiembre de 2019 …
  - La tua evidenziazione alla posizione 512-514 | Aggiunto in data martedì 5 marzo 2024 …
  - Seu destaque na página 179 | posição 2739-2747 | Adicionado: sábado, 19 de março de 2022 …
  - Je markering op pagina 6 | locatie 36-40 | Toegevoegd op maandag 30 september 2019 …
  - 26ページ|位置No. 295-296のハイライト |作成日: 2023年9月4日月曜日 22:53:55
so nothing here depends on the order of the parts: each is found by its own keyword, and a
line in a language not listed still yields its numbers (the last range is the location).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "Kind",
    "Place",
    "expand_range",
    "find_kind",
    "find_place",
    "parse_added",
    "split_authors",
    "split_title",
]


class Kind(StrEnum):
    HIGHLIGHT = "highlight"
    NOTE = "note"
    BOOKMARK = "bookmark"


# A clipped article ("Your Clip") is text the reader kept, so it counts as a highlight.
_KIND_RES: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (
        Kind.HIGHLIGHT,
        re.compile(
            r"highlight|markierung|surlignement|surlignage|subrayado|evidenziazione|destaque"
            r"|markering|\bclip\b|ハイライト|标注|выделен",
            re.IGNORECASE,
        ),
    ),
    (
        Kind.NOTE,
        re.compile(r"\bnot(?:e|iz|a|itie)\b|メモ|笔记|заметк", re.IGNORECASE),
    ),
    (
        Kind.BOOKMARK,
        re.compile(
            r"bookmark|lesezeichen|\bsignet\b|marcador|segnalibro|bladwijzer|ブックマーク|书签"
            r"|закладк",
            re.IGNORECASE,
        ),
    ),
)

_PAGE_RE = re.compile(
    r"(?:\bpage|\bseite|\bpágina|\bpagina|\bстраниц\w*)\s*(\d+(?:\s*-\s*\d+)?|[ivxlcdm]+\b)"
    r"|(\d+)\s*ページ|第\s*(\d+)\s*页",
    re.IGNORECASE,
)
_LOC_RE = re.compile(
    r"(?:\blocations?|\bloc\.?|\bposition|\bemplacement|\bposición|\bposizione|\bposição"
    r"|\blocatie|\bместоположение|\bпозиция|位置\s*(?:no\.?)?)\s*[:#]?\s*(\d+)(?:\s*-\s*(\d+))?",
    re.IGNORECASE,
)
_RANGE_RE = re.compile(r"(\d+)(?:\s*-\s*(\d+))?")


_DIGITS = str.maketrans("0123456789", "##########")


def find_kind(heading: str) -> Kind | None:
    """The kind a metadata line or notebook heading names, or None in an unknown language."""
    # A device writes a few line shapes that differ only in their numbers: read each once.
    return _kind_of_shape(heading.translate(_DIGITS))


@lru_cache(maxsize=1024)
def _kind_of_shape(heading: str) -> Kind | None:
    found: list[tuple[int, Kind]] = []
    for kind, pattern in _KIND_RES:
        m = pattern.search(heading)
        if m:
            found.append((m.start(), kind))
    return min(found)[1] if found else None


def expand_range(start: str, end: str | None) -> tuple[int, int]:
    """'145', '46' -> (145, 146): old firmware writes only the changed trailing digits."""
    a = int(start)
    if not end:
        return a, a
    b = int(end)
    if b < a and len(end) < len(start):
        b = int(start[: len(start) - len(end)] + end)
        if b < a:  # 999-03 is 999-1003
            b += 10 ** len(end)
    return a, max(a, b)


class Place:
    """Where an entry sits: its page (as printed) and Kindle location range, if given."""

    __slots__ = ("loc", "page", "single")

    def __init__(self, page: str, loc: tuple[int, int] | None, single: bool) -> None:
        self.page = page
        self.loc = loc
        self.single = single  # written as one location ("Location 170"), the shape of a note

    @property
    def label(self) -> str:
        """'page 12 · Location 170-172', 'Location 170', 'page 12' or ''."""
        parts = [f"page {self.page}"] if self.page else []
        if self.loc is not None:
            a, b = self.loc
            parts.append(f"Location {a}" if self.single else f"Location {a}-{b}")
        return " · ".join(parts)

    @property
    def page_number(self) -> int | None:
        digits = re.match(r"\d+", self.page)
        return int(digits.group()) if digits else None


def find_place(heading: str, guess: bool = True) -> Place:
    """Page and location from the part of a metadata line or heading before its date.

    With `guess`, a line in an unknown language gives its last number (range) that is not the
    page as the location; the notebook's headings carry section names, so it doesn't guess.
    """
    page = ""
    page_span = (-1, -1)
    pm = _PAGE_RE.search(heading)
    if pm:
        page = re.sub(r"\s+", "", next(g for g in pm.groups() if g is not None))
        page_span = pm.span()
    lm = _LOC_RE.search(heading)
    if lm is None and guess:  # an unknown language: the last number (range) that is not the page
        for m in _RANGE_RE.finditer(heading):
            if not page_span[0] <= m.start() < page_span[1]:
                lm = m
    if lm is None:
        return Place(page, None, False)
    start, end = lm.group(1), lm.group(2)
    if len(start) > 9 or (end is not None and len(end) > 9):  # not a location; never overflow
        return Place(page, None, False)
    return Place(page, expand_range(start, end), end is None)


_MONTHS_BY_LANGUAGE = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "januar februar marz april mai juni juli august september oktober november dezember",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
)
_MONTHS = {
    name: number
    for names in _MONTHS_BY_LANGUAGE
    for number, name in enumerate(names.split(), start=1)
} | {"sept": 9, "setiembre": 9, "janner": 1}

_CJK_DATE_RE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
_ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([ap])\.?\s?m\b\.?)?", re.IGNORECASE)
_AFTERNOON = ("午後", "下午", "오후")


@lru_cache(maxsize=4096)
def _fold(word: str) -> str:
    """'février' -> 'fevrier', 'März' -> 'marz' (Cyrillic and CJK pass through)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_added(text: str) -> str:
    """The date in an 'Added on …' part as ISO 8601 ('2024-03-03T09:12:45'), or ''."""
    text = text[:200]
    time = _TIME_RE.search(text)
    rest = text[: time.start()] + " " + text[time.end() :] if time else text
    ymd: tuple[int, int, int] | None = None
    if m := _CJK_DATE_RE.search(rest) or _ISO_DATE_RE.search(rest):
        ymd = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    else:
        year = month = day = None
        for word in re.findall(r"\w+", rest):
            if word.isdecimal():  # not isdigit: int() refuses "²", a digit
                if len(word) == 4 and year is None:
                    year = int(word)
                elif len(word) <= 2 and day is None:
                    day = int(word)
            elif month is None:
                month = _MONTHS.get(_fold(word))
        if year is not None and month is not None and day is not None:
            ymd = (year, month, day)
    if ymd is None:
        return ""
    try:
        if time is None:
            return datetime(*ymd).date().isoformat()
        hour, minute, second = int(time.group(1)), int(time.group(2)), int(time.group(3) or 0)
        meridiem = (time.group(4) or "").lower()
        if meridiem == "p" or any(mark in text for mark in _AFTERNOON):
            hour = hour % 12 + 12
        elif meridiem == "a" and hour == 12:
            hour = 0
        return datetime(*ymd, hour, minute, second).isoformat()
    except (ValueError, OverflowError):
        return ""


def split_title(line: str) -> tuple[str, tuple[str, ...]]:
    """'The Workbook (Second Edition) (Doe, Jane; Roe, Rick)' -> title and authors.

    The last parenthesised group, balanced ('Ann (Inconnu(e))' works), is the authors; earlier
    groups stay in the title. A line that is only a group, or has none, has no authors.
    """
    line = line.strip().lstrip("\ufeff").strip()
    if not line.endswith(")"):
        return line, ()
    depth = 0
    for i in range(len(line) - 1, -1, -1):
        if line[i] == ")":
            depth += 1
        elif line[i] == "(":
            depth -= 1
            if depth == 0:
                title = line[:i].strip()
                if not title:
                    return line, ()
                return title, split_authors(line[i + 1 : -1])
    return line, ()


def split_authors(group: str) -> tuple[str, ...]:
    """Kindle's author group as names: split on ';', 'Last, First' turned to 'First Last'.

    'Burns, Brendan; Beda, Joe' -> ('Brendan Burns', 'Joe Beda'); 'Ann Lee, Bo Chen' (two full
    names) -> ('Ann Lee', 'Bo Chen'); 'van Dijk, Jan' -> ('Jan van Dijk').
    """
    names: list[str] = []
    for part in group.split(";"):
        part = " ".join(part.split())
        if not part:
            continue
        pieces = [p.strip() for p in part.split(",")]
        if len(pieces) > 1 and all(len(p.split()) >= 2 for p in pieces):
            names.extend(pieces)  # a comma-separated list of full names
        elif len(pieces) == 2 and pieces[0] and pieces[1]:
            names.append(f"{pieces[1]} {pieces[0]}")
        else:
            names.append(part)
    return tuple(names)
