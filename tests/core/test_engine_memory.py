"""A large corpus's build gives the memory it freed back to the OS (issue 10, "Scale")."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from bot.core import engine as engine_module
from bot.core import loader
from bot.core.corpus import Corpus
from bot.core.engine import Engine
from bot.core.loader import bundled_tips_dir, load_corpus


def test_a_large_build_releases_memory_before_and_after_caching(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("K8STIP_CACHE_DIR", str(tmp_path))
    calls: list[int] = []
    monkeypatch.setattr(engine_module, "_release_build_memory", lambda: calls.append(1))
    monkeypatch.setattr(engine_module, "VECTOR_THRESHOLD", 1)  # the bundled tips count as large
    Engine.from_paths([bundled_tips_dir()])
    assert len(calls) == 2  # after the build, and after the cache write
    Engine.from_paths([bundled_tips_dir()], use_cache=False)
    assert len(calls) == 3


def test_a_small_build_keeps_its_memory_as_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("K8STIP_CACHE_DIR", str(tmp_path))
    calls: list[int] = []
    monkeypatch.setattr(engine_module, "_release_build_memory", lambda: calls.append(1))
    Engine.from_paths([bundled_tips_dir()])
    assert calls == []


def test_releasing_memory_is_harmless_and_search_still_answers() -> None:
    engine = Engine.from_paths([bundled_tips_dir()], use_cache=False)
    before = engine.search("secrets").hits
    engine_module._release_build_memory()
    assert engine.search("secrets").hits == before
    assert before


def test_the_collector_is_off_during_a_build_and_back_on_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    real_load = load_corpus

    def load_noting_the_collector(paths: list[Path]) -> Corpus:
        seen.append(gc.isenabled())
        return real_load(paths)

    monkeypatch.setattr(loader, "load_corpus", load_noting_the_collector)
    Engine.from_paths([bundled_tips_dir()], use_cache=False)
    assert seen == [False]
    assert gc.isenabled()


def test_a_failed_build_turns_the_collector_back_on_unless_it_was_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(paths: list[Path]) -> Corpus:
        raise MemoryError

    monkeypatch.setattr(loader, "load_corpus", broken)
    with pytest.raises(MemoryError):
        Engine.from_paths([bundled_tips_dir()], use_cache=False)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(MemoryError):
            Engine.from_paths([bundled_tips_dir()], use_cache=False)
        assert not gc.isenabled()  # the caller's choice stands
    finally:
        gc.enable()
