"""The console adapter: the terminal as a chat platform, with no account needed.

Daily tips for `platform: console` subscriptions print here; with stdin a terminal, lines
typed as `/k8stip …` are answered. Buttons print as the commands they run (a quiz's choices
as `/k8stip quiz-answer <question> <n>`, which answers the channel's latest posting of that
question, since a terminal has no message to press). With stdin not a terminal (docker, CI)
it only prints: no prompt, no busy loop on a closed stdin.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import re
import sys
import threading
from typing import TextIO

from bot.core.invocation import Handler, Invocation
from bot.core.mentions import split_token
from bot.core.replies import NOTE_LABEL, Action, Form, QuizCard, Reply, TipCard, Visibility
from bot.ports import Target

log = logging.getLogger(__name__)

# Terminal control sequences and other control characters in tip or user text could move the
# cursor or rewrite the screen; keep newlines and tabs only.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
COMMAND_PREFIX = "/k8stip"


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


def render_card(card: TipCard) -> list[str]:
    lines = [clean(card.text)]
    if card.note.strip():
        lines.append(f"  {NOTE_LABEL}: {clean(card.note)}")
    lines.append(f"  — {clean(card.attribution)}")
    if card.topic_titles:
        lines.append(f"  Topics: {clean(', '.join(card.topic_titles))}")
    lines += [f"  {clean(link)}" for link in card.links]
    return lines


def _buttons(actions: tuple[Action, ...] | list[Action]) -> str:
    return "   ".join(f"[{clean(a.label)}: {COMMAND_PREFIX} {a.command}]" for a in actions)


def render_quiz(card: QuizCard) -> list[str]:
    """A quiz card: the prompt, each choice numbered with the command that answers it, the
    tip's attribution and the tally."""
    lines = [clean(card.prompt)]
    lines += [
        f"  {n}. {clean(a.label)}   [{COMMAND_PREFIX} {a.command}]"
        for n, a in enumerate(card.choices, start=1)
    ]
    lines.append(f"  — {clean(card.attribution)}")
    lines.append(f"  {clean(card.tally) if card.tally else 'No answers yet'}")
    return lines


def _lead(reply: Reply) -> list[str]:
    """What opens a message: where an answer goes when it is for a daily post's thread, and
    the one name a daily post pings (as text: the terminal pings nobody)."""
    lead = []
    if reply.visibility is Visibility.THREAD:
        lead.append("(in thread of the daily tip)")
    parts = split_token("console", reply.mention) if reply.mention else None
    if parts is not None:
        lead.append(f"@{parts[1]}")
    return lead


def render_form(form: Form) -> list[str]:
    """A form, which a terminal can't pop up: the command it stands for, then each field with
    its current value, so it can be typed as a command instead."""
    lines = [f"  {clean(form.title)}: {COMMAND_PREFIX} {clean(form.command)}"]
    for f in form.fields:
        value = clean(f.value) if f.value else "(empty)"
        optional = "" if f.required else " (optional)"
        lines.append(f"    {clean(f.label)}{optional} [{clean(f.name)}]: {value}")
    return lines


def render_text(reply: Reply) -> str:
    """A Reply as plain text: the message, its cards, extra lines, then the buttons as the
    commands they run (the feedback buttons on a line of their own)."""
    lead = _lead(reply)
    if reply.quiz is not None:
        quiz = ["Quiz", *render_quiz(reply.quiz), *(clean(x) for x in reply.lines)]
        return "\n".join([*lead, *quiz])
    out: list[str] = list(lead)
    header = reply.text
    if reply.cards and len(reply.cards) == 1 and reply.cards[0].text in header:
        header = header.replace(reply.cards[0].text, "").rstrip(": ").strip()
    if header:
        out.append(clean(header))
    for n, card in enumerate(reply.cards, start=1):
        lines = render_card(card)
        if len(reply.cards) > 1:
            lines[0] = f"{n}. {lines[0]}"
        out += lines
    out += [clean(line) for line in reply.lines]
    others = [a for a in reply.actions if a.kind != "vote"]
    votes = [a for a in reply.actions if a.kind == "vote"]
    if others:
        out.append("  " + _buttons(others))
    if votes:
        out.append("  Feedback: " + _buttons(votes))
    if reply.form is not None:
        out += render_form(reply.form)
    return "\n".join(out)


class ConsoleAdapter:
    """Prints replies and daily tips; reads `/k8stip …` lines from an interactive stdin."""

    platform = "console"

    def __init__(
        self,
        handle: Handler | None = None,
        out: TextIO | None = None,
        stdin: TextIO | None = None,
        interactive: bool | None = None,
        channel: str = "console",
        user: str | None = None,
    ) -> None:
        self.handle = handle
        self.out = out if out is not None else sys.stdout
        self.stdin = stdin if stdin is not None else sys.stdin
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.channel = channel
        self.user = user or _local_user()
        self._posted: dict[str, str] = {}  # delivery id -> message id, this process only
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[asyncio.Future[None]] = set()
        self._reader: threading.Thread | None = None
        self._stopped = threading.Event()
        self.eof = asyncio.Event()

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def start(self) -> None:
        if not self.interactive or self.handle is None:
            return
        self._loop = asyncio.get_running_loop()
        # A daemon thread: a blocking readline can't be cancelled, and must not keep the
        # process alive on Ctrl-C or SIGTERM.
        self._reader = threading.Thread(target=self._read_lines, name="console-stdin", daemon=True)
        self._reader.start()

    async def stop(self) -> None:
        self._stopped.set()
        for fut in list(self._pending):
            fut.cancel()

    def _read_lines(self) -> None:
        assert self._loop is not None
        while not self._stopped.is_set():
            line = self.stdin.readline()
            if not line:  # EOF (Ctrl-D): stop reading, keep the bot running
                self._loop.call_soon_threadsafe(self.eof.set)
                return
            fut = asyncio.run_coroutine_threadsafe(self.answer(line), self._loop)
            try:
                fut.result()
            except Exception:  # reported by answer(); keep reading
                log.exception("console: could not answer %r", line.strip()[:80])

    async def greet(self) -> None:
        """A first tip right away, so someone trying k8stip sees what it does."""
        if self.interactive and self.handle is not None:
            self._write("Your first tip:")
            await self.answer(COMMAND_PREFIX)

    async def answer(self, line: str) -> Reply | None:
        """Answer one typed line; returns the reply (also printed)."""
        text = line.strip()
        if not text or self.handle is None:
            return None
        if text.lower().startswith(COMMAND_PREFIX):
            text = text[len(COMMAND_PREFIX) :].strip()
        inv = Invocation(
            platform="console",
            workspace="",
            channel=self.channel,
            user=self.user,
            text=text,
            is_admin=True,  # whoever holds the terminal runs the bot
            user_name=self.user,
        )
        reply = await self.handle(inv)
        self._write(render_text(reply))
        update = reply.source_update
        if update is not None and update.quiz is not None and update.quiz.tally:
            # The terminal cannot edit what it printed: say what the card now reads.
            self._write(f"  (quiz card now: {clean(update.quiz.tally)})")
        return reply

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        if target.is_direct:
            where = f"(direct message to {clean(target.direct_to)})"
        else:
            where = f"[#{target.channel}]" if target.channel else "[console]"
        self._write(f"{where} {render_text(reply)}")
        message_id = f"console-{delivery_id}"
        self._posted[delivery_id] = message_id
        return message_id

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        # The terminal keeps no history: only posts made by this process can be found.
        return self._posted.get(delivery_id)


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"
