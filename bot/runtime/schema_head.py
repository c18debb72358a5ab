"""The newest bundled schema revision, read from the migration scripts' text.

Light on purpose (no SQLAlchemy, no Alembic): `k8stip deliver`'s idle check
(`bot/runtime/idle_check.py`) compares it with the database's `alembic_version` before
anything heavy loads, and `bot/runtime/store/migrate.py` uses it to skip Alembic at head.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

VERSIONS_DIR = Path(__file__).resolve().parent / "store" / "migrations" / "versions"


@functools.cache
def text_head() -> str | None:
    """The one revision no script names as its `down_revision`, or None when the scripts
    branch (then only Alembic's rules can say; `migrate.bundled_head` asks it)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(VERSIONS_DIR.glob("*.py")):
        values = module_strings(path, ("revision", "down_revision"))
        if "revision" not in values:
            continue  # __init__.py
        revisions.add(str(values["revision"]))
        down = values.get("down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):  # a merge revision
            parents.update(str(d) for d in down)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def module_strings(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    """The literal values assigned to `names` at the top level of a Python file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in names and node.value:
                    found[target.id] = ast.literal_eval(node.value)
    return found
