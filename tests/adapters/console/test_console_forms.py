"""The console adapter's part of issue 13: a form prints as the command it stands for (a
terminal has no modal), and a direct message says whom it is for."""

from __future__ import annotations

import io

from bot.adapters.console import ConsoleAdapter, render_text
from bot.core.invocation import Invocation
from bot.core.replies import Form, FormField, Reply, ReplyKind
from bot.ports import direct_target

FORM = Form(
    title="Suggest a tip",
    command="suggest-submit",
    fields=(
        FormField("text", "Your tip", multiline=True),
        FormField("source", "Where it comes from", value="my \x1b[31mrunbook"),
        FormField("note", "A note", required=False),
    ),
)
REPLY = Reply(ReplyKind.INFO, "Type it as: /k8stip suggest <text> | <source>", form=FORM)


def test_a_form_prints_as_its_command_with_each_field_and_its_value() -> None:
    assert render_text(REPLY).splitlines() == [
        "Type it as: /k8stip suggest <text> | <source>",
        "  Suggest a tip: /k8stip suggest-submit",
        "    Your tip [text]: (empty)",
        "    Where it comes from [source]: my runbook",  # control sequences removed
        "    A note (optional) [note]: (empty)",
    ]


async def test_a_typed_command_answered_with_a_form_prints_the_form() -> None:
    seen: list[Invocation] = []

    async def handle(inv: Invocation) -> Reply:
        seen.append(inv)
        return REPLY

    out = io.StringIO()
    console = ConsoleAdapter(handle, out=out, interactive=False, user="ana")
    await console.answer("/k8stip suggest")
    assert seen[0].text == "suggest" and not seen[0].direct
    assert "  Suggest a tip: /k8stip suggest-submit" in out.getvalue().splitlines()


async def test_a_direct_message_prints_whom_it_is_for() -> None:
    out = io.StringIO()
    console = ConsoleAdapter(out=out, interactive=False)
    target = direct_target("console", "", "ana")
    message = await console.post(target, Reply(ReplyKind.INFO, "Your tip was approved"), "d-1")
    assert out.getvalue() == "(direct message to ana) Your tip was approved\n"
    assert await console.find_posted(target, "d-1") == message
