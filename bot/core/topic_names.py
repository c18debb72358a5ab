"""Which topic a phrase names: the alias table a request's words are looked up in.

Every topic's id, title and aliases (tips/topics.yaml) are keyed by their stems, and a name of
several words also as one word ("helm chart" as "helmchart"). A phrase several topics list
names, first, the topic it is the name of ("containers", though pods lists it too); then one
that is no vendor's platform ("key vault" is secrets before azure, "azure ad" security); then
the one whose description says more of the phrase's words: "scale to zero" is KEDA
("Kubernetes event-driven autoscaling, down to and up from zero"), which scaling lists as one
of the ways to scale. A tie keeps the taxonomy's order.
"""

from __future__ import annotations

from collections import defaultdict

from bot.core.corpus import Corpus
from bot.core.textnorm import STOPWORDS, normalize, phrase_key, stem, words

Key = tuple[str, ...]


def alias_table(corpus: Corpus) -> tuple[dict[Key, list[str]], set[str]]:
    """Alias phrases (as stem tuples) -> topic ids, the one the phrase names first; and the
    words of every alias (for typo correction)."""
    aliases: dict[Key, list[str]] = defaultdict(list)
    alias_words: set[str] = set()
    own_names: set[tuple[Key, str]] = set()
    spelled: dict[Key, Key] = {}  # "scaletozero": "scale to zero"
    for topic in corpus.topics.values():
        names = (topic.id, topic.id.replace("-", " "), topic.title)
        for phrase in (*names, *topic.aliases):
            parts = [p for w in words(normalize(phrase)) for p in w.replace("-", " ").split()]
            joined = "".join(parts) if len(parts) > 1 else ""
            for key in (phrase_key(phrase), (stem(joined),) if joined else ()):
                if not key:
                    continue
                if topic.id not in aliases[key]:
                    aliases[key].append(topic.id)
                if phrase in names:
                    own_names.add((key, topic.id))
                spelled[key] = phrase_key(phrase)
            alias_words.update(words(normalize(phrase)))
            if joined.isalnum():
                alias_words.add(joined)
    described = {
        t.id: {stem(w) for w in words(normalize(t.description)) if w not in STOPWORDS}
        for t in corpus.topics.values()
    }
    for key, ids in aliases.items():
        said = spelled.get(key, key)

        def named_first(topic: str, key: Key = key, said: Key = said) -> tuple[bool, bool, int]:
            return (
                (key, topic) not in own_names,
                corpus.topics[topic].platform,
                -len(described[topic].intersection(said)),
            )

        ids.sort(key=named_first)  # stable: a tie keeps the taxonomy's order
    return aliases, alias_words
