"""Forms on Discord: a `Form` as a modal (interaction response type 9), and the modal's
submit (interaction type 5) back as the fields of an `Invocation`.

Nothing about an open modal lives in memory: the modal's custom id is `k8stip:<command>`
(like a button's) and each text input's custom id is `<field name>:<max length>`, so a submit
is understood by any process, before or after a restart. The modal is stopped before it is
sent, so discord.py does not keep it in its view store either; `Answerer` handles the submit
from `on_interaction`. Submits arrive over the authenticated gateway, but what they carry is
whatever the client sent: ids are checked, values cut to their field's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import discord

from bot.adapters.discord.render import command_from_custom_id, custom_id
from bot.core.replies import Form

__all__ = ["VALUE_MAX", "build_modal", "submitted_fields"]

# Discord's limits (https://discord.com/developers/docs/components/reference#text-input).
TITLE_MAX = 45
LABEL_MAX = 45
PLACEHOLDER_MAX = 100
VALUE_MAX = 4000  # a text input's max_length
FIELDS_MAX = 5

_INPUT_ID_RE = re.compile(r"^([a-z][a-z0-9_-]{0,39}):([1-9][0-9]{0,3})$")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def input_id(name: str, max_length: int) -> str:
    return f"{name}:{max(1, min(max_length, VALUE_MAX))}"


class _FormModal(discord.ui.Modal):
    """A k8stip form. Its submit is answered by `Answerer.answer_submit`, not by a callback."""

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        return None  # never stored (stopped before sending), so never called


def build_modal(form: Form) -> discord.ui.Modal:
    """The modal for `form`, already stopped (see the module docstring). Labels, placeholders
    and values are shown by Discord as plain text: nothing in them can ping anyone."""
    modal = _FormModal(
        title=_clip(form.title, TITLE_MAX) or "k8stip", custom_id=custom_id(form.command)
    )
    for f in form.fields[:FIELDS_MAX]:
        limit = max(1, min(f.max_length, VALUE_MAX))
        modal.add_item(
            discord.ui.TextInput(
                label=_clip(f.label, LABEL_MAX) or f.name,
                style=discord.TextStyle.paragraph if f.multiline else discord.TextStyle.short,
                custom_id=input_id(f.name, limit),
                placeholder=_clip(f.placeholder, PLACEHOLDER_MAX) or None,
                default=f.value[:limit] or None,
                required=f.required,
                max_length=limit,
            )
        )
    modal.stop()
    return modal


def _inputs(components: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    """Text inputs in a submit's components: in action rows (type 1) or labels (type 18)."""
    for c in components:
        if not isinstance(c, Mapping):
            continue
        if c.get("type") == 1 and isinstance(c.get("components"), list):
            yield from _inputs(c["components"])
        elif c.get("type") == 18 and isinstance(c.get("component"), Mapping):
            yield from _inputs([c["component"]])
        elif c.get("type") == 4:
            yield c


def submitted_fields(
    data: Mapping[str, Any],
) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """(command, fields) of a k8stip modal's submit, or None when it is not one of ours.
    Each value is cut to the length its input declared; inputs k8stip never makes are
    dropped."""
    raw = data.get("custom_id")
    command = command_from_custom_id(raw) if isinstance(raw, str) else None
    components = data.get("components")
    if command is None or not isinstance(components, list):
        return None
    fields: list[tuple[str, str]] = []
    for item in _inputs(components):
        m = _INPUT_ID_RE.match(str(item.get("custom_id") or ""))
        value = item.get("value")
        if m is None or len(fields) >= FIELDS_MAX:
            continue
        fields.append((m.group(1), value[: int(m.group(2))] if isinstance(value, str) else ""))
    return command, tuple(fields)
