"""A built engine is cached on disk, the bundled corpus too: the next start unpickles it
instead of parsing YAML, answers exactly as a fresh build does, and is never served stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core import engine_cache, loader
from bot.core.engine import Engine
from tests.core_support import ROOT, TIPS_DIR, TOPICS_YAML

BOOK = """\
source:
  id: small-book
  title: A Small Book
tips:
- id: sb-1
  text: Mount secrets as files at runtime, never bake them into the image.
  topics: [secrets]
"""


@pytest.fixture(autouse=True)
def _cache_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("K8STIP_CACHE_DIR", str(folder))
    return folder


def _corpus(tmp_path: Path, text: str = BOOK) -> Path:
    folder = tmp_path / "tips"
    folder.mkdir(exist_ok=True)
    (folder / "book.yaml").write_text(text, encoding="utf-8")
    (folder / "topics.yaml").write_bytes(TOPICS_YAML.read_bytes())
    return folder


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the corpus was parsed, not read from the cache")

    monkeypatch.setattr(loader, "load_corpus", refuse)


def test_the_bundled_corpus_is_cached_and_the_next_start_parses_nothing(
    monkeypatch: pytest.MonkeyPatch, _cache_here: Path
) -> None:
    built = Engine.from_paths([TIPS_DIR])
    assert len(list(_cache_here.glob("engine-*.pickle"))) == 1
    _no_parsing(monkeypatch)
    cached = Engine.from_paths([TIPS_DIR])
    assert cached is not built
    assert [t.id for t in cached.corpus.tips] == [t.id for t in built.corpus.tips]
    assert sorted(cached.corpus.topics) == sorted(built.corpus.topics)


@pytest.mark.parametrize(
    "query", ["secrets", "rotate secrets without downtime", "why is my pod pending", "helm"]
)
def test_a_cached_engine_answers_as_a_fresh_build_does(query: str) -> None:
    Engine.from_paths([TIPS_DIR])  # writes the cache
    cached = Engine.from_paths([TIPS_DIR])
    fresh = Engine.from_paths([TIPS_DIR], use_cache=False)
    assert [(h.tip.id, h.score) for h in cached.search(query).hits] == [
        (h.tip.id, h.score) for h in fresh.search(query).hits
    ]
    assert cached.search(query).message == fresh.search(query).message


def test_an_edit_that_keeps_size_and_timestamp_is_not_served_stale(tmp_path: Path) -> None:
    """Filesystems stamp modification times coarsely: a same-size edit within one tick looks
    unchanged to `stat`. A small corpus is keyed by its contents too."""
    folder = _corpus(tmp_path)
    book = folder / "book.yaml"
    before = book.stat()
    assert Engine.from_paths([folder]).corpus.tips[0].text.startswith("Mount secrets")
    edited = BOOK.replace("Mount secrets", "Mount Secrets")
    assert len(edited) == len(BOOK)
    book.write_text(edited, encoding="utf-8")
    os.utime(book, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert book.stat().st_mtime_ns == before.st_mtime_ns
    assert Engine.from_paths([folder]).corpus.tips[0].text.startswith("Mount Secrets")


def test_an_added_tip_file_is_seen_on_the_next_start(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    assert len(Engine.from_paths([folder]).corpus.tips) == 1
    (folder / "more.yaml").write_text(
        BOOK.replace("small-book", "more-book")
        .replace("sb-1", "mb-1")
        .replace("Mount secrets as files", "Rotate secrets"),
        encoding="utf-8",
    )
    assert sorted(t.id for t in Engine.from_paths([folder]).corpus.tips) == ["mb-1", "sb-1"]


def test_an_unreadable_cache_file_is_rebuilt_not_fatal(tmp_path: Path, _cache_here: Path) -> None:
    folder = _corpus(tmp_path)
    Engine.from_paths([folder])
    [cached] = _cache_here.glob("engine-*.pickle")
    cached.write_bytes(b"not a pickle")
    assert [t.id for t in Engine.from_paths([folder]).corpus.tips] == ["sb-1"]
    assert cached.read_bytes() != b"not a pickle"  # and the rebuilt engine replaced it


def test_a_corpus_with_errors_is_never_cached(tmp_path: Path, _cache_here: Path) -> None:
    folder = _corpus(tmp_path, BOOK.replace("topics: [secrets]", "topics: [no-such-topic]"))
    engine = Engine.from_paths([folder])
    assert engine.corpus.errors
    assert list(_cache_here.glob("engine-*.pickle")) == []


def test_an_unwritable_cache_folder_means_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("K8STIP_CACHE_DIR", str(blocker / "cache"))
    folder = _corpus(tmp_path)
    assert [t.id for t in Engine.from_paths([folder]).corpus.tips] == ["sb-1"]
    assert engine_cache.load([folder]) is None


_PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_a_second_tip_command_starts_without_the_yaml_loader(tmp_path: Path) -> None:
    """`k8stip tip` twice in fresh interpreters: the first parses the tips and caches them,
    the second answers the same from the cache without importing the corpus loader."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("K8STIP_", "SLACK_"))}
    env["K8STIP_CACHE_DIR"] = str(tmp_path / "cache")
    (tmp_path / "config.yaml").write_text(f"corpus: {TIPS_DIR}\n", encoding="utf-8")
    env["K8STIP_CONFIG"] = str(tmp_path / "config.yaml")
    runs = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, "tip", "secrets", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        *printed, last = proc.stdout.splitlines()
        runs.append((json.loads("\n".join(printed)), json.loads(last)))
    (first_tip, first), (second_tip, second) = runs
    assert first["code"] == second["code"] == 0
    assert "secrets" in first_tip["topics"] and "secrets" in second_tip["topics"]
    assert "bot.core.loader" in first["modules"]
    assert "bot.core.loader" not in second["modules"]
    assert "bot.core.yaml_load" not in second["modules"]
