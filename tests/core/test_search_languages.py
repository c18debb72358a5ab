"""Tips in other languages than English are searchable: stemmed in the source's language
where PyStemmer has it, matched word for word where not; English ranking is untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.core.engine import Engine
from bot.core.textnorm import has_stemmer, stem_in
from tests.core_support import TIPS_DIR, TOPICS_YAML, engine

GERMAN = """\
source:
  id: geduldige-betreiberin
  title: Die geduldige Betreiberin
  authors: [Ada Quill]
  language: de
tips:
- id: gb-1
  text: Geheimnisse gehören nie in ein Container-Abbild; man bindet sie zur Laufzeit ein.
  topics: [secrets]
- id: gb-2
  text: Ein ruhiger Cluster meldet nur Warnungen, die etwas bedeuten.
"""
SOTHO = """\
source:
  id: buka
  title: Buka
  language: st
tips:
- id: bk-1
  text: Khoutu e ntle e bonolo ho e bala.
  topics: [pods]
"""
UNSTEMMED = (
    GERMAN.replace("language: de", "language: ja")
    .replace("gb-", "ja-")
    .replace("geduldige-betreiberin", "ja-book")
)


def _engine(tmp_path: Path, *files: tuple[str, str]) -> Engine:
    for name, text in files:
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "topics.yaml").write_bytes(TOPICS_YAML.read_bytes())
    return Engine.from_paths([tmp_path], use_cache=False)


def test_german_tip_is_found_by_an_inflected_word(tmp_path: Path) -> None:
    """ "Geheimnis" finds the tip that says "Geheimnisse"; "Warnung" the one with "Warnungen"."""
    assert stem_in("geheimnisse", "de") == stem_in("geheimnis", "de")
    e = _engine(tmp_path, ("de.yaml", GERMAN))
    assert [h.tip.id for h in e.search("Geheimnis Laufzeit").hits][:1] == ["gb-1"]
    assert [h.tip.id for h in e.search("warnung").hits][:1] == ["gb-2"]


def test_a_language_without_a_stemmer_matches_words_as_typed(tmp_path: Path) -> None:
    """A source PyStemmer can't stem is matched word for word: the exact word finds it."""
    assert not has_stemmer("ja")
    e = _engine(tmp_path, ("ja.yaml", UNSTEMMED))
    assert [h.tip.id for h in e.search("Geheimnisse Laufzeit").hits][:1] == ["ja-1"]
    assert e.search("Geheimnis Laufzeiten").hits == []


def test_english_tips_rank_the_same_with_a_german_book_beside_them(tmp_path: Path) -> None:
    """The English corpus alone has no other language; with a German book beside it, English
    questions still find the same tips first."""
    assert engine().index.languages == []
    for name in ("hands-on-kubernetes-on-azure.yaml",):
        (tmp_path / name).write_bytes((TIPS_DIR / name).read_bytes())
    mixed = _engine(tmp_path, ("de.yaml", GERMAN))
    assert mixed.index.languages == ["de"]
    for query in ("secrets", "how do I rotate a secret", "liveness probe"):
        before = [h.tip.id for h in engine().search(query).hits]
        after = [h.tip.id for h in mixed.search(query).hits if not h.tip.id.startswith("gb-")]
        assert after[:3] == before[:3], query


def test_topics_shows_how_many_tips_have_no_topic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`k8stip topics` ends with the count of tips no topic fits; the tip is in rotation."""
    e = _engine(tmp_path, ("de.yaml", GERMAN), ("st.yaml", SOTHO))
    assert e.corpus.untagged_count() == 1
    assert "gb-2" in {e.tip("", exclude={"gb-1", "bk-1"}).tip.id for _ in range(3)}  # type: ignore[union-attr]
    config = tmp_path / "k8stip.yaml"
    config.write_text(f"corpus: {tmp_path}\n", encoding="utf-8")
    assert main(["--config", str(config), "topics"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].split() == [
        "1",
        "tips",
        "with",
        "no",
        "topic",
        "(searchable)",
    ]
