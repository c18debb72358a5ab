"""The Kindle app's notebook export (HTML): fields by class, notes, Amazon's broken tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importers.kindle_html import PARSER
from bot.importers.model import Book, ImportError_, SkipReason

FIXTURE = Path(__file__).parent.parent / "fixtures" / "kindle-notebook.html"


def page(body: str, title: str = "The Pod Whisperer", authors: str = "Doe, Jane") -> str:
    return (
        '<html><body><div class="bodyContainer">'
        f'<div class="bookTitle">{title}</div><div class="authors">{authors}</div><hr/>'
        f"{body}</div></body></html>"
    )


def pair(heading: str, text: str, close: str = "</h3>") -> str:
    return f'<h3 class="noteHeading">{heading}</h3><div class="noteText">{text}{close}'


def only(html: str) -> Book:
    (book,) = PARSER.parse(html, "notebook.html")
    return book


HL = 'Highlight (<span class="highlight_yellow">yellow</span>) - Page 12 · Location 170'


def test_fixture_reads_title_authors_chapters_highlights_notes_and_skips() -> None:
    """The fixture (broken closing tags, entities, <br/>, a German heading, a section path)
    reads as one book with five highlights, two notes and four reported skips."""
    book = only(FIXTURE.read_text(encoding="utf-8"))
    assert (book.title, book.authors) == (
        "The Pod Whisperer (Second Edition)",
        ("Jane Doe", "Rick Roe"),
    )
    assert [(h.chapter, h.location) for h in book.highlights] == [
        ("Chapter 1: Probes", "page 12 · Location 170"),
        ("Chapter 1: Probes", "page 14 · Location 201"),
        ("Chapter 2: Resources", "page 20 · Location 301"),
        ("Chapter 2: Resources", "page 25 · Location 410"),
        ("Chapter 3", "page 40 · Location 610"),
    ]
    assert book.highlights[0].text.endswith("give up & restart.")
    assert book.highlights[0].note.startswith("Check our probes")
    assert book.highlights[3].note == "Gilt auch für unsere Helm-Charts."
    assert [s.reason for s in book.skipped] == [
        SkipReason.ORPHAN_NOTE,
        SkipReason.DUPLICATE,
        SkipReason.EMPTY,
        SkipReason.BOOKMARK,
    ]


def test_fixture_is_sniffed_by_its_class_names() -> None:
    """The notebook's class names identify it, whatever the file is called; the clippings
    fixture and the blog highlights seed are not notebooks."""
    assert PARSER.sniff(FIXTURE.read_text(encoding="utf-8"), "export.txt")
    for other in ("highlights-seed.txt", "kindle-my-clippings.txt"):
        assert not PARSER.sniff((FIXTURE.parent / other).read_text(encoding="utf-8-sig"), other)


def test_a_note_closed_by_h3_does_not_swallow_the_next_heading() -> None:
    """Amazon closes `noteText` divs with `</h3>`: each field still ends where it should."""
    book = only(page(pair(HL, "First.") + pair(HL.replace("170", "180"), "Second.")))
    assert [(h.text, h.loc_start) for h in book.highlights] == [("First.", 170), ("Second.", 180)]


def test_an_unclosed_note_text_ends_at_the_next_field() -> None:
    """A `noteText` never closed still ends where the next heading starts."""
    book = only(page(pair(HL, "First.", close="") + pair(HL.replace("170", "180"), "Second.")))
    assert [h.text for h in book.highlights] == ["First.", "Second."]


def test_section_heading_is_the_chapter() -> None:
    """`sectionHeading` names the chapter of the highlights after it."""
    body = '<div class="sectionHeading">Chapter 4: Storage</div>' + pair(
        HL, "Volumes outlive Pods."
    )
    assert only(page(body)).highlights[0].chapter == "Chapter 4: Storage"


def test_page_and_location_come_from_the_heading() -> None:
    """'Highlight (yellow) - Page 12 · Location 170' is page 12, location 170."""
    (h,) = only(page(pair(HL, "Text."))).highlights
    assert (h.location, h.loc_start, h.loc_end) == ("page 12 · Location 170", 170, 170)


def test_a_section_number_in_the_heading_is_not_a_location() -> None:
    """'Chapter 2 > Page 12' (a PDF): the chapter's number is not mistaken for a location."""
    (h,) = only(page(pair("Highlight (yellow) - Chapter 2 &gt; Page 12", "Text."))).highlights
    assert (h.chapter, h.location, h.loc_start) == ("Chapter 2", "page 12", None)


def test_a_note_becomes_the_note_of_the_preceding_highlight() -> None:
    """A 'Note' heading's text is the reader's note of the highlight just before it."""
    body = pair(HL, "Probe it.") + pair("Note - Page 12 · Location 170", "Ours too.")
    assert [(h.text, h.note) for h in only(page(body)).highlights] == [("Probe it.", "Ours too.")]


def test_a_note_before_any_highlight_is_an_orphan() -> None:
    """No highlight to hold it: reported, not a tip."""
    book = only(page(pair("Note - Location 12", "Alone.")))
    assert (book.highlights, [s.reason for s in book.skipped]) == ([], [SkipReason.ORPHAN_NOTE])


def test_duplicates_empties_and_bookmarks_are_skipped_with_the_reason() -> None:
    """Word-for-word repeats, empty texts and bookmarks are reported, not imported."""
    body = (
        pair(HL, "Once.") + pair(HL, "Once.") + pair(HL, "  ") + pair("Bookmark - Location 300", "")
    )
    book = only(page(body))
    assert [h.text for h in book.highlights] == ["Once."]
    assert [s.reason for s in book.skipped] == [
        SkipReason.DUPLICATE,
        SkipReason.EMPTY,
        SkipReason.BOOKMARK,
    ]


def test_line_breaks_are_kept_and_html_whitespace_is_folded() -> None:
    """`<br/>` is a line break; the export's own newlines and indentation are spaces."""
    (h,) = only(page(pair(HL, "\n  Run this:<br/>kubectl   get pods\n"))).highlights
    assert h.text == "Run this:\nkubectl get pods"


def test_headings_in_another_ui_language() -> None:
    """German app: 'Markierung … Seite … Position', 'Notiz …'."""
    body = pair("Markierung (gelb) - Seite 3 · Position 40", "Satz.") + pair(
        "Notiz - Seite 3 · Position 40", "Meins."
    )
    (h,) = only(page(body)).highlights
    assert (h.location, h.note) == ("page 3 · Location 40", "Meins.")


def test_a_page_without_notebook_fields_is_one_clear_error() -> None:
    """An HTML page that is not a notebook, forced as kindle-html: one line, what to do."""
    with pytest.raises(ImportError_) as err:
        PARSER.parse("<html><body><p>Hello</p></body></html>", "notebook.html")
    assert str(err.value).startswith("notebook.html: no Kindle notebook")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "<html><body><p>Hello</p></body></html>",
        "Title (Author)\n- Your Highlight on Location 1-2 | Added on Monday\n\nx\n==========\n",
        ".bookTitle { font-size: 32px; }",
        "",
    ],
)
def test_other_content_is_not_sniffed_as_a_notebook(text: str) -> None:
    """An ordinary page, clippings, a stylesheet, nothing: not a notebook."""
    assert not PARSER.sniff(text, "notebook.html")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text())
def test_parse_raises_nothing_but_import_error_on_arbitrary_text(text: str) -> None:
    """Any text: books or ImportError_, never a traceback."""
    try:
        books = PARSER.parse(text, "notebook.html")
    except ImportError_:
        return
    assert all(isinstance(b, Book) for b in books)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_parse_survives_arbitrary_mutations_of_the_fixture(data: st.DataObject) -> None:
    """A cut or corrupted export: books or ImportError_, never a traceback."""
    text = FIXTURE.read_text(encoding="utf-8")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 300)))
    junk = data.draw(st.text(st.sampled_from(list("<>/=\"' &;#!-[]divh3")) | st.characters()))
    mutated = text[:start] + junk + text[end:]
    try:
        books = PARSER.parse(mutated, "notebook.html")
    except ImportError_:
        return
    assert all(isinstance(b, Book) for b in books)
    PARSER.sniff(mutated, "x")
