"""One replica starting up: `Store.migrate()` as `k8stip migrate` runs it, for the concurrent
migration test. Prints "ready" once imported and connected, waits for a line on stdin (so
every replica starts migrating at the same moment), then prints the revision it reached.

    python -m tests.fakes.migrate_worker DB_URL
"""

from __future__ import annotations

import sys

from bot.runtime.store import Store


def main(url: str) -> int:
    store = Store.open(url)
    store.ping()
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        print(store.migrate(), flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
