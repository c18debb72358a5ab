"""`k8stip validate`: one line per problem naming file:line, what is wrong and how to fix it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.loader import load_corpus
from tests.core_support import ROOT, TIPS_DIR, TOPICS_YAML

GOOD = """\
source:
  id: demo
  title: Demo runbook
  authors: [Ops Team]
tips:
- id: demo-1
  text: Pods are the smallest unit you deploy.
  topics: [pods]
- id: demo-2
  text: Mount secrets as files rather than environment variables.
  topics: [secrets]
  links: [https://kubernetes.io/docs/concepts/configuration/secret/]
"""


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, list[str], str]:
    code = main(["validate", *map(str, paths)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines(), err


def _write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _one_problem(capsys: pytest.CaptureFixture[str], path: Path, line: int, *fragments: str) -> str:
    code, lines, err = _validate(capsys, path)
    assert code == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:{line}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    assert "1 error(s)" in err
    return lines[0]


def test_bundled_tips_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    """`k8stip validate tips/` prints no problem and exits 0."""
    code, lines, err = _validate(capsys, TIPS_DIR)
    assert code == 0
    assert lines == []
    assert "checked 70 tips" in err and "0 error(s)" in err


def test_validate_without_paths_checks_the_configured_corpus(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`k8stip validate` with no path checks the configured corpus (the bundled tips) and passes."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("K8STIP_CONFIG", raising=False)
    code, lines, err = _validate(capsys)
    assert (code, lines) == (0, [])
    assert "checked 70 tips" in err


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    """Tips of good files still load beside a broken one, whose problems are reported."""
    good = _write(tmp_path, GOOD, "good.yaml")
    bad = _write(tmp_path, "tips: [\n", "bad.yaml")
    corpus = load_corpus([tmp_path])
    assert [t.id for t in corpus.tips] == ["demo-1", "demo-2"]
    assert [p.file for p in corpus.errors] == [str(bad)]
    assert all(t.file == str(good) for t in corpus.tips)


def test_a_clean_file_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A well-formed tip file next to no taxonomy is checked against the bundled topics."""
    code, lines, _ = _validate(capsys, _write(tmp_path, GOOD))
    assert (code, lines) == (0, [])


def test_bad_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Broken YAML is reported at the line of the syntax error, with a hint about quoting."""
    bad = GOOD.replace("text: Pods are the smallest", "text: Pods: are the smallest")
    _one_problem(capsys, _write(tmp_path, bad), 7, "YAML syntax", "quote")


def test_duplicate_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second tip with an id already used is reported at its id, asking for a new id."""
    path = _write(tmp_path, GOOD.replace("id: demo-2", "id: demo-1"))
    _one_problem(capsys, path, 9, "duplicate id `demo-1`", "new id")


def test_duplicate_id_across_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same id in two files is reported in the second file, naming the first."""
    first = _write(tmp_path, GOOD, "a.yaml")
    other = (
        GOOD.replace("id: demo-2", "id: other-2")
        .replace("Pods are", "Pods really are")
        .replace("Mount secrets", "Always mount secrets")
    )
    _write(tmp_path, other, "b.yaml")
    code, lines, _ = _validate(capsys, tmp_path)
    assert code == 1
    assert lines == [
        f"{tmp_path / 'b.yaml'}:6: error: duplicate id `demo-1` (also in {first}); "
        "give this tip a new id"
    ]


def test_duplicate_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text equal to another tip's (ignoring case and spacing) is reported at the text."""
    dup = GOOD.replace(
        "Mount secrets as files rather than environment variables.",
        "pods are the   smallest unit you deploy.",
    )
    _one_problem(capsys, _write(tmp_path, dup), 10, "same text as tip `demo-1`", "delete one")


def test_empty_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Empty or blank text is reported at the text, saying to write the tip or delete it."""
    for blank in ('""', "'   '"):
        path = _write(
            tmp_path, GOOD.replace("text: Pods are the smallest unit you deploy.", f"text: {blank}")
        )
        _one_problem(capsys, path, 7, "empty text", "delete")


def test_unknown_topic_with_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A topic not in the taxonomy is reported with the closest known topic suggested."""
    path = _write(tmp_path, GOOD.replace("topics: [secrets]", "topics: [secert]"))
    _one_problem(capsys, path, 11, "unknown topic `secert`", "did you mean `secrets`?")


def test_text_too_long(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text over 3,000 characters (one Slack section) is reported with the limit to meet."""
    long_text = "Pods " * 601
    path = _write(tmp_path, GOOD.replace("Pods are the smallest unit you deploy.", long_text))
    line = _one_problem(capsys, path, 7, "text is 3004 characters", "3000")
    assert "4096" in line and "shorten" in line


def test_text_of_exactly_3000_chars_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text of exactly 3,000 characters fits and is valid."""
    text = ("x" * 2999) + "."
    path = _write(tmp_path, GOOD.replace("Pods are the smallest unit you deploy.", text))
    assert _validate(capsys, path)[0] == 0


def test_malformed_url_in_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link without http(s):// or without a real host is reported at `links`."""
    for bad, why in (
        ("htp://kubernetes.io/docs", "http:// or https://"),
        ("https://localhost", "valid host"),
        ("kubernetes.io/docs", "http:// or https://"),
    ):
        path = _write(
            tmp_path, GOOD.replace("https://kubernetes.io/docs/concepts/configuration/secret/", bad)
        )
        _one_problem(capsys, path, 12, "malformed URL", why)


def test_unknown_key_with_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt tip key is reported at that key with the right spelling suggested."""
    path = _write(tmp_path, GOOD.replace("  links: [", "  linkz: ["))
    _one_problem(capsys, path, 12, "unknown key `linkz`", "did you mean `links`?")
    path = _write(tmp_path, GOOD + "  topcis: [pods]\n")
    # `topcis` on demo-2 (line 13); demo-2 still has its real `topics`.
    _one_problem(capsys, path, 13, "unknown key `topcis`", "did you mean `topics`?")


def test_unknown_source_key_with_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt key in the source block is reported with a suggestion."""
    path = _write(tmp_path, GOOD.replace("  authors:", "  author:"))
    _one_problem(capsys, path, 4, "unknown key `author`", "did you mean `authors`?")


def test_missing_topics_is_a_warning_and_the_tip_still_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tip without topics (or with an empty list) is a warning at the tip (exit 0): it loads,
    with no topic, and the warning says how to give it one."""
    for text, line in (
        (GOOD.replace("  topics: [pods]\n", ""), 6),
        (GOOD.replace("  topics: [pods]\n", "  topics: []\n"), 8),
    ):
        path = _write(tmp_path, text)
        code, lines, err = _validate(capsys, path)
        assert code == 0
        assert len(lines) == 1 and lines[0].startswith(f"{path}:{line}: warning: "), lines
        assert "at least one topic" in lines[0] and "topics: [pods]" in lines[0]
        assert "0 error(s), 1 warning(s)" in err
        corpus = load_corpus([path], TOPICS_YAML)
        assert corpus.by_id["demo-1"].topics == ()
        assert corpus.untagged_count() == 1


def test_topics_that_are_not_a_list_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`topics: pods` (not a list) is still an error that shows the list form."""
    path = _write(tmp_path, GOOD.replace("  topics: [pods]\n", "  topics: pods\n"))
    _one_problem(capsys, path, 8, "list of topic ids", "topics: [pods]")


HIGHLIGHT_FIELDS = GOOD.replace(
    "  topics: [pods]\n",
    "  topics: [pods]\n"
    "  note: Worth a team talk.\n"
    "  location: Location 170-172\n"
    "  highlighted_at: 2026-03-14T09:12:00\n",
).replace("  authors: [Ops Team]\n", "  authors: [Ops Team]\n  language: de\n")


def test_highlight_fields_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """note, location, highlighted_at (unquoted, so YAML reads a datetime) and the source's
    language load as text and validate clean."""
    path = _write(tmp_path, HIGHLIGHT_FIELDS)
    code, lines, _ = _validate(capsys, path)
    assert (code, lines) == (0, [])
    corpus = load_corpus([path], TOPICS_YAML)
    tip = corpus.by_id["demo-1"]
    assert (tip.note, tip.location, tip.highlighted_at) == (
        "Worth a team talk.",
        "Location 170-172",
        "2026-03-14T09:12:00",
    )
    assert corpus.sources["demo"].language == "de"


@pytest.mark.parametrize(
    ("old", "new", "line", "fragment"),
    [
        ("highlighted_at: 2026-03-14T09:12:00", "highlighted_at: last tuesday", 12, "ISO 8601"),
        ("note: Worth a team talk.", "note: [a, b]", 10, "reader's note as text"),
        ("language: de", "language: German!", 5, "ISO 639-1"),
    ],
)
def test_bad_highlight_fields_are_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    line: int,
    fragment: str,
) -> None:
    """A highlight time that isn't ISO 8601, a note that isn't text, a language that isn't a
    code: one error each, at its line."""
    _one_problem(capsys, _write(tmp_path, HIGHLIGHT_FIELDS.replace(old, new)), line, fragment)


def test_long_note_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A note longer than a card shows is a warning, not an error."""
    path = _write(tmp_path, HIGHLIGHT_FIELDS.replace("Worth a team talk.", "word " * 300))
    code, lines, _ = _validate(capsys, path)
    assert code == 0 and len(lines) == 1 and ": warning: note is" in lines[0]


def test_missing_source_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tip file without a source block is told that tips need attribution."""
    path = _write(tmp_path, GOOD[GOOD.index("tips:") :])
    _one_problem(capsys, path, 1, "missing `source:`", "attribution")


def test_not_a_tip_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A YAML file that is not a tip file (a list, a scalar) says what a tip file looks like."""
    for text in ("- just\n- a list\n", "hello\n", "tips: nope\n"):
        _one_problem(capsys, _write(tmp_path, text), 1, "expected a tip file", "`tips:` list")


def test_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A binary file (or one not in UTF-8) is one problem at line 1, not a traceback."""
    path = tmp_path / "blob.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512))
    _one_problem(capsys, path, 1, "binary file", "UTF-8")
    path.write_bytes("source: {id: x}\ntips: [caf\u00e9]\n".encode("latin-1"))
    _one_problem(capsys, path, 1, "not UTF-8", "save as UTF-8")


def test_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that doesn't exist is one problem saying what to pass instead."""
    code, lines, _ = _validate(capsys, tmp_path / "nope")
    assert code == 1
    assert len(lines) == 1 and "no such file or folder" in lines[0]


def test_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file with several mistakes gets exactly one line for each, each naming file:line."""
    text = (
        GOOD.replace("id: demo-2", "id: demo-1")
        .replace("topics: [pods]", "topics: [podz]\n  colour: blue")
        .replace(
            "  links: [https://kubernetes.io/docs/concepts/configuration/secret/]", "  links: [x]"
        )
    )
    path = _write(tmp_path, text)
    code, lines, err = _validate(capsys, path)
    assert code == 1
    assert len(lines) == 4, lines
    assert "4 error(s)" in err
    kinds = ("unknown topic", "unknown key", "duplicate id", "malformed URL")
    found: dict[str, int] = {}
    for line in lines:
        m = re.match(rf"^{re.escape(str(path))}:(\d+): error: (.+)$", line)
        assert m, line
        kind = next(k for k in kinds if m.group(2).startswith(k))
        found[kind] = int(m.group(1))
    assert found == {"unknown topic": 8, "unknown key": 9, "duplicate id": 10, "malformed URL": 13}


def test_taxonomy_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A topics.yaml beside the tips is checked too: unknown keys and undefined related topics."""
    shutil.copy(TOPICS_YAML, tmp_path / "topics.yaml")
    text = (tmp_path / "topics.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    related: [deployments, replicasets, probes]",
        "    related: [deployments, replicaset, probes]\n    colour: red",
        1,
    )
    (tmp_path / "topics.yaml").write_text(text, encoding="utf-8")
    _write(tmp_path, GOOD)
    code, lines, _ = _validate(capsys, tmp_path)
    assert code == 1
    assert len(lines) == 2, lines
    assert any("unknown key `colour`" in line for line in lines)
    assert any("related topic `replicaset`" in line and "`replicasets`" in line for line in lines)
    assert all(line.startswith(f"{tmp_path / 'topics.yaml'}:") for line in lines)


def test_validate_as_a_process_never_shows_a_traceback(tmp_path: Path) -> None:
    """`python -m bot validate` on a broken file exits 1 with problem lines and no traceback."""
    (tmp_path / "bad.yaml").write_bytes(b"tips: [\x00\x01\x02")
    (tmp_path / "worse.yaml").write_text("tips:\n- id: [1, 2]\n  text: {a: b}\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "K8STIP_CONFIG"},
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"{tmp_path / 'bad.yaml'}:1: error: binary file" in proc.stdout
    assert f"{tmp_path / 'worse.yaml'}:" in proc.stdout


def test_topic_that_is_not_a_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A topic written as a list or mapping (`topics: [[pods]]`) is a problem, not a traceback."""
    path = _write(tmp_path, GOOD.replace("topics: [pods]", "topics: [[pods]]"))
    _one_problem(capsys, path, 8, "topic ['pods'] is not a name", "topics: [pods]")


def test_a_key_with_a_line_break_still_prints_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key quoted from the file that holds a line break is shown escaped, on one line."""
    path = _write(tmp_path, GOOD.replace("  links: [", '  "lin\\nks": [', 1))
    line = _one_problem(capsys, path, 12, "unknown key `lin\\nks`")
    assert "\n" not in line


def _alias_bomb(top_key: str) -> str:
    """YAML whose nested aliases expand to 9**9 leaves ("billion laughs")."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join([*lines, f"{top_key}: *a8", ""])


def test_nested_yaml_aliases_are_reported_quickly(tmp_path: Path) -> None:
    """A file of nested YAML aliases (a billion values) is one problem in seconds, not a hang."""
    path = _write(tmp_path, _alias_bomb("tips"))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{path}:1: error: YAML aliases (*name) expand to 926,177,105 values in a 496-character "
        "file; write the values out instead of nesting aliases"
    ]


def test_alias_bomb_inside_a_tip_is_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Aliases expanding inside the source block are refused before any message shows them."""
    bomb = _alias_bomb("unused").replace("unused: *a8\n", "")
    text = bomb + GOOD.replace("authors: [Ops Team]", "authors: *a8")
    _one_problem(capsys, _write(tmp_path, text), 1, "YAML aliases (*name) expand to")


def test_alias_that_refers_to_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A YAML alias inside its own anchor (`&a [*a]`) is one problem, not a loop."""
    path = _write(tmp_path, GOOD.replace("topics: [pods]", "topics: &loop [pods, *loop]"))
    _one_problem(capsys, path, 1, "refers to itself")


def test_deep_nesting_built_from_aliases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nesting built up through aliases past 32 levels is refused with the depth found."""
    deep = "d0: &d0 " + "[" * 20 + "x" + "]" * 20 + "\n"
    deep += "".join(f"d{i}: &d{i} [[[[[[[[[[*d{i - 1}]]]]]]]]]]\n" for i in range(1, 4))
    _one_problem(capsys, _write(tmp_path, deep + GOOD), 1, "nested 51 levels deep")


def test_ordinary_anchors_are_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Anchors used the ordinary way (one shared topics list) validate cleanly."""
    text = GOOD.replace("topics: [pods]", "topics: &common [pods, security]").replace(
        "topics: [secrets]", "topics: *common"
    )
    code, lines, _ = _validate(capsys, _write(tmp_path, text))
    assert (code, lines) == (0, [])
