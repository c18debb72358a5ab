"""The browser suite needs Debian's Chromium and says how to get it: a missing browser fails
the run (a skip would let broken pages through CI unnoticed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import require_chromium


def test_a_missing_chromium_fails_with_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        require_chromium(tmp_path / "chromium")
    assert "apt-get install chromium" in str(failed.value)
    assert str(tmp_path / "chromium") in str(failed.value)
