"""Suggested tips: the checks a member's suggestion passes before it is queued for review, and
the "Community" tips approved suggestions become.

A suggestion is checked with the rules `k8stip validate` applies to a tip file (length and
links come from `bot.core.loader`, so both say the same thing), plus two of its own: it must
read as a sentence (not emoji or a single word), and it must not repeat a tip the corpus has
(the refusal shows that tip). Its topics are topic ids, titles or aliases; an unknown one is
refused with the closest names.

Approved suggestions become tips of the source `community` (bot/core/community.py);
`with_community` merges them into a corpus.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.core.community import COMMUNITY_SOURCE, CommunityEntry
from bot.core.corpus import Corpus, Tip, Topic
from bot.core.loader import text_key, text_link_problems, text_too_long
from bot.core.textnorm import phrase_key

MAX_PENDING = 5  # pending suggestions per member
MIN_WORDS = 4  # a tip is a sentence: "Use kubectl rollout undo." has four words
TOPIC_SEPARATOR = "|"  # `suggest <text> | topic …`
_WORD_RE = re.compile(r"[^\W_]{2,}")  # a word of letters or digits: emoji and marks are not
_LOOSE_RE = re.compile(r"[^\w]+")


class SuggestionRefused(Exception):
    """A suggestion that cannot be queued: `message` says why and what to do; `tip` is the
    tip it repeats, when that is the reason."""

    def __init__(self, message: str, tip: Tip | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tip = tip


@dataclass(frozen=True)
class Suggested:
    """A suggestion that passed the checks: its text as it will be shown, and topic ids."""

    text: str
    topics: tuple[str, ...]


def split_topics(words: str) -> tuple[str, str]:
    """`"<text> | topic …"` -> (text, topics); the topics part is "" without a `|`."""
    text, sep, topics = words.rpartition(TOPIC_SEPARATOR)
    return (text, topics) if sep else (words, "")


def loose_key(text: str) -> str:
    """The words of `text`, lowercase, without punctuation: "Use X." repeats "use x"."""
    return " ".join(_LOOSE_RE.sub(" ", text.lower()).split())


class DuplicateFinder:
    """Which tip of a corpus a text repeats (case, spacing and punctuation aside)."""

    def __init__(self, tips: Iterable[Tip]) -> None:
        self.by_key: dict[str, Tip] = {}
        for tip in tips:
            self.by_key.setdefault(loose_key(tip.text), tip)

    def repeats(self, text: str) -> Tip | None:
        return self.by_key.get(loose_key(text))


def check_text(text: str) -> str:
    """The suggestion's text, trimmed, or SuggestionRefused saying what to fix."""
    body = " ".join(text.split())
    if not body:
        raise SuggestionRefused("Write the tip after the command.")
    too_long = text_too_long(body)
    if too_long is not None:
        raise SuggestionRefused(f"The tip is too long: {too_long}.")
    if len(_WORD_RE.findall(body)) < MIN_WORDS:
        raise SuggestionRefused(
            f"A tip is a sentence of at least {MIN_WORDS} words that teaches one thing; "
            "write it out in words."
        )
    links = text_link_problems(body)
    if links:
        raise SuggestionRefused(f"Fix the link: {links[0]}.")
    return body


def check_topics(names: Sequence[str], topics: Mapping[str, Topic]) -> tuple[str, ...]:
    """Topic ids for `names` (each a topic's id, title or alias, as written in topics.yaml),
    or SuggestionRefused naming the unknown one and the closest topics. No guessing: a tip's
    topics decide which requests find it, so a typo is asked about, not corrected."""
    known: dict[tuple[str, ...], str] = {}
    for t in topics.values():
        for name in (t.id, t.id.replace("-", " "), t.title, *t.aliases):
            known.setdefault(phrase_key(name), t.id)
    found: list[str] = []
    for name in names:
        tid = known.get(phrase_key(name))
        if tid is None:
            close = difflib.get_close_matches(name.lower(), list(topics), n=3, cutoff=0.6)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise SuggestionRefused(
                f"Unknown topic “{name[:40]}”.{hint} The topics command lists them all."
            )
        if tid not in found:
            found.append(tid)
    return tuple(found)


def check_suggestion(
    text: str,
    topic_names: Sequence[str],
    corpus: Corpus,
    duplicates: DuplicateFinder,
) -> Suggested:
    """Everything a suggestion must pass before it is queued; SuggestionRefused otherwise."""
    body = check_text(text)
    same = duplicates.repeats(body)
    if same is not None:
        raise SuggestionRefused("That tip is already in k8stip:", tip=same)
    return Suggested(body, check_topics(topic_names, corpus.topics))


def with_community(base: Corpus, entries: Iterable[CommunityEntry]) -> Corpus:
    """`base` and the community tips it does not already hold (the same id or the same text:
    an exported community file loaded beside the database). Topics unknown to `base`'s
    taxonomy are dropped from a tip rather than the tip. `base` is not changed."""
    seen_text = {text_key(t.text) for t in base.tips} if base.tips else set()
    extra: list[Tip] = []
    for entry in entries:
        tip = entry.tip()
        key = text_key(tip.text)
        if tip.id in base.by_id or key in seen_text:
            continue
        seen_text.add(key)
        known = tuple(t for t in tip.topics if t in base.topics)
        extra.append(tip._replace(topics=known) if known != tip.topics else tip)
    sources = dict(base.sources)
    if extra:
        sources.setdefault(COMMUNITY_SOURCE.id, COMMUNITY_SOURCE)
    return Corpus(
        tips=[*base.tips, *extra],
        sources=sources,
        topics=base.topics,
        problems=base.problems,
        expansions=base.expansions,
        subjects=base.subjects,
    )


# -- what members and admins read ------------------------------------------------------------

REVIEW_LISTED = 5  # suggestions per review list: three buttons each fit every platform
PREVIEW_CHARS = 200  # how much of a suggestion a list or notice shows
TOO_MANY_PENDING = (
    "You have {n} suggested tips waiting for review, the most at once; suggest more once an "
    "admin has reviewed them."
)
ALREADY_PENDING = "The same tip was suggested already (#{id}) and waits for review."
QUEUED = "Thanks{name}! Your tip (#{id}) waits for an admin's review."
QUEUED_NEXT = (
    "You'll hear by direct message when it is approved (it then joins the Community tips, "
    "credited to you by name) or not."
)
NOTHING_PENDING = "No suggested tips wait for review."
NO_SUCH = "There is no suggested tip #{id}; the review command lists the waiting ones."


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A suggestion's first `limit` characters on one line, cut at a word."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return (flat[:limit].rsplit(" ", 1)[0] or flat[:limit]) + "…"


def topics_note(topics: Sequence[str]) -> str:
    return f"Topics: {', '.join(topics)}" if topics else "Topics: none yet (an admin can add them)"


def decided_line(status: str, by_name: str, at: date | None) -> str:
    """How an already-decided suggestion is reported: "approved by Bo on 2026-12-01"."""
    when = f" on {at.isoformat()}" if at else ""
    return f"{status} by {by_name or 'an admin'}{when}"
