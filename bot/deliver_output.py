"""What `k8stip deliver` prints after its pass: one line per post, the counts, and why due
posts are still open (`waiting_notes`). Plain text; the `--json` form is the results' own."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, TextIO

__all__ = ["print_results", "waiting_notes"]


def waiting_notes(left: Mapping[str, tuple[int, int]], platforms: Collection[str]) -> list[str]:
    """Why due posts are still open after a pass. `left` is
    `Store.open_deliveries_by_platform`: platform -> (open, held by a live claim)."""
    notes = []
    missing = {p: n for p, (n, _) in sorted(left.items()) if p not in platforms and n}
    if missing:
        names = ", ".join(missing)
        notes.append(
            f"{sum(missing.values())} due post(s) are for platforms without credentials here "
            f"({names}; see k8stip status); they wait for a process that has them"
        )
    held = sum(h for p, (_, h) in left.items() if p in platforms)
    if held:
        notes.append(
            f"{held} due post(s) are held by another process, which is posting them "
            "(if it died, the next pass takes them over once its lease runs out)"
        )
    return notes


def print_results(results: Sequence[Any], out: TextIO) -> None:
    if not results:
        out.write("nothing due\n")
        return
    for r in results:
        where = f"{r.platform}:{r.workspace + '/' if r.workspace else ''}{r.channel}"
        extra = f"  ({r.error})" if r.error else ""
        out.write(f"{r.status:<8} {where}  {r.local_date}  {r.tip_id or '-'}{extra}\n")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.write(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "\n")
