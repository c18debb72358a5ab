"""Turning text into comparable terms: normalise, tokenise, stem.

Used for both tips and queries so they meet in the same form. Anything a user can type goes
through `normalize` first: it bounds the length, drops control characters and folds Unicode,
so later stages only see short lowercase text.
"""

from __future__ import annotations

import re
import unicodedata

import Stemmer  # PyStemmer: the Snowball stemmers in C

MAX_QUERY_CHARS = 300  # a question longer than this is trimmed, not rejected

_stemmer = Stemmer.Stemmer("english")
# Control, format (zero-width, bidi) and separator characters, and lone surrogates (from
# undecodable command-line bytes; they can't be encoded as UTF-8): all become spaces.
_INVISIBLE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
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
    text = unicodedata.normalize("NFKC", text[: max_chars * 4])
    return " ".join(_INVISIBLE_RE.sub(" ", text).lower().split())[:max_chars]


def words(text: str) -> list[str]:
    """Lowercase word tokens of already-normalised text. Hyphen/apostrophe words stay whole."""
    return [w.replace("’", "'") for w in _TOKEN_RE.findall(text)]


_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """English Snowball stem of one lowercase word; 'secrets' -> 'secret'."""
    s = _STEMS.get(word)
    if s is None:
        if "-" in word:
            s = "-".join(stem(p) for p in word.split("-"))
        else:
            s = str(_stemmer.stemWord(word.replace("'", "")))
        if len(_STEMS) < 200_000:  # bounded: queries can bring any number of new words
            _STEMS[word] = s
    return s


# ASCII text as words and spaces: A-Z lowered, letters, digits, `-` and `'` kept, the rest
# (`_` too, as `[^\W_]` says) a space.
_ASCII_WORD_BYTES = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c in b"-'") else 32
    for c in range(256)
)
# A `-` or `'` that does not join two words: only then does splitting at spaces differ from
# `_TOKEN_RE` ("--", "x- y", "'quoted'").
_LOOSE_JOINS = ("--", "-'", "'-", "''", " -", "- ", " '", "' ")


def _ascii_words(text: str) -> list[str]:
    """`_TOKEN_RE.findall(text.lower())` for ASCII text, three times faster: split at spaces."""
    spaced = text.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii")
    if ("-" in spaced or "'" in spaced) and (
        spaced.startswith(("-", "'"))
        or spaced.endswith(("-", "'"))
        or any(j in spaced for j in _LOOSE_JOINS)
    ):
        return _TOKEN_RE.findall(spaced)
    return spaced.split()


def plain_stems(words: list[str]) -> list[str]:
    """`[stem(w) for w in words]` for words without a `-`: one call into PyStemmer, and
    `stem`'s cache stays for requests (indexing 100,000 tips stems 100,000 words once each)."""
    stems: list[str] = _stemmer.stemWords([w.replace("'", "") for w in words])
    return stems


def raw_words(text: str) -> list[str]:
    """Lowercase words of a tip's text (fast path for indexing; no length bound)."""
    if text.isascii():
        return _ascii_words(text)
    if "'" not in text:  # ASCII but for typographic apostrophes: common in English prose
        plain = text.replace("’", "'")  # NFKC leaves both as they are
        if plain.isascii():
            return [w.replace("'", "’") if "'" in w else w for w in _ascii_words(plain)]
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).lower())


def terms(text: str) -> list[str]:
    """Stemmed content terms of a tip's text, for indexing (and of a request, for ranking)."""
    return terms_of(raw_words(text))


def terms_of(tokens: list[str]) -> list[str]:
    """Stemmed content terms of `raw_words` output."""
    out = []
    for w in tokens:
        if w in STOPWORDS:
            continue
        if "-" in w:  # "pod-eviction-timeout" is also "pod", "eviction", "timeout"
            out.append(stem(w))
            out.extend(stem(p) for p in w.split("-") if p and p not in STOPWORDS)
        else:
            out.append(stem(w.replace("’", "'")))
    return out


# ISO 639-1 -> PyStemmer's Snowball algorithm. A language missing here (or from the PyStemmer
# build) is matched word for word, as typed.
_SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "eo": "esperanto",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_AVAILABLE = frozenset(Stemmer.algorithms())
_OTHER_STEMMERS: dict[str, Stemmer.Stemmer | None] = {}
_OTHER_STEMS: dict[tuple[str, str], str] = {}


def language_key(language: str) -> str:
    """The primary subtag of a source's language ('de-AT' -> 'de'); '' for English or none."""
    key = language.strip().lower().replace("_", "-").split("-")[0]
    return "" if key in ("", "en") else key


def has_stemmer(language: str) -> bool:
    """Whether PyStemmer stems `language` (ISO 639-1); English always."""
    key = language_key(language)
    return not key or _SNOWBALL.get(key, "") in _AVAILABLE


def stem_in(word: str, language: str) -> str:
    """`word`'s stem in `language`; the word as typed when PyStemmer has no stemmer for it."""
    key = language_key(language)
    if not key:
        return stem(word)
    if key not in _OTHER_STEMMERS:
        name = _SNOWBALL.get(key, "")
        _OTHER_STEMMERS[key] = Stemmer.Stemmer(name) if name in _AVAILABLE else None
    stemmer = _OTHER_STEMMERS[key]
    if stemmer is None:
        return word
    s = _OTHER_STEMS.get((key, word))
    if s is None:
        s = "-".join(str(stemmer.stemWord(p)) for p in word.replace("'", "").split("-"))
        if len(_OTHER_STEMS) < 200_000:
            _OTHER_STEMS[(key, word)] = s
    return s


def foreign_term(word: str, language: str) -> str:
    """The index term of a word of a tip in another language than English: its stem in that
    language, tagged with the language ('de:geheimnis') so it never mixes with English stems."""
    return f"{language_key(language)}:{stem_in(word, language)}"


def foreign_terms(tokens: list[str], language: str) -> list[str]:
    """`terms_of` for the words of a tip written in `language` (not English)."""
    out = []
    for w in tokens:
        w = w.replace("’", "'")
        if w in STOPWORDS:  # English words in the text ("the", "kubernetes") still mean nothing
            continue
        out.append(foreign_term(w, language))
        if "-" in w:
            out.extend(foreign_term(p, language) for p in w.split("-") if p)
    return out


def phrase_key(text: str) -> tuple[str, ...]:
    """A phrase as a tuple of stems, stopwords kept: 'Role Bindings' -> ('role', 'bind')."""
    out: list[str] = []
    for w in words(normalize(text)):
        out.extend(stem(p) for p in w.replace("-", " ").split())
    return tuple(out)
