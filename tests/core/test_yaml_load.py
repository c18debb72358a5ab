"""The fast YAML path (rapidyaml) gives exactly PyYAML's data, or hands the text to PyYAML."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import loader, yaml_load
from bot.core.loader import bundled_tips_dir, load_corpus
from bot.core.yaml_load import load_yaml, parse_fast

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def fast_path_for_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only files over 256 KB take the fast path in use; here every file does."""
    monkeypatch.setattr(yaml_load, "FAST_MIN_CHARS", 0)


def pyyaml(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (True == 1 and 1 == 1.0 don't count)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def fast_or_none(text: str) -> Any:
    try:
        return parse_fast(text)
    except yaml_load._NotCertain:
        return None


@pytest.mark.parametrize("path", sorted(bundled_tips_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_files_can_take_the_fast_path_and_give_pyyamls_data(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = fast_or_none(text)
    assert fast is not None, "the bundled files should not need the slow path"
    assert same(fast, pyyaml(text))
    assert same(load_yaml(text), pyyaml(text))


EDGE_CASES = [
    # booleans, nulls and numbers by YAML 1.1 rules: each plain, then quoted
    "text: no\nb: [yes, on, off, y, n, True, FALSE]",
    "text: 'no'\nb: ['yes', \"on\"]",
    "text: 1.10\nv: '1.10'\nw: \"1.10\"",
    "a: ~\nb: null\nc:\nd: ''\ne: \"\"\nf: Null",
    "a: 12\nb: -1.5\nc: 1.\nd: .5\ne: -.5\nf: 0.0\ng: -0.5",
    "a: 1e3\nb: 1.5e3\nc: 0x1F\nd: 0o17\ne: 012\nf: 1_000\ng: 1:30\nh: 0b101",
    "a: .inf\nb: -.Inf\nc: .nan\nd: inf\ne: NaN\nf: Infinity",
    "a: 2024-01-01\nb: 2001-12-14t21:59:43.10-05:00\nc: '2024-01-01'",
    "1: one\n2.5: two\ntrue: three",
    "a: =\nb: '='",
    # anchors, aliases, merges, tags
    "base: &b {x: 1}\nuse: *b\nmerged:\n  <<: *b\n  y: 2",
    "a: !!str 12\nb: !!int '7'",
    # multi-line strings: literal, folded, chomping, quoted and plain continuations
    "a: |\n  one\n  two\nb: >-\n  folded\n  text\n\n  para\nc: |+\n  keep\n\nd: x",
    "a: 'single\n\n  quoted'\nb: \"double \\\n  escaped\"\nc: plain\n  continued\n\n  next",
    # unicode and escapes
    'a: "caf\\u00e9 \\u2019 \\t \\" \\\\ \\/"\nb: Straße ☸️ 日本語 🔥',
    "a: 'it''s'\nb: \"x\\ty\"",
    # the shapes tip files have
    "source:\n  id: s\ntips:\n- id: a\n  text: The text\n  topics: [pods]\n  links: []\n",
    "tips:\n  - id: a\n    chapter: {number: 3, title: Three}\n    curated: true\n",
    "a: x\na: y",  # a duplicate key: the last one wins in both
    "a: b#c\nd: e # comment\nf: {g:1}\nh: x:y\ni: -x\nj: ?x",
    "---\na: 1\n",
    "a: 1\n...\n",
    "- a\n- b\n",
    "plain scalar",
    "",
    "a: x\r\nb: y\r\n",
    "a: line\u2028sep\nb: nel\x85x",
    "\ufeffa: 1",
    "a:\n\t- x",
    "a: 'tab\there'",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_give_pyyamls_data_or_pyyamls_error(text: str) -> None:
    try:
        expected: Any = pyyaml(text)
    except yaml.YAMLError as e:
        with pytest.raises(type(e)):
            load_yaml(text)
        return
    assert same(load_yaml(text), expected)
    fast = fast_or_none(text)
    assert fast is None or same(fast, expected)


def test_a_tip_text_of_no_or_1_10_stays_what_pyyaml_makes_of_it(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "source: {id: s, title: S}\ntips:\n"
        "- {id: a, text: 'no', topics: [pods]}\n"
        "- {id: b, text: no, topics: [pods]}\n"
        "- {id: c, text: '1.10', topics: [pods]}\n"
        "- {id: d, text: 1.10, topics: [pods]}\n"
    )
    corpus = load_corpus([tmp_path])
    assert [(t.id, t.text) for t in corpus.tips] == [("a", "no"), ("c", "1.10")]
    assert [(p.line, p.message) for p in corpus.errors] == [
        (4, "empty text; write the tip or delete the entry"),
        (6, "empty text; write the tip or delete the entry"),
    ]


BROKEN = [
    "tips:\n- id: a\n  text: 'unclosed\n",
    "tips:\n- id: a\n   text: bad indent\n",
    "tips:\n- id: a\n  text: two: colons\n",
    "tips: [a, b\n",
    "tips:\n- id: a\n  text: @mention\n",
    "tips:\n- id: a\n  text: `tick`\n",
    "tips:\n- id: a\n\ttext: tab\n",
    'tips:\n- id: a\n  text: "bad \\q escape"\n',
    "tips:\n- id: a\n  text: x\n- *missing\n",
    "a: 1\n---\nb: 2\n",
]


@pytest.mark.parametrize("text", BROKEN)
def test_invalid_yaml_gives_the_same_file_line_problems(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t.yaml").write_text(text)
    fast = [str(p) for p in load_corpus([tmp_path]).problems]
    assert capfd.readouterr().err == ""  # ryml's own error print is swallowed
    monkeypatch.setattr(loader, "load_yaml", pyyaml)
    assert fast == [str(p) for p in load_corpus([tmp_path]).problems]
    assert any(": error: " in p for p in fast)


scalars = st.one_of(
    st.text(alphabet="0123456789.-+_:eExXoObB ~nulNULtrfsTRFSyYaA", max_size=12),
    st.sampled_from(["yes", "No", "on", "OFF", "null", "~", "=", "<<", "1.10", "-.5", ".5"]),
    st.text(max_size=30),
)


@SETTINGS
@given(value=scalars, style=st.sampled_from(["", "'", '"', "|", ">"]))
def test_any_scalar_in_any_style_reads_as_pyyaml_reads_it(value: str, style: str) -> None:
    try:
        text = yaml.dump({"k": [value]}, default_style=style or None, allow_unicode=True)
    except yaml.YAMLError:
        return
    for candidate in (text, f"k: {value}\n", f"k: [{value}]\n"):
        try:
            expected = pyyaml(candidate)
        except yaml.YAMLError:
            continue
        fast = fast_or_none(candidate)
        assert fast is None or same(fast, expected), candidate


tip_like = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True),
        "text": st.text(min_size=1, max_size=200),
        "topics": st.lists(st.sampled_from(["pods", "rbac", "no", "1.10"]), max_size=3),
        "chapter": st.one_of(
            st.none(),
            st.integers(-5, 10**12),
            st.floats(allow_nan=False),
            st.fixed_dictionaries({"number": st.integers(0, 40), "title": st.text(max_size=30)}),
        ),
        "curated": st.booleans(),
    }
)


@SETTINGS
@given(
    tips=st.lists(tip_like, max_size=5),
    width=st.sampled_from([40, 80, 200]),
    unicode=st.booleans(),
)
def test_dumped_tip_files_read_as_pyyaml_reads_them(
    tips: list[dict[str, Any]], width: int, unicode: bool
) -> None:
    text = yaml.dump(
        {"source": {"id": "s"}, "tips": tips}, width=width, allow_unicode=unicode, sort_keys=False
    )
    fast = fast_or_none(text)
    assert fast is None or same(fast, pyyaml(text))


def test_a_generated_corpus_over_the_threshold_reads_as_pyyaml_reads_it(tmp_path: Path) -> None:
    from bench.speed import generate

    path = tmp_path / "gen" / "tips.yaml"
    generate(1500, path)
    text = path.read_text(encoding="utf-8")
    assert len(text) > 256 * 1024
    fast = fast_or_none(text)
    assert fast is not None
    assert same(fast, pyyaml(text))
