"""Numbers read from the address (`?page=`, `/channel/{id}`, `/review/{id}`): hostile text,
so only ASCII digits of a bounded length are numbers (`str.isdigit` also takes '²' and
Arabic-Indic digits, which `int` would then read or refuse)."""

from __future__ import annotations

__all__ = ["MAX_ID", "MAX_PAGE", "MAX_TIP_ID", "page_number", "row_id"]

MAX_PAGE = 100_000  # past this, a page number is nonsense: the first page is shown
# Row ids are 32-bit INTEGER columns: a larger number is no row, and PostgreSQL would refuse
# to compare it (integer out of range) with a 500.
MAX_ID = 2**31 - 1
MAX_TIP_ID = 128  # the size of the tip_id columns (ledger, votes, restorations)


def _whole_number(text: str | None, limit: int) -> int | None:
    if not text or len(text) > limit or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def page_number(text: str | None) -> int:
    """`?page=` as a page number from 1 to `MAX_PAGE`; anything else is the first page."""
    number = _whole_number(text, len(str(MAX_PAGE)))
    return number if number is not None and 1 <= number <= MAX_PAGE else 1


def row_id(text: str | None) -> int | None:
    """An id from the address as a row id from 1 to `MAX_ID`, else None (no such row)."""
    number = _whole_number(text, len(str(MAX_ID)))
    return number if number is not None and 1 <= number <= MAX_ID else None
