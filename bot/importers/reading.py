"""Reading an export from disk: size first, then a peek to recognise it, then all of it.

Every refusal is an `ImportError_` with one line: the file, what is wrong, what to do. Nothing
larger than the format's limit is ever read into memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.importers.errors import ImportError_

MAX_FILES = 10_000  # files looked at in a folder: an export folder, not a whole disk


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as e:
        raise ImportError_(f"{path}: cannot read it ({e.strerror}); check the path") from None


def _decode(path: Path, raw: bytes, *, partial: bool) -> str:
    if b"\x00" in raw[:65536]:
        raise ImportError_(f"{path}: binary data, not a text file; export the page as text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if partial and e.start >= len(raw) - 3:  # a character cut at the end of the peek
            return raw[: e.start].decode("utf-8-sig")
        raise ImportError_(
            f"{path}: not UTF-8 text (byte {e.start}); save or export it as UTF-8 and try again"
        ) from None


def read_head(path: Path, chars: int) -> str:
    """The first `chars` bytes of the file as text, for recognising its format."""
    try:
        with path.open("rb") as f:
            raw = f.read(chars)
    except OSError as e:
        raise ImportError_(f"{path}: cannot read it ({e.strerror}); check the path") from None
    text = _decode(path, raw, partial=True)
    if not text.strip():
        raise ImportError_(f"{path}: the file is empty; export the highlights again")
    return text


def read_text(path: Path, limit: int, what: str = "a highlights export") -> str:
    """The whole file as text, refusing it unread when it is over `limit` bytes."""
    size = size_of(path)
    if size > limit:
        raise ImportError_(
            f"{path}: {size / 2**20:.1f} MB is far larger than {what} "
            f"(limit {limit // 2**20} MB); is this the right file?"
        )
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ImportError_(f"{path}: cannot read it ({e.strerror}); check the path") from None
    text = _decode(path, raw, partial=False)
    if not text.strip():
        raise ImportError_(f"{path}: the file is empty; export the highlights again")
    return text


def files_in(folder: Path) -> Iterator[Path]:
    """Every file under `folder` (hidden ones left out), in a stable order, at most MAX_FILES."""
    seen = 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        seen += 1
        if seen > MAX_FILES:
            raise ImportError_(
                f"{folder}: more than {MAX_FILES:,} files; point k8stip import at the export's "
                "own folder"
            )
        yield path
