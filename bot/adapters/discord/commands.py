"""The `/k8stip` and `/k8stip-admin` app commands, their autocomplete, and button presses.

Every interaction becomes an `Invocation` whose text is what the same request would be typed
as after `/k8stip` (`subscribe 09:00 Europe/Amsterdam weekdays rbac`), so the router sees
one language from every platform. Answers go out within Discord's 3 seconds: when the
handler has not answered after `defer_after` seconds, the interaction is deferred and the
answer follows as an edit of the "thinking…" message.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Concatenate, ParamSpec
from zoneinfo import available_timezones

import aiohttp
import discord
from discord import app_commands
from rapidfuzz import fuzz

from bot.adapters.discord.forms import build_modal, submitted_fields
from bot.adapters.discord.render import (
    NO_MENTIONS,
    command_from_custom_id,
    keep_footer_marker,
    render,
)
from bot.adapters.discord.threads import answer_in_thread
from bot.core.commands import COMMANDS, DISCORD_GROUPS, CommandSpec, Param
from bot.core.corpus import Topic
from bot.core.invocation import Handler, Invocation
from bot.core.replies import Reply, ReplyKind, Visibility

log = logging.getLogger(__name__)

P = ParamSpec("P")
Suggest = Callable[[str], list[tuple[str, str]]]
"""`suggest(prefix) -> [(label, value)]`: topic choices for autocomplete, best first."""

ADMIN_GROUP = "k8stip-admin"  # hidden from members without Manage Server
MAX_CHOICES = 25  # Discord's limit for autocomplete answers
CHOICE_MAX = 100  # a choice's name and value, each
DEFER_AFTER_SECONDS = 2.0  # Discord drops an interaction not answered within 3 s

# User-facing messages, together.
NOT_ADMIN = (
    "Only members with the **Manage Server** permission can change k8stip subscriptions. "
    "Ask a server moderator, or have them add your user id to `discord.admins`."
)
HANDLER_FAILED = "Something went wrong on our side answering that; try again in a minute."
NOT_ADMIN_IN_DM = (
    "That is for server admins, and a direct message has no server to check: run it in a "
    "channel of your server (with Manage Server), or ask to be added to `discord.admins`."
)

DAYS_CHOICES = ("weekdays", "daily", "weekends", "mon,wed,fri", "tue,thu")
# Presses answered only to the presser, whatever visibility the reply asks for: a vote or a
# quiz answer never posts in the channel (their commands: `wording.feedback_actions`,
# `QuizCard.choices`).
PRIVATE_PRESSES = frozenset({"vote", "quiz-answer"})


def topic_suggester(topics: Iterable[Topic]) -> Suggest:
    """A `Suggest` over topic ids, titles and aliases, best first: names that start with what
    was typed, then names with a word that does, then close spellings ("netwrking").

    Pure and in-memory (well under a millisecond for the bundled taxonomy), so it answers
    inside Discord's autocomplete deadline.
    """
    entries = [
        (
            t,
            [(t.id.lower(), False), (t.title.lower(), False)]
            + [(a.lower(), True) for a in t.aliases],
        )
        for t in topics
    ]

    def rank(q: str, key: str, is_alias: bool) -> float:
        if key.startswith(q):
            return (300.0 if not is_alias else 250.0) + len(q) / len(key)
        if any(word.startswith(q) for word in key.split()[1:]):
            return 200.0 + len(q) / len(key)
        if len(q) < 3:
            return 0.0
        close = max(fuzz.ratio(q, key), fuzz.ratio(q, key[: len(q)]))
        return 100.0 + close if close >= 80 else 0.0

    def suggest(prefix: str) -> list[tuple[str, str]]:
        q = " ".join(prefix.lower().split())
        if not q:
            ranked = sorted(entries, key=lambda e: e[0].title.lower())
            return [(t.title, t.id) for t, _ in ranked[:MAX_CHOICES]]
        scored: list[tuple[float, str, str, str]] = []
        for topic, keys in entries:
            best, via = max(((rank(q, k, alias), (k if alias else "")) for k, alias in keys))
            if best > 0:
                label = f"{topic.title} ({via})" if via else topic.title
                scored.append((best, topic.title.lower(), label, topic.id))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [(label, topic_id) for _, _, label, topic_id in scored[:MAX_CHOICES]]

    return suggest


def _choices(pairs: Sequence[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=name[:CHOICE_MAX], value=value[:CHOICE_MAX])
        for name, value in pairs[:MAX_CHOICES]
    ]


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


class Answerer:
    """Turns interactions into Invocations, calls the handler, sends the rendered Reply."""

    def __init__(
        self,
        handle: Handler,
        *,
        suggest: Suggest | None = None,
        admins: Iterable[str] = (),
        defer_after: float = DEFER_AFTER_SECONDS,
    ) -> None:
        self.handle = handle
        self.suggest = suggest
        self.admins = frozenset(str(a) for a in admins)
        self.defer_after = defer_after

    def is_admin(self, interaction: discord.Interaction[Any]) -> bool:
        """Manage Server (or Administrator) in this server, or listed in `discord.admins`.

        Checked on every admin command: `default_permissions` only hides the command, and
        server owners can override that per role or channel.
        """
        if str(interaction.user.id) in self.admins:
            return True
        if interaction.guild_id is None:
            return False
        perms = interaction.permissions
        return bool(perms.manage_guild or perms.administrator)

    def invocation(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        fields: tuple[tuple[str, str], ...] = (),
    ) -> Invocation:
        """In a direct message with the bot (no guild) the Invocation is `direct`, its
        workspace "", and only `discord.admins` are admins (`is_admin`)."""
        # A press names the message its button was on (a quiz answer finds its posting).
        message = (
            interaction.message if interaction.type is discord.InteractionType.component else None
        )
        return Invocation(
            platform="discord",
            workspace=str(interaction.guild_id or ""),
            channel=str(interaction.channel_id or ""),
            user=str(interaction.user.id),
            text=text.strip(),
            is_admin=self.is_admin(interaction),
            user_name=interaction.user.display_name,
            message_ref=str(message.id) if message is not None else "",
            fields=fields,
            direct=interaction.guild_id is None,
        )

    def choices(self, current: str) -> list[app_commands.Choice[str]]:
        if self.suggest is None:
            return []
        try:
            return _choices(self.suggest(current))
        except Exception:
            log.exception("topic autocomplete failed for %r", current[:100])
            return []

    async def answer(
        self, interaction: discord.Interaction[Any], text: str, *, admin_only: bool = False
    ) -> None:
        if admin_only and not self.is_admin(interaction):
            refusal = NOT_ADMIN if interaction.guild_id is not None else NOT_ADMIN_IN_DM
            await interaction.response.send_message(
                refusal, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        task = asyncio.ensure_future(self.handle(self.invocation(interaction, text)))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred_ephemeral: bool | None = None
        if not done:
            # Most answers are private; if this one turns out public, the "thinking…"
            # message is replaced below.
            deferred_ephemeral = True
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            reply = await task
        except Exception:
            log.exception("handler failed for discord command %r", text[:100])
            reply = Reply(ReplyKind.ERROR, HANDLER_FAILED)
        await self.send(interaction, reply, deferred_ephemeral)

    async def send(
        self,
        interaction: discord.Interaction[Any],
        reply: Reply,
        deferred_ephemeral: bool | None,
    ) -> None:
        message = render(reply)
        ephemeral = reply.visibility is Visibility.EPHEMERAL
        kwargs = message.send_kwargs()
        if deferred_ephemeral is None:
            await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
        elif deferred_ephemeral == ephemeral:
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.delete_original_response()
            await interaction.followup.send(ephemeral=ephemeral, **kwargs)

    async def on_component(self, interaction: discord.Interaction[Any]) -> bool:
        """Answer a press on a k8stip button (from any message, any age). False if not ours.

        Discord delivers the press over the authenticated gateway, but the custom id is
        still whatever the message carried: an id that is not a k8stip command is left
        alone without a word (`command_from_custom_id`)."""
        if interaction.type is discord.InteractionType.modal_submit and interaction.data:
            submitted = submitted_fields(interaction.data)
            if submitted is None:
                return False
            await self.answer_submit(interaction, *submitted)
            return True
        if interaction.type is not discord.InteractionType.component or not interaction.data:
            return False
        raw = interaction.data.get("custom_id")
        command = command_from_custom_id(raw) if isinstance(raw, str) else None
        if command is None:
            return False
        await self.answer_press(interaction, command)
        return True

    async def answer_press(self, interaction: discord.Interaction[Any], command: str) -> None:
        """A button press: the handler's reply goes to the presser (privately for votes and
        quiz answers, whatever the reply says), and when the reply carries `source_update`
        the message the button is on is edited in place for everyone.

        Within Discord's 3 seconds the edit is the interaction's own response
        (UPDATE_MESSAGE), with the private answer as a follow-up: one request acknowledges
        and edits at once, on the interaction endpoints (not the channel's message-edit rate
        limit, no Manage Messages or channel permission needed, works on ephemeral cards
        too). A slow handler is acknowledged first without a visible message
        (DEFERRED_UPDATE_MESSAGE); the edit then goes to `@original`, which for a press is
        the button's message. A failed edit is logged once; the private answer still goes.

        A reply that carries a `form` opens it as a modal instead (only possible as the
        interaction's first response: after a slow handler was deferred, the presser gets
        the reply's text, which says how to type the same as a command).
        """
        task = asyncio.ensure_future(self.handle(self.invocation(interaction, command)))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            await interaction.response.defer()
        try:
            reply = await task
        except Exception:
            log.exception("handler failed for discord button %r", command[:100])
            reply = Reply(ReplyKind.ERROR, HANDLER_FAILED)
        private = (
            reply.visibility is Visibility.EPHEMERAL or command.split(" ", 1)[0] in PRIVATE_PRESSES
        )
        if reply.form is not None and not interaction.response.is_done():
            await interaction.response.send_modal(build_modal(reply.form))
            return
        if reply.source_update is not None:
            await self._edit_source(interaction, reply.source_update)
        if reply.visibility is Visibility.THREAD and not private:
            # In the daily post's thread (threads on); privately when that can't be done.
            if await answer_in_thread(interaction, render(replace(reply, form=None))):
                return
            private = True
        kwargs = render(replace(reply, form=None)).send_kwargs()
        if interaction.response.is_done():
            await interaction.followup.send(ephemeral=private, **kwargs)
        else:
            await interaction.response.send_message(ephemeral=private, **kwargs)

    async def answer_submit(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        fields: tuple[tuple[str, str], ...],
    ) -> None:
        """A k8stip modal's submit: routed with its fields, answered privately (a slow
        handler is deferred first, as for a command)."""
        task = asyncio.ensure_future(self.handle(self.invocation(interaction, command, fields)))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            reply = await task
        except Exception:
            log.exception("handler failed for a discord form %r", command[:100])
            reply = Reply(ReplyKind.ERROR, HANDLER_FAILED)
        kwargs = render(replace(reply, form=None)).send_kwargs()
        if interaction.response.is_done():
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.response.send_message(ephemeral=True, **kwargs)

    async def _edit_source(self, interaction: discord.Interaction[Any], update: Reply) -> None:
        message = render(update)
        old = interaction.message
        if old is not None and old.embeds:
            keep_footer_marker(message.embeds, old.embeds[-1].footer.text)
        try:
            if interaction.response.is_done():
                await interaction.edit_original_response(**message.edit_kwargs())
            else:
                await interaction.response.edit_message(**message.edit_kwargs())
        except discord.HTTPException as e:
            log.warning(
                "could not update the message a k8stip button is on (%s %s); the presser "
                "still gets the answer",
                e.status,
                e.code,
            )
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning(
                "could not update the message a k8stip button is on (%s); the presser "
                "still gets the answer",
                type(e).__name__,
            )


Table = Mapping[str, CommandSpec]
Complete = Callable[
    [discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]


def _group(name: str, groups: Mapping[str, str], **kwargs: Any) -> app_commands.Group:
    """`/k8stip` also works in a direct message with the bot (`Invocation.direct`); the
    admin group only in servers."""
    guild_only = name == ADMIN_GROUP
    return app_commands.Group(name=name, description=groups[name], guild_only=guild_only, **kwargs)


def _register(
    group: app_commands.Group,
    name: str,
    callback: Callable[Concatenate[discord.Interaction[Any], P], Coroutine[Any, Any, None]],
    table: Table = COMMANDS,
) -> app_commands.Command[Any, P, None]:
    """Add `callback` to `group` as the table's command `name`, with the table's description,
    option descriptions and fixed choices. The callback's parameters are the options Discord
    shows; a mismatch with the table (a name, or which are required) raises here, not in
    production."""
    spec = table[name]
    if spec.discord_group != group.name or not spec.discord_description:
        raise ValueError(f"{name!r} is not an app command of /{group.name} in the command table")
    # Discord's options are the callback's parameters after the interaction.
    params = list(inspect.signature(callback).parameters.values())[1:]
    ours = [(p.name, p.default is inspect.Parameter.empty) for p in params]
    table_options = [(p.name, "discord" in p.required) for p in spec.params if p.name]
    if ours != table_options:
        raise ValueError(
            f"/{group.name} {spec.discord_name} options {ours} != table {table_options}"
        )
    options = [p for p in spec.params if p.name]
    described = app_commands.describe(**{p.name: p.description for p in options})
    fixed = {p.name: param_choices(p) for p in options if param_choices(p)}
    if fixed:
        callback = app_commands.choices(
            **{n: [app_commands.Choice(name=c, value=c) for c in cs] for n, cs in fixed.items()}
        )(callback)
    command: app_commands.Command[Any, P, None] = group.command(
        name=spec.discord_name, description=spec.discord_description
    )(described(callback))
    return command


def param_choices(param: Param) -> tuple[str, ...]:
    """The fixed values an option offers (Discord shows them as a list to pick from)."""
    return tuple(str(c)[:CHOICE_MAX] for c in param.choices)[:MAX_CHOICES]


def _normalise(option: str, value: str | None) -> str:
    """An option's value as it would be typed: on one line; day lists without spaces
    around commas; topic lists as words (commas or spaces)."""
    line = _one_line(value)
    if option == "days":
        return re.sub(r"\s*,\s*", ",", line)
    if option == "topics":
        return " ".join(t for t in re.split(r"[,\s]+", line) if t)
    return line


def option_text(value: object) -> str | None:
    """An option's value as the router reads it: a role as its mention (`<@&id>`), which the
    mention command parses; anything else as the string it is."""
    if isinstance(value, discord.Role | discord.Object):
        return f"<@&{value.id}>"
    return value if isinstance(value, str) or value is None else str(value)


def command_text(spec: CommandSpec, values: Mapping[str, str | None]) -> str:
    """What the same request is typed as after `/k8stip`: the command's word, then each
    option given, in the table's order (the order its usage line shows)."""
    parts = [spec.word] + [_normalise(p.name, values.get(p.name)) for p in spec.params if p.name]
    return " ".join(p for p in parts if p)


def subscribe_text(
    time: str | None, timezone: str | None, days: str | None, topics: str | None
) -> str:
    """`subscribe 09:00 Europe/Amsterdam weekdays rbac secrets`, leaving out what is unset."""
    values = {"time": time, "timezone": timezone, "days": days, "topics": topics}
    return command_text(COMMANDS["subscribe"], values)


def _table_callback(
    spec: CommandSpec, answerer: Answerer, admin_only: bool
) -> Callable[..., Coroutine[Any, Any, None]]:
    """A callback whose parameters are the table's options for `spec` (required ones
    without a default), answering with `command_text`."""

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        typed = {name: option_text(value) for name, value in values.items()}
        await answerer.answer(interaction, command_text(spec, typed), admin_only=admin_only)

    kind = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_ONLY, annotation=discord.Interaction
        )
    ]
    for p in spec.params:
        if not p.name:
            continue
        annotation: Any = discord.Role if p.kind == "role" else str
        if "discord" in p.required:
            params.append(inspect.Parameter(p.name, kind, annotation=annotation))
        else:
            params.append(
                inspect.Parameter(p.name, kind, annotation=annotation | None, default=None)
            )
    # discord.py reads the options from the signature, as if the function were written out.
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return callback


def _completers(answerer: Answerer) -> dict[str, Complete]:
    """Autocomplete by option name, for whichever command has that option."""

    async def topic(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return answerer.choices(current)

    async def timezone(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices([(z, z) for z in timezone_choices(current)])

    async def days(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        q = current.strip().lower()
        return _choices([(d, d) for d in DAYS_CHOICES if q in d] or [(current, current)])

    async def topics(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        # Complete the last word; keep the ones already chosen.
        head, _, last = current.rpartition(" ")
        pairs = [
            (f"{head} {label}".strip(), f"{head} {value}".strip())
            for label, value in (answerer.suggest(last) if answerer.suggest else [])
        ]
        return _choices(pairs)

    return {
        "query": topic,
        "topic": topic,
        "timezone": timezone,
        "days": days,
        "topics": topics,
    }


# Options named like a completed one that take free words instead: no suggestions.
FREE_TEXT = frozenset({("search", "query")})


def build_commands(
    answerer: Answerer, table: Table = COMMANDS, groups: Mapping[str, str] = DISCORD_GROUPS
) -> list[app_commands.Group]:
    """The command groups, as the command table declares them: every entry with a
    `discord_description` becomes an app command of its group, in table order, with the
    table's options (strings; fixed choices where the table gives them), answered as the
    same request typed after `/k8stip`. Descriptions are what Discord shows as help.

    Everything in `k8stip-admin`, and every `admin` command, is refused to non-admins at run
    time (`default_permissions` only hides the admin group)."""
    built: list[app_commands.Group] = []
    completers = _completers(answerer)
    for group_name in groups:
        extra: dict[str, Any] = {}
        if group_name == ADMIN_GROUP:
            extra["default_permissions"] = discord.Permissions(manage_guild=True)
        group = _group(group_name, groups, **extra)
        specs = [
            c for c in table.values() if c.discord_description and c.discord_group == group_name
        ]
        for spec in specs:
            admin_only = group_name == ADMIN_GROUP or spec.admin
            command = _register(
                group, spec.name, _table_callback(spec, answerer, admin_only), table
            )
            for p in spec.params:
                complete = completers.get(p.name)
                if complete and not param_choices(p) and (spec.name, p.name) not in FREE_TEXT:
                    command.autocomplete(p.name)(complete)
        built.append(group)
    return built


def timezone_choices(current: str, limit: int = MAX_CHOICES) -> list[str]:
    q = current.strip().lower()
    zones = sorted(available_timezones())
    if not q:
        return ["UTC", "Europe/Amsterdam", "Europe/London", "America/New_York"][:limit]
    starts = [z for z in zones if z.lower().startswith(q)]
    within = [z for z in zones if q in z.lower() and z not in starts]
    return (starts + within)[:limit]


# --- command registration -------------------------------------------------------------

_OPTION_KEYS = (
    "min_value",
    "max_value",
    "min_length",
    "max_length",
    "channel_types",
)


def _canonical_option(o: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": o.get("type"),
        "name": o.get("name"),
        "description": o.get("description", ""),
        "required": bool(o.get("required", False)),
        "autocomplete": bool(o.get("autocomplete", False)),
        "choices": [
            {"name": c.get("name"), "value": c.get("value")} for c in o.get("choices") or []
        ],
        "options": [_canonical_option(sub) for sub in o.get("options") or []],
    }
    for key in _OPTION_KEYS:
        if o.get(key) is not None:
            out[key] = o[key]
    return out


def canonical_command(c: dict[str, Any], *, global_scope: bool) -> dict[str, Any]:
    """What matters of a command, the same whether we built it or Discord returned it
    (Discord adds ids and versions, omits false flags and sends permissions as a string)."""
    perms = c.get("default_member_permissions")
    out: dict[str, Any] = {
        "name": c.get("name"),
        "type": c.get("type", 1),
        "description": c.get("description", ""),
        "default_member_permissions": None if perms is None else str(perms),
        "nsfw": bool(c.get("nsfw", False)),
        "options": [_canonical_option(o) for o in c.get("options") or []],
    }
    if global_scope:
        out["dm_permission"] = c.get("dm_permission") is not False
    return out


def commands_differ(
    ours: Sequence[dict[str, Any]], theirs: Sequence[dict[str, Any]], *, global_scope: bool
) -> bool:
    def key(c: dict[str, Any]) -> tuple[int, str]:
        return (int(c["type"]), str(c["name"]))

    a = sorted((canonical_command(c, global_scope=global_scope) for c in ours), key=key)
    b = sorted((canonical_command(c, global_scope=global_scope) for c in theirs), key=key)
    return a != b
