"""`k8stip export community [-o FILE]`: the community tips (approved suggestions, kept in the
database) written as an ordinary tip file, so a team can commit them beside its other tips.

The file passes `k8stip validate`; loaded beside the database it adds nothing twice (a
community tip's id is the same in both, and the engine keeps the file's copy); `k8stip import`
of it into a tips folder is idempotent (bot/importers/tip_files.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.community import community_document
from bot.importers.output import dump, write_if_changed
from bot.runtime.store import Store

HEADER = (
    "# Written by `k8stip export community`: tips members suggested and admins approved.\n"
    "# Safe to commit beside your other tips; loaded with the database, each tip counts once.\n"
)


def export_community(store: Store, output: str | None) -> int:
    """Write the community tips to `output` (a .yaml file), or print them; exit code."""
    entries = store.community_entries()
    text = dump(community_document(entries), header=HEADER)
    if not output:
        sys.stdout.write(text)
    else:
        target = Path(output)
        if target.is_dir():
            target = target / "community.yaml"
        written = write_if_changed(target, text)
        state = "wrote" if written else "unchanged:"
        sys.stderr.write(f"k8stip export: {state} {len(entries)} community tips in {target}\n")
    return 0
