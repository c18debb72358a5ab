"""Fixtures shared by the whole suite: a fresh store and an engine over the bundled tips.

A test that asks for `store` gets a migrated, empty SQLite store. A module marked
`pytestmark = pytest.mark.both_databases` gets each of its `store` tests twice, once on
SQLite and once on the real PostgreSQL (a private schema, so parallel runs never collide).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.runtime.store import Store
from tests.core_support import TIPS_DIR
from tests.fakes.databases import fresh_store

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise `store` over both databases in modules marked `both_databases`."""
    if "store" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("store", DATABASES, indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    # `param` is only set where `pytest_generate_tests` parametrised the store.
    kind: str = getattr(request, "param", "sqlite")
    with fresh_store(kind, tmp_path) as s:
        yield s


@pytest.fixture(scope="module")
def engine() -> Engine:
    # No disk cache: tests never touch the user's cache folder (the bundled corpus is too small
    # to be cached anyway).
    return Engine.from_paths([TIPS_DIR], use_cache=False)


@pytest.fixture(autouse=True, scope="session")
def _corpus_cache_in_a_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Engines built by the tests are cached in a folder of the test session, not in the
    developer's ~/.cache/k8stip (where they would evict the cache of their own `k8stip run`).
    A test that sets K8STIP_CACHE_DIR itself, or clears the K8STIP_ variables, still may."""
    before = os.environ.get("K8STIP_CACHE_DIR")
    os.environ["K8STIP_CACHE_DIR"] = str(tmp_path_factory.mktemp("engine-cache"))
    yield
    if before is None:
        os.environ.pop("K8STIP_CACHE_DIR", None)
    else:
        os.environ["K8STIP_CACHE_DIR"] = before
