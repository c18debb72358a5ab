"""`k8stip import` of a k8stip tip file (a `source:` block and a `tips:` list, as
`k8stip export community` writes): taken as it is, ids and topics kept, and folded into OUT
like any import, so importing the same file again changes nothing.

The file must pass `k8stip validate` first: a tip file with errors is refused with the first
of them, nothing is written.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from bot.core.loader import load_corpus
from bot.core.yaml_load import load_yaml
from bot.importers.errors import ImportError_
from bot.importers.output import dump, merge, read_existing, write_if_changed
from bot.importers.reading import read_head

_TOP_KEY_RE = re.compile(r"^(source|tips):", re.M)
SNIFF_CHARS = 64 * 1024


def is_tip_file(path: Path) -> bool:
    """A YAML file whose top level has both `source:` and `tips:`."""
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return False
    head = read_head(path, SNIFF_CHARS)
    return {m.group(1) for m in _TOP_KEY_RE.finditer(head)} == {"source", "tips"}


def _say(line: str) -> None:
    sys.stderr.write(f"k8stip import: {line}\n")


def import_tip_file(path: Path, output: str | None) -> int:
    """Fold the tip file at `path` into `output` (a folder: `<source id>.yaml` in it; a
    .yaml file; None: standard output). Exit code 0; ImportError_ for a file with errors."""
    corpus = load_corpus([path])
    if corpus.errors:
        raise ImportError_(
            f"{corpus.errors[0]} ({len(corpus.errors)} error(s); `k8stip validate {path}` "
            "lists them), nothing was written"
        )
    doc: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"), fast_min_chars=0)
    new = {"source": doc["source"], "tips": doc["tips"]}
    source_id = str(doc["source"].get("id") or path.stem)
    if output is None:
        sys.stdout.write(dump(new))
        return 0
    out = Path(output)
    target = out / f"{source_id}.yaml" if out.is_dir() or not out.suffix else out
    existing = read_existing(target)
    if existing is not None:
        merged_doc, counts = merge(existing, new)
    else:
        merged_doc, counts = new, None
    written = write_if_changed(target, dump(merged_doc))
    tips = len(merged_doc["tips"])
    if counts is None:
        summary = f"{tips} added"
    else:
        summary = f"{counts.added} added, {counts.updated} updated, {counts.kept} kept"
    state = "wrote" if written else "unchanged:"
    _say(f"{path}: a k8stip tip file, {len(new['tips'])} tips; {state} {target} ({summary})")
    return 0
