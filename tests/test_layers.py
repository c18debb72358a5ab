"""The layers hold: the core loads no framework and nothing above it, imports run downwards
only, and every module and class stays small enough to read in one sitting.

The core check imports the real package in a fresh interpreter (what is loaded is what counts);
the direction check reads the source with `ast`, so an import inside a function or under
`TYPE_CHECKING` counts as much as one at the top of the file.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"

MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 250

# What the core must never load: the frameworks of the runtime and the platforms, and every
# module above the core. Matched on a dotted boundary (`discord` matches `discord.ui`, not
# `discordant`), so the compiled halves of pydantic and psycopg are named on their own.
CORE_MAY_NOT_LOAD = (
    "sqlalchemy",
    "pydantic",
    "pydantic_core",
    "alembic",
    "psycopg",
    "psycopg_binary",
    "aiohttp",
    "apscheduler",
    "slack_bolt",
    "slack_sdk",
    "discord",
    "bot.runtime",
    "bot.adapters",
    "bot.config",
    "bot.app",
    "bot.cli",
    "bot.web",
)

# package -> what no module in it may import (anywhere in the file).
DIRECTION_RULES = {
    "bot.core": CORE_MAY_NOT_LOAD,
    "bot.runtime": ("bot.adapters", "bot.app", "bot.cli"),
    "bot.adapters": ("bot.runtime", "bot.app", "bot.cli"),
}

# Run in a fresh interpreter: imports PACKAGE and every module under it, one at a time, and
# records who imported each newly loaded module (a meta-path finder that looks at the calling
# frame), then prints the modules walked and, for each forbidden module that was loaded, the
# chain of importers back to the package and the package module whose import was under way.
_PROBE = r"""
import importlib, json, pkgutil, sys

args = json.loads(sys.argv[1])
package, forbidden = args["package"], tuple(args["forbidden"])
importer_of, during_of, current = {}, {}, ["(interpreter start-up)"]


class _WhoImports:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name not in importer_of:
            frame = sys._getframe(1)
            while frame is not None and frame.f_globals.get("__name__", "").startswith(
                ("importlib", "_frozen_importlib")
            ):
                frame = frame.f_back
            importer_of[name] = frame.f_globals.get("__name__", "?") if frame else "?"
            during_of[name] = current[0]
        return None


sys.meta_path.insert(0, _WhoImports)


def _forbidden(name):
    return any(name == f or name.startswith(f + ".") for f in forbidden)


walked = []


def _walk(name):
    current[0] = name
    module = importlib.import_module(name)
    walked.append(name)
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        _walk(f"{name}.{info.name}")


_walk(package)


def _step_up(name):
    # The offender that brought NAME in: its importer, or the package it belongs to.
    parent = importer_of.get(name, "")
    if _forbidden(parent):
        return parent
    up = name.rpartition(".")[0]
    return up if up and _forbidden(up) and up in sys.modules else None


counts = {}
for name in [n for n in list(sys.modules) if _forbidden(n)]:
    root = name
    while _step_up(root) is not None:
        root = _step_up(root)
    counts[root] = counts.get(root, 0) + 1
offenders = []
for name in sorted(counts):
    chain = [name]
    step = importer_of.get(name, "(interpreter start-up)")
    while step in importer_of and not step.startswith(package + ".") and len(chain) < 40:
        chain.append(step)
        step = importer_of[step]
    chain.append(step)
    offenders.append(
        {"module": name, "chain": chain, "during": during_of.get(name, "(start-up)"),
         "modules_loaded": counts[name]}
    )
print(json.dumps({"walked": walked, "offenders": offenders}))
"""


def _probe(package: str, forbidden: tuple[str, ...], cwd: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps({"package": package, "forbidden": forbidden})],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"importing {package} failed:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _describe(offenders: list[dict[str, Any]]) -> str:
    lines = []
    for o in offenders:
        chain = " <- ".join(o["chain"][1:])
        lines.append(
            f"  {o['module']}: pulled in by {chain}, while importing {o['during']}"
            f" ({o['modules_loaded']} forbidden modules in all)"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- static import graph


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module name SOURCE imports, with its line: top-level, in functions, under
    TYPE_CHECKING, relative (resolved against MODULE), and `importlib.import_module("…")` or
    `__import__("…")` with a literal name. `from a import b` yields both `a` and `a.b`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, node.module] if node.module else package)
            else:
                base = node.module or ""
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                called in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                yield node.lineno, first.value


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def direction_violations(package: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    folder = root.joinpath(*package.split("."))
    found = []
    for path in sorted(folder.rglob("*.py")):
        module = _module_name(path, root)
        source = path.read_text(encoding="utf-8")
        for line, name in imported_names(source, module, path.name == "__init__.py"):
            if _under(name, forbidden):
                found.append(f"{path.relative_to(root)}:{line}: {module} imports {name}")
    return sorted(set(found))


# ---------------------------------------------------------------- sizes


def class_sizes(source: str) -> Iterator[tuple[str, int, int]]:
    """(qualified name, first line, lines) of every class in SOURCE, nested ones too; a class
    runs from its first decorator to its last line."""

    def visit(node: ast.AST, prefix: str) -> Iterator[tuple[str, int, int]]:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, ast.ClassDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                name = f"{prefix}{child.name}"
                yield name, first, (child.end_lineno or child.lineno) - first + 1
                name += "."
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}."
            yield from visit(child, name)

    yield from visit(ast.parse(source), "")


def _bot_sources() -> list[Path]:
    paths = sorted(BOT.rglob("*.py"))
    assert len(paths) > 20, f"expected the bot package under {BOT}"
    return paths


# ---------------------------------------------------------------- the checks


def test_the_core_loads_no_framework_and_nothing_above_it() -> None:
    """Importing bot.core and every module under it in a fresh interpreter loads none of
    sqlalchemy, pydantic, alembic, psycopg, aiohttp, apscheduler, slack_bolt, slack_sdk,
    discord, nor bot.runtime, bot.adapters, bot.config, bot.app, bot.cli or bot.web."""
    result = _probe("bot.core", CORE_MAY_NOT_LOAD, ROOT)
    assert {"bot.core.engine", "bot.core.search", "bot.core.picker"} <= set(result["walked"])
    assert result["offenders"] == [], "the core loaded what it must not:\n" + _describe(
        result["offenders"]
    )


@pytest.mark.parametrize("package", sorted(DIRECTION_RULES))
def test_imports_run_downwards_only(package: str) -> None:
    """The core imports nothing above it; bot.runtime never imports bot.adapters, bot.app or
    bot.cli; the adapters never import bot.runtime, bot.app or bot.cli — anywhere in a file."""
    assert list(BOT.joinpath(*package.split(".")[1:]).rglob("*.py")), f"no modules in {package}"
    violations = direction_violations(package, DIRECTION_RULES[package])
    assert violations == [], f"{package} imports upwards:\n  " + "\n  ".join(violations)


def test_no_module_in_bot_is_over_600_lines() -> None:
    """Every module in bot/ is at most 600 lines long."""
    too_long = []
    for path in _bot_sources():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert too_long == [], f"modules over {MAX_MODULE_LINES} lines:\n  " + "\n  ".join(too_long)


def test_no_class_in_bot_is_over_250_lines() -> None:
    """Every class in bot/ is at most 250 lines long."""
    too_big = []
    for path in _bot_sources():
        for name, line, lines in class_sizes(path.read_text(encoding="utf-8")):
            if lines > MAX_CLASS_LINES:
                too_big.append(f"{path.relative_to(ROOT)}:{line}: class {name}: {lines} lines")
    assert too_big == [], f"classes over {MAX_CLASS_LINES} lines:\n  " + "\n  ".join(too_big)


# ---------------------------------------------------------------- the checks can fail


def test_the_probe_names_the_forbidden_module_and_the_module_that_pulled_it_in(
    tmp_path: Path,
) -> None:
    """A package whose module imports a forbidden one (through a sibling) is reported with the
    chain of importers and the module whose import was under way."""
    demo = tmp_path / "layerdemo"
    demo.mkdir()
    (demo / "__init__.py").write_text("")
    (demo / "clean.py").write_text("import json\n")
    (demo / "leaky.py").write_text("from layerdemo import middle\n")
    (demo / "middle.py").write_text("def later():\n    pass\n\nimport xml.dom.minidom\n")
    result = _probe("layerdemo", ("xml",), tmp_path)
    assert result["walked"] == [
        "layerdemo",
        "layerdemo.clean",
        "layerdemo.leaky",
        "layerdemo.middle",
    ]
    [offender] = result["offenders"]
    assert offender["module"] == "xml"
    assert offender["chain"] == ["xml", "layerdemo.middle"]
    assert offender["during"] == "layerdemo.leaky"
    assert "xml: pulled in by layerdemo.middle, while importing layerdemo.leaky (" in _describe(
        [offender]
    )


def test_imports_inside_functions_under_type_checking_and_relative_ones_are_seen() -> None:
    """The static reader finds imports anywhere in a file, resolves relative ones, and reads
    literal `importlib.import_module` names."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from bot.app import App\n"
        "def f():\n"
        "    import bot.adapters.slack\n"
        "    from .. import cli\n"
        "    importlib.import_module('bot.adapters.discord')\n"
        "from .delivery import plan\n"
    )
    names = set(imported_names(source, "bot.runtime.router", is_package=False))
    assert {
        (3, "bot.app.App"),
        (5, "bot.adapters.slack"),
        (6, "bot.cli"),
        (7, "bot.adapters.discord"),
        (8, "bot.runtime.delivery"),
    } <= names
    forbidden = {n for _, n in names if _under(n, DIRECTION_RULES["bot.runtime"])}
    assert forbidden == {
        "bot.app",
        "bot.app.App",
        "bot.adapters.slack",
        "bot.adapters.discord",
        "bot.cli",
    }


def test_a_runtime_module_importing_an_adapter_is_a_violation(tmp_path: Path) -> None:
    """direction_violations names the file, line, module and the forbidden import."""
    pkg = tmp_path / "bot" / "runtime"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ok.py").write_text("from bot.core.replies import Reply\n")
    (pkg / "bad.py").write_text("def f():\n    from bot.adapters.slack import SlackAdapter\n")
    assert direction_violations("bot.runtime", DIRECTION_RULES["bot.runtime"], tmp_path) == [
        "bot/runtime/bad.py:2: bot.runtime.bad imports bot.adapters.slack",
        "bot/runtime/bad.py:2: bot.runtime.bad imports bot.adapters.slack.SlackAdapter",
    ]


def test_class_sizes_count_decorators_and_nested_classes() -> None:
    """A class's size runs from its first decorator to its last line; nested classes count."""
    body = "\n".join(f"    x{i} = {i}" for i in range(250))
    inner = "    class Inner:\n        pass\n"
    source = f"@dataclass\nclass Big:\n{body}\n{inner}\nclass Small:\n    pass\n"
    sizes = {name: (line, lines) for name, line, lines in class_sizes(source)}
    assert sizes == {"Big": (1, 254), "Big.Inner": (253, 2), "Small": (256, 2)}
