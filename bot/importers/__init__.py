"""Importers: external highlight formats -> corpus YAML (`k8stip import PATH --format …`).

Re-importing into an existing file keeps curated work: the existing `source:` block, every
tip's `topics` (and any other key you added), tips marked `curated: true` untouched, and tips
that are in the file but not in the import. What changed is summarised on standard error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.core.corpus import TOPICS_FILE, Problem
from bot.core.loader import bundled_tips_dir, load_topics
from bot.importers.highlights import (
    MAX_INPUT_BYTES,
    ImportError_,
    iter_tips,
    parse,
    slug,
    stable_id,
)
from bot.importers.tagging import Tagger

_ORDINALS = {
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}


def citation_title(title: str) -> str:
    """'Hands-On Kubernetes on Azure, Second Edition' -> 'Hands-On Kubernetes on Azure, 2nd ed.'"""

    def repl(m: re.Match[str]) -> str:
        return f"{_ORDINALS[m.group(1).lower()]} ed."

    return re.sub(r"\b(" + "|".join(_ORDINALS) + r")\s+edition\b", repl, title, flags=re.I)


def read_input(path: Path) -> str:
    """The file's text, or ImportError_ with what to do (too big, binary, not UTF-8, empty)."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ImportError_(f"{path}: cannot read it ({e.strerror})") from None
    if size > MAX_INPUT_BYTES:
        raise ImportError_(
            f"{path}: {size / 2**20:.1f} MB is far larger than a highlights page "
            f"(limit {MAX_INPUT_BYTES // 2**20} MB); is this the right file?"
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ImportError_(f"{path}: binary data, not a text file; export the page as text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(
            f"{path}: not UTF-8 text; save the page as UTF-8 and try again"
        ) from None
    if not text.strip():
        raise ImportError_(f"{path}: the file is empty")
    return text


def build_document(
    text: str, topics_path: Path, source_id: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Parse highlights into a corpus document; returns it and notes for standard error."""
    parsed = parse(text)
    problems: list[Problem] = []
    taxonomy = load_topics(topics_path, problems)
    if problems:
        raise ImportError_("; ".join(str(p) for p in problems))
    title = citation_title(parsed.title) if parsed.title else "Untitled highlights"
    sid = source_id or slug(
        citation_title(parsed.title).split(",")[0] if parsed.title else "highlights"
    )
    prefix = "".join(w[0] for w in sid.split("-") if len(w) > 2)[:6] or "tip"
    source: dict[str, Any] = {"id": sid, "title": title, "authors": parsed.authors, "kind": "book"}
    if parsed.site:
        source["note"] = f"A reader's highlights, from a book review on {parsed.site}"
    tag = Tagger(taxonomy)
    tips = []
    untagged = repeats = 0
    seen: dict[object, str] = {}  # id -> the normalised text it was given for
    for tip in iter_tips(parsed, prefix):
        norm = " ".join(str(tip["text"]).lower().split())
        if seen.get(tip["id"]) == norm:  # the same highlight twice in a chapter: one tip
            repeats += 1
            continue
        if tip["id"] in seen:  # two different highlights whose short ids collide
            chapter = tip["chapter"]["number"]  # type: ignore[index]  # built by iter_tips
            tip["id"] = stable_id(prefix, chapter, str(tip["text"]), digits=12)
        seen[tip["id"]] = norm
        topics = tag(str(tip["text"]))
        if not topics:
            untagged += 1
            topics = ["uncategorized"]
        tips.append(
            {
                "id": tip["id"],
                "chapter": tip["chapter"],
                "text": tip["text"],
                "topics": topics,
                "links": tip["links"],
            }
        )
    notes = [f"parsed {len(parsed.highlights)} highlights in {len(parsed.chapters)} chapters"]
    notes += [f"line {line}: skipped {why}" for line, why in parsed.skipped]
    if repeats:
        notes.append(f"skipped {repeats} highlight(s) repeated word for word in the same chapter")
    if untagged:
        notes.append(
            f"{untagged} tip(s) matched no topic and are tagged `uncategorized`: "
            "give them topics before `k8stip validate` passes"
        )
    return {"source": source, "tips": tips}, notes


def merge(existing: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Fold a fresh import into an existing (possibly hand-edited) corpus document."""
    old_tips = {t.get("id"): t for t in existing.get("tips") or [] if isinstance(t, dict)}
    merged, kept_curated, updated = [], 0, 0
    for tip in new["tips"]:
        old = old_tips.pop(tip["id"], None)
        if old is None:
            merged.append(tip)
        elif old.get("curated"):
            merged.append(old)
            kept_curated += 1
        else:
            # The import owns text, chapter and links; the curator owns topics and extra keys.
            merged.append(
                {**tip, **{k: v for k, v in old.items() if k not in ("text", "chapter", "links")}}
            )
            updated += 1
    extra = list(old_tips.values())
    merged.extend(extra)
    source = existing.get("source") if isinstance(existing.get("source"), dict) else new["source"]
    notes = [
        f"merged into the existing file: {len(new['tips']) - updated - kept_curated} new, "
        f"{updated} refreshed (topics kept), {kept_curated} curated kept as they were, "
        f"{len(extra)} kept that the import doesn't have"
    ]
    notes += [f"kept tip `{t.get('id')}` (not in this import)" for t in extra]
    return {"source": source, "tips": merged}, notes


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(doc: dict[str, Any]) -> str:
    header = (
        "# Generated by `k8stip import`; safe to edit. Re-importing keeps your topics, extra\n"
        "# keys, tips marked `curated: true` and tips the import doesn't have.\n"
    )
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def run_import(args: argparse.Namespace) -> int:
    path = Path(args.path)
    topics_path = Path(args.topics) if args.topics else bundled_tips_dir() / TOPICS_FILE
    try:
        doc, notes = build_document(read_input(path), topics_path, args.source_id)
    except ImportError_ as e:
        sys.stderr.write(f"k8stip import: {e}\n")
        return 1
    out = Path(args.output) if args.output else None
    if out is not None and out.exists():
        try:
            existing = yaml.safe_load(out.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as e:
            # One line: PyYAML's own message spans several, with a caret diagram.
            mark = getattr(e, "problem_mark", None)
            where = f"{out}:{mark.line + 1}" if mark else str(out)
            why = getattr(e, "problem", None) or getattr(e, "strerror", None)
            if why is None:
                why = "nested too deeply" if isinstance(e, RecursionError) else "not UTF-8 text"
            sys.stderr.write(
                f"k8stip import: {where} exists but can't be read as YAML ({why}); "
                "fix or move it, nothing was written\n"
            )
            return 1
        if isinstance(existing, dict):
            doc, more = merge(existing, doc)
            notes += more
    text = dump(doc)
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        notes.append(f"wrote {len(doc['tips'])} tips to {out}")
    for note in notes:
        sys.stderr.write(f"k8stip import: {note}\n")
    return 0
