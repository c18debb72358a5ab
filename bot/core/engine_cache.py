"""A disk cache of a built Engine, so a corpus loads from one file instead of being parsed.

Parsing 36 MB of YAML (100,000 tips) and indexing it takes seconds even on the fast path
(`yaml_load`, numpy postings); the result is pickled under the cache folder, keyed by every
corpus file's path, size and modification time and by k8stip's version. The bundled corpus is
cached too: unpickling its index takes about 2 ms where parsing and indexing it take about
50 ms, plus the YAML loader's imports, on every start of `run` and `tip`. A corpus under
`CONTENT_KEY_MAX_BYTES` is keyed by its files' contents as well (reading and hashing it costs
well under a millisecond), so an edit that keeps a file's size within the filesystem's
timestamp granularity is never served from a stale cache. The cache is best effort: a folder
that can't be written (a read-only container) just means no cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot import __version__

log = logging.getLogger(__name__)
# Below this total size the files' contents are part of the key (above it, hashing them would
# cost what the cache saves: size and modification time have to do).
CONTENT_KEY_MAX_BYTES = 2 * 1024 * 1024
CACHE_FORMAT = 3  # 3: Tip.search_words


def cache_dir() -> Path:
    if os.environ.get("K8STIP_CACHE_DIR"):
        return Path(os.environ["K8STIP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "k8stip"


def _fingerprint(paths: Sequence[str | Path]) -> tuple[str, int] | None:
    """A key over every YAML file the corpus reads (and, for a small corpus, their contents),
    and their total size."""
    parts = [f"{__version__}:{CACHE_FORMAT}"]
    # The code that builds the index is part of the key too, so an edited checkout never
    # loads an index built by older code: every module of the core (the build is all core
    # code, and which helper a change lands in is easy to get wrong; ~30 stat calls).
    here = Path(__file__).resolve().parent
    for module in sorted(here.glob("*.py")):
        try:
            st = module.stat()
            parts.append(f"{module.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            pass
    total = 0
    found: list[Path] = []
    for p in sorted(Path(x).resolve() for x in paths):
        files = sorted(p.glob("*.y*ml")) + sorted(p.glob("*.json")) if p.is_dir() else [p]
        if p.is_file():
            files.append(p.parent / "topics.yaml")
        for f in files:
            try:
                st = f.stat()
            except OSError:
                continue
            total += st.st_size
            found.append(f)
            parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    digest = hashlib.sha256("\n".join(parts).encode())
    if total < CONTENT_KEY_MAX_BYTES:
        for f in found:
            try:
                digest.update(hashlib.sha256(f.read_bytes()).digest())
            except OSError:
                return None  # changing under us: build, and don't cache
    return digest.hexdigest()[:32], total


def load(paths: Sequence[str | Path]) -> Any:
    """The engine pickled for `paths`, or None (the caller knows its type; this module
    does not import it, so the engine can import the cache without a cycle)."""
    fp = _fingerprint(paths)
    if fp is None:
        return None
    path = cache_dir() / f"engine-{fp[0]}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as e:  # a stale or truncated cache is rebuilt, never fatal
        log.debug("ignoring unreadable corpus cache %s: %s", path, e)
        return None


def store(paths: Sequence[str | Path], engine: Any) -> None:
    fp = _fingerprint(paths)
    if fp is None or engine.corpus.errors:
        return
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("engine-*.pickle"):  # keep one cache per corpus version
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(engine, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"engine-{fp[0]}.pickle")
    except OSError as e:
        log.debug("not caching the corpus index in %s: %s", folder, e)
