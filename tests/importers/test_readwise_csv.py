"""`--format readwise-csv`: Readwise's CSV export into books and highlights."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importers.model import Book, Highlight, ImportError_, SkipReason
from bot.importers.readwise_csv import PARSER, iso_timestamp, split_authors, split_note

FIXTURE = Path(__file__).parents[1] / "fixtures" / "readwise-export.csv"
NAME = "readwise-export.csv"
HEADER = (
    "Highlight,Book Title,Book Author,Amazon Book ID,Note,Color,Tags,Location Type,Location,"
    "Highlighted at,Document tags\n"
)


def fixture_text() -> str:
    # newline="" keeps the file's CRLFs, as the importer's own reader does (read_bytes+decode)
    with FIXTURE.open(encoding="utf-8", newline="") as f:
        return f.read()


@pytest.fixture(scope="module")
def books() -> list[Book]:
    return PARSER.parse(fixture_text(), NAME)


def by_text(book: Book, start: str) -> Highlight:
    return next(h for h in book.highlights if h.text.startswith(start))


def one(rows: str) -> Book:
    (book,) = PARSER.parse(HEADER + rows, "x.csv")
    return book


def test_the_fixture_has_a_bom_and_crlf_line_ends() -> None:
    """The fixture holds the traps it is meant to: a UTF-8 BOM and CRLF record ends."""
    raw = FIXTURE.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfHighlight,")
    assert raw.count(b"\r\n") == 14  # the header and 13 records; inside a quoted field: LF
    assert b'traffic?""\n' in raw


def test_books_are_grouped_by_title_and_author_in_first_seen_order(books: list[Book]) -> None:
    """Rows of two interleaved books become two books, in the order each first appears."""
    assert [b.title for b in books] == ["Running Clusters Calmly", "The Small Cluster Handbook"]
    assert [len(b.highlights) for b in books] == [4, 2]


def test_a_bom_does_not_reach_the_header_or_the_title(books: list[Book]) -> None:
    """A UTF-8 BOM before the header is not part of the first column's name."""
    assert PARSER.sniff(fixture_text(), NAME)
    assert not books[0].title.startswith("\ufeff")


def test_quoted_field_over_several_lines_with_embedded_quotes(books: list[Book]) -> None:
    """A quoted highlight keeps its line breaks (as LF) and its doubled quotes become one."""
    h = by_text(books[0], "Readiness")
    assert h.text == (
        'Readiness answers "may I get traffic?"\n'
        'Liveness answers "should I be restarted?"\n'
        "Mixing them up turns a slow start into a restart loop."
    )


def test_crlf_inside_a_field_becomes_lf() -> None:
    """A Windows line end inside a quoted field does not leave a stray carriage return."""
    book = one('"first line\r\nsecond line",T,A,,"note one\r\nnote two",,,,,,\r\n')
    assert book.highlights[0].text == "first line\nsecond line"
    assert book.highlights[0].note == "note one\nnote two"


def test_authors_joined_with_commas_and_and_become_a_tuple(books: list[Book]) -> None:
    """'A, B, and C' and 'A and B' give one author each."""
    assert books[0].authors == ("Mira Okafor", "Lev Brandt", "Tess Quill")
    assert books[1].authors == ("Jon Ferro", "Ada Nwosu")


@pytest.mark.parametrize(
    ("raw", "authors"),
    [
        ("Ann Example", ("Ann Example",)),
        ("Ann Example & Bo Sample; Cy Test", ("Ann Example", "Bo Sample", "Cy Test")),
        ("Ann Example, Jr. and Bo Sample", ("Ann Example, Jr.", "Bo Sample")),
        ("", ()),
    ],
)
def test_split_authors(raw: str, authors: tuple[str, ...]) -> None:
    """Author lists split on commas, 'and', '&' and ';', keeping a 'Jr.' with its name."""
    assert split_authors(raw) == authors


def test_the_readers_note_is_kept(books: list[Book]) -> None:
    """The Note column becomes the highlight's note."""
    assert by_text(books[0], "A pod that").note == "Say this at the next design review."


def test_tags_column_is_split_on_commas_and_kept_verbatim(books: list[Book]) -> None:
    """Tags are the comma-separated Tags column, spelled as the reader spelled them."""
    assert by_text(books[0], "Base64").tags == ("secrets", "RBAC")
    assert by_text(books[0], "A pod that").tags == ("pods", "Scaling")


def test_inline_tags_at_the_start_of_a_note_become_tags() -> None:
    """A note starting '.probes .c1 check ours' gives the tag 'probes', drops the concatenation
    marker and keeps 'check ours' as the note."""
    assert split_note(".probes .c1 check ours") == ("check ours", ["probes"], 0)
    assert split_note("...and then it broke") == ("...and then it broke", [], 0)


def test_heading_notes_become_chapters_not_tips(books: list[Book]) -> None:
    """A `.h1`/`.h2`/`.h3` note makes its row the chapter of the following highlights."""
    texts = [h.text for h in books[0].highlights]
    assert not any(t.startswith(("Part One", "Chapter 1", "Section 1.2")) for t in texts)
    assert by_text(books[0], "A pod that").chapter == "Chapter 1: Pods Are Cattle"
    assert by_text(books[0], "A probe").chapter == "Section 1.2: Probes"
    # A new .h2 closes the .h3 under the previous one.
    assert by_text(books[0], "Base64").chapter == "Chapter 2: Secrets Stay Secret"


def test_a_heading_tag_works_like_a_heading_note() -> None:
    """A row tagged `h1` is a heading too (Readwise may turn the note into a tag)."""
    book = one("Part Two,T,A,,,,h1,,,,\nBody text.,T,A,,,,,,,,\n")
    assert [(h.text, h.chapter) for h in book.highlights] == [("Body text.", "Part Two")]


def test_headings_belong_to_their_own_book() -> None:
    """A heading in one book does not become the chapter of another book's highlights."""
    books = PARSER.parse(HEADER + "Ch 1,T,A,,.h1,,,,,,\nOther.,U,B,,,,,,,,\n", "x.csv")
    assert books[1].highlights[0].chapter == ""


def test_discarded_highlights_are_skipped(books: list[Book]) -> None:
    """A row tagged `discard` is skipped as discarded (the CSV has no discard column)."""
    assert not any(h.text.startswith("This sentence was a mistake") for h in books[0].highlights)
    skips = [s for s in books[0].skipped if s.reason is SkipReason.DISCARDED]
    assert [s.where for s in skips] == [f"{NAME}: line 13 (Location 280)"]


def test_a_discarded_column_is_honoured_when_present() -> None:
    """An export with a `Discarded` column skips the rows marked true."""
    header = HEADER.rstrip("\n") + ",Discarded\n"
    (book,) = PARSER.parse(header + "Kept.,T,A,,,,,,,,,false\nGone.,T,A,,,,,,,,,true\n", "x.csv")
    assert [h.text for h in book.highlights] == ["Kept."]
    assert [s.reason for s in book.skipped] == [SkipReason.DISCARDED]


@pytest.mark.parametrize(
    ("kind", "value", "location", "start"),
    [
        ("location", "1201", "Location 1201", 1201),
        ("page", "12", "page 12", 12),
        ("order", "5", "order 5", 5),
        ("time_offset", "93", "at second 93", 93),
        ("chapter", "iv", "chapter iv", None),
        ("", "", "", None),
    ],
)
def test_location_type_and_location(
    kind: str, value: str, location: str, start: int | None
) -> None:
    """Location Type and Location read as a reader cites them, with the number as loc_start."""
    h = one(f"Text.,T,A,,,,,{kind},{value},,\n").highlights[0]
    assert (h.location, h.loc_start) == (location, start)


def test_highlighted_at_becomes_iso_8601(books: list[Book]) -> None:
    """Readwise's '2025-01-04 08:01:00+00:00' becomes ISO 8601; a date stays a date."""
    assert by_text(books[0], "A pod that").highlighted_at == "2025-01-04T08:01:00+00:00"
    assert by_text(books[1], "Label").highlighted_at == "2024-11-30"
    assert by_text(books[1], "Write the rollback").highlighted_at == ""
    assert iso_timestamp("2025-01-04T08:01:00Z") == "2025-01-04T08:01:00+00:00"


def test_empty_highlight_is_skipped_as_empty(books: list[Book]) -> None:
    """A row with no highlight text is no tip; the report says where it was."""
    empties = [s for s in books[0].skipped if s.reason is SkipReason.EMPTY]
    assert [s.where for s in empties] == [f"{NAME}: line 8 (Location 250)"]


def test_exact_duplicate_is_skipped_and_the_first_kept(books: list[Book]) -> None:
    """The same passage twice in a book is one highlight and one duplicate skip."""
    probes = [h for h in books[0].highlights if h.text.startswith("A probe")]
    assert len(probes) == 1
    dups = [s for s in books[0].skipped if s.reason is SkipReason.DUPLICATE]
    assert [s.where for s in dups] == [f"{NAME}: line 12 (Location 270)"]


def test_a_duplicates_note_is_not_lost() -> None:
    """When only the later copy carries a note and tags, the kept highlight gets them."""
    book = one("Same.,T,A,,,,,,,,\nSame.,T,A,,my note,,ops,,,,\n")
    assert (book.highlights[0].note, book.highlights[0].tags) == ("my note", ("ops",))
    assert [s.reason for s in book.skipped] == [SkipReason.DUPLICATE]


def test_amazon_book_id_is_the_asin(books: list[Book]) -> None:
    """The Amazon Book ID column is the book's ASIN; a book without one has ''."""
    assert [b.asin for b in books] == ["B0CALM0001", ""]


def test_header_only_export_has_no_books() -> None:
    """An export with a header and no rows gives no books (and no error)."""
    assert PARSER.parse(HEADER, "x.csv") == []
    assert PARSER.parse("", "x.csv") == []


def test_wrong_header_is_one_line_naming_file_line_and_fix() -> None:
    """A CSV without Readwise's columns: one line with the file, line 1 and what to do."""
    with pytest.raises(ImportError_) as e:
        PARSER.parse("Title,Author,Quote\nA,B,C\n", "books.csv")
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith("books.csv: line 1: not a Readwise CSV export")
    assert "'Highlight'" in message and "export it again" in message


def test_truncated_mid_quote_names_the_line_where_the_quote_opens() -> None:
    """A file cut off inside a quoted field: one line naming the record's first line."""
    text = fixture_text()
    cut = text[: text.index("Liveness")]  # inside the quoted field that starts on line 5
    with pytest.raises(ImportError_) as e:
        PARSER.parse(cut, NAME)
    assert str(e.value) == (
        f"{NAME}: line 5: a quoted field starts here and never closes (the file looks cut "
        "off); export it again from Readwise"
    )


def test_a_stray_quote_is_one_line_with_the_fix() -> None:
    """A quote inside a quoted field that was not doubled: the line and how to fix it."""
    with pytest.raises(ImportError_, match=r'^x\.csv: line 3: malformed CSV .*\(""\)'):
        PARSER.parse(HEADER + 'Fine.,T,A,,,,,,,,\n"Bad "quote" here",T,A,,,,,,,,\n', "x.csv")


@pytest.mark.parametrize(
    ("text", "recognised"),
    [
        (HEADER + "x,T,A,,,,,,,,\n", True),
        ('"Highlight","Book Title","Book Author"\r\n', True),
        ("Title,Author,Quote\n", False),
        ("# A Markdown file\n\n> quote\n", False),
        ("", False),
    ],
)
def test_sniff_reads_the_header(text: str, recognised: bool) -> None:
    """The format is recognised from the header row, whatever the file is called."""
    assert PARSER.sniff(text, "export.txt") is recognised


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_parse_never_raises_but_import_error_on_arbitrary_text(text: str) -> None:
    """Any text: books, or one ImportError_ line; never another exception."""
    for candidate in (text, HEADER + text):
        try:
            PARSER.parse(candidate, "x.csv")
        except ImportError_ as e:
            assert "\n" not in str(e)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parse_never_raises_but_import_error_on_mutated_fixture(data: st.DataObject) -> None:
    """The fixture with a slice cut out, text inserted or its tail cut off still parses or gives
    one ImportError_ line."""
    text = fixture_text()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 200)))
    insert = data.draw(st.text(alphabet=st.sampled_from('",\r\n.h1x\x00\ufeff'), max_size=8))
    for candidate in (text[:start] + insert + text[end:], text[:start]):
        try:
            books = PARSER.parse(candidate, NAME)
        except ImportError_ as e:
            assert "\n" not in str(e) and str(e).startswith(NAME)
        else:
            assert all(h.text.strip() for b in books for h in b.highlights)


def test_adversarial_author_field_parses_in_linear_time() -> None:
    """An author field of 100,000 spaces and commas splits in well under seconds."""
    author = '"' + " , " * 40_000 + 'and"'
    started = time.perf_counter()
    book = one(f"Text.,T,{author},,,,,,,,\n")
    assert book.authors == ()
    # A hang guard, not a benchmark: a backtracking split takes minutes here.
    assert time.perf_counter() - started < 30


def test_a_file_cut_between_two_fields_of_its_last_record_is_refused() -> None:
    """A download cut off after a comma (no open quote to give it away) leaves a last record
    with too few columns and no final newline: one line saying so, not a half highlight."""
    text = FIXTURE.read_text(encoding="utf-8")
    cut = text.index("Running Clusters Calmly,", 1500) + len("Running Clusters Calmly,")
    with pytest.raises(ImportError_) as e:
        PARSER.parse(text[:cut], "export.csv")
    assert "the last record has 3 of 11 columns" in str(e.value)
    assert "\n" not in str(e.value)
    # The same short record with the file's newline after it is a record, not a cut.
    books = PARSER.parse(text[:cut] + "\n", "export.csv")
    assert sum(len(b.highlights) for b in books) > 0
