"""Subjects the tips don't cover: a question about one gets "nothing found", not a tip that
shares an everyday word with it.

The taxonomy lists, besides its topics, `other_subjects`: names people type for Kubernetes
kinds, mechanisms, components, tools and cloud features ("daemonset", "pdb", "velero",
"topology spread"). A subject is outside the tips when no word of its name is known to the
corpus (a tip's text or search words, or a topic's name), nor its words written as one: a
runbook that explains DaemonSets makes "daemonset" an ordinary search again, and "node pool"
or "nginx ingress" stay searchable where the tips speak of nodes or ingress. The names outside
are matched against a question's words; the first one found is why nothing is answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.core.textnorm import normalize, phrase_key, stem, words

MAX_SUBJECT_WORDS = 3


def uncovered_subjects(
    names: Iterable[str], known: Callable[[str], bool]
) -> dict[tuple[str, ...], str]:
    """stem key -> name, for each subject outside the tips (see the module docstring)."""
    outside: dict[tuple[str, ...], str] = {}
    for name in names:
        key = phrase_key(name)
        if not key or len(key) > MAX_SUBJECT_WORDS or any(known(s) for s in key):
            continue
        if len(key) > 1 and known(stem("".join(words(normalize(name))))):
            continue  # "cert manager" where the tips write "certmanager"
        outside.setdefault(key, name)
    return outside


def subject_named(outside: dict[tuple[str, ...], str], stems: Sequence[str]) -> str:
    """The first subject outside the tips that `stems` (a question's, in order) name, or ''."""
    if not outside:
        return ""
    for n in range(MAX_SUBJECT_WORDS, 0, -1):
        for i in range(len(stems) - n + 1):
            name = outside.get(tuple(stems[i : i + n]))
            if name is not None:
                return name
    return ""
