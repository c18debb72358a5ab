"""`k8stip import`: the framework every highlight format goes through, tested with a small
real format (`quotes_format`) and the blog `highlights` format. Text in fixtures is invented."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import build_parser, main
from bot.importers import registry
from bot.importers.command import run_import
from bot.importers.model import Parser
from tests.core_support import ROOT, seed_path
from tests.importers.quotes_format import PARSER as QUOTES

PARSERS: tuple[Parser, ...] = (QUOTES, *registry.PARSERS)

DRAIN = "Drain one node at a time and watch the pods settle before the next."
ONE_BOOK = f"""#quotes
book: The Patient Operator, Second Edition | Ada Quill; Bo Marsh | en
- {DRAIN} || we learned this the hard way || Location 170-172 || 2026-03-14T09:12:00 || rbac
- A quiet cluster is one whose alerts each mean something. || || page 12 || 2026-03-15 ||
* bookmark
- Keep secrets out of images; mount them at run time. || || Location 300 || ||
-
- {DRAIN} || || || ||
"""
TWO_BOOKS = (
    ONE_BOOK
    + """book: Gardens of Config | Cy Fern
- Labels are cheap; selectors that match nothing are expensive. || check selectors || page 3 || ||
"""
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str, fmt: str = "auto") -> tuple[int, str, str]:
    args = build_parser().parse_args(["import", *argv])
    args.format = fmt
    code = run_import(args, PARSERS)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, str]:
    code = main(["validate", *map(str, paths)])
    out, _ = capsys.readouterr()
    return code, out


# -- recognising formats ----------------------------------------------------------------


def test_auto_recognises_the_format_from_content_not_the_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quotes export named .csv and blog highlights named .md are each read by their format."""
    quotes = _write(tmp_path / "export.csv", ONE_BOOK)
    blog = tmp_path / "notes.md"
    blog.write_bytes(seed_path().read_bytes())
    code, out, err = _run(capsys, str(quotes))
    assert code == 0 and "export.csv: quotes, 1 book(s)" in err
    assert yaml.safe_load(out)["source"]["title"] == "The Patient Operator, 2nd ed."
    code, out, err = _run(capsys, str(blog))
    assert code == 0 and "notes.md: highlights, 1 book(s)" in err
    assert len(yaml.safe_load(out)["tips"]) == 70


def test_unrecognised_file_is_one_line_naming_the_known_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A text file no format recognises: exit 1, one line that lists the formats."""
    path = _write(tmp_path / "shopping.txt", "milk\neggs\nbread\n")
    code, out, err = _run(capsys, str(path))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and str(path) in err
    listed = err.split("it reads ")[1].split(" (")[0].split(", ")
    assert listed == [p.name for p in PARSERS] and "--format" in err


def test_wrong_format_forced_says_what_the_file_looks_like(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format quotes on the blog highlights: one line naming the format it looks like."""
    code, out, err = _run(capsys, str(seed_path()), fmt="quotes")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "looks like a highlights export, not quotes" in err
    assert "--format highlights" in err


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"#quotes\x00\x01\x02" * 50, "binary"),
        (b"#quotes\nbook: Caf\xe9\n", "UTF-8"),
        (b"#quotes\n- a highlight before any book\n", "before any `book:`"),
        (b"#quotes\nnothing here\n", "no quotes highlights"),
    ],
)
def test_bad_input_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, fragment: str
) -> None:
    """Empty, binary, not UTF-8, malformed, or holding no highlights: exit 1, one line."""
    path = tmp_path / "export.txt"
    path.write_bytes(content)
    code, out, err = _run(capsys, str(path))
    assert (code, out) == (1, "")
    assert err.startswith("k8stip import: ") and err.count("\n") == 1
    assert fragment in err


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    """Whatever the file holds, the command exits 0, 1 or 2 and never raises."""
    path = tmp_path / "any.txt"
    path.write_bytes(b"#quotes\n" + data)
    code, _, _ = _run(capsys, str(path))
    assert code in (0, 1, 2)


# -- where tips go ----------------------------------------------------------------------


def test_a_folder_in_gives_one_tip_file_per_book_and_lists_what_it_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PATH a folder: every recognised file is read, others are listed one line each; OUT a
    folder: one tip file per book, named after the book's id."""
    src = tmp_path / "exports"
    _write(src / "a.txt", TWO_BOOKS)
    _write(src / "sub" / "junk.txt", "not highlights\n")
    (src / "sub" / "blob.bin").write_bytes(b"\x00\x01" * 10)
    out = tmp_path / "tips"
    code, stdout, err = _run(capsys, str(src), "-o", str(out))
    assert code == 0 and stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "gardens-of-config.yaml",
        "the-patient-operator.yaml",
    ]
    skipped = [line for line in err.splitlines() if "skipped" in line and "sub" in line]
    assert len(skipped) == 2
    assert any("junk.txt" in line and "recognises" in line for line in skipped)
    assert any("blob.bin" in line and "binary" in line for line in skipped)


def test_several_books_need_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two books to stdout or to one .yaml file: exit 2, one line saying to pass a folder;
    nothing written."""
    path = _write(tmp_path / "two.txt", TWO_BOOKS)
    code, out, err = _run(capsys, str(path))
    assert (code, out) == (2, "") and err.count("\n") == 1 and "-o DIR" in err
    target = tmp_path / "one.yaml"
    code, out, err = _run(capsys, str(path), "-o", str(target))
    assert code == 2 and "pass a directory" in err and not target.exists()


def test_imported_files_validate_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file the importer writes passes `k8stip validate` with no error."""
    out = tmp_path / "tips"
    assert _run(capsys, str(_write(tmp_path / "two.txt", TWO_BOOKS)), "-o", str(out))[0] == 0
    code, problems = _validate(capsys, out)
    assert code == 0, problems
    assert ": error:" not in problems


def test_tips_keep_note_location_time_and_the_source_names_the_book(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tip carries the verbatim text, the reader's note, location and highlight time; the
    source block the title, authors and language."""
    target = tmp_path / "book.yaml"
    assert _run(capsys, str(_write(tmp_path / "q.txt", ONE_BOOK)), "-o", str(target))[0] == 0
    doc = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert doc["source"] == {
        "id": "the-patient-operator",
        "title": "The Patient Operator, 2nd ed.",
        "authors": ["Ada Quill", "Bo Marsh"],
        "kind": "book",
        "language": "en",
    }
    first = doc["tips"][0]
    assert first["text"] == ("Drain one node at a time and watch the pods settle before the next.")
    assert first["note"] == "we learned this the hard way"
    assert first["location"] == "Location 170-172"
    assert first["highlighted_at"] == "2026-03-14T09:12:00"
    assert doc["tips"][1]["highlighted_at"] == "2026-03-15"
    assert "note" not in doc["tips"][1]
    assert first["id"].startswith("the-patient-operator-")


def test_report_counts_skips_per_reason_with_locations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bookmarks, duplicates, empty and too-long highlights are skipped, counted per reason,
    with where they were."""
    long_one = "- " + "A sentence that goes on. " * 130 + "|| || Location 900 || ||\n"
    path = _write(tmp_path / "q.txt", ONE_BOOK + long_one)
    code, out, err = _run(capsys, str(path))
    assert code == 0
    assert len(yaml.safe_load(out)["tips"]) == 3
    assert f"skipped 1 bookmark: {path}: line 5" in err
    assert f"skipped 1 duplicate (repeated word for word): {path}: highlight 5 of “" in err
    assert f"skipped 1 empty: {path}: highlight 4 of “" in err
    assert f"skipped 1 too long for a chat message: {path}: Location 900 (3249 chars)" in err
    assert "1 book(s): 3 tips added, 0 updated, 0 kept, 4 skipped" in err


# -- topics -----------------------------------------------------------------------------


def test_topics_from_tags_keywords_and_the_topics_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tag naming a topic comes first, then the topics the words mention, then --topics."""
    path = _write(tmp_path / "q.txt", ONE_BOOK)
    code, out, _ = _run(capsys, str(path), "--topics", "cm")  # an alias of configmaps
    assert code == 0
    tips = yaml.safe_load(out)["tips"]
    assert tips[0]["topics"][0] == "rbac"  # the tag
    assert "pods" in tips[0]["topics"]  # a keyword in the text
    assert all(t["topics"][-1] == "configmaps" for t in tips)


def test_unknown_topic_option_suggests_the_nearest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--topics netwroking: exit 2, one line suggesting `networking`; nothing printed."""
    path = _write(tmp_path / "q.txt", ONE_BOOK)
    code, out, err = _run(capsys, str(path), "--topics", "pods,netwroking")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "did you mean `networking`?" in err


def test_topics_option_with_a_yaml_file_is_the_old_taxonomy_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--topics FILE.yaml still means the taxonomy, with a one-line deprecation note."""
    taxonomy = _write(
        tmp_path / "mine.yaml",
        "topics:\n  gardening:\n    title: Gardening\n    description: Things that grow.\n"
        "    aliases: [garden]\n    keywords: [node, nodes]\n",
    )
    path = _write(tmp_path / "q.txt", ONE_BOOK)
    code, out, err = _run(capsys, str(path), "--topics", str(taxonomy))
    assert code == 0
    assert f"--topics {taxonomy} is deprecated: use --taxonomy {taxonomy}" in err
    assert yaml.safe_load(out)["tips"][0]["topics"] == ["gardening"]


def test_a_highlight_no_topic_fits_is_a_tip_with_no_topic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No `uncategorized` placeholder: `topics: []`, and validate warns but passes."""
    path = _write(tmp_path / "q.txt", "#quotes\nbook: Odd Book | Di Vine\n- Tea tastes of rain.\n")
    target = tmp_path / "odd.yaml"
    code, _, err = _run(capsys, str(path), "-o", str(target))
    assert code == 0 and "1 tip(s) matched no topic" in err
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["tips"][0]["topics"] == []
    code, problems = _validate(capsys, target)
    assert code == 0 and ": warning: no topic" in problems


# -- idempotency and curation -----------------------------------------------------------


def test_importing_the_same_export_again_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same ids, same bytes, the file not even rewritten; the report says it is unchanged."""
    path = _write(tmp_path / "two.txt", TWO_BOOKS)
    out = tmp_path / "tips"
    assert _run(capsys, str(path), "-o", str(out))[0] == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    code, _, err = _run(capsys, str(path), "-o", str(out))
    assert code == 0
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before
    assert err.count("unchanged") == 2
    assert "0 tips added, 0 updated, 4 kept" in err


def test_a_newer_export_adds_highlights_and_keeps_curated_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """New highlights are added; edited topics, extra keys, `curated: true` tips and tips the
    export no longer has are kept; a changed note is updated."""
    target = tmp_path / "book.yaml"
    assert _run(capsys, str(_write(tmp_path / "v1.txt", ONE_BOOK)), "-o", str(target))[0] == 0
    doc = yaml.safe_load(target.read_text(encoding="utf-8"))
    doc["tips"][0]["topics"] = ["scheduling"]
    doc["tips"][0]["notes"] = "curator's remark"
    doc["tips"][1]["text"] = "A calm cluster: every alert means something."
    doc["tips"][1]["curated"] = True
    target.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    newer = (
        ONE_BOOK.replace("we learned this the hard way", "we learned this twice").replace(
            "- Keep secrets out of images; mount them at run time. || || Location 300 || ||\n", ""
        )
        + "- Rotate credentials before they rotate you. || || Location 410 || ||\n"
    )
    code, _, err = _run(capsys, str(_write(tmp_path / "v2.txt", newer)), "-o", str(target))
    assert code == 0
    again = yaml.safe_load(target.read_text(encoding="utf-8"))
    by_text = {t["text"]: t for t in again["tips"]}
    first = by_text["Drain one node at a time and watch the pods settle before the next."]
    assert first["topics"] == ["scheduling"] and first["notes"] == "curator's remark"
    assert first["note"] == "we learned this twice"
    assert by_text["A calm cluster: every alert means something."]["curated"] is True
    assert "Keep secrets out of images; mount them at run time." in by_text  # kept
    assert "Rotate credentials before they rotate you." in by_text  # added
    assert "1 added, 1 updated, 2 kept (1 curated kept as they were)" in err
    assert "kept tip `the-patient-operator-" in err
    assert _validate(capsys, target)[0] == 0


def test_an_unreadable_out_file_stops_the_import_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With OUT a folder where one book's file is not a tip file, no file is written or
    changed, and the error names that file."""
    out = tmp_path / "tips"
    broken = _write(out / "the-patient-operator.yaml", "just: a note\ntips: not a list\n")
    code, _, err = _run(capsys, str(_write(tmp_path / "two.txt", TWO_BOOKS)), "-o", str(out))
    assert code == 1 and err.count("\n") == 1
    assert f"{broken} exists but is not a tip file" in err
    assert broken.read_text(encoding="utf-8") == "just: a note\ntips: not a list\n"
    assert sorted(os.listdir(out)) == ["the-patient-operator.yaml"]


def test_books_with_non_latin_titles_get_ids_of_their_own() -> None:
    """Two books whose titles have no Latin letters get different ids (and files), not both
    the slug fallback."""
    from bot.importers.books import book_id
    from bot.importers.model import Book

    first = book_id(Book(title="静かなクラスタ"), "My Clippings.txt")
    second = book_id(Book(title="静かなポッド"), "My Clippings.txt")
    assert first.startswith("book-") and second.startswith("book-") and first != second
    assert book_id(Book(title="静かなクラスタ"), "other.txt") == first  # stable
    assert book_id(Book(title="Kubernetes Patterns, 2nd ed."), "x") == "kubernetes-patterns"


def test_a_highlight_already_in_another_file_of_the_folder_is_a_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same book exported twice under different titles (Readwise Markdown's Full Title,
    the CSV's short title) lands in two files; the second import skips the highlights the
    first file already holds, so the folder still validates."""
    out = tmp_path / "tips"
    fixtures = ROOT / "tests" / "fixtures"
    code, _, _ = _run(capsys, str(fixtures / "readwise-book.md"), "-o", str(out))
    assert code == 0
    code, _, err = _run(capsys, str(fixtures / "readwise-export.csv"), "-o", str(out))
    assert code == 0 and "(already in running-clusters-calmly-notes-from-the-p.yaml as" in err
    (out / "topics.yaml").write_text((ROOT / "tips" / "topics.yaml").read_text("utf-8"), "utf-8")
    code, report = _validate(capsys, out)
    assert code == 0, report
