"""Forms on Slack: a `Form` as a modal (`views.open`), and its `view_submission` back as the
fields of an `Invocation`.

A press whose answer carries `Reply.form` opens the modal with the press's `trigger_id`
(Slack honours it for 3 seconds). The modal's `private_metadata` carries what the submission
needs and Slack echoes back: the form's command, the channel it was pressed in and each field's
length limit. It travels inside the signed request (HTTP mode checks the signature before bolt
sees it; Socket Mode arrives over the authenticated socket), so it can't be altered on the
way; it is still parsed defensively, and a submission whose metadata doesn't parse is refused
without reaching the router.

Pure: building the view and reading a submission do no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack.render import plain
from bot.core.replies import Form

__all__ = [
    "FIELD_BLOCK_PREFIX",
    "FORM_CALLBACK_ID",
    "Submission",
    "field_errors",
    "modal_view",
    "read_submission",
]

FORM_CALLBACK_ID = "k8stip_form"
FIELD_BLOCK_PREFIX = "k8stip_field:"  # + the field's name: the input block's block_id
FIELD_ACTION_ID = "value"

# Slack's limits (https://docs.slack.dev/reference/views, .../block-elements/plain-text-input).
TITLE_MAX = 24
SUBMIT_MAX = 24
LABEL_MAX = 2000
PLACEHOLDER_MAX = 150
INPUT_MAX = 3000  # a plain_text_input's max_length
METADATA_MAX = 3000
ERROR_MAX = 300  # an input's error line; Slack shows it under the field
COMMAND_MAX = 100  # what `Form.command` promises
FIELDS_MAX = 5  # what `Form` promises (Discord's limit)

_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_CHANNEL_RE = re.compile(r"^[A-Z0-9_]{1,24}$")  # ids are [A-Z0-9]; the tests use C_LEARN


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def modal_view(form: Form, channel: str) -> dict[str, Any]:
    """The `view` for `views.open`: one plain_text_input per field, in order.

    Labels, placeholders and initial values are plain_text: Slack shows them as typed, so
    only broadcasts (`@here`) need breaking, and a value a member typed earlier is shown back
    as text, never as a mention.
    """
    fields = form.fields[:FIELDS_MAX]
    metadata = {
        "command": form.command[:COMMAND_MAX],
        "channel": channel if _CHANNEL_RE.match(channel) else "",
        "limits": {f.name: max(1, min(f.max_length, INPUT_MAX)) for f in fields},
    }
    blocks: list[dict[str, Any]] = []
    for f in fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": FIELD_ACTION_ID,
            "multiline": f.multiline,
            "max_length": max(1, min(f.max_length, INPUT_MAX)),
        }
        if f.value:
            element["initial_value"] = f.value[: element["max_length"]]
        if f.placeholder:
            element["placeholder"] = {
                "type": "plain_text",
                "text": plain(f.placeholder, PLACEHOLDER_MAX),
            }
        blocks.append(
            {
                "type": "input",
                "block_id": FIELD_BLOCK_PREFIX + f.name,
                "optional": not f.required,
                "label": {"type": "plain_text", "text": plain(f.label, LABEL_MAX) or f.name},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK_ID,
        "title": {"type": "plain_text", "text": plain(form.title, TITLE_MAX) or "k8stip"},
        "submit": {"type": "plain_text", "text": plain(form.submit, SUBMIT_MAX) or "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata, separators=(",", ":"))[:METADATA_MAX],
        "blocks": blocks,
    }


@dataclass(frozen=True)
class Submission:
    """A submitted k8stip form: the command it stands for, where it was opened, the values."""

    command: str
    channel: str  # "" when the form was not opened from a channel k8stip knows
    fields: tuple[tuple[str, str], ...]
    first_block: str  # where an error is shown when the answer is an error


def _metadata(raw: object) -> tuple[str, str, dict[str, int]] | None:
    if not isinstance(raw, str) or not raw or len(raw) > METADATA_MAX:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    command, channel, limits = data.get("command"), data.get("channel"), data.get("limits")
    if not isinstance(command, str) or not command.strip() or len(command) > COMMAND_MAX:
        return None
    if not command.isprintable() or not isinstance(channel, str):
        return None
    if channel and not _CHANNEL_RE.match(channel):
        return None
    if not isinstance(limits, dict) or len(limits) > FIELDS_MAX:
        return None
    clean: dict[str, int] = {}
    for name, limit in limits.items():
        if not isinstance(name, str) or not _NAME_RE.match(name):
            return None
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= INPUT_MAX:
            return None
        clean[name] = limit
    return command.strip(), channel, clean


def read_submission(view: object) -> Submission | None:
    """The submission in a `view_submission` payload's `view`, or None when it isn't one of
    k8stip's forms or its metadata doesn't parse. Values are cut to their field's limit (the
    one the modal was opened with), whatever the client sent; fields the form didn't have
    are dropped; an empty optional field reads as ""."""
    if not isinstance(view, dict) or view.get("callback_id") != FORM_CALLBACK_ID:
        return None
    parsed = _metadata(view.get("private_metadata"))
    if parsed is None:
        return None
    command, channel, limits = parsed
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        values = {}
    fields: list[tuple[str, str]] = []
    for name, limit in limits.items():
        block = values.get(FIELD_BLOCK_PREFIX + name)
        element = block.get(FIELD_ACTION_ID) if isinstance(block, dict) else None
        value = element.get("value") if isinstance(element, dict) else None
        fields.append((name, value[:limit] if isinstance(value, str) else ""))
    first = FIELD_BLOCK_PREFIX + next(iter(limits), "")
    return Submission(command, channel, tuple(fields), first)


def field_errors(submission: Submission, message: str) -> dict[str, Any] | None:
    """The ack that keeps the modal open with `message` under its first field
    (`response_action: errors`), or None when the form has no field to show it under."""
    if not submission.fields:
        return None
    return {
        "response_action": "errors",
        "errors": {submission.first_block: plain(_clip(message, ERROR_MAX))},
    }
