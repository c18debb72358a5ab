"""Any input is safe: the engine, the highlights parser and the tip loader never raise for it."""

from __future__ import annotations

import json
import math
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.corpus import Problem
from bot.core.engine import Engine
from bot.core.loader import load_corpus
from bot.core.textnorm import MAX_QUERY_CHARS
from bot.importers.highlights import ImportError_, iter_tips, links_in, parse
from tests.core_support import TOPICS_YAML, engine

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NASTY = [
    "",
    " ",
    "\t\n\r ",
    "x" * 10_000,
    "secrets " * 1_250,
    "🔥🚀 secrets 🤖",
    "☸️",
    "سر كوبرنيتس secrets",
    "שלום עולם",
    "\u202eterces\u202c",
    "\"secrets\" 'rbac' `helm` “pods” ‘svc’",
    "'; DROP TABLE tips; --",
    'secrets* OR "pods" NEAR/3 NOT helm^2 AND (rbac',
    "MATCH tips AGAINST ('x' IN BOOLEAN MODE)",
    ".*(a+)+$[\\d{1,99999}]\\",
    "(?P<x>secrets)|\\1|[^]",
    "\x00\x01\x1b[31msecrets\x7f\x9b",
    "\ud800secrets\udfff",
    "\u200b\u200csecrets\u200d\ufeff",
    "s\u0301e\u0301c\u0301r\u0301e\u0301t\u0301s\u0301",
    "@everyone",
    "@here <@U123> <!channel> <#C1|general>",
    "%s %d {0} {query} ${HOME} $(rm -rf /)",
    "<script>alert(1)</script>",
    "secert" * 50,
    "- - - -",
    "ǅǈǋ ﬁ ＳＥＣＲＥＴＳ",
    "\u0000" * 500,
]

queries = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60).map(lambda s: s + " secrets"),
    st.lists(
        st.sampled_from(
            [
                "secrets",
                "cm",
                "helm",
                "chart",
                "pods",
                "the",
                "how",
                "ns",
                "rbac",
                "kubectl",
                "secert",
                "'",
                '"',
                "*",
                "(",
                "OR",
                "🔥",
                "java",
            ]
        ),
        max_size=12,
    ).map(" ".join),
    st.tuples(st.sampled_from(NASTY), st.text(max_size=50)).map("".join),
)


def _well_formed_hits(e: Engine, hits: list[Any], limit: int) -> None:
    assert len(hits) <= max(limit, 0)
    scores = []
    for hit in hits:
        assert isinstance(hit.score, float) and math.isfinite(hit.score) and hit.score >= 0
        assert e.corpus.by_id[hit.tip.id] is hit.tip
        scores.append(hit.score)
    assert scores == sorted(scores, reverse=True)
    assert len({h.tip.id for h in hits}) == len(hits)


@SETTINGS
@given(query=queries, limit=st.integers(min_value=-2, max_value=60))
@example(query="x" * 10_000, limit=5)
@example(query="@everyone", limit=5)
@example(query="CM:CM:PO:0BAC:0", limit=27)  # the platform penalty once took a score below 0
def test_search_never_raises_and_is_well_formed(query: str, limit: int) -> None:
    """search(any text, any limit) returns <= limit distinct corpus tips with finite scores."""
    e = engine()
    result = e.search(query, limit=limit)
    _well_formed_hits(e, result.hits, limit)
    assert [c.tip_id for c in result.cards] == [h.tip.id for h in result.hits]
    assert isinstance(result.message, str) and 0 < len(result.message) < 500
    assert "\x00" not in result.message and "\ud800" not in result.message
    if not result.hits:
        assert result.suggestions and set(result.suggestions) <= set(e.corpus.topics)
    json.dumps(result.hits_json(), ensure_ascii=False).encode("utf-8")
    result.render_text().encode("utf-8")


@SETTINGS
@given(
    query=queries,
    seed=st.integers(min_value=0, max_value=2**32),
    excluded=st.sets(st.sampled_from(sorted(engine().corpus.by_id)), max_size=70),
)
def test_tip_never_raises_and_is_well_formed(query: str, seed: int, excluded: set[str]) -> None:
    """tip(any text) returns a corpus tip with its card, or None with a message and suggestions."""
    e = engine()
    answer = e.tip(query, rng=random.Random(seed), exclude=excluded)
    if answer.tip is None:
        assert answer.card is None and answer.tip_json() is None
        assert isinstance(answer.message, str) and 0 < len(answer.message) < 500
        assert answer.suggestions and set(answer.suggestions) <= set(e.corpus.topics)
    else:
        assert e.corpus.by_id[answer.tip.id] is answer.tip
        assert answer.card is not None and answer.card.tip_id == answer.tip.id
        score = answer.card.score
        assert score is None or (isinstance(score, float) and math.isfinite(score))
        json.dumps(answer.tip_json(), ensure_ascii=False).encode("utf-8")
    assert set(answer.topics) <= set(e.corpus.topics)
    answer.render_text().encode("utf-8")


@SETTINGS
@given(query=queries)
def test_understand_never_raises_and_is_bounded(query: str) -> None:
    """Reading a request gives known topics, indexed terms and a coverage between 0 and 1."""
    e = engine()
    u = e.index.understand(query)
    assert len(u.text) <= MAX_QUERY_CHARS
    assert set(u.topics) <= set(e.corpus.topics)
    assert len(u.topics) == len(set(u.topics))
    assert set(u.terms) <= set(e.index.postings)
    assert 0.0 <= u.coverage <= 1.0
    assert not u.topic_only or u.topics


@SETTINGS
@given(names=st.lists(queries, max_size=5))
def test_resolve_topics_never_raises(names: list[str]) -> None:
    """Every name given is either resolved to a known topic or returned as unknown."""
    e = engine()
    found, unknown = e.resolve_topics(names)
    assert set(found) <= set(e.corpus.topics)
    assert len(found) == len(set(found))
    assert all(u in names for u in unknown)
    assert len(unknown) <= len(names)


# -- the highlights parser ------------------------------------------------------------------

highlight_lines = st.one_of(
    st.sampled_from(
        [
            "Chapter 1: Pods",
            "Chapter 12 - Secrets",
            "chapter 3",
            "Ch. 4. Helm",
            "Chapter 999: big",
            "  • Pods share a network namespace.",
            "  • None",
            "    • nested bullet text",
            "      deeper wrapped text",
            "    wrapped continuation",
            "    kubectl describe pod <pod-name>",
            "  - see https://example.com/a-",
            "    b-c/d.",
            "%d bloggers like this:",
            "Share this:",
            "Book Review: A Book, Second Edition",
            "Recently, I read it by Ann Author, Bob Builder, and Cy Clone.",
            "1.",
            "  1) numbered highlight",
            "\t•\ttabbed bullet",
            "",
        ]
    ),
    st.text(max_size=80),
)
highlight_docs = st.one_of(
    st.lists(highlight_lines, max_size=40).map("\n".join),
    st.text(max_size=2000),
    st.binary(max_size=500).map(lambda b: b.decode("utf-8", errors="surrogateescape")),
)


@SETTINGS
@given(text=highlight_docs)
def test_highlights_parser_raises_only_its_import_error(text: str) -> None:
    """parse(any text) either raises ImportError_ with a message or returns well-formed tips."""
    try:
        parsed = parse(text)
    except ImportError_ as e:
        assert str(e)
        return
    assert parsed.chapters
    for h in parsed.highlights:
        assert h.text.strip() and h.line >= 1
        assert isinstance(h.chapter_number, int)
    for tip in iter_tips(parsed, "t"):
        assert str(tip["text"]).strip()
        assert isinstance(tip["links"], list)
        assert all(str(u).startswith(("http://", "https://")) for u in tip["links"])


@SETTINGS
@given(text=st.text(max_size=300))
def test_links_are_urls_found_in_the_text(text: str) -> None:
    """links_in returns http(s) URLs, each once, each starting where the text has one."""
    found = links_in(text)
    assert len(found) == len(set(found))
    for url in found:
        assert url.startswith(("http://", "https://"))
        assert not any(c.isspace() for c in url)
        assert url[:12] in text


# -- the tip loader (what `k8stip validate` runs) -------------------------------------------

_TMP = Path(tempfile.mkdtemp(prefix="k8stip-props-"))


@pytest.fixture(scope="module", autouse=True)
def _cleanup_tmp() -> Iterator[None]:
    yield
    shutil.rmtree(_TMP, ignore_errors=True)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["pods", "secrets", "hka-c01-216abf", "https://x.io/a", "htp://", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)
tip_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(values, st.sampled_from(["a", "b", "a"])),
        "text": st.one_of(values, st.sampled_from(["Pods are small.", "pods are  small."])),
        "topics": st.one_of(
            values, st.lists(st.one_of(st.sampled_from(["pods", "secert", ""]), values))
        ),
        "links": values,
        "chapter": values,
        "curated": values,
        "topcis": values,
    },
)
tip_docs = st.one_of(
    st.fixed_dictionaries(
        {"tips": st.one_of(st.lists(st.one_of(tip_like, values), max_size=4), values)},
        optional={
            "source": st.one_of(
                values,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "id": values,
                        "title": values,
                        "authors": values,
                        "kind": values,
                        "url": values,
                    },
                ),
            ),
            "version": values,
            "extra": values,
        },
    ),
    values,
)


def _assert_problems_well_formed(problems: list[Problem], path: Path) -> None:
    for p in problems:
        assert p.file == str(path) or p.file.startswith(str(_TMP))
        assert isinstance(p.line, int) and p.line >= 0
        assert p.message and "Traceback" not in p.message
        assert len(str(p).splitlines()) == 1, str(p)  # one problem, one printed line


@SETTINGS
@given(doc=tip_docs)
@example(doc={"tips": [{"id": "a", "text": "Pods.", "topics": [["pods"], {"a": 1}]}]})
@example(doc={"tips": [{"id": "a", "text": "Pods.", "topics": ["pods"], "links": [[1], None]}]})
@example(doc={"source": {"authors": {"a": 1}}, "tips": [{"chapter": {"number": True}}]})
def test_loader_never_raises_on_any_yaml_document(doc: Any) -> None:
    """Any YAML document as a tip file loads without raising: tips or one-line problems."""
    path = _TMP / "doc.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    corpus = load_corpus([path], topics_file=TOPICS_YAML)
    _assert_problems_well_formed(corpus.problems, path)
    for tip in corpus.tips:
        # A tip may have no topic (a warning); any topic it has is a known one.
        assert tip.text.strip() and set(tip.topics) <= set(corpus.topics)


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_loader_never_raises_on_any_bytes(raw: bytes) -> None:
    """Any bytes as a tip file or as the taxonomy load without raising."""
    path = _TMP / "raw.yaml"
    path.write_bytes(raw)
    corpus = load_corpus([path], topics_file=TOPICS_YAML)
    _assert_problems_well_formed(corpus.problems, path)
    as_topics = load_corpus([path], topics_file=path)
    _assert_problems_well_formed(as_topics.problems, path)


topic_docs = st.one_of(
    values,
    st.fixed_dictionaries(
        {
            "topics": st.one_of(
                values,
                st.dictionaries(
                    st.one_of(st.sampled_from(["pods", "Bad Id", "x"]), st.integers()),
                    st.one_of(
                        values,
                        st.fixed_dictionaries(
                            {},
                            optional={
                                k: values
                                for k in (
                                    "title",
                                    "description",
                                    "aliases",
                                    "keywords",
                                    "related",
                                    "alias",
                                )
                            },
                        ),
                    ),
                    max_size=3,
                ),
            )
        },
        optional={"expansions": values, "version": values},
    ),
)


@SETTINGS
@given(doc=topic_docs)
@example(doc={"topics": {"pods": {"title": "P", "description": "d", "related": [["x"]]}}})
def test_taxonomy_loader_never_raises_on_any_yaml_document(doc: Any) -> None:
    """Any YAML document as topics.yaml loads without raising, and an engine can be built on it."""
    path = _TMP / "topics.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    corpus = load_corpus([path])
    _assert_problems_well_formed(corpus.problems, path)
    e = Engine(corpus)
    e.search("pods x")
    e.tip("pods", rng=random.Random(0))
