"""A large corpus's build gives the memory it freed back to the OS (issue 10, "Scale")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import engine as engine_module
from bot.core.engine import Engine
from bot.core.loader import bundled_tips_dir


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
