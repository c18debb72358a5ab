"""`k8stip import PATH [--format …] [-o OUT] [--topics T,…] [--taxonomy FILE] [--source-id ID]`.

read -> recognise -> parse into `Book`s -> tip documents -> fold into OUT -> write -> report.
Everything that can fail (unreadable input, a broken taxonomy, an OUT file that is not a tip
file) fails before the first file is written, with one line on standard error.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.corpus import TOPICS_FILE, Problem, Topic
from bot.core.loader import bundled_tips_dir, load_topics
from bot.importers import registry
from bot.importers.books import BookDocument, TipMaker, TopicNames, book_id, texts_in
from bot.importers.errors import ImportError_
from bot.importers.model import Book, Parser, Skip, SkipReason
from bot.importers.output import Merged, dump, merge, read_existing, write_if_changed
from bot.importers.reading import files_in, read_head, read_text
from bot.importers.tip_files import import_tip_file, is_tip_file

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SHOWN_WHERE = 3  # locations listed per skip reason
SHOWN_EXTRA = 5  # ids listed of tips kept that the import doesn't have
_LABELS = {SkipReason.DUPLICATE: "duplicate (repeated word for word)"}


class UsageError(ImportError_):
    """An option is wrong (exit 2)."""


@dataclass
class Found:
    """The books of one input file."""

    path: Path
    parser: Parser
    books: list[Book]


@dataclass
class Plan:
    """One tip file to write (or print)."""

    made: BookDocument
    target: Path | None
    placeholder: bool = False  # the format tags a tip no topic fits `uncategorized`
    text: str = ""
    tips: int = 0
    merged: Merged = field(default_factory=Merged)


def _say(line: str) -> None:
    sys.stderr.write(f"k8stip import: {line}\n")


def _taxonomy(args: argparse.Namespace) -> tuple[dict[str, Topic], list[str]]:
    """The taxonomy, and the topic names `--topics` gave. `--topics FILE.yaml` is the old
    spelling of `--taxonomy FILE.yaml`: it still works, with a note."""
    path = Path(args.taxonomy) if args.taxonomy else None
    names = [n.strip() for n in (args.topics or "").split(",") if n.strip()]
    if (
        len(names) == 1
        and names[0].endswith((".yaml", ".yml"))
        and Path(names[0]).is_file()
        and path is None
    ):
        note = f"--topics {names[0]} is deprecated: use --taxonomy {names[0]}"
        _say(f"{note} (--topics now names topics)")
        path, names = Path(names[0]), []
    problems: list[Problem] = []
    topics = load_topics(path or bundled_tips_dir() / TOPICS_FILE, problems)
    if problems:
        raise ImportError_("; ".join(str(p) for p in problems))
    return topics, names


def _extra_topics(names: Sequence[str], topics: dict[str, Topic]) -> list[str]:
    import difflib

    named = TopicNames(topics)
    found: list[str] = []
    for name in names:
        tid = named(name)
        if tid is None:
            close = difflib.get_close_matches(name.lower(), list(topics), n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise UsageError(
                f"--topics: unknown topic `{name}`; {hint}(`k8stip topics` lists them)"
            )
        if tid not in found:
            found.append(tid)
    return found


def _recognise(path: Path, forced: str, parsers: Sequence[Parser]) -> Parser:
    head = read_head(path, registry.SNIFF_CHARS)
    known = ", ".join(registry.names(parsers))
    if forced == "auto":
        parser = registry.detect(head, path.name, parsers)
        if parser is None:
            raise ImportError_(
                f"{path}: not a highlights export k8stip recognises; it reads {known} "
                "(pass --format NAME if the file is one of them)"
            )
        return parser
    parser = registry.by_name(forced, parsers)
    if parser is None:
        raise UsageError(f"--format {forced}: unknown format; k8stip reads {known}")
    if not registry.detect(head, path.name, [parser]):
        other = registry.detect(head, path.name, parsers)
        if other is not None:
            raise ImportError_(
                f"{path}: this looks like a {other.name} export, not {forced}; "
                f"drop --format or pass --format {other.name}"
            )
    return parser


def _read(path: Path, forced: str, parsers: Sequence[Parser]) -> Found:
    parser = _recognise(path, forced, parsers)
    text = read_text(path, registry.max_bytes(parser), f"a {parser.name} export")
    try:
        books = parser.parse(text, str(path))
    except ImportError_:
        raise
    except Exception as e:  # a parser's bug is one line too, never a traceback
        raise ImportError_(
            f"{path}: the {parser.name} reader failed ({type(e).__name__}); "
            "please report it with a sample of the file"
        ) from None
    if not any(b.highlights for b in books):
        raise ImportError_(
            f"{path}: no {parser.name} highlights found in it; check the file or --format"
        )
    return Found(path, parser, books)


def _inputs(path: Path, forced: str, parsers: Sequence[Parser]) -> list[Found]:
    if not path.is_dir():
        return [_read(path, forced, parsers)]
    found: list[Found] = []
    for file in files_in(path):
        try:
            found.append(_read(file, forced, parsers))
        except UsageError:
            raise
        except ImportError_ as e:
            _say(f"skipped {e}")
    if not found:
        raise ImportError_(
            f"{path}: no file in it holds highlights k8stip reads "
            f"({', '.join(registry.names(parsers))}); check the folder"
        )
    return found


def _group(found: list[Found], source_id: str | None) -> dict[str, tuple[Book, Found]]:
    """Books by id. The same book from two files (clippings and a notebook) is one book."""
    books = [(b, f) for f in found for b in f.books if b.highlights]
    if source_id and len(books) > 1:
        raise UsageError(
            f"--source-id names one book, and the input holds {len(books)}; leave it out"
        )
    grouped: dict[str, tuple[Book, Found]] = {}
    for book, f in books:
        bid = source_id or book_id(book, f.path.name)
        if bid in grouped:
            first, where = grouped[bid]
            book = Book(
                first.title,
                first.authors or book.authors,
                first.highlights + book.highlights,
                first.skipped + book.skipped,
                first.language or book.language,
                first.asin or book.asin,
                first.note or book.note,
            )
            f = where
        grouped[bid] = (book, f)
    return grouped


def _targets(out: Path | None, ids: list[str]) -> list[Path | None]:
    if out is None:
        if len(ids) > 1:
            raise UsageError(
                f"the input holds {len(ids)} books; pass -o DIR to write one tip file per book"
            )
        return [None]
    if out.suffix in (".yaml", ".yml") and not out.is_dir():
        if len(ids) > 1:
            raise UsageError(
                f"the input holds {len(ids)} books and {out} is one file; "
                "pass a directory to -o to write one tip file per book"
            )
        return [out]
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out}: exists and is not a folder or a .yaml file")
    return [out / f"{bid}.yaml" for bid in ids]


def _report_book(made: BookDocument, untagged_placeholder: bool) -> None:
    _say(
        f"“{made.title}” ({made.source_id}): parsed {made.highlights} highlights "
        f"in {made.chapters} chapters, {len(made.doc['tips'])} tips"
    )
    by_reason: dict[SkipReason, list[Skip]] = {}
    for skip in made.skipped:
        by_reason.setdefault(skip.reason, []).append(skip)
    for reason, skips in by_reason.items():
        where = "; ".join(s.where for s in skips[:SHOWN_WHERE])
        more = f"; and {len(skips) - SHOWN_WHERE} more" if len(skips) > SHOWN_WHERE else ""
        _say(f"skipped {len(skips)} {_LABELS.get(reason, str(reason))}: {where}{more}")
    if made.untagged and untagged_placeholder:
        _say(
            f"{made.untagged} tip(s) matched no topic and are tagged `uncategorized`: "
            "give them topics before `k8stip validate` passes"
        )
    elif made.untagged:
        _say(
            f"{made.untagged} tip(s) matched no topic: they are searchable and in rotation; "
            "give them topics by hand or with --topics (`k8stip validate` lists them)"
        )


def _report_write(plan: Plan, written: bool) -> None:
    m = plan.merged
    tips = plan.tips
    counts = f"{m.added} added, {m.updated} updated, {m.kept} kept"
    if m.curated:
        counts += f" ({m.curated} curated kept as they were)"
    if written:
        _say(f"wrote {tips} tips to {plan.target}: {counts}")
    else:
        _say(f"{plan.target} unchanged: {tips} tips, {counts}")
    for tid in m.extra[:SHOWN_EXTRA]:
        _say(f"kept tip `{tid}` (not in this import)")
    if len(m.extra) > SHOWN_EXTRA:
        _say(f"and {len(m.extra) - SHOWN_EXTRA} more tips not in this import, kept")


def import_books(args: argparse.Namespace, parsers: Sequence[Parser]) -> int:
    path = Path(args.path)
    if args.format == "auto" and is_tip_file(path):  # already a tip file: kept as it is
        return import_tip_file(path, args.output)
    topics, names = _taxonomy(args)
    maker = TipMaker(topics, _extra_topics(names, topics))
    found = _inputs(Path(args.path), args.format, parsers)
    grouped = _group(found, args.source_id)
    out = Path(args.output) if args.output else None
    targets = _targets(out, list(grouped))
    # Tips already in the other files of an output folder (not `topics.yaml`, not ours).
    folder = out if out is not None and out.is_dir() else None
    others = sorted(p for p in folder.glob("*.y*ml") if p.name != "topics.yaml") if folder else []
    parsed: dict[Path, Any] = {}  # each file of the folder, read once
    existing_texts = texts_in(others, parsed)
    plans: list[Plan] = []
    for (bid, (book, f)), target in zip(grouped.items(), targets, strict=True):
        placeholder = registry.PLACEHOLDER_TOPICS.get(f.parser.name, ())
        made = maker.document(book, bid, str(f.path), placeholder, existing_texts, target)
        plan = Plan(made, target, bool(placeholder))
        doc = made.doc
        existing = read_existing(target, parsed) if target is not None else None
        if existing is not None:
            doc, plan.merged = merge(existing, doc)
        else:
            plan.merged.added = len(doc["tips"])
        plan.text, plan.tips = dump(doc), len(doc["tips"])
        plans.append(plan)
    # Everything is read and checked: only now is anything written.
    for f in found:
        _say(f"{f.path}: {f.parser.name}, {len(f.books)} book(s)")
    totals = Counter[str]()
    for plan in plans:
        _report_book(plan.made, plan.placeholder)
        if plan.target is None:
            sys.stdout.write(plan.text)
        else:
            _report_write(plan, write_if_changed(plan.target, plan.text))
        totals.update(added=plan.merged.added, updated=plan.merged.updated, kept=plan.merged.kept)
        totals.update(skipped=len(plan.made.skipped))
    _say(
        f"{len(plans)} book(s): {totals['added']} tips added, {totals['updated']} updated, "
        f"{totals['kept']} kept, {totals['skipped']} skipped"
    )
    return EXIT_OK


def run_import(args: argparse.Namespace, parsers: Sequence[Parser] = registry.PARSERS) -> int:
    """The `k8stip import` command: exit 0, 1 for input it can't import, 2 for a wrong option."""
    try:
        return import_books(args, parsers)
    except UsageError as e:
        _say(str(e))
        return EXIT_USAGE
    except ImportError_ as e:
        _say(str(e))
        return EXIT_FAILED
