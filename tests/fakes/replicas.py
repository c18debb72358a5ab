"""Two replicas on one database, and calls released together: for the store's race tests.

Two `Store`s opened on one URL have their own engines and connection pools, as two processes
would; `at_once` runs calls on threads released by one barrier, so their statements meet in
the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from bot.runtime.store import Store
from tests.fakes.databases import database_url

T = TypeVar("T")


@contextmanager
def two_replicas(kind: str, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two stores on one migrated database of `kind` ("sqlite" or "postgres")."""
    with database_url(kind, tmp_path) as url:
        first = Store.open(url)
        first.migrate()
        second = Store.open(url)
        try:
            yield first, second
        finally:
            first.close()
            second.close()


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run each call on its own thread, all released together; their results, in order.
    Re-raises the first error a call raised."""
    start = threading.Barrier(len(calls))
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(calls))]
