"""A SQLite database holds Slack tokens and who subscribed what: keep it to its owner.

When k8stip creates the folder or the file, it creates them private (`data/` 0700, the
database 0600; SQLite gives its `-wal` and `-shm` files the database file's mode). A file or
folder the operator made is left as it is: a group-readable volume may be deliberate (a backup
job), and changing modes under someone's feet is worse than telling them. Such a database
gets one warning per process instead.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("k8stip.store")

DIR_MODE = 0o700
FILE_MODE = 0o600
_warned: set[Path] = set()


def prepare_sqlite_file(path: Path) -> None:
    """Create `path`'s folder (0700) and an empty database file (0600) if they don't exist."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        # O_EXCL: another process (a second replica, `k8stip deliver`) may create it first.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _warn_if_readable_by_others(path)
    else:
        os.close(fd)  # an empty file is a valid empty SQLite database


def _warn_if_readable_by_others(path: Path) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # SQLite will say what is wrong with it
    resolved = path.resolve()
    if mode & 0o077 and resolved not in _warned:
        _warned.add(resolved)
        log.warning(
            "the database %s is readable by other users (mode %03o); it holds tokens: "
            "chmod 600 it (k8stip leaves modes of files it did not create alone)",
            path,
            mode,
        )
