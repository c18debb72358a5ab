"""The `k8stip` command: JSON shapes, help text, version and config errors."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bot
from bot.cli import build_parser, main
from tests.core_support import ROOT, engine

SEARCH_KEYS = {"id", "text", "topics", "source", "chapter", "score"}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every command from the repo root with no config from the environment."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("K8STIP_CONFIG", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    return json.loads(out)


# -- search / tip / topics ------------------------------------------------------------------


def test_search_json_is_an_array_of_tip_objects(capsys: pytest.CaptureFixture[str]) -> None:
    """`search --json` prints an array of objects with id, text, topics, source, chapter, score."""
    rows = _json(capsys, "search", "mount", "secrets", "as", "files", "--json")
    assert isinstance(rows, list) and 1 <= len(rows) <= 5
    corpus = engine().corpus
    for row in rows:
        assert set(row) >= SEARCH_KEYS
        tip = corpus.by_id[row["id"]]
        assert row["text"] == tip.text
        assert row["topics"] == list(tip.topics)
        assert row["source"] == "Hands-On Kubernetes on Azure, 2nd ed."
        assert row["chapter"] == tip.chapter and row["chapter"].startswith("Ch. ")
        assert isinstance(row["score"], float) and row["score"] > 0
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[0]["text"].startswith("Mounting secrets as files is the best way")


def test_search_limit(capsys: pytest.CaptureFixture[str]) -> None:
    """`--limit N` caps the results; `--limit 0` is a usage error that says what to pass."""
    assert len(_json(capsys, "search", "secrets", "--limit", "2", "--json")) == 2
    assert len(_json(capsys, "search", "pods", "--limit", "12", "--json")) == 12
    code, out, err = _run(capsys, "search", "secrets", "--limit", "0", "--json")
    assert code == 2 and out == "" and "--limit 5" in err


def test_search_json_no_match_is_empty_array(capsys: pytest.CaptureFixture[str]) -> None:
    """`search --json` on an out-of-corpus question prints `[]` and exits 0."""
    code, out, _ = _run(capsys, "search", "ansible", "playbook", "loops", "--json")
    assert code == 0 and out.strip() == "[]"


def test_search_text_no_match_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """The text form of an unanswerable search says nothing matched and suggests topics."""
    code, out, _ = _run(capsys, "search", "java", "garbage", "collection")
    assert code == 0
    assert "No tip answers" in out and "Did you mean" in out


def test_search_text_lists_ranked_cards(capsys: pytest.CaptureFixture[str]) -> None:
    """The text form numbers results and cites the book and chapter for each."""
    code, out, _ = _run(capsys, "search", "secrets", "--limit", "3")
    assert code == 0
    assert "3 tips for “secrets”:" in out
    assert "\n1. [" in out and "\n3. [" in out and "\n4. [" not in out
    assert "Hands-On Kubernetes on Azure, 2nd ed." in out and "Ch. 10" in out


def test_tip_json_is_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    """`tip secrets --json` prints one object for a secrets tip."""
    row = _json(capsys, "tip", "secrets", "--json")
    assert isinstance(row, dict)
    assert set(row) >= SEARCH_KEYS
    assert "secrets" in row["topics"]
    assert row["id"] in engine().corpus.by_id


def test_tip_json_without_query_is_a_random_tip(capsys: pytest.CaptureFixture[str]) -> None:
    """`tip --json` with no query prints some tip of the corpus."""
    row = _json(capsys, "tip", "--json")
    assert row["id"] in engine().corpus.by_id


def test_tip_json_no_match_is_null(capsys: pytest.CaptureFixture[str]) -> None:
    """`tip --json` for an unanswerable request prints `null` and exits 0."""
    code, out, _ = _run(capsys, "tip", "java", "garbage", "collection", "--json")
    assert code == 0 and out.strip() == "null"


def test_tip_text_no_match_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    """The text form of an unanswerable tip request suggests topics and exits 0."""
    code, out, _ = _run(capsys, "tip", "ansible", "playbook", "loops")
    assert code == 0 and "Did you mean" in out


def test_tip_text_shows_attribution(capsys: pytest.CaptureFixture[str]) -> None:
    """The text form shows the tip, then "— book, chapter" and its topic titles."""
    code, out, _ = _run(capsys, "tip", "helm")
    assert code == 0
    assert "— Hands-On Kubernetes on Azure, 2nd ed." in out
    assert "Ch. 3 Application deployment on AKS" in out and "[Helm" in out


def test_query_that_looks_like_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    """A query after `--` may start with a dash and is searched like any text."""
    code, out, _ = _run(capsys, "search", "--json", "--", "--secrets")
    assert code == 0
    assert all("secrets" in r["topics"] for r in json.loads(out))


def test_undecodable_argument_bytes_print_as_valid_utf8(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bytes that aren't UTF-8 on the command line (lone surrogates in argv) never reach stdout."""
    for argv in (["tip", "\udcffjava\udcfe"], ["search", "\udcffjava"], ["tip", "\udcffsecrets"]):
        code, out, _ = _run(capsys, *argv)
        assert code == 0 and out.strip()
        out.encode("utf-8")  # raises on a lone surrogate


def test_topics_json_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """`topics --json` lists every topic with a title, description and its tip count."""
    rows = _json(capsys, "topics", "--json")
    corpus = engine().corpus
    assert [r["id"] for r in rows] == list(corpus.topics)
    counts = corpus.topic_counts()
    for r in rows:
        assert set(r) >= {"id", "title", "description", "count"}
        assert r["count"] == counts[r["id"]]
    assert sum(r["count"] for r in rows) >= len(corpus.tips)
    by_id = {r["id"]: r for r in rows}
    assert by_id["secrets"]["count"] >= 5 and by_id["secrets"]["title"] == "Secrets"


def test_topics_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`topics` prints one aligned line per topic: id, count, title."""
    code, out, _ = _run(capsys, "topics")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(engine().corpus.topics)
    first = next(iter(engine().corpus.topics.values()))
    count = engine().corpus.topic_counts()[first.id]
    assert lines[0].split() == [first.id, str(count), *first.title.split()]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`--version` prints "k8stip <version>" and exits 0."""
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"k8stip {bot.__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """`k8stip` alone prints the help listing the commands and exits 2."""
    code, out, _ = _run(capsys)
    assert code == 2
    assert "usage: k8stip" in out and "search" in out and "validate" in out


def _subparsers(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((name, sub, helps.get(name, "")))
                found += [(f"{name} {n}", p, h) for n, p, h in _subparsers(sub)]
    return found


def test_every_subcommand_has_help_text() -> None:
    """Every subcommand (and sub-subcommand) has a help line; every option has help text."""
    subs = _subparsers(build_parser())
    names = {name for name, _, _ in subs}
    expected = {"tip", "search", "topics", "validate", "import", "run", "deliver", "migrate"}
    assert expected | {"status", "discord", "discord invite-url"} <= names
    for name, sub, help_ in subs:
        assert help_.strip(), f"`k8stip {name}` has no help line"
        if not isinstance(sub._actions[-1], argparse._SubParsersAction):
            assert (sub.description or help_).strip(), f"`k8stip {name}` has no description"
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help and action.help.strip(), f"`k8stip {name}` {action.dest}: no help"
    for action in build_parser()._actions:
        if not isinstance(action, argparse._SubParsersAction):
            assert action.help, action.dest


def test_subcommand_help_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """`k8stip search --help` prints the search usage and its description, exit 0."""
    with pytest.raises(SystemExit) as exc:
        main(["search", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: k8stip search" in out and "ranked tips" in out and "--limit" in out


# -- config errors ---------------------------------------------------------------------------


def _config_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> tuple[Path, list[str]]:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = _run(capsys, "--config", str(path), "topics")
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert all(line.startswith(f"config error: {path}:") for line in lines), lines
    return path, lines


def test_config_unknown_key_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt config key exits 2 naming file:line and "did you mean `timezone`"."""
    path, lines = _config_error(capsys, tmp_path, "corpus: tips/\ntimezome: UTC\n")
    assert lines == [f"config error: {path}:2: unknown key `timezome`; did you mean `timezone`?"]


def test_config_nested_unknown_key_suggests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt nested key names its dotted path and suggests the right one."""
    path, lines = _config_error(capsys, tmp_path, "slack:\n  enabled: false\n  modee: http\n")
    assert lines == [f"config error: {path}:3: unknown key `slack.modee`; did you mean `mode`?"]


def test_config_bad_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`default_time: "25:00"` exits 2 naming file:line and showing the HH:MM form."""
    path, lines = _config_error(capsys, tmp_path, 'timezone: UTC\ndefault_time: "25:00"\n')
    assert len(lines) == 1
    assert lines[0].startswith(f"config error: {path}:2: `default_time`: '25:00'")
    assert "HH:MM" in lines[0] and "09:00" in lines[0]


def test_config_bad_timezone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`timezone: Mars/Olympus` exits 2 naming file:line and how to write a timezone."""
    path, lines = _config_error(capsys, tmp_path, "\n\ntimezone: Mars/Olympus\n")
    assert len(lines) == 1
    assert lines[0].startswith(f"config error: {path}:3: `timezone`: 'Mars/Olympus'")
    assert "not a known timezone" in lines[0] and "Europe/Amsterdam" in lines[0]


def test_config_timezone_typo_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A near-miss timezone suggests the real name."""
    _, lines = _config_error(capsys, tmp_path, "timezone: Europe/Amsterdm\n")
    assert "did you mean Europe/Amsterdam" in lines[0]


def test_config_all_problems_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several mistakes give one line each, in a subscription too, with their own lines."""
    text = (
        "timezome: UTC\n"
        'default_time: "25:00"\n'
        "subscriptions:\n"
        "  - platform: slack\n"
        "    channel: C1\n"
        '    time: "9am"\n'
        "    days: [mon, funday]\n"
    )
    path, lines = _config_error(capsys, tmp_path, text)
    assert len(lines) == 4, lines
    joined = "\n".join(lines)
    assert f"{path}:1: unknown key `timezome`" in joined
    assert f"{path}:2: `default_time`" in joined
    assert f"{path}:6: `subscriptions.0.time`: '9am'" in joined
    assert f"{path}:7: `subscriptions.0.days`: 'funday' is not a day" in joined


def test_config_bad_yaml_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Broken YAML names its line; a missing config file says how to give one; both exit 2."""
    path, lines = _config_error(capsys, tmp_path, "timezone: UTC\nslack: [a\n")
    assert len(lines) == 1 and "indentation" in lines[0]
    assert lines[0].startswith(f"config error: {path}:3: ")
    code, _, err = _run(capsys, "--config", str(tmp_path / "nope.yaml"), "topics")
    assert code == 2 and "no such config file" in err and "--config" in err


def test_config_from_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """K8STIP_CONFIG points at the config when --config is not given."""
    path = tmp_path / "env.yaml"
    path.write_text("timezome: UTC\n", encoding="utf-8")
    monkeypatch.setenv("K8STIP_CONFIG", str(path))
    code, _, err = _run(capsys, "topics")
    assert code == 2 and f"{path}:1: unknown key `timezome`" in err


def test_config_corpus_path_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The `corpus` key chooses the tips the commands answer from."""
    tips = tmp_path / "tips.yaml"
    tips.write_text(
        "source: {id: mine, title: My runbook}\n"
        "tips:\n- id: mine-1\n  text: Label every namespace with its owner.\n"
        "  topics: [namespaces]\n",
        encoding="utf-8",
    )
    config = tmp_path / "config.yaml"
    config.write_text(f"corpus: {tips}\n", encoding="utf-8")
    row = _json(capsys, "--config", str(config), "tip", "ns", "--json")
    assert row["id"] == "mine-1" and row["source"] == "My runbook"


def test_config_error_as_a_process_has_no_traceback(tmp_path: Path) -> None:
    """`python -m bot --config bad.yaml tip` exits 2 with the problem line and no traceback."""
    path = tmp_path / "config.yaml"
    path.write_text("timezome: UTC\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "tip", "secrets"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "K8STIP_CONFIG"},
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert f"{path}:1: unknown key `timezome`; did you mean `timezone`?" in proc.stderr


def test_config_of_nested_aliases_fails_quickly(tmp_path: Path) -> None:
    """A config file of nested YAML aliases is refused in seconds with file:line problems."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join([*lines, "subscriptions: *a8", ""]), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "topics"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "K8STIP_CONFIG"},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"config error: {path}:1: unknown key `a0`" in proc.stderr
    assert f"{path}:10: `subscriptions.0`" in proc.stderr


def test_config_nested_too_deeply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A config of thousands of nested brackets is one problem at line 1, not a RecursionError."""
    path, lines = _config_error(capsys, tmp_path, "timezone: " + "[" * 3000 + "]" * 3000 + "\n")
    assert lines == [f"config error: {path}:1: values nested too deeply; a config needs 3 levels"]


def test_a_tip_never_loads_the_importers_and_import_still_checks_its_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The importers (~50 ms to load) are read only when `--format` is checked or shown."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "main(['tip', 'secrets'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('bot.importers')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "[]"
    with pytest.raises(SystemExit):
        main(["import", "x.md", "--format", "nope"])
    err = capsys.readouterr().err
    assert "invalid choice: 'nope' (choose from 'auto', 'kindle'," in err
