"""`k8stip import --format highlights`: the blog-post highlights format into corpus YAML."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.importers import build_document
from bot.importers.highlights import parse, stable_id, tip_text
from tests.core_support import (
    CORPUS_FILE,
    ROOT,
    SHARED_SEED,
    TOPICS_YAML,
    engine,
    seed_path,
    seed_text,
)

CHAPTER_TITLES = {
    1: "Introduction to Docker and Kubernetes",
    2: "Kubernetes on Azure (AKS)",
    3: "Application deployment on AKS",
    4: "Building scalable applications",
    5: "Handling common failures in AKS",
    6: "Securing your application with HTTPS and Azure AD",
    7: "Monitoring the AKS cluster and the application",
    8: "Connecting an app to an Azure database",
    9: "Connecting to Azure Event Hubs",
    10: "Securing your AKS cluster",
    11: "Serverless functions",
}
COMMON_ERRORS = [
    "Errors can come in many shapes and forms.",
    "Most of the errors encountered by the deployment team are configuration issues.",
    "Logs are your friends.",
    "Using kubectl exec on a container is a useful debugging tool.",
    "Note that broadly allowing kubectl exec is a serious security risk, as it pretty much lets "
    "the Kubernetes operator do what they want in the Pods they have access to.",
    "Anything printed to stdout and stderr shows up in the logs "
    "(independent of the application/language/logging framework).",
]
SAS_URL = "https://docs.microsoft.com/rest/api/storageservices/delegate-access-with-shared-access-signature"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    document, _ = build_document(seed_text(), TOPICS_YAML)
    return document


@pytest.fixture(scope="module")
def tips(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["tips"])


def _squash(text: str) -> str:
    return " ".join(text.split())


def _find(tips: list[dict[str, Any]], start: str) -> dict[str, Any]:
    found = [t for t in tips if t["text"].startswith(start)]
    assert len(found) == 1, f"expected one tip starting {start!r}, got {len(found)}"
    return found[0]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the real seed ---------------------------------------------------------------------------


def test_fixture_copy_is_the_shared_seed() -> None:
    """The seed copied into tests/fixtures is byte for byte the shared seed when that is present."""
    assert seed_path().read_bytes().startswith(b"AdinErmie.com")
    if SHARED_SEED.is_file():
        assert seed_path().read_bytes() == SHARED_SEED.read_bytes()


def test_seed_has_70_tips_in_11_chapters() -> None:
    """The seed parses into 70 highlights under 11 chapters numbered 1 to 11 with their titles."""
    parsed = parse(seed_text())
    assert len(parsed.highlights) == 70
    assert dict(parsed.chapters) == CHAPTER_TITLES
    per_chapter = {n: sum(h.chapter_number == n for h in parsed.highlights) for n in range(1, 12)}
    assert per_chapter == {1: 5, 2: 0, 3: 10, 4: 4, 5: 4, 6: 2, 7: 14, 8: 2, 9: 1, 10: 23, 11: 5}


def test_every_tip_carries_its_chapter(tips: list[dict[str, Any]]) -> None:
    """Every imported tip names its chapter number and that chapter's exact title."""
    for tip in tips:
        number = tip["chapter"]["number"]
        assert tip["chapter"]["title"] == CHAPTER_TITLES[number]
    assert _find(tips, "Istio is the control plane")["chapter"]["number"] == 10


def test_chapter_two_none_is_not_a_tip(tips: list[dict[str, Any]]) -> None:
    """Chapter 2's lone "None" bullet is a placeholder, reported as skipped, and not a tip."""
    parsed = parse(seed_text())
    assert not [t for t in tips if t["chapter"]["number"] == 2]
    assert not [t for t in tips if t["text"].strip().lower() == "none"]
    assert (31, "placeholder 'None'") in parsed.skipped


def test_page_furniture_is_not_a_tip(tips: list[dict[str, Any]]) -> None:
    """The site banner, the review's prose and "%d bloggers like this:" are not tips."""
    texts = "\n".join(t["text"] for t in tips)
    for noise in (
        "bloggers like this",
        "AdinErmie.com",
        "A site dedicated",
        "Book Review",
        "Recently, I finished reading",
        "here are my highlights",
    ):
        assert noise not in texts
    assert any("bloggers like this" in why for _, why in parse(seed_text()).skipped)


def test_nested_common_errors_list_keeps_every_nested_bullet(tips: list[dict[str, Any]]) -> None:
    """The "common errors" bullet is one tip: its lead sentence, then each nested bullet as is."""
    tip = _find(tips, "The following points summarize some of the common errors")
    lines = tip["text"].split("\n")
    assert lines[0] == (
        "The following points summarize some of the common errors and methods to fix these errors:"
    )
    assert lines[1:] == [f"• {c}" for c in COMMON_ERRORS]
    for child in COMMON_ERRORS:
        assert not [t for t in tips if t["text"].startswith(child)], "nested bullet split off"


def test_nested_probe_bullets_keep_their_words(tips: list[dict[str, Any]]) -> None:
    """The liveness/readiness bullet joins its wrapped lead line and keeps both nested bullets."""
    tip = _find(tips, "Kubernetes uses liveness and readiness probes")
    lines = tip["text"].split("\n")
    assert lines[0] == (
        "Kubernetes uses liveness and readiness probes to monitor the availability of your "
        "applications. Each probe serves a different purpose:"
    )
    assert len(lines) == 3
    assert lines[1].startswith("• A liveness probe monitors the availability of an application")
    assert lines[1].endswith("infinite loops, or just a “stuck” application.")
    assert lines[2].startswith("• A readiness probe monitors when your application becomes")
    assert lines[2].endswith("could become overloaded but recover from the additional load.")


def test_nested_bullet_words_are_findable_by_search() -> None:
    """Words that only appear in a nested bullet find the tip that holds it."""
    e = engine()
    for query, start in (
        ("logs are your friends", "The following points summarize"),
        ("stdout and stderr", "The following points summarize"),
        ("deadlocks infinite loops", "Kubernetes uses liveness and readiness probes"),
    ):
        hits = e.search(query, limit=5).hits
        assert any(h.tip.text.startswith(start) for h in hits), query


def test_wrapped_lines_are_joined_with_one_space(tips: list[dict[str, Any]]) -> None:
    """A bullet wrapped over several lines becomes one paragraph, words joined by single spaces."""
    assert _find(tips, "When a Pod contains multiple")["text"] == (
        "When a Pod contains multiple containers, these containers share the same filesystem, and "
        "the same network namespace. This means that when a container that is part of a Pod writes "
        "a file, other containers in that same Pod can read that file. This also means that all "
        "containers in a Pod can communicate with each other using localhost networking."
    )
    assert _find(tips, "RBAC in Kubernetes is an optional feature.")["text"] == (
        "RBAC in Kubernetes is an optional feature. The default in AKS is to create clusters that "
        "have RBAC enabled. However, by default, the cluster is not integrated with Azure AD. "
        "This means that by default you cannot grant Kubernetes permissions to Azure AD users."
    )
    for tip in tips:
        assert "  " not in tip["text"] and tip["text"] == tip["text"].strip()


def test_kubectl_describe_lines_keep_their_own_lines(tips: list[dict[str, Any]]) -> None:
    """The two `kubectl describe` commands stay on their own lines after the joined note."""
    tip = _find(tips, "Note: You can either use a slash or a space")
    assert tip["text"].split("\n") == [
        "Note: You can either use a slash or a space in between pod and podname. "
        "The following two commands will have the same output:",
        "kubectl describe pod/<pod-name>",
        "kubectl describe pod <pod-name>",
    ]


def test_urls_are_kept_verbatim_and_listed_as_links(tips: list[dict[str, Any]]) -> None:
    """URLs stay verbatim in the text and appear in `links` without trailing punctuation."""
    sts = _find(tips, "A StatefulSet (https://")
    assert "(https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/)" in sts["text"]
    assert sts["links"] == [
        "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/"
    ]
    istio = _find(tips, "Note: If you want more information on the end-to-end security")
    assert istio["links"] == [
        "https://istio.io/docs/concepts/security/#authentication-policies",
        "https://istio.io/docs/concepts/security/#mutual-tls-authentication",
    ]
    kv = _find(tips, "Note: Key Vault FlexVolume")
    assert kv["links"] == ["https://github.com/Azure/kubernetes-keyvault-flexvol"]
    assert _find(tips, "Anywhere between 22%")["links"] == [
        "https://blog.storagecraft.com/data-loss-statistics-infographic/"
    ]
    assert _find(tips, "Microsoft operates Azure Functions")["links"] == [
        "https://github.com/Azure/azure-functions-host"
    ]
    no_url = [t for t in tips if "http" not in t["text"]]
    assert all(t["links"] == [] for t in no_url)


def test_hyphen_broken_sas_url_is_rejoined_in_links(tips: list[dict[str, Any]]) -> None:
    """The SAS URL broken after a hyphen keeps the author's text but is one URL in `links`."""
    tip = _find(tips, "Note: For production use cases, it is not recommended")
    assert "delegate-access-with- shared-access-signature" in tip["text"]
    assert tip["links"] == [
        SAS_URL,
        "https://docs.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory",
    ]


def test_nothing_lost_nothing_invented(tips: list[dict[str, Any]]) -> None:
    """Every line of every chapter is in one tip, and every line of a tip is words of the seed."""
    seed = seed_text()
    body = seed[seed.index("Chapter 1:") :].splitlines()
    flat_tips = [_squash(t["text"].replace("\n• ", " ")) for t in tips]
    for line in body:
        words = _squash(line.strip().removeprefix("•"))
        if not words or words.startswith("Chapter ") or words in ("None", "%d bloggers like this:"):
            continue
        assert any(words in t for t in flat_tips), f"lost: {words[:60]!r}"
    flat_seed = _squash(seed.replace("•", " "))
    for tip in tips:
        for line in tip["text"].split("\n"):
            assert _squash(line.removeprefix("• ")) in flat_seed, f"invented: {line[:60]!r}"


def test_ids_are_stable_unique_and_readable(tips: list[dict[str, Any]]) -> None:
    """Two imports give the same ids; ids are unique and read `hka-cNN-xxxxxx`."""
    again, _ = build_document(seed_text(), TOPICS_YAML)
    assert [t["id"] for t in again["tips"]] == [t["id"] for t in tips]
    ids = [t["id"] for t in tips]
    assert len(set(ids)) == len(ids) == 70
    for tip in tips:
        assert re.fullmatch(rf"hka-c{tip['chapter']['number']:02d}-[0-9a-f]{{6}}", tip["id"])


def test_ids_survive_edits_elsewhere_in_the_file(tips: list[dict[str, Any]]) -> None:
    """A bullet added to the page and re-wrapped lines elsewhere leave other tips' ids unchanged."""
    edited = (
        seed_text()
        .replace(
            "Chapter 1: Introduction to Docker and Kubernetes\n",
            "Chapter 1: Introduction to Docker and Kubernetes\n\n  • A brand new highlight.\n",
        )
        .replace(
            "from a Service, this is the first thing",
            "from a Service, this is the\n    first thing",
        )
    )
    new, _ = build_document(edited, TOPICS_YAML)
    new_ids = [t["id"] for t in new["tips"]]
    assert len(new_ids) == 71
    assert set(new_ids) - {t["id"] for t in tips} == {new["tips"][0]["id"]}


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: t.replace("  •", "\t•").replace("\n    ", "\n\t\t"), id="tabs"),
        pytest.param(lambda t: t.replace("•", "*"), id="asterisks"),
        pytest.param(lambda t: t.replace("•", "-"), id="dashes"),
    ],
)
def test_format_variants_give_the_same_tips(
    variant: Callable[[str], str], tips: list[dict[str, Any]]
) -> None:
    """Windows line ends, tab indents and `*` or `-` bullets give the same tips and ids."""
    document, _ = build_document(variant(seed_text()), TOPICS_YAML)
    assert [(t["id"], t["text"]) for t in document["tips"]] == [(t["id"], t["text"]) for t in tips]


def test_byte_order_mark_is_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file saved with a UTF-8 byte order mark imports exactly like one without."""
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + seed_path().read_bytes())
    code, out, _ = _run(capsys, "import", str(path))
    plain_code, plain, _ = _run(capsys, "import", str(seed_path()))
    assert code == plain_code == 0
    assert out == plain


def test_repeated_highlight_is_imported_once() -> None:
    """The same highlight twice in a chapter becomes one tip, so the output has no duplicate id."""
    bullet = "  • Pods share a network namespace.\n"
    text = "Chapter 1: Pods\n" + bullet + bullet
    document, notes = build_document(text, TOPICS_YAML)
    assert [t["text"] for t in document["tips"]] == ["Pods share a network namespace."]
    assert any("repeated" in n for n in notes)


def test_source_block_names_the_book_and_its_three_authors(doc: dict[str, Any]) -> None:
    """The source block cites "Hands-On Kubernetes on Azure, 2nd ed.", its 3 authors, the review."""
    source = doc["source"]
    assert source["id"] == "hands-on-kubernetes-on-azure"
    assert source["title"] == "Hands-On Kubernetes on Azure, 2nd ed."
    assert source["authors"] == ["Nills Franssens", "Shivakumar Gopalakrishnan", "Gunther Lenz"]
    assert source["kind"] == "book"
    assert "adinermie.com" in source["note"].lower()
    assert "highlights" in source["note"].lower()


def test_every_imported_tip_gets_known_topics(tips: list[dict[str, Any]]) -> None:
    """The importer tags each tip with 1-4 topics from the taxonomy, none `uncategorized`."""
    known = set(yaml.safe_load(TOPICS_YAML.read_text(encoding="utf-8"))["topics"])
    for tip in tips:
        assert 1 <= len(tip["topics"]) <= 4
        assert set(tip["topics"]) <= known, tip["id"]
    assert "keda" in _find(tips, "KEDA is a custom autoscaler")["topics"]
    assert _find(tips, "Base64 encoding isn’t secure")["topics"][0] == "secrets"


def test_bundled_corpus_matches_a_fresh_import(tips: list[dict[str, Any]]) -> None:
    """tips/hands-on-kubernetes-on-azure.yaml holds exactly the seed's tips: ids, text, links."""
    bundled = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
    by_id = {t["id"]: t for t in bundled["tips"]}
    assert set(by_id) == {t["id"] for t in tips}, "tips lost or invented in the bundled corpus"
    assert len(bundled["tips"]) == len(by_id)
    for tip in tips:
        mine = by_id[tip["id"]]
        assert mine["text"] == tip["text"]
        assert mine["chapter"] == tip["chapter"]
        assert mine["links"] == tip["links"]
        assert mine["topics"], tip["id"]
    assert bundled["source"]["title"] == "Hands-On Kubernetes on Azure, 2nd ed."
    assert len(bundled["source"]["authors"]) == 3


# -- re-importing into an edited file -------------------------------------------------------


def test_reimport_keeps_curated_topics_curated_tips_and_extra_tips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-importing into an edited file keeps edited topics, `curated: true` tips and extra tips."""
    out = tmp_path / "book.yaml"
    code, _, err = _run(capsys, "import", str(seed_path()), "--output", str(out))
    assert code == 0 and "wrote 70 tips" in err
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    data["source"]["note"] = "curated note"
    data["tips"][0]["topics"] = ["networking", "pods"]
    data["tips"][0]["notes"] = "kept by hand"
    data["tips"][1]["text"] = "Hand-edited wording."
    data["tips"][1]["curated"] = True
    extra = {"id": "hka-extra-1", "text": "A tip typed by hand.", "topics": ["pods"]}
    data["tips"].append(extra)
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    code, _, err = _run(capsys, "import", str(seed_path()), "--output", str(out))
    assert code == 0
    again = yaml.safe_load(out.read_text(encoding="utf-8"))
    by_id = {t["id"]: t for t in again["tips"]}
    assert len(again["tips"]) == 71
    assert again["source"]["note"] == "curated note"
    first = by_id[data["tips"][0]["id"]]
    assert first["topics"] == ["networking", "pods"] and first["notes"] == "kept by hand"
    assert first["text"].startswith("When a Pod contains multiple containers")
    assert by_id[data["tips"][1]["id"]]["text"] == "Hand-edited wording."
    assert by_id[data["tips"][1]["id"]]["curated"] is True
    assert by_id["hka-extra-1"] == extra
    assert "1 curated kept" in err and "kept tip `hka-extra-1`" in err
    code, _, _ = _run(capsys, "validate", str(out))
    assert code == 0


def test_import_to_stdout_is_valid_corpus_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --output the import prints corpus YAML that `k8stip validate` accepts."""
    code, out, err = _run(capsys, "import", str(seed_path()), "--format", "highlights")
    assert code == 0
    # Chapter 2 holds only a "None" placeholder: 70 highlights in the other 10 chapters.
    assert "parsed 70 highlights in 10 chapters" in err
    target = tmp_path / "printed.yaml"
    target.write_text(out, encoding="utf-8")
    assert len(yaml.safe_load(out)["tips"]) == 70
    assert _run(capsys, "validate", str(target))[0] == 0


# -- malformed input, through the CLI -------------------------------------------------------


def _assert_clean_failure(code: int, out: str, err: str, *expected: str) -> None:
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("k8stip import: ")
    assert len(err.strip().splitlines()) == 1
    for word in expected:
        assert word in err


def test_empty_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty (or blank) file exits 1 saying the file is empty."""
    for content in (b"", b"  \n\n\t\n"):
        path = tmp_path / "empty.txt"
        path.write_bytes(content)
        _assert_clean_failure(*_run(capsys, "import", str(path)), "empty")


def test_no_chapters_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text with bullets but no chapter headings exits 1 showing the expected heading format."""
    path = tmp_path / "notes.txt"
    path.write_text("My notes\n\n  • Pods are small.\n  • Secrets are base64.\n", encoding="utf-8")
    _assert_clean_failure(
        *_run(capsys, "import", str(path), "--format", "highlights"),
        "no chapter headings",
        "Chapter 1:",
    )


def test_binary_garbage_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Binary data (with NUL bytes, or bytes that are not UTF-8) exits 1 naming the problem."""
    path = tmp_path / "garbage.bin"
    path.write_bytes(os.urandom(4096) + b"\x00")
    _assert_clean_failure(*_run(capsys, "import", str(path)), "binary")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Chapter 1: Café\n  - Pods à la carte\n".encode("latin-1"))
    _assert_clean_failure(*_run(capsys, "import", str(latin)), "UTF-8")


def test_source_id_and_topics_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--source-id names the source (and the id prefix); --topics tags from another taxonomy."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(
        "topics:\n"
        "  sharing:\n    title: Sharing\n    description: Things shared.\n"
        "    aliases: [share]\n    keywords: [share, shared]\n",
        encoding="utf-8",
    )
    code, out, _ = _run(
        capsys, "import", str(seed_path()), "--source-id", "team-runbook", "--topics", str(topics)
    )
    assert code == 0
    doc = yaml.safe_load(out)
    assert doc["source"]["id"] == "team-runbook"
    assert all(t["id"].startswith("tr-c") for t in doc["tips"])
    tags = {tuple(t["topics"]) for t in doc["tips"]}
    assert tags == {("sharing",), ("uncategorized",)}
    assert _find(doc["tips"], "When a Pod contains")["topics"] == ["sharing"]


def test_broken_taxonomy_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--taxonomy pointing at a broken taxonomy exits 1 naming its file and line."""
    topics = tmp_path / "topics.yaml"
    topics.write_text("topics:\n  pods: [\n", encoding="utf-8")
    code, out, err = _run(capsys, "import", str(seed_path()), "--taxonomy", str(topics))
    _assert_clean_failure(code, out, err, f"{topics}:", "YAML syntax")


def test_unreadable_existing_output_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An --output file that isn't YAML is not overwritten, and the error says so."""
    out_file = tmp_path / "book.yaml"
    out_file.write_text("tips: [\n", encoding="utf-8")
    code, out, err = _run(capsys, "import", str(seed_path()), "--output", str(out_file))
    _assert_clean_failure(code, out, err, f"{out_file}:2 exists", "nothing was written")
    assert out_file.read_text(encoding="utf-8") == "tips: [\n"
    out_file.write_bytes(b"\xff\xfe\x00binary")
    code, out, err = _run(capsys, "import", str(seed_path()), "--output", str(out_file))
    _assert_clean_failure(code, out, err, "not UTF-8 text", "nothing was written")
    assert out_file.read_bytes() == b"\xff\xfe\x00binary"
    out_file.write_text("tips: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    code, out, err = _run(capsys, "import", str(seed_path()), "--output", str(out_file))
    _assert_clean_failure(code, out, err, "nested too deeply", "nothing was written")


def test_garbage_as_a_process_has_no_traceback(tmp_path: Path) -> None:
    """`python -m bot import` on binary garbage exits 1 with one clear line and no traceback."""
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 64)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert (
        proc.stderr
        == f"k8stip import: {path}: binary data, not a text file; export the page as text\n"
    )


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that doesn't exist exits 1 saying it cannot be read."""
    _assert_clean_failure(*_run(capsys, "import", str(tmp_path / "nope.txt")), "cannot read")


def test_50_mb_file_is_refused_quickly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 50 MB file is refused in well under 5 s without being read into memory."""
    path = tmp_path / "huge.txt"
    block = ("Chapter 1: Big\n" + "  • Pods share a network namespace.\n" * 1000).encode()
    with path.open("wb") as f:
        while f.tell() < 50 * 2**20:
            f.write(block)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        code, out, err = _run(capsys, "import", str(path))
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _assert_clean_failure(code, out, err, "MB", "right file")
    # A hang guard, not a benchmark: reading 50 MB line by line takes minutes on this path.
    assert elapsed < 30
    assert peak < 10 * 2**20


def test_a_megabyte_of_highlights_imports_in_bounded_time() -> None:
    """A 1 MB highlights file (14,000 bullets) imports with one distinct id per tip, and
    without quadratic work (which takes minutes at this size; bench/ prints the real time)."""
    n = 14_000
    text = "Chapter 1: Big\n" + "".join(
        f"  • Pods in group {i} share a network namespace and talk over localhost.\n"
        for i in range(n)
    )
    assert len(text.encode()) > 2**20
    started = time.perf_counter()
    document, _ = build_document(text, TOPICS_YAML)
    elapsed = time.perf_counter() - started
    ids = [t["id"] for t in document["tips"]]
    assert len(ids) == len(set(ids)) == n, "highlights lost or ids reused"
    assert document["tips"][0]["topics"][0] == "pods"
    assert elapsed < 30, f"import took {elapsed:.1f} s"


def test_different_highlights_whose_short_ids_collide_both_stay() -> None:
    """Two different highlights whose 6-digit ids collide both become tips, with distinct ids."""
    a = "Pods in group 3027 share a network namespace."
    b = "Pods in group 6573 share a network namespace."
    assert stable_id("hka", 1, a) == stable_id("hka", 1, b)
    document, _ = build_document(f"Chapter 1: X\n  • {a}\n  • {b}\n", TOPICS_YAML)
    ids = [t["id"] for t in document["tips"]]
    assert [t["text"] for t in document["tips"]] == [a, b]
    assert len(set(ids)) == 2
    assert ids[0] == stable_id("h", 1, a)
    again, _ = build_document(f"Chapter 1: X\n  • {a}\n  • {b}\n", TOPICS_YAML)
    assert [t["id"] for t in again["tips"]] == ids


def test_tip_text_of_a_highlight_without_children_is_its_text() -> None:
    """A highlight without nested bullets reads as its own text, unchanged."""
    h = parse("Chapter 3: X\n  • Setting requests and limits is best practice\n").highlights[0]
    assert tip_text(h) == "Setting requests and limits is best practice"
    assert h.line == 2
