"""Start-up as instruction counts: what each quick command executes, whatever the load.

    python -m bench.callgrind_startup                    # this checkout
    python -m bench.callgrind_startup --src /tmp/old     # another source tree (e.g. main)
    python -m bench.callgrind_startup --run --errbot     # also `run` and errbot to the answer
    python -m bench.callgrind_startup --postgres         # also deliver on PostgreSQL

Wall time on a shared machine moves 5-20x with the load; the instructions a start executes do
not. Each case runs once under `valgrind --tool=callgrind` and prints the total Ir (instructions
read) that `callgrind_annotate` reports, counted over every thread of the process:

- `k8stip tip secrets` (after a first, uncounted `tip` has written the corpus cache);
- `k8stip deliver --json` with nothing due (one console subscription, due in six hours; the
  schema is created by `k8stip migrate` first, outside the count);
- with `--postgres [URL]`: the same `deliver` on PostgreSQL (default the test server), in a
  schema made for the run and dropped after (see `bench.bench_startup`);
- with `--run`: `k8stip run` in a pty, typing `/k8stip secrets` once the console greets, then
  stopped (SIGTERM) when the answer is printed (the second tip after the banner: the greeting
  prints one of its own first). Its count includes the worker thread that loads
  aiohttp/APScheduler (at a terminal it waits for a quiet console, so it runs after the answer,
  before the exit) and the shutdown. The counts from start to the answer are shown apart, of
  the main thread and of every thread (callgrind_control dumps them when the answer shows);
- with `--errbot`: errbot 6.2.1's Text backend the same way (`!tryme`), from the throwaway venv
  that `bench.bench_startup` installs (`/tmp/errbot-venv`).

Under callgrind a start takes 50-100x longer; a pty case may take minutes on a loaded machine.
"""

from __future__ import annotations

import argparse
import compileall
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_startup import PG_URL, pg_schema, write_config

ROOT = Path(__file__).resolve().parent.parent
PTY_SECONDS = 1200.0


def valgrind(out: Path, threads: bool = False) -> list[str]:
    """callgrind, writing `out`; with `threads`, one file per thread (`out-01` is the main
    thread's)."""
    per_thread = ["--separate-threads=yes"] if threads else []
    return ["valgrind", "--tool=callgrind", *per_thread, f"--callgrind-out-file={out}", "-q"]


def total_ir(out: Path, pattern: str = "*") -> int:
    """Instructions read, summed over the per-thread files callgrind wrote for `out` (or over
    those `pattern` picks: "-01" is the main thread), from each file's `summary:` line.
    (callgrind_annotate given several files reports the first one's total, and chokes on the
    empty base file `--separate-threads` leaves.)"""
    total, found = 0, False
    for path in sorted(out.parent.glob(out.name + pattern)):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total += int(line.split(":", 1)[1].split()[0])
                found = True
                break
    if not found:
        raise SystemExit(f"no callgrind summary in {out}{pattern}")
    return total


def to_answer(out: Path, main_only: bool) -> int:
    """What `in_pty` counted up to the answer: in the main thread, or in every thread (the
    dump callgrind_control asked for at the answer; it lands within a second or so)."""
    return total_ir(Path(f"{out}.1"), "-01" if main_only else "-*")


def plain(argv: list[str], cwd: Path, env: dict[str, str], out: Path) -> int:
    proc = subprocess.run([*valgrind(out), *argv], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-3:])} exited {proc.returncode}:\n{proc.stderr[-600:]}")
    return total_ir(out)


def in_pty(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    out: Path,
    ready: bytes,
    command: bytes,
    answer: bytes,
    answers: int = 1,
) -> int:
    """Start `argv` under callgrind in a pty, type `command` once `ready` shows, stop it
    (SIGTERM, which both bots handle by exiting) once `answer` has shown `answers` times
    since `ready`. Returns the count of every thread to the exit; one file per thread, and
    the counts to the answer apart (`to_answer`)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            full = [*valgrind(out, threads=True), *argv]
            os.execvpe(full[0], full, env)
        finally:
            os._exit(127)
    buf, sent_at, ready_at = b"", -1, -1
    deadline = time.monotonic() + PTY_SECONDS
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise SystemExit(f"no answer:\n{buf[-600:].decode(errors='replace')}")
            try:
                buf += os.read(fd, 65536)
            except OSError:
                raise SystemExit(f"exited:\n{buf[-600:].decode(errors='replace')}") from None
            if sent_at < 0 and ready in buf:
                os.write(fd, command + b"\r")
                sent_at, ready_at = len(buf), buf.index(ready)
            if sent_at >= 0 and answer in buf[sent_at:] and buf[ready_at:].count(answer) >= answers:
                # The counts to the answer: callgrind writes them to `out.1-NN` now and counts
                # afresh (what follows, to the exit, goes to `out-NN`). See `to_answer`.
                dump = ["callgrind_control", "--dump", str(pid)]
                subprocess.run(dump, capture_output=True, timeout=PTY_SECONDS, check=True)
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        while True:  # drain the terminal so the child is never blocked writing to it
            try:
                if select.select([fd], [], [], 1.0)[0] and os.read(fd, 65536):
                    continue
            except OSError:
                pass
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        os.close(fd)
    return total_ir(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", type=Path, help="run k8stip from this source tree instead")
    ap.add_argument("--run", action="store_true", help="also `k8stip run` to the first answer")
    ap.add_argument("--errbot", action="store_true", help="also errbot --text to `!tryme`")
    ap.add_argument("--errbot-venv", type=Path, default=Path("/tmp/errbot-venv"))
    ap.add_argument("--postgres", nargs="?", const=PG_URL, metavar="URL")
    args = ap.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="k8stip-callgrind-") as tmp,
        pg_schema(args.postgres) as pg_url,
    ):
        root = Path(tmp)
        work = root / "k8stip"
        work.mkdir()
        later = (datetime.now(UTC) + timedelta(hours=6)).strftime("%H:%M")
        (work / "config.yaml").write_text(
            f"database: sqlite:///{work}/data/k8stip.db\ncorpus: {ROOT / 'tips'}\n"
            "health:\n  port: 0\n"
            f"subscriptions:\n  - {{platform: console, channel: ops, time: '{later}', "
            "timezone: UTC, days: daily}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("K8STIP_", "SLACK_"))}
        env = {k: v for k, v in env.items() if not k.startswith("DISCORD_")}
        env["K8STIP_CONFIG"] = str(work / "config.yaml")
        # A parsed-corpus cache of the run's own (built by the warm-up start): another process
        # sharing ~/.cache/k8stip can't rebuild or evict it mid-run.
        env["K8STIP_CACHE_DIR"] = str(root / "cache")
        if args.src:
            env["PYTHONPATH"] = str(args.src.resolve())
        k8stip = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
        # As installed from the wheel: compiled once, not on every start (see bench_startup).
        compileall.compile_dir(str((args.src or ROOT) / "bot"), quiet=1)
        subprocess.run([*k8stip, "migrate"], cwd=work, env=env, check=True, capture_output=True)
        subprocess.run([*k8stip, "deliver"], cwd=work, env=env, check=True, capture_output=True)
        # A first start writes the corpus cache (as bench_startup's warm-up does): not counted.
        subprocess.run([*k8stip, "tip"], cwd=work, env=env, check=True, capture_output=True)

        results: list[tuple[str, int]] = []
        outs = root / "callgrind"  # not beside errbot's home folder, which is root/errbot
        outs.mkdir()

        def show(name: str, ir: int) -> None:
            results.append((name, ir))
            print(f"  {name:<40} {ir:>15,} Ir", flush=True)

        show("k8stip tip secrets", plain([*k8stip, "tip", "secrets"], work, env, outs / "tip"))
        show(
            "k8stip deliver --json (nothing due)",
            plain([*k8stip, "deliver", "--json"], work, env, outs / "deliver"),
        )
        if pg_url:
            pg_env = {**env, "K8STIP_CONFIG": str(work / "pg.yaml")}
            write_config(work / "pg.yaml", pg_url)
            subprocess.run(
                [*k8stip, "deliver"], cwd=work, env=pg_env, check=True, capture_output=True
            )
            show(
                "  the same on PostgreSQL",
                plain([*k8stip, "deliver", "--json"], work, pg_env, outs / "deliver-pg"),
            )
        if args.run:
            ir = in_pty(
                [*k8stip, "run"], work, env, outs / "run",
                b"Type /k8stip help", b"/k8stip secrets", b"Share with the channel",
                answers=2,  # the greeting's first tip, then the answer to /k8stip secrets
            )  # fmt: skip
            show("k8stip run to /k8stip secrets", ir)
            show("  k8stip, start to answer: main thread", to_answer(outs / "run", True))
            show("  k8stip, start to answer: all threads", to_answer(outs / "run", False))
        if args.errbot:
            from bench.bench_startup import ensure_errbot, errbot_home, pty_start

            exe = ensure_errbot(args.errbot_venv)
            home = errbot_home(exe, root)
            # errbot's first start sets up its data folder: a warm-up, not counted
            pty_start([str(exe), "--text"], home, dict(os.environ), b">>>", b"!tryme", b"works")
            ir = in_pty(
                [str(exe), "--text"], home, dict(os.environ), outs / "errbot",
                b">>>", b"!tryme", b"works",
            )  # fmt: skip
            show("errbot --text to !tryme", ir)
            show("  errbot, start to answer: main thread", to_answer(outs / "errbot", True))
            show("  errbot, start to answer: all threads", to_answer(outs / "errbot", False))
        named = dict(results)
        if "k8stip run to /k8stip secrets" in named and "errbot --text to !tryme" in named:
            ratio = named["k8stip run to /k8stip secrets"] / named["errbot --text to !tryme"]
            print(f"  run/errbot instruction ratio {ratio:.2f} (target <= 0.8 of the time)")
            for what in ("main thread", "all threads"):
                k = named[f"  k8stip, start to answer: {what}"]
                ratio = k / named[f"  errbot, start to answer: {what}"]
                print(f"  start to answer, {what}: ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
