"""numpy is the optional `k8stip[fast]` extra: without it a large corpus is indexed and ranked by
the loops, with the same answers and one warning, when its index is built or loaded from the
engine cache, that says how to speed it up."""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import postings, search
from bot.core.engine import Engine
from bot.core.loader import bundled_tips_dir
from bot.core.search import SearchIndex

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ("secrets", "how do I roll back a deployment", "pod eviction", "rbac roles", "hpa")


@pytest.fixture
def without_numpy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`import numpy` fails and find_spec finds none, as when the extra isn't installed."""
    postings.numpy_installed.cache_clear()
    monkeypatch.setitem(sys.modules, "numpy", None)
    yield
    postings.numpy_installed.cache_clear()


def test_the_test_venv_has_numpy_so_the_fast_path_is_tested() -> None:
    postings.numpy_installed.cache_clear()
    assert postings.numpy_installed()  # the test venv installs [fast]: the fast path is tested


@pytest.mark.usefixtures("without_numpy")
def test_a_large_corpus_without_numpy_ranks_as_the_loop_does(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = Engine.from_paths([bundled_tips_dir()], use_cache=False).corpus
    small = SearchIndex(corpus)  # the loops, as for any corpus under 20,000 tips
    monkeypatch.setattr(postings, "NUMPY_FROM_TIPS", 0)
    monkeypatch.setattr(search, "VECTOR_THRESHOLD", 1)  # the bundled tips count as large
    with caplog.at_level(logging.WARNING, logger=postings.__name__):
        large = SearchIndex(corpus)
    assert postings.numpy_installed() is False
    assert large._vector is None
    for q in QUERIES:
        assert large.search(q, 10)[0] == small.search(q, 10)[0]
    (warning,) = [r for r in caplog.records if r.name == postings.__name__]
    assert "k8stip[fast]" in warning.getMessage()
    assert f"{len(corpus.tips)} tips" in warning.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=postings.__name__):
        cached = pickle.loads(pickle.dumps(large))  # as the engine cache stores and loads it
    assert cached._vector is None and cached.search("hpa", 10)[0] == small.search("hpa", 10)[0]
    assert len([r for r in caplog.records if r.name == postings.__name__]) == 1


def test_with_numpy_a_large_corpus_uses_the_vector_scorer(monkeypatch: pytest.MonkeyPatch) -> None:
    postings.numpy_installed.cache_clear()
    corpus = Engine.from_paths([bundled_tips_dir()], use_cache=False).corpus
    monkeypatch.setattr(search, "VECTOR_THRESHOLD", 1)
    assert SearchIndex(corpus)._vector is not None


def test_a_small_corpus_never_warns_about_numpy(
    caplog: pytest.LogCaptureFixture, without_numpy: None
) -> None:
    with caplog.at_level(logging.WARNING, logger=postings.__name__):
        index = SearchIndex(Engine.from_paths([bundled_tips_dir()], use_cache=False).corpus)
    assert index.search("secrets", 3)[0]
    assert not [r for r in caplog.records if r.name == postings.__name__]


BLOCKED = """
import json, sys
sys.modules["numpy"] = None  # as if k8stip[fast] were not installed
from bot.core import postings, search
postings.NUMPY_FROM_TIPS, search.VECTOR_THRESHOLD = 0, 1
from bot.core.engine import Engine
from bot.core.loader import bundled_tips_dir
engine = Engine.from_paths([bundled_tips_dir()], use_cache=False)
hits, _ = engine.index.search("how do I roll back a deployment", 5)
print(json.dumps([h.tip.id for h in hits]))
"""


def test_a_process_without_numpy_indexes_a_large_corpus_and_answers() -> None:
    """A fresh interpreter where `import numpy` fails: no ImportError, a warning, answers."""
    out = subprocess.run(
        [sys.executable, "-c", BLOCKED], cwd=ROOT, capture_output=True, text=True, check=True
    )
    ids = json.loads(out.stdout)
    expected = Engine.from_paths([bundled_tips_dir()], use_cache=False).index.search(
        "how do I roll back a deployment", 5
    )[0]
    assert ids == [h.tip.id for h in expected] and ids
    assert "pip install 'k8stip[fast]'" in out.stderr
