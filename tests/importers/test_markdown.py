"""`--format markdown`: Readwise's Markdown/Obsidian export and plain Markdown notes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importers.markdown import PARSER
from bot.importers.model import Book, Highlight, ImportError_, SkipReason
from bot.importers.readwise_csv import PARSER as CSV_PARSER

FIXTURES = Path(__file__).parents[1] / "fixtures"
READWISE = FIXTURES / "readwise-book.md"
NOTES = FIXTURES / "notes.md"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def book() -> Book:
    (parsed,) = PARSER.parse(read(READWISE), READWISE.name)
    return parsed


@pytest.fixture(scope="module")
def notes() -> Book:
    (parsed,) = PARSER.parse(read(NOTES), NOTES.name)
    return parsed


def by_text(book: Book, start: str) -> Highlight:
    return next(h for h in book.highlights if h.text.startswith(start))


def one(text: str, filename: str = "book.md") -> Book:
    (parsed,) = PARSER.parse(text, filename)
    return parsed


READWISE_HEAD = "# T\n## Metadata\n- Author: [[A]]\n- Full Title: T\n## Highlights\n"


# Readwise's export


def test_full_title_is_the_title_and_wikilinked_authors_are_split(book: Book) -> None:
    """`Full Title:` names the book; `Author: [[A, B, and C]]` gives three authors."""
    assert book.title == "Running Clusters Calmly: Notes From the Pager Rotation"
    assert book.authors == ("Mira Okafor", "Lev Brandt", "Tess Quill")


def test_plain_author_line_and_hash_title_without_full_title() -> None:
    """Without `Full Title:` the `# ` heading is the title; `Author:` may lack a dash."""
    parsed = one(
        "# Short One\n## Metadata\nAuthor: Ann Example and Bo Sample\n## Highlights\n- x\n"
    )
    assert (parsed.title, parsed.authors) == ("Short One", ("Ann Example", "Bo Sample"))


def test_location_link_is_cut_from_the_text_and_kept_as_location(book: Book) -> None:
    """`([Location 120](https://readwise.io/to_kindle?…))` leaves the text and becomes the
    location, with the number as loc_start."""
    h = by_text(book, "A pod that")
    assert h.text == (
        "A pod that cannot be replaced without a meeting is a pet, and pets do not scale."
    )
    assert (h.location, h.loc_start, h.loc_end) == ("Location 120", 120, None)


def test_a_location_range_and_a_page_link(book: Book) -> None:
    """`Location 312-315` gives a range; `Page 41` reads 'page 41'."""
    h = by_text(book, "Base64")
    assert (h.location, h.loc_start, h.loc_end) == ("Location 312-315", 312, 315)
    assert by_text(book, "Write the rollback").location == "page 41"


def test_a_web_link_is_cut_but_is_no_location() -> None:
    """`([View Highlight](url))` (an article) is not part of the text and has no location."""
    h = one(READWISE_HEAD + "- Web words. ([View Highlight](https://read.readwise.io/x))\n")
    assert (h.highlights[0].text, h.highlights[0].location) == ("Web words.", "")


def test_the_asin_comes_from_the_kindle_link(book: Book) -> None:
    """The `asin=` of Readwise's to_kindle link is the book's ASIN."""
    assert book.asin == "B0CALM0001"


def test_nested_note_and_tags_attach_to_their_highlight(book: Book) -> None:
    """`- Note:` (over several lines) and `- Tags: [[a]] [[b]]` / `#a #b` belong to the bullet
    above them."""
    first = by_text(book, "A pod that")
    assert (first.note, first.tags) == ("Say this at the next design review.", ("pods", "scaling"))
    assert by_text(book, "Readiness").tags == ("probes", "health-checks")
    assert by_text(book, "Base64").note == (
        "Check who can get secrets in the staging namespace.\nThen check production."
    )


def test_a_highlight_over_several_lines_is_one_highlight(book: Book) -> None:
    """Lines after a bullet, up to its location link, are the rest of its text."""
    assert by_text(book, "Readiness").text == (
        'Readiness answers "may I get traffic?"\nLiveness answers "should I be restarted?"'
    )


def test_headings_inside_highlights_are_chapters(book: Book) -> None:
    """A `### Heading` in the Highlights section is the chapter of the bullets under it."""
    assert by_text(book, "A pod that").chapter == ""
    assert by_text(book, "Base64").chapter == "Chapter 2: Secrets Stay Secret"


def test_new_highlights_added_continues_the_list(book: Book) -> None:
    """Readwise's later `## New highlights added …` section is read too, outside any chapter."""
    h = by_text(book, "Write the rollback")
    assert h.chapter == ""


def test_another_section_ends_the_highlights(book: Book) -> None:
    """Bullets under an unrelated `## ` heading after the highlights are not tips."""
    assert not any("not part of the highlights" in h.text for h in book.highlights)
    assert len(book.highlights) == 4


def test_empty_and_duplicate_bullets_are_skipped(book: Book) -> None:
    """A bullet that is only a location link is empty; the same passage twice is a duplicate."""
    assert [(s.reason, s.where) for s in book.skipped] == [
        (SkipReason.EMPTY, "readwise-book.md: line 23 (Location 330)"),
        (SkipReason.DUPLICATE, "readwise-book.md: line 24 (Location 120)"),
    ]


def test_blockquote_highlights_in_a_readwise_file() -> None:
    """A template that writes highlights as `> ` blockquotes is read the same way."""
    parsed = one(
        READWISE_HEAD + "> Quoted one\n> goes on. ([Location 5](https://x))\n"
        "    - Note: mine\n\n> Quoted two. ([Location 9](https://x))\n"
    )
    assert [(h.text, h.location, h.note) for h in parsed.highlights] == [
        ("Quoted one\ngoes on.", "Location 5", "mine"),
        ("Quoted two.", "Location 9", ""),
    ]


def test_crlf_readwise_export() -> None:
    """A file with CRLF line ends reads like one with LF."""
    text = read(READWISE)
    crlf = PARSER.parse(text.replace("\n", "\r\n"), READWISE.name)
    assert crlf == PARSER.parse(text, READWISE.name)


# Plain notes


def test_notes_are_titled_by_the_first_hash_heading(notes: Book) -> None:
    """A plain note's book is titled by its first `# ` heading, before front matter's title."""
    assert notes.title == "Cluster Reading Notes"


def test_notes_without_a_heading_are_titled_by_the_file_name() -> None:
    """No `# ` heading and no front matter title: the file name (without .md) is the title."""
    assert one("> A quote.\n", "dir/Reading log.md").title == "Reading log"


def test_blockquotes_become_highlights_with_paragraphs_kept(notes: Book) -> None:
    """Consecutive `> ` lines are one highlight; a bare `>` line is a paragraph break."""
    assert by_text(notes, "Limits").text == (
        "Limits protect the neighbours; requests protect you.\n"
        "Set both, and set them from measurements.\n\n"
        "A guess written down is still better than a default nobody chose."
    )


def test_marked_passages_become_highlights(notes: Book) -> None:
    """Each `==marked==` passage is a highlight, even over a line break; an unclosed `==` is
    not."""
    assert by_text(notes, "a marked").text == (
        "a marked passage about resource requests being promises"
    )
    assert by_text(notes, "a second").text == "a second mark that runs\nonto the next line"
    assert not any("unclosed" in h.text for h in notes.highlights)


def test_headings_are_chapters_and_callout_markers_are_dropped(notes: Book) -> None:
    """`## Heading` is the chapter of the passages under it; `> [!quote]` is not text."""
    h = by_text(notes, "Taints")
    assert (h.text, h.chapter) == (
        "Taints repel, tolerations permit, affinity attracts.",
        "Scheduling",
    )


def test_code_blocks_are_not_highlights(notes: Book) -> None:
    """A `>` line or `==mark==` inside a fenced code block is code, not a highlight."""
    assert not any("not a quote" in h.text or "not a mark" in h.text for h in notes.highlights)
    assert len(notes.highlights) == 4


def test_empty_mark_and_repeated_quote_are_skipped(notes: Book) -> None:
    """`==   ==` is empty; the same blockquote twice is a duplicate."""
    assert [(s.reason, s.where) for s in notes.skipped] == [
        (SkipReason.EMPTY, "notes.md: line 18"),
        (SkipReason.DUPLICATE, "notes.md: line 28"),
    ]


def test_a_file_with_nothing_to_import_has_no_books() -> None:
    """Markdown without blockquotes, marks or Readwise highlights gives no books."""
    assert PARSER.parse("# Just a heading\n\nSome prose.\n", "prose.md") == []
    assert PARSER.parse("", "empty.md") == []


# Recognising the format


@pytest.mark.parametrize(
    ("path", "filename", "recognised"),
    [
        (READWISE, "readwise-book.md", True),
        (READWISE, "export.txt", True),  # Readwise's structure is enough, whatever the name
        (NOTES, "notes.md", True),
        (NOTES, "notes.txt", False),  # blockquotes alone are too common outside Markdown
        (FIXTURES / "readwise-export.csv", "readwise-export.csv", False),
        (FIXTURES / "highlights-seed.txt", "highlights-seed.md", False),
    ],
)
def test_sniff_reads_the_content(path: Path, filename: str, recognised: bool) -> None:
    """Readwise's Metadata/Highlights structure is recognised by content; plain notes need a
    Markdown file name and a blockquote or mark."""
    assert PARSER.sniff(read(path), filename) is recognised


def test_the_csv_parser_does_not_claim_markdown() -> None:
    """The two Readwise formats don't recognise each other's files."""
    assert not CSV_PARSER.sniff(read(READWISE), READWISE.name)


# Never an exception


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    """Any text, alone or inside Readwise's structure, parses without an exception."""
    for candidate in (text, READWISE_HEAD + text):
        try:
            books = PARSER.parse(candidate, "x.md")
        except ImportError_ as e:  # allowed by the Parser contract, one line
            assert "\n" not in str(e)
        else:
            assert all(h.text.strip() for b in books for h in b.highlights)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parse_never_raises_on_mutated_fixtures(data: st.DataObject) -> None:
    """Either fixture with a slice cut out, Markdown syntax inserted or its tail cut off still
    parses without an exception."""
    text = read(data.draw(st.sampled_from([READWISE, NOTES])))
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 200)))
    insert = data.draw(st.text(alphabet=st.sampled_from("#>-=[]()` \n\r\ufeff:"), max_size=8))
    for candidate in (text[:start] + insert + text[end:], text[:start]):
        try:
            PARSER.parse(candidate, "x.md")
        except ImportError_ as e:
            assert "\n" not in str(e)


@pytest.mark.parametrize(
    "text",
    [
        "# " + " #" * 100_000,  # closing hashes
        "## Metadata\n- Author: "
        + "[[" * 100_000
        + "\n## Highlights\n- x\n    - Tags: "
        + "[[" * 100_000,
        "## Highlights\n- " + "([" * 100_000 + "))",
        "\n".join([" "] * 100_000) + "Full Title: x",
        "> " * 100_000,
    ],
    ids=["hashes", "unclosed-wikilinks", "link-openers", "blank-lines", "quote-markers"],
)
def test_adversarial_lines_parse_in_linear_time(text: str) -> None:
    """200 KB built to make a backtracking regex take minutes parses in well under seconds."""
    started = time.perf_counter()
    PARSER.parse(text, "x.md")
    PARSER.sniff(text, "x.md")
    # A hang guard, not a benchmark: a backtracking regex takes minutes here.
    assert time.perf_counter() - started < 30


def test_level_three_metadata_and_highlights_headings() -> None:
    """Exports with `### Metadata` / `### Highlights` are recognised; `####` is a chapter."""
    text = (
        "# Book\n\n### Metadata\n- Author: Ann Example\n- Full Title: Book\n\n### Highlights\n"
        "- One. ([Location 7](https://readwise.io/to_kindle?asin=B0ABCDEFGH&location=7))\n"
        "#### Part Two\n- Two.\n"
    )
    assert PARSER.sniff(text, "book.txt")
    assert [(h.text, h.chapter) for h in one(text).highlights] == [
        ("One.", ""),
        ("Two.", "Part Two"),
    ]
