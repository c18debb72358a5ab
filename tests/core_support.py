"""Shared helpers for the core tests: where the repo, the tips and the seed highlights are."""

from __future__ import annotations

import functools
from pathlib import Path

from bot.core.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
TIPS_DIR = ROOT / "tips"
CORPUS_FILE = TIPS_DIR / "hands-on-kubernetes-on-azure.yaml"
TOPICS_YAML = TIPS_DIR / "topics.yaml"
SEED_NAME = "000_d5234833712991d5.txt"
# CI clones the repo into a folder with `shared/` beside it; the copy in fixtures is preferred
# so the tests also run from a plain clone.
SHARED_SEED = ROOT.parent / "shared" / "seed" / SEED_NAME
FIXTURE_SEED = ROOT / "tests" / "fixtures" / "highlights-seed.txt"


def seed_path() -> Path:
    """The seed highlights file: the copy in tests/fixtures, else the shared one."""
    return FIXTURE_SEED if FIXTURE_SEED.is_file() else SHARED_SEED


def seed_text() -> str:
    return seed_path().read_text(encoding="utf-8")


@functools.cache
def engine() -> Engine:
    """One engine over the bundled tips, shared by every test (loading it takes ~50 ms)."""
    return Engine.from_paths([TIPS_DIR])
