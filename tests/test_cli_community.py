"""`k8stip export community` and the round trip through `k8stip validate` and `k8stip
import`: the community tips as an ordinary tip file, loaded beside the database without
duplicates, imported again without changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.engine import Engine
from bot.core.loader import load_corpus
from bot.runtime.community import CommunityEngine
from bot.runtime.store import Store
from tests.core_support import ROOT, TIPS_DIR

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TIPS = (
    "Run kubectl rollout undo deployment/web to roll a Deployment back to its previous "
    "revision in seconds.",
    "Give every namespace a LimitRange so a Pod without requests still gets sane defaults.",
)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("K8STIP_CONFIG", raising=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path}/k8stip.db\ncorpus: {TIPS_DIR}\n", encoding="utf-8"
    )
    return path


def approve_two(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path}/k8stip.db")
    store.migrate()
    for n, (text, topics) in enumerate(zip(TIPS, [("deployments",), ("resources",)], strict=True)):
        s = store.add_suggestion("slack", "T1", "C1", f"U{n}", f"Ana {n}", text, topics, NOW, 5)
        assert store.approve_suggestion(s.id, "UB", "Bo", NOW).changed
    return store


def test_export_writes_a_tip_file_that_validates_and_exporting_again_changes_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    approve_two(tmp_path).close()
    out = tmp_path / "community.yaml"
    assert main(["--config", str(config), "export", "community", "-o", str(out)]) == 0
    first = out.read_bytes()
    doc = yaml.safe_load(first)
    assert doc["source"]["id"] == "community" and doc["source"]["title"] == "Community"
    assert [t["text"] for t in doc["tips"]] == list(TIPS)
    assert doc["tips"][0]["chapter"] == "suggested by Ana 0, approved by Bo on 2026-12-01"
    assert doc["tips"][0]["topics"] == ["deployments"]
    assert main(["validate", str(out)]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "export", "community", "-o", str(out)]) == 0
    assert out.read_bytes() == first
    assert "unchanged" in capsys.readouterr().err
    assert main(["--config", str(config), "export", "community"]) == 0
    assert capsys.readouterr().out == first.decode("utf-8")


def test_the_exported_file_loaded_beside_the_database_holds_each_tip_once(
    config: Path, tmp_path: Path
) -> None:
    store = approve_two(tmp_path)
    out = tmp_path / "community.yaml"
    assert main(["--config", str(config), "export", "community", "-o", str(out)]) == 0
    with_file = Engine.from_paths([TIPS_DIR, out], use_cache=False)
    live = CommunityEngine(with_file, store)
    live.refresh_blocking()
    texts = [t.text for t in live.corpus.tips]
    assert all(texts.count(text) == 1 for text in TIPS)
    assert len(live.corpus.tips) == len(with_file.corpus.tips)
    store.close()


def test_importing_the_exported_file_keeps_ids_and_is_idempotent(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    approve_two(tmp_path).close()
    out = tmp_path / "community.yaml"
    assert main(["--config", str(config), "export", "community", "-o", str(out)]) == 0
    folder = tmp_path / "tips"
    folder.mkdir()
    assert main(["import", str(out), "-o", str(folder)]) == 0
    imported = folder / "community.yaml"
    once = imported.read_bytes()
    exported = yaml.safe_load(out.read_bytes())
    assert yaml.safe_load(once)["tips"] == exported["tips"]
    capsys.readouterr()
    assert main(["import", str(out), "-o", str(folder)]) == 0
    assert imported.read_bytes() == once
    assert "unchanged" in capsys.readouterr().err
    corpus = load_corpus([folder])
    assert not corpus.errors
    assert sorted(t.id for t in corpus.tips) == sorted(t["id"] for t in exported["tips"])


def test_a_tip_file_with_errors_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "source: {id: community, title: Community}\n"
        "tips:\n  - {id: Bad Id, text: 'Use kubectl drain first', topics: [pods]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    assert main(["import", str(bad), "-o", str(out)]) == 1
    assert "must be 1-80 lowercase" in capsys.readouterr().err
    assert list(out.iterdir()) == []
