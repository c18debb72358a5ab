"""The `k8stip` command (also `python -m bot`). Thin: parse arguments, call the core, print.

Heavy modules (slack_bolt, discord, sqlalchemy, apscheduler) are imported inside the
subcommands that need them, so `k8stip tip secrets` starts fast.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, overload

from bot import __version__
from bot.config import Config, ConfigError, load_config
from bot.startup import StoreError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def cmd_tip(args: argparse.Namespace) -> int:
    from bot.core.engine import Engine

    engine = Engine.from_config(_config(args))
    query = " ".join(args.query)
    answer = engine.tip(query)
    if args.json:
        _print_json(answer.tip_json() if answer.tip else None)
    else:
        sys.stdout.write(answer.render_text() + "\n")
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from bot.core.engine import Engine

    if args.limit < 1:
        sys.stderr.write("k8stip search: --limit must be 1 or more, e.g. --limit 5\n")
        return EXIT_USAGE
    engine = Engine.from_config(_config(args))
    result = engine.search(" ".join(args.query), limit=args.limit)
    if args.json:
        _print_json(result.hits_json())
    else:
        sys.stdout.write(result.render_text() + "\n")
    return EXIT_OK


def cmd_quiz(args: argparse.Namespace) -> int:
    import random

    from bot.core import quiz
    from bot.core.engine import FALLBACK_SUGGESTIONS, Engine
    from bot.core.textnorm import normalize

    engine = Engine.from_config(_config(args))
    name = " ".join(args.topic)
    topic: str | None = None
    if normalize(name):
        found, _ = engine.resolve_topics([name])
        if not found:
            fallback = [t for t in FALLBACK_SUGGESTIONS if t in engine.corpus.topics]
            names = ", ".join(engine.index.suggest(name) or fallback)
            shown = normalize(name, max_chars=60)
            message = f"No topic “{shown}”. Did you mean: {names}? (k8stip topics lists them all)"
            sys.stdout.write("null\n" if args.json else message + "\n")
            if args.json:
                sys.stderr.write(message + "\n")
            return EXIT_OK
        topic = found[0]
    if args.all:
        questions = quiz.all_questions(engine.corpus)
        if topic:
            questions = [q for q in questions if quiz.on_topic(q, topic)]
        if args.json:
            _print_json([q.to_json() for q in questions])
        else:
            texts = [quiz.render_quiz_text(q, reveal=True) for q in questions]
            sys.stdout.write("\n\n".join(texts) + "\n")
        return EXIT_OK
    question = quiz.question_for(engine.corpus, topic, random.Random())
    if args.json:
        _print_json(question.to_json() if question else None)
    elif question:
        sys.stdout.write(quiz.render_quiz_text(question) + "\n")
    else:
        on = f" on {engine.corpus.topic_title(topic)}" if topic else ""
        sys.stdout.write(f"No tip{on} makes an unambiguous quiz question yet.\n")
    return EXIT_OK


def cmd_topics(args: argparse.Namespace) -> int:
    from bot.core.engine import Engine

    engine = Engine.from_config(_config(args))
    rows = engine.topics()
    if args.json:
        _print_json(rows)
    else:
        width = max((len(r["id"]) for r in rows), default=0)
        for r in rows:
            sys.stdout.write(f"{r['id']:<{width}}  {r['count']:>3}  {r['title']}\n")
        untagged = engine.corpus.untagged_count()
        if untagged:
            sys.stdout.write(f"{'':<{width}}  {untagged:>3}  tips with no topic (searchable)\n")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.core.loader import load_corpus

    paths = args.paths or [str(p) for p in _config(args).corpus_paths]
    corpus = load_corpus(paths)
    for problem in corpus.problems:
        sys.stdout.write(f"{problem}\n")
    errors = len(corpus.errors)
    warnings = len(corpus.problems) - errors
    sys.stderr.write(
        f"checked {len(corpus.tips)} tips, {len(corpus.topics)} topics in "
        f"{', '.join(paths)}: {errors} error(s), {warnings} warning(s)\n"
    )
    return EXIT_PROBLEMS if errors else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from bot.importers import run_import

    return run_import(args)


def cmd_run(args: argparse.Namespace) -> int:
    # No cyclic garbage collection while `run` starts: its imports allocate much and free
    # little, and the collector walks them again and again (~4% of the instructions to the
    # console's first answer). `bot.console_first.after_console` turns it back on.
    gc.disable()
    try:
        from bot.app import run

        return run(_config(args), args)
    finally:
        gc.enable()


def cmd_deliver(args: argparse.Namespace) -> int:
    config = _config(args)
    if _certainly_idle(config, args):  # what the full pass prints when nothing is due
        sys.stdout.write("[]\n" if args.json else "nothing due\n")
        return EXIT_OK
    from bot.app import deliver_once

    return deliver_once(config, args)


def _certainly_idle(config: Config, args: argparse.Namespace) -> bool:
    """A store (SQLite or PostgreSQL) that certainly has nothing due answers before SQLAlchemy
    loads (a CronJob's usual run); any doubt, an enabled platform (its secrets are checked on the
    full path) or an `--at` without an offset runs the full pass."""
    from datetime import UTC, datetime, timedelta

    from bot.runtime.idle_check import is_idle

    if config.slack.enabled or config.discord.enabled:
        return False
    if args.at:
        try:
            at = datetime.fromisoformat(args.at.strip().replace("Z", "+00:00"))
        except ValueError:
            return False  # the full path says what is wrong with it
    else:
        at = datetime.now(UTC)
    catch_up = timedelta(hours=config.delivery.catch_up_hours)
    return is_idle(config, at, catch_up) is True


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.app import migrate

    return migrate(_config(args), args)


def cmd_status(args: argparse.Namespace) -> int:
    from bot.status import status

    return status(_config(args), args)


def _export_community(args: argparse.Namespace) -> int:
    from bot.app import open_store
    from bot.runtime.community_export import export_community

    store = open_store(_config(args))
    try:
        return export_community(store, args.output)
    finally:
        store.close()


def _export_history(args: argparse.Namespace) -> int:
    from bot.history_export import export_history

    return export_history(_config(args), args)


# What `k8stip export` can write, by its first argument.
EXPORTS: dict[str, Callable[[argparse.Namespace], int]] = {
    "community": _export_community,
    "history": _export_history,
}


def cmd_export(args: argparse.Namespace) -> int:
    return EXPORTS[args.what](args)


def cmd_discord_invite_url(args: argparse.Namespace) -> int:
    from bot.adapters.discord.invite import invite_url

    sys.stdout.write(invite_url(args.application_id) + "\n")
    return EXIT_OK


class ImportFormats(Sequence[str]):
    """`--format`'s choices: "auto" and each importer's name, read from the registry only
    when argparse looks (checking a value, or help). Importing the registry loads every
    importer (~50 ms), which `k8stip tip` and `run` never need."""

    @functools.cached_property
    def _names(self) -> list[str]:
        from bot.importers.registry import names

        return ["auto", *names()]

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8stip", description="One Kubernetes tip a day, for Slack, Discord and the terminal."
    )
    parser.add_argument("--version", action="version", version=f"k8stip {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (default: $K8STIP_CONFIG)")
    parser.add_argument("--debug", action="store_true", help="verbose logs (never secrets)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str, fn: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=fn)
        return p

    p = add("tip", cmd_tip, "a tip for a topic or a few words (what `/k8stip QUERY` answers)")
    p.add_argument("query", nargs="*", help="topic, alias or words; none: a random tip")
    p.add_argument("--json", action="store_true", help="print one JSON object, or null")

    p = add("search", cmd_search, "ranked tips for a question in plain words")
    p.add_argument("query", nargs="+", help="what you want to know")
    p.add_argument("--limit", type=int, default=5, help="how many results (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON array ([] when none)")

    p = add("quiz", cmd_quiz, "a quiz question made from a tip: one term hidden, 3 or 4 choices")
    p.add_argument("topic", nargs="*", help="topic or alias; none: any topic")
    p.add_argument("--json", action="store_true", help="print one JSON object, or null")
    p.add_argument(
        "--all",
        action="store_true",
        help="every question the tips yield, answers marked, to review (--json: an array)",
    )

    p = add("topics", cmd_topics, "the topics and how many tips each has")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = add("validate", cmd_validate, "check tip files and the topic taxonomy")
    p.add_argument("paths", nargs="*", help="files or folders (default: the configured corpus)")

    p = add("import", cmd_import, "turn highlight exports (a file or a folder) into tip files")
    p.add_argument("path", help="an export file, or a folder of them")
    formats = p.add_argument(
        "--format", default="auto", help="input format (default: auto, recognised from the content)"
    )
    # Set after add_argument, which formats the choices once to check the metavar.
    formats.choices = ImportFormats()
    p.add_argument(
        "--output",
        "-o",
        metavar="OUT",
        help="a folder (one tip file per book) or a .yaml file for one book; "
        "default: standard output",
    )
    p.add_argument(
        "--topics", metavar="T,…", help="topics to give every imported tip, e.g. networking,rbac"
    )
    p.add_argument("--taxonomy", metavar="PATH", help="topics file (default: tips/topics.yaml)")
    p.add_argument("--source-id", help="id for the source block (default: from the title)")

    p = add("run", cmd_run, "run the bot: scheduler, adapters, health server")
    p.add_argument("--no-console", action="store_true", help="don't read commands from stdin")

    p = add("deliver", cmd_deliver, "one delivery pass: post what is due and not yet delivered")
    p.add_argument("--at", metavar="ISO8601", help="the instant to deliver for (default: now)")
    p.add_argument("--json", action="store_true", help="print a JSON array of deliveries")

    add("migrate", cmd_migrate, "create or upgrade the database schema")

    p = add("status", cmd_status, "subscriptions, next posts and paused channels")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("export", cmd_export, "write stored data for a spreadsheet (CSV) or a program (JSON)")
    p.add_argument(
        "what",
        choices=sorted(EXPORTS),
        help="community: the approved suggested tips, as a tip file (to commit beside your "
        "other tips); history: every channel's daily deliveries with their tips and vote counts",
    )
    p.add_argument("--channel", metavar="ID", help="history: only this channel (its platform id)")
    p.add_argument(
        "--since", metavar="DATE", help="history: only from this local date on (YYYY-MM-DD)"
    )
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="history: default csv")
    p.add_argument("--output", "-o", metavar="FILE", help="write here (default: standard output)")

    p = add("discord", cmd_discord_invite_url, "Discord helpers")
    dsub = p.add_subparsers(dest="discord_command", metavar="SUBCOMMAND", required=True)
    inv = dsub.add_parser("invite-url", help="print the link that adds the bot to a server")
    inv.add_argument("--application-id", help="default: from the token or DISCORD_APPLICATION_ID")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.func(args)
        return code
    except ConfigError as e:
        for problem in e.problems:
            sys.stderr.write(f"config error: {problem}\n")
        return EXIT_USAGE
    except StoreError as e:  # one line: where it looked and what to check (never a password)
        sys.stderr.write(f"store error: {e}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `k8stip search … | head`
        return EXIT_OK
