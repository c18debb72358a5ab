"""The README's promises: its two commands, its config and environment tables, its links."""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from bot.config import ENV_VARS, Config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _config_keys(model: type[Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    hints = get_type_hints(model)
    for name in (f.name for f in fields(model)):
        if name == "source":  # set by load_config, not a key users write
            continue
        ann: Any = hints[name]
        nested = ann if isinstance(ann, type) and is_dataclass(ann) else None
        if nested is not None and name != "subscriptions":
            keys |= _config_keys(nested, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def _table_first_column(heading: str) -> set[str]:
    section = README.split(heading, 1)[1].split("\n#", 1)[0]
    cells = re.findall(r"^\| ([^|]+) \|", section, flags=re.M)
    names: set[str] = set()
    for cell in cells:
        names.update(re.findall(r"`([^`]+)`", cell))
    return names


def test_readme_opens_with_exactly_two_commands_run_and_test() -> None:
    """Before the first section, the README holds two shell blocks: run the bot, run the tests."""
    head = README.split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", head, flags=re.S)
    assert len(blocks) == 2
    run, test = (b.strip() for b in blocks)
    assert "\n" not in run and "\n" not in test, "each is one copy-paste line"
    assert run.endswith("k8stip run") and "requirements.lock" in run
    assert test.endswith("python -m pytest") and "requirements-dev.lock" in test


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls the README's test command verbatim."""
    head = README.split("\n## ", 1)[0]
    test = re.findall(r"```sh\n(.*?)```", head, flags=re.S)[1].strip()
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_config_key_is_in_the_readme_table_and_no_other() -> None:
    """The configuration table lists exactly the keys the config model accepts."""
    documented = {k.removesuffix("[]") for k in _table_first_column("## Configuration")}
    assert documented == _config_keys(Config)


def test_every_environment_variable_the_bot_reads_is_in_the_readme() -> None:
    """The environment table names every variable in bot.config.ENV_VARS (NAME_FILE forms
    are covered by the NAME_FILE row)."""
    documented = _table_first_column("### Environment variables")
    expected = {n for n in ENV_VARS if not n.endswith("_FILE") or n.startswith("K8STIP_")}
    assert expected - documented == set()
    assert "NAME_FILE" in documented


def test_relative_links_in_the_readme_point_at_files_that_exist() -> None:
    """Every relative link in the README resolves to a file in the repository."""
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README)
    assert links, "the README links to its docs"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []
