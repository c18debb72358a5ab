"""Load tip files and the topic taxonomy, and say precisely what is wrong with them.

`load_corpus(paths)` never raises for a user's mistake. Each problem names the file, the line,
what is wrong and how to fix it; a tip with an error is left out, the rest still load, so one
bad file in `tips/` can't take the bot down (`k8stip validate` exits 1 on any error).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.core.corpus import (
    DISCORD_EMBED_LIMIT,
    ID_RE,
    NOTE_LIMIT,
    SLACK_SECTION_LIMIT,
    TOPICS_FILE,
    URL_RE,
    Corpus,
    Problem,
    Source,
    Tip,
    Topic,
)
from bot.core.yaml_lines import yaml_line_index
from bot.core.yaml_load import load_yaml

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32  # levels of nested lists/mappings; a tip file needs 4
TIP_KEYS = (
    "id",
    "text",
    "topics",
    "chapter",
    "links",
    "curated",
    "notes",
    "note",
    "location",
    "highlighted_at",
    "search_words",
)
_TIP_KEY_SET = frozenset(TIP_KEYS)
MAX_SEARCH_WORDS, MAX_SEARCH_PHRASE = 100, 60  # search words per tip; characters each
_NO_HIGHLIGHT = ("", "", "")
_SPACE_RE = re.compile(r"\s")  # str.isspace, for any character
SOURCE_KEYS = ("id", "title", "authors", "kind", "note", "url", "language")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")
TOPIC_KEYS = ("title", "description", "aliases", "keywords", "related", "concepts", "platform")
Path_ = tuple[str | int, ...]


class _FileProblems:
    """Problems of one file, recorded by key path; line numbers are looked up only if needed."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self.pending: list[tuple[Path_, str, str]] = []

    def add(self, where: Path_, message: str, severity: str = "error") -> None:
        self.pending.append((where, message, severity))

    def resolve(self) -> list[Problem]:
        if not self.pending:
            return []
        lines = yaml_line_index(self.text)
        out = []
        for where, message, severity in self.pending:
            line = 1
            for i in range(len(where), -1, -1):  # the deepest path we know a line for
                if where[:i] in lines:
                    line = lines[where[:i]]
                    break
            out.append(Problem(str(self.path), line, message, severity))
        return out


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _read_yaml(path: Path, problems: list[Problem]) -> tuple[Any, str] | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    str(path),
                    1,
                    f"file is {size // 2**20} MB; split it into files under "
                    f"{MAX_FILE_BYTES // 2**20} MB",
                )
            )
            return None
        raw = path.read_bytes()
    except OSError as e:
        problems.append(Problem(str(path), 1, f"cannot read it ({e.strerror}); check the path"))
        return None
    if b"\x00" in raw[:8192]:
        problems.append(Problem(str(path), 1, "binary file, not YAML; tip files are UTF-8 text"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append(Problem(str(path), 1, f"not UTF-8 text (byte {e.start}); save as UTF-8"))
        return None
    del raw  # 36 MB at 100,000 tips, not needed while the text is parsed
    try:
        data = load_yaml(text)  # PyYAML's data, via rapidyaml when that is certain
    except RecursionError:  # the pure-Python loader has no nesting limit of its own
        problems.append(Problem(str(path), 1, "values nested too deeply; a tip file needs 4"))
        return None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        what = getattr(e, "problem", None) or "not valid YAML"
        problems.append(
            Problem(
                str(path),
                mark.line + 1 if mark else 1,
                f"YAML syntax: {what}; check indentation, and quote text containing ': '",
            )
        )
        return None
    # Aliases need anchors (&name); a tip file rarely has one, and the walk costs ~3 s at
    # 100,000 tips. Deep nesting without aliases is caught in load_corpus.
    shape = _shape_problem(data, text) if "&" in text else None
    if shape:
        problems.append(Problem(str(path), 1, shape))
        return None
    return data, text


def _shape_problem(data: Any, text: str) -> str | None:
    """Why a loaded document can't be processed safely, or None. YAML aliases (`*name`) can
    nest ("billion laughs": a 1 KB file meaning 10**9 values), refer to themselves, or build
    depth without text; the code after this (messages, line lookup) would hang or overflow."""
    sizes: dict[int, int] = {}  # id -> values in this container once aliases are expanded
    heights: dict[int, int] = {}  # id -> nesting levels below and including it
    active: set[int] = set()  # containers being walked: meeting one again is a cycle
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, list | dict):
            continue
        key = id(node)
        children = list(node.values() if isinstance(node, dict) else node)
        if done:
            active.discard(key)
            inner = [c for c in children if isinstance(c, list | dict)]
            sizes[key] = 1 + len(children) - len(inner) + sum(sizes[id(c)] for c in inner)
            heights[key] = 1 + max((heights[id(c)] for c in inner), default=0)
            continue
        if key in sizes:
            continue
        if key in active:
            return "a YAML alias (*name) refers to itself; write the values out instead"
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children)
    root = id(data)
    if heights.get(root, 0) > MAX_DEPTH:
        return f"values nested {heights[root]} levels deep; a tip file needs at most 4"
    if sizes.get(root, 0) > len(text):
        return (
            f"YAML aliases (*name) expand to {sizes[root]:,} values in a {len(text):,}-character "
            "file; write the values out instead of nesting aliases"
        )
    return None


def _expand(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml")))
        elif p.is_file():
            files.append(p)
        else:
            problems.append(
                Problem(str(p), 0, "no such file or folder; give a tip file or a folder of them")
            )
    return files, problems


def load_topics(path: Path, problems: list[Problem]) -> dict[str, Topic]:
    return load_taxonomy(path, problems)[0]


def load_taxonomy(
    path: Path, problems: list[Problem]
) -> tuple[dict[str, Topic], dict[str, tuple[str, ...]], tuple[str, ...]]:
    """A topics file's topics, query expansions (word -> words the tips use), other_subjects."""
    loaded = _read_yaml(path, problems)
    if loaded is None:
        return {}, {}, ()
    data, text = loaded
    expansions: dict[str, tuple[str, ...]] = {}
    raw_exp = data.get("expansions") if isinstance(data, dict) else None
    if isinstance(raw_exp, dict):
        for k, v in raw_exp.items():
            if isinstance(v, list):
                expansions[str(k).lower()] = tuple(str(x).lower() for x in v)
    fp = _FileProblems(path, text)
    topics: dict[str, Topic] = {}
    raw = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        fp.add((), "expected a `topics:` mapping of topic id -> {title, description, aliases}")
        problems.extend(fp.resolve())
        return {}, {}, ()
    for tid, body in raw.items():
        where: Path_ = ("topics", str(tid))
        if not isinstance(tid, str) or not ID_RE.match(tid):
            fp.add(where, f"topic id {tid!r} must be lowercase letters, digits and dashes")
            continue
        if not isinstance(body, dict):
            fp.add(where, "a topic needs `title`, `description` and `aliases`")
            continue
        for key in body:
            if key not in TOPIC_KEYS:
                fp.add((*where, str(key)), f"unknown key `{key}`{_suggest(str(key), TOPIC_KEYS)}")
        title, desc = body.get("title"), body.get("description")
        if not isinstance(title, str) or not title.strip():
            fp.add(where, f"topic `{tid}` has no `title`; add one, e.g. title: {tid.title()}")
        if not isinstance(desc, str) or not desc.strip():
            fp.add(where, f"topic `{tid}` has no one-line `description`; add one")
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("aliases", "keywords", "related", "concepts"):
            value = body.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                fp.add((*where, key), f"`{key}` must be a list of strings, e.g. [{tid}]")
                value = []
            lists[key] = tuple(value)
        platform = body.get("platform", False)
        if not isinstance(platform, bool):
            fp.add((*where, "platform"), "`platform` must be true or false, e.g. platform: true")
            platform = False
        topics[tid] = Topic(
            tid,
            str(title or tid),
            str(desc or ""),
            aliases=lists["aliases"],
            keywords=lists["keywords"],
            related=lists["related"],
            concepts=lists["concepts"],
            platform=platform,
        )
    for tid, t in topics.items():
        for r in t.related:
            if r not in topics:
                fp.add(
                    ("topics", tid, "related"),
                    f"related topic `{r}` is not defined{_suggest(r, topics)}",
                )
    subjects = _subjects(data.get("other_subjects"), fp)
    problems.extend(fp.resolve())
    return topics, expansions, subjects


def _subjects(raw: Any, fp: _FileProblems) -> tuple[str, ...]:
    lists = raw.values() if isinstance(raw, dict) else [raw] if raw is not None else []
    if all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in lists):
        return tuple(x.strip().lower() for v in lists for x in v if x.strip())
    fp.add(("other_subjects",), "`other_subjects` maps a group to a list of names: [etcd]")
    return ()


def _check_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.netloc or "." not in parts.netloc or _SPACE_RE.search(url):
        return "has no valid host or contains spaces"
    return None


def _highlight_fields(item: dict[str, Any], where: Path_, fp: _FileProblems) -> tuple[str, ...]:
    """A tip's reader's note, location and highlight time, as text; problems go to `fp`."""
    note = item.get("note")
    if note is None:
        note = ""
    elif not isinstance(note, str):
        fp.add((*where, "note"), "`note` is the reader's note as text, e.g. note: Try this first")
        note = ""
    elif len(note) > NOTE_LIMIT:
        fp.add(
            (*where, "note"),
            f"note is {len(note)} characters; cards show the first {NOTE_LIMIT}: shorten it",
            "warning",
        )
    location = item.get("location")
    if location is None:
        location = ""
    elif isinstance(location, bool) or not isinstance(location, str | int):
        fp.add((*where, "location"), "`location` is text, e.g. location: page 12")
        location = ""
    at = item.get("highlighted_at")
    stamp = ""
    if isinstance(at, dt.date):  # YAML reads an unquoted 2026-03-14 as a date
        stamp = at.isoformat()
    elif isinstance(at, str) and at.strip():
        try:
            dt.datetime.fromisoformat(at.strip())
            stamp = at.strip()
        except ValueError:
            fp.add(
                (*where, "highlighted_at"),
                f"highlighted_at {at[:40]!r} is not ISO 8601; write e.g. 2026-03-14T09:12:00",
            )
    elif at is not None:
        fp.add((*where, "highlighted_at"), "highlighted_at is ISO 8601, e.g. 2026-03-14")
    return note.strip(), str(location).strip(), stamp


def _search_words(item: dict[str, Any], where: Path_, fp: _FileProblems) -> tuple[str, ...]:
    """A tip's `search_words`, short phrases. A bad entry is a problem, and is left out (they
    only help search: the tip itself loads)."""
    raw, at = item.get("search_words"), (*where, "search_words")
    if not isinstance(raw, list):
        if raw is not None:
            fp.add(at, "`search_words` is a list of words or short phrases: [passwords, api keys]")
        return ()
    kept: list[str] = []
    for entry in raw[:MAX_SEARCH_WORDS]:
        phrase = " ".join(str(entry).split())
        if isinstance(entry, bool) or not isinstance(entry, (str, int, float)):
            fp.add(at, f"{str(entry)[:40]!r} is not a word or phrase")
        elif len(phrase) > MAX_SEARCH_PHRASE:
            fp.add(at, f"{phrase[:40]!r} is over {MAX_SEARCH_PHRASE} characters: fewer words")
        elif phrase:
            kept.append(phrase)
    if len(raw) > MAX_SEARCH_WORDS:
        fp.add(at, f"{len(raw)} search words; the first {MAX_SEARCH_WORDS} are used", "warning")
    return tuple(kept)


def text_too_long(body: str) -> str | None:
    """What `k8stip validate` says of a tip text too long for a chat message, or None."""
    if len(body) <= SLACK_SECTION_LIMIT:
        return None
    limit = min(SLACK_SECTION_LIMIT, DISCORD_EMBED_LIMIT)
    return (
        f"text is {len(body)} characters; a Slack section holds "
        f"{SLACK_SECTION_LIMIT} and a Discord embed {DISCORD_EMBED_LIMIT}: "
        f"shorten it to {limit} or split it"
    )


def text_link_problems(body: str) -> list[str]:
    """What `k8stip validate` says of the malformed links in a tip's text."""
    out: list[str] = []
    for url in URL_RE.findall(body) if "://" in body else ():
        why = _check_url(url)
        if why:
            out.append(f"malformed URL in text {url[:80]!r}: {why}")
    return out


def text_key(body: str) -> str:
    """The text as duplicates are compared (`k8stip validate`'s "same text as tip …")."""
    return _text_key(body)


def _text_key(body: str) -> str:
    """The text as duplicates are compared: lowercase, runs of whitespace as one space."""
    low = body.lower()
    # Most texts are one line with single spaces: then splitting and joining changes nothing
    # (every whitespace character but the space is unprintable), and costs 0.4 s at 100,000.
    if low.isprintable() and "  " not in low and low[:1] != " " and low[-1:] != " ":
        return low
    return " ".join(low.split())


def _load_tip_file(
    path: Path, corpus: Corpus, seen_ids: dict[str, str], seen_text: dict[str, str]
) -> None:
    loaded = _read_yaml(path, corpus.problems)
    if loaded is None:
        return
    data, text = loaded
    fp = _FileProblems(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("tips"), list):
        fp.add(
            (),
            "expected a tip file: a `source:` block and a `tips:` list "
            "(see tips/hands-on-kubernetes-on-azure.yaml)",
        )
        corpus.problems.extend(fp.resolve())
        return
    for key in data:
        if key not in ("source", "tips", "version"):
            fp.add((str(key),), f"unknown top-level key `{key}`; expected source, tips")
    src = data.get("source")
    source_id = path.stem
    if isinstance(src, dict):
        for key in src:
            if key not in SOURCE_KEYS:
                fp.add(
                    ("source", str(key)),
                    f"unknown key `{key}` in source{_suggest(str(key), SOURCE_KEYS)}",
                )
        source_id = str(src.get("id") or path.stem)
        if not src.get("title"):
            fp.add(("source",), "the source has no `title`; name the book or runbook")
        authors = src.get("authors") or []
        language = src.get("language") or ""
        if not isinstance(language, str) or (language and not LANGUAGE_RE.match(language)):
            fp.add(
                ("source", "language"),
                f"language {language!r} is not an ISO 639-1 code; write e.g. language: de",
            )
            language = ""
        corpus.sources[source_id] = Source(
            source_id,
            str(src.get("title") or source_id),
            tuple(str(a) for a in authors) if isinstance(authors, list) else (str(authors),),
            str(src.get("kind") or "book"),
            str(src.get("note") or ""),
            str(src.get("url") or ""),
            language.lower(),
        )
    else:
        fp.add(("source",), "missing `source:` block (id, title, authors); tips need attribution")
        corpus.sources.setdefault(source_id, Source(source_id, source_id))
    known_topics = corpus.topics
    new_tips: list[Tip] = []
    file_name = str(path)  # one string shared by every tip of the file
    # JSON and YAML make a new string for every value: 100,000 tips hold 200,000 copies of a
    # few dozen topic names and as many chapter titles. One of each: 18 MB less to index,
    # pickle and keep.
    shared: dict[str, str] = {}
    items = data["tips"]
    for i, item in enumerate(items):
        items[i] = None  # each parsed tip is freed once it is a Tip: the Tips reuse its memory
        where: Path_ = ("tips", i)
        if not isinstance(item, dict):
            fp.add(where, "each tip is a mapping with id, text and topics")
            continue
        bad = False
        if not _TIP_KEY_SET.issuperset(item):
            for key in item:
                if key not in _TIP_KEY_SET:
                    fp.add((*where, str(key)), f"unknown key `{key}`{_suggest(str(key), TIP_KEYS)}")
        tid = item.get("id")
        if not isinstance(tid, str) or not ID_RE.match(tid):
            fp.add((*where, "id"), f"id {tid!r} must be 1-80 lowercase letters, digits, . _ -")
            bad = True
        elif tid in seen_ids:
            fp.add(
                (*where, "id"),
                f"duplicate id `{tid}` (also in {seen_ids[tid]}); give this tip a new id",
            )
            bad = True
        else:  # taken even if this tip has other errors: a later duplicate is still reported
            seen_ids[tid] = file_name
        body = item.get("text")
        if not isinstance(body, str) or not body.strip():
            fp.add((*where, "text"), "empty text; write the tip or delete the entry")
            bad = True
            body = ""
        else:
            norm = _text_key(body)
            if norm in seen_text:
                fp.add(
                    (*where, "text"), f"same text as tip `{seen_text[norm]}`; delete one of them"
                )
                bad = True
            elif (too_long := text_too_long(body)) is not None:
                fp.add((*where, "text"), too_long)
                bad = True
            else:
                seen_text[norm] = str(tid)
        topics = item.get("topics")
        if topics is None or topics == []:
            # Still a tip: searchable and in rotation; only topic requests can't find it.
            fp.add(
                (*where, "topics"),
                "no topic: the tip is searchable and in rotation, but no topic finds it; "
                "give it at least one topic, e.g. topics: [pods]",
                "warning",
            )
            topics = []
        elif not isinstance(topics, list):
            fp.add((*where, "topics"), "`topics` is a list of topic ids, e.g. topics: [pods]")
            bad = True
            topics = []
        for t in topics:
            if not isinstance(t, str):  # `topics: [[pods]]` must be a problem, not a crash
                fp.add((*where, "topics"), f"topic {t!r} is not a name; write topics: [pods]")
                bad = True
            elif known_topics and t not in known_topics:
                fp.add(
                    (*where, "topics"),
                    f"unknown topic `{t}`{_suggest(str(t), known_topics)} "
                    f"(topics are defined in {TOPICS_FILE})",
                )
                bad = True
        links = item.get("links") or []
        if not isinstance(links, list):
            fp.add((*where, "links"), "`links` must be a list of URLs")
            links = []
        for url in links:
            why = _check_url(str(url))
            if why:
                fp.add((*where, "links"), f"malformed URL {str(url)[:80]!r}: {why}")
                bad = True
        for message in text_link_problems(body):
            fp.add((*where, "text"), message)
        chapter = item.get("chapter")
        number: int | None = None
        title = ""
        if isinstance(chapter, dict):
            n = chapter.get("number")
            number = n if isinstance(n, int) else None
            title = str(chapter.get("title") or "")
        elif isinstance(chapter, str):
            title = chapter
        elif chapter is not None:
            fp.add((*where, "chapter"), "chapter is {number, title} or a plain title string")
        if "note" in item or "location" in item or "highlighted_at" in item:
            note, location, highlighted_at = _highlight_fields(item, where, fp)
        else:
            note, location, highlighted_at = _NO_HIGHLIGHT
        search_words = _search_words(item, where, fp) if "search_words" in item else ()
        if bad:
            continue
        # Positional, in Tip's field order: a third faster than keywords at 100,000 tips.
        new_tips.append(
            Tip._make(
                (
                    str(tid),
                    body.strip(),
                    source_id,
                    # every topic is a str, or the tip is bad
                    tuple([shared.setdefault(t, t) for t in topics]),
                    number,
                    shared.setdefault(title, title),
                    tuple(map(str, links)) if links else (),
                    file_name,
                    0,
                    note,
                    location,
                    highlighted_at,
                    search_words,
                )
            )
        )
    corpus.add_tips(new_tips)
    corpus.problems.extend(fp.resolve())


def load_corpus(paths: Sequence[str | Path], topics_file: Path | None = None) -> Corpus:
    """Load every tip file under `paths` and the taxonomy.

    The taxonomy is the `topics.yaml` found among `paths` (or beside a given file), else
    `topics_file`, else the bundled one.
    """
    files, problems = _expand(paths)
    corpus = Corpus(problems=problems)
    topic_files = [f for f in files if f.name == TOPICS_FILE]
    if not topic_files and topics_file is None:
        beside = {f.parent / TOPICS_FILE for f in files if (f.parent / TOPICS_FILE).is_file()}
        topic_files = sorted(beside) or [bundled_tips_dir() / TOPICS_FILE]
    for tf in topic_files if topics_file is None else [topics_file]:
        topics, expansions, subjects = load_taxonomy(tf, corpus.problems)
        corpus.topics.update(topics)
        corpus.expansions.update(expansions)
        corpus.subjects += subjects
    seen_ids: dict[str, str] = {}
    seen_text: dict[str, str] = {}
    for f in files:
        if f.name != TOPICS_FILE:
            _load_tip_file(f, corpus, seen_ids, seen_text)
    if not corpus.tips and not corpus.errors:
        corpus.problems.append(
            Problem(
                ", ".join(map(str, paths)) or ".",
                0,
                "no tips found; add a tip file (k8stip import …) or point `corpus` at one",
            )
        )
    return corpus


def bundled_tips_dir() -> Path:
    """The tips shipped with k8stip: `tips/` of a source checkout, or the copy in the package."""
    here = Path(__file__).resolve().parent.parent  # the `bot` package
    for candidate in (here.parent / "tips", here / "data" / "tips"):
        if candidate.is_dir():
            return candidate
    return here.parent / "tips"
