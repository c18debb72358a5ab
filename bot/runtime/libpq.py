"""A read-only question to PostgreSQL through libpq itself, for `k8stip deliver`'s idle check.

Why not psycopg: `import psycopg` alone executes about 0.56 G instructions (it builds a few
hundred exception classes and imports asyncio), twice what the whole idle answer on SQLite
costs; SQLAlchemy on top makes it 1.3 G. The libpq that psycopg drives (the copy its binary
wheel bundles, or the system's) is already on the machine: loading it with `ctypes` and making
eleven documented, decades-stable calls (`PQconnectdbParams` … `PQfinish`) costs 0.02 G. It is
the same C library, so it connects exactly as the full path does: the same keywords, the same
`PG*` environment variables, `~/.pgpass`, service files, sslmode and Kerberos. Nothing here
speaks the wire protocol. `bench/bench_pg_idle.py` compares the options side by side.

Every value comes back as text (as SQLite hands the idle check its columns); NULL is None.
Any failure (no libpq found, cannot connect, an SQL error) raises `LibpqError`, whose text is
never shown to anyone: the caller takes the full path, which reports an outage properly.
"""

from __future__ import annotations

import ctypes
import importlib.util
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

Row = tuple[str | None, ...]
Query = Callable[[str, Sequence[str]], list[Row]]

CONNECTION_OK = 0  # ConnStatusType
PGRES_COMMAND_OK, PGRES_TUPLES_OK = 1, 2  # ExecStatusType
STATEMENT_TIMEOUT_MS = 5000
# The system library's names, tried when no psycopg binary wheel bundles one.
SYSTEM_NAMES = ("libpq.so.5", "libpq.5.dylib", "libpq.dll")


class LibpqError(Exception):
    """libpq could not be loaded, could not connect, or a statement failed."""


def bundled_paths() -> list[Path]:
    """The libpq files a psycopg binary wheel ships beside `psycopg_binary` (found without
    importing it): `psycopg_binary.libs/libpq-<hash>.so.5.*` on Linux (auditwheel) and
    Windows (delvewheel), `psycopg_binary/.dylibs/libpq.5.dylib` on macOS (delocate)."""
    if importlib.util.find_spec("psycopg_c") is not None:
        return []  # psycopg's C build links the system's libpq, and psycopg prefers it
    spec = importlib.util.find_spec("psycopg_binary")
    if spec is None or not spec.submodule_search_locations:
        return []
    package = Path(next(iter(spec.submodule_search_locations)))
    found = [*(package.parent / "psycopg_binary.libs").glob("libpq*")]
    found += (package / ".dylibs").glob("libpq*")
    return sorted(found)


def load() -> ctypes.CDLL:
    """The libpq psycopg uses, with the signatures of the calls made here declared (a call
    with an undeclared signature would pass pointers as 32-bit ints)."""
    lib: ctypes.CDLL | None = None
    for candidate in [*map(str, bundled_paths()), *SYSTEM_NAMES]:
        try:
            lib = ctypes.CDLL(candidate)
            break
        except OSError:
            continue
    if lib is None:
        raise LibpqError("no libpq found")
    ptr, text, num = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    texts = ctypes.POINTER(ctypes.c_char_p)
    signatures: dict[str, tuple[list[type], type | None]] = {
        "PQconnectdbParams": ([texts, texts, num], ptr),
        "PQstatus": ([ptr], num),
        "PQerrorMessage": ([ptr], text),
        # conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, format
        "PQexecParams": ([ptr, text, num, ptr, texts, ptr, ptr, num], ptr),
        "PQresultStatus": ([ptr], num),
        "PQresultErrorMessage": ([ptr], text),
        "PQntuples": ([ptr], num),
        "PQnfields": ([ptr], num),
        "PQgetisnull": ([ptr, num, num], num),
        "PQgetvalue": ([ptr, num, num], text),
        "PQclear": ([ptr], None),
        "PQfinish": ([ptr], None),
    }
    for name, (args, result) in signatures.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:  # a libpq older than 9.0
            raise LibpqError(f"libpq has no {name}") from None
        fn.argtypes, fn.restype = args, result
    return lib


def _texts(values: Sequence[str | None]) -> ctypes.Array[ctypes.c_char_p]:
    """A NULL-terminated `const char *const *`."""
    encoded = [None if v is None else v.encode() for v in values]
    return (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)


@contextmanager
def read_only(params: Mapping[str, str]) -> Iterator[Query]:
    """A connection made with libpq keywords `params`, inside one REPEATABLE READ, READ ONLY
    transaction (every query sees one snapshot, and none can write) where no statement runs
    longer than `STATEMENT_TIMEOUT_MS`; yields `query(sql, args)` with `$1`-style placeholders
    and text arguments. Rolled back and closed on exit."""
    lib = load()
    # The session's output encoding and date format are fixed here, whatever the server's
    # defaults: values are decoded as UTF-8 and dates and timestamps read as ISO 8601.
    keys = _texts([*params, "client_encoding"])
    values = _texts([*params.values(), "UTF8"])
    conn = lib.PQconnectdbParams(keys, values, 0)
    if not conn:
        raise LibpqError("out of memory")
    try:
        if lib.PQstatus(conn) != CONNECTION_OK:
            raise LibpqError((lib.PQerrorMessage(conn) or b"").decode(errors="replace"))

        def query(sql: str, args: Sequence[str] = ()) -> list[Row]:
            arg_values = _texts(args)
            res = lib.PQexecParams(conn, sql.encode(), len(args), None, arg_values, None, None, 0)
            if not res:
                raise LibpqError((lib.PQerrorMessage(conn) or b"").decode(errors="replace"))
            try:
                if lib.PQresultStatus(res) not in (PGRES_COMMAND_OK, PGRES_TUPLES_OK):
                    message = lib.PQresultErrorMessage(res) or b""
                    raise LibpqError(message.decode(errors="replace"))
                width = lib.PQnfields(res)
                return [
                    tuple(
                        None if lib.PQgetisnull(res, r, c) else lib.PQgetvalue(res, r, c).decode()
                        for c in range(width)
                    )
                    for r in range(lib.PQntuples(res))
                ]
            finally:
                lib.PQclear(res)

        query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # ISO dates whatever the server's DateStyle; a read held up (behind a migration's
        # table lock, say) gives up and leaves the question to the full pass.
        query(
            "SELECT set_config('DateStyle', 'ISO, YMD', true), "
            "set_config('statement_timeout', $1, true)",
            [f"{STATEMENT_TIMEOUT_MS}"],
        )
        try:
            yield query
        finally:
            query("ROLLBACK")
    finally:
        lib.PQfinish(conn)
