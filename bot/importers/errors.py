"""The one exception an importer raises for input it cannot use."""

from __future__ import annotations


class ImportError_(Exception):
    """The input cannot be imported; the message says why and what to do (one line)."""
