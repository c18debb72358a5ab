"""Start-up beside errbot: from process start to the answer of one command, in a terminal.

    python -m bench.bench_startup                 # 9 runs of each
    python -m bench.bench_startup --runs 15 --src /path/to/other/checkout
    python -m bench.bench_startup --deliver-only --postgres   # the CronJob case on both stores

Side by side in one run, each in a pty (`pty.fork`), alternating so both see the same load:

- `k8stip run`, typing `/k8stip secrets` once the banner says the console is ready, until the
  answer's "Share with the channel" action is printed: the second one after the banner, as the
  console greets with a first tip of its own (then, before it is stopped, its health server
  must answer /healthz, so that the memory figure includes it);
- errbot 6.2.1's Text backend (`errbot --text`), typing `!tryme` at its `>>>` prompt, until
  "works" is printed. errbot is installed by this script into a throwaway venv
  (`/tmp/errbot-venv`, `pip install errbot==6.2.1`); it is not a project dependency.

Each figure is the median wall time over `--runs` and the peak RSS (ru_maxrss of the child,
from `os.wait4`). Then, as plain processes: `k8stip deliver --json` with nothing due (the
CronJob case: one subscription, due in six hours) and `k8stip tip secrets`, each alternating
with `python -c pass` (the bare interpreter: the ratios to it say how much of a slow figure
is the machine's load). The first start of each (schema creation, the parsed-corpus cache in
a folder of the run's own, errbot's first run) is a warm-up and not counted. `--src` runs
k8stip from another source tree (e.g. a `git archive main bot` export) with this venv's
packages, to compare two commits.

k8stip's own modules are compiled to `__pycache__` first (`compileall`), as `pip install` of
the wheel does and as the container image ships them: with `PYTHONDONTWRITEBYTECODE=1` in the
environment an editable checkout would otherwise compile every module on every start, which
errbot, installed from its wheel, never does.

`--postgres [URL]` (default the test server, postgresql+psycopg://postgres@127.0.0.1:5432/test)
also times `deliver` with nothing due on PostgreSQL, in a schema made for the run and dropped
after, alternating with the SQLite runs; `--deliver-only` skips the bots and `tip`.
"""

from __future__ import annotations

import argparse
import compileall
import os
import pty
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERRBOT_VERSION = "6.2.1"
ANSWER_SECONDS = 60.0
# The targets: k8stip at most 0.8x errbot's time and no more memory; a deliver pass
# with nothing due within 0.3 s; `k8stip tip` within 0.2 s.
TIME_RATIO, DELIVER_SECONDS, TIP_SECONDS = 0.8, 0.3, 0.2
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Start:
    seconds: float
    rss_mb: float


def ensure_errbot(venv: Path) -> Path:
    exe = venv / "bin" / "errbot"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = venv / "bin" / "pip"
        subprocess.run([str(pip), "install", "-q", f"errbot=={ERRBOT_VERSION}"], check=True)
    return exe


def errbot_home(exe: Path, root: Path) -> Path:
    home = root / "errbot"
    home.mkdir()
    subprocess.run([str(exe), "--init"], cwd=home, check=True, capture_output=True)
    assert 'BACKEND = "Text"' in (home / "config.py").read_text()
    return home


def pty_start(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    ready: bytes,
    command: bytes,
    answer: bytes,
    after: Callable[[bytes], None] | None = None,
    answers: int = 1,
) -> Start:
    """Start `argv` in a pty; once `ready` is printed, type `command`; stop when `answer` has
    been printed `answers` times since `ready` (more than once when the program prints one
    unasked, as k8stip's greeting does). The time runs from just before the fork to the
    answer. `after(output)` runs before the process is stopped (and so counts in its peak
    memory)."""
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child
        try:
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out, sent_at, ready_at = b"", -1, -1
    deadline = t0 + ANSWER_SECONDS
    elapsed = 0.0
    try:
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                tail = out[-600:].decode(errors="replace")
                raise SystemExit(f"{argv[0]}: no answer within {ANSWER_SECONDS:g} s:\n{tail}")
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                tail = out[-600:].decode(errors="replace")
                raise SystemExit(f"{argv[0]} exited:\n{tail}") from None
            out += chunk
            if sent_at < 0 and ready in out:
                os.write(fd, command + b"\r")
                sent_at, ready_at = len(out), out.index(ready)
            if sent_at >= 0 and answer in out[sent_at:] and out[ready_at:].count(answer) >= answers:
                elapsed = time.perf_counter() - t0
                break
        if after is not None:
            after(out)
    finally:
        os.kill(pid, signal.SIGTERM)
        _, _, usage = os.wait4(pid, 0)
        os.close(fd)
    return Start(elapsed, usage.ru_maxrss / 1024)


def health_answers(out: bytes) -> None:
    """The health server, which `run` starts beside the console, answers /healthz: the
    memory figure is that of a bot serving both, not one caught before aiohttp loaded."""
    found = re.search(rb"health:\s+(http://\S+/healthz)", out)
    if not found:
        raise SystemExit(
            "k8stip run printed no health URL:\n" + out[-600:].decode(errors="replace")
        )
    with urllib.request.urlopen(found.group(1).decode(), timeout=30) as resp:
        if resp.status != 200:
            raise SystemExit(f"/healthz answered {resp.status}")


def plain(argv: list[str], cwd: Path, env: dict[str, str]) -> Start:
    """Wall time of a command that exits by itself (no memory figure: not asked for)."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-2:])} exited {proc.returncode}:\n{proc.stderr[-600:]}")
    return Start(elapsed, 0.0)


def summary(name: str, starts: list[Start]) -> tuple[float, float]:
    med = statistics.median(s.seconds for s in starts) * 1000
    rss = max(s.rss_mb for s in starts)
    runs = ", ".join(f"{s.seconds * 1000:.0f}" for s in starts)
    mem = f"  peak RSS {rss:5.1f} MB" if rss else ""
    print(f"  {name:<38} median {med:6.0f} ms{mem}   (runs: {runs})")
    return med, rss


@contextmanager
def pg_schema(url: str | None) -> Iterator[str | None]:
    """A URL whose search_path is a schema made for this run (dropped after); None: none."""
    if url is None:
        yield None
        return
    from sqlalchemy import create_engine, text

    schema = f"k8stip_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_config(path: Path, database: str) -> None:
    # A daily console subscription six hours from now: every pass of the run finds
    # something to look at (the subscription, its schedule) and nothing due.
    later = (datetime.now(UTC) + timedelta(hours=6)).strftime("%H:%M")
    path.write_text(
        f"database: '{database}'\ncorpus: {ROOT / 'tips'}\n"
        "health:\n  port: 0\n"
        f"subscriptions:\n  - {{platform: console, channel: ops, time: '{later}', "
        "timezone: UTC, days: daily}\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--errbot-venv", type=Path, default=Path("/tmp/errbot-venv"))
    ap.add_argument("--src", type=Path, help="run k8stip from this source tree instead")
    ap.add_argument("--postgres", nargs="?", const=PG_URL, metavar="URL")
    ap.add_argument("--deliver-only", action="store_true", help="only the deliver figures")
    args = ap.parse_args()

    compileall.compile_dir(str((args.src or ROOT) / "bot"), quiet=1)
    with (
        tempfile.TemporaryDirectory(prefix="k8stip-startup-") as tmp,
        pg_schema(args.postgres) as pg_url,
    ):
        root = Path(tmp)
        work = root / "k8stip"
        work.mkdir()
        write_config(work / "config.yaml", f"sqlite:///{work}/data/k8stip.db")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("K8STIP_", "SLACK_"))}
        env = {k: v for k, v in env.items() if not k.startswith("DISCORD_")}
        env["K8STIP_CONFIG"] = str(work / "config.yaml")
        # A parsed-corpus cache of the run's own (built by the warm-up start): another process
        # sharing ~/.cache/k8stip can't rebuild or evict it mid-run.
        env["K8STIP_CACHE_DIR"] = str(root / "cache")
        if args.src:
            env["PYTHONPATH"] = str(args.src.resolve())
        pg_env = {**env, "K8STIP_CONFIG": str(work / "pg.yaml")}
        if pg_url:
            write_config(work / "pg.yaml", pg_url)
        k8stip = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
        deliver = [*k8stip, "deliver", "--json"]
        plain(deliver, work, env)  # warm-up: creates the schema
        if pg_url:
            plain(deliver, work, pg_env)
        # The bare interpreter's start, alternating with the quick commands: on a shared
        # machine their absolute times follow the load, their ratio to this one much less.
        bare = [sys.executable, "-c", "pass"]
        sqlite_runs, pg_runs, bare_runs = [], [], []
        for _ in range(args.runs):  # alternating: both see the same load
            sqlite_runs.append(plain(deliver, work, env))
            bare_runs.append(plain(bare, work, env))
            if pg_url:
                pg_runs.append(plain(deliver, work, pg_env))
        if args.deliver_only:
            print(f"k8stip deliver --json, nothing due, {args.runs} runs each, alternating")
            d_ms, _ = summary("SQLite", sqlite_runs)
            if pg_runs:
                p_ms, _ = summary("PostgreSQL", pg_runs)
                print(f"  PostgreSQL/SQLite: {p_ms / d_ms:.2f}x")
            b_ms, _ = summary("python -c pass (the interpreter alone)", bare_runs)
            print(f"  SQLite/interpreter alone: {d_ms / b_ms:.1f}x")
            print(f"  (target <= {DELIVER_SECONDS} s)")
            return
        errbot = ensure_errbot(args.errbot_venv)
        home = errbot_home(errbot, root)

        def k8stip_run() -> Start:
            return pty_start(
                [*k8stip, "run"],
                work,
                env,
                b"Type /k8stip help",
                b"/k8stip secrets",
                b"Share with the channel",
                after=health_answers,
                answers=2,  # the greeting's first tip, then the answer to /k8stip secrets
            )

        def errbot_run() -> Start:
            return pty_start(
                [str(errbot), "--text"], home, dict(os.environ), b">>>", b"!tryme", b"works"
            )

        k8stip_run(), errbot_run()  # warm-up: schema creation, errbot's first start
        bots: dict[str, list[Start]] = {"k8stip": [], "errbot": []}
        for _ in range(args.runs):
            bots["k8stip"].append(k8stip_run())
            bots["errbot"].append(errbot_run())
        tip = []
        for _ in range(args.runs):
            tip.append(plain([*k8stip, "tip", "secrets"], work, env))
            bare_runs.append(plain(bare, work, env))

    print(f"start to one answer, in a pty, {args.runs} runs each (src: {args.src or 'installed'})")
    k_ms, k_mb = summary("k8stip run + /k8stip secrets", bots["k8stip"])
    e_ms, e_mb = summary(f"errbot {ERRBOT_VERSION} --text + !tryme", bots["errbot"])
    d_ms, _ = summary("k8stip deliver --json (nothing due)", sqlite_runs)
    if pg_runs:
        summary("  the same on PostgreSQL", pg_runs)
    t_ms, _ = summary("k8stip tip secrets", tip)
    b_ms, _ = summary("python -c pass (the interpreter alone)", bare_runs)
    print(
        f"  k8stip/errbot: time {k_ms / e_ms:.2f}x (target <= {TIME_RATIO}x), "
        f"memory {k_mb / e_mb:.2f}x (target <= 1.00x)"
    )
    print(
        f"  deliver {d_ms / 1000:.2f} s (target <= {DELIVER_SECONDS} s), "
        f"tip {t_ms / 1000:.2f} s (target <= {TIP_SECONDS} s); "
        f"{d_ms / b_ms:.1f}x and {t_ms / b_ms:.1f}x the bare interpreter's start"
    )


if __name__ == "__main__":
    main()
