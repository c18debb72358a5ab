"""`k8stip export history`: every channel's daily deliveries, for a spreadsheet.

One row per delivery that ended (sent, skipped, failed, paused), oldest first within each
channel, with its tip's source, chapter and text from the corpus as it is now ("" for a tip
no longer there) and the channel's vote counts on that tip. CSV or JSON, to standard output
or a file, written as the rows stream from the database (a ledger of millions of rows is never
held whole).

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a
formula: every such text cell of the CSV gets a leading ' (the JSON keeps values as they are).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, TextIO

from bot.app import EXIT_OK, database_key, open_store, setup_logging
from bot.config import Config
from bot.core.corpus import Corpus
from bot.core.engine import Engine
from bot.runtime.store import FINAL_STATUSES
from bot.runtime.store.engine import reaching
from bot.runtime.store.posts import PostRow

EXIT_USAGE = 2

COLUMNS = (
    "platform",
    "workspace",
    "channel",
    "local_date",
    "posted_at",
    "tip_id",
    "source",
    "chapter",
    "text",
    "status",
    "useful",
    "not_useful",
    "knew_it",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_rows(posts: Iterable[PostRow], corpus: Corpus) -> Iterator[dict[str, Any]]:
    """The export's rows: one mapping per delivery, keys in `COLUMNS` order."""
    for p in posts:
        tip = corpus.by_id.get(p.tip_id) if p.tip_id else None
        yield {
            "platform": p.platform,
            "workspace": p.workspace,
            "channel": p.channel,
            "local_date": p.local_date.isoformat(),
            "posted_at": p.posted_at.isoformat() if p.posted_at else "",
            "tip_id": p.tip_id or "",
            "source": corpus.source_title(tip) if tip else "",
            "chapter": tip.chapter if tip else "",
            "text": tip.text if tip else "",
            "status": str(p.status),
            "useful": p.useful,
            "not_useful": p.not_useful,
            "knew_it": p.knew_it,
        }


def inert(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a leading ' before a formula start."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """The rows as CSV (a header first), formula-looking cells made inert; how many rows."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    n = 0
    for n, row in enumerate(rows, start=1):  # noqa: B007 (n is the count afterwards)
        writer.writerow({k: inert(v) for k, v in row.items()})
    return n


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """The rows as one JSON array, an object per line, written as they come; how many."""
    n = 0
    out.write("[")
    for n, row in enumerate(rows, start=1):
        out.write(("," if n > 1 else "") + "\n  " + json.dumps(row, ensure_ascii=False))
    out.write("\n]\n" if n else "]\n")
    return n


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    write_csv(rows, out)
    return out.getvalue()


def parse_since(value: str | None) -> date | None:
    """`--since` as a date; ValueError saying what is expected."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        wanted = "--since takes a date as YYYY-MM-DD, e.g. 2026-11-01"
        raise ValueError(f"{wanted} (got {value!r})") from None


def export_history(config: Config, args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since)
    except ValueError as e:
        sys.stderr.write(f"k8stip export history: {e}\n")
        return EXIT_USAGE
    setup_logging(config, args)
    engine = Engine.from_config(config)
    write = write_json if args.format == "json" else write_csv
    store = open_store(config)
    try:
        with reaching(config.database, database_key(config)):
            rows = export_rows(
                store.export_posts(args.channel, since, FINAL_STATUSES), engine.corpus
            )
            if args.output:
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    n = write(rows, out)
                sys.stderr.write(f"wrote {n} deliveries to {args.output}\n")
            else:
                write(rows, sys.stdout)
    finally:
        store.close()
    return EXIT_OK
