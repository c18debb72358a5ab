"""config/config.example.yaml documents every key, and its values are the real defaults."""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from bot.config import Config, SubscriptionConfig, load_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "config.example.yaml"


def keys(model: type[Any], prefix: str = "") -> list[str]:
    out = []
    hints = get_type_hints(model)
    for name in (f.name for f in fields(model)):
        if name == "source":
            continue
        out.append(prefix + name)
        ann: Any = hints[name]
        if isinstance(ann, type) and is_dataclass(ann):
            out += keys(ann, f"{prefix}{name}.")
    return out


def test_every_config_key_appears_in_the_example() -> None:
    text = EXAMPLE.read_text()
    for dotted in keys(Config) + [f"subscriptions.{k}" for k in keys(SubscriptionConfig)]:
        leaf = dotted.rsplit(".", 1)[-1]
        assert re.search(rf"^\s*(- )?#?\s*{leaf}:", text, re.M), f"{dotted} is not documented"


def test_the_example_loads_and_matches_the_defaults() -> None:
    example = load_config(EXAMPLE)
    defaults = Config()
    for section in ("slack", "discord", "health", "delivery", "rate_limit"):
        assert getattr(example, section) == getattr(defaults, section), section
    assert (example.database, example.timezone, example.default_time) == (
        defaults.database,
        defaults.timezone,
        defaults.default_time,
    )
    assert [s.platform for s in example.subscriptions] == ["console"]
