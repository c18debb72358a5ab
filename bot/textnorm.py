"""Turning text into comparable terms: normalise, tokenise, stem.

Used for both tips and queries so they meet in the same form. Anything a user can type goes
through `normalize` first: it bounds the length, drops control characters and folds Unicode,
so later stages only see short lowercase text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

MAX_QUERY_CHARS = 300  # a question longer than this is trimmed, not rejected

_stemmer = snowballstemmer.stemmer("english")
_TOKEN_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)

# Words that carry no meaning in a request for a tip ("tell me about secrets").
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    itself just me more most my myself no nor not of off on once only or other our ours out
    over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself tip tips tell show give explain
    want need please get got know learn one something thing things way ways k8s kubernetes
    use uses using used let lets let's i'm im via vs versus like should shall may might must
    turn make makes made go goes going anyone somebody someone stuff""".split()
)


def normalize(text: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """NFKC-fold, drop control/format characters, collapse whitespace, lowercase, bound length."""
    text = text[: max_chars * 4]
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text
    )
    return " ".join(text.lower().split())[:max_chars]


def words(text: str) -> list[str]:
    """Lowercase word tokens of already-normalised text. Hyphen/apostrophe words stay whole."""
    return [w.replace("’", "'") for w in _TOKEN_RE.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """English Snowball stem of one lowercase word; 'secrets' -> 'secret'."""
    if "-" in word:
        return "-".join(stem(p) for p in word.split("-"))
    return str(_stemmer.stemWord(word.replace("'", "")))


def terms(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Stemmed terms of `text` (normalised here), for indexing and querying."""
    out = []
    for w in words(normalize(text, max_chars=100_000)):
        if drop_stopwords and w in STOPWORDS:
            continue
        out.append(stem(w))
        if "-" in w:  # "pod-eviction-timeout" is also "pod", "eviction", "timeout"
            out.extend(stem(p) for p in w.split("-") if p and p not in STOPWORDS)
    return out


def phrase_key(text: str) -> tuple[str, ...]:
    """A phrase as a tuple of stems, stopwords kept: 'Role Bindings' -> ('role', 'bind')."""
    out: list[str] = []
    for w in words(normalize(text)):
        out.extend(stem(p) for p in w.replace("-", " ").split())
    return tuple(out)
