"""Kindle `My Clippings.txt`: every firmware generation, UI language and trap of issue 10."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importers.kindle import PARSER
from bot.importers.kindle_words import parse_added, split_authors, split_title
from bot.importers.model import Book, ImportError_, SkipReason

FIXTURE = Path(__file__).parent.parent / "fixtures" / "kindle-my-clippings.txt"
SEP = "=========="


def clip(title: str, meta: str, text: str = "") -> str:
    return f"{title}\n{meta}\n\n{text}\n{SEP}\n"


def parse(text: str) -> list[Book]:
    return PARSER.parse(text, "My Clippings.txt")


def only(text: str) -> Book:
    (book,) = parse(text)
    return book


def reasons(book: Book) -> list[SkipReason]:
    return sorted(s.reason for s in book.skipped)


def fixture_text() -> str:
    return FIXTURE.read_bytes().decode("utf-8")


EN = "The Pod Whisperer (Doe, Jane)"


# --- the realistic file -------------------------------------------------------------------


def test_fixture_reads_every_book_highlight_note_and_skip() -> None:
    """The fixture (BOM, CRLF, eight UI languages, three firmware generations) reads as 11
    books with every highlight, its note and each skipped entry with its reason."""
    books = {b.title: b for b in parse(fixture_text())}
    assert list(books) == [
        "The Pod Whisperer (Second Edition)",
        "Small Boats and Big Weather",
        "Runbooks That Work",
        "Das Cluster im Keller",
        "Le Nuage Patient",
        "El Orquestador Tranquilo",
        "Il Nodo Sereno",
        "O Contêiner Curioso",
        "De Rustige Controller",
        "静かなクラスタ",
        "Field Notes on Helm (PDF)",
    ]
    pod = books["The Pod Whisperer (Second Edition)"]
    assert pod.authors == ("Jane Doe", "Rick Roe")
    assert [h.location for h in pod.highlights] == [
        "page 12 · Location 170-172",
        "page 20 · Location 301-305",
        "page 20 · Location 305-307",
        "page 25 · Location 410-414",
        "page 31 · Location 502-504",
    ]
    assert pod.highlights[0].note.startswith("Check our probes")
    assert pod.highlights[0].highlighted_at == "2024-03-03T09:12:45"
    assert reasons(pod) == sorted(
        [
            SkipReason.BOOKMARK,
            SkipReason.DUPLICATE,
            SkipReason.EMPTY,
            SkipReason.EMPTY,
            SkipReason.SUPERSEDED,
            SkipReason.SUPERSEDED,
            SkipReason.ORPHAN_NOTE,
        ]
    )
    assert sum(len(b.highlights) for b in books.values()) == 17
    for title in ("Das Cluster im Keller", "Le Nuage Patient", "静かなクラスタ"):
        assert books[title].highlights[0].note, title
    assert books["Field Notes on Helm (PDF)"].highlights[0].note.startswith("helm template")
    assert all(h.highlighted_at for b in books.values() for h in b.highlights)


def test_fixture_is_sniffed_as_kindle() -> None:
    """The content, not the name, says it is a clippings file; the blog highlights seed and
    the notebook HTML are not."""
    assert PARSER.sniff(fixture_text(), "export.txt")
    for other in ("highlights-seed.txt", "kindle-notebook.html"):
        assert not PARSER.sniff((FIXTURE.parent / other).read_text(encoding="utf-8"), other)


# --- entries, titles and authors ----------------------------------------------------------


def test_several_books_in_one_file_keep_the_order_they_first_appear() -> None:
    """Entries of different books interleave in the file; each book gets its own."""
    text = (
        clip("A (X)", "- Your Highlight on Location 1-2 | Added on Monday, March 4, 2024", "a1")
        + clip("B (Y)", "- Your Highlight on Location 5-6 | Added on Monday, March 4, 2024", "b1")
        + clip("A (X)", "- Your Highlight on Location 9-9 | Added on Monday, March 4, 2024", "a2")
    )
    books = parse(text)
    assert [(b.title, [h.text for h in b.highlights]) for b in books] == [
        ("A", ["a1", "a2"]),
        ("B", ["b1"]),
    ]


def test_the_last_parenthesised_group_is_the_authors_split_on_semicolons() -> None:
    """'The Workbook (Second Edition) (A. Author; B. Author)': earlier groups stay in the title."""
    assert split_title("The Workbook (Second Edition) (A. Author; B. Author)") == (
        "The Workbook (Second Edition)",
        ("A. Author", "B. Author"),
    )


def test_a_title_without_a_group_has_no_authors() -> None:
    """A sideloaded document's title line is the file name alone."""
    assert split_title("cluster-notes.pdf") == ("cluster-notes.pdf", ())
    assert split_title("(Only A Group)") == ("(Only A Group)", ())


def test_nested_parentheses_in_the_author_group_are_balanced() -> None:
    """'Notes (Inconnu(e))' has the author 'Inconnu(e)'."""
    assert split_title("Notes (Inconnu(e))") == ("Notes", ("Inconnu(e)",))


def test_last_first_authors_are_turned_into_first_last() -> None:
    """'Burns, Brendan' is Brendan Burns; 'van Dijk, Jan' is Jan van Dijk; a list of full
    names separated by commas is several authors."""
    assert split_authors("Burns, Brendan; Beda, Joe") == ("Brendan Burns", "Joe Beda")
    assert split_authors("van Dijk, Jan") == ("Jan van Dijk",)
    assert split_authors("Ann Lee, Bo Chen") == ("Ann Lee", "Bo Chen")
    assert split_authors("Plato") == ("Plato",)


def test_a_utf8_bom_and_crlf_line_ends_change_nothing() -> None:
    """A BOM before the file (and before a title, as some firmware writes) and CRLF are read
    like plain LF text."""
    plain = clip(EN, "- Your Highlight on Location 10-12 | Added on Monday, March 4, 2024", "Hi.")
    crlf = "\ufeff" + plain.replace("\n", "\r\n").replace(EN, "\ufeff" + EN)
    assert parse(crlf) == parse(plain)
    assert only(crlf).title == "The Pod Whisperer"


# --- the metadata line in every generation and language -----------------------------------


def test_modern_firmware_gives_page_and_location() -> None:
    """'- Your Highlight on page 12 | Location 170-172 | Added on …'."""
    meta = "- Your Highlight on page 12 | Location 170-172 | Added on Sunday, March 3, 2024"
    (h,) = only(clip(EN, meta, "Text.")).highlights
    assert (h.location, h.loc_start, h.loc_end) == ("page 12 · Location 170-172", 170, 172)


def test_location_only_firmware() -> None:
    """'- Your Highlight on Location 1201-1203 | …' has no page."""
    (h,) = only(
        clip(EN, "- Your Highlight on Location 1201-1203 | Added on Monday, 4 March 2024", "T.")
    ).highlights
    assert (h.location, h.loc_start, h.loc_end) == ("Location 1201-1203", 1201, 1203)


def test_old_firmware_writes_only_the_changed_digits_of_the_range_end() -> None:
    """'- Highlight Loc. 145-46' is locations 145 to 146; '998-03' is 998 to 1003."""
    book = only(
        clip(EN, "- Highlight Loc. 145-46  | Added on Thursday, March 31, 2011, 09:45 PM", "One.")
        + clip(EN, "- Highlight on Page 9 | Loc. 998-03  | Added on Friday, April 1, 2011", "Two.")
    )
    assert [(h.loc_start, h.loc_end) for h in book.highlights] == [(145, 146), (998, 1003)]
    assert book.highlights[0].highlighted_at == "2011-03-31T21:45:00"


LANGUAGES = [
    (
        "de",
        "- Ihre Markierung auf Seite 12 | Position 170-172 | "
        "Hinzugefügt am Montag, 4. März 2024 21:14:05",
        "- Ihre Notiz auf Seite 12 | Position 171 | Hinzugefügt am Montag, 4. März 2024 21:15:00",
        "- Ihr Lesezeichen auf Seite 30 | Position 400 | Hinzugefügt am Montag, 4. März 2024",
    ),
    (
        "fr",
        "- Votre surlignement sur la page 12 | emplacement 170-172 | "
        "Ajouté le lundi 4 mars 2024 à 21:14:05",
        "- Votre note sur la page 12 | emplacement 171 | Ajouté le lundi 4 mars 2024 à 21:15:00",
        "- Votre signet sur la page 30 | emplacement 400 | Ajouté le lundi 4 mars 2024",
    ),
    (
        "es",
        "- Tu subrayado en la página 12 | posición 170-172 | "
        "Añadido el lunes, 4 de marzo de 2024 21:14:05",
        "- Tu nota en la página 12 | posición 171 | Añadido el lunes, 4 de marzo de 2024 21:15:00",
        "- Tu marcador en la página 30 | posición 400 | Añadido el lunes, 4 de marzo de 2024",
    ),
    (
        "it",
        "- La tua evidenziazione a pagina 12 | posizione 170-172 | "
        "Aggiunto in data lunedì 4 marzo 2024 21:14:05",
        "- La tua nota a pagina 12 | posizione 171 | Aggiunto in data lunedì 4 marzo 2024 21:15:00",
        "- Il tuo segnalibro a pagina 30 | posizione 400 | Aggiunto in data lunedì 4 marzo 2024",
    ),
    (
        "pt",
        "- Seu destaque na página 12 | posição 170-172 | "
        "Adicionado: segunda-feira, 4 de março de 2024 21:14:05",
        "- Sua nota na página 12 | posição 171 | "
        "Adicionado: segunda-feira, 4 de março de 2024 21:15:00",
        "- Seu marcador na página 30 | posição 400 | Adicionado: segunda-feira, 4 de março de 2024",
    ),
    (
        "nl",
        "- Je markering op pagina 12 | locatie 170-172 | "
        "Toegevoegd op maandag 4 maart 2024 21:14:05",
        "- Je notitie op pagina 12 | locatie 171 | Toegevoegd op maandag 4 maart 2024 21:15:00",
        "- Je bladwijzer op pagina 30 | locatie 400 | Toegevoegd op maandag 4 maart 2024",
    ),
    (
        "ja",
        "- 12ページ|位置No. 170-172のハイライト |作成日: 2024年3月4日月曜日 21:14:05",
        "- 12ページ|位置No. 171のメモ |作成日: 2024年3月4日月曜日 21:15:00",
        "- 30ページ|位置No. 400のブックマーク |作成日: 2024年3月4日月曜日",
    ),
]


@pytest.mark.parametrize(("language", "highlight", "note", "bookmark"), LANGUAGES)
def test_every_ui_language_reads_highlight_note_bookmark_and_date(
    language: str, highlight: str, note: str, bookmark: str
) -> None:
    """German, French, Spanish, Italian, Portuguese, Dutch and Japanese devices: the keyword
    gives the kind, page and location are found, the date becomes ISO 8601."""
    book = only(
        clip("Buch (Autor, Ein)", highlight, "Ein Satz.")
        + clip("Buch (Autor, Ein)", note, "Meine Notiz.")
        + clip("Buch (Autor, Ein)", bookmark)
    )
    (h,) = book.highlights
    assert (h.location, h.loc_start, h.loc_end) == ("page 12 · Location 170-172", 170, 172)
    assert h.highlighted_at == "2024-03-04T21:14:05"
    assert h.note == "Meine Notiz."
    assert reasons(book) == [SkipReason.BOOKMARK]
    assert PARSER.sniff(clip("Buch (Autor, Ein)", highlight, "Ein Satz."), "x.txt"), language


def test_a_language_we_do_not_know_is_read_by_shape() -> None:
    """No keyword known: a range with text is a highlight, a single location with text is a
    note, an entry without text is a bookmark (the line here is an invented language)."""
    book = only(
        clip(EN, "- Zzyx markor 3 | lokalo 40-42 | Zzyx 4 zzmar 2024", "A passage.")
        + clip(EN, "- Zzyx notor 3 | lokalo 41 | Zzyx 4 zzmar 2024", "My thought.")
        + clip(EN, "- Zzyx bukmo 3 | lokalo 50 | Zzyx 4 zzmar 2024")
    )
    (h,) = book.highlights
    assert (h.text, h.note, h.loc_start, h.loc_end) == ("A passage.", "My thought.", 40, 42)
    assert reasons(book) == [SkipReason.BOOKMARK]


@pytest.mark.parametrize(
    ("added", "iso"),
    [
        ("Added on Monday, January 1, 2024 12:30:45 AM", "2024-01-01T00:30:45"),
        ("Added on Monday, 30 December 2024 14:46:33", "2024-12-30T14:46:33"),
        ("Ajouté le samedi 20 octobre 2018 à 12:55:45", "2018-10-20T12:55:45"),
        ("Añadido el martes, 2 de enero de 2026", "2026-01-02"),
        ("Добавлено: понедельник, 30 декабря 2024 г. в 14:46:33", "2024-12-30T14:46:33"),
        ("Added on someday", ""),
        ("Added on Monday, February 30, 2024", ""),
        ("Added on 99:99 Monday, March 4, 2024", ""),
        ("Added on Sunday, March ²3, 2024", ""),  # found by hypothesis: not a decimal day
    ],
)
def test_added_on_dates_become_iso_8601_or_stay_empty(added: str, iso: str) -> None:
    """Month names in every supported language; a date that can't be read is left empty."""
    assert parse_added(added) == iso


# --- notes, bookmarks, versions, duplicates, empties ----------------------------------------


def test_a_note_becomes_the_note_of_the_highlight_whose_range_holds_it() -> None:
    """A note at Location 172 belongs to the highlight at 170-172, not to its neighbour."""
    book = only(
        clip(EN, "- Your Highlight on Location 150-160 | Added on Monday, March 4, 2024", "Before.")
        + clip(EN, "- Your Highlight on Location 170-172 | Added on Monday, March 4, 2024", "This.")
        + clip(EN, "- Your Note on Location 172 | Added on Monday, March 4, 2024", "Mine.")
    )
    assert [(h.text, h.note) for h in book.highlights] == [("Before.", ""), ("This.", "Mine.")]
    assert book.skipped == []


def test_a_note_no_highlight_holds_is_reported_as_an_orphan() -> None:
    """A note away from every highlight is not a tip and is not pinned to a neighbour."""
    book = only(
        clip(EN, "- Your Highlight on Location 170-172 | Added on Monday, March 4, 2024", "This.")
        + clip(EN, "- Your Note on Location 900 | Added on Monday, March 4, 2024", "Elsewhere.")
    )
    assert [h.note for h in book.highlights] == [""]
    assert [(s.reason, s.where) for s in book.skipped] == [
        (SkipReason.ORPHAN_NOTE, "My Clippings.txt: entry 2 (Location 900)")
    ]


def test_an_edited_note_at_the_same_location_replaces_the_earlier_one() -> None:
    """The device logs an edited note again at the same location: the later text wins."""
    book = only(
        clip(EN, "- Your Highlight on Location 170-172 | Added on Monday, March 4, 2024", "This.")
        + clip(EN, "- Your Note on Location 172 | Added on Monday, March 4, 2024 9:00 AM", "Frst.")
        + clip(EN, "- Your Note on Location 172 | Added on Monday, March 4, 2024 9:01 AM", "First.")
    )
    assert book.highlights[0].note == "First."
    assert reasons(book) == [SkipReason.SUPERSEDED]


def test_a_note_on_a_page_only_document_attaches_by_page() -> None:
    """PDFs have pages but no locations: the note goes to the highlight on its page."""
    book = only(
        clip(EN, "- Your Highlight on page 7 | Added on Monday, March 4, 2024", "On seven.")
        + clip(EN, "- Your Highlight on page 8 | Added on Monday, March 4, 2024", "On eight.")
        + clip(EN, "- Your Note on page 7 | Added on Monday, March 4, 2024", "Note.")
    )
    assert [(h.location, h.note) for h in book.highlights] == [("page 7", "Note."), ("page 8", "")]


def test_bookmarks_are_skipped() -> None:
    """A bookmark has no text and is no tip."""
    book = only(
        clip(EN, "- Your Bookmark on page 14 | Location 201 | Added on Monday, 4 March 2024")
    )
    assert (book.highlights, reasons(book)) == ([], [SkipReason.BOOKMARK])


def test_an_extended_highlight_keeps_only_the_latest_version() -> None:
    """Extended later, the passage is logged again over an overlapping range: one tip, the
    longer latest text; the earlier version is reported as superseded."""
    book = only(
        clip(EN, "- Your Highlight on Location 301-303 | Added on Sunday, March 3, 2024", "Req,")
        + clip(
            EN, "- Your Highlight on Location 301-305 | Added on Monday, March 4, 2024", "Req, lim."
        )
    )
    assert [h.text for h in book.highlights] == ["Req, lim."]
    assert [(s.reason, s.where) for s in book.skipped] == [
        (SkipReason.SUPERSEDED, "My Clippings.txt: entry 1 (Location 301-303)")
    ]


def test_a_shortened_highlight_keeps_the_latest_by_date_not_by_file_order() -> None:
    """When both versions carry a date, the later date wins even if it comes first in the file."""
    long_text = "A Deployment manages ReplicaSets, and they manage the Pods."
    book = only(
        clip(
            EN,
            "- Your Highlight on Location 502-504 | Added on Tuesday, March 5, 2024",
            "they manage the Pods",
        )
        + clip(
            EN, "- Your Highlight on Location 500-506 | Added on Monday, March 4, 2024", long_text
        )
    )
    assert [h.text for h in book.highlights] == ["they manage the Pods"]
    assert reasons(book) == [SkipReason.SUPERSEDED]


def test_two_different_passages_sharing_a_location_are_both_kept() -> None:
    """Locations are coarse: consecutive highlights often share one, and are not versions."""
    book = only(
        clip(
            EN,
            "- Your Highlight on Location 1201-1203 | Added on Monday, March 4, 2024",
            "Write it tired.",
        )
        + clip(
            EN,
            "- Your Highlight on Location 1203-1206 | Added on Monday, March 4, 2024",
            "Check each step.",
        )
    )
    assert [h.text for h in book.highlights] == ["Write it tired.", "Check each step."]
    assert book.skipped == []


def test_exact_duplicates_are_dropped() -> None:
    """The same highlight logged twice, word for word, is one tip."""
    entry = clip(
        EN, "- Your Highlight on Location 410-414 | Added on Monday, March 4, 2024", "Labels."
    )
    book = only(entry + entry)
    assert ([h.text for h in book.highlights], reasons(book)) == (
        ["Labels."],
        [SkipReason.DUPLICATE],
    )


def test_empty_highlights_and_the_clipping_limit_marker_are_skipped_as_empty() -> None:
    """No text, or only the DRM 'clipping limit' marker: nothing to post."""
    book = only(
        clip(EN, "- Your Highlight on Location 530-531 | Added on Monday, March 4, 2024")
        + clip(
            EN,
            "- Your Highlight on Location 700-701 | Added on Monday, March 4, 2024",
            "<You have reached the clipping limit for this item>",
        )
    )
    assert (book.highlights, reasons(book)) == ([], [SkipReason.EMPTY, SkipReason.EMPTY])


def test_a_truncated_last_entry_keeps_what_it_has() -> None:
    """A file cut mid-entry: the complete entries are read, a cut text is kept as it is."""
    text = clip(EN, "- Your Highlight on Location 1-2 | Added on Monday, March 4, 2024", "Whole.")
    text += f"{EN}\n- Your Highlight on Location 5-9 | Added on Monday, March 4, 2024\n\nCut sho"
    assert [h.text for h in only(text).highlights] == ["Whole.", "Cut sho"]


def test_multi_line_text_is_kept_verbatim() -> None:
    """A highlight over paragraphs keeps its line breaks and inner spacing."""
    text = "kubectl get pods\n  -o wide"
    (h,) = only(
        clip(EN, "- Your Highlight on Location 1-2 | Added on Monday, 4 March 2024", text)
    ).highlights
    assert h.text == text


def test_highlights_come_out_in_reading_order() -> None:
    """The log is in the order highlights were made; the book is read by location."""
    book = only(
        clip(EN, "- Your Highlight on Location 90-91 | Added on Monday, March 4, 2024", "Late.")
        + clip(EN, "- Your Highlight on Location 10-11 | Added on Monday, March 4, 2024", "Early.")
    )
    assert [h.text for h in book.highlights] == ["Early.", "Late."]


# --- bad input ----------------------------------------------------------------------------


def test_a_file_without_clippings_is_one_clear_error() -> None:
    """The wrong file forced as --format kindle: one line naming the file and what to do."""
    with pytest.raises(ImportError_) as err:
        parse("# Notes\n\nJust some markdown.\n")
    message = str(err.value)
    assert message.startswith("My Clippings.txt: no Kindle clippings")
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        "# Title\n\n==========\n\n- a bullet 12 | with a pipe",
        "Highlight,Book Title,Book Author\nSome text,A book,Someone\n",
        '<div class="bookTitle">A</div><div class="noteText">b</div>',
        "",
    ],
)
def test_other_formats_are_not_sniffed_as_kindle(text: str) -> None:
    """Markdown, Readwise CSV, a notebook page, nothing: not clippings."""
    assert not PARSER.sniff(text, "My Clippings.txt")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text())
def test_parse_raises_nothing_but_import_error_on_arbitrary_text(text: str) -> None:
    """Whatever the bytes decode to, the parser returns books or says why it can't."""
    try:
        books = parse(text)
    except ImportError_:
        return
    assert all(isinstance(b, Book) for b in books)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_parse_survives_arbitrary_mutations_of_the_fixture(data: st.DataObject) -> None:
    """Cut, spliced or corrupted clippings: books or ImportError_, never a traceback."""
    text = fixture_text()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 400)))
    junk = data.draw(st.text(max_size=60))
    mutated = text[:start] + junk + text[end:]
    try:
        books = parse(mutated)
    except ImportError_:
        return
    assert all(isinstance(b, Book) for b in books)
    PARSER.sniff(mutated, "x")


def test_twenty_thousand_versions_of_one_passage_stay_linear() -> None:
    """Overlap checks group by book and sort by location: 20,000 entries over one range (the
    worst case for a pairwise check) parse in seconds, not minutes."""
    text = "".join(
        clip(
            EN,
            f"- Your Highlight on Location 100-{200 + i % 50} | Added on Monday, 4 March 2024",
            f"Passage number {i} about pods and nodes.",
        )
        for i in range(20_000)
    )
    began = time.perf_counter()
    (book,) = parse(text)
    assert time.perf_counter() - began < 60  # a hang guard, not a benchmark
    assert len(book.highlights) + len(book.skipped) == 20_000
